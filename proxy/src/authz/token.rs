//! `POST /oauth/token`: the `client_credentials` and `refresh_token` grants, and the RFC 9068
//! access tokens they issue.
//!
//! Refresh tokens rotate: every refresh answers a new refresh token and retires the presented
//! one, in one compare-and-swap transaction. A retired token presented again revokes its whole
//! family, access tokens included — unless the same client presents it again within the grace
//! window (`refresh_reuse_grace`, see [`super::grace`]), which gets the first answer again.

use oauth4os_core::Reason;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth4os_core::error::quote;
use oauth4os_core::resource::same_resource;
use oauth4os_core::verify::unix_now;
use oauth4os_core::{Error, ScopeSet};
use serde::Serialize;
use serde_json::json;

use oauth4os_core::admin::WebhookEventType;
use oauth4os_core::protocol::TokenResponse;

use super::AuthServer;
use super::grace::Recent;
use crate::services::config::authz::{ADMIN_SCOPE, GrantType};
use crate::services::secrets::{random_bytes, random_id, sha256};
use crate::services::store::{
    AuditEvent, ClientRecord, NewRefreshToken, RefreshFamily, RefreshView,
};
use crate::services::web::error::{OAuthError, OAuthResult, no_store_json};
use crate::services::web::form::Form;

/// The claims of an access token (RFC 9068 §2.2).
#[derive(Debug, Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    client_id: &'a str,
    scope: &'a str,
    jti: &'a str,
    iat: i64,
    exp: i64,
    tenant: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    act: Option<Actor>,
    /// RFC 8705 §3.1: the certificate the token is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    cnf: Option<Confirmation>,
}

/// The confirmation claim of a certificate-bound token.
#[derive(Debug, Clone, Serialize)]
struct Confirmation {
    #[serde(rename = "x5t#S256")]
    x5t_s256: String,
}

tokio::task_local! {
    /// The thumbprint every access token minted while answering one token request is bound
    /// to: set once by [`AuthServer::token`] for the whole grant, so that every grant binds
    /// its tokens alike without each passing it down.
    static CERTIFICATE_BINDING: Option<String>;
}

/// The acting party of an exchanged token (RFC 8693 §4.1).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Actor {
    pub sub: String,
}

/// A signed access token.
#[derive(Debug, Clone)]
pub(crate) struct Minted {
    pub token: String,
    pub jti: String,
    pub exp: i64,
    pub expires_in: u64,
}

/// A new refresh token (256 random bits, base64url) and the SHA-256 that is stored.
pub(crate) fn new_refresh_token() -> Result<(String, [u8; 32]), Error> {
    let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let hash = sha256(token.as_bytes());
    Ok((token, hash))
}

fn invalid_refresh() -> OAuthError {
    OAuthError::new(
        Reason::RefreshTokenInvalid,
        "the refresh token is invalid, expired or revoked",
    )
}

/// The handler.
pub(crate) async fn handle(
    State(server): State<Arc<AuthServer>>,
    peer: super::client_auth::Peer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    crate::services::web::form::respond(body, async |b| server.token(&headers, &peer, b).await)
        .await
}

impl AuthServer {
    async fn token(
        &self,
        headers: &HeaderMap,
        peer: &super::client_auth::Peer,
        body: &[u8],
    ) -> OAuthResult {
        let form = Form::parse(headers, body)?;
        let grant_name = form.require("grant_type")?;
        let client = self.token_client(headers, &form, peer).await?;
        self.check_client_address(&client, peer.ip)?;
        let grant = GrantType::parse(grant_name).ok_or_else(|| {
            OAuthError::new(Reason::UnsupportedGrantType, format!(
                "grant type {} is not supported (use `client_credentials`, `refresh_token` or token exchange)",
                quote(grant_name)
            ))
        })?;
        // A public client has no secret: only grants that PKCE or a rotated refresh token
        // protect, whatever its record says.
        if client.constraints.auth_method.is_public()
            && !matches!(
                grant,
                GrantType::AuthorizationCode | GrantType::RefreshToken
            )
        {
            return Err(OAuthError::new(
                Reason::PublicClientGrant,
                format!(
                    "a public client may not use the {} grant (only `authorization_code` with PKCE and `refresh_token`)",
                    quote(grant.as_str())
                ),
            ));
        }
        if !client.allows(grant) {
            return Err(OAuthError::new(
                Reason::GrantNotAllowed,
                format!(
                    "this client may not use the {} grant",
                    quote(grant.as_str())
                ),
            ));
        }
        // RFC 8705 §3: tokens issued over a connection with a client certificate are bound
        // to it, unless the client turned that off (admin tokens never are).
        let binding = peer
            .certificate
            .as_ref()
            .filter(|_| client.constraints.certificate_bound_tokens)
            .filter(|_| self.admin_client(&client.id).is_none())
            .map(|c| c.thumbprint.clone());
        let (minted, scope, refresh) = CERTIFICATE_BINDING
            .scope(binding, async {
                match grant {
                    _ if self.admin_client(&client.id).is_some() => {
                        self.admin_token(&client, &form).await
                    }
                    GrantType::ClientCredentials => self.client_credentials(&client, &form).await,
                    GrantType::RefreshToken => self.refresh(&client, &form).await,
                    GrantType::TokenExchange => self.exchange(&client, &form).await,
                    GrantType::AuthorizationCode => self.authorization_code(&client, &form).await,
                }
            })
            .await?;
        tracing::debug!(client_id = %client.id, grant = grant.as_str(), jti = %minted.jti, "token issued");
        // Admin and exchanged tokens are audited by their grants; the others only when a webhook
        // wants to hear of them (an audit write per token would cost a disk sync otherwise).
        let audited = self.admin_client(&client.id).is_some() || grant == GrantType::TokenExchange;
        if !audited && self.store.wants_webhook(WebhookEventType::TokenIssued) {
            let detail = json!({
                "jti": minted.jti, "scope": scope, "grant_type": grant.as_str(),
                "expires_at": minted.exp, "with_refresh_token": refresh.is_some(),
            });
            let event =
                AuditEvent::new(unix_now(), "access_token_issued", Some(&client.id), detail);
            self.store.audit(event).await?;
        }
        if refresh.is_some() {
            self.maybe_purge();
        }
        let body = TokenResponse {
            access_token: minted.token,
            token_type: "Bearer".to_owned(),
            expires_in: Some(minted.expires_in),
            scope: Some(scope),
            refresh_token: refresh,
            issued_token_type: (grant == GrantType::TokenExchange)
                .then(|| oauth4os_core::protocol::ACCESS_TOKEN_TYPE.to_owned()),
        };
        Ok(no_store_json(StatusCode::OK, &body))
    }

    /// The audience for the request's `resource` (RFC 8707 §2), in the server's configured
    /// form: one of the server's audiences (`unknown_resource` otherwise) that the client may
    /// have (its `audiences`; `resource_not_allowed` otherwise). Without `resource`: the first
    /// of the server's audiences the client may have. A trailing slash is no difference
    /// ([`oauth4os_core::resource`]).
    pub(crate) fn audience(&self, client: &ClientRecord, form: &Form) -> OAuthResult<String> {
        match form.all("resource").as_slice() {
            [] => self
                .cfg
                .audiences
                .iter()
                .find(|a| client.may_have_audience(a))
                .cloned()
                .ok_or_else(|| {
                    OAuthError::new(
                        Reason::ResourceNotAllowed,
                        "none of this client's `audiences` is served here any more",
                    )
                }),
            [one] => {
                let served = self
                    .cfg
                    .audiences
                    .iter()
                    .find(|a| same_resource(a, one))
                    .ok_or_else(|| {
                        OAuthError::new(
                            Reason::UnknownResource,
                            format!(
                                "resource {} is not served by this authorization server",
                                quote(one)
                            ),
                        )
                    })?;
                if !client.may_have_audience(served) {
                    return Err(OAuthError::new(
                        Reason::ResourceNotAllowed,
                        format!("this client may not get tokens for resource {}", quote(one)),
                    ));
                }
                Ok(served.clone())
            }
            _ => Err(OAuthError::new(
                Reason::InvalidTarget,
                "request one `resource` per token",
            )),
        }
    }

    /// Checks that a grant made for `aud` (an authorization code, a refresh token) keeps it:
    /// a `resource` naming another is refused, not narrowed (RFC 8707 §2.2; a token has one
    /// audience), and so is an audience the client may no longer have.
    pub(crate) fn check_kept_resource(
        &self,
        client: &ClientRecord,
        form: &Form,
        aud: &str,
    ) -> OAuthResult<()> {
        match form.all("resource").as_slice() {
            [] => {}
            [one] if same_resource(one, aud) => {}
            [one] => {
                return Err(OAuthError::new(
                    Reason::ResourceMismatch,
                    format!(
                        "resource {} differs from {}, the one this grant was made for",
                        quote(one),
                        quote(aud)
                    ),
                ));
            }
            _ => {
                return Err(OAuthError::new(
                    Reason::InvalidTarget,
                    "request one `resource` per token",
                ));
            }
        }
        if !client.may_have_audience(aud) {
            return Err(OAuthError::new(
                Reason::ResourceNotAllowed,
                format!(
                    "this client may no longer get tokens for resource {}",
                    quote(aud)
                ),
            ));
        }
        Ok(())
    }

    /// Signs an access token for `client`, acting for itself.
    pub(crate) fn mint(
        &self,
        client: &ClientRecord,
        scope: &str,
        aud: &str,
        now: i64,
    ) -> OAuthResult<Minted> {
        self.mint_for(client, &client.id, None, &client.tenant, scope, aud, now)
    }

    /// Signs an access token issued to `client` for subject `sub`.
    #[allow(clippy::too_many_arguments, reason = "each is one claim of the token")]
    pub(crate) fn mint_for(
        &self,
        client: &ClientRecord,
        sub: &str,
        act: Option<Actor>,
        tenant: &str,
        scope: &str,
        aud: &str,
        now: i64,
    ) -> OAuthResult<Minted> {
        let expires_in = client.access_token_ttl.unwrap_or(self.cfg.access_token_ttl);
        // A token must outlive a revocation cut-off of its client made in the same second.
        let now = match self.client_cutoff(&client.id) {
            Some(cutoff) if cutoff >= now => cutoff.saturating_add(1),
            _ => now,
        };
        let exp = now.saturating_add(i64::try_from(expires_in).unwrap_or(i64::MAX));
        let jti = random_id()?;
        let claims = AccessClaims {
            iss: &self.cfg.issuer,
            sub,
            aud,
            client_id: &client.id,
            scope,
            jti: &jti,
            iat: now,
            exp,
            tenant,
            act,
            cnf: CERTIFICATE_BINDING
                .try_with(Clone::clone)
                .ok()
                .flatten()
                .map(|x5t_s256| Confirmation { x5t_s256 }),
        };
        let token = self.key_ring().current.sign(&claims)?;
        Ok(Minted {
            token,
            jti,
            exp,
            expires_in,
        })
    }

    /// The admin client's `client_credentials` grant: scope `oauth4os:admin` only, for the
    /// admin audience only, 15 minutes, never a refresh token.
    async fn admin_token(
        &self,
        client: &ClientRecord,
        form: &Form,
    ) -> OAuthResult<(Minted, String, Option<String>)> {
        match form.get("scope") {
            None | Some(ADMIN_SCOPE) => {}
            Some(other) => {
                return Err(OAuthError::new(
                    Reason::InvalidScope,
                    format!(
                        "the admin client may request only {}, not {}",
                        quote(ADMIN_SCOPE),
                        quote(other)
                    ),
                ));
            }
        }
        let aud = self.cfg.admin_audience();
        match form.all("resource").as_slice() {
            [] => {}
            [one] if same_resource(one, &aud) => {}
            _ => {
                return Err(OAuthError::new(
                    Reason::InvalidTarget,
                    format!("admin tokens are issued for {} only", quote(&aud)),
                ));
            }
        }
        let minted = self.mint(client, ADMIN_SCOPE, &aud, unix_now())?;
        let detail = json!({ "jti": minted.jti });
        let event = AuditEvent::new(unix_now(), "admin_token_issued", Some(&client.id), detail);
        self.store.audit(event).await?;
        Ok((minted, ADMIN_SCOPE.to_owned(), None))
    }

    async fn client_credentials(
        &self,
        client: &ClientRecord,
        form: &Form,
    ) -> OAuthResult<(Minted, String, Option<String>)> {
        let requested = ScopeSet::parse(form.get("scope").unwrap_or(""))?;
        let granted = ScopeSet::attenuate(&requested, &client.scopes)?.to_string();
        let aud = self.audience(client, form)?;
        let now = unix_now();
        let minted = self.mint(client, &granted, &aud, now)?;
        if !client.allows(GrantType::RefreshToken) {
            return Ok((minted, granted, None));
        }
        let (refresh, hash) = new_refresh_token()?;
        let family = RefreshFamily {
            id: random_id()?,
            client_id: client.id.clone(),
            scope: granted.clone(),
            audience: aud,
            created_at: now,
            subject: None,
        };
        let first = NewRefreshToken {
            hash,
            family_id: family.id.clone(),
            issued_at: now,
            expires_at: self.refresh_expiry(now),
            access_jti: minted.jti.clone(),
            access_exp: minted.exp,
        };
        self.store.create_refresh_family(family, first).await?;
        Ok((minted, granted, Some(refresh)))
    }

    pub(crate) fn refresh_expiry(&self, now: i64) -> i64 {
        now.saturating_add(i64::try_from(self.cfg.refresh_token_ttl).unwrap_or(i64::MAX))
    }

    /// The `refresh_token` grant, within the grace window of [`super::grace`]: a second request
    /// by the same client for the same token, asking the same, gets the first one's answer.
    async fn refresh(
        &self,
        client: &ClientRecord,
        form: &Form,
    ) -> OAuthResult<(Minted, String, Option<String>)> {
        let presented = form.require("refresh_token")?;
        let hash = sha256(presented.as_bytes());
        if self.cfg.refresh_reuse_grace == 0 {
            return self.rotate(client, form, hash).await;
        }
        let grace = Duration::from_secs(self.cfg.refresh_reuse_grace);
        let asked = (
            form.get("scope").map(str::to_owned),
            form.get("resource").map(str::to_owned),
        );
        let gate = self.recent_refreshes.gate(&hash, grace);
        let mut slot = gate.lock().await;
        if let Some(recent) = slot
            .as_ref()
            .filter(|r| r.serves(&client.id, &asked, grace))
        {
            // Only while the family lives: a revocation in between ends the grace too.
            let view = self.store.refresh_token(&hash).await?;
            if view.is_some_and(|v| v.family_revoked_at.is_none()) {
                let detail = json!({ "jti": recent.answer.0.jti });
                let event = AuditEvent::new(
                    unix_now(),
                    "refresh_grace_reissued",
                    Some(&client.id),
                    detail,
                );
                self.store.audit(event).await?;
                return Ok(recent.answer.clone());
            }
        }
        let answer = self.rotate(client, form, hash).await?;
        *slot = Some(Recent {
            client_id: client.id.clone(),
            asked,
            at: Instant::now(),
            answer: answer.clone(),
        });
        Ok(answer)
    }

    /// Rotates the refresh token with hash `hash`: a new pair, the old token retired; reuse of
    /// a retired token revokes its family.
    async fn rotate(
        &self,
        client: &ClientRecord,
        form: &Form,
        hash: [u8; 32],
    ) -> OAuthResult<(Minted, String, Option<String>)> {
        let now = unix_now();
        let view = self
            .store
            .refresh_token(&hash)
            .await?
            .ok_or_else(invalid_refresh)?;
        if view.family.client_id != client.id {
            tracing::warn!(client_id = %client.id, "refresh token of another client presented");
            return Err(invalid_refresh());
        }
        if view.family_revoked_at.is_some() {
            return Err(invalid_refresh());
        }
        if view.used_at.is_some() {
            self.reuse_detected(&view).await?;
            return Err(invalid_refresh());
        }
        if view.expires_at <= now {
            return Err(invalid_refresh());
        }
        let original = ScopeSet::parse(&view.family.scope)
            .map_err(|_| Error::internal("a stored refresh family has a corrupt scope"))?;
        let requested = ScopeSet::parse(form.get("scope").unwrap_or(""))?;
        let granted = ScopeSet::attenuate(&requested, &original)?;
        if !granted.is_within(&client.scopes) {
            return Err(OAuthError::new(
                Reason::InvalidScope,
                "the client is no longer allowed the scope of this refresh token; request less",
            ));
        }
        let granted = granted.to_string();
        self.check_kept_resource(client, form, &view.family.audience)?;
        let subject = view.family.subject.as_deref().unwrap_or(&client.id);
        let minted = self.mint_for(
            client,
            subject,
            None,
            &client.tenant,
            &granted,
            &view.family.audience,
            now,
        )?;
        let (refresh, next_hash) = new_refresh_token()?;
        let next = NewRefreshToken {
            hash: next_hash,
            family_id: view.family.id.clone(),
            issued_at: now,
            expires_at: self.refresh_expiry(now),
            access_jti: minted.jti.clone(),
            access_exp: minted.exp,
        };
        if !self.store.rotate_refresh_token(&hash, next, now).await? {
            // Lost the swap: the token was used concurrently (reuse), or its family revoked.
            if let Some(again) = self.store.refresh_token(&hash).await?
                && again.family_revoked_at.is_none()
                && again.used_at.is_some()
            {
                self.reuse_detected(&again).await?;
            }
            return Err(invalid_refresh());
        }
        Ok((minted, granted, Some(refresh)))
    }

    /// A retired refresh token was presented: revoke its family and remember why.
    async fn reuse_detected(&self, view: &RefreshView) -> OAuthResult<()> {
        let family = &view.family;
        tracing::warn!(
            client_id = %family.client_id,
            family_id = %family.id,
            "refresh token reuse detected; the whole family is revoked"
        );
        let event = AuditEvent::new(
            unix_now(),
            "refresh_token_reused",
            Some(&family.client_id),
            json!({ "family_id": family.id, "used_at": view.used_at }),
        );
        self.revoke_family(&family.id, "reuse", event).await?;
        Ok(())
    }
}
