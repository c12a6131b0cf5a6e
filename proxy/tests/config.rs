//! The commented example configuration stays valid, and bad files are refused with the file,
//! line and key named.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::Path;

use oauth4os_proxy::Loaded;
use oauth4os_proxy::edge::check_policies;

#[test]
fn the_commented_example_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/proxy/oauth4os.toml");
    let loaded = Loaded::from_file(&path).unwrap();
    check_policies(&loaded).unwrap();
    assert_eq!(loaded.config.tenants.len(), 1);
}

#[test]
fn a_schema_invalid_policy_file_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.cedar"),
        "\n\nforbid(principal, action, resource) when { resource.owner == \"x\" };\n",
    )
    .unwrap();
    let text = Loaded::embedded().unwrap();
    let toml = format!(
        "policies = [\"bad.cedar\"]\n{}",
        oauth4os_proxy::services::config::EMBEDDED_DEFAULTS
    );
    let loaded = Loaded::from_str(&toml, "t.toml", dir.path().to_path_buf()).unwrap();
    let e = check_policies(&loaded).unwrap_err();
    assert!(e.message.contains("bad.cedar` line 3"), "{}", e.message);
    drop(text);
}

#[test]
fn a_missing_policy_file_names_the_config_line() {
    let toml = format!(
        "policies = [\"nope.cedar\"]\n{}",
        oauth4os_proxy::services::config::EMBEDDED_DEFAULTS
    );
    let loaded = Loaded::from_str(&toml, "t.toml", ".".into()).unwrap();
    let e = check_policies(&loaded).unwrap_err();
    assert!(
        e.message.contains("t.toml line 1") && e.message.contains("key `policies`"),
        "{}",
        e.message
    );
}

/// A file using every typed key once; each bad-value case below replaces one of its lines.
const GOOD: &str = r#"listen = "127.0.0.1:18443"
public_url = "https://gw.example.com"
workers = 2
trusted_proxies = ["10.0.0.0/8", "2001:db8::/32"]
policies = []

[upstream]
url = "https://opensearch.internal:9200"

[authorization_server]
issuer = "https://gw.example.com"
audiences = ["https://gw.example.com"]
access_token_ttl = 600
store_path = "x.db"
secret_checks_per_ip = "5/s burst 20"
consent_ttl = 86400
refresh_reuse_grace = 5

[[authorization_server.clients]]
id = "ci"
secret_hash = "$argon2id$v=19$m=19456,t=2,p=1$IHTaizoGIzjRj/6Y7p1bdQ$AQUyRtpWQxWCdfXdsv957DVvB4BA2SoVvN9s8qRWFRg"
scopes = "read:logs-* write:logs-app"
grant_types = ["client_credentials", "token_exchange"]
tenant = "acme"
access_token_ttl = 120

[[authorization_server.clients]]
id = "agent"
secret_hash = "$argon2id$v=19$m=19456,t=2,p=1$IHTaizoGIzjRj/6Y7p1bdQ$AQUyRtpWQxWCdfXdsv957DVvB4BA2SoVvN9s8qRWFRg"
scopes = "read:logs-*"
rate_limit = "10/s burst 20"

[[tenants]]
name = "acme"
issuer = "https://login.acme.example"
algorithms = ["RS256", "ES256"]

[[scope_mappings]]
scope = "read:logs-*"
roles = ["logs_reader"]

[rate_limits]
default = "100/s burst 200"

[rate_limits.clients]
ci = "20/min"

[rate_limits.scopes]
"write:logs-app" = "5/s"
"#;

fn load(text: &str) -> oauth4os_core::Result<Loaded> {
    Loaded::from_str(text, "t.toml", ".".into())
}

#[test]
fn a_good_file_loads_with_typed_values() {
    use oauth4os_core::ratelimit::Rate;
    use oauth4os_core::{Algorithm, ScopeSet};
    use oauth4os_proxy::services::config::authz::GrantType;

    let l = load(GOOD).unwrap();
    let c = &l.config;
    assert_eq!(c.listen, "127.0.0.1:18443".parse().unwrap());
    assert_eq!(c.workers, Some(2));
    assert_eq!(c.trusted_proxies.len(), 2);
    assert_eq!(c.trusted_proxies[0], "10.0.0.0/8".parse().unwrap());
    assert_eq!(c.tenants[0].issuer.as_str(), "https://login.acme.example");
    assert_eq!(
        c.tenants[0].algorithms,
        vec![Algorithm::RS256, Algorithm::ES256]
    );
    assert_eq!(c.scope_mappings[0].scope.to_string(), "read:logs-*");
    let rate = |s: &str| s.parse::<Rate>().unwrap();
    assert_eq!(c.rate_limits.default, Some(rate("100/s burst 200")));
    assert_eq!(c.rate_limits.clients["ci"], rate("20/min"));
    assert_eq!(c.rate_limits.scopes["write:logs-app"], rate("5/s"));
    let a = &c.authorization_server;
    assert_eq!(a.secret_checks_per_ip, Some(rate("5/s burst 20")));
    assert_eq!(a.secret_check_rate().unwrap(), rate("5/s burst 20"));
    assert_eq!((a.consent_ttl, a.refresh_reuse_grace), (86400, 5));
    let ci = &a.clients[0];
    assert_eq!(
        ci.scopes,
        ScopeSet::parse("read:logs-* write:logs-app").unwrap()
    );
    assert_eq!(
        ci.grant_types,
        vec![GrantType::ClientCredentials, GrantType::TokenExchange]
    );
    assert_eq!(ci.tenant.as_deref(), Some("acme"));
    assert_eq!(ci.access_token_ttl, Some(120));
    assert_eq!(ci.rate_limit, None);
    assert_eq!(a.clients[1].rate_limit, Some(rate("10/s burst 20")));
    assert!(a.clients[1].grant_types.is_empty());
}

#[test]
fn the_embedded_defaults_load() {
    let l = Loaded::embedded().unwrap();
    assert_eq!(l.config.listen.to_string(), "0.0.0.0:8443");
    assert_eq!(
        l.config.authorization_server.clients[0].scopes.to_string(),
        "read:logs-*"
    );
    check_policies(&l).unwrap();
}

/// Replaces the line starting with `old` by `new`; the error must name the file, that line, the
/// key and the reason.
#[track_caller]
fn refused(old: &str, new: &str, key: &str, reason: &str) {
    let line = GOOD
        .lines()
        .position(|l| l.starts_with(old))
        .unwrap_or_else(|| panic!("no line {old}"))
        + 1;
    let text: String = GOOD
        .lines()
        .map(|l| if l.starts_with(old) { new } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    let e = match load(&text) {
        Ok(_) => panic!("`{new}` was accepted"),
        Err(e) => e,
    };
    assert!(
        e.message
            .starts_with(&format!("t.toml line {line}, column ")),
        "line {line}: {}",
        e.message
    );
    assert!(
        e.message.contains(&format!("key `{key}`")),
        "key {key}: {}",
        e.message
    );
    assert_eq!(e.reason.as_str(), reason, "{}", e.message);
    assert!(!e.message.contains("$argon2id$"), "{}", e.message);
    assert!(
        !e.message.contains(":pw@"),
        "no credential in messages: {}",
        e.message
    );
}

#[test]
fn every_bad_value_names_file_line_and_key() {
    refused(
        "rate_limit",
        "rate_limit = \"10/fortnight\"",
        "authorization_server.clients[1].rate_limit",
        "invalid_rate",
    );
    refused(
        "scopes = \"read:logs-* write",
        "scopes = \"read:Logs\"",
        "authorization_server.clients[0].scopes",
        "invalid_scopes",
    );
    refused(
        "scopes = \"read:logs-*\"",
        "scopes = \"\"",
        "authorization_server.clients[1].scopes",
        "invalid_scopes",
    );
    refused(
        "grant_types",
        "grant_types = [\"client_credentials\", \"password\"]",
        "authorization_server.clients[0].grant_types[1]",
        "invalid_grant_type",
    );
    refused(
        "issuer = \"https://gw",
        "issuer = \"localhost:8443\"",
        "authorization_server.issuer",
        "invalid_issuer",
    );
    refused(
        "issuer = \"https://gw",
        "issuer = \"https://gw.example.com/\"",
        "authorization_server.issuer",
        "invalid_issuer",
    );
    refused(
        "issuer = \"https://login",
        "issuer = \"login.acme.example\"",
        "tenants[0].issuer",
        "config_invalid",
    );
    refused(
        "access_token_ttl = 600",
        "access_token_ttl = 0",
        "authorization_server.access_token_ttl",
        "invalid_ttl",
    );
    refused(
        "access_token_ttl = 120",
        "access_token_ttl = 99999999999",
        "authorization_server.clients[0].access_token_ttl",
        "invalid_ttl",
    );
    refused(
        "consent_ttl",
        "consent_ttl = 99999999999",
        "authorization_server.consent_ttl",
        "invalid_ttl",
    );
    refused(
        "refresh_reuse_grace",
        "refresh_reuse_grace = 61",
        "authorization_server.refresh_reuse_grace",
        "invalid_ttl",
    );
    refused(
        "trusted_proxies",
        "trusted_proxies = [\"10.0.0.0/8\", \"10.0.0.0/33\"]",
        "trusted_proxies[1]",
        "config_invalid",
    );
    refused(
        "tenant = ",
        "tenant = \"\"",
        "authorization_server.clients[0].tenant",
        "invalid_tenant",
    );
    refused(
        "url = ",
        "url = \"ftp://opensearch\"",
        "upstream.url",
        "invalid_upstream",
    );
    refused(
        "url = ",
        "url = \"https://opensearch.internal:9200/?x=1\"",
        "upstream.url",
        "invalid_upstream",
    );
    refused(
        "url = ",
        "url = \"https://admin:pw@opensearch.internal\"",
        "upstream.url",
        "invalid_upstream",
    );
    refused(
        "secret_checks_per_ip",
        "secret_checks_per_ip = \"lots\"",
        "authorization_server.secret_checks_per_ip",
        "invalid_rate",
    );
    refused(
        "default = ",
        "default = \"100/fortnight\"",
        "rate_limits.default",
        "invalid_rate",
    );
    refused(
        "ci = ",
        "ci = \"0/s\"",
        "rate_limits.clients.ci",
        "invalid_rate",
    );
    refused(
        "\"write:logs-app\" = ",
        "\"Write:logs-app\" = \"5/s\"",
        "rate_limits.scopes.Write:logs-app",
        "invalid_scopes",
    );
    refused(
        "scope = ",
        "scope = \"read\"",
        "scope_mappings[0].scope",
        "invalid_scopes",
    );
    refused(
        "algorithms",
        "algorithms = [\"HS256\"]",
        "tenants[0].algorithms[0]",
        "alg_not_allowed",
    );
    refused(
        "listen",
        "listen = \"localhost\"",
        "listen",
        "config_invalid",
    );
    refused("workers", "workers = 0", "workers", "config_invalid");
    refused(
        "id = \"agent\"",
        "id = \"ci\"",
        "authorization_server.clients[1].id",
        "duplicate_client",
    );
    refused(
        "id = \"agent\"",
        "id = \"bad id\"",
        "authorization_server.clients[1].id",
        "invalid_client_id",
    );
}

#[test]
fn a_policy_path_that_is_a_directory_names_the_config_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    let text = GOOD.replace("policies = []", "policies = [\"policies\"]");
    let loaded = Loaded::from_str(&text, "t.toml", dir.path().to_path_buf()).unwrap();
    let e = check_policies(&loaded).unwrap_err();
    assert!(
        e.message.starts_with("t.toml line 5, column ") && e.message.contains("key `policies`"),
        "{}",
        e.message
    );
}

#[test]
fn a_bad_upstream_url_with_credentials_is_not_repeated() {
    let text = GOOD.replace(
        "url = \"https://opensearch.internal:9200\"",
        "url = \"https://admin:hunter2@opensearch internal\"",
    );
    let e = load(&text).unwrap_err();
    assert!(
        e.message.starts_with("t.toml line 8, column "),
        "{}",
        e.message
    );
    assert!(!e.message.contains("hunter2"), "{}", e.message);
}
