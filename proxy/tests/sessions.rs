//! Interactive sessions and consents end to end, through the real `oidc-provider`: two
//! sign-ins listed by user and by client through the admin API, one revoked (its refresh token
//! refused, its access token refused at the resource side and inactive at introspection) while
//! the other keeps working; a withdrawn consent and an expired one (`consent_ttl = 0`) bring
//! the consent page back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "../../core/tests/support/idp.rs"]
mod idp;

use std::collections::BTreeMap;
use std::sync::Arc;

use idp::Idp;
use oauth4os_proxy::authz::AuthServer;
use oauth4os_proxy::{App, Loaded};
use serde_json::Value;

const CLIENT: &str = "web-app";
const SECRET: &str = "web-app-secret";
const ADMIN: &str = "oauth4os-admin";
const ADMIN_SECRET: &str = "admin-secret-for-session-tests";
const APP_CB: &str = "http://127.0.0.1:9/app/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const UA: &str = "sessions-test-browser/1.0";

struct Proxy {
    url: String,
    _app: Arc<App>,
    _dir: tempfile::TempDir,
}

async fn start(idp: &Idp, consent_ttl: u64) -> Proxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let addr = listener.local_addr().unwrap();
    let public = format!("http://{addr}");
    std::fs::write(dir.path().join("login-secret"), "ci-secret\n").unwrap();
    let hash = AuthServer::hash_secret(SECRET).unwrap();
    let admin_hash = AuthServer::hash_secret(ADMIN_SECRET).unwrap();
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
consent_ttl = {consent_ttl}

[authorization_server.admin]
client_id = "{ADMIN}"
secret_hash = "{admin_hash}"

[[authorization_server.clients]]
id = "{CLIENT}"
secret_hash = "{hash}"
scopes = "read:logs-*"
tenant = "acme"
grant_types = ["authorization_code", "refresh_token"]
redirect_uris = ["{APP_CB}"]

[[tenants]]
name = "acme"
issuer = "{iss}"
audiences = ["{public}"]

[tenants.login]
client_id = "ci-client"
client_secret_file = "login-secret"
"#,
        store = dir.path().join("store.db").display(),
        iss = idp.issuer,
    );
    let loaded = Loaded::from_str(&toml, "sessions.toml", dir.path().to_path_buf()).unwrap();
    let app = App::build(loaded, [5u8; 32]).unwrap();
    tokio::spawn(oauth4os_proxy::serve(
        app.clone(),
        listener,
        std::future::pending(),
    ));
    Proxy {
        url: public,
        _app: app,
        _dir: dir,
    }
}

/// A browser: no automatic redirects, one cookie jar.
struct Browser {
    http: reqwest::Client,
    jar: BTreeMap<String, String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(UA)
            .build()
            .unwrap();
        Self {
            http,
            jar: BTreeMap::new(),
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let resp = req
            .header("cookie", cookies.join("; "))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        for c in resp.headers().get_all("set-cookie") {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                self.jar.insert(k.trim().to_owned(), v.to_owned());
            }
        }
        let body = resp.text().await.unwrap();
        Page {
            status,
            location,
            body,
        }
    }

    async fn get(&mut self, url: &str) -> Page {
        let req = self.http.get(url);
        self.send(req).await
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let req = self.http.post(url).form(form);
        self.send(req).await
    }
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http") {
        location.to_owned()
    } else {
        format!("{base}{location}")
    }
}

/// The query parameters of `url` (the values here are base64url and plain words).
fn query(url: &str) -> BTreeMap<String, String> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    q.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn between<'a>(html: &'a str, start: &str, end: char) -> &'a str {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"))
        + start.len();
    &html[i..i + html[i..].find(end).unwrap()]
}

/// Signs `user` in, from `/oauth/authorize` through the provider's pages, up to the proxy's
/// answer at its callback: its consent page, or its redirect to the client when consent is
/// remembered.
async fn sign_in(b: &mut Browser, p: &Proxy, idp: &Idp, user: &str) -> Page {
    let params = [
        ("response_type", "code"),
        ("client_id", CLIENT),
        ("redirect_uri", APP_CB),
        ("scope", "read:logs-*"),
        ("state", "st"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let q = oauth4os_core::http::form_urlencode(&params);
    let first = b.get(&format!("{}/oauth/authorize?{q}", p.url)).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let mut url = first.location.unwrap();
    for _ in 0..12 {
        let page = b.get(&url).await;
        if url.contains("/oauth/callback") {
            return page;
        }
        if let Some(loc) = page.location {
            url = absolute(&idp.issuer, &loc);
            continue;
        }
        assert_eq!(page.status, 200, "{}", page.body);
        let action = absolute(
            &idp.issuer,
            &between(&page.body, "action=\"", '"').replace("&amp;", "&"),
        );
        let next = if page.body.contains("name=\"login\"") {
            b.post(
                &action,
                &[("prompt", "login"), ("login", user), ("password", "any")],
            )
            .await
        } else {
            b.post(&action, &[("prompt", "consent")]).await
        };
        url = absolute(&idp.issuer, &next.location.expect("a redirect"));
    }
    panic!("the sign-in did not reach the proxy's callback");
}

fn is_consent_page(page: &Page) -> bool {
    page.status == 200 && page.body.contains("name=\"csrf\"")
}

/// Approves the consent page if one is shown, and redeems the code: the token response.
async fn finish(b: &mut Browser, p: &Proxy, page: Page) -> Value {
    let back = if is_consent_page(&page) {
        let request = between(&page.body, "name=\"request\" value=\"", '"').to_owned();
        let csrf = between(&page.body, "name=\"csrf\" value=\"", '"').to_owned();
        b.post(
            &format!("{}/oauth/consent", p.url),
            &[
                ("request", request.as_str()),
                ("csrf", csrf.as_str()),
                ("decision", "approve"),
            ],
        )
        .await
    } else {
        page
    };
    assert_eq!(back.status, 303, "{}", back.body);
    let code = query(back.location.as_deref().unwrap())["code"].clone();
    let (status, token) = token(
        p,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", APP_CB),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{token}");
    token
}

async fn token(p: &Proxy, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth/token", p.url))
        .basic_auth(CLIENT, Some(SECRET))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn refresh(p: &Proxy, rt: &str) -> (u16, Value) {
    token(p, &[("grant_type", "refresh_token"), ("refresh_token", rt)]).await
}

async fn admin(p: &Proxy, method: reqwest::Method, path: &str) -> (u16, Value) {
    let c = reqwest::Client::new();
    let t: Value = c
        .post(format!("{}/oauth/token", p.url))
        .basic_auth(ADMIN, Some(ADMIN_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resp = c
        .request(method, format!("{}/admin{path}", p.url))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn introspect(p: &Proxy, t: &str) -> bool {
    let v: Value = reqwest::Client::new()
        .post(format!("{}/oauth/introspect", p.url))
        .basic_auth(CLIENT, Some(SECRET))
        .form(&[("token", t)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["active"].as_bool().unwrap()
}

/// The resource side's answer to a search with `t`: status and `reason`.
async fn search(p: &Proxy, t: &str) -> (u16, Option<String>) {
    let resp = reqwest::Client::new()
        .get(format!("{}/logs-app/_search", p.url))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    (status, v["reason"].as_str().map(str::to_owned))
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_consents_through_the_real_provider() {
    let idp = Idp::start(&[]);
    let p = start(&idp, 3600).await;

    // Alice signs in twice (two browsers); the second time her consent is remembered.
    let mut b1 = Browser::new();
    let page = sign_in(&mut b1, &p, &idp, "alice").await;
    assert!(is_consent_page(&page), "first sign-in asks: {}", page.body);
    let one = finish(&mut b1, &p, page).await;
    let mut b2 = Browser::new();
    let page = sign_in(&mut b2, &p, &idp, "alice").await;
    assert_eq!(page.status, 303, "consent remembered: {}", page.body);
    let two = finish(&mut b2, &p, page).await;

    let (status, by_user) = admin(&p, reqwest::Method::GET, "/sessions?user=alice").await;
    assert_eq!(status, 200, "{by_user}");
    let sessions = by_user["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    let (_, by_client) = admin(
        &p,
        reqwest::Method::GET,
        &format!("/sessions?client_id={CLIENT}"),
    )
    .await;
    assert_eq!(by_client["sessions"], by_user["sessions"]);
    for sess in &sessions {
        assert_eq!(
            (s(sess, "user"), s(sess, "client_id"), s(sess, "tenant")),
            ("alice", CLIENT, "acme")
        );
        assert_eq!(sess["user_agent"], UA);
        assert_eq!(sess["address"], "127.0.0.1");
        assert_eq!(sess["active"], true);
    }
    assert_eq!(sessions[0]["consent_id"], sessions[1]["consent_id"]);
    // Newest first: the second sign-in is the first listed.
    let (first_id, second_id) = (s(&sessions[1], "session_id"), s(&sessions[0], "session_id"));

    // Revoke the first session.
    let (status, revoked) = admin(
        &p,
        reqwest::Method::DELETE,
        &format!("/sessions/{first_id}"),
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["sessions"], serde_json::json!([first_id]));
    let (status, body) = refresh(&p, s(&one, "refresh_token")).await;
    assert_eq!(
        (status, s(&body, "error"), s(&body, "reason")),
        (400, "invalid_grant", "refresh_token_invalid")
    );
    assert_eq!(
        search(&p, s(&one, "access_token")).await,
        (401, Some("revoked".to_owned()))
    );
    assert!(!introspect(&p, s(&one, "access_token")).await);
    // The second keeps working: its access token passes the resource side's checks (the
    // upstream here is unreachable, so it ends at the gateway, not at 401), and it refreshes.
    let (status, reason) = search(&p, s(&two, "access_token")).await;
    assert_ne!(status, 401, "{reason:?}");
    assert!(introspect(&p, s(&two, "access_token")).await);
    let (status, next) = refresh(&p, s(&two, "refresh_token")).await;
    assert_eq!(status, 200, "{next}");
    let (_, left) = admin(&p, reqwest::Method::GET, "/sessions?user=alice").await;
    assert_eq!(left["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(left["sessions"][0]["session_id"], second_id);

    // Alice's consent is withdrawn: her remaining session ends and the next sign-in asks again.
    let (_, consents) = admin(&p, reqwest::Method::GET, "/consents?user=alice").await;
    let consent = s(&consents["consents"][0], "consent_id").to_owned();
    let (status, withdrawn) =
        admin(&p, reqwest::Method::DELETE, &format!("/consents/{consent}")).await;
    assert_eq!(status, 200, "{withdrawn}");
    assert_eq!(withdrawn["sessions"], serde_json::json!([second_id]));
    assert!(!introspect(&p, s(&next, "access_token")).await);
    assert_eq!(
        search(&p, s(&next, "access_token")).await,
        (401, Some("revoked".to_owned()))
    );
    let mut b3 = Browser::new();
    let page = sign_in(&mut b3, &p, &idp, "alice").await;
    assert!(is_consent_page(&page), "asked again: {}", page.body);
    let three = finish(&mut b3, &p, page).await;
    assert!(introspect(&p, s(&three, "access_token")).await);

    // Bad inputs change nothing.
    let (status, err) = admin(&p, reqwest::Method::DELETE, "/sessions").await;
    assert_eq!((status, s(&err, "reason")), (400, "missing_filter"));
    let (status, err) = admin(&p, reqwest::Method::DELETE, "/sessions/unknown").await;
    assert_eq!((status, s(&err, "reason")), (404, "not_found"));
    assert!(introspect(&p, s(&three, "access_token")).await);

    // With consent_ttl = 0 the consent is never remembered: every sign-in asks.
    let p0 = start(&idp, 0).await;
    for _ in 0..2 {
        let mut b = Browser::new();
        let page = sign_in(&mut b, &p0, &idp, "bob").await;
        assert!(is_consent_page(&page), "asked every time: {}", page.body);
        finish(&mut b, &p0, page).await;
    }
    let (_, listed) = admin(&p0, reqwest::Method::GET, "/consents?user=bob").await;
    assert_eq!(listed["consents"][0]["active"], false, "{listed}");
    let (_, bob) = admin(&p0, reqwest::Method::GET, "/sessions?user=bob").await;
    assert_eq!(
        bob["sessions"].as_array().unwrap().len(),
        2,
        "sessions outlive the consent's memory"
    );
    idp.stop();
}
