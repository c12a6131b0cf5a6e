//! The signing keys of the authorization server and the verifier of its own tokens: loaded (or
//! created) from the store at start, rotated on demand or on schedule, reloaded after a restore.

use std::sync::{Arc, RwLock};

use oauth4os_core::verify::DEFAULT_LEEWAY;
use oauth4os_core::{Algorithm, Result, Verifier, VerifierConfig};
use serde_json::{Value, json};

use crate::services::config::authz::AuthConfig;
use crate::services::keys::{KeyRing, SigningKey};
use crate::services::store::{AuditEvent, Store, StoredKey};

/// The key ring and the verifier built from it, replaced together.
#[derive(Debug)]
pub(crate) struct Signing {
    kek: [u8; 32],
    /// How long a retired key stays published: the longest access-token life plus leeway.
    publish_window: i64,
    /// Issuer and audiences of the verifier (its keys come from the ring).
    verifier_config: VerifierConfig,
    ring: RwLock<Arc<KeyRing>>,
    verifier: RwLock<Arc<Verifier>>,
}

impl Signing {
    /// Loads the signing keys from `store`, decrypting them with `kek`; creates the first key
    /// when there is none.
    pub(crate) async fn load(
        cfg: &AuthConfig,
        store: &Arc<dyn Store>,
        kek: [u8; 32],
        now: i64,
    ) -> Result<Self> {
        let publish_window =
            i64::try_from(cfg.max_access_token_ttl().saturating_add(DEFAULT_LEEWAY))
                .unwrap_or(i64::MAX);
        let mut stored = store.signing_keys().await?;
        if !stored.iter().any(|k| k.retired_at.is_none()) {
            let (key, record) = SigningKey::generate(&kek, now)?;
            store.add_signing_key(record).await?;
            let detail = json!({ "kid": key.kid() });
            store
                .audit(AuditEvent::new(now, "signing_key_created", None, detail))
                .await?;
            tracing::info!(kid = key.kid(), "signing key created");
            stored = store.signing_keys().await?;
        }
        let ring = KeyRing::from_stored(&stored, &kek, now, publish_window)?;
        // One verifier for resource and admin tokens; `verify` and `verify_admin` then keep
        // the two audiences apart.
        let mut audiences = cfg.audiences.clone();
        audiences.push(cfg.admin_audience());
        let verifier_config = VerifierConfig {
            issuer: cfg.issuer.clone(),
            audiences,
            algorithms: vec![Algorithm::ES256],
            leeway: DEFAULT_LEEWAY,
            required_typ: Some("at+jwt".to_owned()),
        };
        let verifier = Verifier::with_keys(verifier_config.clone(), ring.key_set()?)?;
        Ok(Self {
            kek,
            publish_window,
            verifier_config,
            ring: RwLock::new(Arc::new(ring)),
            verifier: RwLock::new(Arc::new(verifier)),
        })
    }

    /// The current key ring.
    pub(crate) fn ring(&self) -> Arc<KeyRing> {
        match self.ring.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The verifier of our own tokens.
    pub(crate) fn verifier(&self) -> Arc<Verifier> {
        match self.verifier.read() {
            Ok(v) => v.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The JWKS document (public keys only).
    pub(crate) fn jwks(&self) -> Value {
        self.ring().jwks()
    }

    /// Whether `keys` decrypt with this server's key-encryption key (a backup's, say).
    pub(crate) fn check(&self, keys: &[StoredKey], now: i64) -> Result<()> {
        KeyRing::from_stored(keys, &self.kek, now, self.publish_window).map(|_| ())
    }

    /// Creates a new signing key and retires the current one; the new key id.
    pub(crate) async fn rotate(&self, store: &Arc<dyn Store>, now: i64) -> Result<String> {
        let (key, record) = SigningKey::generate(&self.kek, now)?;
        let kid = key.kid().to_owned();
        store.add_signing_key(record).await?;
        let detail = json!({ "kid": kid });
        store
            .audit(AuditEvent::new(now, "signing_key_rotated", None, detail))
            .await?;
        self.reload(store, now).await?;
        Ok(kid)
    }

    /// Rebuilds the key ring and the verifier from the store's signing keys.
    pub(crate) async fn reload(&self, store: &Arc<dyn Store>, now: i64) -> Result<()> {
        let stored = store.signing_keys().await?;
        let ring = KeyRing::from_stored(&stored, &self.kek, now, self.publish_window)?;
        let verifier = Verifier::with_keys(self.verifier_config.clone(), ring.key_set()?)?;
        if let (Ok(mut k), Ok(mut v)) = (self.ring.write(), self.verifier.write()) {
            *k = Arc::new(ring);
            *v = Arc::new(verifier);
        }
        Ok(())
    }
}
