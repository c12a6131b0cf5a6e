//! Access-token verification: strict parsing, a pinned algorithm, the signature, then claims.
//!
//! Order of checks (the first failure is reported): size and structure, header (`alg` never
//! `none` or HMAC), algorithm allowed for the issuer, key by `kid` (one rate-limited JWKS
//! refresh when unknown), signature, `typ` when required, then `iss`, `aud`, `exp`, `nbf`, `iat`.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::cache::VerifiedCache;
use crate::claims::{ClaimRules, Claims};
use crate::error::Reason;
use crate::error::{Error, Result, quote};
use crate::http::HttpTransport;
use crate::jwk::{KeySet, VerifyingKey};
use crate::jwks::{JwksCache, JwksPolicy};
use crate::jws::{self, Algorithm, CompactJws};

/// Default tolerated clock skew, in seconds.
pub const DEFAULT_LEEWAY: u64 = 60;
/// Default capacity of the verified-token cache.
pub const DEFAULT_CACHE_CAPACITY: usize = 4096;

/// How tokens of one issuer are verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierConfig {
    /// The exact `iss`.
    pub issuer: String,
    /// Accepted audiences (at least one).
    pub audiences: Vec<String>,
    /// Algorithms this issuer may use.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<Algorithm>,
    /// Tolerated clock skew in seconds.
    #[serde(default = "default_leeway")]
    pub leeway: u64,
    /// A required `typ` header, e.g. `at+jwt` (`application/at+jwt` is accepted for it).
    #[serde(default)]
    pub required_typ: Option<String>,
}

fn default_algorithms() -> Vec<Algorithm> {
    Algorithm::ALL.to_vec()
}

fn default_leeway() -> u64 {
    DEFAULT_LEEWAY
}

impl VerifierConfig {
    /// Parses the JSON form every binding passes across; a bad field is a `config` error
    /// that names it. The result is validated.
    pub fn from_json(json: &str) -> Result<Self> {
        let cfg: Self = serde_json::from_str(json)
            .map_err(|e| crate::client::config_json_error("verifier", &e))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// A configuration with the defaults: every supported algorithm, 60 s leeway, any `typ`.
    pub fn new(issuer: &str, audience: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audiences: vec![audience.to_owned()],
            algorithms: default_algorithms(),
            leeway: DEFAULT_LEEWAY,
            required_typ: None,
        }
    }

    /// Checks the configuration itself.
    pub fn validate(&self) -> Result<()> {
        if self.issuer.is_empty() {
            return Err(Error::new(
                Reason::MissingIssuer,
                "the verifier needs an issuer",
            ));
        }
        if self.audiences.iter().all(|a| a.is_empty()) {
            return Err(
                Error::new(Reason::MissingAudience, "the verifier needs an audience").with_help(
                    "tokens without an audience check could be replayed against any service",
                ),
            );
        }
        if self.algorithms.is_empty() {
            return Err(Error::new(
                Reason::MissingAlgorithms,
                "the verifier needs at least one algorithm",
            ));
        }
        Ok(())
    }

    fn rules(&self) -> ClaimRules {
        ClaimRules {
            issuer: self.issuer.clone(),
            audiences: self.audiences.clone(),
            leeway: self.leeway,
        }
    }
}

/// Seconds since the epoch, now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Enforces a certificate-bound token (RFC 8705 §3): a token whose `cnf` carries `x5t#S256`
/// is accepted only over a connection whose TLS client certificate has that SHA-256
/// thumbprint. `presented` is the base64url (unpadded) SHA-256 of the DER of the client
/// certificate of the request's connection, `None` when it presented none. A token without
/// `cnf` passes whatever the connection presented. Every front (the OpenSearch pipeline, the
/// MCP endpoint) calls this after verifying the token and before deciding.
pub fn check_certificate_binding(claims: &Claims, presented: Option<&str>) -> Result<()> {
    let Some(bound) = claims.certificate_thumbprint()? else {
        return Ok(());
    };
    match presented {
        None => Err(Error::new(
            Reason::CertificateRequired,
            "the token is bound to a TLS client certificate; present it on the connection",
        )),
        Some(p) if p.as_bytes() == bound.as_bytes() => Ok(()),
        Some(_) => Err(Error::new(
            Reason::CertificateMismatch,
            "the TLS client certificate of the connection is not the one the token is bound to",
        )),
    }
}

/// Header checks that need no key: algorithm allowed, `typ` when required.
fn check_header(jws: &CompactJws<'_>, cfg: &VerifierConfig) -> Result<()> {
    if !cfg.algorithms.contains(&jws.header.alg) {
        return Err(Error::new(
            Reason::AlgNotAllowed,
            format!(
                "algorithm {} is not allowed for this issuer",
                jws.header.alg.as_str()
            ),
        ));
    }
    if let Some(want) = &cfg.required_typ {
        let got = jws.header.typ.as_deref().unwrap_or("");
        let got = got.strip_prefix("application/").unwrap_or(got);
        if !got.eq_ignore_ascii_case(want) {
            return Err(Error::new(
                Reason::WrongTyp,
                format!(
                    "the token's `typ` is {} but {} is required",
                    quote(got),
                    quote(want)
                ),
            ));
        }
    }
    Ok(())
}

fn check_signature(jws: &CompactJws<'_>, keys: &[VerifyingKey]) -> Result<()> {
    let mut last = Error::new(Reason::UnknownKid, "no key of the issuer matches the token");
    for key in keys {
        match key.verify(
            jws.header.alg,
            jws.signing_input.as_bytes(),
            jws.signature_b64,
        ) {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn finish(jws: &CompactJws<'_>, cfg: &VerifierConfig, now: i64) -> Result<Claims> {
    let claims = Claims::from_payload(&jws.payload)?;
    claims.check(&cfg.rules(), now)?;
    Ok(claims)
}

/// Verifies `token` against a fixed key set at time `now`. No I/O, no cache.
pub fn verify_with_keys(
    token: &str,
    cfg: &VerifierConfig,
    keys: &KeySet,
    now: i64,
) -> Result<Claims> {
    let jws = jws::parse(token)?;
    check_header(&jws, cfg)?;
    let candidates = keys.keys_for(jws.header.kid.as_deref(), jws.header.alg);
    check_signature(&jws, &candidates)?;
    finish(&jws, cfg, now)
}

enum Keys {
    Static(Arc<KeySet>),
    Jwks(Arc<JwksCache>),
}

/// Verifies one issuer's tokens, with its keys (fixed or from its JWKS) and a verified-token cache.
pub struct Verifier {
    cfg: VerifierConfig,
    keys: Keys,
    cache: VerifiedCache,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier over fixed keys.
    pub fn with_keys(cfg: VerifierConfig, keys: KeySet) -> Result<Self> {
        cfg.validate()?;
        Ok(Self {
            cfg,
            keys: Keys::Static(Arc::new(keys)),
            cache: VerifiedCache::new(DEFAULT_CACHE_CAPACITY),
        })
    }

    /// A verifier that discovers the issuer's JWKS (or uses `jwks_uri`) through `transport`.
    pub fn with_jwks(
        cfg: VerifierConfig,
        jwks_uri: Option<String>,
        policy: JwksPolicy,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Self> {
        cfg.validate()?;
        let jwks = JwksCache::new(
            &cfg.issuer,
            jwks_uri,
            cfg.algorithms.clone(),
            policy,
            transport,
        );
        Ok(Self {
            cfg,
            keys: Keys::Jwks(Arc::new(jwks)),
            cache: VerifiedCache::new(DEFAULT_CACHE_CAPACITY),
        })
    }

    /// Replaces the verified-token cache with one of `capacity` entries (0 disables it).
    #[must_use]
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.cache = VerifiedCache::new(capacity);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &VerifierConfig {
        &self.cfg
    }

    /// Verifies `token` now.
    pub async fn verify(&self, token: &str) -> Result<Arc<Claims>> {
        self.verify_at(token, unix_now()).await
    }

    /// Verifies `token` as of `now` (seconds since the epoch).
    pub async fn verify_at(&self, token: &str, now: i64) -> Result<Arc<Claims>> {
        if let Some(hit) = self.cached(token, now) {
            return Ok(hit);
        }
        let jws = jws::parse(token)?;
        check_header(&jws, &self.cfg)?;
        let candidates = match &self.keys {
            Keys::Static(set) => set.keys_for(jws.header.kid.as_deref(), jws.header.alg),
            Keys::Jwks(jwks) => {
                jwks.key_for(jws.header.kid.as_deref(), jws.header.alg)
                    .await?
            }
        };
        check_signature(&jws, &candidates)?;
        let claims = Arc::new(finish(&jws, &self.cfg, now)?);
        let leeway = i64::try_from(self.cfg.leeway).unwrap_or(0);
        self.cache.insert(
            token,
            claims.clone(),
            claims.exp.saturating_add(leeway),
            now,
        );
        Ok(claims)
    }

    /// The cached claims of an already verified token, doing no signature work.
    pub fn cached(&self, token: &str, now: i64) -> Option<Arc<Claims>> {
        self.cache.get(token, now)
    }

    /// Forgets cached verifications of tokens with this `jti` (call it on revocation).
    pub fn revoke_jti(&self, jti: &str) {
        self.cache.revoke_jti(jti);
    }

    /// Forgets a cached verification of `token`.
    pub fn forget(&self, token: &str) {
        self.cache.remove(token);
    }

    /// Fetches the issuer's keys now, if they come from a JWKS (useful at start-up).
    pub async fn prefetch_keys(&self) -> Result<()> {
        match &self.keys {
            Keys::Static(_) => Ok(()),
            Keys::Jwks(j) => j.keys().await.map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(extra: serde_json::Value) -> Claims {
        let mut payload = serde_json::json!({"iss": "https://as", "aud": "r", "exp": 10});
        if let (Some(p), Some(e)) = (payload.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        Claims::from_payload(payload.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn a_certificate_bound_token_needs_its_certificate() {
        let bound = claims(serde_json::json!({"cnf": {"x5t#S256": "abc"}}));
        assert!(check_certificate_binding(&bound, Some("abc")).is_ok());
        let e = check_certificate_binding(&bound, Some("abd")).unwrap_err();
        assert_eq!(e.reason, Reason::CertificateMismatch);
        assert_eq!(e.code.as_str(), "invalid_token");
        let e = check_certificate_binding(&bound, None).unwrap_err();
        assert_eq!(e.reason, Reason::CertificateRequired);
        // An unbound token passes with or without a certificate.
        let free = claims(serde_json::json!({}));
        assert!(check_certificate_binding(&free, None).is_ok());
        assert!(check_certificate_binding(&free, Some("abc")).is_ok());
        // A binding this server cannot check never passes as no binding.
        for cnf in [
            serde_json::json!({"cnf": {"jkt": "x"}}),
            serde_json::json!({"cnf": "abc"}),
            serde_json::json!({"cnf": {"x5t#S256": 5}}),
        ] {
            let e = check_certificate_binding(&claims(cnf.clone()), Some("abc")).unwrap_err();
            assert_eq!(e.reason, Reason::BadClaim, "{cnf}");
        }
    }
}
