//! The authorization server of the proxy: `POST /oauth/token` (client credentials, refresh
//! with rotation and reuse detection), `/oauth/revoke` (RFC 7009), `/oauth/introspect`
//! (RFC 7662), discovery (RFC 8414, OpenID Connect) and the JWKS; RFC 9068 access tokens
//! signed ES256; state in a [`Store`] (embedded SQLite by default).
//!
//! ```text
//! AuthServer::open(cfg, kek) ── store: migrate, signing key (decrypt or create), sync clients,
//!                               load revocations
//! AuthServer::router()       ── /oauth/{token,revoke,introspect}, /.well-known/{…}
//! AuthServer::verify(token)  ── signature, iss, aud, exp (core Verifier), then revocation
//! ```

mod authorize;
mod cimd;
mod client_auth;
mod code;
mod discovery;
mod exchange;
mod federation;
mod grace;
mod introspect;
mod login;
mod maintenance;
mod pages;
mod pending;
mod redirect;
mod register;
mod revocations;
mod revoke;
mod sessions;
mod signing;
mod token;

#[cfg(test)]
mod tests;

use oauth4os_core::Reason;
use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use oauth4os_core::verify::{DEFAULT_LEEWAY, unix_now};
use oauth4os_core::{Claims, Error, Result, Verifier};
use serde_json::{Value, json};

pub use crate::services::config::authz::{
    ADMIN_SCOPE, ADMIN_TOKEN_TTL, AdminConfig, AuthConfig, ClientEntry, DEFAULT_ADMIN_CLIENT_ID,
    DEFAULT_TENANT, GrantType, MIN_ADMIN_SECRET_LEN,
};
pub use crate::services::keys::parse_key_encryption_key;
pub use crate::services::secrets::{SecretHash, generate_secret, sha256_stored_form};
pub use crate::services::store::{
    AuditEvent, ClientCutoff, ClientRecord, ClientSource, SqliteStore, Store,
};
pub use crate::services::web::error::OAuthError;
pub use authorize::{AUTHORIZE_PATH, CALLBACK_PATH, CONSENT_PATH};
pub use discovery::{
    INTROSPECT_PATH, JWKS_PATH, METADATA_PATH, OIDC_METADATA_PATH, REVOKE_PATH, TOKEN_PATH,
};
pub use exchange::SubjectIssuer;
pub use login::LoginProvider;
pub use maintenance::AbortOnDrop;
pub use pages::escape_html;
pub use register::REGISTER_PATH;

use crate::services::secrets::SecretVerifier;
use client_auth::ClientAuth;
use federation::Federation;
pub use federation::Peers;
use oauth4os_core::ratelimit::RateLimiter;
use revocations::Revocations;
use signing::Signing;

use crate::services::policies::LivePolicies;

/// Largest request body the OAuth endpoints read.
pub const MAX_BODY: usize = 64 * 1024;

/// The authorization server: its parts, each built complete by [`AuthServer::open`].
pub struct AuthServer {
    cfg: AuthConfig,
    /// Clients, refresh families, codes, revocations, keys and the audit log.
    store: Arc<dyn Store>,
    /// Client authentication: secret checks and the admin client.
    clients: ClientAuth,
    /// Signing keys and the verifier of our own tokens.
    signing: Signing,
    /// Revoked token ids and client cut-offs.
    revocations: Revocations,
    /// Trusted tenants (token exchange) and login providers.
    federation: Federation,
    /// Authorization requests awaiting login or consent.
    pending: authorize::PendingSet,
    /// Refreshes answered within the grace window: access token, scope, refresh token.
    recent_refreshes: grace::RecentRefreshes<(token::Minted, String, Option<String>)>,
    /// The proxy's live policies and mappings, for the admin API.
    live: Option<Arc<LivePolicies>>,
    /// The proxy's rate limiter, so that client rates set through the admin API apply at once.
    limiter: Option<Arc<RateLimiter>>,
    /// Client ID Metadata Documents, when enabled.
    documents: Option<cimd::Documents>,
}

impl std::fmt::Debug for AuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthServer")
            .field("issuer", &self.cfg.issuer)
            .field("store", &self.store)
            .field("revoked", &self.revocations.jtis.len())
            .finish_non_exhaustive()
    }
}

/// Runs start-up work on a private single-threaded runtime on its own thread, so that the
/// synchronous [`AuthServer::open`] works both inside and outside a tokio runtime.
pub(crate) fn run_start_up<T: Send>(work: impl Future<Output = Result<T>> + Send) -> Result<T> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| Error::internal(format!("cannot start a runtime: {e}")))?
                    .block_on(work)
            })
            .join()
            .map_err(|_| Error::internal("the auth server start-up thread panicked"))?
    })
}

impl AuthServer {
    /// Opens (or creates) the SQLite store at `cfg.store_path`, migrates it, loads the signing
    /// key (decrypting it with `key_encryption_key`) or creates one, and synchronises the
    /// configuration's clients into the store.
    pub fn open(cfg: AuthConfig, key_encryption_key: [u8; 32]) -> Result<Arc<Self>> {
        cfg.validate()?;
        let store = SqliteStore::open(&cfg.store_path)?;
        run_start_up(Self::with_store(
            cfg,
            key_encryption_key,
            Arc::new(store),
            Peers::default(),
        ))
    }

    /// Like [`AuthServer::open`], over any [`Store`] and with the proxy's [`Peers`].
    pub async fn with_store(
        cfg: AuthConfig,
        key_encryption_key: [u8; 32],
        store: Arc<dyn Store>,
        peers: Peers,
    ) -> Result<Arc<Self>> {
        cfg.validate()?;
        let now = unix_now();
        // Keys first: a wrong key-encryption key must fail before anything is written.
        let signing = Signing::load(&cfg, &store, key_encryption_key, now).await?;
        let records = cfg
            .clients
            .iter()
            .enumerate()
            .map(|(i, c)| c.to_record(i))
            .collect::<Result<Vec<_>>>()?;
        let report = store.sync_config_clients(records, now).await?;
        if report != Default::default() {
            tracing::info!(
                added = ?report.added, updated = ?report.updated, removed = ?report.removed,
                "configuration clients synchronised"
            );
            let detail = json!({
                "added": report.added, "updated": report.updated, "removed": report.removed,
            });
            store
                .audit(AuditEvent::new(now, "config_clients_synced", None, detail))
                .await?;
        }
        let revocations = Revocations::load(&store, now).await?;
        let like = cfg.clients.first().map(|c| c.secret_hash.clone());
        let per_source = cfg.secret_check_rate()?;
        let secrets = tokio::task::spawn_blocking(move || {
            SecretVerifier::new(like.as_deref(), Some(per_source))
        })
        .await
        .map_err(|_| Error::internal("the secret verifier set-up failed"))??;
        let admin = cfg.admin.as_ref().and_then(|a| {
            a.secret_hash.as_ref().map(|h| ClientRecord {
                id: a.client_id.clone(),
                secret_hash: h.clone(),
                scopes: oauth4os_core::ScopeSet::default(),
                grant_types: vec![GrantType::ClientCredentials],
                tenant: DEFAULT_TENANT.to_owned(),
                access_token_ttl: Some(ADMIN_TOKEN_TTL),
                source: ClientSource::Config,
                redirect_uris: Vec::new(),
                rate_limit: None,
                constraints: crate::services::store::ClientConstraints::default(),
            })
        });
        if let Some(a) = &admin
            && store.client(&a.id).await?.is_some()
        {
            return Err(Error::new(
                Reason::ClientConflict,
                format!(
                    "the admin client id {} is also a client in the store",
                    oauth4os_core::error::quote(&a.id)
                ),
            )
            .with_help("choose another `admin.client_id` or delete that client"));
        }
        let client_ca = cfg
            .tls_client_ca_pem
            .as_deref()
            .map(client_auth::client_ca)
            .transpose()?;
        let allowlists = store
            .clients()
            .await?
            .iter()
            .filter(|c| !c.constraints.allowed_ips.is_empty())
            .map(|c| (c.id.clone(), c.constraints.allowed_ranges().into()))
            .collect();
        let cfg_documents = cfg.client_id_metadata_documents.clone();
        Ok(Arc::new(Self {
            cfg,
            store,
            clients: ClientAuth {
                secrets,
                admin,
                client_ca,
                allowlists: std::sync::RwLock::new(allowlists),
            },
            signing,
            revocations,
            federation: Federation::new(peers.subjects, peers.logins),
            pending: authorize::PendingSet::default(),
            recent_refreshes: grace::RecentRefreshes::default(),
            live: peers.live,
            limiter: peers.limiter,
            documents: cimd::Documents::new(cfg_documents.as_ref()),
        }))
    }

    /// The router of the OAuth endpoints and discovery documents, state applied. Mount it at
    /// the root of the listener whose origin is the issuer.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route(TOKEN_PATH, post(token::handle))
            .route(REVOKE_PATH, post(revoke::handle))
            .route(INTROSPECT_PATH, post(introspect::handle))
            .route(register::REGISTER_PATH, post(register::handle))
            .route(AUTHORIZE_PATH, get(authorize::handle_authorize))
            .route(CALLBACK_PATH, get(authorize::handle_callback))
            .route(CONSENT_PATH, post(authorize::handle_consent))
            .route(METADATA_PATH, get(discovery::metadata))
            .route(OIDC_METADATA_PATH, get(discovery::openid_configuration))
            .route(JWKS_PATH, get(discovery::jwks))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(self.clone())
    }

    /// Verifies an access token this server issued: signature (its JWKS), `typ`, `iss`, `aud`,
    /// `exp`, then revocation (reason `revoked`).
    pub async fn verify(&self, token: &str) -> Result<Arc<Claims>> {
        let claims = self.verify_any(token).await?;
        self.not_admin(claims)
    }

    /// [`AuthServer::verify`] of a token whose signature the verified-token cache vouches for
    /// (from [`AuthServer::verified`]): the same revocation and audience checks, no I/O.
    pub(crate) fn verify_cached(&self, claims: Arc<Claims>) -> Result<Arc<Claims>> {
        let claims = self.unrevoked(claims)?;
        self.not_admin(claims)
    }

    fn not_admin(&self, claims: Arc<Claims>) -> Result<Arc<Claims>> {
        if self.is_admin_audience(&claims) {
            return Err(Error::new(
                Reason::AdminToken,
                "admin tokens are accepted by the admin API only",
            ));
        }
        Ok(claims)
    }

    /// Verifies an admin token: one of ours, unrevoked, for `<issuer>/admin`, with scope
    /// `oauth4os:admin`, issued to the configured admin client.
    pub async fn verify_admin(&self, token: &str) -> Result<Arc<Claims>> {
        let not_admin = || Error::new(Reason::NotAdmin, "an admin token is required");
        let admin = self.clients.admin.as_ref().ok_or_else(|| {
            not_admin().with_help("no admin client is configured (`[authorization_server.admin]` or `OAUTH4OS_ADMIN_CLIENT_SECRET`)")
        })?;
        let claims = self.verify_any(token).await?;
        let ok = self.is_admin_audience(&claims)
            && claims.scope.as_deref() == Some(ADMIN_SCOPE)
            && claims.client_id.as_deref() == Some(admin.id.as_str());
        if ok { Ok(claims) } else { Err(not_admin()) }
    }

    fn is_admin_audience(&self, claims: &Claims) -> bool {
        let admin_aud = self.cfg.admin_audience();
        claims.aud.iter().any(|a| a == &admin_aud)
    }

    /// The proxy's live policies and mappings, when it gave them (the admin API changes them).
    pub(crate) fn live_policies(&self) -> Option<Arc<LivePolicies>> {
        self.live.clone()
    }

    /// Applies a client's own rate (or drops it, when it has none) in the proxy's limiter. The
    /// rate was checked when the client was written; one that no longer parses (a store edited
    /// by hand) is reported and leaves the client on the default rate.
    /// Its allowlist is remembered for the resource side too.
    pub fn apply_client_rate(&self, client: &ClientRecord) {
        self.remember_allowlist(client);
        let Some(limiter) = &self.limiter else {
            return;
        };
        match crate::services::config::authz::stored_rate(client) {
            Ok(Some(rate)) => limiter.set_client_rate(&client.id, rate),
            Ok(None) => limiter.clear_client_rate(&client.id),
            Err(e) => {
                tracing::error!(client = %client.id, error = %e, "stored client rate ignored");
                limiter.clear_client_rate(&client.id);
            }
        }
    }

    /// A client by id: from the store (the configuration file's and the admin API's clients),
    /// or, for a URL, its client metadata document when those are enabled.
    pub(crate) async fn find_client(&self, id: &str) -> Result<Option<ClientRecord>> {
        if cimd::is_url_client_id(id) {
            return match &self.documents {
                Some(d) => d.resolve(id).await.map(Some),
                None => Ok(None),
            };
        }
        self.store.client(id).await
    }

    /// Whether URL client ids (Client ID Metadata Documents) are accepted.
    pub(crate) fn client_metadata_documents(&self) -> bool {
        self.documents.is_some()
    }

    /// Whether `id` is the admin client.
    pub(crate) fn admin_client(&self, id: &str) -> Option<&ClientRecord> {
        self.clients.admin.as_ref().filter(|a| a.id == id)
    }

    async fn verify_any(&self, token: &str) -> Result<Arc<Claims>> {
        let claims = self.verifier().verify(token).await?;
        self.unrevoked(claims)
    }

    /// Verified claims, refused when revoked: by `jti`, or by the client's cut-off.
    fn unrevoked(&self, claims: Arc<Claims>) -> Result<Arc<Claims>> {
        self.revocations.unrevoked(claims)
    }

    /// The revocation cut-off of a client, if it has one.
    pub(crate) fn client_cutoff(&self, client_id: &str) -> Option<i64> {
        self.revocations.client_cutoff(client_id)
    }

    /// Revokes every token issued to `client_id` until now: its refresh families and their
    /// access tokens, and, through a cut-off, access tokens issued without a refresh token.
    /// Returns how many access tokens of its refresh families were revoked by id.
    pub async fn revoke_client_tokens(&self, client_id: &str, by: &str) -> Result<usize> {
        let now = unix_now();
        let window = i64::try_from(
            self.cfg
                .max_access_token_ttl()
                .saturating_add(DEFAULT_LEEWAY),
        )
        .unwrap_or(i64::MAX);
        let cutoff = ClientCutoff {
            client_id: client_id.to_owned(),
            issued_before: now,
            expires_at: now.saturating_add(window),
        };
        let event = AuditEvent::new(
            now,
            "client_tokens_revoked",
            Some(client_id),
            json!({ "by": by }),
        );
        let revoked = self.store.revoke_client_tokens(cutoff, event).await?;
        self.revocations.cut_off(client_id, now);
        let from_families = revoked.len();
        self.remember_revoked(revoked);
        Ok(from_families)
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.cfg.issuer
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.cfg
    }

    /// The JWKS document (public keys only).
    pub fn jwks(&self) -> Value {
        self.signing.jwks()
    }

    /// The store, for the admin API.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Hashes a client secret as an argon2id PHC string, for `secret_hash` in the configuration.
    pub fn hash_secret(secret: &str) -> Result<String> {
        crate::services::secrets::hash_secret(secret)
    }

    fn key_ring(&self) -> Arc<crate::services::keys::KeyRing> {
        self.signing.ring()
    }

    /// The claims of `token` if it is one of ours already verified (and still in the
    /// verified-token cache); not yet checked for revocation.
    pub(crate) fn verified(&self, token: &str, now: i64) -> Option<Arc<Claims>> {
        self.verifier().cached(token, now)
    }

    fn verifier(&self) -> Arc<Verifier> {
        self.signing.verifier()
    }
}
