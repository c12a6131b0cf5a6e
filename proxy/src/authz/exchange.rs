//! RFC 8693 token exchange: a client trades a token its tenant's OpenID provider issued to a
//! subject (a user, a workload) for one of ours, acting for that subject.
//!
//! - The subject token must come from a configured tenant and is verified by that tenant's
//!   core [`Verifier`] (the same one the resource side uses): signature, `iss`, `aud`, `exp`.
//! - The client must belong to that tenant and be allowed the grant.
//! - The scope granted is at most `client.scopes ∩ subject scopes`; a `scope` parameter can only
//!   narrow it. Nothing is ever granted that either side lacks.
//! - The token's `sub` is the subject, `act.sub` the client (RFC 8693 §4.1), `tenant` the
//!   tenant; no refresh token is issued; every exchange is audited.

use oauth4os_core::Reason;
use std::sync::Arc;

use oauth4os_core::client::ACCESS_TOKEN_TYPE;
use oauth4os_core::error::quote;
use oauth4os_core::verify::unix_now;
use oauth4os_core::{ScopeSet, Verifier};
use serde_json::json;

use super::AuthServer;
use super::token::{Actor, Minted};
use crate::services::store::{AuditEvent, ClientRecord};
use crate::services::web::error::{OAuthError, OAuthResult};
use crate::services::web::form::Form;
use oauth4os_core::jws::unverified_issuer;

/// The JWT token type, also accepted for the subject token.
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// A tenant whose tokens can be exchanged.
#[derive(Debug, Clone)]
pub struct SubjectIssuer {
    /// The tenant name (clients name it in `tenant`).
    pub tenant: String,
    /// Its issuer.
    pub issuer: String,
    /// Its verifier.
    pub verifier: Arc<Verifier>,
}

impl AuthServer {
    /// The tenants whose tokens are trusted as exchange subjects.
    pub fn subject_issuers(&self) -> Vec<SubjectIssuer> {
        self.federation.subjects.clone()
    }

    /// Verifies a token of a configured tenant; its claims and the tenant's name.
    pub(crate) async fn verify_tenant_token(
        &self,
        token: &str,
    ) -> Option<(Arc<oauth4os_core::Claims>, String)> {
        let issuer = self.subject_issuer(&unverified_issuer(token)?)?;
        let claims = issuer.verifier.verify(token).await.ok()?;
        Some((claims, issuer.tenant))
    }

    /// Whether a token of `tenant` with this `jti` was revoked here.
    pub fn tenant_token_revoked(&self, tenant: &str, jti: &str) -> bool {
        self.revocations
            .jtis
            .contains(&super::revoke::tenant_jti(tenant, jti))
    }

    /// Refuses a verified token of `tenant` that was revoked here through `/oauth/revoke`
    /// (RFC 7009): at the resource side and as a token-exchange subject alike.
    pub(crate) fn refuse_revoked_tenant_token(
        &self,
        tenant: &str,
        claims: &oauth4os_core::Claims,
    ) -> oauth4os_core::Result<()> {
        match claims.jti.as_deref() {
            Some(jti) if self.tenant_token_revoked(tenant, jti) => Err(oauth4os_core::Error::new(
                Reason::Revoked,
                "the token has been revoked",
            )),
            _ => Ok(()),
        }
    }

    fn subject_issuer(&self, iss: &str) -> Option<SubjectIssuer> {
        self.federation
            .subjects
            .iter()
            .find(|s| s.issuer == iss)
            .cloned()
    }

    pub(crate) async fn exchange(
        &self,
        client: &ClientRecord,
        form: &Form,
    ) -> OAuthResult<(Minted, String, Option<String>)> {
        let subject_token = form.require("subject_token")?;
        match form.require("subject_token_type")? {
            ACCESS_TOKEN_TYPE | JWT_TOKEN_TYPE => {}
            other => {
                return Err(OAuthError::new(
                    Reason::InvalidRequest,
                    format!(
                        "subject_token_type {} is not supported (use {})",
                        quote(other),
                        quote(ACCESS_TOKEN_TYPE)
                    ),
                ));
            }
        }
        if let Some(t) = form.get("requested_token_type")
            && t != ACCESS_TOKEN_TYPE
        {
            return Err(OAuthError::new(
                Reason::InvalidRequest,
                format!(
                    "requested_token_type {} is not supported: only access tokens are issued",
                    quote(t)
                ),
            ));
        }
        if form.get("actor_token").is_some() {
            return Err(OAuthError::new(
                Reason::InvalidRequest,
                "`actor_token` is not supported: the authenticated client is the actor",
            ));
        }
        let refused = |why: &str| {
            OAuthError::new(
                Reason::SubjectTokenInvalid,
                format!("the subject token {why}"),
            )
        };
        let issuer = unverified_issuer(subject_token)
            .and_then(|iss| self.subject_issuer(&iss))
            .ok_or_else(|| refused("is not from a trusted tenant"))?;
        let claims = issuer.verifier.verify(subject_token).await.map_err(|e| {
            tracing::info!(client_id = %client.id, reason = %e.reason, "token exchange: subject token refused");
            refused(&format!("is invalid ({})", e.reason))
        })?;
        self.refuse_revoked_tenant_token(&issuer.tenant, &claims)
            .map_err(|_| refused("has been revoked"))?;
        if client.tenant != issuer.tenant {
            return Err(OAuthError::new(
                Reason::WrongTenant,
                format!(
                    "the subject token is from tenant {} but this client belongs to tenant {}",
                    quote(&issuer.tenant),
                    quote(&client.tenant)
                ),
            ));
        }
        let subject = claims
            .sub
            .clone()
            .ok_or_else(|| refused("has no `sub` claim"))?;
        let subject_scopes = ScopeSet::parse_claim(claims.scope.as_deref().unwrap_or(""));
        let ceiling = client.scopes.intersection(&subject_scopes);
        if ceiling.is_empty() {
            return Err(OAuthError::new(
                Reason::InvalidScope,
                "nothing this client may hold is granted to the subject",
            ));
        }
        let requested = ScopeSet::parse(form.get("scope").unwrap_or(""))?;
        let granted = ScopeSet::attenuate(&requested, &ceiling)
            .map_err(|_| {
                OAuthError::new(
                    Reason::InvalidScope,
                    "the requested scope exceeds what both the client and the subject hold",
                )
            })?
            .to_string();
        let aud = self.audience(client, form)?;
        let actor = Actor {
            sub: client.id.clone(),
        };
        let now = unix_now();
        let minted = self.mint_for(
            client,
            &subject,
            Some(actor),
            &issuer.tenant,
            &granted,
            &aud,
            now,
        )?;
        let event = AuditEvent::new(
            now,
            "token_exchanged",
            Some(&client.id),
            json!({
                "subject": subject, "tenant": issuer.tenant, "scope": granted, "jti": minted.jti,
            }),
        );
        self.store.audit(event).await?;
        Ok((minted, granted, None))
    }
}
