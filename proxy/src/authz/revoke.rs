//! `POST /oauth/revoke` (RFC 7009) and the in-memory set of revoked access tokens that
//! [`AuthServer::verify`] consults on every request.
//!
//! Holding a token is enough to revoke it, so client authentication is optional (a leaked
//! token can be killed by whoever finds it); when credentials are sent they must be valid and
//! the token must be the client's. Unknown and invalid tokens are answered like revoked ones.
//! A revocation is on disk and in memory before the answer leaves.

use oauth4os_core::Reason;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use oauth4os_core::error::quote;
use oauth4os_core::verify::{DEFAULT_LEEWAY, unix_now};
use serde_json::json;

use super::AuthServer;
use crate::services::secrets::sha256;
use crate::services::store::{AuditEvent, ClientRecord, RevokedJti};
use crate::services::web::error::{OAuthError, OAuthResult, no_store_json};
use crate::services::web::form::Form;

/// How often expired revocations and refresh families are purged, at most.
const PURGE_INTERVAL: i64 = 600;

/// The `jti`s of revoked, not yet expired access tokens.
#[derive(Debug, Default)]
pub struct RevokedSet {
    map: RwLock<HashMap<String, i64>>,
    last_purge: AtomicI64,
    anchor: Anchor,
}

/// The wall clock and the monotonic clock, read together when the set was made.
#[derive(Debug)]
struct Anchor {
    wall: i64,
    monotonic: std::time::Instant,
}

impl Default for Anchor {
    fn default() -> Self {
        Self {
            wall: unix_now(),
            monotonic: std::time::Instant::now(),
        }
    }
}

impl RevokedSet {
    /// Whether `jti` is revoked.
    pub fn contains(&self, jti: &str) -> bool {
        self.map.read().map_or(true, |m| m.contains_key(jti))
    }

    /// Remembers revoked tokens.
    pub fn extend(&self, revoked: impl IntoIterator<Item = RevokedJti>) {
        if let Ok(mut m) = self.map.write() {
            m.extend(revoked.into_iter().map(|r| (r.jti, r.exp)));
        }
    }

    /// Forgets tokens that expired before `before`.
    pub fn purge(&self, before: i64) {
        if let Ok(mut m) = self.map.write() {
            m.retain(|_, exp| *exp > before);
        }
    }

    /// How many entries are held.
    pub(crate) fn len(&self) -> usize {
        self.map.read().map_or(0, |m| m.len())
    }

    /// The time to purge by: the wall clock, but never later than the wall time when the set
    /// was made plus the monotonic time since. A wall clock stepped forward (then back) cannot
    /// purge the revocation of a token that has not really expired.
    pub(crate) fn purge_now(&self) -> i64 {
        let elapsed = i64::try_from(self.anchor.monotonic.elapsed().as_secs()).unwrap_or(i64::MAX);
        unix_now().min(self.anchor.wall.saturating_add(elapsed))
    }

    /// Records that expired entries were purged at `now`.
    pub(crate) fn purged_at(&self, now: i64) {
        self.last_purge.store(now, Ordering::Relaxed);
    }
}

/// Revocations must outlive the token by the verifier's leeway.
pub(crate) fn expired_before(now: i64) -> i64 {
    now.saturating_sub(i64::try_from(DEFAULT_LEEWAY).unwrap_or(0))
}

/// The key under which a tenant's revoked token id is remembered.
pub(crate) fn tenant_jti(tenant: &str, jti: &str) -> String {
    format!("tenant:{tenant}:{jti}")
}

/// What a token type hint says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Access,
    Refresh,
}

/// Checks `token_type_hint`. Our two kinds are told apart by format (an access token is a JWS,
/// with dots; a refresh token is base64url), so the hint only has to be a known one.
pub(crate) fn check_hint(form: &Form) -> OAuthResult<()> {
    match form.get("token_type_hint") {
        None | Some("access_token" | "refresh_token") => Ok(()),
        Some(other) => Err(OAuthError::new(
            Reason::UnsupportedTokenType,
            format!(
                "token type {} is not supported (use `access_token` or `refresh_token`)",
                quote(other)
            ),
        )),
    }
}

/// The kind of a presented token, by its format.
pub(crate) fn kind_of(token: &str) -> TokenKind {
    if token.contains('.') {
        TokenKind::Access
    } else {
        TokenKind::Refresh
    }
}

/// The handler.
pub(crate) async fn handle(
    State(server): State<Arc<AuthServer>>,
    peer: super::client_auth::Peer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    crate::services::web::form::respond(body, async |b| server.revoke(&headers, &peer, b).await)
        .await
}

fn not_yours() -> OAuthError {
    OAuthError::new(
        Reason::NotYourToken,
        "the token was not issued to the authenticated client",
    )
}

impl AuthServer {
    async fn revoke(
        &self,
        headers: &HeaderMap,
        peer: &super::client_auth::Peer,
        body: &[u8],
    ) -> OAuthResult {
        let form = Form::parse(headers, body)?;
        let client = self.optional_client(headers, &form, peer).await?;
        let token = form.require("token")?;
        check_hint(&form)?;
        match kind_of(token) {
            TokenKind::Access => self.revoke_access_token(token, client.as_ref()).await?,
            TokenKind::Refresh => self.revoke_refresh_token(token, client.as_ref()).await?,
        }
        self.maybe_purge();
        Ok(no_store_json(
            StatusCode::OK,
            &oauth4os_core::protocol::RevocationResponse { revoked: true },
        ))
    }

    async fn revoke_access_token(
        &self,
        token: &str,
        client: Option<&ClientRecord>,
    ) -> OAuthResult<()> {
        // Only valid tokens are recorded (ours, or a tenant's verified by that tenant's
        // verifier): a forged token cannot revoke another's jti.
        let (claims, tenant) = match self.verifier().verify(token).await {
            Ok(c) => (c, None),
            Err(_) => match self.verify_tenant_token(token).await {
                Some((c, t)) => (c, Some(t)),
                None => return Ok(()),
            },
        };
        let owner = claims.client_id.as_deref().unwrap_or("");
        if client.is_some_and(|c| c.id != owner) {
            return Err(not_yours());
        }
        let Some(jti) = claims.jti.clone() else {
            return Ok(());
        };
        // A tenant's jti is only unique at its issuer: it is remembered under the tenant's name.
        let jti = match &tenant {
            Some(t) => tenant_jti(t, &jti),
            None => jti,
        };
        if self.revocations.jtis.contains(&jti) {
            return Ok(());
        }
        let event = AuditEvent::new(
            unix_now(),
            "access_token_revoked",
            Some(owner),
            json!({ "jti": jti, "exp": claims.exp, "authenticated": client.is_some() }),
        );
        let revoked = RevokedJti {
            jti: jti.clone(),
            exp: claims.exp,
        };
        self.store
            .revoke_access_token(revoked.clone(), event)
            .await?;
        self.remember_revoked(vec![revoked]);
        tracing::info!(client_id = %owner, %jti, "access token revoked");
        Ok(())
    }

    async fn revoke_refresh_token(
        &self,
        token: &str,
        client: Option<&ClientRecord>,
    ) -> OAuthResult<()> {
        let Some(view) = self.store.refresh_token(&sha256(token.as_bytes())).await? else {
            return Ok(());
        };
        let family = &view.family;
        if client.is_some_and(|c| c.id != family.client_id) {
            return Err(not_yours());
        }
        if view.family_revoked_at.is_some() {
            return Ok(());
        }
        let event = AuditEvent::new(
            unix_now(),
            "refresh_family_revoked",
            Some(&family.client_id),
            json!({ "family_id": family.id, "authenticated": client.is_some() }),
        );
        self.revoke_family(&family.id, "revoked", event).await?;
        tracing::info!(client_id = %family.client_id, family_id = %family.id, "refresh family revoked");
        Ok(())
    }

    /// Revokes a refresh family and every access token issued from it, on disk then in memory.
    pub(crate) async fn revoke_family(
        &self,
        family_id: &str,
        reason: &str,
        event: AuditEvent,
    ) -> OAuthResult<()> {
        let revoked = self
            .store
            .revoke_refresh_family(family_id, reason, event)
            .await?;
        self.remember_revoked(revoked);
        Ok(())
    }

    /// Adds revoked tokens to the set `verify` checks and drops their cached verifications.
    pub(crate) fn remember_revoked(&self, revoked: Vec<RevokedJti>) {
        let verifier = self.verifier();
        for r in &revoked {
            verifier.revoke_jti(&r.jti);
        }
        self.revocations.jtis.extend(revoked);
    }

    /// Purges expired revocations and refresh families in the background, at most every
    /// [`PURGE_INTERVAL`] seconds.
    pub(crate) fn maybe_purge(&self) {
        let now = self.revocations.jtis.purge_now();
        let last = self.revocations.jtis.last_purge.load(Ordering::Relaxed);
        if now.saturating_sub(last) < PURGE_INTERVAL
            || self
                .revocations
                .jtis
                .last_purge
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let before = expired_before(now);
        self.revocations.jtis.purge(before);
        let store = self.store.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                match store.purge_expired(before).await {
                    Ok(r) => tracing::debug!(
                        revocations = r.revocations,
                        families = r.families,
                        "auth store purged"
                    ),
                    Err(e) => tracing::warn!(error = %e, "auth store purge failed"),
                }
            });
        }
    }
}
