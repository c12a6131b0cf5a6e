//! The admin API over the router: the guard on every route, the admin token's limits, the
//! client lifecycle, per-client and per-family revocation, keys, audit and the OpenAPI document.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use super::{ADMIN_ID, ADMIN_SECRET, Harness, Reply, form, send};
use crate::admin::{PREFIX, routes};

impl Harness {
    pub(super) async fn admin_token(&self) -> String {
        let t = self
            .token(ADMIN_ID, ADMIN_SECRET, &[("scope", "oauth4os:admin")])
            .await;
        t["access_token"].as_str().unwrap().to_owned()
    }

    pub(super) async fn admin(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Reply {
        let m = method.clone();
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{PREFIX}{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let body = match body {
            Some(b) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let reply = send(&self.router, req.body(body).unwrap()).await;
        conforms(&m, path, &reply);
        reply
    }

    async fn access_token(&self, client: &str, secret: &str) -> String {
        self.token(client, secret, &[]).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "ci")
}

#[tokio::test]
async fn every_admin_route_answers_401_without_an_admin_token() {
    let h = Harness::new();
    let resource_token = h.access_token("ci", "ci-secret").await;
    let revoked_admin = h.admin_token().await;
    let r = h
        .post("/oauth/revoke", &form(&[("token", &revoked_admin)]), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let bad_headers: Vec<Option<String>> = vec![
        None,
        Some("Bearer".into()),
        Some("Bearer not-a-jwt".into()),
        Some(format!("Bearer {resource_token}")),
        Some(format!("Bearer {revoked_admin}")),
        Some(super::basic(ADMIN_ID, ADMIN_SECRET)),
    ];
    let mut targets: Vec<(Method, String)> = routes()
        .iter()
        .map(|r| (r.method.clone(), concrete(r.path)))
        .collect();
    targets.push((Method::GET, "/nope".into()));
    targets.push((Method::DELETE, "/clients".into()));
    targets.push((Method::GET, String::new()));
    for (method, path) in &targets {
        for auth in &bad_headers {
            let mut req = Request::builder()
                .method(method.clone())
                .uri(format!("{PREFIX}{path}"));
            if let Some(a) = auth {
                req = req.header(header::AUTHORIZATION, a);
            }
            let r = send(&h.router, req.body(Body::empty()).unwrap()).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {auth:?}: {}",
                r.text
            );
            assert_eq!(r.error(), "invalid_token");
            assert!(
                r.headers[header::WWW_AUTHENTICATE]
                    .to_str()
                    .unwrap()
                    .starts_with("Bearer ")
            );
            assert!(!r.text.contains(&resource_token) && !r.text.contains(ADMIN_SECRET));
        }
    }
    // Nothing changed behind the guard.
    let ok = h
        .admin(Method::GET, "/clients/ci", &h.admin_token().await, None)
        .await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn admin_tokens_are_narrow_and_refused_by_the_resource_side() {
    let h = Harness::new();
    let t = h.token(ADMIN_ID, ADMIN_SECRET, &[]).await;
    assert_eq!(t["scope"], "oauth4os:admin");
    assert_eq!(t["expires_in"], 900);
    assert!(t.get("refresh_token").is_none());
    let token = t["access_token"].as_str().unwrap();
    let claims = h.server.verify_admin(token).await.unwrap();
    assert_eq!(claims.aud, vec![format!("{}/admin", super::ISSUER)]);
    let e = h.server.verify(token).await.unwrap_err();
    assert_eq!(e.reason, "admin_token");

    let ask = |extra: Vec<(&'static str, &'static str)>| {
        let mut pairs = vec![("grant_type", "client_credentials")];
        pairs.extend(extra);
        form(&pairs)
    };
    let r = h
        .post(
            "/oauth/token",
            &ask(vec![("scope", "read:*")]),
            Some((ADMIN_ID, ADMIN_SECRET)),
        )
        .await;
    assert_eq!(r.error(), "invalid_scope", "{}", r.text);
    let r = h
        .post(
            "/oauth/token",
            &ask(vec![("resource", super::AUD)]),
            Some((ADMIN_ID, ADMIN_SECRET)),
        )
        .await;
    assert_eq!(r.error(), "invalid_target", "{}", r.text);
    let r = h
        .post(
            "/oauth/token",
            &ask(vec![]),
            Some((ADMIN_ID, "wrong-secret")),
        )
        .await;
    assert_eq!(r.error(), "invalid_client");
    let r = h
        .post(
            "/oauth/token",
            &form(&[("grant_type", "refresh_token"), ("refresh_token", "x")]),
            Some((ADMIN_ID, ADMIN_SECRET)),
        )
        .await;
    assert_eq!(r.error(), "unauthorized_client");
    // A client token cannot pass for an admin token.
    let ci = h.access_token("ci", "ci-secret").await;
    assert_eq!(
        h.server.verify_admin(&ci).await.unwrap_err().reason,
        "not_admin"
    );
}

#[tokio::test]
async fn client_lifecycle_through_the_admin_api() {
    let h = Harness::new();
    let admin = h.admin_token().await;
    let spec = json!({
        "client_id": "bot-1", "scopes": ["read:logs-*", "write:logs-bot"],
        "grant_types": ["client_credentials", "refresh_token"], "tenant": "acme", "access_token_ttl": 120,
    });
    let r = h
        .admin(Method::POST, "/clients", &admin, Some(spec.clone()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.headers[header::LOCATION], "/admin/clients/bot-1");
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let secret = r.body["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 43, "256-bit secret");
    assert_eq!(r.body["source"], "api");
    // The secret is shown once: never by list or get, and stored only as a hash.
    let listed = h.admin(Method::GET, "/clients", &admin, None).await;
    assert!(!listed.text.contains(&secret) && !listed.text.contains("secret_hash"));
    let ids: Vec<&str> = listed.body["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"bot-1") && ids.contains(&"ci"));
    let stored = h.server.store.client("bot-1").await.unwrap().unwrap();
    assert!(stored.secret_hash.starts_with("sha256:") && !stored.secret_hash.contains(&secret));

    let t = h
        .token("bot-1", &secret, &[("scope", "write:logs-bot")])
        .await;
    assert_eq!(t["expires_in"], 120);
    let claims = h
        .server
        .verify(t["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(claims.tenant.as_deref(), Some("acme"));

    // Taken ids, config clients and the admin id are refused with 409 and change nothing.
    for id in ["bot-1", "ci", ADMIN_ID] {
        let mut s = spec.clone();
        s["client_id"] = json!(id);
        let r = h.admin(Method::POST, "/clients", &admin, Some(s)).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{id}: {}", r.text);
    }
    let r = h
        .admin(
            Method::PUT,
            "/clients/ci",
            &admin,
            Some(json!({"scopes": ["read:*"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        h.server
            .store
            .client("ci")
            .await
            .unwrap()
            .unwrap()
            .scopes
            .to_string(),
        "read:logs-* write:logs-app"
    );
    let r = h.admin(Method::DELETE, "/clients/ci", &admin, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = h
        .admin(Method::POST, "/clients/ci/secret", &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Replace: narrower scopes take effect on the next token request.
    let r = h
        .admin(
            Method::PUT,
            "/clients/bot-1",
            &admin,
            Some(json!({"scopes": ["read:logs-*"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["scopes"], json!(["read:logs-*"]));
    let r = h
        .post(
            "/oauth/token",
            &form(&[
                ("grant_type", "client_credentials"),
                ("scope", "write:logs-bot"),
            ]),
            Some(("bot-1", &secret)),
        )
        .await;
    assert_eq!(r.error(), "invalid_scope");

    // Rotate the secret: the old one stops working at once.
    let r = h
        .admin(Method::POST, "/clients/bot-1/secret", &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let new_secret = r.body["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let r = h
        .post(
            "/oauth/token",
            &form(&[("grant_type", "client_credentials")]),
            Some(("bot-1", &secret)),
        )
        .await;
    assert_eq!(r.error(), "invalid_client");
    let live = h.access_token("bot-1", &new_secret).await;

    // Delete: the client's tokens die with it.
    let r = h
        .admin(Method::DELETE, "/clients/bot-1", &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(h.server.verify(&live).await.unwrap_err().reason, "revoked");
    let r = h
        .post(
            "/oauth/token",
            &form(&[("grant_type", "client_credentials")]),
            Some(("bot-1", &new_secret)),
        )
        .await;
    assert_eq!(r.error(), "invalid_client");
    assert_eq!(
        h.admin(Method::GET, "/clients/bot-1", &admin, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.admin(Method::DELETE, "/clients/bot-1", &admin, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A server-chosen id.
    let r = h
        .admin(
            Method::POST,
            "/clients",
            &admin,
            Some(json!({"scopes": ["monitor:*"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["grant_types"], json!(["client_credentials"]));
    assert!(r.body["client_id"].as_str().unwrap().len() >= 16);

    let kinds: Vec<String> = h
        .server
        .store
        .audit_events(50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for k in [
        "client_created",
        "client_updated",
        "client_secret_rotated",
        "client_deleted",
        "client_tokens_revoked",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
}

#[tokio::test]
async fn bad_admin_bodies_get_specific_errors_and_change_nothing() {
    let h = Harness::new();
    let admin = h.admin_token().await;
    let before = h.server.store.clients().await.unwrap().len();
    let cases = [
        (
            json!({"scopes": ["read:x"], "colour": "hunter2"}),
            "`colour`",
        ),
        (json!({"scopes": "read:x"}), "wrong type"),
        (
            json!({"scopes": ["read:x"], "access_token_ttl": "hunter2"}),
            "wrong type",
        ),
        (json!({}), "`scopes`"),
        (json!({"scopes": ["bogus"]}), "scopes"),
        (json!({"scopes": []}), "empty"),
        (json!({"scopes": ["read:a read:b"]}), "without spaces"),
        (
            json!({"scopes": ["read:x"], "grant_types": ["password"]}),
            "grant_types",
        ),
        (
            json!({"scopes": ["read:x"], "client_id": "bad id!"}),
            "client id",
        ),
        (
            json!({"scopes": ["read:x"], "access_token_ttl": 0}),
            "access_token_ttl",
        ),
    ];
    for (body, needle) in cases {
        let r = h
            .admin(Method::POST, "/clients", &admin, Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.error(), "invalid_request");
        let d = r.body["error_description"].as_str().unwrap();
        assert!(d.contains(needle), "{body}: {d}");
        assert!(!d.contains("hunter2"), "{d}");
    }
    let req = Request::post(format!("{PREFIX}/clients"))
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"scopes":["read:x"]}"#))
        .unwrap();
    assert_eq!(
        send(&h.router, req).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let req = Request::post(format!("{PREFIX}/clients"))
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"scopes\":"))
        .unwrap();
    let r = send(&h.router, req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = h
        .admin(
            Method::PUT,
            "/clients/ci",
            &admin,
            Some(json!({"client_id": "other", "scopes": ["read:x"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(h.server.store.clients().await.unwrap().len(), before);
    for q in ["limit=0", "limit=abc", "colour=1", "kind=a&kind=b"] {
        let r = h
            .admin(Method::GET, &format!("/audit?{q}"), &admin, None)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
    }
}

#[tokio::test]
async fn revoking_a_client_kills_tokens_without_refresh_tokens_too() {
    let h = Harness::new();
    let admin = h.admin_token().await;
    let old = h.access_token("ci", "ci-secret").await;
    let other = h.access_token("other", "other-secret").await;
    let r = h
        .admin(Method::POST, "/clients/ci/revoke", &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["revoked"], true);
    assert_eq!(h.server.verify(&old).await.unwrap_err().reason, "revoked");
    h.server
        .verify(&other)
        .await
        .expect("other clients are untouched");
    // A token issued right after the revocation works, even within the same second.
    let fresh = h.access_token("ci", "ci-secret").await;
    h.server.verify(&fresh).await.unwrap();
    assert_eq!(
        h.admin(Method::POST, "/clients/nobody/revoke", &admin, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn refresh_families_are_listed_and_revoked_one_by_one() {
    let h = Harness::new();
    let admin = h.admin_token().await;
    let a = h.token("agent", "agent-secret", &[]).await;
    let b = h.token("agent", "agent-secret", &[]).await;
    let o = h.token("other", "other-secret", &[]).await;
    let r = h
        .admin(Method::GET, "/families?client_id=agent", &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let fams = r.body["families"].as_array().unwrap();
    assert_eq!(fams.len(), 2, "{}", r.text);
    assert!(
        fams.iter()
            .all(|f| f["client_id"] == "agent" && f["expires_at"].as_i64().unwrap() > 0)
    );
    assert!(!r.text.contains(a["refresh_token"].as_str().unwrap()));
    let all = h.admin(Method::GET, "/families", &admin, None).await;
    assert_eq!(all.body["families"].as_array().unwrap().len(), 3);

    // Which family is `a`'s: revoke each in turn and look.
    let r = h
        .refresh(
            "agent",
            "agent-secret",
            a["refresh_token"].as_str().unwrap(),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let a2 = r.body["refresh_token"].as_str().unwrap().to_owned();
    let a_access = r.body["access_token"].as_str().unwrap().to_owned();
    // Revoke both families of the agent, one call each.
    for f in fams {
        let fid = f["family_id"].as_str().unwrap();
        let r = h
            .admin(Method::DELETE, &format!("/families/{fid}"), &admin, None)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let again = h
            .admin(Method::DELETE, &format!("/families/{fid}"), &admin, None)
            .await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        h.refresh("agent", "agent-secret", &a2, &[]).await.error(),
        "invalid_grant"
    );
    assert_eq!(
        h.refresh(
            "agent",
            "agent-secret",
            b["refresh_token"].as_str().unwrap(),
            &[]
        )
        .await
        .error(),
        "invalid_grant"
    );
    assert_eq!(
        h.server.verify(&a_access).await.unwrap_err().reason,
        "revoked"
    );
    // The other client's family is untouched.
    let r = h
        .refresh(
            "other",
            "other-secret",
            o["refresh_token"].as_str().unwrap(),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let left = h.admin(Method::GET, "/families", &admin, None).await;
    assert_eq!(left.body["families"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn keys_rotate_through_the_admin_api_and_old_tokens_stay_valid() {
    let h = Harness::new();
    let admin = h.admin_token().await;
    let before = h.access_token("ci", "ci-secret").await;
    let r = h.admin(Method::GET, "/keys", &admin, None).await;
    let keys = r.body["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["active"], true);
    let r = h.admin(Method::POST, "/keys/rotate", &admin, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let new_kid = r.body["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, keys[0]["kid"].as_str().unwrap());
    let r = h.admin(Method::GET, "/keys", &admin, None).await;
    let keys = r.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k["published"] == true));
    assert_eq!(keys.iter().filter(|k| k["active"] == true).count(), 1);
    h.server
        .verify(&before)
        .await
        .expect("tokens of the retired key stay valid");
    let after = h.access_token("ci", "ci-secret").await;
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            after.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["kid"], new_kid.as_str());
    // The admin token signed by the old key keeps working too.
    assert_eq!(
        h.admin(Method::GET, "/keys", &admin, None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn audit_query_filters_and_names_the_admin() {
    let h = Harness::new();
    let admin = h.admin_token().await;
    h.admin(
        Method::POST,
        "/clients",
        &admin,
        Some(json!({"client_id": "aud-1", "scopes": ["read:x"]})),
    )
    .await;
    h.admin(
        Method::POST,
        "/clients",
        &admin,
        Some(json!({"client_id": "aud-2", "scopes": ["read:x"]})),
    )
    .await;
    let r = h
        .admin(Method::GET, "/audit?kind=client_created", &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ev = r.body["events"].as_array().unwrap();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0]["client_id"], "aud-2", "newest first");
    assert_eq!(ev[0]["detail"]["by"], ADMIN_ID);
    let r = h
        .admin(Method::GET, "/audit?client_id=aud-1&limit=1", &admin, None)
        .await;
    assert_eq!(r.body["events"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["events"][0]["client_id"], "aud-1");
    let r = h
        .admin(Method::GET, "/audit?since=99999999999", &admin, None)
        .await;
    assert_eq!(r.body["events"], json!([]));
    let r = h
        .admin(Method::GET, "/audit?kind=admin_token_issued", &admin, None)
        .await;
    assert!(!r.body["events"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn openapi_describes_exactly_the_served_routes() {
    let h = Harness::new();
    let admin = h.admin_token().await;
    let r = h.admin(Method::GET, "/openapi.json", &admin, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["openapi"], "3.1.0");
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, methods) in r.body["paths"].as_object().unwrap() {
        for (m, op) in methods.as_object().unwrap() {
            assert!(
                op["responses"]["401"].is_object(),
                "{m} {path} documents the 401"
            );
            documented.push((m.to_uppercase(), path.clone()));
        }
    }
    documented.sort();
    let mut served: Vec<(String, String)> = routes()
        .iter()
        .map(|r| (r.method.to_string(), format!("{PREFIX}{}", r.path)))
        .collect();
    served.sort();
    assert_eq!(documented, served);
    // Every documented route is really served: none falls through to the 404 fallback.
    for (m, path) in &served {
        let method = Method::from_bytes(m.as_bytes()).unwrap();
        let path = concrete(path.trim_start_matches(PREFIX));
        let r = h.admin(method, &path, &admin, None).await;
        let fell_through = r.status == StatusCode::NOT_FOUND
            && r.body["error_description"]
                .as_str()
                .unwrap_or("")
                .contains("no such admin route");
        assert!(!fell_through, "{m} {path} is documented but not served");
    }
    // And every schema the document references exists.
    let text = r.text.clone();
    for part in text.split("#/components/schemas/").skip(1) {
        let name: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(r.body["components"]["schemas"][&name].is_object(), "{name}");
    }
}

#[tokio::test]
async fn client_revocations_and_api_clients_survive_a_restart() {
    let h = Harness::new();
    let admin = h.admin_token().await;
    let old = h.access_token("ci", "ci-secret").await;
    let r = h
        .admin(
            Method::POST,
            "/clients",
            &admin,
            Some(json!({"client_id": "kept", "scopes": ["read:x"]})),
        )
        .await;
    let secret = r.body["client_secret"].as_str().unwrap().to_owned();
    h.admin(Method::POST, "/clients/ci/revoke", &admin, None)
        .await;
    let reopened = {
        let cfg = super::config(&h.dir);
        tokio::task::spawn_blocking(move || {
            crate::authz::AuthServer::open(cfg, super::KEK).unwrap()
        })
        .await
        .unwrap()
    };
    assert_eq!(reopened.verify(&old).await.unwrap_err().reason, "revoked");
    let router = super::full_router(&reopened);
    let r = super::post(
        &router,
        "/oauth/token",
        &form(&[("grant_type", "client_credentials")]),
        Some(("kept", &secret)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn scheduled_rotation_rotates_only_when_the_key_is_old_enough() {
    let dir = super::TempDir::new();
    let mut cfg = super::config(&dir);
    cfg.signing_key_rotation_secs = Some(3600);
    let server = tokio::task::spawn_blocking(move || {
        crate::authz::AuthServer::open(cfg, super::KEK).unwrap()
    })
    .await
    .unwrap();
    let now = oauth4os_core::verify::unix_now();
    assert_eq!(server.rotate_if_due(now).await.unwrap(), None);
    assert_eq!(server.rotate_if_due(now + 3599).await.unwrap(), None);
    let kid = server
        .rotate_if_due(now + 3601)
        .await
        .unwrap()
        .expect("due");
    assert_eq!(server.store.signing_keys().await.unwrap().len(), 2);
    let jwks = server.jwks().to_string();
    assert!(jwks.contains(&kid), "the new key is published");
    // Just rotated: not due again.
    assert_eq!(
        server
            .rotate_if_due(oauth4os_core::verify::unix_now())
            .await
            .unwrap(),
        None
    );
    let mut bad = super::config(&dir);
    bad.signing_key_rotation_secs = Some(5);
    assert_eq!(bad.validate().unwrap_err().reason, "invalid_rotation");
}

async fn restore(h: &Harness, token: &str, bytes: Vec<u8>) -> Reply {
    let req = Request::post(format!("{PREFIX}/restore"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/vnd.sqlite3")
        .body(Body::from(bytes))
        .unwrap();
    send(&h.router, req).await
}

async fn backup_bytes(h: &Harness, token: &str) -> Vec<u8> {
    let req = Request::get(format!("{PREFIX}/backup"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(h.router.clone(), req)
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "application/vnd.sqlite3"
    );
    axum::body::to_bytes(resp.into_body(), 1 << 28)
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn backup_and_restore_round_trip_and_bad_backups_change_nothing() {
    let h = Harness::new();
    let admin = h.admin_token().await;
    h.admin(
        Method::POST,
        "/clients",
        &admin,
        Some(json!({"client_id": "before", "scopes": ["read:x"]})),
    )
    .await;
    let old_token = h.access_token("ci", "ci-secret").await;
    let bytes = backup_bytes(&h, &admin).await;
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    h.admin(
        Method::POST,
        "/clients",
        &admin,
        Some(json!({"client_id": "after", "scopes": ["read:x"]})),
    )
    .await;
    h.admin(Method::POST, "/keys/rotate", &admin, None).await;

    // Refused backups: garbage, a truncated file, another proxy's keys. Nothing changes.
    // Another proxy's store: the same data model, signing keys sealed with another key.
    let foreign = {
        let dir = super::TempDir::new();
        let cfg = super::config(&dir);
        let other = tokio::task::spawn_blocking(move || {
            crate::authz::AuthServer::open(cfg, [9; 32]).unwrap()
        })
        .await
        .unwrap();
        other.store.backup().await.unwrap()
    };
    let truncated = bytes[..bytes.len() / 2].to_vec();
    for (what, bad) in [
        ("garbage", b"not a database".to_vec()),
        ("truncated", truncated),
        ("foreign keys", foreign),
    ] {
        let r = restore(&h, &admin, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.text);
        assert!(
            r.body["error_description"]
                .as_str()
                .unwrap()
                .contains("backup"),
            "{what}: {}",
            r.text
        );
    }
    assert!(
        h.server.store.client("after").await.unwrap().is_some(),
        "nothing changed"
    );

    let r = restore(&h, &admin, bytes).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["restored"], true);
    assert!(h.server.store.client("before").await.unwrap().is_some());
    assert!(
        h.server.store.client("after").await.unwrap().is_none(),
        "made after the backup"
    );
    assert_eq!(
        h.server.store.signing_keys().await.unwrap().len(),
        1,
        "the rotation is undone"
    );
    h.server
        .verify(&old_token)
        .await
        .expect("tokens signed by the restored key verify");
    let fresh = h.access_token("ci", "ci-secret").await;
    h.server.verify(&fresh).await.unwrap();
    let kinds: Vec<String> = h
        .server
        .store
        .audit_events(5)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"store_restored".to_owned()), "{kinds:?}");
}

/// Checks a real admin answer against the OpenAPI document core derives from the types: the
/// status is documented for the route, and a JSON body validates against its schema (with
/// unknown fields refused, so a renamed field fails).
fn conforms(method: &Method, path: &str, reply: &Reply) {
    let path = path.split('?').next().unwrap();
    let Some(route) = oauth4os_core::admin::ROUTES.iter().find(|r| {
        r.method.as_str() == method.as_str() && {
            let a: Vec<&str> = r.path.split('/').collect();
            let b: Vec<&str> = path.split('/').collect();
            a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| *x == "{id}" || x == y)
        }
    }) else {
        return;
    };
    let mut doc = oauth4os_core::admin::openapi("https://auth.example");
    fn strict(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                    m.insert("additionalProperties".into(), Value::Bool(false));
                }
                m.values_mut().for_each(strict);
            }
            Value::Array(a) => a.iter_mut().for_each(strict),
            _ => {}
        }
    }
    strict(&mut doc["components"]);
    let op = &doc["paths"][format!("{PREFIX}{}", route.path)][method.as_str().to_lowercase()];
    let response = &op["responses"][reply.status.as_str()];
    assert!(
        response.is_object(),
        "{method} {path}: status {} is not documented: {}",
        reply.status,
        reply.text
    );
    let Some(schema) = response["content"]["application/json"].get("schema") else {
        return;
    };
    if schema.get("$ref").is_none() {
        return;
    }
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": schema["$ref"],
        "components": doc["components"],
    });
    let v = jsonschema::validator_for(&root).unwrap();
    let errors: Vec<String> = v.iter_errors(&reply.body).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {}: {errors:?}\n{}",
        reply.status,
        reply.text
    );
    CHECKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

static CHECKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[tokio::test]
async fn real_admin_answers_conform_to_the_document() {
    let h = Harness::new();
    let admin = h.admin_token().await;
    let before = CHECKED.load(std::sync::atomic::Ordering::Relaxed);
    let made = h
        .admin(
            Method::POST,
            "/clients",
            &admin,
            Some(json!({"client_id": "doc-1", "scopes": ["read:x"], "rate_limit": "5/s"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED);
    for (m, p) in [
        (Method::GET, "/clients"),
        (Method::GET, "/clients/doc-1"),
        (Method::GET, "/clients/nobody"),
        (Method::POST, "/clients/doc-1/secret"),
        (Method::POST, "/clients/doc-1/revoke"),
        (Method::GET, "/families"),
        (Method::GET, "/keys"),
        (Method::POST, "/keys/rotate"),
        (Method::GET, "/tenants"),
        (Method::GET, "/audit?limit=5"),
        (Method::GET, "/audit?limit=0"),
        (Method::GET, "/policies"),
        (Method::GET, "/scope-mappings"),
    ] {
        let r = h.admin(m.clone(), p, &admin, None).await;
        assert_ne!(r.status.as_u16(), 500, "{m} {p}: {}", r.text);
    }
    assert!(CHECKED.load(std::sync::atomic::Ordering::Relaxed) >= before + 14);
}

#[tokio::test]
async fn tls_client_auth_and_allowlists_through_the_admin_api() {
    let h = Harness::new();
    let admin = h.admin_token().await;
    let before = h.server.store.clients().await.unwrap().len();
    let cases = [
        (
            json!({"scopes": ["read:x"], "allowed_ips": ["10.0.0.0/8", "10.0.0/33"]}),
            "invalid_allowed_ip",
            "`10.0.0/33`",
        ),
        (
            json!({"scopes": ["read:x"], "allowed_ips": ["::/129"]}),
            "invalid_allowed_ip",
            "`::/129`",
        ),
        (
            json!({"scopes": ["read:x"], "token_endpoint_auth_method": "tls_client_auth"}),
            "invalid_tls_client_auth",
            "tls_client_auth_subject_dn",
        ),
        (
            json!({"scopes": ["read:x"], "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "CN"}),
            "invalid_tls_client_auth",
            "RFC 4514",
        ),
        (
            json!({"scopes": ["read:x"], "token_endpoint_auth_method": "self_signed_tls_client_auth", "tls_client_certificate_thumbprints": ["abc"]}),
            "invalid_tls_client_auth",
            "thumbprint",
        ),
        (
            json!({"scopes": ["read:x"], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_tls_client_auth",
            "`private_key_jwt`",
        ),
        (
            json!({"scopes": ["read:x"], "tls_client_auth_subject_dn": "CN=x"}),
            "invalid_tls_client_auth",
            "only for",
        ),
    ];
    for (body, reason, needle) in cases {
        let r = h
            .admin(Method::POST, "/clients", &admin, Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.error(), "invalid_request");
        assert_eq!(r.body["reason"], reason, "{body}");
        let d = r.body["error_description"].as_str().unwrap();
        assert!(d.contains(needle), "{body}: {d}");
    }
    assert_eq!(
        h.server.store.clients().await.unwrap().len(),
        before,
        "nothing was stored"
    );

    let r = h
        .admin(
            Method::POST,
            "/clients",
            &admin,
            Some(json!({
                "client_id": "edge", "scopes": ["read:logs-*"],
                "token_endpoint_auth_method": "tls_client_auth",
                "tls_client_auth_subject_dn": "CN=edge,O=Example",
                "allowed_ips": ["10.1.2.3/16", "2001:db8::/32"],
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.body["client_secret"], "",
        "no secret for a certificate client"
    );
    assert_eq!(r.body["token_endpoint_auth_method"], "tls_client_auth");
    assert_eq!(r.body["tls_client_auth_subject_dn"], "CN=edge,O=Example");
    assert_eq!(r.body["tls_client_certificate_bound_access_tokens"], true);
    assert_eq!(
        r.body["allowed_ips"],
        json!(["10.1.2.3/16", "2001:db8::/32"])
    );
    let stored = h.server.store.client("edge").await.unwrap().unwrap();
    assert!(stored.secret_hash.is_empty());
    // It has no secret to rotate.
    let r = h
        .admin(Method::POST, "/clients/edge/secret", &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // Its allowlist applies on the resource side at once.
    let claims = oauth4os_core::Claims::from_payload(
        json!({"iss": "i", "aud": "a", "exp": 1, "client_id": "edge"})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let origin = |ip: &str| crate::services::forwarded::Origin {
        client: ip.parse().unwrap(),
        forwarded_for: ip.to_owned(),
    };
    let check = |ip: &str| {
        h.server
            .check_client_origin(&claims, "default", Some(&origin(ip)))
    };
    assert!(check("10.1.200.1").is_ok());
    assert!(check("2001:db8::9").is_ok());
    assert_eq!(check("10.2.0.1").unwrap_err().reason, "ip_not_allowed");
    // Other tenants' tokens are not this server's clients.
    assert!(
        h.server
            .check_client_origin(&claims, "okta", Some(&origin("10.2.0.1")))
            .is_ok()
    );
}
