//! The ES256 signing keys: generation, encryption at rest, the JWKS and JWT signing.
//!
//! The private key is stored as PKCS#8 sealed with AES-256-GCM under the key-encryption key
//! (KEK) the operator provides: `nonce (12) || ciphertext || tag (16)`, with the key id and a
//! format label as associated data, so a blob cannot be moved to another key's row. The key id
//! is the RFC 7638 thumbprint of the public key. Rotation adds a key and retires the previous
//! one, which stays in the JWKS until every token it signed has expired.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth4os_core::Reason;
use oauth4os_core::jwk::KeySet;
use oauth4os_core::{Algorithm, Error, Result};
use serde::Serialize;
use serde_json::{Value, json};

use crate::services::secrets::{random_bytes, sha256};
use crate::services::store::StoredKey;

/// The JOSE algorithm of every key this server creates.
pub const ALG: &str = "ES256";
const AAD_LABEL: &str = "oauth4os/signing-key/v1/";

/// Parses a key-encryption key: 32 bytes as 64 hex digits or as base64 (standard or url-safe).
pub fn parse_key_encryption_key(text: &str) -> Result<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| {
                text.get(2 * i..2 * i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
    } else {
        let trimmed = text.trim_end_matches('=');
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(trimmed)
            .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
            .ok()
    };
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| {
            Error::new(
                Reason::InvalidKeyEncryptionKey,
                "the key-encryption key is not 32 bytes in hex or base64",
            )
            .with_help("generate one with `openssl rand -base64 32`")
        })
}

fn aead_key(kek: &[u8; 32]) -> Result<LessSafeKey> {
    UnboundKey::new(&AES_256_GCM, kek)
        .map(LessSafeKey::new)
        .map_err(|_| Error::internal("cannot build the AES-256-GCM key"))
}

pub(crate) fn seal(kek: &[u8; 32], kid: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
    let nonce = random_bytes::<NONCE_LEN>()?;
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
    out.extend_from_slice(&nonce);
    let mut body = plaintext.to_vec();
    aead_key(kek)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(format!("{AAD_LABEL}{kid}")),
            &mut body,
        )
        .map_err(|_| Error::internal("cannot encrypt the signing key"))?;
    out.extend_from_slice(&body);
    body.fill(0);
    Ok(out)
}

pub(crate) fn open(kek: &[u8; 32], kid: &str, sealed: &[u8]) -> Result<Vec<u8>> {
    let wrong = || {
        Error::new(
            Reason::WrongKeyEncryptionKey,
            format!("the signing key `{kid}` in the auth store cannot be decrypted with this key-encryption key"),
        )
        .with_help("start the proxy with the key-encryption key the store was created with")
    };
    let (nonce, body) = sealed.split_at_checked(NONCE_LEN).ok_or_else(wrong)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong())?;
    let mut body = body.to_vec();
    let len = aead_key(kek)?
        .open_in_place(nonce, Aad::from(format!("{AAD_LABEL}{kid}")), &mut body)
        .map_err(|_| wrong())?
        .len();
    body.truncate(len);
    Ok(body)
}

/// A private signing key.
pub struct SigningKey {
    kid: String,
    pair: EcdsaKeyPair,
    /// `BASE64URL(header) + "."`, the same for every token.
    header_prefix: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn from_pair(pair: EcdsaKeyPair) -> Result<Self> {
        let kid = thumbprint(&pair)?;
        let header = json!({"alg": ALG, "typ": "at+jwt", "kid": kid}).to_string();
        Ok(Self {
            header_prefix: format!("{}.", URL_SAFE_NO_PAD.encode(header)),
            kid,
            pair,
            rng: SystemRandom::new(),
        })
    }

    /// A new random key and its stored form, sealed with `kek`, created at `now`.
    pub fn generate(kek: &[u8; 32], now: i64) -> Result<(Self, StoredKey)> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| Error::internal("cannot generate a P-256 key"))?;
        let mut pkcs8 = pair
            .to_pkcs8v1()
            .map_err(|_| Error::internal("cannot serialise the P-256 key"))?
            .as_ref()
            .to_vec();
        let key = Self::from_pair(pair)?;
        let sealed = seal(kek, &key.kid, &pkcs8);
        pkcs8.fill(0);
        let stored = StoredKey {
            kid: key.kid.clone(),
            alg: ALG.to_owned(),
            public_jwk: key.public_jwk()?.to_string(),
            private_key_enc: sealed?,
            created_at: now,
            retired_at: None,
        };
        Ok((key, stored))
    }

    /// Decrypts a stored key with `kek`; a wrong KEK is a `config` error.
    pub fn unseal(stored: &StoredKey, kek: &[u8; 32]) -> Result<Self> {
        if stored.alg != ALG {
            return Err(Error::new(
                Reason::UnsupportedSigningKey,
                format!(
                    "the signing key `{}` uses {}, not ES256",
                    stored.kid, stored.alg
                ),
            ));
        }
        let mut pkcs8 = open(kek, &stored.kid, &stored.private_key_enc)?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8);
        pkcs8.fill(0);
        let key = Self::from_pair(
            pair.map_err(|_| Error::internal("the stored signing key is not a P-256 key"))?,
        )?;
        if key.kid != stored.kid {
            return Err(Error::internal(
                "the stored signing key does not match its key id",
            ));
        }
        Ok(key)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK (`kty`, `crv`, `x`, `y`, `kid`, `alg`, `use`).
    pub fn public_jwk(&self) -> Result<Value> {
        let (x, y) = coordinates(&self.pair)?;
        Ok(json!({
            "kty": "EC", "crv": "P-256", "x": x, "y": y,
            "kid": self.kid, "alg": ALG, "use": "sig",
        }))
    }

    /// A compact JWS of `claims` with the header `{"alg":"ES256","typ":"at+jwt","kid":...}`.
    pub fn sign(&self, claims: &impl Serialize) -> Result<String> {
        let payload = serde_json::to_vec(claims)
            .map_err(|_| Error::internal("cannot serialise the token claims"))?;
        let mut token = self.header_prefix.clone();
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let sig = self
            .pair
            .sign(&self.rng, token.as_bytes())
            .map_err(|_| Error::internal("cannot sign the token"))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(sig.as_ref(), &mut token);
        Ok(token)
    }
}

fn coordinates(pair: &EcdsaKeyPair) -> Result<(String, String)> {
    // Uncompressed SEC 1 point: 0x04 || X (32) || Y (32).
    let point = pair.public_key().as_ref();
    match (point.first(), point.get(1..33), point.get(33..65)) {
        (Some(4), Some(x), Some(y)) if point.len() == 65 => {
            Ok((URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y)))
        }
        _ => Err(Error::internal("unexpected P-256 public key encoding")),
    }
}

/// The RFC 7638 thumbprint of the key's public JWK.
fn thumbprint(pair: &EcdsaKeyPair) -> Result<String> {
    let (x, y) = coordinates(pair)?;
    // Required members only, in lexicographic order, no whitespace.
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    Ok(URL_SAFE_NO_PAD.encode(sha256(canonical.as_bytes())))
}

/// The keys of the server: the one that signs and every public key still published.
#[derive(Debug)]
pub struct KeyRing {
    /// The signing key.
    pub current: SigningKey,
    /// The public JWKs: the current key and retired keys whose tokens may still be valid.
    pub published: Vec<Value>,
}

impl KeyRing {
    /// The ring from the stored keys: the newest active key signs (decrypted with `kek`);
    /// keys retired less than `window` seconds before `now` stay published.
    pub fn from_stored(keys: &[StoredKey], kek: &[u8; 32], now: i64, window: i64) -> Result<Self> {
        let active = keys
            .iter()
            .rev()
            .find(|k| k.retired_at.is_none())
            .ok_or_else(|| Error::internal("the auth store has no active signing key"))?;
        let current = SigningKey::unseal(active, kek)?;
        let mut published = Vec::new();
        for k in keys.iter().rev() {
            let live = k.retired_at.is_none_or(|r| r.saturating_add(window) > now);
            if live {
                let jwk: Value = serde_json::from_str(&k.public_jwk)
                    .map_err(|_| Error::internal("a stored public JWK is not JSON"))?;
                published.push(jwk);
            }
        }
        Ok(Self { current, published })
    }

    /// The JWKS document.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.published })
    }

    /// The published keys, for the verifier.
    pub fn key_set(&self) -> Result<KeySet> {
        KeySet::from_jwks(self.jwks().to_string().as_bytes(), &[Algorithm::ES256])
    }
}
