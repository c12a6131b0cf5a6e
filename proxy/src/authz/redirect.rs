//! Redirect URI matching: exact string comparison (RFC 6749 §3.1.2.3, OAuth 2.1 §2.3.1), with
//! the one exception RFC 8252 §7.3 requires for native apps: a registered loopback redirect
//! URI on an IP literal (`http://127.0.0.1/...`, `http://[::1]/...`) matches the same URI on
//! any port, because the app listens on whatever port the system gives it. Scheme, host, path
//! and query must still be identical.
//!
//! `localhost` is not a loopback IP literal: it is a name that a hosts file, a resolver or a
//! proxy may map elsewhere (RFC 8252 §8.3 calls it NOT RECOMMENDED), so a `localhost`
//! redirect URI is compared exactly, port included. Register the exact port (e.g. Claude
//! Code's `--callback-port`), or use `127.0.0.1`.

/// The port and the rest of a loopback IP literal redirect URI: `http://127.0.0.1:8080/cb` →
/// `("http://127.0.0.1", Some("8080"), "/cb")`. `None` for any other URI.
fn loopback_parts(uri: &str) -> Option<(&str, Option<&str>, &str)> {
    let host_end = ["http://127.0.0.1", "http://[::1]"]
        .iter()
        .find(|p| uri.starts_with(**p))?
        .len();
    let (origin, rest) = uri.split_at_checked(host_end)?;
    let (port, rest) = match rest.strip_prefix(':') {
        Some(after) => {
            let end = after.find(['/', '?']).unwrap_or(after.len());
            let (port, rest) = after.split_at_checked(end)?;
            if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            port.parse::<u16>().ok().filter(|p| *p != 0)?;
            (Some(port), rest)
        }
        None => (None, rest),
    };
    if !(rest.is_empty() || rest.starts_with(['/', '?'])) {
        return None;
    }
    Some((origin, port, rest))
}

/// Whether a requested redirect URI matches a registered one (see the module docs).
pub(crate) fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    match (loopback_parts(registered), loopback_parts(requested)) {
        (Some((o1, _, r1)), Some((o2, _, r2))) => o1 == o2 && normalize(r1) == normalize(r2),
        _ => false,
    }
}

/// An empty path is `/` (RFC 3986 §6.2.3): `http://127.0.0.1:5000` and `http://127.0.0.1/`.
fn normalize(rest: &str) -> std::borrow::Cow<'_, str> {
    if rest.is_empty() || rest.starts_with('?') {
        format!("/{rest}").into()
    } else {
        rest.into()
    }
}

#[cfg(test)]
mod tests {
    use super::redirect_matches;

    #[test]
    fn exact_except_the_port_of_loopback_ip_literals() {
        for (reg, req) in [
            ("https://app.example/cb", "https://app.example/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:53123/cb"),
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1:1/cb"),
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1/cb"),
            ("http://[::1]/cb?x=1", "http://[::1]:65535/cb?x=1"),
            ("http://127.0.0.1", "http://127.0.0.1:9000/"),
            (
                "http://localhost:3000/callback",
                "http://localhost:3000/callback",
            ),
        ] {
            assert!(redirect_matches(reg, req), "{reg} matches {req}");
        }
        for (reg, req) in [
            ("https://app.example/cb", "https://app.example/cb/"),
            ("https://app.example/cb", "https://app.example:444/cb"),
            ("https://app.example/cb", "https://APP.example/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:53123/cb/"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:53123/cbx"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:0/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:99999/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:80x/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1.evil.example/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1@evil.example/cb"),
            ("http://127.0.0.1/cb", "http://[::1]:5000/cb"),
            ("http://127.0.0.1/cb", "https://127.0.0.1:5000/cb"),
            ("http://[::1]/cb", "http://[::1]:5000/cb?x"),
            (
                "http://localhost/callback",
                "http://localhost:3000/callback",
            ),
            (
                "http://localhost:3000/callback",
                "http://localhost:3001/callback",
            ),
            ("http://127.0.0.1:8080/cb", "http://localhost:8080/cb"),
        ] {
            assert!(!redirect_matches(reg, req), "{reg} does not match {req}");
        }
    }
}
