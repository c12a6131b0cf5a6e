//! Strict compact-JWS parsing (RFC 7515 §7.1), before any key or signature work.
//!
//! The parser is deliberately unforgiving: a size cap checked before anything else, exactly
//! three segments, base64url without padding and with canonical trailing bits, a header that
//! is a JSON object with a string `alg`, no `crit` extensions, and `jku`/`x5u`/`jwk`/`x5c`
//! ignored for key selection (keys only ever come from configuration or the issuer's JWKS).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Reason, Result, quote};

/// Largest token accepted, in bytes. Checked before any parsing.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;
/// Largest encoded header accepted, in bytes.
pub const MAX_HEADER_LEN: usize = 2 * 1024;
/// Longest `kid` accepted.
pub const MAX_KID_LEN: usize = 256;

/// The signature algorithms oauth4os verifies. HMAC and `none` are not among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// ECDSA P-256 with SHA-256, signature as raw `r || s`.
    ES256,
    /// Ed25519.
    EdDSA,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Algorithm; 4] = [
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ];

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::PS256 => "PS256",
            Algorithm::ES256 => "ES256",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// Parses a JOSE `alg` value, telling apart the dangerous ones.
    pub fn from_jose(alg: &str) -> Result<Self> {
        match alg {
            "RS256" => Ok(Algorithm::RS256),
            "PS256" => Ok(Algorithm::PS256),
            "ES256" => Ok(Algorithm::ES256),
            "EdDSA" => Ok(Algorithm::EdDSA),
            a if a.eq_ignore_ascii_case("none") => Err(Error::new(
                Reason::AlgNone,
                "unsigned tokens (`alg: none`) are never accepted",
            )),
            "HS256" | "HS384" | "HS512" => Err(Error::new(
                Reason::AlgNotAllowed,
                format!("symmetric algorithm {} is not accepted", quote(alg)),
            )
            .with_help("access tokens must be signed with the issuer's private key")),
            other => Err(Error::new(
                Reason::UnsupportedAlg,
                format!("algorithm {} is not supported", quote(other)),
            )
            .with_help("supported algorithms are RS256, PS256, ES256 and EdDSA")),
        }
    }

    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
            Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
            Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
            Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        }
    }
}

impl std::str::FromStr for Algorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::from_jose(s)
    }
}

/// The header fields oauth4os reads. Everything else is ignored, in particular `jku`, `x5u`,
/// `jwk` and `x5c`: keys never come from the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The declared algorithm (still checked against the key and configuration).
    pub alg: Algorithm,
    /// The key id, if any.
    pub kid: Option<String>,
    /// The media type, if any (`at+jwt` for RFC 9068 access tokens).
    pub typ: Option<String>,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: serde_json::Value,
    #[serde(default)]
    kid: Option<serde_json::Value>,
    #[serde(default)]
    typ: Option<serde_json::Value>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// A parsed, not yet verified, compact JWS.
#[derive(Debug, Clone)]
pub struct CompactJws<'a> {
    /// The header.
    pub header: Header,
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`: what the signature covers.
    pub signing_input: &'a str,
    /// The third segment, still encoded (validated as canonical base64url).
    pub signature_b64: &'a str,
    /// The decoded payload bytes.
    pub payload: Vec<u8>,
}

fn decode_segment(seg: &str, what: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(seg).map_err(|_| {
        Error::new(
            Reason::BadBase64,
            format!("the token's {what} is not base64url without padding"),
        )
    })
}

/// Parses a compact JWS strictly. Does no cryptography.
pub fn parse(token: &str) -> Result<CompactJws<'_>> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Error::new(
            Reason::TokenTooLarge,
            format!("the token is larger than {MAX_TOKEN_LEN} bytes"),
        ));
    }
    let mut parts = token.splitn(4, '.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::new(
            Reason::Malformed,
            "the token is not a compact JWS of exactly three segments",
        ));
    };
    if h.is_empty() || p.is_empty() || s.is_empty() {
        return Err(Error::new(
            Reason::Malformed,
            "the token has an empty segment",
        ));
    }
    if h.len() > MAX_HEADER_LEN {
        return Err(Error::new(
            Reason::HeaderTooLarge,
            format!("the token header is larger than {MAX_HEADER_LEN} bytes"),
        ));
    }
    let header_bytes = decode_segment(h, "header")?;
    let header = parse_header(&header_bytes)?;
    let payload = decode_segment(p, "payload")?;
    // Validate the signature encoding now; the backend decodes it again.
    decode_segment(s, "signature")?;
    let signing_input = token
        .get(..h.len() + 1 + p.len())
        .ok_or_else(|| Error::internal("signing input out of range"))?;
    Ok(CompactJws {
        header,
        signing_input,
        signature_b64: s,
        payload,
    })
}

/// The `iss` of a token, read WITHOUT verification: only to pick which verifier (tenant) must
/// verify it, which then checks `iss` again. Never trust anything else this returns.
/// Only `iss` is decoded; no map of every claim is built.
pub fn unverified_issuer(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Iss<'a> {
        #[serde(borrow)]
        iss: Option<std::borrow::Cow<'a, str>>,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let v: Iss<'_> = serde_json::from_slice(&bytes).ok()?;
    v.iss.map(std::borrow::Cow::into_owned)
}

fn parse_header(bytes: &[u8]) -> Result<Header> {
    let bad = |m: &str| Error::new(Reason::BadHeader, m.to_owned());
    let raw: RawHeader = serde_json::from_slice(bytes)
        .map_err(|_| bad("the token header is not a JSON object with an `alg`"))?;
    let serde_json::Value::String(alg) = raw.alg else {
        return Err(bad("the token header's `alg` is not a string"));
    };
    let alg = Algorithm::from_jose(&alg)?;
    if raw.crit.is_some() {
        return Err(Error::new(
            Reason::CritUnsupported,
            "the token header has critical extensions (`crit`) this verifier does not understand",
        ));
    }
    let kid = match raw.kid {
        None => None,
        Some(serde_json::Value::String(k)) if !k.is_empty() && k.len() <= MAX_KID_LEN => Some(k),
        Some(_) => {
            return Err(bad(
                "the token header's `kid` is not a non-empty string of at most 256 bytes",
            ));
        }
    };
    let typ = match raw.typ {
        None => None,
        Some(serde_json::Value::String(t)) => Some(t),
        Some(_) => return Err(bad("the token header's `typ` is not a string")),
    };
    Ok(Header { alg, kid, typ })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unverified_issuer_is_read_from_the_payload_only() {
        let enc = |v: &str| URL_SAFE_NO_PAD.encode(v);
        let token = format!(
            "{}.{}.sig",
            enc(r#"{"alg":"ES256"}"#),
            enc(r#"{"iss":"https://a.example","sub":"x"}"#)
        );
        assert_eq!(
            unverified_issuer(&token).as_deref(),
            Some("https://a.example")
        );
        for bad in [
            "",
            "a",
            "a.!!!.c",
            &format!("h.{}.s", enc("[1]")),
            &format!("h.{}.s", enc("{}")),
        ] {
            assert_eq!(unverified_issuer(bad), None, "{bad}");
        }
    }
    use proptest::prelude::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn tok(header: &str) -> String {
        format!("{}.{}.{}", b64(header), b64("{}"), b64("sig"))
    }

    #[test]
    fn parses_a_well_formed_token() {
        let t = tok(r#"{"alg":"ES256","kid":"k1","typ":"at+jwt","jku":"https://evil"}"#);
        let jws = parse(&t).unwrap();
        assert_eq!(jws.header.alg, Algorithm::ES256);
        assert_eq!(jws.header.kid.as_deref(), Some("k1"));
        assert_eq!(jws.header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(jws.payload, b"{}");
        assert!(t.starts_with(jws.signing_input));
    }

    #[test]
    fn rejects_with_specific_reasons() {
        let cases: Vec<(String, &str)> = vec![
            ("a.b".into(), "malformed"),
            ("a.b.c.d".into(), "malformed"),
            (".b.c".into(), "malformed"),
            (".".repeat(100_000), "token_too_large"),
            (".".repeat(10), "malformed"),
            (
                format!("{}.e30.c2ln", "a".repeat(MAX_HEADER_LEN + 1)),
                "header_too_large",
            ),
            ("e30=.e30.c2ln".into(), "bad_base64"),
            ("e30+.e30.c2ln".into(), "bad_base64"),
            (tok(r#"{"alg":"none"}"#), "alg_none"),
            (tok(r#"{"alg":"nOnE"}"#), "alg_none"),
            (tok(r#"{"alg":"HS256"}"#), "alg_not_allowed"),
            (tok(r#"{"alg":"ES512"}"#), "unsupported_alg"),
            (tok(r#"{"alg":256}"#), "bad_header"),
            (tok(r#"{"kid":"x"}"#), "bad_header"),
            (tok(r#"[1]"#), "bad_header"),
            (tok(r#"{"alg":"ES256","crit":["exp"]}"#), "crit_unsupported"),
            (tok(r#"{"alg":"ES256","kid":7}"#), "bad_header"),
            (
                tok(&format!(r#"{{"alg":"ES256","kid":"{}"}}"#, "k".repeat(300))),
                "bad_header",
            ),
            (tok(r#"{"alg":"ES256","typ":["at+jwt"]}"#), "bad_header"),
            (tok(r#"{"alg":"ES256","alg":"none"}"#), "bad_header"),
        ];
        for (t, reason) in cases {
            let e = parse(&t).unwrap_err();
            assert_eq!(e.reason, reason, "token {:.60}", t);
            assert_eq!(e.code, crate::ErrorCode::InvalidToken);
        }
    }

    #[test]
    fn non_canonical_trailing_bits_are_rejected() {
        // "e30" is "{}"; "e31" decodes to the same bytes with non-zero trailing bits.
        let e = parse("e31.e30.c2ln").unwrap_err();
        assert_eq!(e.reason, "bad_base64");
    }

    proptest! {
        #[test]
        fn never_panics(s in "[A-Za-z0-9_.=+/-]{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_any_header(h in "\\PC{0,100}") {
            let _ = parse(&tok(&h));
        }
    }
}
