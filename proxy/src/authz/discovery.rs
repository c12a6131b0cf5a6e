//! Discovery: RFC 8414 authorization-server metadata, its OpenID Connect twin and the JWKS.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AuthServer;
use crate::services::config::authz::GrantType;
use crate::services::keys::ALG;
use crate::services::web::error::OAuthError;

/// Paths of the endpoints, relative to the issuer.
pub const TOKEN_PATH: &str = "/oauth/token";
/// RFC 7009.
pub const REVOKE_PATH: &str = "/oauth/revoke";
/// RFC 7662.
pub const INTROSPECT_PATH: &str = "/oauth/introspect";
/// RFC 8414 §3.
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
/// OpenID Connect Discovery 1.0 §4.
pub const OIDC_METADATA_PATH: &str = "/.well-known/openid-configuration";
/// The JWKS.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

const CLIENT_AUTH: [&str; 2] = ["client_secret_basic", "client_secret_post"];

fn cacheable(body: &Value, max_age: u32) -> Response {
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    response
}

impl AuthServer {
    /// The RFC 8414 metadata.
    pub async fn metadata(&self) -> oauth4os_core::Result<Value> {
        let scopes: BTreeSet<String> = self
            .store
            .clients()
            .await?
            .iter()
            .flat_map(|c| c.scopes.iter().map(ToString::to_string).collect::<Vec<_>>())
            .collect();
        let grants: Vec<&str> = GrantType::ALL.iter().map(|g| g.as_str()).collect();
        let mut doc = json!({
            "issuer": self.cfg.issuer,
            "token_endpoint": self.cfg.endpoint(TOKEN_PATH),
            "revocation_endpoint": self.cfg.endpoint(REVOKE_PATH),
            "introspection_endpoint": self.cfg.endpoint(INTROSPECT_PATH),
            "jwks_uri": self.cfg.endpoint(JWKS_PATH),
            "grant_types_supported": grants,
            "authorization_endpoint": self.cfg.endpoint(super::AUTHORIZE_PATH),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "authorization_response_iss_parameter_supported": true,
            "token_endpoint_auth_methods_supported": CLIENT_AUTH,
            "revocation_endpoint_auth_methods_supported": ["none", CLIENT_AUTH[0], CLIENT_AUTH[1]],
            "introspection_endpoint_auth_methods_supported": CLIENT_AUTH,
            "scopes_supported": scopes,
            "code_challenge_methods_supported": ["S256"],
        });
        if self.cfg.registration.as_ref().is_some_and(|r| r.enabled)
            && let Some(map) = doc.as_object_mut()
        {
            map.insert(
                "registration_endpoint".into(),
                self.cfg.endpoint(super::REGISTER_PATH).into(),
            );
        }
        Ok(doc)
    }

    /// The OpenID Connect discovery document: the RFC 8414 metadata plus the members OIDC
    /// requires. No ID tokens are issued; the subject of a token is the client id.
    pub async fn openid_configuration(&self) -> oauth4os_core::Result<Value> {
        let mut doc = self.metadata().await?;
        if let Some(map) = doc.as_object_mut() {
            map.insert("subject_types_supported".into(), json!(["public"]));
            map.insert("id_token_signing_alg_values_supported".into(), json!([ALG]));
            map.insert(
                "claims_supported".into(),
                json!([
                    "iss",
                    "sub",
                    "aud",
                    "exp",
                    "iat",
                    "jti",
                    "client_id",
                    "scope",
                    "tenant"
                ]),
            );
        }
        Ok(doc)
    }
}

pub(crate) async fn metadata(State(server): State<Arc<AuthServer>>) -> Response {
    match server.metadata().await {
        Ok(doc) => cacheable(&doc, 300),
        Err(e) => OAuthError::from(e).into_response(),
    }
}

pub(crate) async fn openid_configuration(State(server): State<Arc<AuthServer>>) -> Response {
    match server.openid_configuration().await {
        Ok(doc) => cacheable(&doc, 300),
        Err(e) => OAuthError::from(e).into_response(),
    }
}

pub(crate) async fn jwks(State(server): State<Arc<AuthServer>>) -> Response {
    cacheable(&server.jwks(), 60)
}
