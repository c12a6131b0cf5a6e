//! Persistence of the authorization server, behind the small async [`Store`] trait so that a
//! PostgreSQL backend can join the embedded SQLite one without touching callers.
//!
//! What is stored: clients, refresh-token families and their tokens (SHA-256 hashes only, never
//! the tokens), revoked access-token ids until they expire, signing keys (private halves
//! encrypted by the caller) and audit events (never a secret or a token).

#[cfg(test)]
pub(crate) mod conformance;
#[cfg(test)]
mod conformance_webhooks;
mod outbox;
mod records;
pub mod sqlite;

use std::future::Future;
use std::pin::Pin;

use oauth4os_core::Result;

pub use outbox::{OutboxDelivery, WebhookEvent, WebhookRoute, rfc3339};
pub use records::{
    AuditEvent, AuditQuery, AuthMethod, AuthorizationCode, BackupContents, ClientConstraints,
    ClientCutoff, ClientRecord, ClientSource, ConsentRecord, EndedSessions, FamilySummary,
    GrantType, NewRefreshToken, PurgeReport, Redeemed, RefreshFamily, RefreshView, RevokedJti,
    SessionFilter, SessionRecord, StoredKey, SyncReport,
};
pub use sqlite::{SCHEMA_VERSION, SqliteStore};

use oauth4os_core::admin::{DeliveryStatus, WebhookEventType};

/// What every [`Store`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

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
    /// The consent `subject` gave `client_id`, expired or not (withdrawn ones are gone).
    fn consent(&self, subject: String, client_id: String)
    -> StoreFuture<'_, Option<ConsentRecord>>;
    /// Records that `subject` consented to `client_id` holding `scope`, remembered until
    /// `expires_at`: merged with an unexpired earlier consent (which keeps its id), replacing
    /// an expired one. Answers the consent as stored.
    fn record_consent(
        &self,
        subject: String,
        client_id: String,
        scope: String,
        now: i64,
        expires_at: i64,
    ) -> StoreFuture<'_, ConsentRecord>;
    /// Consents, of one user and/or one client or all, newest first.
    fn consents(
        &self,
        subject: Option<String>,
        client_id: Option<String>,
    ) -> StoreFuture<'_, Vec<ConsentRecord>>;
    /// Withdraws a consent: deletes it, ends the sessions relying on it (as
    /// [`Store::end_sessions`] does) and writes `event`, in one transaction. `None` when there
    /// is no such consent (nothing changed).
    fn withdraw_consent<'a>(
        &'a self,
        id: &'a str,
        event: AuditEvent,
    ) -> StoreFuture<'a, Option<(ConsentRecord, EndedSessions)>>;

    /// Records a new session.
    fn create_session(&self, session: SessionRecord) -> StoreFuture<'_, ()>;
    /// The session with this id, ended or not.
    fn session<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<SessionRecord>>;
    /// Sessions matching `filter`, newest first; only those active at `active_at` when set.
    fn sessions(
        &self,
        filter: SessionFilter,
        active_at: Option<i64>,
    ) -> StoreFuture<'_, Vec<SessionRecord>>;
    /// Ends every unended session matching `filter` (never empty: an empty filter is refused
    /// and changes nothing): marks them ended with `reason`, revokes their refresh families,
    /// records their access tokens as revoked and writes `event`, in one transaction.
    fn end_sessions(
        &self,
        filter: SessionFilter,
        reason: String,
        event: AuditEvent,
    ) -> StoreFuture<'_, EndedSessions>;

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

    // ---- the webhook outbox ----
    //
    // Every audit event whose kind is published (see `WebhookEventType::of_audit_kind`) queues
    // one delivery per route wanting its type, in the transaction that writes the event.

    /// Replaces the routes: which endpoints get which event types from now on. Routes are
    /// configuration, not data: they are not kept across restarts, backups or restores.
    fn set_webhook_routes(&self, routes: Vec<WebhookRoute>) -> StoreFuture<'_, ()>;
    /// Whether some route wants `event_type` (cheap: for callers that would write an audit
    /// event only to publish it).
    fn wants_webhook(&self, event_type: WebhookEventType) -> bool;
    /// Queues `event` for every route wanting its type; the new deliveries' ids.
    fn enqueue_webhook(&self, event: WebhookEvent) -> StoreFuture<'_, Vec<String>>;
    /// Claims up to `limit` pending deliveries due at `now_ms`, oldest first: each counts an
    /// attempt and is not due again before `lease_until_ms`, so a delivery cut short by a
    /// crash is attempted again once the lease has run out (at least once).
    fn claim_webhook_deliveries(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> StoreFuture<'_, Vec<OutboxDelivery>>;
    /// Marks a pending delivery delivered; whether it was pending.
    fn mark_webhook_delivered(&self, id: String, now: i64) -> StoreFuture<'_, bool>;
    /// Records a failed attempt of a pending delivery: pending again, due at
    /// `next_attempt_at_ms`, or dead when it has had `max_attempts` attempts. Its status after,
    /// `None` when no pending delivery has this id.
    fn mark_webhook_failed(
        &self,
        id: String,
        error: String,
        next_attempt_at_ms: i64,
        max_attempts: u32,
    ) -> StoreFuture<'_, Option<DeliveryStatus>>;
    /// Deliveries (of one status, or all), newest first.
    fn webhook_deliveries(
        &self,
        status: Option<DeliveryStatus>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<OutboxDelivery>>;
    /// Makes a dead or delivered delivery pending again (due at `now_ms`, no attempt counted,
    /// the same id) and writes `event`, in one transaction; a pending one is left as it is and
    /// nothing is written. The delivery after, `None` when none has this id.
    fn replay_webhook_delivery(
        &self,
        id: String,
        now_ms: i64,
        event: AuditEvent,
    ) -> StoreFuture<'_, Option<OutboxDelivery>>;
}
