//! `POST /oauth/register`: RFC 7591 dynamic client registration, off by default.
//!
//! When `[authorization_server.registration]` has `enabled = true`, a registration must carry
//! the initial access token (RFC 7591 §3) as a bearer token, and the requested `scope` must lie
//! within the configured ceiling (`invalid_client_metadata` otherwise). Public clients (MCP
//! clients, CLIs: `token_endpoint_auth_method` `none`) are registered with `redirect_uris`
//! (HTTPS, or HTTP on loopback; compared as at `/oauth/authorize`) and only the
//! `authorization_code` (PKCE required) and `refresh_token` grants; no secret is made.
//! Confidential clients use `client_credentials`, `refresh_token` and, with redirect URIs,
//! `authorization_code`: `client_secret_basic` or `client_secret_post` (the server generates
//! a 256-bit secret, answers it once and stores its SHA-256), or RFC 8705's `tls_client_auth` (with
//! `tls_client_auth_subject_dn` and/or `tls_client_auth_san_dns`) and
//! `self_signed_tls_client_auth` (with `jwks` whose keys carry `x5c`): no secret. `allowed_ips`
//! (CIDR list) limits where the client may get and use tokens from. Metadata the server does
//! not understand is ignored, as §2 requires.

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
use crate::services::config::authz::{ClientFields, ConstraintFields, GrantType};
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
    #[serde(default)]
    tls_client_auth_subject_dn: Option<String>,
    #[serde(default)]
    tls_client_auth_san_dns: Option<String>,
    /// `self_signed_tls_client_auth`: the client's certificates, as JWKs with `x5c`.
    #[serde(default)]
    jwks: Option<serde_json::Value>,
    #[serde(default)]
    tls_client_certificate_bound_access_tokens: Option<bool>,
    /// Address ranges (CIDR) the client may get and use tokens from.
    #[serde(default)]
    allowed_ips: Vec<String>,
}

/// The thumbprints of the certificates of a registered `jwks` (the first `x5c` member of each
/// key, RFC 7517 §4.7).
fn jwks_thumbprints(jwks: &serde_json::Value) -> Result<Vec<String>, &'static str> {
    let keys = jwks
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or("`jwks` must be a JWK set (an object with `keys`)")?;
    keys.iter()
        .map(|k| {
            k.get("x5c")
                .and_then(serde_json::Value::as_array)
                .and_then(|chain| chain.first())
                .and_then(serde_json::Value::as_str)
                .and_then(crate::services::certificate::thumbprint_of_x5c)
                .ok_or(
                    "every key of `jwks` needs an `x5c` with the base64 DER of the client's certificate",
                )
        })
        .collect()
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
    super::client_auth::Peer { ip: peer, .. }: super::client_auth::Peer,
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
        // Without a bearer token, only a public client may register, and only where the
        // configuration opens that (MCP clients have no initial access token).
        let open = match crate::services::web::bearer(headers) {
            Some(presented) => {
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
                false
            }
            None if reg.public_clients_without_token => true,
            None => return Err(bad_token()),
        };
        let meta: Metadata = body(headers, bytes)?;
        let method = meta
            .token_endpoint_auth_method
            .as_deref()
            .unwrap_or("client_secret_basic");
        if !matches!(
            method,
            "client_secret_basic"
                | "client_secret_post"
                | "tls_client_auth"
                | "self_signed_tls_client_auth"
                | "none"
        ) {
            return Err(metadata_error(&format!(
                "token_endpoint_auth_method {} is not supported (use `client_secret_basic`, `client_secret_post`, `tls_client_auth`, `self_signed_tls_client_auth` or `none` for a public client)",
                quote(method)
            )));
        }
        let public = method == "none";
        if open && !public {
            return Err(bad_token());
        }
        let thumbprints = match &meta.jwks {
            Some(jwks) if method == "self_signed_tls_client_auth" => {
                jwks_thumbprints(jwks).map_err(metadata_error)?
            }
            Some(_) => {
                return Err(metadata_error(
                    "`jwks` is only for `self_signed_tls_client_auth` clients here",
                ));
            }
            None => Vec::new(),
        };
        let certificate = method.contains("tls_client_auth");
        // RFC 7591 §2: `authorization_code` when absent; a machine client (no redirect URI,
        // not public) gets `client_credentials`, as it always did here.
        let grants = if !meta.grant_types.is_empty() {
            meta.grant_types.clone()
        } else if public || !meta.redirect_uris.is_empty() {
            vec![GrantType::AuthorizationCode.as_str().to_owned()]
        } else {
            vec![GrantType::ClientCredentials.as_str().to_owned()]
        };
        let allowed: &[&str] = if public {
            &["authorization_code", "refresh_token"]
        } else {
            &["authorization_code", "client_credentials", "refresh_token"]
        };
        if let Some(g) = grants.iter().find(|g| !allowed.contains(&g.as_str())) {
            return Err(metadata_error(&format!(
                "grant type {} cannot be registered{} (use {})",
                quote(g),
                if public { " by a public client" } else { "" },
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let code = grants.iter().any(|g| g == "authorization_code");
        if let Some(t) = meta.response_types.iter().find(|t| !code || *t != "code") {
            return Err(metadata_error(&format!(
                "response type {} cannot be registered (only `code`, with the `authorization_code` grant)",
                quote(t)
            )));
        }
        let ceiling = &reg.scope_ceiling;
        let asked = meta.scope.as_deref().unwrap_or("");
        let scopes = if public {
            // MCP clients ask for the resource's whole `scopes_supported`: a public client is
            // registered with the part of it within the ceiling (RFC 7591 §3.2.1 lets the
            // server replace requested values; the answer says what it got). Every token still
            // needs a user's consent.
            let requested = ScopeSet::parse_claim(asked);
            if asked.trim().is_empty() {
                ceiling.clone()
            } else {
                let within = requested.intersection(ceiling);
                if within.is_empty() {
                    return Err(metadata_error(&format!(
                        "no scope of {} is within what registered clients may have ({})",
                        quote(asked),
                        quote(&ceiling.to_string())
                    )));
                }
                within
            }
        } else {
            let requested = ScopeSet::parse(asked).map_err(|e| metadata_error(&e.message))?;
            ScopeSet::attenuate(&requested, ceiling).map_err(|e| {
                metadata_error(&format!(
                    "{}: registered clients are limited to {}",
                    e.message,
                    quote(&reg.scope_ceiling.to_string())
                ))
            })?
        };
        let id = random_id().map_err(from_core)?;
        let (secret, stored) = if certificate || public {
            (None, String::new())
        } else {
            let (secret, stored) = generate_secret().map_err(from_core)?;
            (Some(secret), stored)
        };
        let scope_text = scopes.to_string();
        let record = ClientFields {
            id: &id,
            scopes: &scope_text,
            grant_types: &grants,
            tenant: reg.tenant.as_deref(),
            access_token_ttl: None,
            redirect_uris: &meta.redirect_uris,
            rate_limit: None,
            constraints: ConstraintFields {
                auth_method: Some(method),
                subject_dn: meta.tls_client_auth_subject_dn.as_deref(),
                san_dns: meta.tls_client_auth_san_dns.as_deref(),
                thumbprints: &thumbprints,
                bound_tokens: meta.tls_client_certificate_bound_access_tokens,
                allowed_ips: &meta.allowed_ips,
                audiences: &[],
            },
        }
        .validate(|f| f.to_owned(), stored, ClientSource::Api)
        .map_err(|e| {
            // RFC 7591 §3.2.2: a refused redirect URI has its own error.
            let redirect = matches!(
                e.reason,
                Reason::InvalidRedirectUri
                    | Reason::MissingRedirectUri
                    | Reason::UnexpectedRedirectUri
                    | Reason::TooManyRedirectUris
            );
            if redirect {
                OAuthError::new(Reason::InvalidRedirectUriGeneric, e.message).into_response()
            } else {
                metadata_error(&e.message)
            }
        })?;
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
        self.remember_allowlist(&record);
        tracing::info!(client_id = %id, "client registered");
        let grant_names: Vec<&str> = record.grant_types.iter().map(|g| g.as_str()).collect();
        let mut answer = json!({
            "client_id": id,
            "client_id_issued_at": now,
            "token_endpoint_auth_method": method,
            "grant_types": grant_names,
            "scope": scope_text,
            "tls_client_certificate_bound_access_tokens": record.constraints.certificate_bound_tokens,
            "redirect_uris": record.redirect_uris,
        });
        if let Some(map) = answer.as_object_mut() {
            if let Some(secret) = secret {
                map.insert("client_secret".into(), secret.into());
                map.insert("client_secret_expires_at".into(), 0.into());
            }
            let c = &record.constraints;
            for (name, value) in [
                ("tls_client_auth_subject_dn", &c.subject_dn),
                ("tls_client_auth_san_dns", &c.san_dns),
            ] {
                if let Some(v) = value {
                    map.insert(name.into(), v.clone().into());
                }
            }
            if let Some(jwks) = &meta.jwks {
                map.insert("jwks".into(), jwks.clone());
            }
            if !c.allowed_ips.is_empty() {
                map.insert("allowed_ips".into(), c.allowed_ips.clone().into());
            }
            if record.allows(GrantType::AuthorizationCode) {
                map.insert("response_types".into(), json!(["code"]));
            }
        }
        if let (Some(name), Some(map)) = (meta.client_name, answer.as_object_mut()) {
            map.insert("client_name".into(), name.into());
        }
        Ok(no_store_json(StatusCode::CREATED, &answer))
    }
}
