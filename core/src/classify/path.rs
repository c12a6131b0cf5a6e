//! The request line: path segments, the query string and index expressions.

use std::borrow::Cow;

use super::invalid;
use crate::error::Reason;
use crate::error::{Error, Result, quote};
use crate::scope::IndexPattern;

/// The pattern for every index.
pub(super) const ALL: &str = "*";

/// One path segment: as sent, and percent-decoded.
#[derive(Debug)]
pub(super) struct Segment<'a> {
    /// As sent; endpoint keywords are matched on this, as OpenSearch's router does.
    pub raw: &'a str,
    /// Percent-decoded; parameters (index, id, alias name) are read from this.
    pub text: Cow<'a, str>,
}

impl Segment<'_> {
    /// Whether this segment names an endpoint rather than an index. Index names cannot start
    /// with `_`, so OpenSearch only ever binds such a segment as an index after every route
    /// with the keyword failed, and then fails on the name. `_all` is the exception, and no
    /// keyword holds a `,` or `*`, so `_all,logs` is an index expression too.
    pub fn is_keyword(&self) -> bool {
        self.raw.starts_with('_') && self.raw != "_all" && !self.raw.contains([',', '*'])
    }
}

/// Splits and decodes a path (see the module docs of `classify`).
pub(super) fn segments(path: &str) -> Result<Vec<Segment<'_>>> {
    let bad = |why: &str| {
        invalid(
            Reason::BadPath,
            format!("the path {} is not acceptable: {why}", quote(path)),
        )
    };
    let Some(rest) = path.strip_prefix('/') else {
        return Err(bad("it does not start with `/`"));
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(c) = rest.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(bad(&format!(
            "character {} must be percent-encoded",
            quote(&c.to_string())
        )));
    }
    rest.split('/')
        .map(|raw| {
            if raw.is_empty() {
                return Err(bad("it has an empty segment"));
            }
            let text =
                decode(raw, false).ok_or_else(|| bad("it has a malformed percent-escape"))?;
            if text == "." || text == ".." {
                return Err(bad("it has a `.` or `..` segment"));
            }
            if slash_outside_braces(&text) {
                return Err(bad("a segment decodes to one holding `/`"));
            }
            Ok(Segment { raw, text })
        })
        .collect()
}

/// Whether `text` holds a `/` other than inside the `{...}` of date math (`{now/d}`).
fn slash_outside_braces(text: &str) -> bool {
    let mut depth = 0usize;
    text.chars().any(|c| {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        c == '/' && depth == 0
    })
}

/// The query parameters that matter for classification.
#[derive(Debug, Default)]
pub(super) struct Query {
    /// `source`: the body, for requests sent without one.
    pub source: Option<String>,
    /// `name`: an alias name for the put-alias routes without `{name}`.
    pub name: Option<String>,
    /// Whether there is an `index` parameter.
    pub has_index: bool,
    /// `pipeline`: the ingest pipeline writes go through.
    pub pipeline: Option<String>,
    /// `scroll_id`: the scroll a continuation reads.
    pub scroll_id: Option<String>,
}

impl Query {
    /// Parses a raw query string exactly as OpenSearch's `RestUtils.decodeQueryString` does:
    /// stop at `#`; `&` and `;` separate; the first `=` splits name from value; a leading `=`
    /// is skipped; names and values are decoded with `+` as space; the last value wins.
    pub fn parse(query: Option<&str>) -> Result<Self> {
        let mut out = Self::default();
        let Some(query) = query else {
            return Ok(out);
        };
        let bad = |why: &str| invalid(Reason::BadQuery, format!("the query string {why}"));
        let query = query.split('#').next().unwrap_or_default();
        if query.chars().any(|c| !c.is_ascii_graphic()) {
            return Err(bad("has a character that must be percent-encoded"));
        }
        fn dec(s: &str) -> Result<Cow<'_, str>> {
            decode(s, true).ok_or_else(|| {
                invalid(
                    Reason::BadQuery,
                    "the query string has a malformed percent-escape".to_owned(),
                )
            })
        }
        let mut name: Option<Cow<'_, str>> = None;
        let mut pos = 0;
        for (i, c) in query.bytes().enumerate() {
            if c == b'=' && name.is_none() {
                if pos != i {
                    name = Some(dec(query.get(pos..i).unwrap_or_default())?);
                }
                pos = i + 1;
            } else if c == b'&' || c == b';' {
                let value = query.get(pos..i).unwrap_or_default();
                match name.take() {
                    None if pos != i => out.add(&dec(value)?, Cow::Borrowed("")),
                    None => {}
                    Some(n) => out.add(&n, dec(value)?),
                }
                pos = i + 1;
            }
        }
        let tail = query.get(pos..).unwrap_or_default();
        match name {
            None if !tail.is_empty() => out.add(&dec(tail)?, Cow::Borrowed("")),
            None => {}
            Some(n) => out.add(&n, dec(tail)?),
        }
        Ok(out)
    }

    fn add(&mut self, name: &str, value: Cow<'_, str>) {
        match name {
            "source" => self.source = Some(value.into_owned()),
            "name" => self.name = Some(value.into_owned()),
            "index" => self.has_index = true,
            "pipeline" => self.pipeline = Some(value.into_owned()),
            "scroll_id" => self.scroll_id = Some(value.into_owned()),
            _ => {}
        }
    }
}

/// Strict percent-decoding: `%` must start a two-digit hex escape and the result must be UTF-8.
/// `+` becomes a space only in the query string, as in OpenSearch.
fn decode(s: &str, plus_as_space: bool) -> Option<Cow<'_, str>> {
    if !s.bytes().any(|b| b == b'%' || (plus_as_space && b == b'+')) {
        return Some(Cow::Borrowed(s));
    }
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hi = hex(bytes.next()?)?;
                let lo = hex(bytes.next()?)?;
                out.push((hi << 4) | lo);
            }
            b'+' if plus_as_space => out.push(b' '),
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Normalises an index expression (a comma list) into patterns; see the module docs.
pub(super) fn index_expr(expr: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut excluded = false;
    for item in expr.split(',') {
        if item.is_empty() {
            // OpenSearch rejects an empty item; a list of nothing is every index.
            continue;
        }
        if item.starts_with('-') {
            excluded = true;
            continue;
        }
        out.push(index_item(item)?);
    }
    if out.is_empty() {
        if excluded {
            return Err(bad_index(expr, "it only excludes indices").with_help(
                "name the indices to include before the exclusions, e.g. `logs-*,-logs-old`",
            ));
        }
        out.push(ALL.to_owned());
    }
    Ok(out)
}

fn index_item(item: &str) -> Result<String> {
    if item == "_all" || item == ALL {
        return Ok(ALL.to_owned());
    }
    let name = match item.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
        Some(inner) => Cow::Owned(
            date_math(inner).ok_or_else(|| bad_index(item, "its date math is malformed"))?,
        ),
        None => Cow::Borrowed(item),
    };
    if name.contains(':') {
        return Err(invalid(
            Reason::CrossCluster,
            format!("index {} is on a remote cluster", quote(item)),
        )
        .with_help("cross-cluster requests are not supported"));
    }
    IndexPattern::parse(&name).map_err(|_| {
        bad_index(
            item,
            "index names are lowercase letters, digits, `-`, `_`, `.` and `+`, with `*` as wildcard",
        )
    })?;
    Ok(name.into_owned())
}

/// The static text of a date-math name with each `{...}` placeholder replaced by `*`.
fn date_math(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut depth = 0usize;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let escaped = chars.next()?;
                if depth == 0 {
                    out.push(escaped);
                }
            }
            '{' => {
                if depth == 0 && !out.ends_with('*') {
                    out.push('*');
                }
                depth += 1;
            }
            '}' => depth = depth.checked_sub(1)?,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    (depth == 0).then_some(out)
}

fn bad_index(item: &str, why: &str) -> Error {
    invalid(
        Reason::BadIndex,
        format!("invalid index {}: {why}", quote(item)),
    )
}
