//! RFC 8705 over real TLS, with certificates made here: `tls_client_auth` (a CA-issued
//! certificate with the registered subject DN) and `self_signed_tls_client_auth` (a registered
//! certificate) authenticate clients at `/oauth/token`; tokens issued over a connection with a
//! client certificate carry `cnf.x5t#S256`, and the resource side refuses such a token from
//! another certificate (stolen) or from no certificate, while an unbound token needs none.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth4os_proxy::{App, Loaded};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::{Value, json};
use support::JsonExt as _;

/// A certificate and its key, as PEM.
struct Pem {
    cert: String,
    key: String,
    der: Vec<u8>,
}

impl Pem {
    /// `x5t#S256`: base64url SHA-256 of the DER.
    fn thumbprint(&self) -> String {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.der);
        URL_SAFE_NO_PAD.encode(digest.as_ref())
    }

    fn identity(&self) -> reqwest::Identity {
        reqwest::Identity::from_pem(format!("{}{}", self.cert, self.key).as_bytes()).unwrap()
    }
}

fn params(cn: &str, sans: &[&str]) -> CertificateParams {
    let mut p =
        CertificateParams::new(sans.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Example");
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p
}

fn self_signed(cn: &str) -> Pem {
    let key = KeyPair::generate().unwrap();
    let cert = params(cn, &[]).self_signed(&key).unwrap();
    Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
        der: cert.der().to_vec(),
    }
}

/// The client CA, and certificates it issues.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut p = params("oauth4os test client CA", &[]);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = p.self_signed(&key).unwrap();
        Self {
            pem: cert.pem(),
            issuer: Issuer::new(p, key),
        }
    }

    fn issue(&self, cn: &str, sans: &[&str]) -> Pem {
        let key = KeyPair::generate().unwrap();
        let cert = params(cn, sans).signed_by(&key, &self.issuer).unwrap();
        Pem {
            cert: cert.pem(),
            key: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }
}

/// Everything a test needs: the running proxy over TLS and the certificates.
struct World {
    base: String,
    addr: std::net::SocketAddr,
    server_ca: reqwest::Certificate,
    /// Issued by the client CA to `CN=edge,O=Example` (SAN `edge.example`).
    edge: Pem,
    /// Issued by the client CA to someone else.
    intruder: Pem,
    /// Registered for `self-signed`.
    mine: Pem,
    /// Another self-signed certificate, registered nowhere.
    other: Pem,
    _dir: tempfile::TempDir,
}

impl World {
    async fn start() -> Self {
        // The upstream: answers every request.
        let upstream = support::fake_opensearch(
            axum::Router::new().fallback(|| async { axum::Json(json!({"count": 42})) }),
        );
        let ul = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream_addr = ul.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(ul, upstream).await });

        let dir = tempfile::tempdir().unwrap();
        let server = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        std::fs::write(dir.path().join("cert.pem"), server.cert.pem()).unwrap();
        std::fs::write(
            dir.path().join("key.pem"),
            server.signing_key.serialize_pem(),
        )
        .unwrap();
        let ca = Ca::new();
        std::fs::write(dir.path().join("clients-ca.pem"), &ca.pem).unwrap();
        let edge = ca.issue("edge", &["edge.example"]);
        let intruder = ca.issue("intruder", &["intruder.example"]);
        let mine = self_signed("mine");
        let other = self_signed("mine");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("https://localhost:{}", addr.port());
        let hash = oauth4os_proxy::authz::AuthServer::hash_secret("pw").unwrap();
        let toml = format!(
            r#"
listen = "{addr}"
public_url = "{base}"
[upstream]
url = "http://{upstream_addr}"
[tls]
cert_pem = "cert.pem"
key_pem = "key.pem"
client_certificates = true
[authorization_server]
issuer = "{base}"
audiences = ["{base}"]
store_path = "store.db"
tls_client_ca_pem = "clients-ca.pem"
[[authorization_server.clients]]
id = "pki"
scopes = "read:logs-*"
grant_types = ["client_credentials", "refresh_token"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN=edge,O=Example"
[[authorization_server.clients]]
id = "by-name"
scopes = "read:logs-*"
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_san_dns = "edge.example"
[[authorization_server.clients]]
id = "self-signed"
scopes = "read:logs-*"
token_endpoint_auth_method = "self_signed_tls_client_auth"
tls_client_certificate_thumbprints = ["{mine}"]
[[authorization_server.clients]]
id = "c"
secret_hash = "{hash}"
scopes = "read:logs-*"
[[authorization_server.clients]]
id = "unbound"
secret_hash = "{hash}"
scopes = "read:logs-*"
tls_client_certificate_bound_access_tokens = false
"#,
            mine = mine.thumbprint(),
        );
        let loaded = Loaded::from_str(&toml, "t.toml", dir.path().to_path_buf()).unwrap();
        let acceptor =
            oauth4os_proxy::edge::tls::acceptor(&loaded, loaded.config.tls.as_ref().unwrap())
                .unwrap();
        let app = App::build(loaded, [9u8; 32]).unwrap();
        tokio::spawn(oauth4os_proxy::edge::tls::serve_tls(
            app,
            listener,
            acceptor,
            std::future::pending(),
        ));
        Self {
            base,
            addr,
            server_ca: reqwest::Certificate::from_pem(server.cert.pem().as_bytes()).unwrap(),
            edge,
            intruder,
            mine,
            other,
            _dir: dir,
        }
    }

    /// An HTTPS client presenting `cert` (none when `None`).
    fn client(&self, cert: Option<&Pem>) -> reqwest::Client {
        let mut b = reqwest::Client::builder()
            .add_root_certificate(self.server_ca.clone())
            .resolve("localhost", self.addr);
        if let Some(c) = cert {
            b = b.identity(c.identity());
        }
        b.build().unwrap()
    }

    /// `client_credentials` for `client_id` authenticating by certificate only.
    async fn token_by_certificate(&self, cert: Option<&Pem>, client_id: &str) -> (u16, Value) {
        let r = self
            .client(cert)
            .post(format!("{}/oauth/token", self.base))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
            ])
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// `client_credentials` with a secret, over a connection presenting `cert`.
    async fn token_by_secret(&self, cert: Option<&Pem>, client_id: &str) -> Value {
        self.client(cert)
            .post(format!("{}/oauth/token", self.base))
            .basic_auth(client_id, Some("pw"))
            .form(&[("grant_type", "client_credentials")])
            .value()
            .await
    }

    /// `GET /logs-a/_count` with `token`, presenting `cert`.
    async fn count(&self, cert: Option<&Pem>, token: &str) -> reqwest::Response {
        self.client(cert)
            .get(format!("{}/logs-a/_count", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}

/// The payload of a JWT, unverified (the proxy verified it).
fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn refused(resp: reqwest::Response, reason: &str) {
    assert_eq!(resp.status().as_u16(), 401, "{reason}");
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    assert_eq!(body["reason"], reason);
}

#[tokio::test]
async fn tls_client_auth_needs_a_ca_issued_certificate_with_the_registered_subject() {
    let w = World::start().await;
    let (status, v) = w.token_by_certificate(Some(&w.edge), "pki").await;
    assert_eq!(status, 200, "{v}");
    assert!(v.get("refresh_token").is_some());
    let token = v["access_token"].as_str().unwrap();
    let claims = payload(token);
    assert_eq!(claims["client_id"], "pki");
    assert_eq!(claims["cnf"]["x5t#S256"], w.edge.thumbprint());

    // Registered by DNS name instead of subject: the same certificate fits.
    let (status, v) = w.token_by_certificate(Some(&w.edge), "by-name").await;
    assert_eq!(status, 200, "{v}");

    // The right CA but the wrong subject, or the wrong DNS name.
    for (cert, id) in [(&w.intruder, "pki"), (&w.intruder, "by-name")] {
        let (status, v) = w.token_by_certificate(Some(cert), id).await;
        assert_eq!(status, 401, "{id}: {v}");
        assert_eq!(v["error"], "invalid_client");
        assert_eq!(v["reason"], "client_certificate_refused");
    }
    // A self-signed certificate with the registered subject does not chain to the CA.
    let (status, v) = w.token_by_certificate(Some(&w.mine), "pki").await;
    assert_eq!(
        (status, v["reason"].as_str()),
        (401, Some("client_certificate_refused"))
    );
    // No certificate at all.
    let (status, v) = w.token_by_certificate(None, "pki").await;
    assert_eq!(status, 401);
    assert_eq!(v["error"], "invalid_client");
    assert_eq!(v["reason"], "client_certificate_required");
    // Such a client has no secret to fall back on.
    let r = w
        .client(None)
        .post(format!("{}/oauth/token", w.base))
        .basic_auth("pki", Some(""))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // Introspection (the client authenticating by its certificate) shows the binding.
    let info = w
        .client(Some(&w.edge))
        .post(format!("{}/oauth/introspect", w.base))
        .form(&[("client_id", "pki"), ("token", token)])
        .value()
        .await;
    assert_eq!(info["active"], true);
    assert_eq!(info["cnf"]["x5t#S256"], w.edge.thumbprint());
}

#[tokio::test]
async fn self_signed_tls_client_auth_accepts_only_a_registered_certificate() {
    let w = World::start().await;
    let (status, v) = w.token_by_certificate(Some(&w.mine), "self-signed").await;
    assert_eq!(status, 200, "{v}");
    let claims = payload(v["access_token"].as_str().unwrap());
    assert_eq!(claims["cnf"]["x5t#S256"], w.mine.thumbprint());
    // Same subject, another key: refused.
    let (status, v) = w.token_by_certificate(Some(&w.other), "self-signed").await;
    assert_eq!(status, 401);
    assert_eq!(v["error"], "invalid_client");
    assert_eq!(v["reason"], "client_certificate_refused");
    // A client without any certificate method cannot authenticate by certificate.
    let (status, v) = w.token_by_certificate(Some(&w.mine), "c").await;
    assert_eq!(
        (status, v["reason"].as_str()),
        (401, Some("bad_client_auth"))
    );
}

#[tokio::test]
async fn a_bound_token_works_only_with_its_certificate() {
    let w = World::start().await;
    let (_, v) = w.token_by_certificate(Some(&w.edge), "pki").await;
    let token = v["access_token"].as_str().unwrap().to_owned();

    // Over a connection with the same certificate: forwarded.
    let r = w.count(Some(&w.edge), &token).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["count"], 42);
    // Stolen: used from another certificate, even one the CA issued.
    refused(
        w.count(Some(&w.intruder), &token).await,
        "certificate_mismatch",
    )
    .await;
    refused(w.count(Some(&w.mine), &token).await, "certificate_mismatch").await;
    // Used without a certificate.
    refused(w.count(None, &token).await, "certificate_required").await;

    // A refresh over the registered certificate gets a token bound to it again.
    let (status, v) = {
        let r = w
            .client(Some(&w.edge))
            .post(format!("{}/oauth/token", w.base))
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "pki"),
                ("refresh_token", v["refresh_token"].as_str().unwrap()),
            ])
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200, "{v}");
    let refreshed = v["access_token"].as_str().unwrap();
    assert_eq!(payload(refreshed)["cnf"]["x5t#S256"], w.edge.thumbprint());
    refused(
        w.count(Some(&w.mine), refreshed).await,
        "certificate_mismatch",
    )
    .await;
}

#[tokio::test]
async fn tokens_are_bound_to_any_certificate_presented_and_unbound_ones_need_none() {
    let w = World::start().await;
    // A secret client over a plain TLS connection: no `cnf`, works without a certificate and
    // from any certificate.
    let v = w.token_by_secret(None, "c").await;
    let free = v["access_token"].as_str().unwrap();
    assert!(payload(free).get("cnf").is_none());
    assert_eq!(w.count(None, free).await.status().as_u16(), 200);
    assert_eq!(w.count(Some(&w.other), free).await.status().as_u16(), 200);

    // The same client over a connection with a certificate: bound to it.
    let v = w.token_by_secret(Some(&w.mine), "c").await;
    let bound = v["access_token"].as_str().unwrap();
    assert_eq!(payload(bound)["cnf"]["x5t#S256"], w.mine.thumbprint());
    assert_eq!(w.count(Some(&w.mine), bound).await.status().as_u16(), 200);
    refused(w.count(None, bound).await, "certificate_required").await;

    // A client that turned binding off gets unbound tokens even over a certificate.
    let v = w.token_by_secret(Some(&w.mine), "unbound").await;
    let unbound = v["access_token"].as_str().unwrap();
    assert!(payload(unbound).get("cnf").is_none());
    assert_eq!(w.count(None, unbound).await.status().as_u16(), 200);
}

#[tokio::test]
async fn discovery_announces_the_rfc_8705_methods_and_bound_tokens() {
    let w = World::start().await;
    let c = w.client(None);
    let meta = c
        .get(format!("{}/.well-known/oauth-authorization-server", w.base))
        .value()
        .await;
    assert_eq!(meta["tls_client_certificate_bound_access_tokens"], true);
    let methods = meta["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    for m in [
        "client_secret_basic",
        "tls_client_auth",
        "self_signed_tls_client_auth",
    ] {
        assert!(methods.contains(&json!(m)), "{m}: {meta}");
    }
    let resource = c
        .get(format!("{}/.well-known/oauth-protected-resource", w.base))
        .value()
        .await;
    assert_eq!(resource["tls_client_certificate_bound_access_tokens"], true);
}
