//! The `authorization_code` grant at `POST /oauth/token` (RFC 6749 §4.1.3 with RFC 7636).
//!
//! The code is single use: the first redemption wins in one store transaction, and a replay
//! revokes what the first one produced (§4.1.2). The exact redirect URI of the request and
//! the PKCE verifier (S256 only) must match; a failed check still burns the code. A code whose
//! consent was withdrawn meanwhile is refused. A redeemed code starts a session (see
//! [`crate::services::store::SessionRecord`]): the user, the client, the refresh family and the
//! access token, for the admin API to list and revoke.

use oauth4os_core::Reason;
use oauth4os_core::verify::unix_now;
use serde_json::json;

use super::AuthServer;
use super::authorize::{s256, valid_verifier};
use super::token::{Minted, new_refresh_token};
use crate::services::config::authz::GrantType;
use crate::services::secrets::random_id;
use crate::services::secrets::sha256;
use crate::services::store::{
    AuditEvent, ClientRecord, NewRefreshToken, Redeemed, RefreshFamily, RevokedJti, SessionRecord,
};
use crate::services::web::error::{OAuthError, OAuthResult};
use crate::services::web::form::Form;

fn invalid_code() -> OAuthError {
    OAuthError::new(
        Reason::CodeInvalid,
        "the authorization code is invalid, expired or already used",
    )
}

impl AuthServer {
    pub(crate) async fn authorization_code(
        &self,
        client: &ClientRecord,
        form: &Form,
    ) -> OAuthResult<(Minted, String, Option<String>)> {
        let code = form.require("code")?;
        let redirect_uri = form.require("redirect_uri")?;
        let Some(verifier) = form.get("code_verifier") else {
            return Err(OAuthError::new(
                Reason::CodeVerifierInvalid,
                "the `code_verifier` is missing: this server requires PKCE (S256)",
            ));
        };
        if !valid_verifier(verifier) {
            return Err(OAuthError::new(
                Reason::CodeVerifierInvalid,
                "the `code_verifier` must be 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`",
            ));
        }
        let hash = sha256(code.as_bytes());
        let now = unix_now();
        let stored = match self.store.redeem_authorization_code(hash, now).await? {
            Redeemed::Fresh(c) => c,
            Redeemed::Unknown => return Err(invalid_code()),
            Redeemed::Replayed {
                client_id,
                family_id,
                access,
            } => {
                self.code_replayed(&client_id, family_id, access).await?;
                return Err(invalid_code());
            }
        };
        let same = crate::services::secrets::same_secret;
        if stored.client_id != client.id {
            tracing::warn!(client_id = %client.id, "authorization code of another client presented");
            return Err(invalid_code());
        }
        if stored.redirect_uri != redirect_uri {
            return Err(OAuthError::new(
                Reason::InvalidGrant,
                "the `redirect_uri` differs from the one of the authorization request",
            ));
        }
        if !same(&s256(verifier), &stored.code_challenge) {
            return Err(OAuthError::new(
                Reason::CodeVerifierMismatch,
                "the `code_verifier` does not match the `code_challenge`",
            ));
        }
        self.check_kept_resource(client, form, &stored.audience)?;
        // A consent withdrawn since the code was issued takes the code with it.
        if let Some(consent) = &stored.consent_id {
            let current = self
                .store
                .consent(stored.subject.clone(), client.id.clone())
                .await?;
            if current.is_none_or(|c| &c.id != consent) {
                return Err(OAuthError::new(
                    Reason::ConsentWithdrawn,
                    "the user's consent was withdrawn after this code was issued",
                ));
            }
        }
        let minted = self.mint_for(
            client,
            &stored.subject,
            None,
            &client.tenant,
            &stored.scope,
            &stored.audience,
            now,
        )?;
        let access = RevokedJti {
            jti: minted.jti.clone(),
            exp: minted.exp,
        };
        let mut refresh = None;
        let mut family_id = None;
        let mut expires_at = minted.exp;
        if client.allows(GrantType::RefreshToken) {
            let (token, token_hash) = new_refresh_token()?;
            let family = RefreshFamily {
                id: random_id()?,
                client_id: client.id.clone(),
                scope: stored.scope.clone(),
                audience: stored.audience.clone(),
                created_at: now,
                subject: Some(stored.subject.clone()),
            };
            let first = NewRefreshToken {
                hash: token_hash,
                family_id: family.id.clone(),
                issued_at: now,
                expires_at: self.refresh_expiry(now),
                access_jti: minted.jti.clone(),
                access_exp: minted.exp,
            };
            family_id = Some(family.id.clone());
            expires_at = expires_at.max(first.expires_at);
            self.store.create_refresh_family(family, first).await?;
            refresh = Some(token);
        }
        let session = SessionRecord {
            id: random_id()?,
            subject: stored.subject.clone(),
            tenant: client.tenant.clone(),
            client_id: client.id.clone(),
            created_at: now,
            last_used_at: now,
            expires_at,
            user_agent: stored.user_agent.clone(),
            address: stored.address.clone(),
            family_id: family_id.clone(),
            consent_id: stored.consent_id.clone(),
            access: access.clone(),
            ended_at: None,
            ended_reason: None,
        };
        self.store.create_session(session).await?;
        self.store.link_code_tokens(hash, access, family_id).await?;
        Ok((minted, stored.scope, refresh))
    }

    /// A used code came back: revoke the access token and refresh family it produced.
    async fn code_replayed(
        &self,
        client_id: &str,
        family_id: Option<String>,
        access: Option<RevokedJti>,
    ) -> OAuthResult<()> {
        tracing::warn!(%client_id, "authorization code replayed; its tokens are revoked");
        let detail = json!({ "family_id": family_id, "jti": access.as_ref().map(|a| &a.jti) });
        let event = AuditEvent::new(
            unix_now(),
            "authorization_code_replayed",
            Some(client_id),
            detail,
        );
        match family_id {
            Some(f) => self.revoke_family(&f, "code_replay", event).await?,
            None => self.store.audit(event.clone()).await?,
        }
        if let Some(a) = access {
            let again = AuditEvent::new(
                unix_now(),
                "access_token_revoked",
                Some(client_id),
                json!({ "jti": a.jti, "exp": a.exp, "reason": "code_replay" }),
            );
            self.store.revoke_access_token(a.clone(), again).await?;
            self.remember_revoked(vec![a]);
        }
        Ok(())
    }
}
