//! Public clients (RFC 6749 §2.1, RFC 8252, OAuth 2.1) and per-client resource binding
//! (RFC 8707): created through the admin API without a secret, identified at the token
//! endpoint by `client_id` alone, limited to the code and refresh grants, bound to their
//! `audiences`.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{AUD, AUD2, Harness, Reply, form};
use crate::authz::authorize::{CODE_TTL, s256};
use crate::services::secrets::sha256;
use crate::services::store::AuthorizationCode;
use oauth4os_core::verify::unix_now;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CB: &str = "http://127.0.0.1/callback";

fn reason(r: &Reply) -> &str {
    r.body["reason"].as_str().unwrap_or("")
}

fn public_spec(id: &str) -> Value {
    json!({
        "client_id": id,
        "scopes": ["read:logs-*"],
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": [CB],
        "public": true,
    })
}

impl Harness {
    async fn create_client(&self, spec: Value) -> Reply {
        let admin = self.admin_token().await;
        self.admin(Method::POST, "/clients", &admin, Some(spec))
            .await
    }

    /// Stores a code as `/oauth/authorize` would after sign-in and consent.
    async fn code_for(&self, client: &str, redirect_uri: &str, audience: &str) -> String {
        let code = format!(
            "code-{}",
            super::hex(&crate::services::secrets::random_bytes::<8>().unwrap())
        );
        self.server
            .store
            .put_authorization_code(AuthorizationCode {
                hash: sha256(code.as_bytes()),
                client_id: client.into(),
                redirect_uri: redirect_uri.into(),
                scope: "read:logs-*".into(),
                audience: audience.into(),
                code_challenge: s256(VERIFIER),
                subject: "alice".into(),
                expires_at: unix_now() + CODE_TTL,
                consent_id: None,
                user_agent: None,
                address: None,
            })
            .await
            .unwrap();
        code
    }

    /// Redeems `code` as the public client `client` (no secret).
    async fn redeem(&self, client: &str, code: &str, extra: &[(&str, &str)]) -> Reply {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("client_id", client),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ];
        for (k, v) in extra {
            pairs.retain(|(pk, _)| pk != k);
            pairs.push((k, v));
        }
        self.post("/oauth/token", &form(&pairs), None).await
    }
}

#[tokio::test]
async fn a_public_client_is_created_without_a_secret_and_contradictions_are_refused() {
    let h = Harness::new();
    let r = h.create_client(public_spec("cli")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body.get("client_secret").is_none(), "{}", r.text);
    assert_eq!(r.body["public"], true);
    assert_eq!(r.body["token_endpoint_auth_method"], "none");
    let stored = h.server.store.client("cli").await.unwrap().unwrap();
    assert!(stored.secret_hash.is_empty());
    // `token_endpoint_auth_method: none` alone is the same thing.
    let mut spec = public_spec("cli2");
    spec.as_object_mut().unwrap().remove("public");
    spec["token_endpoint_auth_method"] = json!("none");
    let r = h.create_client(spec).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["public"], true);
    // A secret client says so.
    let admin = h.admin_token().await;
    let ci = h.admin(Method::GET, "/clients/ci", &admin, None).await;
    assert_eq!(ci.body["public"], false);

    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"token_endpoint_auth_method": "client_secret_basic"}),
            "contradicts",
        ),
        (
            json!({"public": false, "token_endpoint_auth_method": "none"}),
            "contradicts",
        ),
        (
            json!({"grant_types": ["authorization_code", "client_credentials"]}),
            "client_credentials",
        ),
        (
            json!({"grant_types": ["authorization_code", "token_exchange"]}),
            "token-exchange",
        ),
        (
            json!({"grant_types": ["refresh_token"], "redirect_uris": []}),
            "authorization_code",
        ),
        (
            json!({"tls_client_auth_subject_dn": "CN=x"}),
            "tls_client_auth",
        ),
    ];
    for (change, needle) in cases {
        let mut spec = public_spec("bad");
        for (k, v) in change.as_object().unwrap() {
            spec[k] = v.clone();
        }
        let r = h.create_client(spec.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{spec}: {}", r.text);
        assert_eq!(r.error(), "invalid_request", "{spec}");
        let d = r.body["error_description"].as_str().unwrap();
        assert!(d.contains(needle), "{spec}: {d}");
    }
    assert!(h.server.store.client("bad").await.unwrap().is_none());
    // No secret to rotate.
    let r = h
        .admin(Method::POST, "/clients/cli/secret", &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("public client"));
}

#[tokio::test]
async fn a_public_client_names_itself_by_client_id_and_may_only_use_code_and_refresh() {
    let h = Harness::new();
    assert_eq!(
        h.create_client(public_spec("cli")).await.status,
        StatusCode::CREATED
    );
    // Identified by `client_id` alone: a bogus code is the grant's problem, not the client's.
    let r = h.redeem("cli", "no-such-code", &[]).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_grant"),
        "{}",
        r.text
    );
    // Grants it may not use: `unauthorized_client`, whatever else the request says.
    for grant in [
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    ] {
        let r = h
            .post(
                "/oauth/token",
                &form(&[("grant_type", grant), ("client_id", "cli")]),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{grant}: {}", r.text);
        assert_eq!(r.error(), "unauthorized_client", "{grant}");
    }
    // A presented secret is refused, by Basic or in the form.
    let r = h
        .post(
            "/oauth/token",
            &form(&[("grant_type", "authorization_code")]),
            Some(("cli", "guessed")),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    assert_eq!(reason(&r), "public_client_secret", "{}", r.text);
    let r = h
        .post(
            "/oauth/token",
            &form(&[
                ("grant_type", "authorization_code"),
                ("client_id", "cli"),
                ("client_secret", "guessed"),
            ]),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client"),
        "{}",
        r.text
    );
    // An unknown id and a secret client without its secret stay `invalid_client`, alike.
    for id in ["nobody", "ci"] {
        let r = h
            .post(
                "/oauth/token",
                &form(&[("grant_type", "client_credentials"), ("client_id", id)]),
                None,
            )
            .await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::UNAUTHORIZED, "invalid_client"),
            "{id}"
        );
        assert_eq!(reason(&r), "bad_client_auth", "{id}");
    }
    // Introspection needs an authenticated client: a public one is not.
    let r = h
        .post(
            "/oauth/introspect",
            &form(&[("token", "x"), ("client_id", "cli")]),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    assert_eq!(reason(&r), "public_client_refused");
    // Metadata: `none` at the token endpoint, S256 only.
    let meta = h.get("/.well-known/oauth-authorization-server").await;
    let methods = meta.body["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    assert!(methods.contains(&json!("none")), "{}", meta.text);
    assert_eq!(
        meta.body["code_challenge_methods_supported"],
        json!(["S256"])
    );
}

#[tokio::test]
async fn a_public_clients_code_refresh_rotation_and_reuse_detection() {
    // No grace window: a second use of a retired token is reuse at once.
    let h = Harness::with(|cfg| cfg.refresh_reuse_grace = 0);
    assert_eq!(
        h.create_client(public_spec("cli")).await.status,
        StatusCode::CREATED
    );
    let code = h.code_for("cli", CB, AUD).await;
    // A wrong verifier burns the code.
    let r = h
        .redeem(
            "cli",
            &code,
            &[(
                "code_verifier",
                "A123456789012345678901234567890123456789012345",
            )],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        h.redeem("cli", &code, &[]).await.status,
        StatusCode::BAD_REQUEST
    );

    let code = h.code_for("cli", CB, AUD).await;
    // Another client cannot redeem it.
    h.create_client(public_spec("cli-b")).await;
    let r = h.redeem("cli-b", &code, &[]).await;
    assert_eq!(r.error(), "invalid_grant");

    let code = h.code_for("cli", CB, AUD).await;
    let r = h.redeem("cli", &code, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let access = r.body["access_token"].as_str().unwrap().to_owned();
    let rt1 = r.body["refresh_token"].as_str().unwrap().to_owned();
    let claims = h.verify_offline(&access).unwrap();
    assert_eq!(claims.aud, vec![AUD.to_owned()]);
    assert_eq!(claims.sub.as_deref(), Some("alice"));

    // Refresh as a public client: `client_id` only, rotated.
    let refresh = |rt: String| {
        let h = &h;
        async move {
            h.post(
                "/oauth/token",
                &form(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", "cli"),
                    ("refresh_token", &rt),
                ]),
                None,
            )
            .await
        }
    };
    let r = refresh(rt1.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rt2 = r.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2, "refresh tokens of public clients rotate");
    // Another public client cannot use it.
    let r = h
        .post(
            "/oauth/token",
            &form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "cli-b"),
                ("refresh_token", &rt2),
            ]),
            None,
        )
        .await;
    assert_eq!(r.error(), "invalid_grant");
    // Reuse of the retired token revokes the family.
    let r = refresh(rt1).await;
    assert_eq!(r.error(), "invalid_grant", "{}", r.text);
    let r = refresh(rt2).await;
    assert_eq!(
        r.error(),
        "invalid_grant",
        "the family died with the reuse: {}",
        r.text
    );
    assert_eq!(
        h.server.verify(&access).await.unwrap_err().reason,
        oauth4os_core::Reason::Revoked
    );
}

#[tokio::test]
async fn clients_are_bound_to_their_audiences() {
    let h = Harness::new();
    // Stored in the server's configured form; a trailing slash is no difference.
    let mut spec = json!({
        "client_id": "bound",
        "scopes": ["read:logs-*"],
        "audiences": [format!("{AUD2}/")],
    });
    let r = h.create_client(spec.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["audiences"], json!([AUD2]));
    let secret = r.body["client_secret"].as_str().unwrap().to_owned();
    spec["client_id"] = json!("unbound");
    spec["audiences"] = json!(["https://elsewhere.example"]);
    let r = h.create_client(spec).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(reason(&r), "invalid_client_audience");

    let ask = |resource: Option<&'static str>| {
        let (h, secret) = (&h, secret.clone());
        async move {
            let mut pairs = vec![("grant_type", "client_credentials")];
            if let Some(r) = resource {
                pairs.push(("resource", r));
            }
            h.post("/oauth/token", &form(&pairs), Some(("bound", &secret)))
                .await
        }
    };
    // Without `resource`: its first audience.
    let r = ask(None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c = h
        .verify_offline(r.body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(c.aud, vec![AUD2.to_owned()]);
    // With a trailing slash: the configured form.
    let r = ask(Some("https://other.example/")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c = h
        .verify_offline(r.body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(c.aud, vec![AUD2.to_owned()]);
    // A served resource it may not have, and one nobody serves.
    let r = ask(Some(AUD)).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_target")
    );
    assert_eq!(reason(&r), "resource_not_allowed");
    let r = ask(Some("https://search.example/x")).await;
    assert_eq!(r.error(), "invalid_target");
    assert_eq!(reason(&r), "unknown_resource");
    // Clients without `audiences` may have every audience of the server.
    let t = h
        .token("ci", "ci-secret", &[("resource", "https://other.example/")])
        .await;
    let c = h
        .verify_offline(t["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(c.aud, vec![AUD2.to_owned()]);
}

#[tokio::test]
async fn a_code_and_a_refresh_keep_their_resource() {
    let h = Harness::new();
    let mut spec = public_spec("cli");
    spec["audiences"] = json!([AUD2]);
    assert_eq!(h.create_client(spec).await.status, StatusCode::CREATED);
    // A different `resource` at the token endpoint than at authorize: refused, and the code
    // is burned.
    let code = h.code_for("cli", CB, AUD2).await;
    let r = h.redeem("cli", &code, &[("resource", AUD)]).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_target"),
        "{}",
        r.text
    );
    assert_eq!(reason(&r), "resource_mismatch");
    assert_eq!(h.redeem("cli", &code, &[]).await.error(), "invalid_grant");
    // The same one, with a trailing slash: fine.
    let code = h.code_for("cli", CB, AUD2).await;
    let r = h
        .redeem("cli", &code, &[("resource", "https://other.example/")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rt = r.body["refresh_token"].as_str().unwrap().to_owned();
    let c = h
        .verify_offline(r.body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(c.aud, vec![AUD2.to_owned()]);
    let r = h
        .post(
            "/oauth/token",
            &form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "cli"),
                ("refresh_token", &rt),
                ("resource", AUD),
            ]),
            None,
        )
        .await;
    assert_eq!(r.error(), "invalid_target", "{}", r.text);
    assert_eq!(reason(&r), "resource_mismatch");
    let r = h
        .post(
            "/oauth/token",
            &form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "cli"),
                ("refresh_token", &rt),
            ]),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c = h
        .verify_offline(r.body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(c.aud, vec![AUD2.to_owned()], "a refresh keeps the audience");
    let rt = r.body["refresh_token"].as_str().unwrap().to_owned();
    // A client whose audiences no longer include the family's cannot refresh it.
    let admin = h.admin_token().await;
    let mut spec = public_spec("cli");
    spec["audiences"] = json!([AUD]);
    let r = h
        .admin(Method::PUT, "/clients/cli", &admin, Some(spec))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = h
        .post(
            "/oauth/token",
            &form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "cli"),
                ("refresh_token", &rt),
            ]),
            None,
        )
        .await;
    assert_eq!(r.error(), "invalid_target", "{}", r.text);
    assert_eq!(reason(&r), "resource_not_allowed");
}
