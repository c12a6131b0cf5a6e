//! The `auth` section of the proxy configuration: the issuer, its audiences, token lifetimes,
//! the store and the clients declared in the file. [`AuthConfig::validate`] names the bad key.

use oauth4os_core::Reason;
use std::path::PathBuf;

use oauth4os_core::error::quote;
use oauth4os_core::ratelimit::Rate;
use oauth4os_core::{Error, Result, ScopeSet};
use serde::Deserialize;

use super::typed::{self, FromConfig, check_tenant, parse_grant_type};

use crate::services::certificate::{DistinguishedName, check_thumbprint};
use crate::services::forwarded::Cidr;
use crate::services::secrets::SecretHash;
pub use crate::services::store::GrantType;
use crate::services::store::{AuthMethod, ClientConstraints, ClientRecord, ClientSource};

/// Default access-token lifetime: one hour.
pub const DEFAULT_ACCESS_TOKEN_TTL: u64 = 3600;
/// Default refresh-token lifetime: 30 days (sliding: every rotation starts a new period).
pub const DEFAULT_REFRESH_TOKEN_TTL: u64 = 30 * 24 * 3600;
/// Default lifetime of a remembered consent: 30 days.
pub const DEFAULT_CONSENT_TTL: u64 = 30 * 24 * 3600;
/// Default grace window for a concurrent refresh of one refresh token: two seconds.
pub const DEFAULT_REFRESH_REUSE_GRACE: u64 = 2;
/// Longest refresh grace window accepted: one minute.
pub const MAX_REFRESH_REUSE_GRACE: u64 = 60;
/// Longest lifetime accepted for any token: one year.
pub const MAX_TTL: u64 = 365 * 24 * 3600;
/// The tenant of clients that do not name one.
pub const DEFAULT_TENANT: &str = "default";
/// Lifetime of admin tokens: 15 minutes.
pub const ADMIN_TOKEN_TTL: u64 = 900;
/// The one scope of admin tokens.
pub const ADMIN_SCOPE: &str = "oauth4os:admin";
/// Longest client id accepted.
pub const MAX_CLIENT_ID_LEN: usize = 128;

/// The authorization server's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The issuer identifier (`iss` of the tokens it issues): `http(s)://host[:port]`, no path.
    pub issuer: String,
    /// The resources it issues tokens for. An RFC 8707 `resource` must be one of them; tokens
    /// requested without one are for the first.
    pub audiences: Vec<String>,
    /// Access-token lifetime in seconds.
    #[serde(default = "default_access_token_ttl")]
    pub access_token_ttl: u64,
    /// Refresh-token lifetime in seconds.
    #[serde(default = "default_refresh_token_ttl")]
    pub refresh_token_ttl: u64,
    /// How long a user's consent to a client is remembered, in seconds; the next sign-in after
    /// it shows the consent page again. `0`: never remembered (always asked).
    #[serde(default = "default_consent_ttl")]
    pub consent_ttl: u64,
    /// Seconds after a refresh during which the same client presenting the same (now retired)
    /// refresh token again gets the same answer instead of tripping reuse detection: two
    /// concurrent refreshes by one client. `0` turns the grace off.
    #[serde(default = "default_refresh_reuse_grace")]
    pub refresh_reuse_grace: u64,
    /// The SQLite file, created on first run.
    pub store_path: PathBuf,
    /// Clients declared in the configuration file.
    #[serde(default)]
    pub clients: Vec<ClientEntry>,
    /// The admin client, the only one that can obtain tokens for the admin API. Without it
    /// (and without `OAUTH4OS_ADMIN_CLIENT_SECRET`) every admin route answers 401.
    #[serde(default)]
    pub admin: Option<AdminConfig>,
    /// RFC 7591 dynamic client registration; off when absent.
    #[serde(default)]
    pub registration: Option<RegistrationConfig>,
    /// Client ID Metadata Documents (an `https://` URL as `client_id`, MCP 2025-11-25); off
    /// when absent.
    #[serde(default)]
    pub client_id_metadata_documents: Option<ClientMetadataDocumentsConfig>,
    /// Rotate the signing key when the current one is this many seconds old (checked every
    /// minute, and at start); no scheduled rotation when absent.
    #[serde(default)]
    pub signing_key_rotation_secs: Option<u64>,
    /// How many slow (argon2id) secret checks one source address may start, e.g. `30/min`
    /// (an IPv6 address counts by its /64). Past it, client authentication answers 429 before
    /// any argon2 work; a client whose secret was checked once is answered from the cache and
    /// never counts.
    /// Absent: 30 a minute.
    #[serde(default, deserialize_with = "typed::opt")]
    pub secret_checks_per_ip: Option<Rate>,
    /// PEM file of the CA certificates that `tls_client_auth` clients' certificates must chain
    /// to (RFC 8705 §2.1); without it no client can use `tls_client_auth`.
    #[serde(default)]
    pub tls_client_ca_pem: Option<PathBuf>,
    /// Whether the listener asks for TLS client certificates (`[tls] client_certificates`):
    /// set by the proxy, not read from the section. Discovery then announces the RFC 8705
    /// methods and certificate-bound tokens.
    #[serde(skip)]
    pub client_certificates: bool,
}

/// `[authorization_server.registration]`: RFC 7591 dynamic registration.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationConfig {
    /// Off unless `true`.
    #[serde(default)]
    pub enabled: bool,
    /// The hash of the initial access token registrations must present as a bearer token: an
    /// argon2id PHC string (`oauth4os-proxy --hash-secret`).
    pub initial_access_token_hash: String,
    /// The most a registered client may be allowed, space separated; a registration asking
    /// for more is refused with `invalid_client_metadata`.
    #[serde(deserialize_with = "typed::one")]
    pub scope_ceiling: ScopeSet,
    /// The tenant of registered clients; `default` when absent.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Let public clients (`token_endpoint_auth_method` `none`: MCP clients such as Claude
    /// Code, CLIs) register without the initial access token, as MCP clients do. They get no
    /// secret and only the `authorization_code` (PKCE) and `refresh_token` grants, so every
    /// token they obtain needs a user's sign-in and consent; their scopes stay within
    /// `scope_ceiling`. Off unless `true`.
    #[serde(default)]
    pub public_clients_without_token: bool,
}

impl std::fmt::Debug for RegistrationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrationConfig")
            .field("enabled", &self.enabled)
            .field("scope_ceiling", &self.scope_ceiling)
            .field(
                "public_clients_without_token",
                &self.public_clients_without_token,
            )
            .finish_non_exhaustive()
    }
}

/// `[authorization_server.client_id_metadata_documents]`: public clients named by an
/// `https://` URL whose JSON document (fetched, checked and cached) is their registration
/// (draft-ietf-oauth-client-id-metadata-document, MCP 2025-11-25).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientMetadataDocumentsConfig {
    /// Off unless `true`.
    #[serde(default)]
    pub enabled: bool,
    /// The most such a client may be allowed, space separated: it gets the part of its
    /// document's `scope` within it (all of it when the document has no `scope`).
    #[serde(deserialize_with = "typed::one")]
    pub scope_ceiling: ScopeSet,
    /// The tenant of such clients (whose sign-in provider their users use); `default` when
    /// absent.
    #[serde(default)]
    pub tenant: Option<String>,
    /// FOR TESTS: address ranges (CIDR) a document's host may resolve to although they are
    /// private, loopback, link-local or otherwise internal (always refused otherwise).
    #[serde(default)]
    pub allow_private_addresses: Vec<String>,
    /// FOR TESTS: also accept `http://` URLs, whose host must then resolve only to addresses
    /// in `allow_private_addresses` (so a public `http://` URL is never fetched).
    #[serde(default)]
    pub danger_allow_http: bool,
}

/// Default id of the admin client.
pub const DEFAULT_ADMIN_CLIENT_ID: &str = "oauth4os-admin";
/// Shortest admin secret accepted from the environment.
pub const MIN_ADMIN_SECRET_LEN: usize = 16;

/// The admin client of `[authorization_server.admin]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Its client id, `oauth4os-admin` by default.
    #[serde(default = "default_admin_id")]
    pub client_id: String,
    /// The argon2id PHC string of its secret; or set `OAUTH4OS_ADMIN_CLIENT_SECRET`.
    #[serde(default)]
    pub secret_hash: Option<String>,
}

fn default_admin_id() -> String {
    DEFAULT_ADMIN_CLIENT_ID.to_owned()
}

impl std::fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminConfig")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

fn default_access_token_ttl() -> u64 {
    DEFAULT_ACCESS_TOKEN_TTL
}

fn default_refresh_token_ttl() -> u64 {
    DEFAULT_REFRESH_TOKEN_TTL
}

fn default_consent_ttl() -> u64 {
    DEFAULT_CONSENT_TTL
}

fn default_refresh_reuse_grace() -> u64 {
    DEFAULT_REFRESH_REUSE_GRACE
}

/// A client declared in the configuration file.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    /// The client id (`A-Z a-z 0-9 . _ ~ -`, at most 128 characters).
    pub id: String,
    /// The argon2id PHC string of its secret (see [`crate::authz::AuthServer::hash_secret`]);
    /// absent for a client that authenticates with a TLS certificate.
    #[serde(default)]
    pub secret_hash: String,
    /// The scopes it may hold, space separated (`read:logs-* write:logs-app`).
    #[serde(deserialize_with = "typed::one")]
    pub scopes: ScopeSet,
    /// The grants it may use; `client_credentials` when empty.
    #[serde(default, deserialize_with = "typed::list")]
    pub grant_types: Vec<GrantType>,
    /// Its tenant; `default` when absent.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Its access-token lifetime in seconds, overriding the server's.
    #[serde(default)]
    pub access_token_ttl: Option<u64>,
    /// Exact redirect URIs (for `authorization_code`): `https://...`, or `http://` on a
    /// loopback host (RFC 8252 §7.3).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Its request rate at the proxy (`"20/s"`, `"100/min burst 20"`), replacing the default.
    #[serde(default, deserialize_with = "typed::opt")]
    pub rate_limit: Option<Rate>,
    /// `client_secret_basic` (the default; `client_secret_post` works too), `tls_client_auth`
    /// or `self_signed_tls_client_auth` (RFC 8705 §2; no secret).
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    /// `tls_client_auth`: the subject DN the certificate must have (RFC 4514 string).
    #[serde(default)]
    pub tls_client_auth_subject_dn: Option<String>,
    /// `tls_client_auth`: a DNS name the certificate's subject alternative names must hold.
    #[serde(default)]
    pub tls_client_auth_san_dns: Option<String>,
    /// `self_signed_tls_client_auth`: the SHA-256 thumbprints (`x5t#S256`, base64url) of the
    /// client's certificates.
    #[serde(default)]
    pub tls_client_certificate_thumbprints: Vec<String>,
    /// Bind access tokens issued over a connection with a client certificate to it (RFC 8705
    /// §3); `true` when absent.
    #[serde(default)]
    pub tls_client_certificate_bound_access_tokens: Option<bool>,
    /// Addresses (CIDR, IPv4 or IPv6) the client may get and use tokens from; any when empty.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
    /// The resources (RFC 8707) it may get tokens for, each one of `audiences` of the server
    /// (a trailing slash is no difference); every audience of the server when empty.
    #[serde(default)]
    pub audiences: Vec<String>,
}

impl ClientEntry {
    fn constraint_fields(&self) -> ConstraintFields<'_> {
        ConstraintFields {
            auth_method: self.token_endpoint_auth_method.as_deref(),
            subject_dn: self.tls_client_auth_subject_dn.as_deref(),
            san_dns: self.tls_client_auth_san_dns.as_deref(),
            thumbprints: &self.tls_client_certificate_thumbprints,
            bound_tokens: self.tls_client_certificate_bound_access_tokens,
            allowed_ips: &self.allowed_ips,
            audiences: &self.audiences,
        }
    }
}

/// The RFC 8705 and allowlist fields of a client as declared (configuration file, admin API,
/// registration), with their declared names.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ConstraintFields<'a> {
    pub auth_method: Option<&'a str>,
    pub subject_dn: Option<&'a str>,
    pub san_dns: Option<&'a str>,
    pub thumbprints: &'a [String],
    pub bound_tokens: Option<bool>,
    pub allowed_ips: &'a [String],
    pub audiences: &'a [String],
}

/// Most `allowed_ips` entries a client may have.
const MAX_ALLOWED_IPS: usize = 100;

/// A public client (`token_endpoint_auth_method = none`) may use only the authorization code
/// grant (which it needs) and refresh tokens: anything else would issue tokens to whoever
/// knows its id.
pub(crate) fn check_public_grants(
    method: AuthMethod,
    grants: &[GrantType],
    key: &str,
) -> Result<()> {
    if !method.is_public() {
        return Ok(());
    }
    if let Some(g) = grants
        .iter()
        .find(|g| !matches!(g, GrantType::AuthorizationCode | GrantType::RefreshToken))
    {
        return Err(Error::new(
            Reason::InvalidPublicClient,
            format!(
                "`{key}`: a public client may not use {}: it has no secret, so only `authorization_code` (with PKCE) and `refresh_token` are allowed",
                quote(g.as_str())
            ),
        ));
    }
    if !grants.contains(&GrantType::AuthorizationCode) {
        return Err(Error::new(
            Reason::InvalidPublicClient,
            format!("`{key}`: a public client needs the `authorization_code` grant"),
        ));
    }
    Ok(())
}

/// Most `audiences` entries a client may have.
const MAX_CLIENT_AUDIENCES: usize = 20;

/// A client's `audiences`, each mapped to the server's configured form: every entry must name
/// one of `served` (a trailing slash is no difference, [`oauth4os_core::resource`]).
pub(crate) fn resolve_client_audiences(
    wanted: &[String],
    served: &[String],
    key: &str,
) -> Result<Vec<String>> {
    if wanted.len() > MAX_CLIENT_AUDIENCES {
        return Err(Error::new(
            Reason::InvalidClientAudience,
            format!("`{key}` has more than {MAX_CLIENT_AUDIENCES} entries"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(wanted.len());
    for (i, w) in wanted.iter().enumerate() {
        let Some(found) = served
            .iter()
            .find(|s| oauth4os_core::resource::same_resource(s, w))
        else {
            return Err(Error::new(
                Reason::InvalidClientAudience,
                format!(
                    "`{key}[{i}]` {} is not one of the server's audiences ({})",
                    quote(w),
                    served
                        .iter()
                        .map(|s| quote(s))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        if !out.contains(found) {
            out.push(found.clone());
        }
    }
    Ok(out)
}

impl ConstraintFields<'_> {
    /// Validates the fields; the error comes with the bad field's name.
    pub(crate) fn validate(&self) -> std::result::Result<ClientConstraints, (&'static str, Error)> {
        let tls = |field: &'static str, message: String| {
            (field, Error::new(Reason::InvalidTlsClientAuth, message))
        };
        let method_name = self.auth_method.unwrap_or("client_secret_basic");
        let auth_method = AuthMethod::parse(method_name).ok_or_else(|| {
            tls(
                "token_endpoint_auth_method",
                format!(
                    "{} is not supported (use `client_secret_basic`, `client_secret_post`, `tls_client_auth`, `self_signed_tls_client_auth` or `none` for a public client)",
                    quote(method_name)
                ),
            )
        })?;
        if auth_method != AuthMethod::TlsClientAuth {
            for (field, set) in [
                ("tls_client_auth_subject_dn", self.subject_dn.is_some()),
                ("tls_client_auth_san_dns", self.san_dns.is_some()),
            ] {
                if set {
                    return Err(tls(
                        field,
                        format!(
                            "is only for clients whose method is `tls_client_auth`, not {}",
                            quote(method_name)
                        ),
                    ));
                }
            }
        }
        if auth_method != AuthMethod::SelfSignedTlsClientAuth && !self.thumbprints.is_empty() {
            return Err(tls(
                "tls_client_certificate_thumbprints",
                format!(
                    "is only for clients whose method is `self_signed_tls_client_auth`, not {}",
                    quote(method_name)
                ),
            ));
        }
        match auth_method {
            AuthMethod::ClientSecret | AuthMethod::None => {}
            AuthMethod::TlsClientAuth => {
                if self.subject_dn.is_none() && self.san_dns.is_none() {
                    return Err(tls(
                        "tls_client_auth_subject_dn",
                        "a `tls_client_auth` client needs `tls_client_auth_subject_dn` or `tls_client_auth_san_dns` (RFC 8705 §2.1.2)".to_owned(),
                    ));
                }
                if let Some(dn) = self.subject_dn {
                    dn.parse::<DistinguishedName>().map_err(|e| {
                        tls(
                            "tls_client_auth_subject_dn",
                            format!("{} is not an RFC 4514 distinguished name: {e}", quote(dn)),
                        )
                    })?;
                }
                if let Some(dns) = self.san_dns
                    && (dns.is_empty()
                        || dns.contains(|c: char| c.is_whitespace() || c.is_control()))
                {
                    return Err(tls(
                        "tls_client_auth_san_dns",
                        format!("{} is not a DNS name", quote(dns)),
                    ));
                }
            }
            AuthMethod::SelfSignedTlsClientAuth => {
                if self.thumbprints.is_empty() {
                    return Err(tls(
                        "tls_client_certificate_thumbprints",
                        "a `self_signed_tls_client_auth` client needs the thumbprint of at least one certificate".to_owned(),
                    ));
                }
                for t in self.thumbprints {
                    check_thumbprint(t)
                        .map_err(|e| tls("tls_client_certificate_thumbprints", e))?;
                }
            }
        }
        if self.allowed_ips.len() > MAX_ALLOWED_IPS {
            return Err((
                "allowed_ips",
                Error::new(
                    Reason::InvalidAllowedIp,
                    format!("more than {MAX_ALLOWED_IPS} entries"),
                ),
            ));
        }
        let mut allowed_ips = Vec::with_capacity(self.allowed_ips.len());
        for ip in self.allowed_ips {
            let range: Cidr = ip
                .parse()
                .map_err(|e: String| ("allowed_ips", Error::new(Reason::InvalidAllowedIp, e)))?;
            allowed_ips.push(range.to_string());
        }
        Ok(ClientConstraints {
            auth_method,
            subject_dn: self.subject_dn.map(str::to_owned),
            san_dns: self.san_dns.map(str::to_owned),
            thumbprints: self.thumbprints.to_vec(),
            certificate_bound_tokens: self.bound_tokens.unwrap_or(true),
            allowed_ips,
            audiences: self.audiences.to_vec(),
        })
    }
}

impl std::fmt::Debug for ClientEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientEntry")
            .field("id", &self.id)
            .field("secret_hash", &"***")
            .field("scopes", &self.scopes)
            .field("grant_types", &self.grant_types)
            .field("tenant", &self.tenant)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("redirect_uris", &self.redirect_uris)
            .field("rate_limit", &self.rate_limit)
            .field(
                "token_endpoint_auth_method",
                &self.token_endpoint_auth_method,
            )
            .field("allowed_ips", &self.allowed_ips)
            .field("audiences", &self.audiences)
            .finish_non_exhaustive()
    }
}

impl AuthConfig {
    /// A configuration with the defaults and no clients.
    pub fn new(issuer: &str, audience: &str, store_path: impl Into<PathBuf>) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audiences: vec![audience.to_owned()],
            access_token_ttl: DEFAULT_ACCESS_TOKEN_TTL,
            refresh_token_ttl: DEFAULT_REFRESH_TOKEN_TTL,
            consent_ttl: DEFAULT_CONSENT_TTL,
            refresh_reuse_grace: DEFAULT_REFRESH_REUSE_GRACE,
            store_path: store_path.into(),
            clients: Vec::new(),
            admin: None,
            registration: None,
            client_id_metadata_documents: None,
            signing_key_rotation_secs: None,
            secret_checks_per_ip: None,
            tls_client_ca_pem: None,
            client_certificates: false,
        }
    }

    /// The rate of `secret_checks_per_ip` (30 a minute when absent).
    pub fn secret_check_rate(&self) -> Result<Rate> {
        self.secret_checks_per_ip
            .map_or_else(|| Rate::per_minute(30), Ok)
    }

    /// Checks every key; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        self.check().map_err(|(_, e)| e)
    }

    /// Checks every key; the error comes with the bad key's path in the section
    /// (`clients[1].tenant`), for [`super::Loaded`] to find its line.
    pub(crate) fn check(&self) -> std::result::Result<(), (String, Error)> {
        let at = |key: &str| {
            let key = key.to_owned();
            move |e: Error| (key, e)
        };
        validate_issuer(&self.issuer).map_err(at("issuer"))?;
        if self.audiences.is_empty() {
            return Err(at("audiences")(Error::new(
                Reason::MissingAudience,
                "`audiences` is empty: the server needs at least one resource to issue tokens for",
            )));
        }
        for (i, aud) in self.audiences.iter().enumerate() {
            if aud.trim().is_empty() || aud.chars().any(char::is_control) {
                let key = format!("audiences[{i}]");
                return Err((
                    key.clone(),
                    Error::new(
                        Reason::InvalidAudience,
                        format!("`{key}` is empty or contains control characters"),
                    ),
                ));
            }
        }
        validate_ttl("access_token_ttl", self.access_token_ttl).map_err(at("access_token_ttl"))?;
        validate_ttl("refresh_token_ttl", self.refresh_token_ttl)
            .map_err(at("refresh_token_ttl"))?;
        if self.consent_ttl > MAX_TTL {
            return Err(at("consent_ttl")(Error::new(
                Reason::InvalidTtl,
                format!(
                    "`consent_ttl` must be between 0 and {MAX_TTL} seconds, not {}",
                    self.consent_ttl
                ),
            )));
        }
        if self.refresh_reuse_grace > MAX_REFRESH_REUSE_GRACE {
            return Err(at("refresh_reuse_grace")(Error::new(
                Reason::InvalidTtl,
                format!(
                    "`refresh_reuse_grace` must be between 0 and {MAX_REFRESH_REUSE_GRACE} seconds, not {}",
                    self.refresh_reuse_grace
                ),
            )));
        }
        if let Some(secs) = self.signing_key_rotation_secs
            && !(60..=MAX_TTL).contains(&secs)
        {
            return Err(at("signing_key_rotation_secs")(Error::new(
                Reason::InvalidRotation,
                format!("`signing_key_rotation_secs` must be between 60 and {MAX_TTL}, not {secs}"),
            )));
        }
        if let Some(r) = &self.registration {
            if SecretHash::parse(&r.initial_access_token_hash).is_none() {
                return Err(at("registration.initial_access_token_hash")(
                    Error::new(
                        Reason::InvalidSecretHash,
                        "`registration.initial_access_token_hash` is not an argon2id PHC string",
                    )
                    .with_help("generate one with `oauth4os-proxy --hash-secret`"),
                ));
            }
            if r.scope_ceiling.is_empty() {
                return Err(at("registration.scope_ceiling")(Error::new(
                    Reason::InvalidScopes,
                    "`registration.scope_ceiling` is empty: registered clients would be allowed nothing",
                )));
            }
            if let Some(t) = &r.tenant {
                check_tenant(t).map_err(|e| {
                    at("registration.tenant")(Error::new(
                        e.reason,
                        format!("`registration.tenant`: {}", e.message),
                    ))
                })?;
            }
        }
        if let Some(d) = &self.client_id_metadata_documents {
            let key = "client_id_metadata_documents";
            if d.scope_ceiling.is_empty() {
                return Err(at(&format!("{key}.scope_ceiling"))(Error::new(
                    Reason::InvalidScopes,
                    format!(
                        "`{key}.scope_ceiling` is empty: such clients would be allowed nothing"
                    ),
                )));
            }
            if let Some(t) = &d.tenant {
                check_tenant(t).map_err(|e| {
                    at(&format!("{key}.tenant"))(Error::new(
                        e.reason,
                        format!("`{key}.tenant`: {}", e.message),
                    ))
                })?;
            }
            for (i, r) in d.allow_private_addresses.iter().enumerate() {
                let k = format!("{key}.allow_private_addresses[{i}]");
                r.parse::<Cidr>().map_err(|e: String| {
                    (
                        k.clone(),
                        Error::new(Reason::InvalidAllowedIp, format!("`{k}`: {e}")),
                    )
                })?;
            }
            if d.danger_allow_http && d.allow_private_addresses.is_empty() {
                return Err(at(&format!("{key}.danger_allow_http"))(Error::new(
                    Reason::ConfigInvalid,
                    format!(
                        "`{key}.danger_allow_http` needs `{key}.allow_private_addresses`: `http://` documents are fetched only from those addresses"
                    ),
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(admin) = &self.admin {
            if !valid_client_id(&admin.client_id) {
                return Err(at("admin.client_id")(Error::new(
                    Reason::InvalidClientId,
                    format!(
                        "`admin.client_id` {} is not a valid client id",
                        quote(&admin.client_id)
                    ),
                )));
            }
            if let Some(h) = &admin.secret_hash
                && SecretHash::parse(h).is_none()
            {
                return Err(at("admin.secret_hash")(
                    Error::new(
                        Reason::InvalidSecretHash,
                        "`admin.secret_hash` is not an argon2id PHC string",
                    )
                    .with_help("generate one with `oauth4os-proxy --hash-secret`"),
                ));
            }
            seen.insert(admin.client_id.as_str());
        }
        for (i, c) in self.clients.iter().enumerate() {
            c.check(i)?;
            let key = format!("clients[{i}].audiences");
            resolve_client_audiences(&c.audiences, &self.audiences, &key)
                .map_err(|e| (key.clone(), e))?;
            if !seen.insert(c.id.as_str()) {
                let key = format!("clients[{i}].id");
                return Err((
                    key.clone(),
                    Error::new(
                        Reason::DuplicateClient,
                        format!("`{key}` {} is declared twice", quote(&c.id)),
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The URL of an endpoint of this server.
    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The longest access-token lifetime any client can get.
    pub(crate) fn max_access_token_ttl(&self) -> u64 {
        let admin = if self.admin.is_some() {
            ADMIN_TOKEN_TTL
        } else {
            0
        };
        self.clients
            .iter()
            .filter_map(|c| c.access_token_ttl)
            .fold(self.access_token_ttl.max(admin), u64::max)
    }

    /// The audience of admin tokens: `<issuer>/admin`, never a resource audience.
    pub fn admin_audience(&self) -> String {
        format!("{}/admin", self.issuer)
    }
}

fn validate_issuer(issuer: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::new(
            Reason::InvalidIssuer,
            format!("`issuer` {}: {why}", quote(issuer)),
        )
        .with_help(
            "use the origin clients reach the proxy at, e.g. `https://auth.example.com:8443`",
        )
    };
    let rest = issuer
        .strip_prefix("https://")
        .or_else(|| issuer.strip_prefix("http://"))
        .ok_or_else(|| bad("it must start with `https://` or `http://`"))?;
    if rest.is_empty() {
        return Err(bad("it has no host"));
    }
    if rest.contains(['/', '?', '#']) {
        return Err(bad(
            "it must be an origin without path, query, fragment or trailing slash",
        ));
    }
    if rest.contains('@') || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it must not contain credentials or whitespace"));
    }
    Ok(())
}

fn validate_ttl(key: &str, ttl: u64) -> Result<()> {
    if ttl == 0 || ttl > MAX_TTL {
        return Err(Error::new(
            Reason::InvalidTtl,
            format!("`{key}` must be between 1 and {MAX_TTL} seconds, not {ttl}"),
        ));
    }
    Ok(())
}

/// Most redirect URIs one client may register.
pub const MAX_REDIRECT_URIS: usize = 10;

/// Redirect URIs are compared exactly, so they must be exact: absolute, no fragment, HTTPS or
/// loopback HTTP; and they exist only with the `authorization_code` grant, which needs one.
pub(crate) fn validate_redirect_uris(
    uris: &[String],
    grants: &[GrantType],
    key: &str,
) -> Result<()> {
    let code = grants.contains(&GrantType::AuthorizationCode);
    if code && uris.is_empty() {
        return Err(Error::new(
            Reason::MissingRedirectUri,
            format!("`{key}` is empty: the `authorization_code` grant needs a redirect URI"),
        ));
    }
    if !code && !uris.is_empty() {
        return Err(Error::new(
            Reason::UnexpectedRedirectUri,
            format!("`{key}` is set but the client may not use `authorization_code`"),
        ));
    }
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(Error::new(
            Reason::TooManyRedirectUris,
            format!("`{key}` has more than {MAX_REDIRECT_URIS} entries"),
        ));
    }
    for (i, uri) in uris.iter().enumerate() {
        let bad = |why: &str| {
            Error::new(
                Reason::InvalidRedirectUri,
                format!("`{key}[{i}]` {}: {why}", quote(uri)),
            )
        };
        if uri.len() > 2048 || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it is too long or contains whitespace"));
        }
        if uri.contains('#') {
            return Err(bad("a redirect URI has no fragment"));
        }
        let loopback = ["http://127.0.0.1", "http://[::1]", "http://localhost"]
            .iter()
            .any(|p| {
                uri.strip_prefix(p)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/', '?']))
            });
        let https = uri
            .strip_prefix("https://")
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with(['/', '?']));
        if !https && !loopback {
            return Err(bad("use `https://`, or `http://` on a loopback host"));
        }
    }
    Ok(())
}

/// The rate stored with a client (`rate_limit`), parsed; an error names the client.
pub fn stored_rate(client: &ClientRecord) -> Result<Option<Rate>> {
    client
        .rate_limit
        .as_deref()
        .map(|r| {
            Rate::from_config(r).map_err(|e| {
                let mut e = e;
                e.message = format!(
                    "the stored `rate_limit` of client {}: {}",
                    quote(&client.id),
                    e.message
                );
                e
            })
        })
        .transpose()
}

/// Whether `id` is an acceptable client id.
pub(crate) fn valid_client_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CLIENT_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
}

/// The grants of a client: sorted, without repeats; `client_credentials` when none is given.
fn normalize_grant_types(mut grants: Vec<GrantType>) -> Vec<GrantType> {
    if grants.is_empty() {
        return vec![GrantType::ClientCredentials];
    }
    grants.sort();
    grants.dedup();
    grants
}

/// Parses grant type names; an empty list means `client_credentials`.
pub(crate) fn parse_grant_types(names: &[String], key: &str) -> Result<Vec<GrantType>> {
    let grants = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            parse_grant_type(name).map_err(|e| Error {
                message: format!("`{key}[{j}]` {}", e.message),
                ..e
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(normalize_grant_types(grants))
}

/// The fields of a client as declared (configuration file or admin API), validated into a
/// record. `key` names a field in errors (`clients[0].scopes`, `scopes`).
pub(crate) struct ClientFields<'a> {
    pub id: &'a str,
    pub scopes: &'a str,
    pub grant_types: &'a [String],
    pub tenant: Option<&'a str>,
    pub access_token_ttl: Option<u64>,
    pub redirect_uris: &'a [String],
    pub rate_limit: Option<&'a str>,
    pub constraints: ConstraintFields<'a>,
}

impl ClientFields<'_> {
    pub(crate) fn validate(
        &self,
        key: impl Fn(&str) -> String,
        secret_hash: String,
        source: ClientSource,
    ) -> Result<ClientRecord> {
        if !valid_client_id(self.id) {
            return Err(Error::new(
                Reason::InvalidClientId,
                format!(
                    "`{}` {} is not a valid client id",
                    key("id"),
                    quote(self.id)
                ),
            )
            .with_help("use 1 to 128 characters among `A-Z a-z 0-9 . _ ~ -`"));
        }
        let scopes = ScopeSet::parse(self.scopes).map_err(|e| {
            Error::new(
                Reason::InvalidScopes,
                format!("`{}`: {}", key("scopes"), e.message),
            )
        })?;
        if scopes.is_empty() {
            return Err(Error::new(
                Reason::InvalidScopes,
                format!(
                    "`{}` is empty: a client must be allowed some scope",
                    key("scopes")
                ),
            ));
        }
        let grant_types = parse_grant_types(self.grant_types, &key("grant_types"))?;
        let tenant = match self.tenant {
            None => DEFAULT_TENANT.to_owned(),
            Some(t) => {
                check_tenant(t).map_err(|e| Error {
                    message: format!("`{}` {}", key("tenant"), e.message),
                    ..e
                })?;
                t.to_owned()
            }
        };
        if let Some(ttl) = self.access_token_ttl {
            validate_ttl(&key("access_token_ttl"), ttl)?;
        }
        validate_redirect_uris(self.redirect_uris, &grant_types, &key("redirect_uris"))?;
        if let Some(r) = self.rate_limit {
            Rate::from_config(r).map_err(|e| Error {
                message: format!("`{}`: {}", key("rate_limit"), e.message),
                ..e
            })?;
        }
        let constraints = self.constraints.validate().map_err(|(field, e)| Error {
            message: format!("`{}`: {}", key(field), e.message),
            ..e
        })?;
        check_public_grants(constraints.auth_method, &grant_types, &key("grant_types"))?;
        Ok(ClientRecord {
            constraints,
            rate_limit: self.rate_limit.map(str::to_owned),
            redirect_uris: self.redirect_uris.to_vec(),
            id: self.id.to_owned(),
            secret_hash,
            scopes,
            grant_types,
            tenant,
            access_token_ttl: self.access_token_ttl,
            source,
        })
    }
}

impl ClientEntry {
    /// Validates the entry (at position `i` of `clients`) and converts it to a store record.
    pub(crate) fn to_record(&self, i: usize) -> Result<ClientRecord> {
        self.check(i).map_err(|(_, e)| e)?;
        let constraints = self
            .constraint_fields()
            .validate()
            .map_err(|(field, e)| Error {
                message: format!("`clients[{i}].{field}`: {}", e.message),
                ..e
            })?;
        Ok(ClientRecord {
            constraints,
            rate_limit: self.rate_limit.map(|r| r.to_string()),
            redirect_uris: self.redirect_uris.clone(),
            id: self.id.clone(),
            secret_hash: self.secret_hash.clone(),
            scopes: self.scopes.clone(),
            grant_types: normalize_grant_types(self.grant_types.clone()),
            tenant: self
                .tenant
                .clone()
                .unwrap_or_else(|| DEFAULT_TENANT.to_owned()),
            access_token_ttl: self.access_token_ttl,
            source: ClientSource::Config,
        })
    }

    /// Checks what typing does not (id, secret hash, empty scopes, tenant, lifetime, redirect
    /// URIs); the error comes with the bad key (`clients[1].tenant`).
    pub(crate) fn check(&self, i: usize) -> std::result::Result<(), (String, Error)> {
        let key = |field: &str| format!("clients[{i}].{field}");
        let at = |field: &str| {
            let k = key(field);
            move |e: Error| (k, e)
        };
        let constraints = self.constraint_fields().validate().map_err(|(field, e)| {
            at(field)(Error {
                message: format!("`{}`: {}", key(field), e.message),
                ..e
            })
        })?;
        let certificate = constraints.auth_method.uses_certificate();
        let public = constraints.auth_method.is_public();
        match SecretHash::parse(&self.secret_hash) {
            _ if (certificate || public) && self.secret_hash.is_empty() => {}
            _ if public => {
                return Err(at("secret_hash")(Error::new(
                    Reason::InvalidPublicClient,
                    format!(
                        "`{}` must be absent: a public client (`token_endpoint_auth_method = \"none\"`) has no secret",
                        key("secret_hash")
                    ),
                )));
            }
            _ if certificate => {
                return Err(at("secret_hash")(Error::new(
                    Reason::InvalidSecretHash,
                    format!(
                        "`{}` must be absent: the client authenticates with a TLS certificate",
                        key("secret_hash")
                    ),
                )));
            }
            Some(SecretHash::Argon2id(_)) => {}
            _ => {
                return Err(at("secret_hash")(
                    Error::new(
                        Reason::InvalidSecretHash,
                        format!("`{}` is not an argon2id PHC string", key("secret_hash")),
                    )
                    .with_help(
                        "generate one with `oauth4os-proxy --hash-secret`; it starts with `$argon2id$`",
                    ),
                ));
            }
        }
        if !valid_client_id(&self.id) {
            return Err(at("id")(
                Error::new(
                    Reason::InvalidClientId,
                    format!(
                        "`{}` {} is not a valid client id",
                        key("id"),
                        quote(&self.id)
                    ),
                )
                .with_help("use 1 to 128 characters among `A-Z a-z 0-9 . _ ~ -`"),
            ));
        }
        if self.scopes.is_empty() {
            return Err(at("scopes")(Error::new(
                Reason::InvalidScopes,
                format!(
                    "`{}` is empty: a client must be allowed some scope",
                    key("scopes")
                ),
            )));
        }
        if let Some(t) = &self.tenant {
            check_tenant(t).map_err(|e| {
                at("tenant")(Error {
                    message: format!("`{}` {}", key("tenant"), e.message),
                    ..e
                })
            })?;
        }
        if let Some(ttl) = self.access_token_ttl {
            validate_ttl(&key("access_token_ttl"), ttl).map_err(at("access_token_ttl"))?;
        }
        let grants = normalize_grant_types(self.grant_types.clone());
        validate_redirect_uris(&self.redirect_uris, &grants, &key("redirect_uris"))
            .map_err(at("redirect_uris"))?;
        check_public_grants(constraints.auth_method, &grants, &key("grant_types"))
            .map_err(at("grant_types"))?;
        Ok(())
    }
}
