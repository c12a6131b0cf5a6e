//! The `refresh_token` grant: rotation, narrowing, reuse detection, concurrency, and the
//! grace window for one client's concurrent refreshes.

use axum::http::StatusCode;
use serde_json::Value;

use super::{AUD, AUD2, Harness, form, post};

fn rt(v: &Value) -> String {
    v["refresh_token"].as_str().unwrap().to_owned()
}

fn at(v: &Value) -> String {
    v["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn refresh_rotates_and_may_narrow_but_never_widen() {
    let h = Harness::new();
    let first = h
        .token("agent", "agent-secret", &[("scope", "read:logs-*")])
        .await;
    assert_eq!(first["scope"], "read:logs-*");
    let rt1 = rt(&first);
    assert_eq!(rt1.len(), 43, "256 random bits, base64url");

    let r = h.refresh("agent", "agent-secret", &rt1, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let body = r.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "refresh_token",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(r.body["scope"], "read:logs-*");
    let rt2 = rt(&r.body);
    assert_ne!(rt1, rt2);
    let claims = h.verify_offline(&at(&r.body)).unwrap();
    assert_eq!(claims.client_id.as_deref(), Some("agent"));
    assert_eq!(claims.aud, vec![AUD.to_owned()]);

    // Narrowing works; the next refresh token keeps the grant's scope.
    let r = h
        .refresh(
            "agent",
            "agent-secret",
            &rt2,
            &[("scope", "read:logs-2026.*")],
        )
        .await;
    assert_eq!(r.body["scope"], "read:logs-2026.*", "{}", r.text);
    let rt3 = rt(&r.body);
    let r = h.refresh("agent", "agent-secret", &rt3, &[]).await;
    assert_eq!(r.body["scope"], "read:logs-*");
    let rt4 = rt(&r.body);

    // Widening is refused and changes nothing: the token still works afterwards.
    for scope in ["monitor:*", "read:*"] {
        let r = h
            .refresh("agent", "agent-secret", &rt4, &[("scope", scope)])
            .await;
        assert_eq!(r.error(), "invalid_scope", "{scope}");
    }
    let r = h
        .refresh("agent", "agent-secret", &rt4, &[("resource", AUD2)])
        .await;
    assert_eq!(r.error(), "invalid_target");
    let r = h
        .refresh("agent", "agent-secret", &rt4, &[("resource", AUD)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn refresh_errors() {
    let h = Harness::new();
    let rt1 = rt(&h.token("agent", "agent-secret", &[]).await);
    let r = h
        .post(
            "/oauth/token",
            &form(&[("grant_type", "refresh_token")]),
            Some(("agent", "agent-secret")),
        )
        .await;
    assert_eq!(r.error(), "invalid_request");
    let r = h
        .refresh("agent", "agent-secret", "not-a-refresh-token", &[])
        .await;
    assert_eq!(r.error(), "invalid_grant");
    // Another client, even with the refresh grant, cannot use it, and that revokes nothing.
    let r = h.refresh("other", "other-secret", &rt1, &[]).await;
    assert_eq!(r.error(), "invalid_grant");
    let r = h.refresh("agent", "wrong", &rt1, &[]).await;
    assert_eq!(r.error(), "invalid_client");
    let r = h.refresh("agent", "agent-secret", &rt1, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Clients without the refresh grant get no refresh token.
    let ci = h.token("ci", "ci-secret", &[]).await;
    assert!(ci.get("refresh_token").is_none());
}

#[tokio::test]
async fn reuse_revokes_the_whole_family_and_is_audited() {
    let h = Harness::with(|c| c.refresh_reuse_grace = 0);
    let first = h.token("agent", "agent-secret", &[]).await;
    let (at1, rt1) = (at(&first), rt(&first));
    let second = h.refresh("agent", "agent-secret", &rt1, &[]).await.body;
    let (at2, rt2) = (at(&second), rt(&second));
    h.server.verify(&at2).await.unwrap();

    // rt1 again: reuse. The family dies: rt2 no longer works, its access tokens are revoked.
    let r = h.refresh("agent", "agent-secret", &rt1, &[]).await;
    assert_eq!(r.error(), "invalid_grant");
    let r = h.refresh("agent", "agent-secret", &rt2, &[]).await;
    assert_eq!(r.error(), "invalid_grant");
    for token in [&at1, &at2] {
        let e = h.server.verify(token).await.unwrap_err();
        assert_eq!(e.reason, "revoked");
    }
    let events = h.server.store.audit_events(10).await.unwrap();
    let reuse = events
        .iter()
        .find(|e| e.kind == "refresh_token_reused")
        .expect("a reuse event");
    assert_eq!(reuse.client_id.as_deref(), Some("agent"));
    assert!(reuse.detail["family_id"].is_string());
    let text = reuse.detail.to_string();
    assert!(
        !text.contains(&rt1) && !text.contains(&at1),
        "no token in the audit detail"
    );

    // Another family of the same client is untouched.
    let fresh = h.token("agent", "agent-secret", &[]).await;
    let r = h.refresh("agent", "agent-secret", &rt(&fresh), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_grace_window_concurrent_refreshes_let_exactly_one_win() {
    let h = Harness::with(|c| c.refresh_reuse_grace = 0);
    let rt1 = rt(&h.token("agent", "agent-secret", &[]).await);
    // Warm the secret cache so that all twenty race on the store, not on argon2.
    h.token("agent", "agent-secret", &[]).await;
    let body = form(&[("grant_type", "refresh_token"), ("refresh_token", &rt1)]);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let router = h.router.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            post(
                &router,
                "/oauth/token",
                &body,
                Some(("agent", "agent-secret")),
            )
            .await
        }));
    }
    let mut wins = Vec::new();
    let mut losses = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::OK => wins.push(r.body),
            _ => {
                assert_eq!(r.error(), "invalid_grant", "{}", r.text);
                losses += 1;
            }
        }
    }
    assert_eq!(wins.len(), 1, "exactly one refresh succeeds");
    assert_eq!(losses, 19);
    // The losers presented a retired token: the family, winner included, is revoked.
    let winner = &wins[0];
    assert_eq!(
        h.refresh("agent", "agent-secret", &rt(winner), &[])
            .await
            .error(),
        "invalid_grant"
    );
    assert_eq!(
        h.server.verify(&at(winner)).await.unwrap_err().reason,
        "revoked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_store_swap_lets_exactly_one_rotation_through() {
    use crate::services::secrets::sha256;
    use crate::services::store::{NewRefreshToken, RefreshFamily};
    let h = Harness::new();
    let store = h.server.store.clone();
    let now = oauth4os_core::verify::unix_now();
    let family = RefreshFamily {
        id: "fam".into(),
        client_id: "agent".into(),
        scope: "read:logs-*".into(),
        audience: AUD.into(),
        created_at: now,
        subject: None,
    };
    let token = |i: u8| NewRefreshToken {
        hash: sha256(&[i]),
        family_id: "fam".into(),
        issued_at: now,
        expires_at: now + 60,
        access_jti: format!("jti-{i}"),
        access_exp: now + 60,
    };
    store.create_refresh_family(family, token(0)).await.unwrap();
    let old = sha256(&[0]);
    let mut tasks = Vec::new();
    for i in 1..=20u8 {
        let store = store.clone();
        let next = token(i);
        tasks.push(tokio::spawn(async move {
            store.rotate_refresh_token(&old, next, now).await.unwrap()
        }));
    }
    let mut swapped = 0;
    for t in tasks {
        swapped += usize::from(t.await.unwrap());
    }
    assert_eq!(swapped, 1);
    let view = store.refresh_token(&old).await.unwrap().unwrap();
    assert!(view.used_at.is_some());
}

/// Twenty refreshes of one token by its client at once, within the grace window.
async fn race(h: &Harness, rt1: &str) -> Vec<super::Reply> {
    let body = form(&[("grant_type", "refresh_token"), ("refresh_token", rt1)]);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let router = h.router.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            post(
                &router,
                "/oauth/token",
                &body,
                Some(("agent", "agent-secret")),
            )
            .await
        }));
    }
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    replies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_by_one_client_within_the_grace_get_one_answer() {
    assert_eq!(
        Harness::new().server.config().refresh_reuse_grace,
        2,
        "the default"
    );
    // The longest window, so that twenty requests queued on one gate all fall within it however
    // slow the machine is.
    let h = Harness::with(|c| c.refresh_reuse_grace = 60);
    let rt1 = rt(&h.token("agent", "agent-secret", &[]).await);
    h.token("agent", "agent-secret", &[]).await;
    let replies = race(&h, &rt1).await;
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    // Every one got the same pair: the family did not fork and nothing was revoked.
    let first = &replies[0].body;
    for r in &replies {
        assert_eq!((rt(&r.body), at(&r.body)), (rt(first), at(first)));
    }
    h.server.verify(&at(first)).await.unwrap();
    let next = h.refresh("agent", "agent-secret", &rt(first), &[]).await;
    assert_eq!(
        next.status,
        StatusCode::OK,
        "the family lives: {}",
        next.text
    );
    let events = h.server.store.audit_events(50).await.unwrap();
    assert!(!events.iter().any(|e| e.kind == "refresh_token_reused"));
    let reissued = events
        .iter()
        .filter(|e| e.kind == "refresh_grace_reissued")
        .count();
    assert_eq!(reissued, 19, "every answer but the first was a re-issue");
    // The new pair is a normal member of the family: using the re-issued refresh token again
    // (outside its own grace, by another parameter) is reuse.
    let again = h
        .refresh(
            "agent",
            "agent-secret",
            &rt(first),
            &[("scope", "read:logs-*")],
        )
        .await;
    assert_eq!(again.error(), "invalid_grant", "{}", again.text);
    assert_eq!(
        h.server.verify(&at(&next.body)).await.unwrap_err().reason,
        "revoked",
        "a request asking something else is not a retry: reuse revokes the family"
    );
}

#[tokio::test]
async fn after_the_grace_window_reuse_revokes_the_family() {
    let h = Harness::with(|c| c.refresh_reuse_grace = 30);
    let rt1 = rt(&h.token("agent", "agent-secret", &[]).await);
    let second = h.refresh("agent", "agent-secret", &rt1, &[]).await.body;
    // Within the window a retry is answered again.
    let retry = h.refresh("agent", "agent-secret", &rt1, &[]).await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text);
    assert_eq!(rt(&retry.body), rt(&second));
    // The window passes (the held answer is made older than it, rather than waited for).
    h.server
        .recent_refreshes
        .backdate(std::time::Duration::from_secs(31));
    let late = h.refresh("agent", "agent-secret", &rt1, &[]).await;
    assert_eq!(
        (late.error(), late.body["reason"].as_str()),
        ("invalid_grant", Some("refresh_token_invalid")),
        "{}",
        late.text
    );
    let r = h.refresh("agent", "agent-secret", &rt(&second), &[]).await;
    assert_eq!(r.error(), "invalid_grant", "the family is revoked");
    assert_eq!(
        h.server.verify(&at(&second)).await.unwrap_err().reason,
        "revoked"
    );
    let events = h.server.store.audit_events(10).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "refresh_token_reused"));
    // The answers held for the window are dropped once it has passed.
    let fresh = rt(&h.token("agent", "agent-secret", &[]).await);
    assert_eq!(
        h.refresh("agent", "agent-secret", &fresh, &[]).await.status,
        StatusCode::OK
    );
    assert_eq!(
        h.server.recent_refreshes.len(),
        1,
        "only the newest gate is held"
    );
}

#[tokio::test]
async fn another_client_presenting_a_refresh_token_is_always_refused() {
    let h = Harness::new();
    let rt1 = rt(&h.token("agent", "agent-secret", &[]).await);
    // Before any refresh, and within the window after one: refused, and nothing changes.
    let r = h.refresh("other", "other-secret", &rt1, &[]).await;
    assert_eq!(
        (r.error(), r.body["reason"].as_str()),
        ("invalid_grant", Some("refresh_token_invalid"))
    );
    let second = h.refresh("agent", "agent-secret", &rt1, &[]).await.body;
    let r = h.refresh("other", "other-secret", &rt1, &[]).await;
    assert_eq!(
        (r.error(), r.body["reason"].as_str()),
        ("invalid_grant", Some("refresh_token_invalid"))
    );
    assert!(
        r.body.get("access_token").is_none(),
        "never the owner's answer"
    );
    h.server.verify(&at(&second)).await.unwrap();
    let r = h.refresh("agent", "agent-secret", &rt(&second), &[]).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the owner's family lives: {}",
        r.text
    );
}

#[tokio::test]
async fn a_zero_grace_turns_the_window_off() {
    let h = Harness::with(|c| c.refresh_reuse_grace = 0);
    let rt1 = rt(&h.token("agent", "agent-secret", &[]).await);
    let second = h.refresh("agent", "agent-secret", &rt1, &[]).await.body;
    let retry = h.refresh("agent", "agent-secret", &rt1, &[]).await;
    assert_eq!(retry.error(), "invalid_grant");
    assert_eq!(
        h.server.verify(&at(&second)).await.unwrap_err().reason,
        "revoked"
    );
    assert_eq!(h.server.recent_refreshes.len(), 0, "no answer is held");
}
