//! `/admin/clients`: create (the secret is answered once, stored as SHA-256), list, get,
//! replace, rotate the secret, revoke every token, delete. Clients declared in the
//! configuration file can be read and have their tokens revoked, but not changed (409).

use oauth4os_core::Reason;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse as _;
use oauth4os_core::error::quote;
use oauth4os_core::verify::unix_now;
use serde_json::{Value, json};

use super::{AdminResult, Caller, body, fail, from_core, json, not_found_item};
use oauth4os_core::admin::{
    Client, ClientList, ClientRevocation, ClientSecret, ClientSpec, ClientWithSecret, Source,
};

use crate::authz::{AuthServer, generate_secret};
use crate::services::config::authz::{ClientFields, ConstraintFields, resolve_client_audiences};
use crate::services::secrets::random_id;
use crate::services::store::{AuditEvent, ClientRecord, ClientSource};

/// The authentication method a spec names: `public: true` is `none`; a contradiction (a
/// public client with another method, `public: false` with `none`) is refused.
fn auth_method(spec: &ClientSpec) -> Result<Option<&str>, axum::response::Response> {
    let method = spec.token_endpoint_auth_method.as_deref();
    match (spec.public, method) {
        (Some(true), None) => Ok(Some("none")),
        (Some(true), Some(m)) if m != "none" => Err(fail(
            Reason::InvalidPublicClient,
            &format!(
                "`public: true` contradicts `token_endpoint_auth_method` {}: a public client authenticates with `none`",
                quote(m)
            ),
        )),
        (Some(false), Some("none")) => Err(fail(
            Reason::InvalidPublicClient,
            "`public: false` contradicts `token_endpoint_auth_method` `none`, which makes a public client",
        )),
        _ => Ok(method),
    }
}

/// Builds the record a spec describes.
fn record(
    server: &AuthServer,
    spec: &ClientSpec,
    id: &str,
    secret_hash: String,
) -> Result<ClientRecord, axum::response::Response> {
    if let Some(bad) = spec
        .scopes
        .iter()
        .find(|s| s.is_empty() || s.contains(char::is_whitespace))
    {
        return Err(fail(
            Reason::InvalidScopes,
            &format!(
                "`scopes` element {} must be one scope, without spaces",
                quote(bad)
            ),
        ));
    }
    let scopes = spec.scopes.join(" ");
    ClientFields {
        id,
        scopes: &scopes,
        grant_types: &spec.grant_types,
        tenant: spec.tenant.as_deref(),
        access_token_ttl: spec.access_token_ttl,
        redirect_uris: &spec.redirect_uris,
        rate_limit: spec.rate_limit.as_deref(),
        constraints: ConstraintFields {
            auth_method: auth_method(spec)?,
            subject_dn: spec.tls_client_auth_subject_dn.as_deref(),
            san_dns: spec.tls_client_auth_san_dns.as_deref(),
            thumbprints: &spec.tls_client_certificate_thumbprints,
            bound_tokens: spec.tls_client_certificate_bound_access_tokens,
            allowed_ips: &spec.allowed_ips,
            audiences: &[],
        },
    }
    .validate(|f| f.to_owned(), secret_hash, ClientSource::Api)
    .and_then(|mut r| {
        // Only a client that authenticates with a secret keeps one.
        if !r.constraints.auth_method.uses_secret() {
            r.secret_hash = String::new();
        }
        r.constraints.audiences =
            resolve_client_audiences(&spec.audiences, &server.config().audiences, "audiences")?;
        Ok(r)
    })
    .map_err(from_core)
}

/// The public view of a client: never its secret or hash.
pub(super) fn view(c: &ClientRecord) -> Client {
    Client {
        client_id: c.id.clone(),
        scopes: c.scopes.iter().map(ToString::to_string).collect(),
        grant_types: c.grant_types.clone(),
        tenant: c.tenant.clone(),
        access_token_ttl: c.access_token_ttl,
        redirect_uris: c.redirect_uris.clone(),
        rate_limit: c.rate_limit.clone(),
        source: match c.source {
            ClientSource::Config => Source::Config,
            ClientSource::Api => Source::Api,
        },
        token_endpoint_auth_method: c.constraints.auth_method.as_str().to_owned(),
        public: c.constraints.auth_method.is_public(),
        tls_client_auth_subject_dn: c.constraints.subject_dn.clone(),
        tls_client_auth_san_dns: c.constraints.san_dns.clone(),
        tls_client_certificate_thumbprints: c.constraints.thumbprints.clone(),
        tls_client_certificate_bound_access_tokens: c.constraints.certificate_bound_tokens,
        allowed_ips: c.constraints.allowed_ips.clone(),
        audiences: c.constraints.audiences.clone(),
    }
}

fn read_only(id: &str) -> axum::response::Response {
    fail(
        Reason::Conflict,
        &format!(
            "client {} is declared in the configuration file; change it there",
            quote(id)
        ),
    )
}

async fn existing(server: &AuthServer, id: &str) -> Result<ClientRecord, axum::response::Response> {
    server
        .store()
        .client(id)
        .await
        .map_err(from_core)?
        .ok_or_else(|| not_found_item("client", id))
}

async fn audit(
    server: &AuthServer,
    kind: &str,
    id: &str,
    by: &Caller,
    extra: Value,
) -> Result<(), axum::response::Response> {
    let mut detail = json!({ "by": by.0 });
    if let (Some(d), Some(e)) = (detail.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    server
        .store()
        .audit(AuditEvent::new(unix_now(), kind, Some(id), detail))
        .await
        .map_err(from_core)
}

pub(super) async fn list(State(server): State<Arc<AuthServer>>) -> AdminResult {
    let clients = server.store().clients().await.map_err(from_core)?;
    let clients = clients.iter().map(view).collect();
    Ok(json(StatusCode::OK, &ClientList { clients }))
}

pub(super) async fn show(
    State(server): State<Arc<AuthServer>>,
    Path(id): Path<String>,
) -> AdminResult {
    Ok(json(StatusCode::OK, &view(&existing(&server, &id).await?)))
}

pub(super) async fn create(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    headers: HeaderMap,
    bytes: Bytes,
) -> AdminResult {
    let spec: ClientSpec = body(&headers, &bytes)?;
    let id = match &spec.client_id {
        Some(id) => id.clone(),
        None => random_id().map_err(from_core)?,
    };
    let (secret, stored) = generate_secret().map_err(from_core)?;
    let record = record(&server, &spec, &id, stored)?;
    let taken = || {
        fail(
            Reason::Conflict,
            &format!("client {} already exists", quote(&id)),
        )
    };
    if server.admin_client(&id).is_some() {
        return Err(taken());
    }
    if !server
        .store()
        .insert_client(record.clone(), unix_now())
        .await
        .map_err(from_core)?
    {
        return Err(taken());
    }
    server.apply_client_rate(&record);
    audit(&server, "client_created", &id, &by, json!({})).await?;
    let method = record.constraints.auth_method;
    let answer = ClientWithSecret {
        client: view(&record),
        client_secret: if method.uses_secret() {
            Some(secret)
        } else if method.is_public() {
            None
        } else {
            Some(String::new())
        },
    };
    let mut resp = json(StatusCode::CREATED, &answer);
    if let Ok(loc) = HeaderValue::from_str(&format!("{}/clients/{id}", super::PREFIX)) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(resp)
}

pub(super) async fn update(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> AdminResult {
    let spec: ClientSpec = body(&headers, &bytes)?;
    if spec.client_id.as_deref().is_some_and(|c| c != id) {
        return Err(fail(
            Reason::InvalidRequest,
            "`client_id` in the body differs from the one in the path",
        ));
    }
    let old = existing(&server, &id).await?;
    if old.source == ClientSource::Config {
        return Err(read_only(&id));
    }
    // A client that becomes a secret client gets its secret from rotate-secret.
    let record = record(&server, &spec, &id, old.secret_hash.clone())?;
    if !server
        .store()
        .update_client(record.clone(), unix_now())
        .await
        .map_err(from_core)?
    {
        return Err(not_found_item("client", &id));
    }
    server.apply_client_rate(&record);
    audit(
        &server,
        "client_updated",
        &id,
        &by,
        json!({ "scopes": record.scopes.to_string() }),
    )
    .await?;
    Ok(json(StatusCode::OK, &view(&record)))
}

pub(super) async fn rotate_secret(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    Path(id): Path<String>,
) -> AdminResult {
    let old = existing(&server, &id).await?;
    if old.source == ClientSource::Config {
        return Err(read_only(&id));
    }
    if old.constraints.auth_method.uses_certificate() {
        return Err(fail(
            Reason::Conflict,
            &format!(
                "client {} authenticates with a TLS client certificate and has no secret",
                quote(&id)
            ),
        ));
    }
    if old.constraints.auth_method.is_public() {
        return Err(fail(
            Reason::Conflict,
            &format!("client {} is a public client and has no secret", quote(&id)),
        ));
    }
    let (secret, stored) = generate_secret().map_err(from_core)?;
    let record = ClientRecord {
        secret_hash: stored,
        ..old
    };
    if !server
        .store()
        .update_client(record, unix_now())
        .await
        .map_err(from_core)?
    {
        return Err(not_found_item("client", &id));
    }
    audit(&server, "client_secret_rotated", &id, &by, json!({})).await?;
    Ok(json(
        StatusCode::OK,
        &ClientSecret {
            client_id: id,
            client_secret: secret,
        },
    ))
}

pub(super) async fn revoke_tokens(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    Path(id): Path<String>,
) -> AdminResult {
    existing(&server, &id).await?;
    let n = server
        .revoke_client_tokens(&id, &by.0)
        .await
        .map_err(from_core)?;
    Ok(json(
        StatusCode::OK,
        &ClientRevocation {
            client_id: id,
            revoked: true,
            refresh_family_access_tokens: u64::try_from(n).unwrap_or(u64::MAX),
        },
    ))
}

pub(super) async fn remove(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    Path(id): Path<String>,
) -> AdminResult {
    let old = existing(&server, &id).await?;
    if old.source == ClientSource::Config {
        return Err(read_only(&id));
    }
    // Tokens die first: a crash between the two leaves a client without valid tokens, never
    // tokens without a client record to explain them.
    server
        .revoke_client_tokens(&id, &by.0)
        .await
        .map_err(from_core)?;
    if !server.store().delete_client(&id).await.map_err(from_core)? {
        return Err(not_found_item("client", &id));
    }
    server.apply_client_rate(&ClientRecord {
        rate_limit: None,
        ..old
    });
    audit(&server, "client_deleted", &id, &by, json!({})).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
