//! Interactive sessions and consents through the admin API: each test "signs a user in" the way
//! `/oauth/callback` does (a consent in the store, then a code carrying it) and redeems the code
//! at `/oauth/token`; the real provider's sign-in is exercised by `proxy/tests/sessions.rs`.

use axum::http::{Method, StatusCode};
use oauth4os_core::verify::unix_now;
use serde_json::Value;

use super::{AUD, Harness, Reply, entry, form};
use crate::authz::authorize::s256;
use crate::services::secrets::{random_id, sha256};
use crate::services::store::AuthorizationCode;

const CB: &str = "https://app.example/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Two web clients of tenant `acme` that get refresh tokens.
fn harness() -> Harness {
    Harness::with(|c| {
        for id in ["web", "web2"] {
            let mut e = entry(
                id,
                &format!("{id}-secret"),
                "read:logs-*",
                &["authorization_code", "refresh_token"],
            );
            e.tenant = Some("acme".into());
            e.redirect_uris = vec![CB.into()];
            c.clients.push(e);
        }
    })
}

/// A code for `user` at `client` under the consent recorded now, as the callback issues it.
async fn code_for(h: &Harness, user: &str, client: &str) -> String {
    let now = unix_now();
    let consent = h
        .server
        .store
        .record_consent(
            user.into(),
            client.into(),
            "read:logs-*".into(),
            now,
            now + 3600,
        )
        .await
        .unwrap();
    let code = random_id().unwrap();
    let stored = AuthorizationCode {
        hash: sha256(code.as_bytes()),
        client_id: client.into(),
        redirect_uri: CB.into(),
        scope: "read:logs-*".into(),
        audience: AUD.into(),
        code_challenge: s256(VERIFIER),
        subject: user.into(),
        expires_at: now + 60,
        consent_id: Some(consent.id),
        user_agent: Some("Mozilla/5.0 (test)".into()),
        address: Some("192.0.2.7".into()),
    };
    h.server.store.put_authorization_code(stored).await.unwrap();
    code
}

async fn redeem(h: &Harness, client: &str, code: &str) -> Reply {
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CB),
        ("code_verifier", VERIFIER),
    ]);
    h.post(
        "/oauth/token",
        &body,
        Some((client, &format!("{client}-secret"))),
    )
    .await
}

/// Signs `user` in at `client`: the token response.
async fn login(h: &Harness, user: &str, client: &str) -> Value {
    let code = code_for(h, user, client).await;
    let r = redeem(h, client, &code).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap().to_owned()
}

async fn introspect(h: &Harness, token: &str) -> bool {
    let r = h
        .post(
            "/oauth/introspect",
            &form(&[("token", token)]),
            Some(("ci", "ci-secret")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["active"].as_bool().unwrap()
}

async fn refresh(h: &Harness, client: &str, rt: &str) -> Reply {
    h.refresh(client, &format!("{client}-secret"), rt, &[])
        .await
}

fn ids(r: &Reply) -> Vec<String> {
    let mut v: Vec<String> = r.body["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn sessions_are_listed_by_user_and_client_and_revoked_one_at_a_time() {
    let h = harness();
    let admin = h.admin_token().await;
    let a1 = login(&h, "alice", "web").await;
    let a2 = login(&h, "alice", "web").await;
    let _b1 = login(&h, "bob", "web").await;
    let _a3 = login(&h, "alice", "web2").await;
    // A machine client's tokens are no session.
    h.token("agent", "agent-secret", &[]).await;

    let by_user = h
        .admin(Method::GET, "/sessions?user=alice", &admin, None)
        .await;
    assert_eq!(by_user.status, StatusCode::OK, "{}", by_user.text);
    assert_eq!(ids(&by_user).len(), 3);
    let by_client = h
        .admin(Method::GET, "/sessions?client_id=web", &admin, None)
        .await;
    assert_eq!(ids(&by_client).len(), 3);
    let both = h
        .admin(
            Method::GET,
            "/sessions?user=alice&client_id=web",
            &admin,
            None,
        )
        .await;
    assert_eq!(ids(&both).len(), 2);
    let all = h.admin(Method::GET, "/sessions", &admin, None).await;
    assert_eq!(ids(&all).len(), 4);
    let one = &both.body["sessions"][0];
    assert_eq!(
        (
            one["user"].as_str(),
            one["tenant"].as_str(),
            one["user_agent"].as_str(),
            one["address"].as_str(),
            one["active"].as_bool(),
        ),
        (
            Some("alice"),
            Some("acme"),
            Some("Mozilla/5.0 (test)"),
            Some("192.0.2.7"),
            Some(true)
        )
    );
    assert!(one["family_id"].is_string() && one["consent_id"].is_string());

    // Find a1's session: the one whose family its refresh token belongs to.
    let family = h
        .server
        .store
        .refresh_token(&sha256(s(&a1, "refresh_token").as_bytes()))
        .await
        .unwrap()
        .unwrap()
        .family
        .id;
    let sid = both.body["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["family_id"] == family.as_str())
        .unwrap()["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown = h
        .admin(Method::GET, &format!("/sessions/{sid}"), &admin, None)
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body["session_id"], sid.as_str());

    // Revoke it: its refresh token and access token die; a2 keeps working.
    let r = h
        .admin(Method::DELETE, &format!("/sessions/{sid}"), &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sessions"], serde_json::json!([sid]));
    assert_eq!(r.body["access_tokens"], 1);
    let dead = refresh(&h, "web", &s(&a1, "refresh_token")).await;
    assert_eq!(
        (dead.error(), dead.body["reason"].as_str()),
        ("invalid_grant", Some("refresh_token_invalid"))
    );
    assert!(!introspect(&h, &s(&a1, "access_token")).await);
    assert_eq!(
        h.server
            .verify(&s(&a1, "access_token"))
            .await
            .unwrap_err()
            .reason,
        "revoked"
    );
    assert!(introspect(&h, &s(&a2, "access_token")).await);
    let alive = refresh(&h, "web", &s(&a2, "refresh_token")).await;
    assert_eq!(alive.status, StatusCode::OK, "{}", alive.text);
    assert!(introspect(&h, &s(&alive.body, "access_token")).await);

    // The revoked session is shown ended, and listed no more.
    let shown = h
        .admin(Method::GET, &format!("/sessions/{sid}"), &admin, None)
        .await;
    assert_eq!(
        (
            shown.body["active"].as_bool(),
            shown.body["ended_reason"].as_str()
        ),
        (Some(false), Some("admin"))
    );
    let left = h
        .admin(
            Method::GET,
            "/sessions?user=alice&client_id=web",
            &admin,
            None,
        )
        .await;
    assert_eq!(ids(&left).len(), 1);
    assert!(!ids(&left).contains(&sid));
    // The refresh touched the live session.
    let live = &left.body["sessions"][0];
    assert!(live["last_used_at"].as_i64() >= live["created_at"].as_i64());
    // Revoking it again ends nothing new.
    let again = h
        .admin(Method::DELETE, &format!("/sessions/{sid}"), &admin, None)
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["sessions"], serde_json::json!([]));

    let events = h.server.store.audit_events(20).await.unwrap();
    // Newest first: the second call (which ended nothing) is audited too.
    let revocations: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "sessions_revoked")
        .collect();
    assert_eq!(revocations.len(), 2);
    let e = revocations[1];
    assert_eq!(e.detail["by"], super::ADMIN_ID);
    assert_eq!(e.detail["sessions"], serde_json::json!([sid]));
    assert_eq!(e.client_id.as_deref(), Some("web"));
    let text = e.detail.to_string();
    assert!(!text.contains(&s(&a1, "access_token")) && !text.contains(&s(&a1, "refresh_token")));
}

#[tokio::test]
async fn bulk_revocation_needs_a_filter_and_bad_inputs_change_nothing() {
    let h = harness();
    let admin = h.admin_token().await;
    let a1 = login(&h, "alice", "web").await;
    let a2 = login(&h, "alice", "web2").await;
    let b1 = login(&h, "bob", "web").await;
    let before = h.admin(Method::GET, "/sessions", &admin, None).await;
    for (method, path, status, reason) in [
        (Method::DELETE, "/sessions", 400, "missing_filter"),
        (Method::DELETE, "/sessions?user=", 400, "invalid_request"),
        (Method::DELETE, "/sessions?sub=alice", 400, "bad_query"),
        (
            Method::DELETE,
            "/sessions?user=a&user=b",
            400,
            "duplicate_parameter",
        ),
        (Method::GET, "/sessions?who=alice", 400, "bad_query"),
        (Method::GET, "/sessions/nope", 404, "not_found"),
        (Method::DELETE, "/sessions/nope", 404, "not_found"),
        (Method::GET, "/consents?user=alice&x=1", 400, "bad_query"),
        (Method::DELETE, "/consents/nope", 404, "not_found"),
    ] {
        let r = h.admin(method.clone(), path, &admin, None).await;
        assert_eq!(
            (r.status.as_u16(), r.body["reason"].as_str()),
            (status, Some(reason)),
            "{method} {path}: {}",
            r.text
        );
    }
    let after = h.admin(Method::GET, "/sessions", &admin, None).await;
    assert_eq!(ids(&before), ids(&after), "nothing changed");
    for t in [&a1, &a2, &b1] {
        assert!(introspect(&h, &s(t, "access_token")).await);
    }

    // Every session of a user, at every client.
    let r = h
        .admin(Method::DELETE, "/sessions?user=alice", &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sessions"].as_array().unwrap().len(), 2);
    assert!(!introspect(&h, &s(&a1, "access_token")).await);
    assert!(!introspect(&h, &s(&a2, "access_token")).await);
    assert_eq!(
        refresh(&h, "web2", &s(&a2, "refresh_token")).await.error(),
        "invalid_grant"
    );
    assert!(introspect(&h, &s(&b1, "access_token")).await);
    // Every session at a client.
    let r = h
        .admin(Method::DELETE, "/sessions?client_id=web", &admin, None)
        .await;
    assert_eq!(r.body["sessions"].as_array().unwrap().len(), 1);
    assert!(!introspect(&h, &s(&b1, "access_token")).await);
    let none = h.admin(Method::GET, "/sessions", &admin, None).await;
    assert!(ids(&none).is_empty());
}

#[tokio::test]
async fn withdrawing_a_consent_ends_its_sessions_and_its_pending_codes() {
    let h = harness();
    let admin = h.admin_token().await;
    let a1 = login(&h, "alice", "web").await;
    let other = login(&h, "alice", "web2").await;
    let pending = code_for(&h, "alice", "web").await;
    let listed = h
        .admin(Method::GET, "/consents?user=alice", &admin, None)
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let consents = listed.body["consents"].as_array().unwrap().clone();
    assert_eq!(consents.len(), 2);
    let web = consents
        .iter()
        .find(|c| c["client_id"] == "web")
        .unwrap()
        .clone();
    assert_eq!(
        (web["scope"].as_str(), web["active"].as_bool()),
        (Some("read:logs-*"), Some(true))
    );
    let by_client = h
        .admin(Method::GET, "/consents?client_id=web2", &admin, None)
        .await;
    assert_eq!(by_client.body["consents"].as_array().unwrap().len(), 1);

    let id = s(&web, "consent_id");
    let r = h
        .admin(Method::DELETE, &format!("/consents/{id}"), &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["consent_id"], id.as_str());
    assert_eq!(r.body["sessions"].as_array().unwrap().len(), 1);
    assert!(!introspect(&h, &s(&a1, "access_token")).await);
    assert_eq!(
        refresh(&h, "web", &s(&a1, "refresh_token")).await.error(),
        "invalid_grant"
    );
    // The consent given to the other client stands, and so does its session.
    assert!(introspect(&h, &s(&other, "access_token")).await);
    // A code issued under the withdrawn consent is refused.
    let r = redeem(&h, "web", &pending).await;
    assert_eq!(
        (r.error(), r.body["reason"].as_str()),
        ("invalid_grant", Some("consent_withdrawn")),
        "{}",
        r.text
    );
    let gone = h
        .admin(Method::DELETE, &format!("/consents/{id}"), &admin, None)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let events = h.server.store.audit_events(20).await.unwrap();
    let e = events
        .iter()
        .find(|e| e.kind == "consent_withdrawn")
        .expect("audited");
    assert_eq!(e.client_id.as_deref(), Some("web"));
    assert_eq!(e.detail["by"], super::ADMIN_ID);
}

#[tokio::test]
async fn consent_is_remembered_until_consent_ttl() {
    for (ttl, remembered) in [(3600, true), (0, false)] {
        let h = Harness::with(|c| c.consent_ttl = ttl);
        let now = unix_now();
        let c = h
            .server
            .store
            .record_consent(
                "alice".into(),
                "web".into(),
                "read:logs-*".into(),
                now,
                now + i64::try_from(ttl).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(
            h.server
                .remembered_consent("alice", "web", "read:logs-*")
                .await,
            remembered.then(|| c.id.clone()),
            "ttl {ttl}"
        );
        // Never for more than was consented, nor for another user.
        assert_eq!(
            h.server
                .remembered_consent("alice", "web", "read:logs-* monitor:*")
                .await,
            None
        );
        assert_eq!(
            h.server
                .remembered_consent("bob", "web", "read:logs-*")
                .await,
            None
        );
    }
}

/// This server has no public clients: every client authenticates (a `client_id` alone is
/// refused before any grant is looked at, so a code or refresh token sent that way stays
/// usable by its owner), PKCE is required of every client, confidential ones included, and
/// registration refuses `token_endpoint_auth_method=none` (see `register.rs`).
#[tokio::test]
async fn no_client_skips_authentication_and_every_code_needs_pkce() {
    let h = harness();
    let code = code_for(&h, "alice", "web").await;
    let public_style = form(&[
        ("grant_type", "authorization_code"),
        ("client_id", "web"),
        ("code", &code),
        ("redirect_uri", CB),
        ("code_verifier", VERIFIER),
    ]);
    let r = h.post("/oauth/token", &public_style, None).await;
    assert_eq!(
        (r.status, r.error(), r.body["reason"].as_str()),
        (
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            Some("bad_client_auth")
        ),
        "{}",
        r.text
    );
    // An empty secret is a wrong secret, not a public client.
    let r = h
        .post("/oauth/token", &public_style, Some(("web", "")))
        .await;
    assert_eq!(r.error(), "invalid_client", "{}", r.text);
    // PKCE: no verifier is refused before the code is touched.
    let no_pkce = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", CB),
    ]);
    let r = h
        .post("/oauth/token", &no_pkce, Some(("web", "web-secret")))
        .await;
    assert_eq!(
        (r.error(), r.body["reason"].as_str()),
        ("invalid_grant", Some("code_verifier_invalid"))
    );
    // The owner, authenticated and with the verifier, still redeems the code.
    let ok = redeem(&h, "web", &code).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let rt = s(&ok.body, "refresh_token");
    let r = h
        .post(
            "/oauth/token",
            &form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "web"),
                ("refresh_token", &rt),
            ]),
            None,
        )
        .await;
    assert_eq!(r.error(), "invalid_client");
    assert_eq!(refresh(&h, "web", &rt).await.status, StatusCode::OK);
    // Discovery offers `none` at the token endpoint for public clients only: a confidential
    // client (above) still needs its secret.
    let meta = h.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(
        meta.body["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post", "none"])
    );
}
