//! Persistence of the authorization server, behind the small async [`Store`] trait so that a
//! PostgreSQL backend can join the embedded SQLite one without touching callers.
//!
//! What is stored: clients, refresh-token families and their tokens (SHA-256 hashes only, never
//! the tokens), revoked access-token ids until they expire, signing keys (private halves
//! encrypted by the caller) and audit events (never a secret or a token).

#[cfg(test)]
pub(crate) mod conformance;
pub mod sqlite;

use std::future::Future;
use std::pin::Pin;

use oauth4os_core::{Result, ScopeSet};
use serde_json::Value;

pub use sqlite::{SCHEMA_VERSION, SqliteStore};

/// What every [`Store`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// The grants this server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrantType {
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §6, with rotation and reuse detection.
    RefreshToken,
    /// RFC 8693 token exchange: a tenant's token for one of ours, attenuated.
    TokenExchange,
    /// RFC 6749 §4.1 with PKCE S256 (RFC 7636): a user signs in at the tenant's provider.
    AuthorizationCode,
}

impl GrantType {
    /// Every supported grant, in the order metadata lists them.
    pub const ALL: [GrantType; 4] = [
        GrantType::AuthorizationCode,
        GrantType::ClientCredentials,
        GrantType::RefreshToken,
        GrantType::TokenExchange,
    ];

    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
            GrantType::TokenExchange => oauth4os_core::client::TOKEN_EXCHANGE_GRANT,
            GrantType::AuthorizationCode => "authorization_code",
        }
    }

    /// Parses the wire form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Where a client was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSource {
    /// The configuration file (synchronised on every start).
    Config,
    /// The admin API.
    Api,
}

impl ClientSource {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientSource::Config => "config",
            ClientSource::Api => "api",
        }
    }
}

/// A registered client.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// The client id.
    pub id: String,
    /// Its secret: an argon2id PHC string or `sha256:<base64url>` (see `secrets::SecretHash`).
    pub secret_hash: String,
    /// The scopes it may hold.
    pub scopes: ScopeSet,
    /// The grants it may use.
    pub grant_types: Vec<GrantType>,
    /// Its tenant.
    pub tenant: String,
    /// Its access-token lifetime, when it overrides the server's.
    pub access_token_ttl: Option<u64>,
    /// Where it was declared.
    pub source: ClientSource,
    /// Exact redirect URIs, for the `authorization_code` grant.
    pub redirect_uris: Vec<String>,
    /// Its own request rate at the proxy (`"100/s burst 200"`), replacing the default rate.
    pub rate_limit: Option<String>,
}

impl std::fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRecord")
            .field("id", &self.id)
            .field("scopes", &self.scopes.to_string())
            .field("grant_types", &self.grant_types)
            .field("tenant", &self.tenant)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("source", &self.source)
            .field("redirect_uris", &self.redirect_uris)
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

impl ClientRecord {
    /// Whether the client may use `grant`.
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}

/// What synchronising the configuration's clients changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Clients that were not in the store.
    pub added: Vec<String>,
    /// Clients whose record changed.
    pub updated: Vec<String>,
    /// Configuration clients no longer in the configuration, now deleted.
    pub removed: Vec<String>,
}

/// A refresh-token family: every token descending from one grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshFamily {
    /// Random id.
    pub id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The scope originally granted; rotated tokens keep it, access tokens may narrow it.
    pub scope: String,
    /// The audience of its access tokens.
    pub audience: String,
    /// When it was created.
    pub created_at: i64,
    /// The user the grant was made for (`authorization_code`); the client itself when `None`.
    pub subject: Option<String>,
}

/// A refresh token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    /// SHA-256 of the token.
    pub hash: [u8; 32],
    /// Its family.
    pub family_id: String,
    /// When it was issued.
    pub issued_at: i64,
    /// When it expires.
    pub expires_at: i64,
    /// The `jti` of the access token issued with it.
    pub access_jti: String,
    /// The `exp` of that access token.
    pub access_exp: i64,
}

/// A stored refresh token as found by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshView {
    /// Its family.
    pub family: RefreshFamily,
    /// When the family was revoked, if it was.
    pub family_revoked_at: Option<i64>,
    /// When it was issued.
    pub issued_at: i64,
    /// When it expires.
    pub expires_at: i64,
    /// When it was rotated (retired), if it was: presenting it again is reuse.
    pub used_at: Option<i64>,
}

/// A revoked access token, remembered until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedJti {
    /// The token's `jti`.
    pub jti: String,
    /// The token's `exp`.
    pub exp: i64,
}

/// A signing key as stored: the public JWK and the encrypted private key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The key id (RFC 7638 thumbprint).
    pub kid: String,
    /// The JOSE algorithm (`ES256`).
    pub alg: String,
    /// The public JWK, JSON.
    pub public_jwk: String,
    /// The private key, encrypted with the key-encryption key (nonce || ciphertext || tag).
    pub private_key_enc: Vec<u8>,
    /// When it was created.
    pub created_at: i64,
    /// When it stopped signing, if it did.
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// A security-relevant event. `detail` must never hold a secret or a token.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Seconds since the epoch.
    pub at: i64,
    /// What happened (`refresh_token_reused`, `access_token_revoked`, ...).
    pub kind: String,
    /// The client concerned, if any.
    pub client_id: Option<String>,
    /// Details, as a JSON object.
    pub detail: Value,
}

impl AuditEvent {
    /// An event of `kind` now.
    pub fn new(at: i64, kind: &str, client_id: Option<&str>, detail: Value) -> Self {
        Self {
            at,
            kind: kind.to_owned(),
            client_id: client_id.map(str::to_owned),
            detail,
        }
    }
}

/// An active refresh family, as the admin API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilySummary {
    /// The family.
    pub family: RefreshFamily,
    /// When its newest token was issued.
    pub last_issued_at: i64,
    /// When its current (unused) token expires.
    pub expires_at: i64,
}

/// A filter over audit events; every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events of this kind.
    pub kind: Option<String>,
    /// Only events about this client.
    pub client_id: Option<String>,
    /// Only events at or after this time.
    pub since: Option<i64>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// Every token of a client issued at or before `issued_before` is revoked; the entry is kept
/// until `expires_at`, when no such token can still be valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCutoff {
    /// The client.
    pub client_id: String,
    /// Tokens with `iat` at or before this are revoked.
    pub issued_before: i64,
    /// When the entry can be forgotten.
    pub expires_at: i64,
}

/// An authorization code as stored: only its hash, single use, short-lived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    /// SHA-256 of the code.
    pub hash: [u8; 32],
    /// The client it was issued to.
    pub client_id: String,
    /// The exact redirect URI of the authorization request.
    pub redirect_uri: String,
    /// The granted scope.
    pub scope: String,
    /// The token audience.
    pub audience: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// The authenticated user.
    pub subject: String,
    /// When it expires.
    pub expires_at: i64,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// The code was unused and unexpired: it is now used.
    Fresh(AuthorizationCode),
    /// The code had been redeemed before (replay): the refresh family and access token it
    /// produced, to revoke.
    Replayed {
        /// The client it was issued to.
        client_id: String,
        /// The family created from it, if any.
        family_id: Option<String>,
        /// The access token issued from it, if any.
        access: Option<RevokedJti>,
    },
    /// No such code, or it expired.
    Unknown,
}

/// What a backup holds, read without installing it.
#[derive(Debug, Clone, Default)]
pub struct BackupContents {
    /// Its schema version.
    pub schema_version: i64,
    /// Its signing keys.
    pub keys: Vec<StoredKey>,
    /// Its admin policies: (name, tenant, text).
    pub admin_policies: Vec<(String, String, String)>,
    /// Its admin scope mappings.
    pub admin_mappings: Vec<(String, Vec<String>)>,
    /// How many clients it holds.
    pub clients: usize,
}

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Revocation entries of expired tokens.
    pub revocations: usize,
    /// Refresh families whose every token has expired.
    pub families: usize,
}

/// The storage backend. Every method is short; implementations keep blocking work off the
/// async runtime's worker threads.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The client with this id.
    fn client<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<ClientRecord>>;
    /// Every client.
    fn clients(&self) -> StoreFuture<'_, Vec<ClientRecord>>;
    /// Makes the configuration's clients the store's `config` clients: adds, updates, and
    /// deletes those no longer declared. An `api` client with the same id is a `config` error.
    fn sync_config_clients(
        &self,
        clients: Vec<ClientRecord>,
        now: i64,
    ) -> StoreFuture<'_, SyncReport>;
    /// Adds or replaces an `api` client; a `config` client with that id is a `config` error.
    fn put_client(&self, client: ClientRecord, now: i64) -> StoreFuture<'_, ()>;
    /// Deletes an `api` client; whether it existed.
    fn delete_client<'a>(&'a self, id: &'a str) -> StoreFuture<'a, bool>;
    /// Adds an `api` client only if the id is free (configuration or API); whether it was added.
    fn insert_client(&self, client: ClientRecord, now: i64) -> StoreFuture<'_, bool>;
    /// Replaces an existing `api` client; whether there was one to replace.
    fn update_client(&self, client: ClientRecord, now: i64) -> StoreFuture<'_, bool>;

    /// Every signing key, oldest first.
    fn signing_keys(&self) -> StoreFuture<'_, Vec<StoredKey>>;
    /// Adds a signing key and retires every other active key at its `created_at`, atomically.
    fn add_signing_key(&self, key: StoredKey) -> StoreFuture<'_, ()>;

    /// Creates a refresh family with its first token.
    fn create_refresh_family(
        &self,
        family: RefreshFamily,
        first: NewRefreshToken,
    ) -> StoreFuture<'_, ()>;
    /// The refresh token with this hash.
    fn refresh_token<'a>(&'a self, hash: &'a [u8; 32]) -> StoreFuture<'a, Option<RefreshView>>;
    /// Compare-and-swap rotation, in one transaction: retires `old` only if it is unused,
    /// unexpired and its family unrevoked, and stores `next` in the same family. `false` when
    /// the swap lost (the token was used concurrently or its family revoked): nothing changed.
    fn rotate_refresh_token<'a>(
        &'a self,
        old: &'a [u8; 32],
        next: NewRefreshToken,
        now: i64,
    ) -> StoreFuture<'a, bool>;
    /// Revokes a family, records the access tokens issued from it as revoked and writes `event`,
    /// in one transaction. Returns those access tokens (also when already revoked); expired
    /// ones go at the next purge.
    fn revoke_refresh_family<'a>(
        &'a self,
        family_id: &'a str,
        reason: &'a str,
        event: AuditEvent,
    ) -> StoreFuture<'a, Vec<RevokedJti>>;

    /// Active refresh families (unrevoked, with an unused unexpired token), of one client or
    /// of all, newest first.
    fn refresh_families(
        &self,
        client_id: Option<String>,
        now: i64,
    ) -> StoreFuture<'_, Vec<FamilySummary>>;
    /// Revokes every token of a client issued at or before `cutoff.issued_before`: records the
    /// cut-off, revokes its refresh families (their access tokens are returned) and writes
    /// `event`, in one transaction.
    fn revoke_client_tokens(
        &self,
        cutoff: ClientCutoff,
        event: AuditEvent,
    ) -> StoreFuture<'_, Vec<RevokedJti>>;
    /// Client cut-offs that have not expired by `now`.
    fn client_cutoffs(&self, now: i64) -> StoreFuture<'_, Vec<ClientCutoff>>;

    /// Policies stored through the admin API: (name, tenant, Cedar text).
    fn admin_policies(&self) -> StoreFuture<'_, Vec<(String, String, String)>>;
    /// Adds or replaces an admin policy and writes `event`, in one transaction.
    fn put_admin_policy(
        &self,
        name: String,
        tenant: String,
        text: String,
        event: AuditEvent,
    ) -> StoreFuture<'_, ()>;
    /// Deletes an admin policy and writes `event`; whether it existed.
    fn delete_admin_policy(&self, name: String, event: AuditEvent) -> StoreFuture<'_, bool>;
    /// Scope mappings stored through the admin API: (scope, roles).
    fn admin_mappings(&self) -> StoreFuture<'_, Vec<(String, Vec<String>)>>;
    /// Adds or replaces an admin scope mapping and writes `event`.
    fn put_admin_mapping(
        &self,
        scope: String,
        roles: Vec<String>,
        event: AuditEvent,
    ) -> StoreFuture<'_, ()>;
    /// Deletes an admin scope mapping and writes `event`; whether it existed.
    fn delete_admin_mapping(&self, scope: String, event: AuditEvent) -> StoreFuture<'_, bool>;

    /// A consistent copy of the whole store.
    fn backup(&self) -> StoreFuture<'_, Vec<u8>>;
    /// Reads a backup (checking its integrity) without changing this store.
    fn inspect_backup(&self, bytes: Vec<u8>) -> StoreFuture<'_, BackupContents>;
    /// Replaces the whole content of this store with the backup's, in one step, then brings
    /// it to the current schema.
    fn restore(&self, bytes: Vec<u8>) -> StoreFuture<'_, ()>;

    /// Stores a new authorization code.
    fn put_authorization_code(&self, code: AuthorizationCode) -> StoreFuture<'_, ()>;
    /// Marks a code used, atomically: the first redemption gets it, later ones learn of the replay.
    fn redeem_authorization_code(&self, hash: [u8; 32], now: i64) -> StoreFuture<'_, Redeemed>;
    /// Links a redeemed code to what it produced (its access token, and refresh family if
    /// any), so that a replay can revoke them.
    fn link_code_tokens(
        &self,
        hash: [u8; 32],
        access: RevokedJti,
        family_id: Option<String>,
    ) -> StoreFuture<'_, ()>;
    /// Whether `subject` consented to `client_id` holding every scope of `scope`.
    fn has_consent(
        &self,
        subject: String,
        client_id: String,
        scope: String,
    ) -> StoreFuture<'_, bool>;
    /// Records that `subject` consented to `client_id` holding `scope` (merged with earlier ones).
    fn record_consent(
        &self,
        subject: String,
        client_id: String,
        scope: String,
        now: i64,
    ) -> StoreFuture<'_, ()>;

    /// Records an access token as revoked until its `exp` and writes `event`, in one transaction.
    fn revoke_access_token(&self, revoked: RevokedJti, event: AuditEvent) -> StoreFuture<'_, ()>;
    /// Revoked access tokens whose `exp` is after `expired_before`.
    fn revoked_access_tokens(&self, expired_before: i64) -> StoreFuture<'_, Vec<RevokedJti>>;
    /// Deletes revocations of tokens that expired at or before `expired_before`, and families
    /// whose every refresh token did.
    fn purge_expired(&self, expired_before: i64) -> StoreFuture<'_, PurgeReport>;

    /// Writes an audit event.
    fn audit(&self, event: AuditEvent) -> StoreFuture<'_, ()>;
    /// The latest audit events, newest first.
    fn audit_events(&self, limit: usize) -> StoreFuture<'_, Vec<AuditEvent>>;
    /// Audit events matching `query`, newest first.
    fn audit_query(&self, query: AuditQuery) -> StoreFuture<'_, Vec<AuditEvent>>;
}
