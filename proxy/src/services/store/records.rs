//! What the store holds: clients, refresh families and tokens, revocations, signing keys,
//! authorization codes, audit events, and what its operations report.

use oauth4os_core::ScopeSet;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The grants this server implements: the protocol's, shared with the client and the admin API.
pub use oauth4os_core::protocol::GrantType;

/// Where a client was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSource {
    /// The configuration file (synchronised on every start).
    Config,
    /// The admin API.
    Api,
}

impl ClientSource {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientSource::Config => "config",
            ClientSource::Api => "api",
        }
    }
}

/// A registered client.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// The client id.
    pub id: String,
    /// Its secret: an argon2id PHC string or `sha256:<base64url>` (see `secrets::SecretHash`).
    pub secret_hash: String,
    /// The scopes it may hold.
    pub scopes: ScopeSet,
    /// The grants it may use.
    pub grant_types: Vec<GrantType>,
    /// Its tenant.
    pub tenant: String,
    /// Its access-token lifetime, when it overrides the server's.
    pub access_token_ttl: Option<u64>,
    /// Where it was declared.
    pub source: ClientSource,
    /// Exact redirect URIs, for the `authorization_code` grant.
    pub redirect_uris: Vec<String>,
    /// Its own request rate at the proxy (`"100/s burst 200"`), replacing the default rate.
    pub rate_limit: Option<String>,
    /// How it authenticates (secret or TLS certificate), whether its tokens are bound to its
    /// certificate, and where it may get and use tokens from.
    pub constraints: ClientConstraints,
}

/// How a client authenticates at the token, revocation and introspection endpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// Its secret: HTTP Basic (`client_secret_basic`) or form (`client_secret_post`).
    #[default]
    ClientSecret,
    /// RFC 8705 §2.1: a certificate chaining to the trusted client CA, whose subject matches.
    TlsClientAuth,
    /// RFC 8705 §2.2: one of its registered (self-signed) certificates.
    SelfSignedTlsClientAuth,
    /// A public client (RFC 6749 §2.1, RFC 8252): no secret and no certificate; it names
    /// itself by `client_id` and proves possession of its authorization codes with PKCE.
    None,
}

impl AuthMethod {
    /// The RFC 7591 name (`client_secret_basic` for secret clients, which may also post).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecret => "client_secret_basic",
            AuthMethod::TlsClientAuth => "tls_client_auth",
            AuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
            AuthMethod::None => "none",
        }
    }

    /// Parses an RFC 7591 name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "client_secret_basic" | "client_secret_post" => Some(AuthMethod::ClientSecret),
            "tls_client_auth" => Some(AuthMethod::TlsClientAuth),
            "self_signed_tls_client_auth" => Some(AuthMethod::SelfSignedTlsClientAuth),
            "none" => Some(AuthMethod::None),
            _ => None,
        }
    }

    /// Whether the client authenticates with a TLS certificate (and has no secret).
    pub fn uses_certificate(self) -> bool {
        matches!(
            self,
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
        )
    }

    /// Whether the client is public: no secret, no certificate.
    pub fn is_public(self) -> bool {
        self == AuthMethod::None
    }

    /// Whether the client authenticates with a secret (and so has one).
    pub fn uses_secret(self) -> bool {
        self == AuthMethod::ClientSecret
    }
}

/// What a client's authentication and its tokens are constrained by (RFC 8705, IP allowlists).
/// Stored as one JSON column; every member has a default, so an older row reads as a secret
/// client with no allowlist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientConstraints {
    /// How it authenticates.
    pub auth_method: AuthMethod,
    /// `tls_client_auth`: the expected subject DN (RFC 4514 string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_dn: Option<String>,
    /// `tls_client_auth`: a DNS name the certificate's subject alternative names must hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub san_dns: Option<String>,
    /// `self_signed_tls_client_auth`: SHA-256 thumbprints (base64url) of its certificates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub thumbprints: Vec<String>,
    /// Whether access tokens issued over a connection with a client certificate are bound to
    /// it (RFC 8705 §3, `cnf.x5t#S256`); `true` unless turned off.
    pub certificate_bound_tokens: bool,
    /// Address ranges (CIDR) it may get and use tokens from; any when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_ips: Vec<String>,
    /// The resources (RFC 8707) it may get tokens for, each in the server's configured form;
    /// every audience of the server when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<String>,
}

impl Default for ClientConstraints {
    fn default() -> Self {
        Self {
            auth_method: AuthMethod::ClientSecret,
            subject_dn: None,
            san_dns: None,
            thumbprints: Vec::new(),
            certificate_bound_tokens: true,
            allowed_ips: Vec::new(),
            audiences: Vec::new(),
        }
    }
}

impl ClientConstraints {
    /// The parsed `allowed_ips` (checked when the client was written); an entry that no longer
    /// parses (a store edited by hand) allows nothing rather than everything.
    pub fn allowed_ranges(&self) -> Vec<crate::services::forwarded::Cidr> {
        let parsed: Vec<_> = self
            .allowed_ips
            .iter()
            .filter_map(|r| r.parse().ok())
            .collect();
        if parsed.len() == self.allowed_ips.len() {
            parsed
        } else {
            // `0.0.0.0/32` only: the check fails closed.
            vec![crate::services::forwarded::Cidr::NOWHERE]
        }
    }
}

impl std::fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRecord")
            .field("id", &self.id)
            .field("scopes", &self.scopes.to_string())
            .field("grant_types", &self.grant_types)
            .field("tenant", &self.tenant)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("source", &self.source)
            .field("redirect_uris", &self.redirect_uris)
            .field("rate_limit", &self.rate_limit)
            .field("constraints", &self.constraints)
            .finish_non_exhaustive()
    }
}

impl ClientRecord {
    /// Whether the client may use `grant`.
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// Whether the client may get tokens for audience `aud` (its `audiences`, every one when
    /// empty; a trailing slash is no difference).
    pub fn may_have_audience(&self, aud: &str) -> bool {
        let allowed = &self.constraints.audiences;
        allowed.is_empty()
            || allowed
                .iter()
                .any(|a| oauth4os_core::resource::same_resource(a, aud))
    }
}

/// What synchronising the configuration's clients changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Clients that were not in the store.
    pub added: Vec<String>,
    /// Clients whose record changed.
    pub updated: Vec<String>,
    /// Configuration clients no longer in the configuration, now deleted.
    pub removed: Vec<String>,
}

/// A refresh-token family: every token descending from one grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshFamily {
    /// Random id.
    pub id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The scope originally granted; rotated tokens keep it, access tokens may narrow it.
    pub scope: String,
    /// The audience of its access tokens.
    pub audience: String,
    /// When it was created.
    pub created_at: i64,
    /// The user the grant was made for (`authorization_code`); the client itself when `None`.
    pub subject: Option<String>,
}

/// A refresh token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    /// SHA-256 of the token.
    pub hash: [u8; 32],
    /// Its family.
    pub family_id: String,
    /// When it was issued.
    pub issued_at: i64,
    /// When it expires.
    pub expires_at: i64,
    /// The `jti` of the access token issued with it.
    pub access_jti: String,
    /// The `exp` of that access token.
    pub access_exp: i64,
}

/// A stored refresh token as found by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshView {
    /// Its family.
    pub family: RefreshFamily,
    /// When the family was revoked, if it was.
    pub family_revoked_at: Option<i64>,
    /// When it was issued.
    pub issued_at: i64,
    /// When it expires.
    pub expires_at: i64,
    /// When it was rotated (retired), if it was: presenting it again is reuse.
    pub used_at: Option<i64>,
}

/// A revoked access token, remembered until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedJti {
    /// The token's `jti`.
    pub jti: String,
    /// The token's `exp`.
    pub exp: i64,
}

/// A signing key as stored: the public JWK and the encrypted private key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The key id (RFC 7638 thumbprint).
    pub kid: String,
    /// The JOSE algorithm (`ES256`).
    pub alg: String,
    /// The public JWK, JSON.
    pub public_jwk: String,
    /// The private key, encrypted with the key-encryption key (nonce || ciphertext || tag).
    pub private_key_enc: Vec<u8>,
    /// When it was created.
    pub created_at: i64,
    /// When it stopped signing, if it did.
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// A security-relevant event. `detail` must never hold a secret or a token.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Seconds since the epoch.
    pub at: i64,
    /// What happened (`refresh_token_reused`, `access_token_revoked`, ...).
    pub kind: String,
    /// The client concerned, if any.
    pub client_id: Option<String>,
    /// Details, as a JSON object.
    pub detail: Value,
}

impl AuditEvent {
    /// An event of `kind` now.
    pub fn new(at: i64, kind: &str, client_id: Option<&str>, detail: Value) -> Self {
        Self {
            at,
            kind: kind.to_owned(),
            client_id: client_id.map(str::to_owned),
            detail,
        }
    }
}

/// An active refresh family, as the admin API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilySummary {
    /// The family.
    pub family: RefreshFamily,
    /// When its newest token was issued.
    pub last_issued_at: i64,
    /// When its current (unused) token expires.
    pub expires_at: i64,
}

/// A filter over audit events; every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events of this kind.
    pub kind: Option<String>,
    /// Only events about this client.
    pub client_id: Option<String>,
    /// Only events at or after this time.
    pub since: Option<i64>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// Every token of a client issued at or before `issued_before` is revoked; the entry is kept
/// until `expires_at`, when no such token can still be valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCutoff {
    /// The client.
    pub client_id: String,
    /// Tokens with `iat` at or before this are revoked.
    pub issued_before: i64,
    /// When the entry can be forgotten.
    pub expires_at: i64,
}

/// An authorization code as stored: only its hash, single use, short-lived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    /// SHA-256 of the code.
    pub hash: [u8; 32],
    /// The client it was issued to.
    pub client_id: String,
    /// The exact redirect URI of the authorization request.
    pub redirect_uri: String,
    /// The granted scope.
    pub scope: String,
    /// The token audience.
    pub audience: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// The authenticated user.
    pub subject: String,
    /// When it expires.
    pub expires_at: i64,
    /// The consent the code was issued under.
    pub consent_id: Option<String>,
    /// The browser's `User-Agent` at sign-in, for the session the code starts.
    pub user_agent: Option<String>,
    /// The browser's address at sign-in.
    pub address: Option<String>,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// The code was unused and unexpired: it is now used.
    Fresh(AuthorizationCode),
    /// The code had been redeemed before (replay): the refresh family and access token it
    /// produced, to revoke.
    Replayed {
        /// The client it was issued to.
        client_id: String,
        /// The family created from it, if any.
        family_id: Option<String>,
        /// The access token issued from it, if any.
        access: Option<RevokedJti>,
    },
    /// No such code, or it expired.
    Unknown,
}

/// What a backup holds, read without installing it.
#[derive(Debug, Clone, Default)]
pub struct BackupContents {
    /// Its schema version.
    pub schema_version: i64,
    /// Its signing keys.
    pub keys: Vec<StoredKey>,
    /// Its admin policies: (name, tenant, text).
    pub admin_policies: Vec<(String, String, String)>,
    /// Its admin scope mappings.
    pub admin_mappings: Vec<(String, Vec<String>)>,
    /// How many clients it holds.
    pub clients: usize,
}

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Revocation entries of expired tokens.
    pub revocations: usize,
    /// Refresh families whose every token has expired.
    pub families: usize,
}

/// An interactive session: what one authorization-code sign-in produced (its refresh family and
/// access tokens), for listing and revoking per user and per client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Random id.
    pub id: String,
    /// The user.
    pub subject: String,
    /// The client's tenant.
    pub tenant: String,
    /// The client.
    pub client_id: String,
    /// When the code was redeemed.
    pub created_at: i64,
    /// When a token was last issued in it.
    pub last_used_at: i64,
    /// When it ends unless refreshed (its refresh token's expiry, sliding with rotation).
    pub expires_at: i64,
    /// The browser's `User-Agent` at sign-in.
    pub user_agent: Option<String>,
    /// The browser's address at sign-in.
    pub address: Option<String>,
    /// Its refresh family, when the client gets refresh tokens.
    pub family_id: Option<String>,
    /// The consent it relies on.
    pub consent_id: Option<String>,
    /// The access token the code produced.
    pub access: RevokedJti,
    /// When it ended: revoked, its consent withdrawn, or its refresh family revoked.
    pub ended_at: Option<i64>,
    /// Why it ended.
    pub ended_reason: Option<String>,
}

impl SessionRecord {
    /// Whether its tokens may still be used at `now`.
    pub fn active(&self, now: i64) -> bool {
        self.ended_at.is_none() && self.expires_at > now
    }
}

/// Which sessions an operation concerns; every field narrows, and an empty filter matches
/// every session (operations that end sessions refuse it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    /// This session only.
    pub id: Option<String>,
    /// Sessions of this user.
    pub subject: Option<String>,
    /// Sessions at this client.
    pub client_id: Option<String>,
    /// Sessions of this tenant.
    pub tenant: Option<String>,
    /// Sessions relying on this consent.
    pub consent_id: Option<String>,
}

impl SessionFilter {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.id.is_none()
            && self.subject.is_none()
            && self.client_id.is_none()
            && self.tenant.is_none()
            && self.consent_id.is_none()
    }
}

/// What ending sessions did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndedSessions {
    /// The sessions ended (those already ended are not listed).
    pub sessions: Vec<String>,
    /// The access tokens of theirs now recorded as revoked.
    pub revoked: Vec<RevokedJti>,
}

/// A user's remembered consent to a client holding some scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    /// Random id.
    pub id: String,
    /// The user.
    pub subject: String,
    /// The client.
    pub client_id: String,
    /// The scopes, space separated (merged over every consent given).
    pub scope: String,
    /// When it was last given.
    pub granted_at: i64,
    /// When it stops being remembered.
    pub expires_at: i64,
}
