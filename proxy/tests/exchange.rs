//! RFC 8693 token exchange against the real OpenID provider (`oidc-provider`) as the tenant
//! whose tokens are the subjects. Needs only Node and `npm ci --prefix .ci/harness/oidc`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod support;

#[path = "../../core/tests/support/idp.rs"]
mod idp;

use std::sync::Arc;

use idp::Idp;
use oauth4os_proxy::authz::AuthServer;
use oauth4os_proxy::{App, Loaded};
use serde_json::Value;
use support::JsonExt as _;

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";

struct Proxy {
    url: String,
    app: Arc<App>,
    _dir: tempfile::TempDir,
}

async fn start(idp: &Idp) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let public = format!("http://{addr}");
    let hash = AuthServer::hash_secret("exchange-secret").unwrap();
    let client = |id: &str, tenant: &str, grants: &str| {
        format!(
            "[[authorization_server.clients]]\nid = \"{id}\"\nsecret_hash = \"{hash}\"\nscopes = \"read:logs-* write:logs-app\"\ntenant = \"{tenant}\"\ngrant_types = [{grants}]\n"
        )
    };
    let toml = format!(
        r#"
listen = "{addr}"
public_url = "{public}"

[upstream]
url = "http://127.0.0.1:9"

[authorization_server]
issuer = "{public}"
audiences = ["{public}"]
store_path = "{store}"

{c1}
{c2}
{c3}

[[tenants]]
name = "acme"
issuer = "{iss}"
audiences = ["{public}"]
required_typ = "at+jwt"
"#,
        store = dir.path().join("store.db").display(),
        iss = idp.issuer,
        c1 = client("exchanger", "acme", "\"token_exchange\""),
        c2 = client("outsider", "default", "\"token_exchange\""),
        c3 = client("plain", "acme", "\"client_credentials\""),
    );
    let loaded = Loaded::from_str(&toml, "exchange.toml", dir.path().to_path_buf()).unwrap();
    let app = App::build(loaded, [9u8; 32]).unwrap();
    tokio::spawn(oauth4os_proxy::serve(
        app.clone(),
        listener,
        std::future::pending(),
    ));
    Proxy {
        url: public,
        app,
        _dir: dir,
    }
}

async fn subject_token(idp: &Idp, scope: &str, resource: &str) -> String {
    let v: Value = reqwest::Client::new()
        .post(format!("{}/token", idp.issuer))
        .basic_auth("agent-a", Some("secret-a"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("resource", resource),
        ])
        .value()
        .await;
    v["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {v}"))
        .to_owned()
}

async fn exchange(p: &Proxy, client: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth/token", p.url))
        .basic_auth(client, Some("exchange-secret"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_exchange_against_the_real_provider() {
    let idp = Idp::start(&[]);
    let p = start(&idp).await;
    let subject = subject_token(&idp, "read:logs-* write:logs-*", &p.url).await;
    let subject_sub = claims(&subject)["sub"].as_str().unwrap().to_owned();
    let base = [
        ("grant_type", EXCHANGE),
        ("subject_token", subject.as_str()),
        ("subject_token_type", ACCESS),
    ];

    // The happy path: at most client ∩ subject = read:logs-* write:logs-app.
    let (status, body) = exchange(&p, "exchanger", &base).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["issued_token_type"], ACCESS);
    assert!(body.get("refresh_token").is_none());
    let scope: Vec<&str> = body["scope"].as_str().unwrap().split(' ').collect();
    assert_eq!(scope, ["read:logs-*", "write:logs-app"]);
    let token = body["access_token"].as_str().unwrap();
    let c = claims(token);
    assert_eq!(c["sub"], subject_sub.as_str());
    assert_eq!(c["act"]["sub"], "exchanger");
    assert_eq!(c["client_id"], "exchanger");
    assert_eq!(c["tenant"], "acme");
    assert_eq!(c["iss"], p.url.as_str());
    let verified = p
        .app
        .auth
        .verify(token)
        .await
        .expect("the exchanged token is one of ours");
    assert_eq!(verified.sub.as_deref(), Some(subject_sub.as_str()));

    // Narrowing works; widening never does.
    let mut narrow = base.to_vec();
    narrow.push(("scope", "read:logs-2026"));
    let (status, body) = exchange(&p, "exchanger", &narrow).await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("read:logs-2026")),
        "{body}"
    );
    let narrow_subject = subject_token(&idp, "read:logs-*", &p.url).await;
    for wider in ["write:logs-app", "admin:*", "read:*", "read:metrics-*"] {
        let form = [
            ("grant_type", EXCHANGE),
            ("subject_token", narrow_subject.as_str()),
            ("subject_token_type", ACCESS),
            ("scope", wider),
        ];
        let (status, body) = exchange(&p, "exchanger", &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_scope")),
            "{wider}: {body}"
        );
    }
    // A subject with nothing the client may hold.
    let metrics_subject = subject_token(&idp, "read:metrics-*", &p.url).await;
    let form = [
        ("grant_type", EXCHANGE),
        ("subject_token", metrics_subject.as_str()),
        ("subject_token_type", ACCESS),
    ];
    let (status, body) = exchange(&p, "exchanger", &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope")),
        "{body}"
    );

    // The wrong tenant, or no permission for the grant.
    let (status, body) = exchange(&p, "outsider", &base).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
    let (status, body) = exchange(&p, "plain", &base).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );

    // Subject tokens that are not a tenant's valid token for us.
    let other_aud = subject_token(&idp, "read:logs-*", "https://elsewhere.example").await;
    let own = token.to_owned();
    let mut tampered = subject.clone();
    tampered.pop();
    tampered.push(if subject.ends_with('A') { 'B' } else { 'A' });
    for bad in [
        other_aud.as_str(),
        own.as_str(),
        tampered.as_str(),
        "not.a.jwt",
    ] {
        let form = [
            ("grant_type", EXCHANGE),
            ("subject_token", bad),
            ("subject_token_type", ACCESS),
        ];
        let (status, body) = exchange(&p, "exchanger", &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{body}"
        );
        assert!(
            !body.to_string().contains(bad),
            "the error never echoes the token"
        );
    }

    // Malformed requests.
    let bad_forms: Vec<Vec<(&str, &str)>> = vec![
        vec![
            ("grant_type", EXCHANGE),
            ("subject_token", subject.as_str()),
        ],
        vec![("grant_type", EXCHANGE), ("subject_token_type", ACCESS)],
        vec![
            ("grant_type", EXCHANGE),
            ("subject_token", subject.as_str()),
            ("subject_token_type", "urn:x"),
        ],
        [
            base.to_vec(),
            vec![(
                "requested_token_type",
                "urn:ietf:params:oauth:token-type:refresh_token",
            )],
        ]
        .concat(),
        [base.to_vec(), vec![("actor_token", subject.as_str())]].concat(),
    ];
    for form in bad_forms {
        let (status, body) = exchange(&p, "exchanger", &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{form:?}: {body}"
        );
    }

    // A subject token revoked here (RFC 7009) is not exchanged any more.
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/revoke", p.url))
        .form(&[("token", subject.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, body) = exchange(&p, "exchanger", &base).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );

    // Every successful exchange is audited with the subject, never the token.
    let events = p.app.auth.store().audit_events(100).await.unwrap();
    let ex: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "token_exchanged")
        .collect();
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0].detail["subject"], subject_sub.as_str());
    assert!(!ex[0].detail.to_string().contains(&subject));
    idp.stop();
}
