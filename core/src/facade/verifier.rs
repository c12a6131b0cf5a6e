//! The `Verifier` handle: one issuer's access tokens, verified over fixed keys or the issuer's
//! discovered JWKS, with the verified-token cache.

use crate::error::Reason;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::claims::Claims;
use crate::error::{Error, ErrorCode, Result};
use crate::facade::surface::{Class, Function, Param, Type};
use crate::http::ReqwestTransport;
use crate::jwk::KeySet;
use crate::jwks::JwksPolicy;
use crate::verify::{Verifier as CoreVerifier, VerifierConfig, unix_now};

/// Total timeout of one discovery or JWKS fetch.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Verifies one issuer's access tokens. Cloning shares the keys and the cache.
#[derive(Debug, Clone)]
pub struct Verifier {
    inner: Arc<CoreVerifier>,
    fixed_keys: bool,
}

/// The facade's verifier configuration: the core's `VerifierConfig` (`issuer`, `audiences`,
/// `algorithms`, `leeway`, `required_typ`) plus how keys and the cache are set up.
struct Options {
    cfg: VerifierConfig,
    jwks_uri: Option<String>,
    cache_capacity: Option<usize>,
}

fn bad(detail: &str) -> Error {
    Error::new(
        Reason::BadConfig,
        format!("invalid verifier configuration: {detail}"),
    )
}

impl Options {
    fn parse(config_json: &str) -> Result<Self> {
        let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(config_json) else {
            // Not a JSON object: the core's parser gives the precise error.
            VerifierConfig::from_json(config_json)?;
            return Err(bad("expected a JSON object"));
        };
        let jwks_uri = match map.remove("jwks_uri") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => return Err(bad("`jwks_uri` must be a string")),
        };
        let cache_capacity = match map.remove("cache_capacity") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| bad("`cache_capacity` must be a non-negative integer"))?,
            ),
        };
        let rest = Value::Object(Map::from_iter(map)).to_string();
        Ok(Self {
            cfg: VerifierConfig::from_json(&rest)?,
            jwks_uri,
            cache_capacity,
        })
    }

    fn sized(&self, v: CoreVerifier) -> CoreVerifier {
        match self.cache_capacity {
            Some(c) => v.with_cache_capacity(c),
            None => v,
        }
    }
}

impl Verifier {
    /// A verifier that discovers the issuer's JWKS (RFC 8414 / OpenID discovery), or fetches
    /// `jwks_uri` when the configuration gives one, and caches the keys.
    pub fn new(config_json: &str) -> Result<Self> {
        let opts = Options::parse(config_json)?;
        let transport = Arc::new(ReqwestTransport::new(HTTP_TIMEOUT)?);
        let v = CoreVerifier::with_jwks(
            opts.cfg.clone(),
            opts.jwks_uri.clone(),
            JwksPolicy::default(),
            transport,
        )?;
        Ok(Self {
            inner: Arc::new(opts.sized(v)),
            fixed_keys: false,
        })
    }

    /// A verifier over the keys of the JWKS document `jwks_json`; it never does I/O.
    pub fn from_jwks(jwks_json: &str, config_json: &str) -> Result<Self> {
        let opts = Options::parse(config_json)?;
        if opts.jwks_uri.is_some() {
            return Err(bad("`jwks_uri` cannot be used with fixed keys"));
        }
        let keys = KeySet::from_jwks(jwks_json.as_bytes(), &opts.cfg.algorithms)?;
        let v = CoreVerifier::with_keys(opts.cfg.clone(), keys)?;
        Ok(Self {
            inner: Arc::new(opts.sized(v)),
            fixed_keys: true,
        })
    }

    /// The claims of `token` as of `now` (seconds since the epoch; default: the clock),
    /// fetching keys when needed.
    pub async fn verify(&self, token: &str, now: Option<i64>) -> Result<Arc<Claims>> {
        self.inner
            .verify_at(token, now.unwrap_or_else(unix_now))
            .await
    }

    /// [`Verifier::verify`] without waiting: for verifiers over fixed keys (`from_jwks`).
    pub fn verify_sync(&self, token: &str, now: Option<i64>) -> Result<Arc<Claims>> {
        if !self.fixed_keys {
            return Err(Error::new(
                Reason::NeedsFixedKeys,
                "synchronous verification needs fixed keys",
            )
            .with_help("build the verifier with `from_jwks`, or use `verify`"));
        }
        let fut = pin!(self.verify(token, now));
        match fut.poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(Error::internal(
                "a verification over fixed keys waited on I/O",
            )),
        }
    }

    /// The claims of an already verified, still valid `token` from the cache, without signature
    /// work; `None` when it is not there.
    pub fn cached(&self, token: &str, now: Option<i64>) -> Option<Arc<Claims>> {
        self.inner.cached(token, now.unwrap_or_else(unix_now))
    }

    /// Forgets cached verifications of tokens with this `jti` (call it on revocation).
    pub fn revoke_jti(&self, jti: &str) {
        self.inner.revoke_jti(jti);
    }

    /// Fetches the issuer's keys now (at start-up, to fail early); nothing for fixed keys.
    pub async fn prefetch_keys(&self) -> Result<()> {
        self.inner.prefetch_keys().await
    }
}

const VERIFY_ERRORS: &[ErrorCode] = &[
    ErrorCode::InvalidToken,
    ErrorCode::Network,
    ErrorCode::Upstream,
];

const CLAIMS: Type = Type::Record("Claims");

const TOKEN_AND_NOW: &[Param] = &[
    Param::required("token", Type::Str),
    Param::optional("now", Type::Int),
];

/// The manifest entry of the class.
pub(super) const SURFACE: Class = Class {
    name: "Verifier",
    doc: "verifies one issuer's access tokens (JWS RS256, PS256, ES256, EdDSA); thread-safe",
    constructors: &[
        Function::sync(
            "new",
            "a verifier over the issuer's discovered JWKS, from the JSON verifier configuration \
             (`issuer`, `audiences`, `algorithms`, `leeway`, `required_typ`, `jwks_uri`, \
             `cache_capacity`)",
            &[Param::required("config_json", Type::Str)],
            Type::Handle("Verifier"),
            &[ErrorCode::Config],
        ),
        Function::sync(
            "from_jwks",
            "a verifier over the keys of a JWKS document; it never does I/O",
            &[
                Param::required("jwks_json", Type::Str),
                Param::required("config_json", Type::Str),
            ],
            Type::Handle("Verifier"),
            &[ErrorCode::Config],
        ),
    ],
    methods: &[
        Function::asynchronous(
            "verify",
            "the verified claims of `token` as of `now` (default: the clock)",
            TOKEN_AND_NOW,
            CLAIMS,
            VERIFY_ERRORS,
        ),
        Function::sync(
            "verify_sync",
            "`verify` without waiting, for verifiers over fixed keys (`from_jwks`)",
            TOKEN_AND_NOW,
            CLAIMS,
            &[ErrorCode::InvalidToken, ErrorCode::Config],
        ),
        Function::sync(
            "cached",
            "the claims of an already verified, still valid token from the cache, else nothing",
            TOKEN_AND_NOW,
            Type::Optional(&CLAIMS),
            &[],
        ),
        Function::sync(
            "revoke_jti",
            "forgets cached verifications of tokens with this `jti`",
            &[Param::required("jti", Type::Str)],
            Type::Unit,
            &[],
        ),
        Function::asynchronous(
            "prefetch_keys",
            "fetches the issuer's keys now (nothing for fixed keys)",
            &[],
            Type::Unit,
            &[ErrorCode::Network, ErrorCode::Upstream],
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = r#"{"issuer":"https://idp.test","audiences":["api"],"cache_capacity":8}"#;

    #[test]
    fn the_facade_fields_are_taken_out_and_the_rest_is_the_core_config() {
        let opts = Options::parse(CFG).unwrap();
        assert_eq!(opts.cache_capacity, Some(8));
        assert_eq!(opts.cfg.issuer, "https://idp.test");
        let e = Options::parse(r#"{"issuer":"i","audiences":["a"],"cache_capacity":-1}"#)
            .err()
            .unwrap();
        assert_eq!(
            (e.code, e.reason.as_str()),
            (ErrorCode::Config, "bad_config")
        );
        let e = Options::parse(r#"{"issuer":"i","audiences":["a"],"colour":"x"}"#)
            .err()
            .unwrap();
        assert!(e.message.contains("`colour`"), "{}", e.message);
        let e = Options::parse("[1]").err().unwrap();
        assert_eq!(e.code, ErrorCode::Config);
        let e = Verifier::new(r#"{"issuer":"i","audiences":[""]}"#).unwrap_err();
        assert_eq!(e.reason.as_str(), "missing_audience");
    }

    #[test]
    fn synchronous_verification_needs_fixed_keys_and_fills_the_cache() {
        let v = Verifier::new(CFG).unwrap();
        let e = v.verify_sync("a.b.c", Some(0)).unwrap_err();
        assert_eq!(e.reason.as_str(), "needs_fixed_keys");
        assert!(v.cached("a.b.c", None).is_none());

        let vectors: Value =
            serde_json::from_str(include_str!("../../conformance/vectors.json")).unwrap();
        let (jwks, cfg) = (vectors["jwks"].to_string(), vectors["verifier"].to_string());
        let now = vectors["now"].as_i64();
        let cases = vectors["verification"].as_array().unwrap();
        let good = cases.iter().find(|c| c["name"] == "valid_es256").unwrap();
        let token = good["token"].as_str().unwrap();
        let fixed = Verifier::from_jwks(&jwks, &cfg).unwrap();
        assert!(fixed.cached(token, now).is_none());
        let claims = fixed.verify_sync(token, now).unwrap();
        assert_eq!(fixed.cached(token, now), Some(claims.clone()));
        let e = fixed.verify_sync("a.b.c", now).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidToken);
        let e = Verifier::from_jwks(
            &jwks,
            r#"{"issuer":"i","audiences":["a"],"jwks_uri":"http://k"}"#,
        )
        .unwrap_err();
        assert_eq!(e.reason.as_str(), "bad_config");
    }
}
