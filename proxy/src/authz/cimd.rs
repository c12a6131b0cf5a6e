//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; MCP
//! 2025-11-25): a public client names itself by an `https://` URL, and the JSON document at
//! that URL is its registration. Off by default (`[authorization_server.client_id_metadata_documents]`).
//!
//! ```text
//! client_id URL ─ shape (https, a path, no fragment, credentials or dot segments, normalised)
//!   ─ cache hit? ─▶ client
//!   ─ resolve the host; every address must be public (or in `allow_private_addresses`)
//!   ─ GET over a client pinned to those addresses (no DNS rebinding), no proxy, no redirects,
//!     5 s, 5 KiB ─ 200 + JSON: `client_id` = the URL, `redirect_uris`, method `none`,
//!     grants ⊆ {authorization_code, refresh_token} ─▶ public client, cached (max-age within
//!     60 s – 24 h, 5 min without one; at most 1024 documents)
//! ```
//!
//! Every failure is `invalid_client` with its own reason (`client_metadata_*`).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use oauth4os_core::error::quote;
use oauth4os_core::{Error, Reason, Result, ScopeSet};
use serde::Deserialize;

use crate::services::config::authz::{
    ClientMetadataDocumentsConfig, DEFAULT_TENANT, GrantType, validate_redirect_uris,
};
use crate::services::forwarded::Cidr;
use crate::services::store::{AuthMethod, ClientConstraints, ClientRecord, ClientSource};

/// Largest document read.
pub(crate) const MAX_DOCUMENT: usize = 5 * 1024;
/// Longest a fetch (resolution, connection and body) may take.
pub(crate) const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest client id URL accepted.
const MAX_URL: usize = 2048;
/// Most documents cached.
const MAX_CACHED: usize = 1024;
/// How long a document is cached without `Cache-Control: max-age`.
const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// The bounds a `max-age` is held within.
const MIN_TTL: Duration = Duration::from_secs(60);
const MAX_TTL: Duration = Duration::from_secs(24 * 3600);

/// Whether a client id is a URL (and so never a stored client's id, whose characters exclude
/// `:` and `/`).
pub(crate) fn is_url_client_id(id: &str) -> bool {
    id.starts_with("https://") || id.starts_with("http://")
}

/// The resolver: its settings and its cache.
#[derive(Debug)]
pub(crate) struct Documents {
    ceiling: ScopeSet,
    tenant: String,
    allowed_private: Vec<Cidr>,
    allow_http: bool,
    cache: Mutex<HashMap<String, Cached>>,
}

#[derive(Debug, Clone)]
struct Cached {
    client: ClientRecord,
    until: Instant,
}

/// The members of a document this server reads (RFC 7591 §2 names).
#[derive(Debug, Deserialize)]
struct Document {
    client_id: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    grant_types: Vec<String>,
    #[serde(default)]
    response_types: Vec<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    client_secret: Option<serde_json::Value>,
}

fn refused(reason: Reason, message: String) -> Error {
    Error::new(reason, message)
}

/// Whether `ip` is an internal address: private, loopback, link-local, unique-local, shared,
/// multicast, unspecified, broadcast, documentation or reserved, an IPv4 address embedded in
/// IPv6 (mapped, compatible, NAT64, 6to4) judged as that address, and Teredo.
pub(crate) fn internal_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return internal_v4(v4);
    }
    let [s0, s1, s2, s3, s4, s5, s6, s7] = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    // ::/96: IPv4-compatible (deprecated), `::` and `::1` included.
    if [s0, s1, s2, s3, s4, s5] == [0; 6] {
        return true;
    }
    // 64:ff9b::/96: NAT64, judged as the IPv4 address it carries.
    if [s0, s1, s2, s3, s4, s5] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return internal_v4(embedded(s6, s7));
    }
    // 2002::/16: 6to4, the IPv4 address in the next 32 bits.
    if s0 == 0x2002 {
        return internal_v4(embedded(s1, s2));
    }
    ip.is_multicast()
        || (s0 & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s0 & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s0 & 0xffc0) == 0xfec0 // site-local fec0::/10
        || (s0 == 0x2001 && s1 == 0) // Teredo 2001::/32
        || (s0 == 0x2001 && s1 == 0x0db8) // documentation 2001:db8::/32
        || (s0 == 0x0100 && [s1, s2, s3] == [0, 0, 0]) // discard 100::/64
}

/// Checks the shape of a client id URL: absolute, `https` (or `http` when allowed), a host, a
/// path other than `/`, no fragment, credentials or dot segments, at most 2048 bytes, and
/// written in normalised form (so the document's `client_id` compares as a plain string).
fn parse_url(id: &str, allow_http: bool) -> Result<url::Url> {
    let bad = |why: &str| {
        refused(
            Reason::ClientMetadataUrlInvalid,
            format!("client id {}: {why}", quote(id)),
        )
    };
    if id.len() > MAX_URL {
        return Err(bad("longer than 2048 bytes"));
    }
    let url = url::Url::parse(id).map_err(|e| bad(&format!("not a URL ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        _ => return Err(bad("a client metadata document URL must use `https`")),
    }
    if url.host().is_none() {
        return Err(bad("no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("a URL client id carries no credentials"));
    }
    if url.fragment().is_some() {
        return Err(bad("a URL client id has no fragment"));
    }
    if url.path() == "/" || url.path().is_empty() {
        return Err(bad("a URL client id needs a path"));
    }
    let path = id
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').and_then(|i| rest.get(i..)))
        .unwrap_or("");
    let path = path.split(['?', '#']).next().unwrap_or("");
    if path.split('/').any(|seg| {
        let seg = seg.to_ascii_lowercase();
        matches!(
            seg.as_str(),
            "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e."
        )
    }) {
        return Err(bad("a URL client id has no `.` or `..` path segments"));
    }
    if url.as_str() != id {
        return Err(bad(&format!(
            "not in normalised form (write it as {})",
            quote(url.as_str())
        )));
    }
    Ok(url)
}

/// The cache lifetime a `Cache-Control` header asks for, within the bounds.
fn ttl_of(headers: &reqwest::header::HeaderMap) -> Duration {
    let Some(cc) = headers
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
    else {
        return DEFAULT_TTL;
    };
    let mut ttl = None;
    for directive in cc.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return MIN_TTL;
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            ttl = v
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    ttl.map_or(DEFAULT_TTL, |t| t.clamp(MIN_TTL, MAX_TTL))
}

impl Documents {
    /// The resolver of `cfg`, when enabled.
    pub(crate) fn new(cfg: Option<&ClientMetadataDocumentsConfig>) -> Option<Self> {
        let cfg = cfg.filter(|c| c.enabled)?;
        Some(Self {
            ceiling: cfg.scope_ceiling.clone(),
            tenant: cfg
                .tenant
                .clone()
                .unwrap_or_else(|| DEFAULT_TENANT.to_owned()),
            allowed_private: cfg
                .allow_private_addresses
                .iter()
                .filter_map(|r| r.parse().ok())
                .collect(),
            allow_http: cfg.danger_allow_http,
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn cached(&self, id: &str) -> Option<ClientRecord> {
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .get(id)
            .filter(|c| c.until > Instant::now())
            .map(|c| c.client.clone())
    }

    fn remember(&self, id: &str, client: ClientRecord, ttl: Duration) {
        let now = Instant::now();
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= MAX_CACHED && !cache.contains_key(id) {
            cache.retain(|_, c| c.until > now);
            if cache.len() >= MAX_CACHED
                && let Some(oldest) = cache
                    .iter()
                    .min_by_key(|(_, c)| c.until)
                    .map(|(k, _)| k.clone())
            {
                cache.remove(&oldest);
            }
        }
        cache.insert(
            id.to_owned(),
            Cached {
                client,
                until: now + ttl,
            },
        );
    }

    /// The public client a URL client id names: from the cache, or fetched and checked.
    pub(crate) async fn resolve(&self, id: &str) -> Result<ClientRecord> {
        let url = parse_url(id, self.allow_http)?;
        if let Some(c) = self.cached(id) {
            return Ok(c);
        }
        let (client, ttl) = tokio::time::timeout(FETCH_TIMEOUT, self.fetch(id, &url))
            .await
            .map_err(|_| {
                refused(
                    Reason::ClientMetadataUnavailable,
                    format!(
                        "the client metadata document at {} did not arrive within {} s",
                        quote(id),
                        FETCH_TIMEOUT.as_secs()
                    ),
                )
            })??;
        self.remember(id, client.clone(), ttl);
        Ok(client)
    }

    /// The addresses `url`'s host resolves to, every one of them allowed.
    async fn addresses(&self, id: &str, url: &url::Url) -> Result<Vec<SocketAddr>> {
        let unavailable = |why: String| {
            refused(
                Reason::ClientMetadataUnavailable,
                format!("client metadata document {}: {why}", quote(id)),
            )
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| unavailable("no port".to_owned()))?;
        let addrs: Vec<SocketAddr> = match url.host() {
            Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
            Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
            Some(url::Host::Domain(d)) => tokio::net::lookup_host((d, port))
                .await
                .map_err(|e| unavailable(format!("its host does not resolve ({e})")))?
                .collect(),
            None => return Err(unavailable("no host".to_owned())),
        };
        if addrs.is_empty() {
            return Err(unavailable("its host has no address".to_owned()));
        }
        let http = url.scheme() == "http";
        for a in &addrs {
            let listed = self.allowed_private.iter().any(|r| r.contains(a.ip()));
            // An `http` document is fetched only from an allowlisted (test) address.
            if (internal_address(a.ip()) || http) && !listed {
                tracing::info!(client_id = %quote(id), address = %a.ip(), "client metadata document refused: internal address");
                return Err(refused(
                    Reason::ClientMetadataAddressRefused,
                    format!(
                        "client metadata document {}: its host resolves to {}, an address this server does not fetch from",
                        quote(id),
                        a.ip()
                    ),
                ));
            }
        }
        Ok(addrs)
    }

    async fn fetch(&self, id: &str, url: &url::Url) -> Result<(ClientRecord, Duration)> {
        let unavailable = |why: String| {
            refused(
                Reason::ClientMetadataUnavailable,
                format!("client metadata document {}: {why}", quote(id)),
            )
        };
        let addrs = self.addresses(id, url).await?;
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(FETCH_TIMEOUT)
            .timeout(FETCH_TIMEOUT)
            .https_only(url.scheme() == "https")
            .user_agent(concat!("oauth4os/", env!("CARGO_PKG_VERSION")));
        // Connect to the addresses just checked: no second resolution to rebind.
        if let Some(url::Host::Domain(d)) = url.host() {
            builder = builder.resolve_to_addrs(d, &addrs);
        }
        let http = builder.build().map_err(|e| {
            Error::new(
                Reason::HttpClient,
                format!("cannot build the HTTP client: {e}"),
            )
        })?;
        let mut resp = http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unavailable(format!("the request failed ({})", e.without_url())))?;
        let status = resp.status();
        if status.is_redirection() {
            return Err(unavailable(format!(
                "answered a redirect ({}), which is not followed",
                status.as_u16()
            )));
        }
        if status != reqwest::StatusCode::OK {
            return Err(unavailable(format!("answered HTTP {}", status.as_u16())));
        }
        let too_large = || {
            refused(
                Reason::ClientMetadataTooLarge,
                format!(
                    "client metadata document {} is larger than {MAX_DOCUMENT} bytes",
                    quote(id)
                ),
            )
        };
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_DOCUMENT as u64)
        {
            return Err(too_large());
        }
        let ttl = ttl_of(resp.headers());
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| unavailable(format!("the body could not be read ({})", e.without_url())))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let client = self.client_of(id, &body)?;
        Ok((client, ttl))
    }

    /// Checks a document and makes its public client.
    fn client_of(&self, id: &str, body: &[u8]) -> Result<ClientRecord> {
        let invalid = |why: String| {
            refused(
                Reason::ClientMetadataInvalid,
                format!("client metadata document {}: {why}", quote(id)),
            )
        };
        let doc: Document = serde_json::from_slice(body).map_err(|e| {
            invalid(format!(
                "not a JSON client metadata object ({})",
                oauth4os_core::error::describe_json_error(&e)
            ))
        })?;
        if doc.client_id != id {
            return Err(refused(
                Reason::ClientMetadataIdMismatch,
                format!(
                    "the client metadata document at {} names `client_id` {}; it must be the URL itself",
                    quote(id),
                    quote(&doc.client_id)
                ),
            ));
        }
        if doc.client_secret.is_some() {
            return Err(invalid(
                "it has a `client_secret`; such clients are public".to_owned(),
            ));
        }
        // A document has no secret: absent is taken as `none`.
        if let Some(m) = doc.token_endpoint_auth_method.as_deref()
            && m != "none"
        {
            return Err(invalid(format!(
                "`token_endpoint_auth_method` {} is not supported; only public clients (`none`) are named by a URL",
                quote(m)
            )));
        }
        let names = if doc.grant_types.is_empty() {
            vec!["authorization_code".to_owned()]
        } else {
            doc.grant_types.clone()
        };
        let mut grants = Vec::new();
        for g in &names {
            match g.as_str() {
                "authorization_code" => grants.push(GrantType::AuthorizationCode),
                "refresh_token" => grants.push(GrantType::RefreshToken),
                other => {
                    return Err(invalid(format!(
                        "grant type {} is not allowed (only `authorization_code` and `refresh_token`)",
                        quote(other)
                    )));
                }
            }
        }
        grants.sort();
        grants.dedup();
        if !grants.contains(&GrantType::AuthorizationCode) {
            return Err(invalid(
                "it needs the `authorization_code` grant".to_owned(),
            ));
        }
        if let Some(t) = doc.response_types.iter().find(|t| *t != "code") {
            return Err(invalid(format!(
                "response type {} is not supported (only `code`)",
                quote(t)
            )));
        }
        validate_redirect_uris(&doc.redirect_uris, &grants, "redirect_uris")
            .map_err(|e| invalid(e.message))?;
        let scopes = match doc.scope.as_deref().map(str::trim) {
            None | Some("") => self.ceiling.clone(),
            Some(asked) => ScopeSet::parse_claim(asked).intersection(&self.ceiling),
        };
        if scopes.is_empty() {
            return Err(invalid(format!(
                "no scope it asks for is within what such clients may have ({})",
                quote(&self.ceiling.to_string())
            )));
        }
        Ok(ClientRecord {
            id: id.to_owned(),
            secret_hash: String::new(),
            scopes,
            grant_types: grants,
            tenant: self.tenant.clone(),
            access_token_ttl: None,
            source: ClientSource::Api,
            redirect_uris: doc.redirect_uris,
            rate_limit: None,
            constraints: ClientConstraints {
                auth_method: AuthMethod::None,
                ..ClientConstraints::default()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_v4_and_v6() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:0a00:0001::1",
            "2001:0:4136:e378::1",
            "2001:db8::1",
            "fec0::1",
        ] {
            assert!(internal_address(ip.parse().unwrap()), "{ip} is internal");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            assert!(!internal_address(ip.parse().unwrap()), "{ip} is public");
        }
    }

    #[test]
    fn client_id_urls_have_a_strict_shape() {
        assert!(parse_url("https://app.example/oauth/client.json", false).is_ok());
        assert!(parse_url("http://127.0.0.1:5/c.json", true).is_ok());
        for bad in [
            "http://app.example/client.json",
            "https://app.example",
            "https://app.example/",
            "https://user:pw@app.example/c.json",
            "https://app.example/c.json#x",
            "https://app.example/a/../c.json",
            "https://app.example/a/./c.json",
            "https://app.example/a/%2e%2e/c.json",
            "https://APP.example/c.json",
            "https://app.example:443/c.json",
            "ftp://app.example/c.json",
            "https:///c.json",
        ] {
            let e = parse_url(bad, false).unwrap_err();
            assert_eq!(e.reason, Reason::ClientMetadataUrlInvalid, "{bad}");
        }
    }

    #[test]
    fn cache_lifetimes_stay_within_bounds() {
        let h = |v: &str| {
            let mut m = reqwest::header::HeaderMap::new();
            m.insert(reqwest::header::CACHE_CONTROL, v.parse().unwrap());
            ttl_of(&m)
        };
        assert_eq!(ttl_of(&reqwest::header::HeaderMap::new()), DEFAULT_TTL);
        assert_eq!(h("public, max-age=600"), Duration::from_secs(600));
        assert_eq!(h("max-age=0"), MIN_TTL);
        assert_eq!(h("max-age=99999999"), MAX_TTL);
        assert_eq!(h("no-store"), MIN_TTL);
        assert_eq!(h("max-age=nonsense"), DEFAULT_TTL);
    }
}
