//! The stable reasons: the finer-grained half of every error, one name per thing a caller may
//! want to tell apart (`revoked` from `expired`), each tied to one [`ErrorCode`] and one HTTP
//! status. The table below is the single source: the README's error table is checked against
//! it, metrics label denials with it and every SDK receives it as `reason`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ErrorCode;

macro_rules! reasons {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $code:ident, $status:literal, $desc:literal; )*) => {
        /// Why an error happened, with a stable snake_case name (see the module docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Reason {
            $( #[doc = $desc] $variant, )*
        }

        impl Reason {
            /// Every reason, in table order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// The stable wire name, e.g. `revoked`.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            /// The OAuth (or oauth4os) error code this reason belongs to.
            pub const fn code(self) -> ErrorCode {
                match self { $(Self::$variant => ErrorCode::$code,)* }
            }

            /// The HTTP status an HTTP front answers this reason with.
            pub const fn status(self) -> u16 {
                match self { $(Self::$variant => $status,)* }
            }

            /// One line saying what the reason means.
            pub const fn description(self) -> &'static str {
                match self { $(Self::$variant => $desc,)* }
            }

            /// Parses a wire name; `None` for a name this version does not know.
            pub fn from_wire(name: &str) -> Option<Self> {
                match name { $($name => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

reasons! {
    // ---- the generic reason of each code: used when a peer sends only the code ----
    InvalidRequest = "invalid_request", InvalidRequest, 400, "the request is malformed";
    InvalidClient = "invalid_client", InvalidClient, 401, "client authentication failed";
    InvalidGrant = "invalid_grant", InvalidGrant, 400, "the grant is invalid, expired or revoked";
    UnauthorizedClient = "unauthorized_client", UnauthorizedClient, 400, "the client may not do this";
    UnsupportedGrantType = "unsupported_grant_type", UnsupportedGrantType, 400, "the grant type is not supported";
    InvalidScope = "invalid_scope", InvalidScope, 400, "the requested scope is invalid or not allowed";
    InvalidTarget = "invalid_target", InvalidTarget, 400, "the requested resource is not one this server issues tokens for (RFC 8707)";
    UnsupportedTokenType = "unsupported_token_type", UnsupportedTokenType, 400, "the token type is not supported here (RFC 7009, RFC 8693)";
    InvalidClientMetadata = "invalid_client_metadata", InvalidClientMetadata, 400, "the registration metadata is invalid (RFC 7591)";
    InvalidRedirectUriGeneric = "invalid_redirect_uri", InvalidRedirectUri, 400, "a redirect URI is refused (RFC 7591)";
    UnsupportedResponseType = "unsupported_response_type", UnsupportedResponseType, 400, "the response type is not supported (only `code`)";
    InvalidToken = "invalid_token", InvalidToken, 401, "the access token is not valid";
    InsufficientScope = "insufficient_scope", InsufficientScope, 403, "the token's scopes do not grant the request";
    TargetNotGranted = "target_not_granted", InsufficientScope, 403, "an alias, data stream or wildcard reaches an index the token's scopes do not grant";
    AccessDenied = "access_denied", AccessDenied, 403, "the request was denied";
    ServerError = "server_error", ServerError, 500, "the server failed to handle the request";
    TemporarilyUnavailable = "temporarily_unavailable", TemporarilyUnavailable, 503, "the server is temporarily unable to handle the request";
    RateLimited = "rate_limited", RateLimited, 429, "too many requests; retry after `retry_after` seconds";
    Network = "network", Network, 503, "a connection could not be made or was cut";
    Upstream = "upstream", Upstream, 502, "a peer answered with an error or an unusable answer";
    Internal = "internal", Internal, 500, "an internal invariant did not hold";
    NotFound = "not_found", NotFound, 404, "no such object";

    // ---- access tokens (invalid_token, 401) ----
    MissingToken = "missing_token", InvalidToken, 401, "no bearer token was sent (RFC 6750 §3.1: the challenge carries no error code)";
    Malformed = "malformed", InvalidToken, 401, "the token is not a compact JWS";
    TokenTooLarge = "token_too_large", InvalidToken, 401, "the token exceeds the size limit";
    HeaderTooLarge = "header_too_large", InvalidToken, 401, "the JWS header exceeds the size limit";
    BadBase64 = "bad_base64", InvalidToken, 401, "a token segment is not canonical unpadded base64url";
    BadHeader = "bad_header", InvalidToken, 401, "the JWS header is not valid";
    CritUnsupported = "crit_unsupported", InvalidToken, 401, "the token uses `crit`, which is refused";
    AlgNone = "alg_none", InvalidToken, 401, "the token is unsigned (`alg: none`)";
    AlgNotAllowed = "alg_not_allowed", InvalidToken, 401, "the algorithm is not allowed for this issuer or key";
    UnsupportedAlg = "unsupported_alg", InvalidToken, 401, "the algorithm is not supported";
    UnknownKid = "unknown_kid", InvalidToken, 401, "no key of the issuer matches the token";
    KeyMismatch = "key_mismatch", InvalidToken, 401, "the key does not fit the token's algorithm";
    BadSignature = "bad_signature", InvalidToken, 401, "the signature does not verify";
    BadPayload = "bad_payload", InvalidToken, 401, "the payload is not a JSON object";
    BadClaim = "bad_claim", InvalidToken, 401, "a claim has the wrong type or form";
    WrongTyp = "wrong_typ", InvalidToken, 401, "the token's `typ` is not the required one";
    MissingIss = "missing_iss", InvalidToken, 401, "the token has no `iss`";
    WrongIssuer = "wrong_issuer", InvalidToken, 401, "the token's `iss` is not the expected issuer";
    UnknownIssuer = "unknown_issuer", InvalidToken, 401, "the token's issuer is not trusted here";
    MissingAud = "missing_aud", InvalidToken, 401, "the token has no `aud`";
    WrongAudience = "wrong_audience", InvalidToken, 401, "the token is meant for another audience";
    MissingExp = "missing_exp", InvalidToken, 401, "the token has no `exp`";
    Expired = "expired", InvalidToken, 401, "the token has expired";
    NotYetValid = "not_yet_valid", InvalidToken, 401, "the token's `nbf` is in the future";
    IatInFuture = "iat_in_future", InvalidToken, 401, "the token's `iat` is in the future";
    MissingJti = "missing_jti", InvalidToken, 401, "the token has no `jti`";
    MissingSub = "missing_sub", InvalidToken, 401, "the token has no `sub`";
    BadNonce = "bad_nonce", InvalidToken, 401, "the ID token's `nonce` does not match the sign-in";
    Revoked = "revoked", InvalidToken, 401, "the token has been revoked";
    FixedTokenRefused = "fixed_token_refused", InvalidToken, 401, "a fixed token was refused";
    Unauthorized = "unauthorized", InvalidToken, 401, "the proxy refused the token (HTTP 401)";
    AdminToken = "admin_token", InvalidToken, 401, "an admin token may not be used here";
    NotAdmin = "not_admin", InvalidToken, 401, "an admin token is required";
    CertificateRequired = "certificate_required", InvalidToken, 401, "the token is bound to a TLS client certificate (RFC 8705 `cnf`) and the request presented none";
    CertificateMismatch = "certificate_mismatch", InvalidToken, 401, "the request's TLS client certificate is not the one the token is bound to (RFC 8705)";

    // ---- authorization of a request (403) ----
    PolicyDenied = "policy_denied", AccessDenied, 403, "a Cedar policy denies the request, or none permits it";
    UnresolvedWildcard = "unresolved_wildcard", AccessDenied, 403, "a wildcard could not be resolved for the policy check";
    ForeignContinuation = "foreign_continuation", AccessDenied, 403, "the scroll or point in time was opened by another client";
    PipelineReroutes = "pipeline_reroutes", AccessDenied, 403, "the write goes through an ingest pipeline that may send documents to another index";
    Forbidden = "forbidden", AccessDenied, 403, "the peer refused the request (HTTP 403)";
    SignInFailed = "sign_in_failed", AccessDenied, 403, "the user's sign-in at the tenant's provider failed or was refused";
    ConsentDenied = "consent_denied", AccessDenied, 403, "the user denied the consent";
    IpNotAllowed = "ip_not_allowed", AccessDenied, 403, "the request comes from an address outside the client's `allowed_ips`";

    // ---- rate limits (429) ----
    ClientRateLimit = "client_rate_limit", RateLimited, 429, "the client's request rate is exceeded";
    ScopeRateLimit = "scope_rate_limit", RateLimited, 429, "a scope's request rate is exceeded";

    // ---- scopes (invalid_scope) ----
    InvalidScopeSyntax = "invalid_scope_syntax", InvalidScope, 400, "a scope is not `action:pattern`";
    UnknownAction = "unknown_action", InvalidScope, 400, "a scope names an unknown action";
    InvalidPattern = "invalid_pattern", InvalidScope, 400, "a scope's index pattern is not valid";
    TooManyScopes = "too_many_scopes", InvalidScope, 400, "more scopes than allowed";
    ScopeNotAllowed = "scope_not_allowed", InvalidScope, 400, "a requested scope exceeds what the client may have";

    // ---- OpenSearch requests (invalid_request, 400) ----
    Unclassified = "unclassified", InvalidRequest, 400, "the request is not one the proxy knows how to authorize";
    BadPath = "bad_path", InvalidRequest, 400, "the path is not valid";
    BadMethod = "bad_method", InvalidRequest, 400, "the HTTP method is not valid for the endpoint";
    BadQuery = "bad_query", InvalidRequest, 400, "the query string is not valid or not supported";
    BadIndex = "bad_index", InvalidRequest, 400, "an index name or expression is not valid";
    BadBody = "bad_body", InvalidRequest, 400, "the body is not valid for the endpoint";
    MissingBody = "missing_body", InvalidRequest, 400, "the endpoint needs a body";
    MissingIndex = "missing_index", InvalidRequest, 400, "a body line names no index and the path has none";
    CrossCluster = "cross_cluster", InvalidRequest, 400, "cross-cluster index names are not supported";
    BodyTooLarge = "body_too_large", InvalidRequest, 400, "the request body exceeds the size limit";

    // ---- MCP (`/mcp`: JSON-RPC 2.0 over Streamable HTTP) ----
    McpParseError = "mcp_parse_error", InvalidRequest, 400, "the body is not JSON (JSON-RPC -32700)";
    McpInvalidRequest = "mcp_invalid_request", InvalidRequest, 400, "the body is not a JSON-RPC 2.0 request or notification (-32600)";
    McpBatch = "mcp_batch", InvalidRequest, 400, "JSON-RPC batches are not accepted by MCP since 2025-06-18 (-32600)";
    McpUnknownMethod = "mcp_unknown_method", InvalidRequest, 400, "the JSON-RPC method is not one this server implements (-32601)";
    McpBadParams = "mcp_bad_params", InvalidRequest, 400, "the JSON-RPC params do not fit the method (-32602)";
    McpUnsupportedVersion = "mcp_unsupported_version", InvalidRequest, 400, "the `MCP-Protocol-Version` header names a version this server does not speak";
    UnknownTool = "unknown_tool", InvalidRequest, 400, "the MCP tool does not exist (-32602)";
    BadToolArguments = "bad_tool_arguments", InvalidRequest, 400, "the MCP tool's arguments do not fit its input schema (-32602)";

    // ---- the authorization server's own requests ----
    DuplicateParameter = "duplicate_parameter", InvalidRequest, 400, "a parameter was sent twice";
    MissingParameter = "missing_parameter", InvalidRequest, 400, "a required parameter is missing";
    BadForm = "bad_form", InvalidRequest, 400, "the form body is malformed";
    BadPkce = "bad_pkce", InvalidRequest, 400, "the PKCE parameters are missing or not S256";
    PkceRequired = "pkce_required", InvalidRequest, 400, "PKCE is required: the authorization request has no `code_challenge` (S256)";
    BadRedirectUri = "bad_redirect_uri", InvalidRequest, 400, "the redirect URI is not registered for the client";
    BadClientAuth = "bad_client_auth", InvalidClient, 401, "client credentials are missing, malformed or of an unsupported kind";
    AmbiguousClientAuth = "ambiguous_client_auth", InvalidRequest, 400, "the client authenticated in two ways, or two credentials disagree (RFC 6749 §2.3)";
    ClientAuthFailed = "client_auth_failed", InvalidClient, 401, "unknown client or wrong secret";
    PublicClientSecret = "public_client_secret", InvalidClient, 401, "a public client presented a secret; it has none (it sends only `client_id`)";
    PublicClientRefused = "public_client_refused", InvalidClient, 401, "a public client (no secret) cannot authenticate at this endpoint";
    ClientCertificateRequired = "client_certificate_required", InvalidClient, 401, "the client authenticates with a TLS client certificate (RFC 8705) and the connection presented none";
    ClientCertificateRefused = "client_certificate_refused", InvalidClient, 401, "the TLS client certificate does not match the client's registration (RFC 8705)";
    GrantNotAllowed = "grant_not_allowed", UnauthorizedClient, 400, "the client may not use this grant type";
    PublicClientGrant = "public_client_grant", UnauthorizedClient, 400, "a public client may use only the authorization code and refresh token grants";
    NotYourToken = "not_your_token", UnauthorizedClient, 400, "the token was issued to another client";
    WrongTenant = "wrong_tenant", UnauthorizedClient, 400, "the client does not belong to the token's tenant";
    RefreshTokenInvalid = "refresh_token_invalid", InvalidGrant, 400, "the refresh token is invalid, expired or revoked";
    RefreshTokenReused = "refresh_token_reused", InvalidGrant, 400, "a rotated refresh token was replayed; its family is revoked";
    CodeInvalid = "code_invalid", InvalidGrant, 400, "the authorization code is invalid, expired or already used";
    CodeVerifierInvalid = "code_verifier_invalid", InvalidGrant, 400, "the PKCE code verifier is missing or malformed";
    CodeVerifierMismatch = "code_verifier_mismatch", InvalidGrant, 400, "the PKCE code verifier does not match";
    ConsentWithdrawn = "consent_withdrawn", InvalidGrant, 400, "the consent behind the authorization code was withdrawn";
    SubjectTokenInvalid = "subject_token_invalid", InvalidGrant, 400, "the subject token of an exchange is not valid";
    UnknownResource = "unknown_resource", InvalidTarget, 400, "the `resource` is not one this server issues tokens for";
    ResourceNotAllowed = "resource_not_allowed", InvalidTarget, 400, "the client may not get tokens for this `resource` (its `audiences`)";
    ResourceMismatch = "resource_mismatch", InvalidTarget, 400, "the `resource` differs from the one the grant was made for";
    ClientMetadataUrlInvalid = "client_metadata_url_invalid", InvalidClient, 401, "a URL `client_id` is not a valid client metadata document URL (https, a path, no fragment, credentials or dot segments)";
    ClientMetadataAddressRefused = "client_metadata_address_refused", InvalidClient, 401, "the client metadata document's host resolves to a private, loopback, link-local or otherwise refused address";
    ClientMetadataUnavailable = "client_metadata_unavailable", InvalidClient, 401, "the client metadata document could not be fetched (connection, timeout, redirect or HTTP status)";
    ClientMetadataTooLarge = "client_metadata_too_large", InvalidClient, 401, "the client metadata document exceeds the size limit";
    ClientMetadataInvalid = "client_metadata_invalid", InvalidClient, 401, "the client metadata document is not valid JSON client metadata for a public client";
    ClientMetadataIdMismatch = "client_metadata_id_mismatch", InvalidClient, 401, "the client metadata document's `client_id` is not the URL it was fetched from";
    RegistrationDisabled = "registration_disabled", NotFound, 404, "dynamic client registration is off";
    NoLoginProvider = "no_login_provider", ServerError, 500, "no sign-in provider is configured for the client's tenant";
    LoginUnavailable = "login_unavailable", TemporarilyUnavailable, 503, "the sign-in provider is unavailable";
    UnsupportedMediaType = "unsupported_media_type", InvalidRequest, 415, "the body must be `application/json`";
    PoliciesNotManaged = "policies_not_managed", InvalidRequest, 501, "this server has no policies to manage";
    BackupTooLarge = "backup_too_large", InvalidRequest, 413, "the backup exceeds the size limit";
    BadRegistrationToken = "bad_registration_token", InvalidToken, 401, "the initial access token for registration is wrong";
    SecretChecksLimited = "secret_checks_limited", RateLimited, 429, "too many client authentications from this address";

    // ---- admin API ----
    InvalidName = "invalid_name", InvalidRequest, 400, "a name is not valid";
    InvalidRole = "invalid_role", InvalidRequest, 400, "a role name is not valid";
    MissingRoles = "missing_roles", InvalidRequest, 400, "a scope mapping names no roles";
    PolicyTooLarge = "policy_too_large", InvalidRequest, 400, "a policy exceeds the size limit";
    UnknownTenant = "unknown_tenant", InvalidRequest, 400, "no tenant has that name";
    BadBackup = "bad_backup", InvalidRequest, 400, "the backup is not usable";
    MissingFilter = "missing_filter", InvalidRequest, 400, "a bulk delete names no filter";
    Conflict = "conflict", Conflict, 409, "the object exists already or is managed by the configuration file";

    // ---- peers (upstream, network) ----
    DiscoveryFailed = "discovery_failed", Upstream, 502, "the issuer's metadata could not be fetched or is invalid";
    IssuerMismatch = "issuer_mismatch", Upstream, 502, "the metadata names another issuer";
    JwksUnavailable = "jwks_unavailable", Upstream, 502, "the issuer's JWKS could not be fetched";
    BadJwks = "bad_jwks", Upstream, 502, "the JWKS document is not valid";
    BadJwk = "bad_jwk", Upstream, 502, "a JWK is not usable";
    BadTokenResponse = "bad_token_response", Upstream, 502, "the token endpoint's answer is not valid";
    HttpError = "http_error", Upstream, 502, "a peer answered with an HTTP error";
    ResponseTooLarge = "response_too_large", Upstream, 502, "a peer's answer exceeds the size limit";
    LoginFailed = "login_failed", Upstream, 502, "the sign-in at the tenant's provider failed";
    ResolveFailed = "resolve_failed", Upstream, 502, "OpenSearch could not resolve an index pattern";
    SearchFailed = "search_failed", Upstream, 502, "the search failed at OpenSearch";
    BadSearchResponse = "bad_search_response", Upstream, 502, "the search answer is not valid";
    UpstreamFailed = "upstream_failed", Upstream, 502, "the request to OpenSearch failed";
    UpstreamTimeout = "upstream_timeout", Upstream, 504, "OpenSearch did not answer in time";
    UpstreamUnavailable = "upstream_unavailable", Upstream, 502, "OpenSearch cannot be reached (connection refused, unreachable or the TLS handshake failed)";

    // ---- configuration (config) ----
    BadConfig = "bad_config", Config, 500, "the configuration is not valid";
    ConfigInvalid = "config_invalid", Config, 500, "a configuration value is not valid";
    ConfigUnreadable = "config_unreadable", Config, 500, "the configuration file cannot be read";
    DuplicateClient = "duplicate_client", Config, 500, "two clients have the same id";
    ClientConflict = "client_conflict", Config, 500, "a client conflicts with one managed elsewhere";
    HttpClient = "http_client", Config, 500, "the HTTP client cannot be built";
    NeedsFixedKeys = "needs_fixed_keys", Config, 500, "synchronous verification needs a verifier built from a fixed JWKS";
    InvalidAudience = "invalid_audience", Config, 500, "an audience is not valid";
    InvalidClientId = "invalid_client_id", Config, 500, "a client id is not valid";
    InvalidGrantType = "invalid_grant_type", Config, 500, "a grant type is not one the server supports";
    InvalidIssuer = "invalid_issuer", Config, 500, "an issuer is not an absolute https (or loopback http) URL";
    InvalidKeyEncryptionKey = "invalid_key_encryption_key", Config, 500, "the key-encryption key is not valid";
    WrongKeyEncryptionKey = "wrong_key_encryption_key", Config, 500, "the stored keys do not decrypt with this key-encryption key";
    InvalidRate = "invalid_rate", Config, 500, "a rate is not `N/second|minute|hour`";
    InvalidRedirectUri = "redirect_uri_not_valid", Config, 500, "a configured redirect URI is not valid";
    TooManyRedirectUris = "too_many_redirect_uris", Config, 500, "more redirect URIs than allowed";
    UnexpectedRedirectUri = "unexpected_redirect_uri", Config, 500, "a redirect URI was given for a client without the authorization code grant";
    MissingRedirectUri = "missing_redirect_uri", Config, 500, "an authorization code client has no redirect URI";
    InvalidPublicClient = "invalid_public_client", Config, 500, "a public client (`token_endpoint_auth_method = none`) is declared with a secret, a certificate, or a grant other than authorization code and refresh token";
    InvalidClientAudience = "invalid_client_audience", Config, 500, "a client's `audiences` names a resource the server does not issue tokens for";
    InvalidRotation = "invalid_rotation", Config, 500, "the key rotation interval is not valid";
    InvalidAllowedIp = "invalid_allowed_ip", Config, 500, "an `allowed_ips` entry is not an IPv4 or IPv6 address or CIDR range";
    InvalidTlsClientAuth = "invalid_tls_client_auth", Config, 500, "a client's TLS client authentication (RFC 8705) is incomplete or not valid";
    InvalidScopes = "invalid_scopes", Config, 500, "a configured scope list is not valid";
    InvalidSecret = "invalid_secret", Config, 500, "a secret is not valid";
    InvalidSecretHash = "invalid_secret_hash", Config, 500, "a secret hash is not a valid argon2id PHC string";
    WeakAdminSecret = "weak_admin_secret", Config, 500, "the admin secret is too weak";
    InvalidTenant = "invalid_tenant", Config, 500, "a tenant is not valid";
    InvalidTtl = "invalid_ttl", Config, 500, "a lifetime is not valid";
    InvalidWebhook = "invalid_webhook", Config, 500, "a webhook endpoint is not valid";
    InvalidWebhookSecret = "invalid_webhook_secret", Config, 500, "a webhook secret is not `whsec_` followed by base64";
    MissingAccessToken = "missing_access_token", Config, 500, "no access token is configured";
    MissingAlgorithms = "missing_algorithms", Config, 500, "no algorithm is allowed";
    MissingAudience = "missing_audience", Config, 500, "the verifier needs an audience";
    MissingBaseUrl = "missing_base_url", Config, 500, "no base URL is configured";
    MissingClientId = "missing_client_id", Config, 500, "no client id is configured";
    MissingIssuer = "missing_issuer", Config, 500, "no issuer is configured";
    MissingRevocationEndpoint = "missing_revocation_endpoint", Config, 500, "the issuer publishes no revocation endpoint";
    MissingSecret = "missing_secret", Config, 500, "no secret is configured";
    MissingTokenEndpoint = "missing_token_endpoint", Config, 500, "no token endpoint is configured or published";
    PolicyDir = "policy_dir", Config, 500, "the policy folder cannot be read";
    PolicyFile = "policy_file", Config, 500, "a policy file cannot be read";
    PolicySyntax = "policy_syntax", Config, 500, "a Cedar policy does not parse";
    PolicyTemplate = "policy_template", Config, 500, "Cedar templates are not supported";
    PolicyValidation = "policy_validation", Config, 500, "a Cedar policy does not validate against the schema";
    InvalidPolicyId = "invalid_policy_id", Config, 500, "a policy's `@id` is empty";
    DuplicatePolicyId = "duplicate_policy_id", Config, 500, "two policies have the same `@id`";
    StoreNotWal = "store_not_wal", Config, 500, "the SQLite store could not switch to WAL mode";
    StoreTooNew = "store_too_new", Config, 500, "the store was written by a newer version";
    StoreUnavailable = "store_unavailable", Config, 500, "the store cannot be opened";
    UnsupportedSigningKey = "unsupported_signing_key", Config, 500, "the signing key type is not supported";
    UpstreamConfig = "invalid_upstream", Config, 500, "the upstream settings are not valid";
    UpstreamTls = "upstream_tls", Config, 500, "the upstream TLS files are not valid";
    Store = "store", Internal, 500, "the store failed";

    // ---- the store, failing closed (temporarily_unavailable, 503) ----
    StoreBusy = "store_busy", TemporarilyUnavailable, 503, "the store is locked by another writer; nothing was changed, retry";
    StoreFull = "store_full", TemporarilyUnavailable, 503, "the store's disk is full; nothing was changed";
}

impl Reason {
    /// The generic reason of a code: what an error from a peer that sent only the code gets.
    pub const fn generic(code: ErrorCode) -> Self {
        match code {
            ErrorCode::InvalidRequest => Self::InvalidRequest,
            ErrorCode::InvalidClient => Self::InvalidClient,
            ErrorCode::InvalidGrant => Self::InvalidGrant,
            ErrorCode::UnauthorizedClient => Self::UnauthorizedClient,
            ErrorCode::UnsupportedGrantType => Self::UnsupportedGrantType,
            ErrorCode::InvalidScope => Self::InvalidScope,
            ErrorCode::InvalidTarget => Self::InvalidTarget,
            ErrorCode::UnsupportedTokenType => Self::UnsupportedTokenType,
            ErrorCode::InvalidClientMetadata => Self::InvalidClientMetadata,
            ErrorCode::InvalidRedirectUri => Self::InvalidRedirectUriGeneric,
            ErrorCode::UnsupportedResponseType => Self::UnsupportedResponseType,
            ErrorCode::InvalidToken => Self::InvalidToken,
            ErrorCode::InsufficientScope => Self::InsufficientScope,
            ErrorCode::AccessDenied => Self::AccessDenied,
            ErrorCode::ServerError => Self::ServerError,
            ErrorCode::TemporarilyUnavailable => Self::TemporarilyUnavailable,
            ErrorCode::RateLimited => Self::RateLimited,
            ErrorCode::Network => Self::Network,
            ErrorCode::Upstream => Self::Upstream,
            ErrorCode::NotFound => Self::NotFound,
            ErrorCode::Conflict => Self::Conflict,
            ErrorCode::Config => Self::BadConfig,
            ErrorCode::Internal => Self::Internal,
        }
    }

    /// The reason a peer named, if this version knows it and it belongs to `code`; otherwise
    /// the generic reason of `code`.
    pub fn from_peer(code: ErrorCode, name: Option<&str>) -> Self {
        name.and_then(Self::from_wire)
            .filter(|r| r.code() == code)
            .unwrap_or(Self::generic(code))
    }
}

/// The reference table of every code and reason (markdown), as the README shows it.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | reason | HTTP | meaning |\n|---|---|---|---|\n");
    for code in ErrorCode::ALL {
        for r in Reason::ALL.iter().filter(|r| r.code() == code) {
            out.push_str(&format!(
                "| `{code}` | `{}` | {} | {} |\n",
                r.as_str(),
                r.status(),
                r.description().replace('|', "\\|")
            ));
        }
    }
    out
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name a string did not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownReasonError(pub String);

impl fmt::Display for UnknownReasonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown reason {}", super::quote(&self.0))
    }
}

impl std::error::Error for UnknownReasonError {}

impl FromStr for Reason {
    type Err = UnknownReasonError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_wire(s).ok_or_else(|| UnknownReasonError(s.to_owned()))
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::from_wire(&name)
            .ok_or_else(|| serde::de::Error::custom(UnknownReasonError(name.into_owned())))
    }
}

impl schemars::JsonSchema for Reason {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Reason".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Self::ALL.iter().map(|r| r.as_str()).collect();
        schemars::json_schema!({
            "description": "The stable reason of an error (see the README's table).",
            "type": "string",
            "enum": names,
        })
    }
}

impl PartialEq<str> for Reason {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Reason {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for r in Reason::ALL {
            let name = r.as_str();
            assert!(seen.insert(name), "duplicate reason name {name}");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name} is not snake_case"
            );
            assert_eq!(Reason::from_wire(name), Some(*r));
            assert_eq!(serde_json::to_value(r).unwrap(), name);
            assert_eq!(serde_json::from_value::<Reason>(name.into()).unwrap(), *r);
            assert!(!r.description().is_empty() && !r.description().ends_with('.'));
            assert!((400..600).contains(&r.status()), "{name}");
        }
        assert!(serde_json::from_value::<Reason>("no_such_reason".into()).is_err());
    }

    #[test]
    fn statuses_follow_the_codes() {
        for r in Reason::ALL {
            let expected: &[u16] = match r.code() {
                ErrorCode::InvalidToken | ErrorCode::InvalidClient => &[401],
                ErrorCode::InsufficientScope | ErrorCode::AccessDenied => &[403],
                ErrorCode::RateLimited => &[429],
                ErrorCode::NotFound => &[404],
                ErrorCode::Conflict => &[409],
                ErrorCode::Upstream => &[502, 504],
                ErrorCode::Network | ErrorCode::TemporarilyUnavailable => &[503],
                ErrorCode::Config | ErrorCode::Internal | ErrorCode::ServerError => &[500],
                _ => &[400],
            };
            // A few admin answers have their own HTTP status (415, 501, 413).
            let expected = match r {
                Reason::UnsupportedMediaType => &[415],
                Reason::PoliciesNotManaged => &[501],
                Reason::BackupTooLarge => &[413],
                _ => expected,
            };
            assert!(expected.contains(&r.status()), "{r}: {}", r.status());
        }
    }

    #[test]
    fn every_code_has_a_generic_reason_of_its_own() {
        for code in ErrorCode::ALL {
            assert_eq!(Reason::generic(code).code(), code);
        }
        assert_eq!(
            Reason::from_peer(ErrorCode::InvalidToken, Some("revoked")),
            Reason::Revoked
        );
        // A known name under another code, or an unknown one, falls back to the code's own.
        assert_eq!(
            Reason::from_peer(ErrorCode::InvalidGrant, Some("revoked")),
            Reason::InvalidGrant
        );
        assert_eq!(
            Reason::from_peer(ErrorCode::InvalidGrant, Some("whatever")),
            Reason::InvalidGrant
        );
        assert_eq!(
            Reason::from_peer(ErrorCode::InvalidScope, None),
            Reason::InvalidScope
        );
    }
}
