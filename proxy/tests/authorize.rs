//! The authorization-code flow with PKCE end to end, driven with plain HTTP like a browser:
//! `/oauth/authorize` → the real `oidc-provider`'s login and consent pages → `/oauth/callback`
//! → the proxy's consent page → the redirect with `code`, `state` and `iss` → `/oauth/token`.
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

use base64::Engine as _;
use idp::Idp;
use oauth4os_proxy::authz::AuthServer;
use oauth4os_proxy::{App, Loaded};
use serde_json::Value;

const CLIENT: &str = "web-app";
const PUBLIC_CLIENT: &str = "claude-code";
const SECRET: &str = "web-app-secret";
const APP_CB: &str = "http://127.0.0.1:9/app/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Proxy {
    url: String,
    app: Arc<App>,
    _dir: tempfile::TempDir,
}

async fn start(listener: tokio::net::TcpListener, idp: &Idp) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let addr = listener.local_addr().unwrap();
    let public = format!("http://{addr}");
    std::fs::write(dir.path().join("login-secret"), "ci-secret\n").unwrap();
    let hash = AuthServer::hash_secret(SECRET).unwrap();
    let toml = format!(
        r#"
listen = "{addr}"
public_url = "{public}"

[upstream]
url = "http://127.0.0.1:9"

[authorization_server]
issuer = "{public}"
audiences = ["{public}", "{public}/mcp"]
store_path = "{store}"

[[authorization_server.clients]]
id = "{PUBLIC_CLIENT}"
token_endpoint_auth_method = "none"
scopes = "read:logs-*"
tenant = "acme"
grant_types = ["authorization_code", "refresh_token"]
redirect_uris = ["http://127.0.0.1/callback"]
audiences = ["{public}/mcp/"]

[[authorization_server.clients]]
id = "{CLIENT}"
secret_hash = "{hash}"
scopes = "read:logs-* write:logs-app"
tenant = "acme"
grant_types = ["authorization_code", "refresh_token"]
redirect_uris = ["{APP_CB}"]

[[authorization_server.clients]]
id = "machine"
secret_hash = "{hash}"
scopes = "read:logs-*"
tenant = "acme"

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
    let loaded = Loaded::from_str(&toml, "authorize.toml", dir.path().to_path_buf()).unwrap();
    let app = App::build(loaded, [5u8; 32]).unwrap();
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

/// A browser: no automatic redirects, one cookie jar for 127.0.0.1 (cookies ignore ports).
struct Browser {
    http: reqwest::Client,
    jar: BTreeMap<String, String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
    set_cookies: Vec<String>,
}

impl Browser {
    fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            http,
            jar: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let resp = req
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                self.jar.insert(k.trim().to_owned(), v.to_owned());
            }
        }
        let body = resp.text().await.unwrap();
        Page {
            status,
            location,
            body,
            set_cookies,
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

/// Decodes one form-encoded component (`+` is a space, `%XX` a byte).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn query(url: &str) -> BTreeMap<String, String> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn form_action(html: &str) -> String {
    let start = html.find("action=\"").unwrap() + 8;
    html[start..start + html[start..].find('"').unwrap()].replace("&amp;", "&")
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn authorize_url(p: &Proxy, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", CLIENT),
        ("redirect_uri", APP_CB),
        ("scope", "read:logs-*"),
        ("state", "st-<\"'>&1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        params.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            params.push((k, v));
        }
    }
    let q = oauth4os_core::http::form_urlencode(&params);
    format!("{}/oauth/authorize?{q}", p.url)
}

/// Signs `user` in at the IdP, starting from the proxy's redirect to it; ends at the proxy's
/// callback answer (its consent page, or its redirect to the client when consent is remembered).
async fn sign_in(b: &mut Browser, idp: &Idp, first: Page, user: &str) -> Page {
    assert_eq!(first.status, 303, "{}", first.body);
    let mut url = first.location.unwrap();
    assert!(
        url.starts_with(&idp.issuer),
        "the proxy sends the user to the tenant's provider: {url}"
    );
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
        let action = absolute(&idp.issuer, &form_action(&page.body));
        let next = if page.body.contains("name=\"login\"") {
            b.post(
                &action,
                &[("prompt", "login"), ("login", user), ("password", "any")],
            )
            .await
        } else {
            b.post(&action, &[("prompt", "consent")]).await
        };
        url = absolute(
            &idp.issuer,
            &next.location.expect("the provider redirects after a form"),
        );
    }
    panic!("the sign-in did not reach the proxy's callback");
}

async fn consent(b: &mut Browser, p: &Proxy, page: &Page, decision: &str) -> Page {
    assert_eq!(page.status, 200, "{}", page.body);
    let request = hidden(&page.body, "request");
    let csrf = hidden(&page.body, "csrf");
    b.post(
        &format!("{}/oauth/consent", p.url),
        &[
            ("request", &request),
            ("csrf", &csrf),
            ("decision", decision),
        ],
    )
    .await
}

async fn redeem(p: &Proxy, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth/token", p.url))
        .basic_auth(CLIENT, Some(SECRET))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn claims(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_with_pkce_through_the_real_provider() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let idp = Idp::start(&[]);
    let p = start(listener, &idp).await;

    // Discovery says what the flow supports.
    let meta: Value = reqwest::get(format!("{}/.well-known/oauth-authorization-server", p.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["authorization_endpoint"],
        format!("{}/oauth/authorize", p.url)
    );
    assert_eq!(
        meta["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        meta["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);

    // A user signs in; the consent page escapes what the provider said about them.
    let evil = "<script>alert(1)</script>";
    let mut b = Browser::new();
    let first = b.get(&authorize_url(&p, &[])).await;
    let page = sign_in(&mut b, &idp, first, evil).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(evil));
    assert!(page.body.contains("read:logs-*") && page.body.contains(CLIENT));
    let cookie = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("oauth4os_consent="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // A forged consent (wrong token, or no cookie) is refused and leaves the request intact.
    let request = hidden(&page.body, "request");
    let csrf = hidden(&page.body, "csrf");
    let forged = b
        .post(
            &format!("{}/oauth/consent", p.url),
            &[
                ("request", &request),
                ("csrf", "forged"),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let cookieless = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/oauth/consent", p.url))
        .form(&[
            ("request", request.as_str()),
            ("csrf", csrf.as_str()),
            ("decision", "approve"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cookieless.status().as_u16(), 403);

    let done = consent(&mut b, &p, &page, "approve").await;
    assert_eq!(done.status, 303);
    let back = done.location.unwrap();
    assert!(back.starts_with(APP_CB), "{back}");
    let q = query(&back);
    assert_eq!(q["state"], "st-<\"'>&1");
    assert_eq!(q["iss"], p.url, "RFC 9207");
    let code = q["code"].clone();

    // No verifier (a PKCE downgrade) is refused before the code is touched.
    let (status, body) = redeem(
        &p,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", APP_CB),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "PKCE downgrade: {body}"
    );
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", APP_CB),
        ("code_verifier", VERIFIER),
    ];
    let (status, token) = redeem(&p, &pairs).await;
    assert_eq!(status, 200, "{token}");
    let access = token["access_token"].as_str().unwrap().to_owned();
    let refresh = token["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(token["scope"], "read:logs-*");
    let c = claims(&access);
    assert_eq!(c["sub"], evil, "the subject is the user");
    assert_eq!(c["client_id"], CLIENT);
    assert_eq!(c["tenant"], "acme");
    p.app.auth.verify(&access).await.unwrap();

    // A refresh keeps the user as the subject.
    let (status, refreshed) = redeem(
        &p,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(
        claims(refreshed["access_token"].as_str().unwrap())["sub"],
        evil
    );

    // Replaying the code fails and revokes what it produced.
    let (status, body) = redeem(&p, &pairs).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert_eq!(
        p.app.auth.verify(&access).await.unwrap_err().reason,
        "revoked"
    );
    let (_, body) = redeem(
        &p,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                refreshed["refresh_token"].as_str().unwrap(),
            ),
        ],
    )
    .await;
    assert_eq!(
        body["error"], "invalid_grant",
        "the family died with the replay"
    );

    // Consent is remembered: the second sign-in goes straight back with a code.
    let first = b.get(&authorize_url(&p, &[])).await;
    let again = sign_in(&mut b, &idp, first, evil).await;
    assert_eq!(again.status, 303, "{}", again.body);
    let q2 = query(again.location.as_deref().unwrap());
    // Wrong verifier, then wrong redirect URI: both refused.
    let wrong: Vec<(&str, &str)> = vec![
        ("grant_type", "authorization_code"),
        ("code", &q2["code"]),
        ("redirect_uri", APP_CB),
        (
            "code_verifier",
            "A123456789012345678901234567890123456789012345",
        ),
    ];
    let (status, body) = redeem(&p, &wrong).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (status, _) = redeem(
        &p,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q2["code"]),
            ("redirect_uri", APP_CB),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 400, "a code that failed a check is burned");

    // Another user who denies: access_denied at the client, with state and iss.
    let mut b2 = Browser::new();
    let first = b2.get(&authorize_url(&p, &[("state", "s2")])).await;
    let page = sign_in(&mut b2, &idp, first, "bob").await;
    let denied = consent(&mut b2, &p, &page, "deny").await;
    let q = query(denied.location.as_deref().unwrap());
    assert_eq!(
        (q["error"].as_str(), q["state"].as_str(), q["iss"].as_str()),
        ("access_denied", "s2", p.url.as_str())
    );

    // Refusals at /oauth/authorize.
    let mut b3 = Browser::new();
    for (extra, error) in [
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge_method", "")], "invalid_request"),
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("scope", "read:*")], "invalid_scope"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
    ] {
        let r = b3.get(&authorize_url(&p, &extra)).await;
        assert_eq!(r.status, 303, "{extra:?}");
        let q = query(r.location.as_deref().unwrap());
        assert!(r.location.unwrap().starts_with(APP_CB));
        assert_eq!(
            (q["error"].as_str(), q["iss"].as_str()),
            (error, p.url.as_str()),
            "{extra:?}"
        );
    }
    // An unregistered redirect URI, an unknown client, or a client without the grant: a page, never a redirect.
    for extra in [
        vec![("redirect_uri", "https://evil.example/cb")],
        vec![("redirect_uri", "http://127.0.0.1:9/app/cb/")],
        vec![("client_id", "nobody")],
    ] {
        let r = b3.get(&authorize_url(&p, &extra)).await;
        assert_eq!(r.status, 400, "{extra:?}");
        assert!(r.location.is_none());
        assert!(!r.body.contains("<script"), "the error page escapes");
    }
    let r = b3
        .get(&authorize_url(
            &p,
            &[("client_id", "machine"), ("redirect_uri", "")],
        ))
        .await;
    assert_eq!(r.status, 400, "a client without redirect URIs gets a page");
    idp.stop();
}

async fn token_request(p: &Proxy, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth/token", p.url))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_client_signs_in_with_pkce_on_any_loopback_port_for_its_resource() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let idp = Idp::start(&[]);
    let p = start(listener, &idp).await;
    let mcp = format!("{}/mcp", p.url);
    let cb = "http://127.0.0.1:53682/callback";
    let with_slash = format!("{mcp}/");
    let public_url = |extra: &[(&str, &str)]| {
        let mut e = vec![
            ("client_id", PUBLIC_CLIENT),
            ("redirect_uri", cb),
            ("resource", with_slash.as_str()),
        ];
        e.extend_from_slice(extra);
        authorize_url(&p, &e)
    };
    let meta: Value = reqwest::get(format!("{}/.well-known/oauth-authorization-server", p.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        meta["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("none"))
    );

    // Refusals answered at the (verified, loopback) redirect URI.
    let mut b = Browser::new();
    for (extra, error, needle) in [
        (
            vec![("code_challenge", "")],
            "invalid_request",
            "code_challenge",
        ),
        (
            vec![("code_challenge_method", "plain")],
            "invalid_request",
            "S256",
        ),
        (
            vec![("resource", p.url.as_str())],
            "invalid_target",
            "may not",
        ),
        (
            vec![("resource", "http://elsewhere.example/mcp")],
            "invalid_target",
            "not served",
        ),
        (
            vec![("scope", "read:secrets-* mcp:tools")],
            "invalid_scope",
            "none of",
        ),
    ] {
        let r = b.get(&public_url(&extra)).await;
        assert_eq!(r.status, 303, "{extra:?}: {}", r.body);
        let loc = r.location.unwrap();
        assert!(loc.starts_with(cb), "{loc}");
        let q = query(&loc);
        assert_eq!(q["error"], error, "{extra:?}");
        assert!(q["error_description"].contains(needle), "{extra:?}: {q:?}");
    }
    // Another path on loopback, or `localhost`, is not the registered redirect URI.
    for bad in [
        "http://127.0.0.1:53682/other",
        "http://localhost:53682/callback",
    ] {
        let r = b.get(&public_url(&[("redirect_uri", bad)])).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.location.is_none());
    }

    // The flow: sign-in at the tenant's provider, consent, code at the app's port.
    // It asks for more than it may have (as MCP clients ask for the resource's whole
    // `scopes_supported`): narrowed to what it may have, not refused.
    let first = b
        .get(&public_url(&[(
            "scope",
            "read:logs-* read:secrets-* mcp:tools",
        )]))
        .await;
    let page = sign_in(&mut b, &idp, first, "alice").await;
    let done = consent(&mut b, &p, &page, "approve").await;
    assert_eq!(done.status, 303, "{}", done.body);
    let back = done.location.unwrap();
    assert!(back.starts_with(cb), "{back}");
    let code = query(&back)["code"].clone();
    // No secret; `client_id` in the form; the same resource (without the slash).
    let (status, token) = token_request(
        &p,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC_CLIENT),
            ("code", &code),
            ("redirect_uri", cb),
            ("code_verifier", VERIFIER),
            ("resource", &mcp),
        ],
    )
    .await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["scope"], "read:logs-*");
    let access = token["access_token"].as_str().unwrap().to_owned();
    let c = claims(&access);
    assert_eq!(c["aud"], mcp, "the configured form of the resource");
    assert_eq!(c["client_id"], PUBLIC_CLIENT);
    assert_eq!(c["sub"], "alice");
    p.app.auth.verify(&access).await.unwrap();

    // Refresh: `client_id` only, rotated; a secret is refused; reuse kills the family.
    let rt1 = token["refresh_token"].as_str().unwrap().to_owned();
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth/token", p.url))
        .basic_auth(PUBLIC_CLIENT, Some("guess"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &rt1)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["reason"], "public_client_secret", "{body}");
    let (status, refreshed) = token_request(
        &p,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC_CLIENT),
            ("refresh_token", &rt1),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(
        claims(refreshed["access_token"].as_str().unwrap())["aud"],
        mcp
    );
    let rt2 = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    // The client credentials grant is not for a public client.
    let (status, body) = token_request(
        &p,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", PUBLIC_CLIENT),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
    idp.stop();
}
