//! Discovery: RFC 8414 authorization-server metadata, its OpenID Connect twin and the JWKS.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use oauth4os_core::protocol::AuthorizationServerMetadata;

use super::AuthServer;
use crate::services::config::authz::GrantType;
use crate::services::keys::ALG;
use crate::services::web::error::OAuthError;

/// Paths of the endpoints, relative to the issuer: the protocol's.
pub use oauth4os_core::protocol::paths::{
    AUTHORIZATION_SERVER_METADATA as METADATA_PATH, INTROSPECT as INTROSPECT_PATH,
    JWKS as JWKS_PATH, OPENID_CONFIGURATION as OIDC_METADATA_PATH, REVOKE as REVOKE_PATH,
    TOKEN as TOKEN_PATH,
};

const CLIENT_AUTH: [&str; 2] = ["client_secret_basic", "client_secret_post"];
/// The RFC 8705 client authentication methods.
const MTLS_CLIENT_AUTH: [&str; 2] = ["tls_client_auth", "self_signed_tls_client_auth"];

fn cacheable<T: serde::Serialize>(body: &T, max_age: u32) -> Response {
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    response
}

impl AuthServer {
    /// The RFC 8414 metadata.
    pub async fn metadata(&self) -> oauth4os_core::Result<AuthorizationServerMetadata> {
        let scopes: BTreeSet<String> = self
            .store
            .clients()
            .await?
            .iter()
            .flat_map(|c| c.scopes.iter().map(ToString::to_string).collect::<Vec<_>>())
            .collect();
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let registration = self.cfg.registration.as_ref().is_some_and(|r| r.enabled);
        // RFC 8705 §2.1.1, §3.3: announced when the listener asks for client certificates.
        let mtls = self.cfg.client_certificates;
        let mut client_auth = strings(&CLIENT_AUTH);
        if mtls {
            client_auth.extend(strings(&MTLS_CLIENT_AUTH));
        }
        let mut other = serde_json::Map::new();
        if self.client_metadata_documents() {
            other.insert("client_id_metadata_document_supported".into(), json!(true));
        }
        Ok(AuthorizationServerMetadata {
            issuer: self.cfg.issuer.clone(),
            authorization_endpoint: Some(self.cfg.endpoint(super::AUTHORIZE_PATH)),
            token_endpoint: Some(self.cfg.endpoint(TOKEN_PATH)),
            jwks_uri: Some(self.cfg.endpoint(JWKS_PATH)),
            registration_endpoint: registration.then(|| self.cfg.endpoint(super::REGISTER_PATH)),
            revocation_endpoint: Some(self.cfg.endpoint(REVOKE_PATH)),
            introspection_endpoint: Some(self.cfg.endpoint(INTROSPECT_PATH)),
            scopes_supported: scopes.into_iter().collect(),
            response_types_supported: strings(&["code"]),
            response_modes_supported: strings(&["query"]),
            grant_types_supported: GrantType::ALL
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            // Public clients (PKCE, no secret) use `none` at the token endpoint.
            token_endpoint_auth_methods_supported: client_auth
                .iter()
                .cloned()
                .chain(std::iter::once("none".to_owned()))
                .collect(),
            revocation_endpoint_auth_methods_supported: strings(&["none"])
                .into_iter()
                .chain(client_auth.iter().cloned())
                .collect(),
            introspection_endpoint_auth_methods_supported: client_auth,
            code_challenge_methods_supported: strings(&["S256"]),
            authorization_response_iss_parameter_supported: true,
            tls_client_certificate_bound_access_tokens: mtls,
            other,
        })
    }

    /// The OpenID Connect discovery document: the RFC 8414 metadata plus the members OIDC
    /// requires. No ID tokens are issued; the subject of a token is the client id.
    pub async fn openid_configuration(&self) -> oauth4os_core::Result<AuthorizationServerMetadata> {
        let mut doc = self.metadata().await?;
        doc.other
            .insert("subject_types_supported".into(), json!(["public"]));
        doc.other
            .insert("id_token_signing_alg_values_supported".into(), json!([ALG]));
        doc.other.insert(
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
