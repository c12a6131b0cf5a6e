//! The core's request pipeline against a real OpenID provider and a real OpenSearch.
//!
//! Run: `make demo` (which starts both), or
//! `cargo run -p oauth4os-core --example demo -- http://127.0.0.1:9400 http://127.0.0.1:9200`
//!
//! For each sample request: classify it, check every index against the token's scopes and the
//! Cedar policies, and forward the allowed ones to OpenSearch — what the proxy will do per request.
#![allow(clippy::print_stdout, reason = "a demo prints")]
#![allow(
    clippy::indexing_slicing,
    reason = "serde_json::Value indexing yields Null, it never panics"
)]

use std::sync::Arc;
use std::time::Duration;

use oauth4os_core::authorize::Resolved;
use oauth4os_core::catalog::{Catalog, resolve_path};
use oauth4os_core::classify::Request;
use oauth4os_core::client::{ClientConfig, Secret, TokenClient};
use oauth4os_core::decision::{Lookup, Subject, decide};
use oauth4os_core::http::{HttpRequest, HttpTransport, ReqwestTransport};
use oauth4os_core::jwks::JwksPolicy;
use oauth4os_core::policy::PolicySet;
use oauth4os_core::{Claims, Result, ScopeSet, Verifier, VerifierConfig};

const RESOURCE: &str = "http://127.0.0.1:8443";
const POLICY: &str = r#"// Nobody reads indices named secret-*, whatever their scopes say.
@id("no-secrets")
forbid(principal, action, resource is OAuth4os::Index) when { resource.name like "secret-*" };
"#;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let issuer = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:9400".into());
    let opensearch = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:9200".into());
    let http = Arc::new(ReqwestTransport::new(Duration::from_secs(10))?);

    let client = TokenClient::new(
        ClientConfig {
            issuer: Some(issuer.clone()),
            client_id: "ci-client".into(),
            client_secret: Some(Secret::new("ci-secret")),
            scope: Some("read:logs-*".into()),
            resource: Some(RESOURCE.into()),
            ..Default::default()
        },
        http.clone(),
    )?;
    let token = client.token().await?;
    println!(
        "1. token from {issuer}: scope `{}`, expires in {} s",
        token.scope.as_deref().unwrap_or(""),
        token.expires_in.unwrap_or(0)
    );

    let mut cfg = VerifierConfig::new(&issuer, RESOURCE);
    cfg.required_typ = Some("at+jwt".into());
    let verifier = Verifier::with_jwks(cfg, None, JwksPolicy::default(), http.clone())?;
    let claims = verifier.verify(&token.access_token).await?;
    println!(
        "2. verified locally through the provider's JWKS: client `{}`, audience {:?}",
        claims.client_id.as_deref().unwrap_or("?"),
        claims.aud
    );

    let scopes = ScopeSet::parse_claim(claims.scope.as_deref().unwrap_or(""));
    let policies = PolicySet::from_sources(&[("demo.cedar", POLICY)])?;
    let cluster = Cluster {
        http: http.as_ref(),
        opensearch: &opensearch,
    };
    println!("3. sample requests (scopes `{scopes}`, policy `no-secrets`):\n");

    let samples: [(&str, &str, &str); 7] = [
        (
            "POST",
            "/logs-*/_search",
            r#"{"query":{"match":{"level":"error"}}}"#,
        ),
        ("GET", "/logs-demo/_count", ""),
        ("GET", "/metrics-*/_search", ""),
        ("GET", "/logs-demo,secret-payroll/_search", ""),
        ("GET", "/*/_search", ""),
        (
            "POST",
            "/_msearch",
            "{\"index\":\"logs-demo\"}\n{}\n{\"index\":\"secret-payroll\"}\n{}\n",
        ),
        (
            "POST",
            "/_bulk",
            "{\"index\":{\"_index\":\"logs-demo\"}}\n{\"level\":\"info\"}\n",
        ),
    ];
    run(&cluster, &claims, &policies, &samples).await?;

    // An admin token: scopes allow everything, the `no-secrets` forbid still wins, also behind `*`.
    let admin = TokenClient::new(
        ClientConfig {
            issuer: Some(issuer.clone()),
            client_id: "agent-a".into(),
            client_secret: Some(Secret::new("secret-a")),
            scope: Some("admin:*".into()),
            resource: Some(RESOURCE.into()),
            ..Default::default()
        },
        http.clone(),
    )?;
    let claims = verifier.verify(&admin.access_token().await?).await?;
    let scopes = ScopeSet::parse_claim(claims.scope.as_deref().unwrap_or(""));
    println!("\n4. the same policy for a token with scopes `{scopes}`:\n");
    let samples = [
        ("GET", "/logs-demo/_count", ""),
        ("GET", "/*/_search", ""),
        ("GET", "/secret-payroll/_search", ""),
    ];
    run(&cluster, &claims, &policies, &samples).await?;
    Ok(())
}

/// The real OpenSearch: what the decision asks to resolve names, and where allowed requests go.
struct Cluster<'a> {
    http: &'a dyn HttpTransport,
    opensearch: &'a str,
}

impl Lookup for Cluster<'_> {
    /// What the patterns reach (indices, aliases' indices, data streams), from OpenSearch.
    async fn resolve(&self, patterns: &[&str]) -> Result<Option<Resolved>> {
        let url = format!("{}{}", self.opensearch, resolve_path(&patterns.join(",")));
        let resp = self.http.send(HttpRequest::get(&url)).await?;
        Ok(Some(
            Catalog::from_resolve_answer(resp.status, &resp.body)?.resolve(patterns),
        ))
    }
}

/// Decides each sample with the core's one decision function and forwards the allowed ones,
/// printing the outcome.
async fn run(
    cluster: &Cluster<'_>,
    claims: &Claims,
    policies: &PolicySet,
    samples: &[(&str, &str, &str)],
) -> Result<()> {
    let (http, opensearch) = (cluster.http, cluster.opensearch);
    let subject = Subject {
        claims,
        tenant: "default",
        policies,
    };
    for &(method, path, body) in samples {
        let request = Request {
            method,
            path,
            query: None,
            body: body.as_bytes(),
        };
        let verdict = decide(&request, &subject, cluster, None)
            .await
            .into_result();
        match verdict {
            Ok(d) => {
                let mut req = HttpRequest::get(&format!("{opensearch}{path}"));
                req.method = method.into();
                req.headers
                    .push(("content-type".into(), "application/json".into()));
                req.body = body.as_bytes().to_vec();
                let resp = http.send(req).await?;
                let v: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
                let summary = match d.endpoint {
                    Some("search") => {
                        let hits = v["hits"]["hits"].as_array().cloned().unwrap_or_default();
                        let msgs: Vec<String> = hits
                            .iter()
                            .map(|h| {
                                format!(
                                    "[{}] {}",
                                    h["_source"]["service"].as_str().unwrap_or(""),
                                    h["_source"]["message"].as_str().unwrap_or("")
                                )
                            })
                            .collect();
                        format!("{} hits: {}", hits.len(), msgs.join("; "))
                    }
                    _ => format!("{}", v.get("count").cloned().unwrap_or(v)),
                };
                println!(
                    "   ALLOW {method} {path} -> OpenSearch {}: {summary}",
                    resp.status
                );
            }
            Err(e) => println!("   DENY  {method} {path} -> {}: {}", e.code, e.message),
        }
    }
    Ok(())
}
