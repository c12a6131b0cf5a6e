//! `POST /oauth/revoke` (RFC 7009) and its effect on `verify`.

use axum::http::{StatusCode, header};
use serde_json::json;

use super::{Harness, form};

#[tokio::test]
async fn revoking_an_access_token_without_credentials_refuses_it_at_once() {
    let h = Harness::new();
    let token = h.token("ci", "ci-secret", &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = h.server.verify(&token).await.unwrap();

    // `curl -X POST /oauth/revoke -d token=$TOKEN`, as in the demo.
    let r = h
        .post("/oauth/revoke", &form(&[("token", &token)]), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"revoked": true}));
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");

    let e = h.server.verify(&token).await.unwrap_err();
    assert_eq!(e.code, oauth4os_core::ErrorCode::InvalidToken);
    assert_eq!(e.reason, "revoked");
    // Revoking again is fine and changes nothing.
    let r = h
        .post("/oauth/revoke", &form(&[("token", &token)]), None)
        .await;
    assert_eq!(r.body, json!({"revoked": true}));

    let events = h.server.store.audit_events(10).await.unwrap();
    let ev = events
        .iter()
        .find(|e| e.kind == "access_token_revoked")
        .unwrap();
    assert_eq!(ev.client_id.as_deref(), Some("ci"));
    assert_eq!(ev.detail["jti"].as_str(), claims.jti.as_deref());
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == "access_token_revoked")
            .count(),
        1
    );

    // Other tokens of the client still work.
    let other = h.token("ci", "ci-secret", &[]).await;
    h.server
        .verify(other["access_token"].as_str().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn revocation_answers_and_errors() {
    let h = Harness::new();
    // Unknown or invalid tokens: answered like revoked ones (RFC 7009 §2.2).
    for token in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.c2ln"] {
        let r = h
            .post("/oauth/revoke", &form(&[("token", token)]), None)
            .await;
        assert_eq!(
            (r.status, &r.body),
            (StatusCode::OK, &json!({"revoked": true})),
            "{token}"
        );
    }
    let r = h.post("/oauth/revoke", "", None).await;
    assert_eq!(
        r.error(),
        "invalid_request",
        "a request without `token` is malformed"
    );
    let r = h
        .post(
            "/oauth/revoke",
            &form(&[("token", "x"), ("token_type_hint", "id_token")]),
            None,
        )
        .await;
    assert_eq!(r.error(), "unsupported_token_type");
    let r = h
        .post(
            "/oauth/revoke",
            &form(&[("token", "x"), ("token_type_hint", "refresh_token")]),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Credentials are optional, but when sent they must be valid and the token theirs.
    let token = h.token("ci", "ci-secret", &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = h
        .post(
            "/oauth/revoke",
            &form(&[("token", &token)]),
            Some(("ci", "bad")),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    let r = h
        .post(
            "/oauth/revoke",
            &form(&[("token", &token)]),
            Some(("agent", "agent-secret")),
        )
        .await;
    assert_eq!(r.error(), "unauthorized_client");
    h.server.verify(&token).await.unwrap();
    let r = h
        .post(
            "/oauth/revoke",
            &form(&[("token", &token)]),
            Some(("ci", "ci-secret")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(h.server.verify(&token).await.unwrap_err().reason, "revoked");
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family() {
    let h = Harness::new();
    let first = h.token("agent", "agent-secret", &[]).await;
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    let second = h.refresh("agent", "agent-secret", &rt1, &[]).await.body;
    let at2 = second["access_token"].as_str().unwrap().to_owned();
    let rt2 = second["refresh_token"].as_str().unwrap().to_owned();

    let r = h
        .post(
            "/oauth/revoke",
            &form(&[("token", &rt2), ("token_type_hint", "refresh_token")]),
            Some(("agent", "agent-secret")),
        )
        .await;
    assert_eq!(r.body, json!({"revoked": true}));
    assert_eq!(
        h.refresh("agent", "agent-secret", &rt2, &[]).await.error(),
        "invalid_grant"
    );
    assert_eq!(h.server.verify(&at2).await.unwrap_err().reason, "revoked");
    let first_at = first["access_token"].as_str().unwrap();
    assert_eq!(
        h.server.verify(first_at).await.unwrap_err().reason,
        "revoked"
    );
    let events = h.server.store.audit_events(10).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "refresh_family_revoked"));
    assert!(
        !events.iter().any(|e| e.kind == "refresh_token_reused"),
        "an explicit revocation is not reuse"
    );
}

#[tokio::test]
async fn expired_revocations_and_families_are_purged() {
    let h = Harness::new();
    let issued = h.token("agent", "agent-secret", &[]).await;
    let token = issued["access_token"].as_str().unwrap();
    h.post("/oauth/revoke", &form(&[("token", token)]), None)
        .await;
    assert_eq!(h.server.revocations.jtis.len(), 1);
    let store = &h.server.store;
    let now = oauth4os_core::verify::unix_now();
    assert_eq!(store.revoked_access_tokens(now).await.unwrap().len(), 1);

    // Nothing is due yet.
    let report = store.purge_expired(now).await.unwrap();
    assert_eq!((report.revocations, report.families), (0, 0));
    // A year on, the revocation and the refresh family are gone.
    let later = now + 365 * 24 * 3600;
    let report = store.purge_expired(later).await.unwrap();
    assert_eq!((report.revocations, report.families), (1, 1));
    assert!(store.revoked_access_tokens(now).await.unwrap().is_empty());
    let rt = issued["refresh_token"].as_str().unwrap();
    assert_eq!(
        h.refresh("agent", "agent-secret", rt, &[]).await.error(),
        "invalid_grant"
    );
    h.server.revocations.jtis.purge(later);
    assert_eq!(h.server.revocations.jtis.len(), 0);
}
