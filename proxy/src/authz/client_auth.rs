//! Client authentication (RFC 6749 §2.3.1): HTTP Basic (`client_secret_basic`, id and secret
//! form-encoded before base64) or form parameters (`client_secret_post`), never both.

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use oauth4os_core::Reason;
use oauth4os_core::Secret;
use oauth4os_core::error::quote;

use super::AuthServer;
use crate::services::secrets::{MAX_SECRET_LEN, SecretVerifier, Throttled};
use crate::services::store::ClientRecord;
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
                "public clients are not supported: authenticate with the client secret",
            ));
        }
        (None, None, None) => None,
    };
    Ok(creds)
}

/// The client's address (behind `trusted_proxies`, from `X-Forwarded-For`), when the listener
/// recorded it (tests that call the router directly have none: they share one limit).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<crate::services::forwarded::Origin>()
                .map(|o| o.client),
        ))
    }
}

/// Client authentication's own state: the secret checks (with their cache and throttle) and
/// the admin client, which is configured, never stored.
#[derive(Debug)]
pub(crate) struct ClientAuth {
    pub(crate) secrets: SecretVerifier,
    /// The admin client, when one is configured.
    pub(crate) admin: Option<ClientRecord>,
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
        if verified && let Some(client) = client {
            return Ok(client);
        }
        tracing::info!(client_id = %quote(&creds.id), "client authentication failed");
        Err(failed())
    }

    /// The authenticated client; a request without credentials is `invalid_client`.
    pub(crate) async fn require_client(
        &self,
        headers: &HeaderMap,
        form: &Form,
        peer: Option<std::net::IpAddr>,
    ) -> OAuthResult<ClientRecord> {
        match presented(headers, form)? {
            Some(creds) => self.authenticate(&creds, peer).await,
            None => Err(OAuthError::new(
                Reason::BadClientAuth,
                "client authentication is required (HTTP Basic or `client_id` and `client_secret`)",
            )),
        }
    }

    /// The authenticated client when the request carries credentials, which must be valid.
    pub(crate) async fn optional_client(
        &self,
        headers: &HeaderMap,
        form: &Form,
        peer: Option<std::net::IpAddr>,
    ) -> OAuthResult<Option<ClientRecord>> {
        match presented(headers, form)? {
            Some(creds) => self.authenticate(&creds, peer).await.map(Some),
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
