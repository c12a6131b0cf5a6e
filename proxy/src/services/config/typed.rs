//! Values parsed while the file is read: a field of the configuration holds the typed value
//! (`Rate`, `ScopeSet`, `GrantType`, `Algorithm`, `Cidr`, …), never its text, so nothing parses
//! it again. A bad value fails deserialization; the error carries its [`Reason`] (tagged into
//! the serde message, read back by [`untag`]) and toml gives it the value's span, so
//! [`super::Loaded`] names the file, line and key.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::marker::PhantomData;

use oauth4os_core::error::quote;
use oauth4os_core::protocol::GrantType;
use oauth4os_core::{Error, Reason};
use serde::de::{self, Deserialize, Deserializer};

/// Separates the reason name from the message in a serde error.
const TAG: char = '\u{1f}';

/// A serde error carrying `reason`.
pub(crate) fn tagged<E: de::Error>(reason: Reason, msg: impl Display) -> E {
    E::custom(format!("{}{TAG}{msg}", reason.as_str()))
}

/// The reason and message of a serde error made by [`tagged`]; `config_invalid` for others.
pub(crate) fn untag(msg: &str) -> (Reason, &str) {
    msg.split_once(TAG)
        .and_then(|(r, m)| Reason::from_wire(r).map(|r| (r, m)))
        .unwrap_or((Reason::ConfigInvalid, msg))
}

/// A value read from a string of the file.
pub(crate) trait FromConfig: Sized {
    /// Parses the text.
    fn from_config(s: &str) -> Result<Self, Error>;
}

/// Deserializes a `T` from its text.
struct Parsed<T>(T);

impl<'de, T: FromConfig> Deserialize<'de> for Parsed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<T>(PhantomData<T>);
        impl<T: FromConfig> de::Visitor<'_> for Visit<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
                T::from_config(s).map_err(|e| tagged(e.reason, e.message))
            }
        }
        d.deserialize_str(Visit(PhantomData)).map(Parsed)
    }
}

/// `#[serde(deserialize_with)]` for a `T`.
pub(crate) fn one<'de, D: Deserializer<'de>, T: FromConfig>(d: D) -> Result<T, D::Error> {
    Parsed::<T>::deserialize(d).map(|p| p.0)
}

/// `#[serde(deserialize_with)]` for an optional `T` (with `#[serde(default)]`).
pub(crate) fn opt<'de, D: Deserializer<'de>, T: FromConfig>(d: D) -> Result<Option<T>, D::Error> {
    Parsed::<T>::deserialize(d).map(|p| Some(p.0))
}

/// `#[serde(deserialize_with)]` for a list of `T`.
pub(crate) fn list<'de, D: Deserializer<'de>, T: FromConfig>(d: D) -> Result<Vec<T>, D::Error> {
    Vec::<Parsed<T>>::deserialize(d).map(|v| v.into_iter().map(|p| p.0).collect())
}

/// `#[serde(deserialize_with)]` for a table of `T`.
pub(crate) fn map<'de, D: Deserializer<'de>, T: FromConfig>(
    d: D,
) -> Result<BTreeMap<String, T>, D::Error> {
    BTreeMap::<String, Parsed<T>>::deserialize(d)
        .map(|m| m.into_iter().map(|(k, p)| (k, p.0)).collect())
}

impl FromConfig for oauth4os_core::ratelimit::Rate {
    fn from_config(s: &str) -> Result<Self, Error> {
        s.parse::<Self>()
            .map_err(|e| Error::new(Reason::InvalidRate, e.message))
    }
}

impl FromConfig for oauth4os_core::ScopeSet {
    fn from_config(s: &str) -> Result<Self, Error> {
        Self::parse(s).map_err(|e| Error::new(Reason::InvalidScopes, e.message))
    }
}

impl FromConfig for oauth4os_core::Scope {
    fn from_config(s: &str) -> Result<Self, Error> {
        Self::parse(s).map_err(|e| Error::new(Reason::InvalidScopes, e.message))
    }
}

impl FromConfig for oauth4os_core::Algorithm {
    fn from_config(s: &str) -> Result<Self, Error> {
        Self::from_jose(s)
    }
}

impl FromConfig for crate::services::forwarded::Cidr {
    fn from_config(s: &str) -> Result<Self, Error> {
        s.parse::<Self>()
            .map_err(|e| Error::new(Reason::ConfigInvalid, e))
    }
}

impl FromConfig for std::net::SocketAddr {
    fn from_config(s: &str) -> Result<Self, Error> {
        s.parse::<Self>().map_err(|_| {
            Error::new(
                Reason::ConfigInvalid,
                format!("{} is not an address such as `0.0.0.0:8443`", quote(s)),
            )
        })
    }
}

/// A grant type by its short name (`token_exchange`) or wire form.
pub(crate) fn parse_grant_type(name: &str) -> Result<GrantType, Error> {
    GrantType::parse_name(name).ok_or_else(|| {
        Error::new(
            Reason::InvalidGrantType,
            format!("{} is not a supported grant type", quote(name)),
        )
        .with_help(
            "supported grant types are `client_credentials`, `refresh_token`, `token_exchange` and `authorization_code`",
        )
    })
}

impl FromConfig for GrantType {
    fn from_config(s: &str) -> Result<Self, Error> {
        parse_grant_type(s)
    }
}

/// An `http://` or `https://` URL with a host (the upstream, the public URL, a tenant issuer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Display for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromConfig for HttpUrl {
    fn from_config(s: &str) -> Result<Self, Error> {
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"));
        match rest {
            Some(r) if !r.is_empty() && !r.starts_with('/') => Ok(Self(s.to_owned())),
            _ => Err(Error::new(
                Reason::ConfigInvalid,
                format!("{} is not an http:// or https:// URL", quote(s)),
            )),
        }
    }
}

/// A tenant name: 1 to 128 characters, no control character.
pub(crate) fn check_tenant(s: &str) -> Result<(), Error> {
    if !s.is_empty() && s.len() <= 128 && !s.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(Error::new(
            Reason::InvalidTenant,
            format!("{} is not a valid tenant", quote(s)),
        ))
    }
}

/// The upstream's base URL: `http` or `https`, with a host, without query or credentials.
#[derive(Debug, Clone)]
pub struct UpstreamUrl {
    uri: axum::http::Uri,
    authority: axum::http::uri::Authority,
    https: bool,
}

impl UpstreamUrl {
    /// The whole URL.
    pub fn uri(&self) -> &axum::http::Uri {
        &self.uri
    }

    /// Its host and port as written.
    pub fn authority(&self) -> &axum::http::uri::Authority {
        &self.authority
    }

    /// Whether it is `https`.
    pub fn is_https(&self) -> bool {
        self.https
    }
}

impl Display for UpstreamUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.uri.fmt(f)
    }
}

impl FromConfig for UpstreamUrl {
    fn from_config(s: &str) -> Result<Self, Error> {
        use axum::http::uri::Scheme;
        // A URL with credentials is never repeated in the message.
        let shown = if s.contains('@') {
            "the upstream URL".to_owned()
        } else {
            quote(s)
        };
        let bad = || {
            Error::new(
                Reason::UpstreamConfig,
                format!("{shown} is not an http:// or https:// URL"),
            )
        };
        let uri: axum::http::Uri = s.parse().map_err(|_| bad())?;
        let https = match uri.scheme() {
            Some(x) if *x == Scheme::HTTPS => true,
            Some(x) if *x == Scheme::HTTP => false,
            _ => return Err(bad()),
        };
        let authority = uri.authority().cloned().ok_or_else(bad)?;
        if authority.host().is_empty() {
            return Err(bad());
        }
        if uri.query().is_some() || authority.as_str().contains('@') {
            return Err(Error::new(
                Reason::UpstreamConfig,
                "the upstream URL cannot have a query or credentials (use `username` and `password_env`)",
            ));
        }
        Ok(Self {
            uri,
            authority,
            https,
        })
    }
}
