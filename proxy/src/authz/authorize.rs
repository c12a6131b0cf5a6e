//! The authorization-code flow: `GET /oauth/authorize` (PKCE S256 only), login delegated to
//! the client's tenant's OpenID provider (the proxy is its OIDC client: `GET /oauth/callback`),
//! a consent page (`POST /oauth/consent`, CSRF-protected, every value HTML-escaped), and the
//! redirect back with the code, `state` and the RFC 9207 `iss`.
//!
//! ```text
//! client ─▶ /oauth/authorize ──302──▶ IdP /authorize (code + PKCE, state = request id, nonce)
//!        user signs in at the IdP ──▶ /oauth/callback: code → IdP token endpoint → ID token
//!        verified (iss, aud = our client id, nonce) ──▶ consent page (skipped when remembered)
//!        ──▶ POST /oauth/consent ──303──▶ redirect_uri?code&state&iss
//! ```
//!
//! Until the redirect URI is known to be the client's (exact match), errors are shown as a
//! page and never redirected. Pending requests live in memory for ten minutes; codes live in
//! the store for one minute and are single use.

use oauth4os_core::Reason;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth4os_core::error::quote;
use oauth4os_core::verify::unix_now;
use oauth4os_core::{Error, ScopeSet};

use super::AuthServer;
use super::login::LoginProvider;
use super::pages::{
    consent_page, cookie_value, error_page, origin_of, redirect, security_headers, with_params,
};
pub use super::pending::{AUTHORIZE_PATH, CALLBACK_PATH, CONSENT_PATH};
pub(crate) use super::pending::{AuthzRequest, PendingSet};
use super::pending::{MAX_USER_AGENT, PENDING_TTL, Pending, Stage};
use super::redirect::redirect_matches;
use crate::services::config::authz::GrantType;
use crate::services::secrets::{random_bytes, sha256};
use crate::services::store::{AuthorizationCode, ClientRecord};
use crate::services::web::form::Form;

/// Lifetime of an authorization code, seconds.
pub(crate) const CODE_TTL: i64 = 60;
const CSRF_COOKIE: &str = "oauth4os_consent";

fn random_token() -> Result<String, Error> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// BASE64URL(SHA-256(verifier)), the S256 transform (RFC 7636 §4.2).
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()))
}

/// RFC 7636 §4.1: 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`.
pub(crate) fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn valid_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

impl AuthServer {
    /// An error answered to the client at its (verified) redirect URI, with `state` and `iss`.
    fn redirect_error(&self, req_uri: &str, state: Option<&str>, error: &Error) -> Response {
        let mut p = vec![
            ("error", error.code.as_str()),
            ("error_description", error.message.as_str()),
        ];
        if let Some(s) = state {
            p.push(("state", s));
        }
        p.push(("iss", &self.cfg.issuer));
        redirect(&with_params(req_uri, &p))
    }

    async fn authorize(
        &self,
        raw: Option<&str>,
        headers: &HeaderMap,
        peer: Option<std::net::IpAddr>,
    ) -> Response {
        let form = match Form::from_encoded(raw.unwrap_or("")) {
            Ok(f) => f,
            Err(e) => return error_page(StatusCode::BAD_REQUEST, &e.0.message),
        };
        // The client and its redirect URI first: until both check out, nothing is redirected.
        let Some(client_id) = form.get("client_id") else {
            return error_page(StatusCode::BAD_REQUEST, "the request has no `client_id`");
        };
        let client = match self.find_client(client_id).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    &format!("unknown client {}", quote(client_id)),
                );
            }
            Err(e) if e.code == oauth4os_core::ErrorCode::InvalidClient => {
                tracing::info!(reason = %e.reason, "authorize: client refused");
                return error_page(StatusCode::BAD_REQUEST, &e.message);
            }
            Err(e) => {
                tracing::error!(error = %e, "authorize: store error");
                return error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the server could not handle the request",
                );
            }
        };
        let redirect_uri = match form.get("redirect_uri") {
            Some(u) if client.redirect_uris.iter().any(|r| redirect_matches(r, u)) => u.to_owned(),
            None if client.redirect_uris.len() == 1 => {
                client.redirect_uris.first().cloned().unwrap_or_default()
            }
            Some(_) => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    "the `redirect_uri` is not one registered for this client (they are compared exactly; only a loopback IP literal's port may differ)",
                );
            }
            None => {
                return error_page(StatusCode::BAD_REQUEST, "the request has no `redirect_uri`");
            }
        };
        let state = form.get("state");
        let fail = |reason: Reason, d: &str| {
            self.redirect_error(&redirect_uri, state, &Error::new(reason, d))
        };
        if form.get("response_type") != Some("code") {
            return fail(
                Reason::UnsupportedResponseType,
                "only `response_type=code` is supported",
            );
        }
        if !client.allows(GrantType::AuthorizationCode) {
            return fail(
                Reason::GrantNotAllowed,
                "this client may not use the authorization code grant",
            );
        }
        if form.get("code_challenge").is_none() {
            let whose = if client.constraints.auth_method.is_public() {
                "a public client must use PKCE"
            } else {
                "this server requires PKCE of every client"
            };
            return fail(
                Reason::PkceRequired,
                &format!(
                    "the request has no `code_challenge`: {whose} (send the S256 of a verifier with `code_challenge_method=S256`)"
                ),
            );
        }
        match form.get("code_challenge_method") {
            Some("S256") => {}
            Some(_) => {
                return fail(
                    Reason::BadPkce,
                    "only the `S256` PKCE method is accepted (`plain` is refused)",
                );
            }
            None => {
                return fail(
                    Reason::BadPkce,
                    "`code_challenge_method` is missing, which means `plain`: send `code_challenge_method=S256`",
                );
            }
        }
        let Some(challenge) = form.get("code_challenge").filter(|c| valid_challenge(c)) else {
            return fail(
                Reason::BadPkce,
                "`code_challenge` must be the 43-character S256 value",
            );
        };
        let asked = form.get("scope").unwrap_or("");
        let scope = if client.constraints.auth_method.is_public() {
            match public_scope(asked, &client.scopes) {
                Ok(s) => s,
                Err(e) => return self.redirect_error(&redirect_uri, state, &e),
            }
        } else {
            let requested = match ScopeSet::parse(asked) {
                Ok(s) => s,
                Err(e) => return self.redirect_error(&redirect_uri, state, &e),
            };
            match ScopeSet::attenuate(&requested, &client.scopes) {
                Ok(s) => s.to_string(),
                Err(e) => return self.redirect_error(&redirect_uri, state, &e),
            }
        };
        let audience = match self.audience(&client, &form) {
            Ok(a) => a,
            Err(e) => return self.redirect_error(&redirect_uri, state, &e.0),
        };
        let Some(login) = self.login_for(&client.tenant) else {
            return fail(
                Reason::NoLoginProvider,
                "no sign-in provider is configured for this client's tenant",
            );
        };
        let req = AuthzRequest {
            client_id: client.id.clone(),
            redirect_uri: redirect_uri.clone(),
            scope,
            state: state.map(str::to_owned),
            code_challenge: challenge.to_owned(),
            audience,
            user_agent: user_agent(headers),
            address: peer.map(|a| a.to_string()),
        };
        match self.start_login(&login, req).await {
            Ok(location) => redirect(&location),
            Err(e) => {
                tracing::warn!(error = %e, "authorize: the sign-in provider is unavailable");
                fail(
                    Reason::LoginUnavailable,
                    "the sign-in provider is unavailable",
                )
            }
        }
    }

    async fn start_login(&self, login: &LoginProvider, req: AuthzRequest) -> Result<String, Error> {
        let meta = login.metadata().await?;
        let endpoint = meta.authorization_endpoint.clone().ok_or_else(|| {
            Error::new(
                Reason::DiscoveryFailed,
                "the provider publishes no authorization endpoint",
            )
        })?;
        let (id, nonce, verifier) = (random_token()?, random_token()?, random_token()?);
        let callback = self.cfg.endpoint(CALLBACK_PATH);
        let challenge = s256(&verifier);
        let location = with_params(
            &endpoint,
            &[
                ("response_type", "code"),
                ("client_id", &login.client_id),
                ("redirect_uri", &callback),
                ("scope", &login.scopes),
                ("state", &id),
                ("nonce", &nonce),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        );
        let stage = Stage::Login { nonce, verifier };
        self.pending.insert(
            id,
            Pending {
                req,
                stage,
                created: unix_now(),
            },
        );
        Ok(location)
    }

    async fn callback(&self, raw: Option<&str>) -> Response {
        let Ok(form) = Form::from_encoded(raw.unwrap_or("")) else {
            return error_page(StatusCode::BAD_REQUEST, "the sign-in answer is malformed");
        };
        let Some(id) = form.get("state") else {
            return error_page(StatusCode::BAD_REQUEST, "the sign-in answer has no `state`");
        };
        let Some(p) = self
            .pending
            .take_if(id, |p| matches!(p.stage, Stage::Login { .. }))
        else {
            return error_page(
                StatusCode::BAD_REQUEST,
                "this sign-in is unknown or has expired; start again",
            );
        };
        let Stage::Login { nonce, verifier } = &p.stage else {
            return error_page(
                StatusCode::BAD_REQUEST,
                "this sign-in is in the wrong state",
            );
        };
        let req = p.req.clone();
        let state = req.state.as_deref();
        let Some(client) = self.find_client(&req.client_id).await.ok().flatten() else {
            return error_page(StatusCode::BAD_REQUEST, "the client no longer exists");
        };
        let Some(login) = self.login_for(&client.tenant) else {
            return self.redirect_error(
                &req.redirect_uri,
                state,
                &Error::new(Reason::NoLoginProvider, "the sign-in provider is gone"),
            );
        };
        if form.get("error").is_some() {
            return self.redirect_error(
                &req.redirect_uri,
                state,
                &Error::new(Reason::SignInFailed, "the user did not sign in"),
            );
        }
        // RFC 9207: an `iss` that names another provider is a mix-up attack.
        if form.get("iss").is_some_and(|i| i != login.issuer) {
            return self.redirect_error(
                &req.redirect_uri,
                state,
                &Error::new(
                    Reason::SignInFailed,
                    "the sign-in answer came from the wrong provider",
                ),
            );
        }
        let Some(code) = form.get("code") else {
            return self.redirect_error(
                &req.redirect_uri,
                state,
                &Error::new(Reason::SignInFailed, "the sign-in answer has no code"),
            );
        };
        let callback = self.cfg.endpoint(CALLBACK_PATH);
        let subject = match login.sign_in(code, verifier, nonce, &callback).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(reason = %e.reason, "authorize: sign-in failed");
                return self.redirect_error(
                    &req.redirect_uri,
                    state,
                    &Error::new(Reason::SignInFailed, "the sign-in could not be verified"),
                );
            }
        };
        if let Some(consent) = self
            .remembered_consent(&subject, &client.id, &req.scope)
            .await
        {
            return self.issue_code(&client, &req, &subject, &consent).await;
        }
        let csrf = match random_token() {
            Ok(t) => t,
            Err(_) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, "no randomness"),
        };
        let page = consent_page(id, &csrf, &client, &req, &subject);
        let origin = origin_of(&req.redirect_uri).to_owned();
        let secure = if self.cfg.issuer.starts_with("https://") {
            "; Secure"
        } else {
            ""
        };
        let cookie = format!(
            "{CSRF_COOKIE}={csrf}; Path=/oauth; HttpOnly; SameSite=Strict; Max-Age={PENDING_TTL}{secure}"
        );
        self.pending.put_back(
            id.to_owned(),
            Pending {
                req,
                stage: Stage::Consent { subject, csrf },
                created: p.created,
            },
        );
        let mut resp = (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page,
        )
            .into_response();
        security_headers(&mut resp, &origin);
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
        resp
    }

    async fn consent(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let Ok(form) = Form::parse(headers, body) else {
            return error_page(StatusCode::BAD_REQUEST, "the consent form is malformed");
        };
        let (Some(id), Some(token)) = (form.get("request"), form.get("csrf")) else {
            return error_page(StatusCode::BAD_REQUEST, "the consent form is incomplete");
        };
        let cookie = cookie_value(headers, CSRF_COOKIE).unwrap_or_default();
        let same = crate::services::secrets::same_secret;
        // The form's token, the cookie and the pending request must all agree; a forged post
        // leaves the request for the real user.
        let Some(p) = self.pending.take_if(id, |p| match &p.stage {
            Stage::Consent { csrf, .. } => same(csrf, token) && same(csrf, &cookie),
            Stage::Login { .. } => false,
        }) else {
            return error_page(
                StatusCode::FORBIDDEN,
                "this consent is unknown, expired or not from this browser",
            );
        };
        let Stage::Consent { subject, .. } = &p.stage else {
            return error_page(StatusCode::FORBIDDEN, "this consent is in the wrong state");
        };
        let req = &p.req;
        if form.get("decision") != Some("approve") {
            return self.redirect_error(
                &req.redirect_uri,
                req.state.as_deref(),
                &Error::new(Reason::ConsentDenied, "the user denied the request"),
            );
        }
        let Some(client) = self.find_client(&req.client_id).await.ok().flatten() else {
            return error_page(StatusCode::BAD_REQUEST, "the client no longer exists");
        };
        let now = unix_now();
        let ttl = i64::try_from(self.cfg.consent_ttl).unwrap_or(i64::MAX);
        let recorded = self
            .store
            .record_consent(
                subject.clone(),
                client.id.clone(),
                req.scope.clone(),
                now,
                now.saturating_add(ttl),
            )
            .await;
        // The session the code starts refers to this consent: without it, no code.
        let consent = match recorded {
            Ok(c) => c.id,
            Err(e) => {
                tracing::error!(error = %e, "consent: store error");
                return self.redirect_error(
                    &req.redirect_uri,
                    req.state.as_deref(),
                    &Error::new(Reason::ServerError, "the consent could not be recorded"),
                );
            }
        };
        self.issue_code(&client, req, subject, &consent).await
    }

    /// The id of the consent `subject` gave `client_id` when it is unexpired and covers every
    /// scope of `scope`.
    pub(super) async fn remembered_consent(
        &self,
        subject: &str,
        client_id: &str,
        scope: &str,
    ) -> Option<String> {
        let found = self
            .store
            .consent(subject.to_owned(), client_id.to_owned())
            .await;
        let consent = match found {
            Ok(c) => c?,
            Err(e) => {
                tracing::error!(error = %e, "authorize: cannot read consents");
                return None;
            }
        };
        let given = ScopeSet::parse_claim(&consent.scope);
        let wanted = ScopeSet::parse_claim(scope);
        (consent.expires_at > unix_now() && !wanted.is_empty() && wanted.is_within(&given))
            .then_some(consent.id)
    }

    async fn issue_code(
        &self,
        client: &ClientRecord,
        req: &AuthzRequest,
        subject: &str,
        consent_id: &str,
    ) -> Response {
        let code = match random_token() {
            Ok(c) => c,
            Err(_) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, "no randomness"),
        };
        let stored = AuthorizationCode {
            hash: sha256(code.as_bytes()),
            client_id: client.id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            scope: req.scope.clone(),
            audience: req.audience.clone(),
            code_challenge: req.code_challenge.clone(),
            subject: subject.to_owned(),
            expires_at: unix_now().saturating_add(CODE_TTL),
            consent_id: Some(consent_id.to_owned()),
            user_agent: req.user_agent.clone(),
            address: req.address.clone(),
        };
        if let Err(e) = self.store.put_authorization_code(stored).await {
            tracing::error!(error = %e, "authorize: cannot store the code");
            return self.redirect_error(
                &req.redirect_uri,
                req.state.as_deref(),
                &Error::new(Reason::ServerError, "the code could not be issued"),
            );
        }
        let mut p = vec![("code", code.as_str())];
        if let Some(s) = &req.state {
            p.push(("state", s));
        }
        p.push(("iss", &self.cfg.issuer));
        redirect(&with_params(&req.redirect_uri, &p))
    }
}

/// The scope a public client's authorization request gets: the part of what it asks for
/// that it may have (all of it when it asks for nothing). MCP clients ask for the resource's
/// whole `scopes_supported`, so the request is narrowed rather than refused (RFC 6749 §3.3; the
/// consent page and the token response name what is granted); nothing in common is
/// `invalid_scope`.
fn public_scope(asked: &str, allowed: &ScopeSet) -> Result<String, Error> {
    if asked.trim().is_empty() {
        return Ok(allowed.to_string());
    }
    let within = ScopeSet::parse_claim(asked).intersection(allowed);
    if within.is_empty() {
        return Err(Error::new(
            Reason::ScopeNotAllowed,
            format!(
                "none of the requested scopes {} is allowed to this client",
                quote(asked)
            ),
        ));
    }
    Ok(within.to_string())
}

/// `GET /oauth/authorize`.
pub(crate) async fn handle_authorize(
    State(server): State<Arc<AuthServer>>,
    peer: super::client_auth::Peer,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    server.authorize(raw.as_deref(), &headers, peer.ip).await
}

/// The browser's `User-Agent`, printable ASCII only, cut to [`MAX_USER_AGENT`] bytes.
fn user_agent(headers: &HeaderMap) -> Option<String> {
    let ua = headers.get(header::USER_AGENT)?.to_str().ok()?;
    let kept: String = ua
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .take(MAX_USER_AGENT)
        .collect();
    (!kept.is_empty()).then_some(kept)
}

/// `GET /oauth/callback`.
pub(crate) async fn handle_callback(
    State(server): State<Arc<AuthServer>>,
    RawQuery(raw): RawQuery,
) -> Response {
    server.callback(raw.as_deref()).await
}

/// `POST /oauth/consent`.
pub(crate) async fn handle_consent(
    State(server): State<Arc<AuthServer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    server.consent(&headers, &body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(valid_verifier(verifier));
        assert_eq!(
            s256(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(valid_challenge(&s256(verifier)));
        assert!(!valid_verifier("short"));
        assert!(!valid_verifier(&"a".repeat(129)));
        assert!(!valid_verifier(&format!("{}+", "a".repeat(43))));
        assert!(!valid_challenge(verifier.get(..42).unwrap()));
    }
}
