//! Client authentication (RFC 6749 §2.3.1): HTTP Basic (`client_secret_basic`, id and secret
//! form-encoded before base64) or form parameters (`client_secret_post`), never both; or, for
//! a client registered for it, the TLS client certificate of the connection with only
//! `client_id` in the form (RFC 8705 §2: `tls_client_auth`, `self_signed_tls_client_auth`).
//! Here too: the client's IP allowlist, checked at issuance and, from a cache, on every use.

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use oauth4os_core::Reason;
use oauth4os_core::Secret;
use oauth4os_core::error::quote;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use rustls_pki_types::{CertificateDer, UnixTime};
use tokio_rustls::rustls::server::danger::ClientCertVerifier;

use super::{AuthServer, DEFAULT_TENANT};
use crate::services::certificate::{DistinguishedName, has_dns_name};
use crate::services::forwarded::{Cidr, ClientCertificate, Origin, allowed};
use crate::services::secrets::{MAX_SECRET_LEN, SecretVerifier, Throttled};
use crate::services::store::{AuthMethod, ClientRecord};
use crate::services::web::error::{OAuthError, OAuthResult};
use crate::services::web::form::{Form, form_decode};

/// Presented client credentials. `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The client id.
    pub id: String,
    /// The secret.
    pub secret: Secret,
}

fn bad_basic() -> OAuthError {
    OAuthError::new(
        Reason::BadClientAuth,
        "the `Authorization` header is not valid HTTP Basic credentials",
    )
}

fn parse_basic(value: &str) -> OAuthResult<Credentials> {
    let (scheme, rest) = value.split_once(' ').ok_or_else(bad_basic)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::new(
            Reason::BadClientAuth,
            "client authentication uses HTTP Basic or form parameters, not this scheme",
        ));
    }
    let b64 = rest.trim();
    let raw = STANDARD
        .decode(b64)
        .or_else(|_| STANDARD_NO_PAD.decode(b64))
        .map_err(|_| bad_basic())?;
    let text = String::from_utf8(raw).map_err(|_| bad_basic())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad_basic)?;
    let (Some(id), Some(secret)) = (form_decode(id), form_decode(secret)) else {
        return Err(bad_basic());
    };
    Ok(Credentials {
        id,
        secret: Secret::new(secret),
    })
}

/// The credentials of the request, if it carries any.
pub fn presented(headers: &HeaderMap, form: &Form) -> OAuthResult<Option<Credentials>> {
    let mut auth = headers.get_all(header::AUTHORIZATION).iter();
    let basic = match (auth.next(), auth.next()) {
        (None, _) => None,
        (Some(v), None) => Some(parse_basic(v.to_str().map_err(|_| bad_basic())?)?),
        (Some(_), Some(_)) => {
            return Err(OAuthError::new(
                Reason::AmbiguousClientAuth,
                "the request has more than one `Authorization` header",
            ));
        }
    };
    let (form_id, form_secret) = (form.get("client_id"), form.get("client_secret"));
    let creds = match (basic, form_id, form_secret) {
        (Some(_), _, Some(_)) => {
            return Err(OAuthError::new(
                Reason::AmbiguousClientAuth,
                "the client authenticated twice: use HTTP Basic or form credentials, not both",
            ));
        }
        (Some(b), Some(id), None) if id != b.id => {
            return Err(OAuthError::new(
                Reason::AmbiguousClientAuth,
                "the `client_id` parameter differs from the HTTP Basic client id",
            ));
        }
        (Some(b), _, None) => Some(b),
        (None, Some(id), Some(secret)) => Some(Credentials {
            id: id.to_owned(),
            secret: Secret::new(secret),
        }),
        (None, None, Some(_)) => {
            return Err(OAuthError::new(
                Reason::AmbiguousClientAuth,
                "the request has a `client_secret` but no `client_id`",
            ));
        }
        (None, Some(_), None) => {
            return Err(OAuthError::new(
                Reason::BadClientAuth,
                "the client is unknown or must authenticate (HTTP Basic, `client_secret` or a TLS client certificate)",
            ));
        }
        (None, None, None) => None,
    };
    Ok(creds)
}

/// Where the request comes from: the client's address (behind `trusted_proxies`, from
/// `X-Forwarded-For`) and the TLS client certificate of its connection, when the listener
/// recorded them (tests that call the router directly have neither: they share one limit).
#[derive(Debug, Clone, Default)]
pub(crate) struct Peer {
    /// The client's address.
    pub ip: Option<IpAddr>,
    /// The connection's TLS client certificate.
    pub certificate: Option<Arc<ClientCertificate>>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self {
            ip: parts
                .extensions
                .get::<crate::services::forwarded::Origin>()
                .map(|o| o.client),
            certificate: parts.extensions.get::<Arc<ClientCertificate>>().cloned(),
        })
    }
}

/// Client authentication's own state: the secret checks (with their cache and throttle), the
/// admin client, which is configured, never stored, the CA of `tls_client_auth` clients, and
/// the clients' IP allowlists for the resource side.
#[derive(Debug)]
pub(crate) struct ClientAuth {
    pub(crate) secrets: SecretVerifier,
    /// The admin client, when one is configured.
    pub(crate) admin: Option<ClientRecord>,
    /// Verifies `tls_client_auth` certificate chains against `tls_client_ca_pem`.
    pub(crate) client_ca: Option<Arc<dyn ClientCertVerifier>>,
    /// The non-empty `allowed_ips` of clients, by client id.
    pub(crate) allowlists: RwLock<HashMap<String, Arc<[Cidr]>>>,
}

/// Builds the verifier of `tls_client_auth` chains from a PEM file of CA certificates.
pub(crate) fn client_ca(
    path: &std::path::Path,
) -> oauth4os_core::Result<Arc<dyn ClientCertVerifier>> {
    use rustls_pki_types::pem::PemObject as _;
    let bad = |why: String| {
        oauth4os_core::Error::new(
            Reason::InvalidTlsClientAuth,
            format!(
                "`tls_client_ca_pem` {}: {why}",
                quote(&path.display().to_string())
            ),
        )
    };
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))? {
        roots
            .add(cert.map_err(|e| bad(e.to_string()))?)
            .map_err(|e| bad(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(bad("no certificate in the file".to_owned()));
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    tokio_rustls::rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider,
    )
    .build()
    .map(|v| v as Arc<dyn ClientCertVerifier>)
    .map_err(|e| bad(e.to_string()))
}

/// The request's client id when it presents no secret: no `Authorization` header, a
/// `client_id` and no `client_secret` in the form — a TLS client certificate client, or a
/// public client.
fn secretless_client_id<'a>(headers: &HeaderMap, form: &'a Form) -> Option<&'a str> {
    if headers.contains_key(header::AUTHORIZATION) || form.get("client_secret").is_some() {
        return None;
    }
    form.get("client_id")
}

fn certificate_refused(id: &str, why: &str) -> OAuthError {
    tracing::info!(client_id = %quote(id), why, "TLS client authentication failed");
    OAuthError::new(
        Reason::ClientCertificateRefused,
        "the TLS client certificate does not match the client's registration",
    )
}

impl AuthServer {
    /// Checks credentials: an unknown client and a wrong secret get the same answer, after the
    /// same work.
    pub(crate) async fn authenticate(
        &self,
        creds: &Credentials,
        peer: Option<std::net::IpAddr>,
    ) -> OAuthResult<ClientRecord> {
        let failed = || OAuthError::new(Reason::ClientAuthFailed, "client authentication failed");
        let secret = creds.secret.expose();
        if secret.len() > MAX_SECRET_LEN || creds.id.len() > 1024 {
            return Err(failed());
        }
        let client = match self.admin_client(&creds.id) {
            Some(admin) => Some(admin.clone()),
            None => self.store.client(&creds.id).await?,
        };
        let stored = client.as_ref().map(|c| c.secret_hash.as_str());
        let verified = self
            .clients
            .secrets
            .verify(&creds.id, stored, secret, peer)
            .await;
        let verified = verified.map_err(|Throttled(secs)| {
            tracing::info!(client_id = %quote(&creds.id), "client authentication throttled: too many slow secret checks from one address");
            OAuthError::rate_limited(secs)
        })?;
        // Only a client that authenticates with a secret has one to present.
        if verified
            && let Some(client) = &client
            && client.constraints.auth_method.uses_secret()
        {
            return Ok(client.clone());
        }
        tracing::info!(client_id = %quote(&creds.id), "client authentication failed");
        if client.is_some_and(|c| c.constraints.auth_method.is_public()) {
            return Err(OAuthError::new(
                Reason::PublicClientSecret,
                "this is a public client: it has no secret; send only `client_id` (and use PKCE)",
            ));
        }
        Err(failed())
    }

    /// Identifies a client that presents no secret: a public client by its `client_id` alone
    /// (when `public` allows it here), or a client by the TLS certificate of the connection
    /// (RFC 8705 §2). A client registered for neither, and an unknown id, get one answer.
    async fn authenticate_secretless(
        &self,
        id: &str,
        peer: &Peer,
        public: bool,
    ) -> OAuthResult<ClientRecord> {
        let client = match self.admin_client(id) {
            Some(_) => None,
            None if id.len() > 2048 => None,
            None => self.find_client(id).await?,
        };
        if let Some(c) = client
            .as_ref()
            .filter(|c| c.constraints.auth_method.is_public())
        {
            if public {
                return Ok(c.clone());
            }
            return Err(OAuthError::new(
                Reason::PublicClientRefused,
                "a public client cannot authenticate here: it has no secret",
            ));
        }
        let Some(client) = client.filter(|c| c.constraints.auth_method.uses_certificate()) else {
            return Err(OAuthError::new(
                Reason::BadClientAuth,
                "the client is unknown or must authenticate (HTTP Basic, `client_secret` or a TLS client certificate)",
            ));
        };
        let Some(certificate) = &peer.certificate else {
            return Err(OAuthError::new(
                Reason::ClientCertificateRequired,
                format!(
                    "client {} authenticates with a TLS client certificate; the connection presented none",
                    quote(id)
                ),
            ));
        };
        let c = &client.constraints;
        let Some(leaf) = certificate.leaf() else {
            return Err(certificate_refused(id, "empty chain"));
        };
        match c.auth_method {
            AuthMethod::ClientSecret | AuthMethod::None => {
                return Err(certificate_refused(id, "secret client"));
            }
            AuthMethod::SelfSignedTlsClientAuth => {
                if !c.thumbprints.iter().any(|t| *t == certificate.thumbprint) {
                    return Err(certificate_refused(id, "not a registered certificate"));
                }
            }
            AuthMethod::TlsClientAuth => {
                let Some(ca) = &self.clients.client_ca else {
                    return Err(certificate_refused(
                        id,
                        "no `tls_client_ca_pem` is configured",
                    ));
                };
                let intermediates = certificate.chain.get(1..).unwrap_or(&[]);
                if ca
                    .verify_client_cert(leaf, intermediates, UnixTime::now())
                    .is_err()
                {
                    return Err(certificate_refused(id, "the chain does not verify"));
                }
                if let Some(dn) = &c.subject_dn {
                    let expected = dn.parse::<DistinguishedName>().ok();
                    let actual = DistinguishedName::of_certificate(leaf);
                    if expected.is_none() || expected != actual {
                        return Err(certificate_refused(id, "subject DN"));
                    }
                }
                if let Some(name) = &c.san_dns
                    && !has_dns_name(leaf, name)
                {
                    return Err(certificate_refused(id, "DNS subject alternative name"));
                }
            }
        }
        Ok(client)
    }

    /// Refuses a client whose `allowed_ips` do not hold the request's address (an unknown
    /// address included): at issuance, before any token is made.
    pub(crate) fn check_client_address(
        &self,
        client: &ClientRecord,
        ip: Option<IpAddr>,
    ) -> OAuthResult<()> {
        if client.constraints.allowed_ips.is_empty() {
            return Ok(());
        }
        let ranges = client.constraints.allowed_ranges();
        match ip {
            Some(ip) if allowed(&ranges, ip) => Ok(()),
            _ => {
                tracing::info!(client_id = %client.id, ip = ?ip, "token refused: address not in the client's allowlist");
                Err(OAuthError::new(
                    Reason::IpNotAllowed,
                    "the client may not obtain tokens from this address",
                ))
            }
        }
    }

    /// Refuses a token of this server used from an address outside its client's
    /// `allowed_ips` (403 `ip_not_allowed`); tokens of other issuers (`tenant` other than
    /// the default) and of clients without an allowlist pass. One map lookup.
    pub fn check_client_origin(
        &self,
        claims: &oauth4os_core::Claims,
        tenant: &str,
        origin: Option<&Origin>,
    ) -> oauth4os_core::Result<()> {
        if tenant != DEFAULT_TENANT {
            return Ok(());
        }
        let Some(client_id) = claims.client_id.as_deref() else {
            return Ok(());
        };
        let ranges = {
            let lists = self
                .clients
                .allowlists
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match lists.get(client_id) {
                None => return Ok(()),
                Some(r) => r.clone(),
            }
        };
        match origin {
            Some(o) if allowed(&ranges, o.client) => Ok(()),
            _ => Err(oauth4os_core::Error::new(
                Reason::IpNotAllowed,
                "the token's client may not use it from this address",
            )),
        }
    }

    /// Remembers (or forgets, when empty) a client's allowlist for [`Self::check_client_origin`].
    pub(crate) fn remember_allowlist(&self, client: &ClientRecord) {
        let mut lists = self
            .clients
            .allowlists
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if client.constraints.allowed_ips.is_empty() {
            lists.remove(&client.id);
        } else {
            lists.insert(
                client.id.clone(),
                client.constraints.allowed_ranges().into(),
            );
        }
    }

    /// The authenticated client; a request without credentials, and a public client, are
    /// `invalid_client` (introspection).
    pub(crate) async fn require_client(
        &self,
        headers: &HeaderMap,
        form: &Form,
        peer: &Peer,
    ) -> OAuthResult<ClientRecord> {
        self.identify_client(headers, form, peer, false).await
    }

    /// The client of a token request: authenticated, or a public client named by `client_id`
    /// alone (RFC 6749 §3.2.1).
    pub(crate) async fn token_client(
        &self,
        headers: &HeaderMap,
        form: &Form,
        peer: &Peer,
    ) -> OAuthResult<ClientRecord> {
        self.identify_client(headers, form, peer, true).await
    }

    async fn identify_client(
        &self,
        headers: &HeaderMap,
        form: &Form,
        peer: &Peer,
        public: bool,
    ) -> OAuthResult<ClientRecord> {
        if let Some(id) = secretless_client_id(headers, form) {
            return self.authenticate_secretless(id, peer, public).await;
        }
        match presented(headers, form)? {
            Some(creds) => self.authenticate(&creds, peer.ip).await,
            None => Err(OAuthError::new(
                Reason::BadClientAuth,
                "client authentication is required (HTTP Basic or `client_id` and `client_secret`)",
            )),
        }
    }

    /// The client when the request names one (credentials, which must be valid, or a public
    /// client's `client_id`): revocation, which RFC 7009 §5 opens to public clients.
    pub(crate) async fn optional_client(
        &self,
        headers: &HeaderMap,
        form: &Form,
        peer: &Peer,
    ) -> OAuthResult<Option<ClientRecord>> {
        if let Some(id) = secretless_client_id(headers, form) {
            return self.authenticate_secretless(id, peer, true).await.map(Some);
        }
        match presented(headers, form)? {
            Some(creds) => self.authenticate(&creds, peer.ip).await.map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth4os_core::http::basic_auth as basic;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let c = parse_basic(&basic("my:client", "p@ss w+rd%")).unwrap();
        assert_eq!(c.id, "my:client");
        assert_eq!(c.secret.expose(), "p@ss w+rd%");
        assert!(!format!("{c:?}").contains("p@ss"));
        for bad in ["Basic", "Basic !!!", "Basic Zm9v", "Bearer abc"] {
            assert_eq!(
                parse_basic(bad).unwrap_err().0.code.as_str(),
                "invalid_client",
                "{bad}"
            );
        }
    }
}
