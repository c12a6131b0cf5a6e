//! `POST /oauth/token` with `client_credentials`, and every error code of the endpoint.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth4os_core::ScopeSet;
use serde_json::Value;

use super::{AUD, AUD2, Harness, ISSUER, basic, form, send};

#[tokio::test]
async fn client_credentials_issues_an_rfc_9068_token() {
    let h = Harness::new();
    let r = h
        .post(
            "/oauth/token",
            &form(&[("grant_type", "client_credentials")]),
            Some(("ci", "ci-secret")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let body = r.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["access_token", "expires_in", "scope", "token_type"]);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(
        body["scope"], "read:logs-* write:logs-app",
        "no scope asked: all allowed"
    );

    let token = body["access_token"].as_str().unwrap();
    let header_json = URL_SAFE_NO_PAD
        .decode(token.split('.').next().unwrap())
        .unwrap();
    let header: Value = serde_json::from_slice(&header_json).unwrap();
    let kid = h.server.jwks()["keys"][0]["kid"].clone();
    assert_eq!(
        header,
        serde_json::json!({"alg": "ES256", "typ": "at+jwt", "kid": kid})
    );

    // The core verifies it offline through the published JWKS.
    let claims = h.verify_offline(token).unwrap();
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(claims.aud, vec![AUD.to_owned()]);
    assert_eq!(claims.sub.as_deref(), Some("ci"));
    assert_eq!(claims.client_id.as_deref(), Some("ci"));
    assert_eq!(claims.scope.as_deref(), Some("read:logs-* write:logs-app"));
    assert_eq!(claims.tenant.as_deref(), Some("default"));
    let jti = claims.jti.clone().unwrap();
    assert_eq!(
        URL_SAFE_NO_PAD.decode(&jti).unwrap().len(),
        16,
        "128-bit jti"
    );
    assert_eq!(claims.exp - claims.iat.unwrap(), 3600);
    assert!(
        claims.extra.is_empty(),
        "no other claim: {:?}",
        claims.extra
    );

    // And so does the server's own verify.
    let verified = h.server.verify(token).await.unwrap();
    assert_eq!(verified.jti.as_deref(), Some(jti.as_str()));
}

#[tokio::test]
async fn form_credentials_scope_resource_tenant_and_ttl() {
    let h = Harness::new();
    let r = h
        .post(
            "/oauth/token",
            &form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "agent"),
                ("client_secret", "agent-secret"),
                ("scope", "read:logs-2026.* monitor:*"),
                ("resource", AUD2),
            ]),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["scope"], "read:logs-2026.* monitor:*");
    let claims = h
        .verify_offline(r.body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.aud, vec![AUD2.to_owned()]);
    assert_eq!(claims.tenant.as_deref(), Some("acme"));
    assert!(
        r.body["refresh_token"].is_string(),
        "agent has the refresh grant"
    );

    // A client-level lifetime overrides the server's.
    let dir = super::TempDir::new();
    let mut cfg = super::config(&dir);
    cfg.clients[0].access_token_ttl = Some(120);
    let server = super::AuthServer::open(cfg, super::KEK).unwrap();
    let r = super::post(
        &super::full_router(&server),
        "/oauth/token",
        "grant_type=client_credentials",
        Some(("ci", "ci-secret")),
    )
    .await;
    assert_eq!(r.body["expires_in"], 120);
}

#[tokio::test]
async fn scope_escalation_is_refused() {
    let h = Harness::new();
    for scope in [
        "read:*",
        "write:logs-*",
        "admin:logs-app",
        "read:metrics",
        "monitor:*",
    ] {
        let r = h
            .post(
                "/oauth/token",
                &form(&[("grant_type", "client_credentials"), ("scope", scope)]),
                Some(("ci", "ci-secret")),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{scope}");
        assert_eq!(r.error(), "invalid_scope", "{scope}");
    }
    // Malformed scopes are invalid_scope too, and the subset that is allowed works.
    for scope in ["logs", "delete:logs", "read:Logs"] {
        let r = h
            .post(
                "/oauth/token",
                &form(&[("grant_type", "client_credentials"), ("scope", scope)]),
                Some(("ci", "ci-secret")),
            )
            .await;
        assert_eq!(r.error(), "invalid_scope", "{scope}");
    }
    let ok = h
        .token("ci", "ci-secret", &[("scope", "read:logs-app")])
        .await;
    let granted = ScopeSet::parse(ok["scope"].as_str().unwrap()).unwrap();
    assert_eq!(granted.to_string(), "read:logs-app");
}

#[tokio::test]
async fn client_authentication_errors() {
    let h = Harness::new();
    let cc = form(&[("grant_type", "client_credentials")]);
    let unknown = h
        .post("/oauth/token", &cc, Some(("nobody", "ci-secret")))
        .await;
    let wrong = h
        .post("/oauth/token", &cc, Some(("ci", "wrong-secret-123")))
        .await;
    for r in [&unknown, &wrong] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.error(), "invalid_client");
        assert_eq!(
            r.headers[header::WWW_AUTHENTICATE],
            r#"Basic realm="oauth4os""#
        );
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    }
    assert_eq!(
        unknown.body, wrong.body,
        "unknown client and wrong secret answer alike"
    );
    assert!(!wrong.text.contains("wrong-secret-123"));

    let none = h.post("/oauth/token", &cc, None).await;
    assert_eq!(
        (none.status, none.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );

    // Both methods at once.
    let both = form(&[
        ("grant_type", "client_credentials"),
        ("client_secret", "ci-secret"),
    ]);
    let r = h
        .post("/oauth/token", &both, Some(("ci", "ci-secret")))
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    assert!(!r.text.contains("ci-secret"));

    // A different client_id in the form than in Basic.
    let other = form(&[("grant_type", "client_credentials"), ("client_id", "agent")]);
    let r = h
        .post("/oauth/token", &other, Some(("ci", "ci-secret")))
        .await;
    assert_eq!(r.error(), "invalid_request");

    // Garbage Basic header, other schemes.
    for auth in ["Basic !!!", "Bearer abc", "Basic"] {
        let req = Request::post("/oauth/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::AUTHORIZATION, auth)
            .body(Body::from(cc.clone()))
            .unwrap();
        let r = send(&h.router, req).await;
        assert_eq!(r.error(), "invalid_client", "{auth}");
    }

    // A failed attempt never fills the digest cache; a success does.
    assert!(!h.server.clients.secrets.is_cached("ci"));
    h.token("ci", "ci-secret", &[]).await;
    assert!(h.server.clients.secrets.is_cached("ci"));
    let r = h.post("/oauth/token", &cc, Some(("ci", "ci-secreT"))).await;
    assert_eq!(
        r.error(),
        "invalid_client",
        "the cache compares the whole secret"
    );
    h.token("ci", "ci-secret", &[]).await;
}

#[tokio::test]
async fn grant_and_request_errors() {
    let h = Harness::new();
    let cases: Vec<(String, &str)> = vec![
        (form(&[("scope", "read:logs-*")]), "invalid_request"),
        (
            form(&[("grant_type", "password")]),
            "unsupported_grant_type",
        ),
        (
            form(&[("grant_type", "authorization_code")]),
            "unauthorized_client",
        ),
        (
            "grant_type=client_credentials&grant_type=client_credentials".into(),
            "invalid_request",
        ),
        (
            form(&[
                ("grant_type", "client_credentials"),
                ("resource", "https://evil.example"),
            ]),
            "invalid_target",
        ),
        (
            format!(
                "grant_type=client_credentials&resource={}&resource={}",
                super::form_encode(AUD),
                super::form_encode(AUD2)
            ),
            "invalid_target",
        ),
        ("grant_type=%zz".into(), "invalid_request"),
    ];
    for (body, code) in cases {
        let r = h
            .post("/oauth/token", &body, Some(("ci", "ci-secret")))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.error(), code, "{body}: {}", r.text);
        assert!(r.body["error_description"].is_string());
    }
    // A client without the grant.
    let r = h
        .post(
            "/oauth/token",
            "grant_type=client_credentials",
            Some(("rt-only", "rt-secret")),
        )
        .await;
    assert_eq!(r.error(), "unauthorized_client");
    let r = h
        .post(
            "/oauth/token",
            &form(&[("grant_type", "refresh_token"), ("refresh_token", "x")]),
            Some(("ci", "ci-secret")),
        )
        .await;
    assert_eq!(r.error(), "unauthorized_client");

    // Not a form; too large.
    let req = Request::post("/oauth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, basic("ci", "ci-secret"))
        .body(Body::from(r#"{"grant_type":"client_credentials"}"#))
        .unwrap();
    assert_eq!(send(&h.router, req).await.error(), "invalid_request");
    let huge = format!(
        "grant_type=client_credentials&scope={}",
        "a".repeat(200_000)
    );
    let r = h
        .post("/oauth/token", &huge, Some(("ci", "ci-secret")))
        .await;
    assert_eq!(r.error(), "invalid_request");
}

#[tokio::test]
async fn secrets_never_appear_in_answers() {
    let h = Harness::new();
    let secret = "s3cr3t-value-that-must-not-leak";
    let bodies = [
        form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ci"),
            ("client_secret", secret),
        ]),
        form(&[
            ("grant_type", secret),
            ("client_id", "ci"),
            ("client_secret", secret),
        ]),
        form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", secret),
        ]),
    ];
    for body in bodies {
        for path in ["/oauth/token", "/oauth/introspect", "/oauth/revoke"] {
            let r = h.post(path, &body, None).await;
            assert!(!r.text.contains(secret), "{path}: {}", r.text);
        }
        let r = h.post("/oauth/token", &body, Some(("ci", secret))).await;
        assert!(!r.text.contains(secret), "{}", r.text);
    }
    // A refresh token presented to the wrong place is not echoed either.
    let rt = h.token("agent", "agent-secret", &[]).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = h.refresh("other", "other-secret", &rt, &[]).await;
    assert_eq!(r.error(), "invalid_grant");
    assert!(!r.text.contains(&rt));
}
