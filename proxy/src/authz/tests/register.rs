//! RFC 7591 dynamic registration: off by default; the initial access token; the scope ceiling.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use super::{Harness, Reply, form, send};
use crate::services::config::authz::RegistrationConfig;
use crate::services::secrets::test_hash;

const IAT: &str = "initial-access-token-0123456789abcdef";

fn open_registration() -> Harness {
    Harness::with(|cfg| {
        cfg.registration = Some(RegistrationConfig {
            enabled: true,
            initial_access_token_hash: test_hash(IAT),
            scope_ceiling: oauth4os_core::ScopeSet::parse("read:logs-* monitor:*").unwrap(),
            tenant: Some("acme".into()),
            public_clients_without_token: false,
        });
    })
}

async fn register(h: &Harness, token: Option<&str>, body: &Value) -> Reply {
    let mut req = Request::post("/oauth/register").header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(&h.router, req.body(Body::from(body.to_string())).unwrap()).await
}

#[tokio::test]
async fn registration_is_off_by_default_and_not_advertised() {
    let h = Harness::new();
    let r = register(&h, Some(IAT), &json!({"scope": "read:logs-a"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let meta = h.get("/.well-known/oauth-authorization-server").await;
    assert!(meta.body.get("registration_endpoint").is_none());
    assert!(
        h.server
            .store
            .audit_events(10)
            .await
            .unwrap()
            .iter()
            .all(|e| e.kind != "client_created")
    );
}

#[tokio::test]
async fn a_registered_client_gets_tokens_within_the_ceiling() {
    let h = open_registration();
    let meta = h.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(
        meta.body["registration_endpoint"],
        format!("{}/oauth/register", super::ISSUER)
    );
    let r = register(
        &h,
        Some(IAT),
        &json!({"client_name": "agent <b>", "scope": "read:logs-app", "grant_types": ["client_credentials"],
                "token_endpoint_auth_method": "client_secret_post", "software_id": "ignored"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let id = r.body["client_id"].as_str().unwrap().to_owned();
    let secret = r.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(r.body["client_secret_expires_at"], 0);
    assert_eq!(r.body["scope"], "read:logs-app");
    let stored = h.server.store.client(&id).await.unwrap().unwrap();
    assert_eq!(stored.tenant, "acme");
    assert!(!stored.secret_hash.contains(&secret));
    let t = h
        .post(
            "/oauth/token",
            &form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
            ]),
            None,
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text);
    assert_eq!(t.body["scope"], "read:logs-app");
    let events = h.server.store.audit_events(10).await.unwrap();
    let created: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "client_created")
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].detail["by"], "registration");
    // No scope asked: the whole ceiling.
    let r = register(&h, Some(IAT), &json!({})).await;
    assert_eq!(r.body["scope"], "read:logs-* monitor:*");
}

#[tokio::test]
async fn registrations_above_the_ceiling_or_without_the_token_are_refused() {
    let h = open_registration();
    let before = h.server.store.clients().await.unwrap().len();
    for token in [None, Some("wrong-token"), Some("")] {
        let r = register(&h, token, &json!({"scope": "read:logs-a"})).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(r.error(), "invalid_token");
    }
    let cases = [
        (json!({"scope": "read:*"}), "invalid_client_metadata"),
        (json!({"scope": "admin:logs-*"}), "invalid_client_metadata"),
        (
            json!({"scope": "read:logs-* write:logs-a"}),
            "invalid_client_metadata",
        ),
        (json!({"scope": "nonsense"}), "invalid_client_metadata"),
        (
            json!({"grant_types": ["authorization_code"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"grant_types": ["urn:ietf:params:oauth:grant-type:token-exchange"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"token_endpoint_auth_method": "none"}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://app.example/cb"], "grant_types": ["client_credentials"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["http://evil.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (json!({"scope": 5}), "invalid_request"),
    ];
    for (body, code) in cases {
        let r = register(&h, Some(IAT), &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.error(), code, "{body}");
    }
    assert_eq!(
        h.server.store.clients().await.unwrap().len(),
        before,
        "nothing was registered"
    );
}

#[tokio::test]
async fn certificate_clients_and_allowlists_can_be_registered() {
    use base64::Engine as _;
    let h = open_registration();
    let before = h.server.store.clients().await.unwrap().len();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(Vec::<String>::new())
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let x5c = base64::engine::general_purpose::STANDARD.encode(cert.der());
    let jwks = json!({"keys": [{"kty": "EC", "x5c": [x5c]}]});
    for (body, needle) in [
        (
            json!({"scope": "read:logs-a", "allowed_ips": ["10.0.0.0/8", "300.0.0.1"]}),
            "`300.0.0.1`",
        ),
        (
            json!({"scope": "read:logs-a", "token_endpoint_auth_method": "tls_client_auth"}),
            "tls_client_auth_subject_dn",
        ),
        (
            json!({"scope": "read:logs-a", "token_endpoint_auth_method": "self_signed_tls_client_auth"}),
            "thumbprint",
        ),
        (
            json!({"scope": "read:logs-a", "token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": {"keys": [{"kty": "EC"}]}}),
            "x5c",
        ),
        (
            json!({"scope": "read:logs-a", "jwks": jwks.clone()}),
            "`jwks`",
        ),
    ] {
        let r = register(&h, Some(IAT), &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.error(), "invalid_client_metadata", "{body}");
        let d = r.body["error_description"].as_str().unwrap();
        assert!(d.contains(needle), "{body}: {d}");
    }
    assert_eq!(h.server.store.clients().await.unwrap().len(), before);

    let r = register(
        &h,
        Some(IAT),
        &json!({
            "scope": "read:logs-a",
            "token_endpoint_auth_method": "self_signed_tls_client_auth",
            "jwks": jwks,
            "allowed_ips": ["192.0.2.0/24"],
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body.get("client_secret").is_none(), "{}", r.text);
    assert_eq!(
        r.body["token_endpoint_auth_method"],
        "self_signed_tls_client_auth"
    );
    assert_eq!(r.body["allowed_ips"], json!(["192.0.2.0/24"]));
    let id = r.body["client_id"].as_str().unwrap();
    let stored = h.server.store.client(id).await.unwrap().unwrap();
    let thumbprint = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(crate::services::secrets::sha256(cert.der()));
    assert_eq!(stored.constraints.thumbprints, [thumbprint]);
    assert_eq!(stored.constraints.allowed_ips, ["192.0.2.0/24"]);
    assert!(stored.secret_hash.is_empty());
}

/// Dynamic registration open to public clients without the initial access token, as MCP
/// clients need.
fn open_to_public_clients() -> Harness {
    Harness::with(|cfg| {
        cfg.registration = Some(RegistrationConfig {
            enabled: true,
            initial_access_token_hash: test_hash(IAT),
            scope_ceiling: oauth4os_core::ScopeSet::parse("read:logs-* monitor:*").unwrap(),
            tenant: None,
            public_clients_without_token: true,
        });
    })
}

/// The body `@modelcontextprotocol/sdk` 1.32 `registerClient()` posts: the provider's
/// `clientMetadata` plus the scope it resolved (the resource's `scopes_supported`), no
/// `Authorization` header.
fn mcp_sdk_registration() -> Value {
    json!({
        "client_name": "oauth4os MCP test client",
        "redirect_uris": ["http://localhost:8090/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "scope": "read:logs-* read:metrics-* monitor:*",
    })
}

#[tokio::test]
async fn the_mcp_sdks_registration_of_a_public_client_succeeds() {
    let h = open_to_public_clients();
    let meta = h.get("/.well-known/oauth-authorization-server").await;
    assert!(
        meta.body["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("none"))
    );
    assert_eq!(
        meta.body["code_challenge_methods_supported"],
        json!(["S256"])
    );
    let r = register(&h, None, &mcp_sdk_registration()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body.get("client_secret").is_none(), "{}", r.text);
    assert!(r.body.get("client_secret_expires_at").is_none());
    assert_eq!(r.body["token_endpoint_auth_method"], "none");
    assert_eq!(
        r.body["redirect_uris"],
        json!(["http://localhost:8090/callback"])
    );
    assert_eq!(
        r.body["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(r.body["response_types"], json!(["code"]));
    // Registered with the part of the asked scope within the ceiling.
    assert_eq!(r.body["scope"], "read:logs-* monitor:*");
    let id = r.body["client_id"].as_str().unwrap();
    let stored = h.server.store.client(id).await.unwrap().unwrap();
    assert!(stored.constraints.auth_method.is_public());
    assert!(stored.secret_hash.is_empty());
    // It identifies itself by `client_id` alone; it may not use client credentials.
    let t = h
        .post(
            "/oauth/token",
            &form(&[("grant_type", "client_credentials"), ("client_id", id)]),
            None,
        )
        .await;
    assert_eq!(t.error(), "unauthorized_client", "{}", t.text);
    // With the initial access token, the same registration works too.
    let r = register(&h, Some(IAT), &mcp_sdk_registration()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn public_registrations_are_held_to_public_client_rules() {
    let h = open_to_public_clients();
    let before = h.server.store.clients().await.unwrap().len();
    // Without the token, only public clients.
    let r = register(&h, None, &json!({"scope": "read:logs-a"})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.error(), "invalid_token");
    let with = |change: Value| {
        let mut body = mcp_sdk_registration();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    for (body, code) in [
        (
            with(json!({"grant_types": ["authorization_code", "client_credentials"]})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"grant_types": ["urn:ietf:params:oauth:grant-type:token-exchange"]})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"response_types": ["token"]})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"scope": "read:secrets-*"})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"redirect_uris": ["http://evil.example/cb"]})),
            "invalid_redirect_uri",
        ),
        (
            with(json!({"redirect_uris": ["https://app.example/cb#f"]})),
            "invalid_redirect_uri",
        ),
        (with(json!({"redirect_uris": []})), "invalid_redirect_uri"),
        (
            with(json!({"tls_client_auth_subject_dn": "CN=x"})),
            "invalid_client_metadata",
        ),
    ] {
        let r = register(&h, None, &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.error(), code, "{body}");
    }
    assert_eq!(h.server.store.clients().await.unwrap().len(), before);
}
