//! The proxy's configuration: one TOML file (or the embedded demo defaults), validated at start.
//!
//! Every error names the file, the line and the key. Secrets never sit in the file itself:
//! the upstream password comes from an environment variable or a file, client secrets are
//! argon2id PHC strings.

use oauth4os_core::Reason;
use std::path::{Path, PathBuf};

use oauth4os_core::ratelimit::Rate;
use oauth4os_core::{Algorithm, Error, Result, Scope};
use serde::Deserialize;
use toml::Spanned;

use crate::services::forwarded::{Cidr, TrustedProxies};

pub mod authz;
pub(crate) mod typed;
pub mod webhooks;

pub use typed::{HttpUrl, UpstreamUrl};

use authz::AuthConfig;

/// The configuration used when no file is given: a demo in front of `127.0.0.1:9200`.
pub const EMBEDDED_DEFAULTS: &str = include_str!("../../defaults.toml");

/// The whole configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Listen address (`0.0.0.0:8443` by default).
    #[serde(default = "default_listen", deserialize_with = "typed::one")]
    pub listen: std::net::SocketAddr,
    /// The proxy's public base URL: the RFC 9728 `resource` and the default token issuer.
    pub public_url: Spanned<String>,
    /// Serving threads, each with its own single-threaded runtime and its own listening socket
    /// (`SO_REUSEPORT`) and upstream connections; default: one per CPU.
    #[serde(default, deserialize_with = "workers")]
    pub workers: Option<usize>,
    /// Largest request body buffered for classification, in bytes (default 10 MiB).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Reverse proxies in front of this one (addresses or ranges, `10.0.0.0/8`): from them, the
    /// client is the last untrusted address of `X-Forwarded-For`. Empty (the default): the TCP
    /// peer, and a client's `X-Forwarded-For` is ignored.
    #[serde(default, deserialize_with = "typed::list")]
    pub trusted_proxies: Vec<Cidr>,
    /// The OpenSearch cluster.
    pub upstream: Upstream,
    /// TLS for the listener (plain HTTP when absent).
    #[serde(default)]
    pub tls: Option<ListenerTls>,
    /// RFC 9728 protected resource metadata.
    #[serde(default)]
    pub protected_resource: ProtectedResource,
    /// The built-in authorization server.
    pub authorization_server: AuthConfig,
    /// External OpenID providers whose tokens are accepted.
    #[serde(default)]
    pub tenants: Vec<Tenant>,
    /// Scope patterns → OpenSearch roles sent in `x-proxy-roles`.
    #[serde(default)]
    pub scope_mappings: Vec<ScopeMapping>,
    /// Rate limits.
    #[serde(default)]
    pub rate_limits: RateLimits,
    /// Cedar policy files for the proxy's own tokens (tenants have their own).
    #[serde(default)]
    pub policies: Vec<Spanned<PathBuf>>,
    /// Endpoints that receive signed events.
    #[serde(default)]
    pub webhooks: Vec<webhooks::WebhookEndpoint>,
    /// The MCP endpoint (`/mcp`) for AI agents.
    #[serde(default)]
    pub mcp: Mcp,
}

/// The MCP endpoint `/mcp`: OpenSearch tools for AI agents, behind tokens bound to
/// `<public_url>/mcp` (RFC 8707).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mcp {
    /// Serve `/mcp` (default `true`). The authorization server then issues tokens for
    /// `<public_url>/mcp` as well.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Most hits a `search` returns (default 100); a larger `size` is lowered.
    #[serde(default = "default_max_hits", deserialize_with = "mcp_max_hits")]
    pub max_hits: u64,
    /// Most bytes of JSON in a tool result (default 262144); larger results are cut and
    /// flagged `truncated`.
    #[serde(default = "default_max_result", deserialize_with = "mcp_max_result")]
    pub max_result_bytes: usize,
    /// Largest JSON-RPC request body, in bytes (default 1048576).
    #[serde(default = "default_mcp_body", deserialize_with = "mcp_max_body")]
    pub max_body_bytes: usize,
    /// Human documentation of the endpoint, for its RFC 9728 document (default: the project's
    /// README section).
    #[serde(default)]
    pub resource_documentation: Option<String>,
}

impl Default for Mcp {
    fn default() -> Self {
        Self {
            enabled: true,
            max_hits: default_max_hits(),
            max_result_bytes: default_max_result(),
            max_body_bytes: default_mcp_body(),
            resource_documentation: None,
        }
    }
}

fn yes() -> bool {
    true
}

fn default_max_hits() -> u64 {
    100
}

fn default_max_result() -> usize {
    256 * 1024
}

fn default_mcp_body() -> usize {
    1024 * 1024
}

fn bounded<'de, D: serde::Deserializer<'de>>(
    d: D,
    min: u64,
    max: u64,
) -> std::result::Result<u64, D::Error> {
    let n = u64::deserialize(d)?;
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(typed::tagged(
            Reason::ConfigInvalid,
            format!("must be between {min} and {max}, not {n}"),
        ))
    }
}

fn mcp_max_hits<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    bounded(d, 1, 10_000)
}

fn mcp_max_result<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<usize, D::Error> {
    bounded(d, 1024, 64 * 1024 * 1024).map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

fn mcp_max_body<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<usize, D::Error> {
    bounded(d, 1024, 64 * 1024 * 1024).map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

fn default_listen() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([0, 0, 0, 0], 8443))
}

fn workers<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<usize>, D::Error> {
    let n = usize::deserialize(d)?;
    if (1..=256).contains(&n) {
        Ok(Some(n))
    } else {
        Err(typed::tagged(
            Reason::ConfigInvalid,
            format!("must be between 1 and 256, not {n}"),
        ))
    }
}

fn default_max_body() -> usize {
    10 * 1024 * 1024
}

/// The upstream OpenSearch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// Base URL, e.g. `https://opensearch:9200`.
    #[serde(deserialize_with = "typed::one")]
    pub url: UpstreamUrl,
    /// Basic-auth user name (the password from `password_env` or `password_file`).
    #[serde(default)]
    pub username: Option<String>,
    /// Environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// File holding the password.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// PEM file with the client certificate and key, for certificate authentication.
    #[serde(default)]
    pub client_identity_pem: Option<PathBuf>,
    /// Extra CA certificate (PEM) to trust, besides the system's roots.
    #[serde(default)]
    pub ca_pem: Option<PathBuf>,
    /// Disables TLS certificate verification of the upstream. Never in production.
    #[serde(default)]
    pub danger_accept_invalid_certs: bool,
    /// Seconds to wait for the upstream's response headers (default 30).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Seconds a snapshot of the cluster's indices, aliases and data streams is reused to
    /// resolve what a request reaches (default 5); 0 resolves every request's names live.
    #[serde(default = "default_resolve_cache")]
    pub resolve_cache_secs: u64,
}

/// TLS for the proxy's own listener (rustls; TLS 1.2 and 1.3).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerTls {
    /// PEM file with the certificate chain, leaf first.
    pub cert_pem: Spanned<PathBuf>,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: Spanned<PathBuf>,
    /// Ask clients for a TLS client certificate (RFC 8705). Optional: a client without one
    /// still connects. Any certificate whose key the client proves it holds is accepted by
    /// the handshake; the authorization server checks it against the client's registration
    /// (`tls_client_auth` against `authorization_server.tls_client_ca_pem`,
    /// `self_signed_tls_client_auth` against its thumbprints), and tokens issued over such a
    /// connection are bound to it.
    #[serde(default)]
    pub client_certificates: bool,
}

fn default_timeout() -> u64 {
    30
}

fn default_resolve_cache() -> u64 {
    5
}

/// RFC 9728 metadata; empty fields get sensible values from the rest of the configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtectedResource {
    /// The resource identifier (default: `public_url`).
    #[serde(default)]
    pub resource: Option<String>,
    /// Authorization servers (default: the built-in one and every tenant issuer).
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    /// Scopes to advertise (default: every scope of every configured client).
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// Human documentation.
    #[serde(default)]
    pub resource_documentation: Option<String>,
}

/// An external OpenID provider.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    /// Tenant name (the Cedar `Tenant` entity).
    pub name: String,
    /// Exact issuer.
    #[serde(deserialize_with = "typed::one")]
    pub issuer: HttpUrl,
    /// Accepted audiences (default: the protected resource).
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Allowed algorithms (default: RS256, PS256, ES256, EdDSA).
    #[serde(default, deserialize_with = "typed::list")]
    pub algorithms: Vec<Algorithm>,
    /// Clock skew in seconds (default 60).
    #[serde(default)]
    pub leeway: Option<u64>,
    /// Required `typ` (e.g. `at+jwt`).
    #[serde(default)]
    pub required_typ: Option<String>,
    /// JWKS URL, skipping discovery.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Cedar policy files for this tenant.
    #[serde(default)]
    pub policies: Vec<Spanned<PathBuf>>,
    /// Least seconds between two JWKS refreshes caused by unknown key ids (default 30).
    #[serde(default)]
    pub jwks_min_refresh_secs: Option<u64>,
    /// The proxy's own registration at this provider, to sign users in for the
    /// authorization-code flow of this tenant's clients.
    #[serde(default)]
    pub login: Option<TenantLogin>,
}

/// `[tenants.login]`: the proxy as an OpenID Connect client of the tenant's provider. Its
/// redirect URI there is `<issuer>/oauth/callback`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantLogin {
    /// Our client id at the provider.
    pub client_id: String,
    /// Environment variable holding our client secret.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// File holding our client secret.
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// Scopes asked of the provider (default `openid`).
    #[serde(default)]
    pub scopes: Option<String>,
}

/// Maps a scope pattern to OpenSearch backend roles.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeMapping {
    /// A scope such as `read:logs-*`; a token scope it covers gets the roles.
    #[serde(deserialize_with = "typed::one")]
    pub scope: Scope,
    /// Roles for `x-proxy-roles`.
    pub roles: Vec<String>,
}

/// Rate limits: per client (default and overrides) and per scope.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    /// Applies to every client without its own limit.
    #[serde(default, deserialize_with = "typed::opt")]
    pub default: Option<Rate>,
    /// Client id → rate.
    #[serde(default, deserialize_with = "typed::map")]
    pub clients: std::collections::BTreeMap<String, Rate>,
    /// Scope → rate, shared per client (keys checked as scopes when loading).
    #[serde(default, deserialize_with = "typed::map")]
    pub scopes: std::collections::BTreeMap<String, Rate>,
}

/// A loaded configuration with where it came from, for error messages.
#[derive(Debug)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// The file name, or `<embedded defaults>`.
    pub source: String,
    text: String,
    /// Directory relative paths are resolved against.
    pub base_dir: PathBuf,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

impl Loaded {
    /// Reads and validates a file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                Reason::ConfigUnreadable,
                format!("cannot read config file `{}`: {e}", path.display()),
            )
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::from_str(&text, &path.display().to_string(), base)
    }

    /// The embedded demo defaults.
    pub fn embedded() -> Result<Self> {
        Self::from_str(EMBEDDED_DEFAULTS, "<embedded defaults>", PathBuf::from("."))
    }

    /// Parses and validates `text`, naming `source` in errors.
    pub fn from_str(text: &str, source: &str, base_dir: PathBuf) -> Result<Self> {
        let located = |span: Option<std::ops::Range<usize>>| {
            let (line, col) = span.map_or((0, 0), |s| line_col(text, s.start));
            format!("{source} line {line}, column {col}")
        };
        let de = toml::Deserializer::parse(text).map_err(|e| {
            Error::new(
                Reason::ConfigInvalid,
                format!(
                    "{}: {}",
                    located(e.span()),
                    e.message().trim_end_matches('.')
                ),
            )
        })?;
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let (reason, msg) = typed::untag(inner.message());
            let msg = msg.trim_end_matches('.');
            let place = located(inner.span());
            let mut err = if key == "." || key.is_empty() {
                Error::new(reason, format!("{place}: {msg}"))
            } else {
                Error::new(reason, format!("{place}: key `{key}`: {msg}"))
            };
            err.help = help_for(reason);
            err
        })?;
        let loaded = Self {
            config,
            source: source.to_owned(),
            text: text.to_owned(),
            base_dir,
        };
        loaded.validate()?;
        Ok(loaded)
    }

    /// An error at a spanned value, naming file, line and key.
    pub fn error_at<T>(&self, at: &Spanned<T>, key: &str, msg: &str) -> Error {
        self.error_at_span(at.span().start, key, Error::new(Reason::ConfigInvalid, msg))
    }

    /// `err` placed at the value of `key` (a path such as `authorization_server.clients[1].id`):
    /// its file, line and column, and the key, go in front of the message.
    pub fn error_at_key(&self, key: &str, err: Error) -> Error {
        let offset = span_of(&self.text, key).map_or(0, |s| s.start);
        self.error_at_span(offset, key, err)
    }

    fn error_at_span(&self, offset: usize, key: &str, mut err: Error) -> Error {
        let (line, col) = line_col(&self.text, offset);
        err.message = format!(
            "{} line {line}, column {col}: key `{key}`: {}",
            self.source, err.message
        );
        err
    }

    /// The `trusted_proxies`, ready for the proxy.
    pub fn trusted_proxies(&self) -> TrustedProxies {
        TrustedProxies::new(self.config.trusted_proxies.clone())
    }

    fn validate(&self) -> Result<()> {
        let c = &self.config;
        c.authorization_server
            .check()
            .map_err(|(key, e)| self.error_at_key(&format!("authorization_server.{key}"), e))?;
        check_url(self, &c.public_url, "public_url")?;
        if c.upstream.password_env.is_some() && c.upstream.password_file.is_some() {
            return Err(self.error_at_key(
                "upstream.password_file",
                Error::new(
                    Reason::ConfigInvalid,
                    "set `password_env` or `password_file`, not both",
                ),
            ));
        }
        if c.upstream.username.is_none()
            != (c.upstream.password_env.is_none() && c.upstream.password_file.is_none())
        {
            return Err(self.error_at_key(
                "upstream",
                Error::new(
                    Reason::ConfigInvalid,
                    "`username` needs `password_env` or `password_file`, and they need `username`",
                ),
            ));
        }
        for (i, w) in c.webhooks.iter().enumerate() {
            w.check()
                .map_err(|(key, e)| self.error_at_key(&format!("webhooks[{i}].{key}"), e))?;
            if c.webhooks.iter().take(i).any(|o| o.url == w.url) {
                return Err(self.error_at_key(
                    &format!("webhooks[{i}].url"),
                    Error::new(
                        Reason::InvalidWebhook,
                        format!(
                            "{} is listed twice",
                            oauth4os_core::error::quote(w.url.as_str())
                        ),
                    ),
                ));
            }
        }
        for k in c.rate_limits.scopes.keys() {
            Scope::parse(k).map_err(|e| {
                self.error_at_key(
                    &format!("rate_limits.scopes.{k}"),
                    Error::new(Reason::InvalidScopes, e.message),
                )
            })?;
        }
        Ok(())
    }

    /// Resolves a path from the file against the file's directory.
    pub fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}

fn check_url(l: &Loaded, v: &Spanned<String>, key: &str) -> Result<()> {
    use typed::FromConfig;
    HttpUrl::from_config(v.get_ref())
        .map(drop)
        .map_err(|e| l.error_at(v, key, &e.message))
}

/// Advice for a bad value of the file, by reason.
fn help_for(reason: Reason) -> Option<String> {
    let help = match reason {
        Reason::InvalidRate => {
            "a rate is `N/s`, `N/min` or `N/h`, optionally `burst M`: `100/s burst 200`"
        }
        Reason::InvalidScopes => {
            "scopes are `action:pattern`, lowercase, space separated: `read:logs-*`"
        }
        Reason::InvalidGrantType => {
            "supported grant types are `client_credentials`, `refresh_token`, `authorization_code` and `token_exchange`"
        }
        _ => return None,
    };
    Some(help.to_owned())
}

/// The span of the value at `key` (`a.b[2].c`; a key with dots goes last, as in
/// `rate_limits.scopes.read:logs-*`), or of the nearest table on the way when the key is absent.
fn span_of(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let mut span = root.span();
    let mut table = Some(root.get_ref());
    let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
    let mut rest = key;
    while !rest.is_empty() {
        let found = if let Some(r) = rest.strip_prefix('[') {
            let Some((n, r)) = r.split_once(']') else {
                break;
            };
            rest = r.strip_prefix('.').unwrap_or(r);
            n.parse::<usize>()
                .ok()
                .and_then(|n| array.and_then(|a| a.get(n)))
        } else {
            let Some(t) = table else {
                break;
            };
            let find = |name: &str| {
                t.iter()
                    .find(|(k, _)| k.get_ref().as_ref() == name)
                    .map(|(_, v)| v)
            };
            if let Some(v) = find(rest) {
                rest = "";
                Some(v)
            } else {
                let (name, r) = rest.split_at(rest.find(['.', '[']).unwrap_or(rest.len()));
                rest = r.strip_prefix('.').unwrap_or(r);
                find(name)
            }
        };
        let Some(value) = found else {
            break;
        };
        span = value.span();
        (table, array) = match value.get_ref() {
            DeValue::Table(t) => (Some(t), None),
            DeValue::Array(a) => (None, Some(a.as_ref())),
            _ => (None, None),
        };
    }
    Some(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Loaded> {
        Loaded::from_str(text, "test.toml", PathBuf::from("."))
    }

    #[test]
    fn embedded_defaults_are_valid() {
        let l = Loaded::embedded().unwrap();
        assert_eq!(l.config.listen.to_string(), "0.0.0.0:8443");
        assert_eq!(l.config.upstream.url.to_string(), "http://127.0.0.1:9200/");
    }

    #[test]
    fn span_of_finds_values_by_key_path() {
        let text = "a = 1\n[t]\nx = [\"p\", \"q\"]\n\"k.dot\" = 2\n[[c]]\nid = \"one\"\n[[c]]\nid = \"two\"\n";
        let line = |key: &str| span_of(text, key).map(|s| line_col(text, s.start).0);
        assert_eq!(line("a"), Some(1));
        assert_eq!(line("t.x[1]"), Some(3));
        assert_eq!(line("t.k.dot"), Some(4));
        assert_eq!(line("c[1].id"), Some(8));
        // An absent key: the nearest table on the way.
        assert_eq!(line("c[1].tenant"), line("c[1]"));
        assert_ne!(line("c[1]"), Some(1));
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let base = EMBEDDED_DEFAULTS;
        let bad = base.replace("url = \"http://127.0.0.1:9200\"", "url = \"ftp://x\"");
        let e = load(&bad).unwrap_err();
        let line = bad.lines().position(|l| l.contains("ftp://x")).unwrap() + 1;
        assert!(
            e.message.contains(&format!("test.toml line {line}")),
            "{}",
            e.message
        );
        assert!(e.message.contains("upstream.url"), "{}", e.message);

        let unknown = format!("{base}\nlisten_addr = \"x\"\n");
        let e = load(&unknown).unwrap_err();
        assert!(e.message.contains("test.toml line"), "{}", e.message);
        assert!(e.message.contains("listen_addr"), "{}", e.message);

        let bad_rate = base.replace("default = \"100/s burst 200\"", "default = \"lots\"");
        let e = load(&bad_rate).unwrap_err();
        assert!(e.message.contains("rate_limits.default"), "{}", e.message);

        let bad_scope =
            format!("{base}\n[[scope_mappings]]\nscope = \"read:Logs\"\nroles = [\"r\"]\n");
        let e = load(&bad_scope).unwrap_err();
        assert!(
            e.message.contains("scope_mappings[1].scope"),
            "{}",
            e.message
        );
    }
}
