//! `POST /oauth/introspect` (RFC 7662).

use axum::http::{StatusCode, header};
use oauth4os_core::ScopeSet;
use oauth4os_core::verify::unix_now;
use serde_json::json;

use super::{AUD, Harness, ISSUER, form};

#[tokio::test]
async fn introspection_of_valid_revoked_expired_and_garbage_tokens() {
    let h = Harness::new();
    let issued = h.token("agent", "agent-secret", &[]).await;
    let token = issued["access_token"].as_str().unwrap().to_owned();
    let introspect = |token: String| {
        let h = &h;
        async move {
            h.post(
                "/oauth/introspect",
                &form(&[("token", &token)]),
                Some(("ci", "ci-secret")),
            )
            .await
        }
    };

    let r = introspect(token.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let claims = h.verify_offline(&token).unwrap();
    assert_eq!(
        r.body,
        json!({
            "active": true, "token_type": "Bearer", "scope": "read:logs-* monitor:*",
            "client_id": "agent", "sub": "agent", "aud": AUD, "iss": ISSUER,
            "exp": claims.exp, "iat": claims.iat, "jti": claims.jti, "tenant": "acme",
        })
    );

    // Expired (signed by the server, an hour and more in the past).
    let client = h.server.store.client("agent").await.unwrap().unwrap();
    let old = h
        .server
        .mint(&client, "read:logs-*", AUD, unix_now() - 3600 - 120)
        .unwrap();
    assert_eq!(introspect(old.token).await.body, json!({"active": false}));

    // Garbage and foreign tokens.
    let foreign = Harness::new();
    let foreign_token = foreign.token("ci", "ci-secret", &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for t in ["garbage", "a.b.c", foreign_token.as_str()] {
        assert_eq!(
            introspect(t.to_owned()).await.body,
            json!({"active": false}),
            "{t:.20}"
        );
    }

    // Revoked.
    h.post("/oauth/revoke", &form(&[("token", &token)]), None)
        .await;
    assert_eq!(introspect(token).await.body, json!({"active": false}));
}

#[tokio::test]
async fn introspection_requires_a_client_and_describes_refresh_tokens_to_their_owner() {
    let h = Harness::new();
    let issued = h
        .token("agent", "agent-secret", &[("scope", "read:logs-*")])
        .await;
    let token = issued["access_token"].as_str().unwrap();
    let rt = issued["refresh_token"].as_str().unwrap();

    let r = h
        .post("/oauth/introspect", &form(&[("token", token)]), None)
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    let r = h
        .post(
            "/oauth/introspect",
            &form(&[("token", token)]),
            Some(("ci", "nope")),
        )
        .await;
    assert_eq!(r.error(), "invalid_client");
    let r = h
        .post("/oauth/introspect", "", Some(("ci", "ci-secret")))
        .await;
    assert_eq!(r.error(), "invalid_request");

    let r = h
        .post(
            "/oauth/introspect",
            &form(&[("token", rt)]),
            Some(("agent", "agent-secret")),
        )
        .await;
    assert_eq!(r.body["active"], true, "{}", r.text);
    assert_eq!(r.body["token_type"], "refresh_token");
    assert_eq!(
        ScopeSet::parse(r.body["scope"].as_str().unwrap())
            .unwrap()
            .to_string(),
        "read:logs-*"
    );
    let r = h
        .post(
            "/oauth/introspect",
            &form(&[("token", rt)]),
            Some(("ci", "ci-secret")),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"active": false}),
        "another client's refresh token"
    );
    // A retired refresh token is inactive.
    let rotated = h.refresh("agent", "agent-secret", rt, &[]).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let r = h
        .post(
            "/oauth/introspect",
            &form(&[("token", rt)]),
            Some(("agent", "agent-secret")),
        )
        .await;
    assert_eq!(r.body, json!({"active": false}));
}
