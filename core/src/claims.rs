//! Access-token claims and their checks (RFC 7519, RFC 9068).
//!
//! Time claims are accepted only as JSON numbers: a string `exp` is an error, never skipped.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Reason;
use crate::error::{Error, Result, quote};

/// Verified claims of an access token: the cross-language `Claims` type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Audiences (a single-string `aud` becomes a one-element list).
    pub aud: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not before, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Issued at, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The OAuth client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Space-separated scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The oauth4os tenant, in tokens the proxy issues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Every other claim, unchanged.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

/// What the claims must satisfy.
#[derive(Debug, Clone)]
pub struct ClaimRules {
    /// The exact issuer.
    pub issuer: String,
    /// Accepted audiences; the token's `aud` must contain one of them.
    pub audiences: Vec<String>,
    /// Tolerated clock difference, in seconds.
    pub leeway: u64,
}

fn time_claim(map: &mut Map<String, Value>, name: &str) -> Result<Option<i64>> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            let v = n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 1e15)
                    .map(|f| f.floor() as i64)
            });
            v.map(Some)
                .ok_or_else(|| bad_claim(name, "is out of range"))
        }
        Some(_) => Err(bad_claim(name, "is not a JSON number")),
    }
}

fn string_claim(map: &mut Map<String, Value>, name: &str) -> Result<Option<String>> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad_claim(name, "is not a string")),
    }
}

fn bad_claim(name: &str, why: &str) -> Error {
    Error::new(Reason::BadClaim, format!("claim {} {why}", quote(name)))
}

/// Normalises an audience for comparison: the rule of [`crate::resource::canonical_resource`]
/// (one trailing slash is not a difference).
pub fn normalize_audience(aud: &str) -> &str {
    crate::resource::canonical_resource(aud)
}

impl Claims {
    /// Parses a JWT payload into claims, checking the types of the registered claims.
    pub fn from_payload(payload: &[u8]) -> Result<Self> {
        let value: Value = serde_json::from_slice(payload)
            .map_err(|_| Error::new(Reason::BadPayload, "the token payload is not valid JSON"))?;
        let Value::Object(mut map) = value else {
            return Err(Error::new(
                Reason::BadPayload,
                "the token payload is not a JSON object",
            ));
        };
        let exp = time_claim(&mut map, "exp")?;
        let nbf = time_claim(&mut map, "nbf")?;
        let iat = time_claim(&mut map, "iat")?;
        let iss = string_claim(&mut map, "iss")?;
        let aud = match map.remove("aud") {
            None => Vec::new(),
            Some(Value::String(s)) => vec![s],
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(bad_claim("aud", "has a member that is not a string")),
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(bad_claim("aud", "is neither a string nor an array")),
        };
        let sub = string_claim(&mut map, "sub")?;
        let jti = string_claim(&mut map, "jti")?;
        let client_id = string_claim(&mut map, "client_id")?;
        let scope = string_claim(&mut map, "scope")?;
        let tenant = string_claim(&mut map, "tenant")?;
        let Some(iss) = iss else {
            return Err(Error::new(
                Reason::MissingIss,
                "the token has no `iss` claim",
            ));
        };
        let Some(exp) = exp else {
            return Err(Error::new(
                Reason::MissingExp,
                "the token has no `exp` claim; access tokens must expire",
            ));
        };
        Ok(Self {
            iss,
            sub,
            aud,
            exp,
            nbf,
            iat,
            jti,
            client_id,
            scope,
            tenant,
            extra: map,
        })
    }

    /// The SHA-256 thumbprint (base64url) of the TLS client certificate the token is bound to
    /// (RFC 8705 §3.1: `cnf` with `x5t#S256`), `None` for a token without `cnf`. A `cnf` that
    /// is not an object, or binds the token by a method this suite cannot check, is an error:
    /// such a token must never pass as an unbound one.
    pub fn certificate_thumbprint(&self) -> Result<Option<&str>> {
        let Some(cnf) = self.extra.get("cnf") else {
            return Ok(None);
        };
        let Some(cnf) = cnf.as_object() else {
            return Err(bad_claim("cnf", "is not an object"));
        };
        match cnf.get("x5t#S256") {
            Some(Value::String(t)) if !t.is_empty() => Ok(Some(t.as_str())),
            Some(_) => Err(bad_claim(
                "cnf",
                "has an `x5t#S256` that is not a thumbprint",
            )),
            None => Err(bad_claim(
                "cnf",
                "binds the token by a method other than `x5t#S256`, which this server cannot check",
            )),
        }
    }

    /// Checks issuer, audience and time claims at `now` (seconds since the epoch).
    pub fn check(&self, rules: &ClaimRules, now: i64) -> Result<()> {
        if self.iss != rules.issuer {
            return Err(Error::new(
                Reason::WrongIssuer,
                format!("issuer {} is not the one expected", quote(&self.iss)),
            ));
        }
        if self.aud.is_empty() {
            return Err(Error::new(
                Reason::MissingAud,
                "the token has no `aud` claim",
            ));
        }
        let ok = self.aud.iter().any(|a| {
            rules
                .audiences
                .iter()
                .any(|want| crate::resource::same_resource(a, want))
        });
        if !ok {
            return Err(Error::new(
                Reason::WrongAudience,
                "the token is not meant for this audience",
            ));
        }
        let leeway = i64::try_from(rules.leeway).unwrap_or(i64::MAX);
        if now.saturating_sub(leeway) >= self.exp {
            return Err(Error::new(Reason::Expired, "the token has expired"));
        }
        if self.nbf.is_some_and(|nbf| now.saturating_add(leeway) < nbf) {
            return Err(Error::new(
                Reason::NotYetValid,
                "the token is not valid yet",
            ));
        }
        if self.iat.is_some_and(|iat| now.saturating_add(leeway) < iat) {
            return Err(Error::new(
                Reason::IatInFuture,
                "the token claims to be issued in the future",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> ClaimRules {
        ClaimRules {
            issuer: "https://idp.example".into(),
            audiences: vec!["https://api.example/".into()],
            leeway: 60,
        }
    }

    #[test]
    fn an_audience_matches_with_or_without_one_trailing_slash_both_ways() {
        let rules_for = |aud: &str| ClaimRules {
            issuer: "https://idp.example".into(),
            audiences: vec![aud.into()],
            leeway: 60,
        };
        let token = |aud: &str| {
            Claims::from_payload(
                format!(r#"{{"iss":"https://idp.example","aud":"{aud}","exp":2000}}"#).as_bytes(),
            )
            .unwrap()
        };
        for (token_aud, expected) in [
            ("http://host/", "http://host"),
            ("http://host", "http://host/"),
            ("http://host/mcp/", "http://host/mcp"),
            ("http://host/mcp", "http://host/mcp/"),
        ] {
            assert!(
                token(token_aud).check(&rules_for(expected), 1000).is_ok(),
                "{token_aud} for {expected}"
            );
        }
        for (token_aud, expected) in [
            ("http://host/mcp", "http://host"),
            ("http://host", "http://host/mcp"),
            ("http://host//", "http://host"),
        ] {
            let e = token(token_aud)
                .check(&rules_for(expected), 1000)
                .unwrap_err();
            assert_eq!(
                e.reason,
                Reason::WrongAudience,
                "{token_aud} for {expected}"
            );
        }
    }

    fn claims(json: &str) -> Result<Claims> {
        Claims::from_payload(json.as_bytes())
    }

    #[test]
    fn accepts_good_claims_with_normalised_audience() {
        let c = claims(
            r#"{"iss":"https://idp.example","aud":["x","https://api.example"],"exp":2000,"iat":1000,"scope":"read:a","foo":1}"#,
        )
        .unwrap();
        c.check(&rules(), 1500).unwrap();
        assert_eq!(c.extra["foo"], 1);
        assert_eq!(c.scope.as_deref(), Some("read:a"));
    }

    #[test]
    fn time_claims_must_be_numbers() {
        for (j, reason) in [
            (r#"{"iss":"i","exp":"2000"}"#, "bad_claim"),
            (r#"{"iss":"i","exp":2000,"nbf":"1"}"#, "bad_claim"),
            (r#"{"iss":"i","exp":2000,"iat":true}"#, "bad_claim"),
            (r#"{"iss":"i","exp":1e300}"#, "bad_claim"),
            (r#"{"iss":"i"}"#, "missing_exp"),
            (r#"{"exp":1}"#, "missing_iss"),
            (r#"{"iss":"i","exp":1,"aud":7}"#, "bad_claim"),
            (r#"{"iss":"i","exp":1,"aud":["a",7]}"#, "bad_claim"),
            (r#"{"iss":1,"exp":1}"#, "bad_claim"),
            (r#"[1]"#, "bad_payload"),
            (r#"{"#, "bad_payload"),
        ] {
            assert_eq!(claims(j).unwrap_err().reason, reason, "{j}");
        }
        assert_eq!(claims(r#"{"iss":"i","exp":1999.9}"#).unwrap().exp, 1999);
    }

    #[test]
    fn checks_in_order_with_leeway() {
        let base = |extra: &str| {
            claims(&format!(
                r#"{{"iss":"https://idp.example","aud":"https://api.example","exp":1000{extra}}}"#
            ))
            .unwrap()
        };
        let r = rules();
        assert!(base("").check(&r, 1059).is_ok());
        assert_eq!(base("").check(&r, 1060).unwrap_err().reason, "expired");
        assert_eq!(
            base(r#","nbf":900"#).check(&r, 839).unwrap_err().reason,
            "not_yet_valid"
        );
        assert!(base(r#","nbf":900"#).check(&r, 840).is_ok());
        assert_eq!(
            base(r#","iat":900"#).check(&r, 800).unwrap_err().reason,
            "iat_in_future"
        );
        let wrong_iss = claims(r#"{"iss":"https://evil","aud":"https://api.example","exp":1000}"#);
        assert_eq!(
            wrong_iss.unwrap().check(&r, 0).unwrap_err().reason,
            "wrong_issuer"
        );
        let no_aud = claims(r#"{"iss":"https://idp.example","exp":1000}"#).unwrap();
        assert_eq!(no_aud.check(&r, 0).unwrap_err().reason, "missing_aud");
        let other_aud =
            claims(r#"{"iss":"https://idp.example","aud":"https://api.example.evil","exp":1000}"#);
        assert_eq!(
            other_aud.unwrap().check(&r, 0).unwrap_err().reason,
            "wrong_audience"
        );
    }
}
