//! The running proxy: everything built from the configuration once, shared by every request.

use oauth4os_core::Reason;
use std::sync::Arc;
use std::time::Duration;

use oauth4os_core::http::ReqwestTransport;
use oauth4os_core::jwks::JwksPolicy;
use oauth4os_core::policy::PolicySet;
use oauth4os_core::ratelimit::RateLimiter;
use oauth4os_core::{Error, Result, Scope, ScopeSet, Verifier, VerifierConfig};

use crate::authz::{AuthServer, Peers, SqliteStore, Store};
use crate::resource::{ResourceProxy, TenantRuntime};
use crate::services::config::Loaded;
use crate::services::metrics::Metrics;
use crate::services::policies::{AdminPolicy, DEFAULT_TENANT, LivePolicies};

/// The running proxy: its features built from one configuration.
#[derive(Debug)]
pub struct App {
    /// The configuration.
    pub loaded: Loaded,
    /// The built-in authorization server.
    pub auth: Arc<AuthServer>,
    /// The resource side: the OpenSearch proxy.
    pub proxy: Arc<ResourceProxy>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: crate::services::forwarded::TrustedProxies,
    /// The webhook endpoints, when any is configured.
    pub webhooks: Option<Arc<crate::services::webhooks::Webhooks>>,
    /// The MCP endpoint, when enabled.
    pub mcp: Option<Arc<crate::mcp::McpEndpoint>>,
}

fn read_secret(env: Option<&String>, file: Option<&std::path::PathBuf>) -> Result<Option<String>> {
    if let Some(var) = env {
        return std::env::var(var).map(Some).map_err(|_| {
            Error::new(
                Reason::MissingSecret,
                format!("environment variable `{var}` is not set"),
            )
        });
    }
    if let Some(path) = file {
        return std::fs::read_to_string(path)
            .map(|s| Some(s.trim_end().to_owned()))
            .map_err(|e| {
                Error::new(
                    Reason::MissingSecret,
                    format!("cannot read `{}`: {e}", path.display()),
                )
            });
    }
    Ok(None)
}

fn upstream(loaded: &Loaded) -> Result<crate::services::upstream::Upstream> {
    use base64::Engine as _;
    let u = &loaded.config.upstream;
    let password = read_secret(u.password_env.as_ref(), u.password_file.as_ref())?;
    let authorization = match (&u.username, password) {
        (Some(user), Some(pw)) => Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
        )),
        _ => None,
    };
    crate::services::upstream::Upstream::from_config(loaded, authorization)
}

fn load_policies(
    loaded: &Loaded,
    files: &[toml::Spanned<std::path::PathBuf>],
    key: &str,
) -> Result<PolicySet> {
    let sources = policy_sources(loaded, files, key)?;
    let borrowed: Vec<(&str, &str)> = sources
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    PolicySet::from_sources(&borrowed)
}

/// Reads the policy files as (source name, text).
fn policy_sources(
    loaded: &Loaded,
    files: &[toml::Spanned<std::path::PathBuf>],
    key: &str,
) -> Result<Vec<(String, String)>> {
    let mut sources = Vec::new();
    for f in files {
        let path = loaded.path(f.get_ref());
        let text = std::fs::read_to_string(&path).map_err(|e| {
            loaded.error_at(f, key, &format!("cannot read `{}`: {e}", path.display()))
        })?;
        sources.push((path.display().to_string(), text));
    }
    Ok(sources)
}

fn jwks_policy(t: &crate::services::config::Tenant) -> JwksPolicy {
    let mut p = JwksPolicy::default();
    if let Some(secs) = t.jwks_min_refresh_secs {
        p.min_refresh_interval = Duration::from_secs(secs);
    }
    p
}

/// Loads every policy file the configuration names, for `--check-config`.
pub fn check_policies(loaded: &Loaded) -> Result<()> {
    load_policies(loaded, &loaded.config.policies, "policies")?;
    for (i, t) in loaded.config.tenants.iter().enumerate() {
        load_policies(loaded, &t.policies, &format!("tenants[{i}].policies"))?;
    }
    Ok(())
}

/// The environment variable that sets (or overrides) the admin client's secret.
pub const ADMIN_SECRET_ENV: &str = "OAUTH4OS_ADMIN_CLIENT_SECRET";

impl App {
    /// Starts delivering webhook events from the store's outbox, when webhooks are configured;
    /// the worker stops when the handle drops.
    pub fn spawn_webhooks(&self) -> Result<Option<crate::services::webhooks::Worker>> {
        self.webhooks
            .as_ref()
            .map(|w| w.spawn(self.auth.store().clone()))
            .transpose()
    }

    /// Builds the proxy from a validated configuration.
    pub fn build(loaded: Loaded, key_encryption_key: [u8; 32]) -> Result<Arc<Self>> {
        let c = &loaded.config;
        let public = c.public_url.get_ref().trim_end_matches('/').to_owned();
        let resource = c
            .protected_resource
            .resource
            .clone()
            .unwrap_or_else(|| public.clone());
        // `/mcp` is a resource of its own (RFC 8707): the authorization server issues tokens
        // for it and verifiers accept them, and the fronts keep the two kinds apart.
        let mcp_resource = c.mcp.enabled.then(|| format!("{public}/mcp"));
        let mut auth_cfg = c.authorization_server.clone();
        if let Some(m) = &mcp_resource
            && !auth_cfg
                .audiences
                .iter()
                .any(|a| oauth4os_core::resource::same_resource(a, m))
        {
            auth_cfg.audiences.push(m.clone());
        }
        auth_cfg.store_path = loaded.path(&auth_cfg.store_path);
        auth_cfg.tls_client_ca_pem = auth_cfg.tls_client_ca_pem.map(|p| loaded.path(&p));
        let client_certificates = c.tls.as_ref().is_some_and(|t| t.client_certificates);
        auth_cfg.client_certificates = client_certificates;
        if let Ok(secret) = std::env::var(ADMIN_SECRET_ENV) {
            if secret.len() < crate::authz::MIN_ADMIN_SECRET_LEN {
                return Err(Error::new(
                    Reason::WeakAdminSecret,
                    format!(
                        "`{ADMIN_SECRET_ENV}` must be at least {} characters",
                        crate::authz::MIN_ADMIN_SECRET_LEN
                    ),
                )
                .with_help("generate one with `openssl rand -base64 32`"));
            }
            let admin = auth_cfg
                .admin
                .get_or_insert_with(|| crate::authz::AdminConfig {
                    client_id: crate::authz::DEFAULT_ADMIN_CLIENT_ID.to_owned(),
                    secret_hash: None,
                });
            admin.secret_hash = Some(crate::authz::sha256_stored_form(&secret));
        }
        auth_cfg.validate()?;
        let webhooks = crate::services::webhooks::Webhooks::from_config(&loaded)?.map(Arc::new);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&auth_cfg.store_path)?);
        if let Some(w) = &webhooks {
            let (store, routes) = (store.clone(), w.routes());
            crate::authz::run_start_up(async move { store.set_webhook_routes(routes).await })?;
        }
        let transport = Arc::new(ReqwestTransport::new(Duration::from_secs(10))?);
        let mut base = std::collections::HashMap::new();
        let mut tenants = Vec::new();
        for (i, t) in c.tenants.iter().enumerate() {
            let mut vc = VerifierConfig::new(t.issuer.as_str(), &resource);
            if !t.audiences.is_empty() {
                vc.audiences = t.audiences.clone();
            }
            if let Some(m) = &mcp_resource {
                vc.audiences.push(m.clone());
            }
            if !t.algorithms.is_empty() {
                vc.algorithms = t.algorithms.clone();
            }
            vc.leeway = t.leeway.unwrap_or(vc.leeway);
            vc.required_typ = t.required_typ.clone();
            tenants.push(TenantRuntime {
                name: t.name.clone(),
                issuer: t.issuer.to_string(),
                verifier: Arc::new(Verifier::with_jwks(
                    vc,
                    t.jwks_uri.clone(),
                    jwks_policy(t),
                    transport.clone(),
                )?),
            });
            base.insert(
                t.name.clone(),
                policy_sources(&loaded, &t.policies, &format!("tenants[{i}].policies"))?,
            );
        }
        let mut logins = Vec::new();
        for (i, t) in c.tenants.iter().enumerate() {
            let Some(l) = &t.login else { continue };
            let file = l.client_secret_file.as_ref().map(|f| loaded.path(f));
            let secret =
                read_secret(l.client_secret_env.as_ref(), file.as_ref())?.ok_or_else(|| {
                    Error::new(
                        Reason::MissingSecret,
                        format!(
                            "`tenants[{i}].login` needs `client_secret_env` or `client_secret_file`"
                        ),
                    )
                })?;
            let id_tokens = Verifier::with_jwks(
                VerifierConfig::new(t.issuer.as_str(), &l.client_id),
                t.jwks_uri.clone(),
                jwks_policy(t),
                transport.clone(),
            )?;
            logins.push(crate::authz::LoginProvider::new(
                &t.name,
                t.issuer.as_str(),
                &l.client_id,
                oauth4os_core::Secret::new(secret.trim_end_matches(['\n', '\r'])),
                l.scopes.as_deref().unwrap_or("openid"),
                Arc::new(id_tokens),
                transport.clone(),
            ));
        }
        let subjects = tenants
            .iter()
            .map(|t| crate::authz::SubjectIssuer {
                tenant: t.name.clone(),
                issuer: t.issuer.clone(),
                verifier: t.verifier.clone(),
            })
            .collect();
        base.insert(
            DEFAULT_TENANT.to_owned(),
            policy_sources(&loaded, &c.policies, "policies")?,
        );
        let mappings = c
            .scope_mappings
            .iter()
            .map(|m| (m.scope.clone(), m.roles.clone()))
            .collect::<Vec<_>>();
        let reader = store.clone();
        let (stored_policies, stored_mappings) = crate::authz::run_start_up(async move {
            Ok((
                reader.admin_policies().await?,
                reader.admin_mappings().await?,
            ))
        })?;
        let admin_policies = stored_policies
            .into_iter()
            .map(|(name, tenant, text)| (name, AdminPolicy { tenant, text }))
            .collect();
        let live = Arc::new(LivePolicies::new(
            base,
            mappings,
            admin_policies,
            stored_mappings.into_iter().collect(),
        )?);
        let limiter = Arc::new(RateLimiter::new(c.rate_limits.default));
        let peers = Peers {
            subjects,
            logins,
            live: Some(live.clone()),
            limiter: Some(limiter.clone()),
        };
        let auth = crate::authz::run_start_up(AuthServer::with_store(
            auth_cfg,
            key_encryption_key,
            store,
            peers,
        ))?;
        // Rates stored with the clients first; `[rate_limits.clients]` in the file wins.
        let store = auth.store().clone();
        for client in crate::authz::run_start_up(async move { store.clients().await })? {
            if let Some(rate) = crate::services::config::authz::stored_rate(&client)? {
                limiter.set_client_rate(&client.id, rate);
            }
        }
        for (client, r) in &c.rate_limits.clients {
            limiter.set_client_rate(client, *r);
        }
        for (scope, r) in &c.rate_limits.scopes {
            limiter.set_scope_rate(scope, *r);
        }
        let mut servers = c.protected_resource.authorization_servers.clone();
        if servers.is_empty() {
            servers.push(auth.issuer().to_owned());
            servers.extend(tenants.iter().map(|t| t.issuer.clone()));
        }
        let mut scopes = c.protected_resource.scopes_supported.clone();
        if scopes.is_empty() {
            let all: Vec<Scope> = c
                .authorization_server
                .clients
                .iter()
                .flat_map(|cl| cl.scopes.iter().cloned())
                .collect();
            scopes = ScopeSet::from_scopes(all)
                .iter()
                .map(ToString::to_string)
                .collect();
        }
        let resource_metadata = oauth4os_core::protocol::ProtectedResourceMetadata {
            resource: resource.clone(),
            authorization_servers: servers,
            scopes_supported: scopes,
            bearer_methods_supported: vec!["header".to_owned()],
            resource_documentation: c.protected_resource.resource_documentation.clone(),
            tls_client_certificate_bound_access_tokens: client_certificates,
        };
        let upstream = upstream(&loaded)?;
        let trusted_proxies = loaded.trusted_proxies();
        let metrics = Arc::new(Metrics::new());
        let proxy = Arc::new(ResourceProxy {
            auth: auth.clone(),
            tenants,
            live,
            limiter,
            indices: crate::services::indices::IndexResolver::new(std::time::Duration::from_secs(
                c.upstream.resolve_cache_secs,
            )),
            contexts: crate::services::contexts::Contexts::default(),
            upstream,
            metrics: metrics.clone(),
            max_body_bytes: c.max_body_bytes,
            mcp_resource: mcp_resource.clone(),
            resource,
            resource_metadata_url: format!("{public}/.well-known/oauth-protected-resource"),
            resource_metadata,
        });
        let mcp = mcp_resource.map(|m| {
            Arc::new(crate::mcp::McpEndpoint::new(
                proxy.clone(),
                &public,
                m,
                &c.mcp,
            ))
        });
        Ok(Arc::new(Self {
            mcp,
            webhooks,
            trusted_proxies,
            auth,
            proxy,
            metrics,
            loaded,
        }))
    }
}
