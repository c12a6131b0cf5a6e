//! The scope helpers every SDK exposes, over space-separated scope strings
//! (`read:logs-* write:metrics-2026.*`). Invalid input is an `invalid_scope` error.

use crate::error::{ErrorCode, Result};
use crate::facade::surface::{Function, Namespace, Param, Type};
use crate::scope::{Action, IndexPattern, Scope, ScopeSet};

/// The normal form of a scope list: validated, deduplicated, sorted, space-separated.
pub fn normalize(scopes: &str) -> Result<String> {
    Ok(ScopeSet::parse(scopes)?.to_string())
}

/// Whether `granted` allows `action` (`read`, `write`, `manage`, `monitor`, `admin`) on
/// `target`, an index name or pattern.
pub fn allows(granted: &str, action: &str, target: &str) -> Result<bool> {
    Ok(ScopeSet::parse(granted)?.allows(action.parse::<Action>()?, target))
}

/// Whether some scope of `granted` grants everything the single scope `scope` grants.
pub fn covers(granted: &str, scope: &str) -> Result<bool> {
    Ok(ScopeSet::parse(granted)?.covers(&Scope::parse(scope)?))
}

/// Whether every scope of `requested` lies within `ceiling`.
pub fn is_within(requested: &str, ceiling: &str) -> Result<bool> {
    Ok(ScopeSet::parse(requested)?.is_within(&ScopeSet::parse(ceiling)?))
}

/// What may be granted of `requested` under `allowed` (all of `allowed` when `requested` is
/// empty); `invalid_scope` naming the first scope that exceeds it.
pub fn attenuate(requested: &str, allowed: &str) -> Result<String> {
    let granted = ScopeSet::attenuate(&ScopeSet::parse(requested)?, &ScopeSet::parse(allowed)?)?;
    Ok(granted.to_string())
}

/// Whether the index pattern `pattern` (`logs-*`) matches the index name `index`.
pub fn matches(pattern: &str, index: &str) -> Result<bool> {
    Ok(IndexPattern::parse(pattern)?.matches(index))
}

const SCOPE_ERRORS: &[ErrorCode] = &[ErrorCode::InvalidScope];

/// The manifest entry of this namespace.
pub(super) const SURFACE: Namespace = Namespace {
    name: "scopes",
    doc: "the scope grammar (`<action>:<index-pattern>`) over space-separated scope strings",
    functions: &[
        Function::sync(
            "normalize",
            "the normal form: validated, deduplicated, sorted",
            &[Param::required("scopes", Type::Str)],
            Type::Str,
            SCOPE_ERRORS,
        ),
        Function::sync(
            "allows",
            "whether `granted` allows `action` on `target` (an index name or pattern)",
            &[
                Param::required("granted", Type::Str),
                Param::required("action", Type::Str),
                Param::required("target", Type::Str),
            ],
            Type::Bool,
            SCOPE_ERRORS,
        ),
        Function::sync(
            "covers",
            "whether some scope of `granted` grants everything the single `scope` grants",
            &[
                Param::required("granted", Type::Str),
                Param::required("scope", Type::Str),
            ],
            Type::Bool,
            SCOPE_ERRORS,
        ),
        Function::sync(
            "is_within",
            "whether every scope of `requested` lies within `ceiling`",
            &[
                Param::required("requested", Type::Str),
                Param::required("ceiling", Type::Str),
            ],
            Type::Bool,
            SCOPE_ERRORS,
        ),
        Function::sync(
            "attenuate",
            "what may be granted of `requested` under `allowed` (all of it when empty)",
            &[
                Param::required("requested", Type::Str),
                Param::required("allowed", Type::Str),
            ],
            Type::Str,
            SCOPE_ERRORS,
        ),
        Function::sync(
            "matches",
            "whether the index pattern `pattern` matches the index name `index`",
            &[
                Param::required("pattern", Type::Str),
                Param::required("index", Type::Str),
            ],
            Type::Bool,
            SCOPE_ERRORS,
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_helpers_answer_through_the_core_rules() {
        assert_eq!(
            normalize("write:b read:a read:a").unwrap(),
            "read:a write:b"
        );
        assert!(allows("read:logs-*", "read", "logs-1").unwrap());
        assert!(!allows("read:logs-*", "write", "logs-1").unwrap());
        assert!(covers("read:logs-* write:x", "read:logs-app").unwrap());
        assert!(!covers("read:logs-app", "read:logs-*").unwrap());
        assert!(is_within("read:logs-app", "read:logs-*").unwrap());
        assert!(!is_within("read:*", "read:logs-*").unwrap());
        assert_eq!(attenuate("", "read:a").unwrap(), "read:a");
        assert!(matches("logs-*", "logs-2026").unwrap());
        assert!(!matches("logs-*", "metrics").unwrap());
    }

    #[test]
    fn bad_input_is_invalid_scope_with_its_reason() {
        let e = normalize("read:Logs").unwrap_err();
        assert_eq!(
            (e.code, e.reason.as_str()),
            (ErrorCode::InvalidScope, "invalid_pattern")
        );
        let e = attenuate("admin:*", "read:logs-*").unwrap_err();
        assert_eq!(e.reason.as_str(), "scope_not_allowed");
        assert!(allows("read:a", "fly", "a").is_err());
    }
}
