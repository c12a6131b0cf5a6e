//! RFC 8707 resource indicators and audiences: when two names denote the same resource.
//!
//! One rule, used by the authorization server (is a `resource` one it serves, one a client may
//! have) and by every verifier (is a token's `aud` the expected one): a URL and the same URL
//! with **one** trailing slash name the same resource — `http://host` and `http://host/`,
//! `http://host/mcp` and `http://host/mcp/`. Nothing else is folded: case, default ports,
//! queries, percent-encoding and further slashes (`http://host//`) keep names apart, so a
//! comparison never widens what a token is for beyond that one slash.

/// The comparison form of a resource or audience: without one trailing slash (a lone `/`
/// stays).
pub fn canonical_resource(name: &str) -> &str {
    match name.strip_suffix('/') {
        Some(rest) if !rest.is_empty() => rest,
        _ => name,
    }
}

/// Whether `a` and `b` name the same resource (see the module docs).
pub fn same_resource(a: &str, b: &str) -> bool {
    canonical_resource(a) == canonical_resource(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_slash_is_the_only_difference_folded() {
        for (a, b) in [
            ("http://host", "http://host/"),
            ("http://host/", "http://host"),
            ("http://host/mcp", "http://host/mcp/"),
            ("https://h:8443/mcp/", "https://h:8443/mcp"),
            ("http://host/mcp", "http://host/mcp"),
            ("urn:example:api", "urn:example:api"),
        ] {
            assert!(same_resource(a, b), "{a} ~ {b}");
        }
        for (a, b) in [
            ("http://host", "http://host//"),
            ("http://host/mcp", "http://host/mcp//"),
            ("http://host/mcp", "http://host"),
            ("http://host/mcp", "http://host/mcpx"),
            ("http://HOST", "http://host"),
            ("http://host:80", "http://host"),
            ("http://host/mcp?x", "http://host/mcp/?x"),
            ("https://host", "http://host"),
            ("", "/"),
        ] {
            assert!(!same_resource(a, b), "{a} !~ {b}");
        }
        assert_eq!(canonical_resource("/"), "/");
        assert_eq!(canonical_resource("http://h/mcp/"), "http://h/mcp");
    }
}
