//! Public keys from JWK sets, each pinned to the one algorithm it may verify.
//!
//! A key's algorithm is fixed when the key is loaded: the JWK's own `alg` when present,
//! otherwise the only algorithm its type allows (EC P-256 → ES256, OKP Ed25519 → EdDSA).
//! An RSA key without `alg` may verify RS256 or PS256, but only those the issuer's
//! configuration allows. A token's `alg` must agree; it never picks the key type.

use std::collections::HashMap;

use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use crate::error::Reason;
use crate::error::{Error, Result, quote};
use crate::jws::{Algorithm, MAX_KID_LEN};

/// Largest JWKS document accepted, in bytes.
pub const MAX_JWKS_LEN: usize = 256 * 1024;
/// Most keys kept from one JWKS.
pub const MAX_KEYS: usize = 64;

/// A verification key with the algorithms it may verify.
#[derive(Clone)]
pub struct VerifyingKey {
    /// The key id, if the JWK had one.
    pub kid: Option<String>,
    /// What this key may verify.
    pub algorithms: Vec<Algorithm>,
    pub(crate) key: DecodingKey,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// Verifies `signature_b64` over `message` with `alg`, which must be one of this key's.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature_b64: &str) -> Result<()> {
        if !self.algorithms.contains(&alg) {
            return Err(Error::new(
                Reason::KeyMismatch,
                format!(
                    "the token's algorithm {} does not match its key",
                    alg.as_str()
                ),
            ));
        }
        match jsonwebtoken::crypto::verify(signature_b64, message, &self.key, alg.to_jsonwebtoken())
        {
            Ok(true) => Ok(()),
            Ok(false) | Err(_) => Err(Error::new(
                Reason::BadSignature,
                "the token's signature does not verify",
            )),
        }
    }

    /// A key from a JWK JSON object, limited to the algorithms in `allowed`.
    pub fn from_jwk(jwk: &serde_json::Value, allowed: &[Algorithm]) -> Result<Self> {
        let raw: RawJwk = serde_json::from_value(jwk.clone())
            .map_err(|_| bad_jwk("it is not a JSON object with string members"))?;
        Self::from_raw(raw, allowed)
    }

    fn from_raw(raw: RawJwk, allowed: &[Algorithm]) -> Result<Self> {
        if raw.use_.as_deref().is_some_and(|u| u != "sig") {
            return Err(bad_jwk("its `use` is not `sig`"));
        }
        if raw
            .kid
            .as_ref()
            .is_some_and(|k| k.is_empty() || k.len() > MAX_KID_LEN)
        {
            return Err(bad_jwk("its `kid` is empty or too long"));
        }
        let declared = match &raw.alg {
            Some(a) => Some(
                Algorithm::from_jose(a)
                    .map_err(|_| bad_jwk(&format!("its `alg` {} is not supported", quote(a))))?,
            ),
            None => None,
        };
        let (key, by_type): (DecodingKey, &[Algorithm]) = match raw.kty.as_str() {
            "RSA" => {
                let (Some(n), Some(e)) = (&raw.n, &raw.e) else {
                    return Err(bad_jwk("an RSA key needs `n` and `e`"));
                };
                let key = DecodingKey::from_rsa_components(n, e)
                    .map_err(|_| bad_jwk("its RSA components are not base64url"))?;
                (key, &[Algorithm::RS256, Algorithm::PS256])
            }
            "EC" => {
                if raw.crv.as_deref() != Some("P-256") {
                    return Err(bad_jwk("only EC keys on curve P-256 are supported"));
                }
                let (Some(x), Some(y)) = (&raw.x, &raw.y) else {
                    return Err(bad_jwk("an EC key needs `x` and `y`"));
                };
                let key = DecodingKey::from_ec_components(x, y)
                    .map_err(|_| bad_jwk("its EC coordinates are not valid base64url"))?;
                (key, &[Algorithm::ES256])
            }
            "OKP" => {
                if raw.crv.as_deref() != Some("Ed25519") {
                    return Err(bad_jwk("only OKP keys on curve Ed25519 are supported"));
                }
                let Some(x) = &raw.x else {
                    return Err(bad_jwk("an OKP key needs `x`"));
                };
                let key = DecodingKey::from_ed_components(x)
                    .map_err(|_| bad_jwk("its Ed25519 key is not valid base64url"))?;
                (key, &[Algorithm::EdDSA])
            }
            other => {
                return Err(bad_jwk(&format!(
                    "key type {} is not supported",
                    quote(other)
                )));
            }
        };
        let algorithms: Vec<Algorithm> = by_type
            .iter()
            .copied()
            .filter(|a| declared.is_none_or(|d| d == *a))
            .filter(|a| allowed.contains(a))
            .collect();
        if algorithms.is_empty() {
            return Err(bad_jwk(
                "none of the algorithms it supports is allowed for this issuer",
            ));
        }
        Ok(Self {
            kid: raw.kid,
            algorithms,
            key,
        })
    }
}

fn bad_jwk(why: &str) -> Error {
    Error::new(Reason::BadJwk, format!("unusable JWK: {why}"))
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

/// The usable keys of one issuer.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    by_kid: HashMap<String, VerifyingKey>,
    anonymous: Vec<VerifyingKey>,
}

impl KeySet {
    /// Parses a JWKS document. Keys that cannot be used (unsupported type, wrong `use`,
    /// algorithm not allowed) are skipped, as RFC 7517 §5 asks; a document with no usable
    /// key at all, or that is not a JWKS, is an error.
    pub fn from_jwks(doc: &[u8], allowed: &[Algorithm]) -> Result<Self> {
        if doc.len() > MAX_JWKS_LEN {
            return Err(Error::new(
                Reason::BadJwks,
                "the JWKS document is too large",
            ));
        }
        #[derive(Deserialize)]
        struct Doc {
            keys: Vec<serde_json::Value>,
        }
        let doc: Doc = serde_json::from_slice(doc)
            .map_err(|_| Error::new(Reason::BadJwks, "the JWKS document has no `keys` array"))?;
        let mut set = KeySet::default();
        for jwk in doc.keys.iter().take(MAX_KEYS) {
            if let Ok(key) = VerifyingKey::from_jwk(jwk, allowed) {
                set.insert(key);
            }
        }
        if set.is_empty() {
            return Err(Error::new(
                Reason::BadJwks,
                "the JWKS has no usable signing key",
            ));
        }
        Ok(set)
    }

    /// Adds a key; a later key with the same `kid` replaces the earlier one.
    pub fn insert(&mut self, key: VerifyingKey) {
        match &key.kid {
            Some(kid) => {
                self.by_kid.insert(kid.clone(), key);
            }
            None => self.anonymous.push(key),
        }
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.by_kid.is_empty() && self.anonymous.is_empty()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.by_kid.len() + self.anonymous.len()
    }

    /// The key with this id.
    pub fn by_kid(&self, kid: &str) -> Option<&VerifyingKey> {
        self.by_kid.get(kid)
    }

    /// The keys that may have signed a token with this `kid` and `alg`: the key the `kid` names,
    /// or (without a `kid`) at most eight keys of the algorithm. Empty when none fits.
    pub fn keys_for(&self, kid: Option<&str>, alg: Algorithm) -> Vec<VerifyingKey> {
        match kid {
            Some(kid) => self.by_kid(kid).cloned().into_iter().collect(),
            None => self.candidates(alg).take(8).cloned().collect(),
        }
    }

    /// The keys that may verify `alg`, for tokens without a `kid`.
    pub fn candidates(&self, alg: Algorithm) -> impl Iterator<Item = &VerifyingKey> {
        self.by_kid
            .values()
            .chain(self.anonymous.iter())
            .filter(move |k| k.algorithms.contains(&alg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALL: &[Algorithm] = &Algorithm::ALL;

    #[test]
    fn pins_algorithms_by_key_type_and_declared_alg() {
        let ec = json!({"kty":"EC","crv":"P-256","kid":"e",
            "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
        let k = VerifyingKey::from_jwk(&ec, ALL).unwrap();
        assert_eq!(k.algorithms, vec![Algorithm::ES256]);

        let rsa = json!({"kty":"RSA","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB","alg":"PS256"});
        let k = VerifyingKey::from_jwk(&rsa, ALL).unwrap();
        assert_eq!(k.algorithms, vec![Algorithm::PS256]);
        // Declared PS256 but only RS256 allowed: unusable.
        assert!(VerifyingKey::from_jwk(&rsa, &[Algorithm::RS256]).is_err());
    }

    #[test]
    fn rejects_unusable_keys() {
        for jwk in [
            json!({"kty":"oct","k":"c2VjcmV0"}),
            json!({"kty":"EC","crv":"P-384","x":"AA","y":"AA"}),
            json!({"kty":"EC","crv":"P-256","x":"AA"}),
            json!({"kty":"RSA","n":"AQAB","e":"AQAB","use":"enc"}),
            json!({"kty":"RSA","n":"AQAB","e":"AQAB","alg":"HS256"}),
            json!({"kty":"OKP","crv":"X25519","x":"AA"}),
            json!("not an object"),
        ] {
            let e = VerifyingKey::from_jwk(&jwk, ALL).unwrap_err();
            assert_eq!(e.reason, "bad_jwk", "{jwk}");
        }
    }

    #[test]
    fn jwks_skips_unusable_keys_but_needs_one() {
        let doc = br#"{"keys":[{"kty":"oct","k":"c2VjcmV0"},{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
        let set = KeySet::from_jwks(doc, ALL).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.by_kid("ed").is_some());
        assert_eq!(set.candidates(Algorithm::EdDSA).count(), 1);
        assert_eq!(set.candidates(Algorithm::ES256).count(), 0);
        assert!(KeySet::from_jwks(br#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#, ALL).is_err());
        assert!(KeySet::from_jwks(br#"{"nokeys":[]}"#, ALL).is_err());
        assert!(KeySet::from_jwks(&vec![b' '; MAX_JWKS_LEN + 1], ALL).is_err());
    }
}
