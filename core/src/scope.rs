//! Scopes: `<action>:<index-pattern>`, parsed into newtypes, matched and attenuated.
//!
//! Grammar (documented in the README as well):
//!
//! ```text
//! scope   = action ":" pattern
//! action  = "read" / "write" / "manage" / "monitor" / "admin"
//! pattern = 1*255( %x61-7A / DIGIT / "-" / "_" / "." / "+" / "*" )   ; lowercase, '*' is the only wildcard
//!           ; must not start with "-", "_" or "+"; "." and ".." alone are invalid
//! ```
//!
//! `admin` implies every other action. `*` matches any run of characters, including none.
//! A granted pattern *covers* a requested one when every index name the requested one can
//! match is also matched by the granted one (`logs-*` covers `logs-2026.*` and `logs-app`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Reason;
use crate::error::{Error, Result, quote};

/// Maximum length of an index pattern, as for OpenSearch index names.
pub const MAX_PATTERN_LEN: usize = 255;
/// Maximum number of scopes in one scope string.
pub const MAX_SCOPES: usize = 64;

/// What a request does to the indices it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Search, get, count, multi-get, multi-search, field capabilities, reading mappings.
    Read,
    /// Index, create, update and delete documents; bulk; delete/update by query.
    Write,
    /// Create and delete indices, change mappings, settings and aliases.
    Manage,
    /// Cluster and index health, stats and `_cat` APIs.
    Monitor,
    /// Everything, including every other action.
    Admin,
}

impl Action {
    /// Every action, in order.
    pub const ALL: [Action; 5] = [
        Action::Read,
        Action::Write,
        Action::Manage,
        Action::Monitor,
        Action::Admin,
    ];

    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
            Action::Manage => "manage",
            Action::Monitor => "monitor",
            Action::Admin => "admin",
        }
    }

    /// Whether holding `self` grants `needed`.
    pub fn implies(self, needed: Action) -> bool {
        self == Action::Admin || self == needed
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                Error::new(
                    Reason::UnknownAction,
                    format!("unknown scope action {}", quote(s)),
                )
                .with_help("actions are read, write, manage, monitor and admin")
            })
    }
}

/// An index pattern: a lowercase OpenSearch index name in which `*` matches any run of characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexPattern(String);

impl IndexPattern {
    /// Parses and validates a pattern.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::new(
                Reason::InvalidPattern,
                format!("invalid index pattern {}: {why}", quote(s)),
            )
        };
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        if s.len() > MAX_PATTERN_LEN {
            return Err(bad("it is longer than 255 bytes"));
        }
        if s == "." || s == ".." {
            return Err(bad("`.` and `..` are not index names"));
        }
        if s.starts_with(['-', '_', '+']) {
            return Err(bad("it must not start with `-`, `_` or `+`"));
        }
        if let Some(c) = s.chars().find(|c| !is_pattern_char(*c)) {
            return Err(bad(&format!(
                "character {} is not allowed (lowercase letters, digits, `-_.+` and `*` only)",
                quote(&c.to_string())
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The pattern that matches every index.
    pub fn any() -> Self {
        Self("*".to_owned())
    }

    /// The pattern text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the pattern contains a wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.0.contains('*')
    }

    /// Whether this pattern matches the concrete index name `name`.
    pub fn matches(&self, name: &str) -> bool {
        glob_match(self.0.as_bytes(), name.as_bytes())
    }

    /// Whether every name matched by `other` (a name or a pattern) is matched by `self`.
    ///
    /// For `*`-only globs this holds exactly when `self` matches `other` read literally, with
    /// `other`'s stars as a character no literal of `self` can match: only a star of `self`
    /// can absorb one of `other`'s stars. An `other` that is neither a name nor a pattern
    /// (`logs-a,secret`, `logs-a/../secret`) is covered by nothing: read literally, a star
    /// would absorb the part that names other indices.
    pub fn covers(&self, other: &str) -> bool {
        is_valid_pattern(other) && glob_match(self.0.as_bytes(), other.as_bytes())
    }
}

/// What [`IndexPattern::parse`] accepts, without building an error.
fn is_valid_pattern(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_PATTERN_LEN
        && s != "."
        && s != ".."
        && !s.starts_with(['-', '_', '+'])
        && s.chars().all(is_pattern_char)
}

fn is_pattern_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.' | '+' | '*')
}

/// `*`-only glob matching in linear time for the common case (greedy with one backtrack point).
pub(crate) fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match (pattern.get(p), text.get(t)) {
            (Some(b'*'), _) => {
                star = Some((p, t));
                p += 1;
            }
            (Some(pc), Some(tc)) if pc == tc => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

impl fmt::Display for IndexPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One scope: an action on the indices a pattern matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    /// What the scope allows.
    pub action: Action,
    /// Where.
    pub pattern: IndexPattern,
}

impl Scope {
    /// Parses `<action>:<pattern>`.
    pub fn parse(s: &str) -> Result<Self> {
        let Some((action, pattern)) = s.split_once(':') else {
            return Err(Error::new(
                Reason::InvalidScopeSyntax,
                format!(
                    "scope {} is not of the form `<action>:<index-pattern>`",
                    quote(s)
                ),
            )
            .with_help("for example `read:logs-*`"));
        };
        Ok(Self {
            action: action.parse()?,
            pattern: IndexPattern::parse(pattern)?,
        })
    }

    /// A scope from parts.
    pub fn new(action: Action, pattern: IndexPattern) -> Self {
        Self { action, pattern }
    }

    /// Whether this scope grants `action` on `target` (an index name or pattern).
    pub fn allows(&self, action: Action, target: &str) -> bool {
        self.action.implies(action) && self.pattern.covers(target)
    }

    /// Whether this scope grants everything `other` grants.
    pub fn covers(&self, other: &Scope) -> bool {
        self.action.implies(other.action) && self.pattern.covers(other.pattern.as_str())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.action, self.pattern)
    }
}

impl FromStr for Scope {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Scope::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A set of scopes, as in an OAuth `scope` parameter (space-separated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    /// Parses a space-separated scope string; every item must be a valid scope.
    pub fn parse(s: &str) -> Result<Self> {
        let mut out = Vec::new();
        for item in s.split(' ').filter(|i| !i.is_empty()) {
            if out.len() == MAX_SCOPES {
                return Err(Error::new(
                    Reason::TooManyScopes,
                    format!("more than {MAX_SCOPES} scopes requested"),
                ));
            }
            out.push(Scope::parse(item)?);
        }
        Ok(Self::from_scopes(out))
    }

    /// Parses the `scope` claim of a token: items that are not oauth4os scopes (`openid`,
    /// `profile`, ...) are ignored, as they grant nothing here.
    pub fn parse_claim(s: &str) -> Self {
        Self::from_scopes(
            s.split(' ')
                .filter(|i| !i.is_empty())
                .take(MAX_SCOPES)
                .filter_map(|i| Scope::parse(i).ok())
                .collect(),
        )
    }

    /// A set from scopes; duplicates are removed and the order made canonical.
    pub fn from_scopes(mut scopes: Vec<Scope>) -> Self {
        scopes.sort();
        scopes.dedup();
        Self(scopes)
    }

    /// The scopes.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of scopes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether some scope grants `action` on `target` (an index name or pattern).
    pub fn allows(&self, action: Action, target: &str) -> bool {
        self.0.iter().any(|s| s.allows(action, target))
    }

    /// Whether some scope of this set covers `scope`.
    pub fn covers(&self, scope: &Scope) -> bool {
        self.0.iter().any(|s| s.covers(scope))
    }

    /// Whether every scope of `self` is covered by `ceiling`.
    pub fn is_within(&self, ceiling: &ScopeSet) -> bool {
        self.0.iter().all(|s| ceiling.covers(s))
    }

    /// The scopes granted by both sets: each scope of one set that the other covers. Scopes
    /// that only partly overlap (`read:logs-*` and `read:*-prod`) are dropped, so the result
    /// never grants anything one of the sets does not.
    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        let mut out: Vec<Scope> = self.0.iter().filter(|s| other.covers(s)).cloned().collect();
        out.extend(other.0.iter().filter(|s| self.covers(s)).cloned());
        // Drop members covered by another member, so the set stays minimal.
        let all = out.clone();
        out.retain(|s| !all.iter().any(|t| t != s && t.covers(s)));
        Self::from_scopes(out)
    }

    /// Attenuation: the requested scopes if each lies within `allowed`, else `invalid_scope`
    /// naming the first one that does not. An empty request yields the whole of `allowed`.
    pub fn attenuate(requested: &ScopeSet, allowed: &ScopeSet) -> Result<ScopeSet> {
        if requested.is_empty() {
            return Ok(allowed.clone());
        }
        match requested.0.iter().find(|s| !allowed.covers(s)) {
            None => Ok(requested.clone()),
            Some(s) => Err(Error::new(
                Reason::ScopeNotAllowed,
                format!(
                    "scope {} exceeds what this client may hold",
                    quote(&s.to_string())
                ),
            )),
        }
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ScopeSet::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn intersection_grants_only_what_both_sets_grant() {
        let set = |s: &str| ScopeSet::parse(s).unwrap();
        let both = set("read:logs-* write:logs-app")
            .intersection(&set("read:logs-2026.* admin:metrics-*"));
        assert_eq!(both.to_string(), "read:logs-2026.*");
        let both = set("admin:*").intersection(&set("read:logs-* monitor:*"));
        assert_eq!(both.to_string(), "read:logs-* monitor:*");
        assert!(
            set("read:logs-*")
                .intersection(&set("read:*-prod"))
                .is_empty()
        );
        assert!(set("read:a").intersection(&set("write:a")).is_empty());
        // Never wider than either side, whatever the inputs.
        let a = set("read:logs-* write:x-* admin:y");
        let b = set("read:* write:x-1 monitor:y");
        let i = a.intersection(&b);
        assert!(i.is_within(&a) && i.is_within(&b), "{i}");
        assert_eq!(i, set("monitor:y read:logs-* write:x-1"));
    }
    use proptest::prelude::*;

    fn p(s: &str) -> IndexPattern {
        IndexPattern::parse(s).unwrap()
    }

    #[test]
    fn parses_the_documented_examples() {
        for s in [
            "read:logs-*",
            "write:metrics-2026.*",
            "admin:*",
            "monitor:*",
            "manage:a+b_c",
        ] {
            assert_eq!(Scope::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_malformed_scopes_with_specific_reasons() {
        let cases = [
            ("logs-*", "invalid_scope_syntax"),
            ("delete:logs", "unknown_action"),
            ("read:", "invalid_pattern"),
            ("read:Logs", "invalid_pattern"),
            ("read:-logs", "invalid_pattern"),
            ("read:_all", "invalid_pattern"),
            ("read:..", "invalid_pattern"),
            ("read:a,b", "invalid_pattern"),
            ("read:a b", "invalid_pattern"),
            ("read:a?", "invalid_pattern"),
        ];
        for (s, reason) in cases {
            let e = Scope::parse(s).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidScope, "{s}");
            assert_eq!(e.reason, reason, "{s}");
        }
        assert!(Scope::parse(&format!("read:{}", "a".repeat(256))).is_err());
    }

    #[test]
    fn matching_and_covering() {
        assert!(p("logs-*").matches("logs-demo"));
        assert!(p("logs-*").matches("logs-"));
        assert!(!p("logs-*").matches("metrics"));
        assert!(p("*").matches(".kibana"));
        assert!(p("a*b*c").matches("aXbYc"));
        assert!(!p("a*b*c").matches("aXbY"));
        assert!(p("logs-*").covers("logs-2026.*"));
        assert!(p("logs-*").covers("logs-*"));
        assert!(!p("logs-2026.*").covers("logs-*"));
        assert!(!p("logs-*").covers("*"));
        assert!(p("*").covers("*"));
        assert!(p("*-*").covers("a-*-b"));
        assert!(!p("a*").covers("*a"));
    }

    #[test]
    fn a_target_that_is_no_name_or_pattern_is_allowed_by_nothing() {
        let read = Scope::parse("read:logs-*").unwrap();
        // Read literally, the star would absorb `,secret` or `/../secret`.
        for target in [
            "logs-a,secret",
            "logs-a/../secret",
            "logs-a secret",
            "logs-A",
            "",
        ] {
            assert!(!read.allows(Action::Read, target), "{target:?}");
            assert!(!p("*").covers(target), "{target:?}");
        }
        assert!(read.allows(Action::Read, "logs-a"));
        assert!(p("*").covers(".kibana"));
    }

    #[test]
    fn admin_implies_every_action_and_nothing_else_does() {
        let admin = Scope::parse("admin:*").unwrap();
        for a in Action::ALL {
            assert!(admin.allows(a, "x"));
        }
        let read = Scope::parse("read:*").unwrap();
        assert!(!read.allows(Action::Write, "x"));
    }

    #[test]
    fn attenuation() {
        let allowed = ScopeSet::parse("read:logs-* write:logs-app").unwrap();
        let ok = ScopeSet::parse("read:logs-2026.* write:logs-app").unwrap();
        assert_eq!(ScopeSet::attenuate(&ok, &allowed).unwrap(), ok);
        let empty = ScopeSet::default();
        assert_eq!(ScopeSet::attenuate(&empty, &allowed).unwrap(), allowed);
        for bad in ["read:*", "write:logs-*", "admin:logs-app", "read:metrics"] {
            let req = ScopeSet::parse(bad).unwrap();
            let e = ScopeSet::attenuate(&req, &allowed).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidScope, "{bad}");
        }
    }

    #[test]
    fn claim_parsing_ignores_foreign_scopes() {
        let s = ScopeSet::parse_claim("openid read:logs-* profile  read:logs-*");
        assert_eq!(s.to_string(), "read:logs-*");
        assert!(ScopeSet::parse("openid").is_err());
    }

    /// A reference matcher: all ways of splitting, exponential but obviously right.
    fn naive(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|i| naive(rest, &t[i..])),
            Some((c, rest)) => t.first() == Some(c) && naive(rest, &t[1..]),
        }
    }

    proptest! {
        #[test]
        fn glob_agrees_with_the_naive_matcher(p in "[ab*]{0,8}", t in "[ab]{0,10}") {
            prop_assert_eq!(glob_match(p.as_bytes(), t.as_bytes()), naive(p.as_bytes(), t.as_bytes()));
        }

        /// Covering is sound: if q covers p then every instance of p is matched by q.
        #[test]
        fn covering_is_sound(q in "[ab*]{1,6}", p in "[ab*]{1,6}", fill in "[ab]{0,3}") {
            if glob_match(q.as_bytes(), p.as_bytes()) {
                let instance = p.replace('*', &fill);
                prop_assert!(glob_match(q.as_bytes(), instance.as_bytes()));
            }
        }

        #[test]
        fn scope_display_round_trips(a in 0usize..5, pat in "[a-z0-9][a-z0-9*.-]{0,20}") {
            let s = format!("{}:{}", Action::ALL[a], pat);
            let parsed = Scope::parse(&s).unwrap();
            prop_assert_eq!(parsed.to_string(), s);
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,40}") {
            let _ = ScopeSet::parse(&s);
            let _ = ScopeSet::parse_claim(&s);
        }
    }
}
