//! Where a request comes from. The TCP peer, unless it is one of the configured
//! `trusted_proxies` (a load balancer in front of the proxy): then the client is the last
//! address of its `X-Forwarded-For` chain that is not itself trusted. A chain from anyone else
//! is ignored, so a client cannot choose the address it is limited or logged by.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::{HeaderMap, header::HeaderName};

/// An address range, `10.0.0.0/8`, `2001:db8::/32`, or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not an address or an address range"))?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0 to {max}"))?,
        };
        Ok(Self { addr, prefix })
    }
}

impl Cidr {
    /// A range no request comes from (`0.0.0.0/32`), for failing closed.
    pub const NOWHERE: Self = Self {
        addr: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        prefix: 32,
    };

    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Whether `ip` is in one of `ranges`; an empty list allows every address.
pub fn allowed(ranges: &[Cidr], ip: IpAddr) -> bool {
    ranges.is_empty() || ranges.iter().any(|r| r.contains(ip))
}

/// The TLS client certificate of the request's connection (RFC 8705), set by the listener
/// after the handshake proved possession of its key. Checked by the authorization server
/// (client authentication) and the resource side (certificate-bound tokens).
#[derive(Debug)]
pub struct ClientCertificate {
    /// The chain as the client sent it, end-entity certificate first (DER).
    pub chain: Vec<rustls_pki_types::CertificateDer<'static>>,
    /// The base64url (unpadded) SHA-256 of the end-entity certificate's DER: `x5t#S256`.
    pub thumbprint: String,
}

impl ClientCertificate {
    /// The certificate of a connection, from its chain; `None` for an empty chain.
    pub fn from_chain(chain: Vec<rustls_pki_types::CertificateDer<'static>>) -> Option<Self> {
        use base64::Engine as _;
        let leaf = chain.first()?;
        let thumbprint = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(crate::services::secrets::sha256(leaf.as_ref()));
        Some(Self { chain, thumbprint })
    }

    /// The end-entity certificate.
    pub fn leaf(&self) -> Option<&rustls_pki_types::CertificateDer<'static>> {
        self.chain.first()
    }
}

/// The thumbprint of the request's client certificate, if its connection presented one.
pub fn certificate_thumbprint(extensions: &axum::http::Extensions) -> Option<&str> {
    extensions
        .get::<std::sync::Arc<ClientCertificate>>()
        .map(|c| c.thumbprint.as_str())
}

/// Where a request comes from, as the proxy acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The client's address: rate limits of secret checks, `X-Forwarded-For`.
    pub client: IpAddr,
    /// The `X-Forwarded-For` value to send to OpenSearch: the trusted chain, then the peer.
    pub forwarded_for: String,
}

/// The configured `trusted_proxies`.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Cidr>);

/// One address of an `X-Forwarded-For` chain; some proxies add the port.
fn chain_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<std::net::SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

impl TrustedProxies {
    /// The ranges, parsed.
    pub fn new(ranges: Vec<Cidr>) -> Self {
        Self(ranges)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// Where a request from `peer` with these headers comes from. Without trusted proxies,
    /// or from a peer that is not one, the client is the peer and any chain it sent is
    /// dropped; a malformed chain from a trusted proxy is dropped too.
    pub fn origin(&self, peer: IpAddr, headers: &HeaderMap) -> Origin {
        let peer = peer.to_canonical();
        let alone = || Origin {
            client: peer,
            forwarded_for: peer.to_string(),
        };
        if self.0.is_empty() || !self.trusts(peer) {
            return alone();
        }
        let xff = HeaderName::from_static("x-forwarded-for");
        let mut chain = Vec::new();
        for value in headers.get_all(&xff) {
            let Ok(value) = value.to_str() else {
                return alone();
            };
            for entry in value.split(',') {
                match chain_address(entry) {
                    Some(ip) => chain.push(ip),
                    None => return alone(),
                }
            }
        }
        let client = chain
            .iter()
            .rev()
            .find(|ip| !self.trusts(**ip))
            .or(chain.first())
            .copied()
            .unwrap_or(peer);
        let mut forwarded_for: Vec<String> = chain.iter().map(ToString::to_string).collect();
        forwarded_for.push(peer.to_string());
        Origin {
            client,
            forwarded_for: forwarded_for.join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn ranges_parse_and_match() {
        let net: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains(ip("10.200.3.4")));
        assert!(
            net.contains(ip("::ffff:10.1.1.1")),
            "IPv4-mapped counts as IPv4"
        );
        assert!(!net.contains(ip("11.0.0.1")));
        assert!(!net.contains(ip("::1")));
        let one: Cidr = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.1")));
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "lb.internal",
            "10.0.0.0/x",
            "",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_a_trusted_peer_s_chain_is_believed() {
        let t = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        // From the load balancer: the last untrusted address of the chain is the client, and
        // a forged first entry does not change that.
        let o = t.origin(ip("10.0.0.1"), &xff(&["6.6.6.6, 203.0.113.9", "10.0.0.2"]));
        assert_eq!(o.client, ip("203.0.113.9"));
        assert_eq!(o.forwarded_for, "6.6.6.6, 203.0.113.9, 10.0.0.2, 10.0.0.1");
        // Ports are allowed in the chain.
        let o = t.origin(
            ip("10.0.0.1"),
            &xff(&["203.0.113.9:4711, [2001:db8::5]:80"]),
        );
        assert_eq!(o.client, ip("2001:db8::5"));
        // Only trusted hops: the first of them.
        let o = t.origin(ip("10.0.0.1"), &xff(&["10.9.9.9"]));
        assert_eq!(o.client, ip("10.9.9.9"));
        // No chain: the peer.
        assert_eq!(
            t.origin(ip("10.0.0.1"), &HeaderMap::new()).client,
            ip("10.0.0.1")
        );
        // A malformed chain is not believed at all.
        let o = t.origin(ip("10.0.0.1"), &xff(&["203.0.113.9, not-an-ip"]));
        assert_eq!(o.client, ip("10.0.0.1"));
        assert_eq!(o.forwarded_for, "10.0.0.1");
        // From anyone else, the chain is ignored and dropped.
        let o = t.origin(ip("198.51.100.4"), &xff(&["203.0.113.9"]));
        assert_eq!(o.client, ip("198.51.100.4"));
        assert_eq!(o.forwarded_for, "198.51.100.4");
        // Without trusted proxies, likewise.
        let none = TrustedProxies::default();
        assert_eq!(
            none.origin(ip("10.0.0.1"), &xff(&["203.0.113.9"])).client,
            ip("10.0.0.1")
        );
    }
}
