//! `POST /oauth/register`: RFC 7591 dynamic client registration, off by default.
//!
//! When `[authorization_server.registration]` has `enabled = true`, a registration must carry
//! the initial access token (RFC 7591 §3) as a bearer token, and the requested `scope` must lie
//! within the configured ceiling (`invalid_client_metadata` otherwise). Only confidential
//! machine clients are registered: `client_credentials` and/or `refresh_token`, no redirect
//! URIs, `client_secret_basic` or `client_secret_post`. The server generates a 256-bit secret,
//! answers it once and stores its SHA-256. Metadata the server does not understand is ignored,
//! as §2 requires.

use oauth4os_core::Reason;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use oauth4os_core::ScopeSet;
use oauth4os_core::error::quote;
use oauth4os_core::verify::unix_now;
use serde::Deserialize;
use serde_json::json;

use super::AuthServer;
use crate::services::config::authz::{ClientFields, GrantType};
use crate::services::secrets::generate_secret;
use crate::services::secrets::random_id;
use crate::services::store::{AuditEvent, ClientSource};
use crate::services::web::error::{OAuthError, no_store_json};
use crate::services::web::json::{body, from_core};

/// The registration endpoint, relative to the issuer.
pub const REGISTER_PATH: &str = oauth4os_core::protocol::paths::REGISTER;

/// The client metadata this server understands (RFC 7591 §2).
#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    grant_types: Vec<String>,
    #[serde(default)]
    response_types: Vec<String>,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

fn metadata_error(description: &str) -> Response {
    OAuthError::new(Reason::InvalidClientMetadata, description).into_response()
}

fn bad_token() -> Response {
    let mut r = OAuthError::new(
        Reason::BadRegistrationToken,
        "registration needs the initial access token as a bearer token",
    )
    .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"Bearer error="invalid_token""#),
    );
    r
}

/// The handler.
pub(crate) async fn handle(
    State(server): State<Arc<AuthServer>>,
    super::client_auth::Peer(peer): super::client_auth::Peer,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    match server.register(&headers, peer, &bytes).await {
        Ok(r) | Err(r) => r,
    }
}

impl AuthServer {
    #[allow(
        clippy::result_large_err,
        reason = "errors are ready responses, built once per refused registration"
    )]
    async fn register(
        &self,
        headers: &HeaderMap,
        peer: Option<std::net::IpAddr>,
        bytes: &Bytes,
    ) -> Result<Response, Response> {
        let Some(reg) = self.cfg.registration.as_ref().filter(|r| r.enabled) else {
            return Err(OAuthError::new(
                Reason::RegistrationDisabled,
                "dynamic client registration is not enabled on this server",
            )
            .into_response());
        };
        let presented = crate::services::web::bearer(headers).ok_or_else(bad_token)?;
        let verified = self
            .clients
            .secrets
            .verify(
                "#registration",
                Some(&reg.initial_access_token_hash),
                presented,
                peer,
            )
            .await
            .map_err(|crate::services::secrets::Throttled(secs)| {
                crate::services::web::error::OAuthError::rate_limited(secs).into_response()
            })?;
        if !verified {
            tracing::info!("registration refused: wrong initial access token");
            return Err(bad_token());
        }
        let meta: Metadata = body(headers, bytes)?;
        if !meta.redirect_uris.is_empty() || !meta.response_types.is_empty() {
            return Err(OAuthError::new(
                Reason::InvalidRedirectUriGeneric,
                "only machine clients are registered here: no redirect URIs or response types",
            )
            .into_response());
        }
        let method = meta
            .token_endpoint_auth_method
            .as_deref()
            .unwrap_or("client_secret_basic");
        if !matches!(method, "client_secret_basic" | "client_secret_post") {
            return Err(metadata_error(&format!(
                "token_endpoint_auth_method {} is not supported (use `client_secret_basic` or `client_secret_post`)",
                quote(method)
            )));
        }
        let grants = if meta.grant_types.is_empty() {
            vec![GrantType::ClientCredentials.as_str().to_owned()]
        } else {
            meta.grant_types.clone()
        };
        if let Some(g) = grants
            .iter()
            .find(|g| !matches!(g.as_str(), "client_credentials" | "refresh_token"))
        {
            return Err(metadata_error(&format!(
                "grant type {} cannot be registered (use `client_credentials` or `refresh_token`)",
                quote(g)
            )));
        }
        let ceiling = &reg.scope_ceiling;
        let requested = ScopeSet::parse(meta.scope.as_deref().unwrap_or(""))
            .map_err(|e| metadata_error(&e.message))?;
        let scopes = ScopeSet::attenuate(&requested, ceiling).map_err(|e| {
            metadata_error(&format!(
                "{}: registered clients are limited to {}",
                e.message,
                quote(&reg.scope_ceiling.to_string())
            ))
        })?;
        let id = random_id().map_err(from_core)?;
        let (secret, stored) = generate_secret().map_err(from_core)?;
        let scope_text = scopes.to_string();
        let record = ClientFields {
            id: &id,
            scopes: &scope_text,
            grant_types: &grants,
            tenant: reg.tenant.as_deref(),
            access_token_ttl: None,
            redirect_uris: &[],
            rate_limit: None,
        }
        .validate(|f| f.to_owned(), stored, ClientSource::Api)
        .map_err(|e| metadata_error(&e.message))?;
        let now = unix_now();
        if !self
            .store
            .insert_client(record.clone(), now)
            .await
            .map_err(from_core)?
        {
            return Err(from_core(oauth4os_core::Error::internal(
                "a random client id collided",
            )));
        }
        let detail =
            json!({ "by": "registration", "client_name": meta.client_name, "scope": scope_text });
        self.store
            .audit(AuditEvent::new(now, "client_created", Some(&id), detail))
            .await
            .map_err(from_core)?;
        tracing::info!(client_id = %id, "client registered");
        let grant_names: Vec<&str> = record.grant_types.iter().map(|g| g.as_str()).collect();
        let mut answer = json!({
            "client_id": id,
            "client_secret": secret,
            "client_id_issued_at": now,
            "client_secret_expires_at": 0,
            "token_endpoint_auth_method": method,
            "grant_types": grant_names,
            "scope": scope_text,
        });
        if let (Some(name), Some(map)) = (meta.client_name, answer.as_object_mut()) {
            map.insert("client_name".into(), name.into());
        }
        Ok(no_store_json(StatusCode::CREATED, &answer))
    }
}
