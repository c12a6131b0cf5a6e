//! The proxy as an OpenID Connect client of a tenant's provider: it sends users there to sign
//! in for the authorization-code flow, redeems the provider's code (with PKCE) and verifies the
//! ID token (issuer, audience = our client id, nonce) before trusting its `sub`.

use oauth4os_core::Reason;
use std::sync::{Arc, RwLock};

use oauth4os_core::http::{HttpRequest, HttpTransport, basic_auth};
use oauth4os_core::jwks::{ProviderMetadata, discover};
use oauth4os_core::{Error, Secret, Verifier};

use super::AuthServer;

/// The proxy's registration as a client of a tenant's OpenID provider.
pub struct LoginProvider {
    /// The tenant whose clients sign users in here.
    pub tenant: String,
    /// The provider's issuer.
    pub issuer: String,
    /// Our client id at the provider.
    pub client_id: String,
    /// Our client secret there.
    pub client_secret: Secret,
    /// Scopes asked of the provider (`openid` at least).
    pub scopes: String,
    /// Verifies its ID tokens (audience: our client id).
    pub id_tokens: Arc<Verifier>,
    /// HTTP to the provider.
    pub transport: Arc<dyn HttpTransport>,
    metadata: RwLock<Option<Arc<ProviderMetadata>>>,
}

impl std::fmt::Debug for LoginProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginProvider")
            .field("tenant", &self.tenant)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl LoginProvider {
    /// A provider; its metadata is discovered on first use.
    pub fn new(
        tenant: &str,
        issuer: &str,
        client_id: &str,
        client_secret: Secret,
        scopes: &str,
        id_tokens: Arc<Verifier>,
        transport: Arc<dyn HttpTransport>,
    ) -> Self {
        Self {
            tenant: tenant.to_owned(),
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            client_secret,
            scopes: scopes.to_owned(),
            id_tokens,
            transport,
            metadata: RwLock::new(None),
        }
    }

    pub(crate) async fn metadata(&self) -> Result<Arc<ProviderMetadata>, Error> {
        if let Some(m) = self.metadata.read().ok().and_then(|m| m.clone()) {
            return Ok(m);
        }
        let m = Arc::new(discover(self.transport.as_ref(), &self.issuer).await?);
        if let Ok(mut slot) = self.metadata.write() {
            *slot = Some(m.clone());
        }
        Ok(m)
    }

    /// Redeems the provider's code for an ID token and verifies it; the user's `sub`.
    pub(crate) async fn sign_in(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
        callback: &str,
    ) -> Result<String, Error> {
        let meta = self.metadata().await?;
        let endpoint = meta.token_endpoint.as_deref().ok_or_else(|| {
            Error::new(
                Reason::DiscoveryFailed,
                "the provider publishes no token endpoint",
            )
        })?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", callback),
            ("code_verifier", verifier),
        ];
        let basic = basic_auth(&self.client_id, self.client_secret.expose());
        let req = HttpRequest::post_form(endpoint, &form).header("authorization", &basic);
        let resp = self.transport.send(req).await?;
        if resp.status != 200 {
            return Err(Error::new(
                Reason::LoginFailed,
                format!("the provider refused the login code (HTTP {})", resp.status),
            ));
        }
        let body: serde_json::Value = serde_json::from_slice(&resp.body).map_err(|_| {
            Error::new(
                Reason::LoginFailed,
                "the provider's token answer is not JSON",
            )
        })?;
        let id_token = body
            .get("id_token")
            .and_then(|v| v.as_str())
            .ok_or_else(|| Error::new(Reason::LoginFailed, "the provider answered no ID token"))?;
        let claims = self.id_tokens.verify(id_token).await?;
        if claims.extra.get("nonce").and_then(|n| n.as_str()) != Some(nonce) {
            return Err(Error::new(
                Reason::BadNonce,
                "the ID token's nonce does not match",
            ));
        }
        claims
            .sub
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::new(Reason::MissingSub, "the ID token has no `sub`"))
    }
}

impl AuthServer {
    /// Whether users of `tenant` can sign in (the authorization-code flow).
    pub fn has_login(&self, tenant: &str) -> bool {
        self.login_for(tenant).is_some()
    }

    pub(crate) fn login_for(&self, tenant: &str) -> Option<Arc<LoginProvider>> {
        self.federation
            .logins
            .iter()
            .find(|l| l.tenant == tenant)
            .cloned()
    }
}
