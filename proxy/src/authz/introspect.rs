//! `POST /oauth/introspect` (RFC 7662): for authenticated clients only. Anything that is not a
//! valid token of this server (expired, revoked, malformed, foreign, another client's refresh
//! token) is `{"active":false}`, with no reason given.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use oauth4os_core::Claims;
use oauth4os_core::verify::unix_now;
use serde_json::json;

use oauth4os_core::protocol::IntrospectionResponse;

use super::AuthServer;
use super::revoke::{TokenKind, check_hint, kind_of};
use crate::services::secrets::sha256;
use crate::services::store::ClientRecord;
use crate::services::web::error::{OAuthResult, no_store_json};
use crate::services::web::form::Form;

/// The handler.
pub(crate) async fn handle(
    State(server): State<Arc<AuthServer>>,
    peer: super::client_auth::Peer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    crate::services::web::form::respond(body, async |b| server.introspect(&headers, &peer, b).await)
        .await
}

fn inactive() -> IntrospectionResponse {
    IntrospectionResponse::default()
}

fn access_token_info(claims: &Claims) -> IntrospectionResponse {
    let aud = match claims.aud.as_slice() {
        [one] => json!(one),
        many => json!(many),
    };
    IntrospectionResponse {
        active: true,
        token_type: Some("Bearer".to_owned()),
        scope: claims.scope.clone(),
        client_id: claims.client_id.clone(),
        sub: claims.sub.clone(),
        aud: Some(aud),
        iss: Some(claims.iss.clone()),
        exp: Some(claims.exp),
        iat: claims.iat,
        jti: claims.jti.clone(),
        tenant: claims.tenant.clone(),
        nbf: None,
        cnf: claims.extra.get("cnf").cloned(),
    }
}

impl AuthServer {
    async fn introspect(
        &self,
        headers: &HeaderMap,
        peer: &super::client_auth::Peer,
        body: &[u8],
    ) -> OAuthResult {
        let form = Form::parse(headers, body)?;
        let caller = self.require_client(headers, &form, peer).await?;
        let token = form.require("token")?;
        check_hint(&form)?;
        let info = match kind_of(token) {
            TokenKind::Access => match self.verify(token).await {
                Ok(claims) => access_token_info(&claims),
                Err(_) => inactive(),
            },
            TokenKind::Refresh => self.refresh_token_info(token, &caller).await?,
        };
        Ok(no_store_json(StatusCode::OK, &info))
    }

    /// A refresh token is described only to the client it was issued to.
    async fn refresh_token_info(
        &self,
        token: &str,
        caller: &ClientRecord,
    ) -> OAuthResult<IntrospectionResponse> {
        let Some(view) = self.store.refresh_token(&sha256(token.as_bytes())).await? else {
            return Ok(inactive());
        };
        let family = &view.family;
        let live = family.client_id == caller.id
            && view.family_revoked_at.is_none()
            && view.used_at.is_none()
            && view.expires_at > unix_now();
        if !live {
            return Ok(inactive());
        }
        Ok(IntrospectionResponse {
            active: true,
            token_type: Some("refresh_token".to_owned()),
            scope: Some(family.scope.clone()),
            client_id: Some(family.client_id.clone()),
            sub: Some(family.client_id.clone()),
            aud: Some(json!(family.audience)),
            iss: Some(self.cfg.issuer.clone()),
            exp: Some(view.expires_at),
            iat: Some(view.issued_at),
            tenant: Some(caller.tenant.clone()),
            jti: None,
            nbf: None,
            cnf: None,
        })
    }
}
