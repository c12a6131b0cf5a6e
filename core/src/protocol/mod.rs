//! The OAuth protocol as plain serde types, shared by the client (core's [`crate::client`] and
//! every SDK) and the server (the proxy's authorization server and resource side): endpoint
//! paths, grant and token types, token and error bodies, RFC 7662 introspection, and the
//! RFC 8414 / RFC 9728 metadata documents.

mod metadata;
pub mod render;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, Reason};

pub use metadata::{AuthorizationServerMetadata, ProtectedResourceMetadata};

/// Endpoint paths, relative to the issuer (the proxy's public base URL).
pub mod paths {
    /// RFC 6749 §3.2.
    pub const TOKEN: &str = "/oauth/token";
    /// RFC 6749 §3.1.
    pub const AUTHORIZE: &str = "/oauth/authorize";
    /// Where the tenant's OpenID provider sends the user back after sign-in.
    pub const CALLBACK: &str = "/oauth/callback";
    /// RFC 7009.
    pub const REVOKE: &str = "/oauth/revoke";
    /// RFC 7662.
    pub const INTROSPECT: &str = "/oauth/introspect";
    /// RFC 7591.
    pub const REGISTER: &str = "/oauth/register";
    /// RFC 8414 §3.
    pub const AUTHORIZATION_SERVER_METADATA: &str = "/.well-known/oauth-authorization-server";
    /// OpenID Connect Discovery 1.0 §4.
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    /// The JWKS of the built-in authorization server.
    pub const JWKS: &str = "/.well-known/jwks.json";
    /// RFC 9728 §3: the protected resource's metadata (the OpenSearch front); a resource at a
    /// path (`/mcp`) has its document at this path plus the resource's path.
    pub const PROTECTED_RESOURCE_METADATA: &str = "/.well-known/oauth-protected-resource";
}

/// RFC 8693 §3 token type of an access token.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// RFC 8693 §3 token type of a refresh token.
pub const REFRESH_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:refresh_token";
/// RFC 8693 §3 token type of a JWT.
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// The grant types this suite speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrantType {
    /// RFC 6749 §4.1 with PKCE S256 (RFC 7636).
    AuthorizationCode,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §6, rotated on use.
    RefreshToken,
    /// RFC 8693.
    TokenExchange,
}

impl GrantType {
    /// Every grant, in the order metadata lists them.
    pub const ALL: [Self; 4] = [
        Self::AuthorizationCode,
        Self::ClientCredentials,
        Self::RefreshToken,
        Self::TokenExchange,
    ];

    /// The wire form (`grant_type`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::ClientCredentials => "client_credentials",
            Self::RefreshToken => "refresh_token",
            Self::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
        }
    }

    /// Parses the wire form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// The short name configuration files and the admin API use (`token_exchange` for the
    /// RFC 8693 URN; the others are their wire form).
    pub const fn short_name(self) -> &'static str {
        match self {
            Self::TokenExchange => "token_exchange",
            other => other.as_str(),
        }
    }

    /// Parses a short name or the wire form.
    pub fn parse_name(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|g| g.short_name() == s || g.as_str() == s)
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for GrantType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Reads the wire form or the short name (`token_exchange`).
impl<'de> Deserialize<'de> for GrantType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::parse_name(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unsupported grant type {}",
                crate::error::quote(&s)
            ))
        })
    }
}

impl schemars::JsonSchema for GrantType {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "GrantType".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Self::ALL.iter().map(|g| g.as_str()).collect();
        schemars::json_schema!({
            "description": "A grant type in its wire form (RFC 6749, RFC 8693).",
            "type": "string",
            "enum": names,
        })
    }
}

/// A token endpoint's successful answer (RFC 6749 §5.1, RFC 8693 §2.2.1): the cross-language
/// `Token` type.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Granted scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// A refresh token, when issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// For token exchange: the type of the issued token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

/// An error body (RFC 6749 §5.2, RFC 6750 §3) with this suite's additions: every HTTP error
/// of every front (resource side, OAuth endpoints, admin API, MCP) has this shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorBody {
    /// The OAuth (or oauth4os) code.
    pub error: ErrorCode,
    /// For humans.
    pub error_description: String,
    /// The stable finer-grained reason.
    pub reason: Reason,
    /// Extra advice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Seconds before a retry may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// The scope that would grant the request (`insufficient_scope`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// The revocation endpoint's answer (RFC 7009 §2.2 allows any body; ours says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationResponse {
    /// Always `true`: revoking an unknown or expired token succeeds too (RFC 7009 §2.2).
    pub revoked: bool,
}

/// RFC 7662 §2.2: an introspection answer. Inactive tokens carry only `active: false`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntrospectionResponse {
    /// Whether the token is currently active.
    pub active: bool,
    /// Space-separated scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issued at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Audience: one string or several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<serde_json::Value>,
    /// Issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The tenant whose provider authenticated the subject (ours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// RFC 8705 §3.2: the confirmation of a certificate-bound token (`{"x5t#S256": "..."}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_types_use_their_registered_wire_names() {
        // RFC 6749 §4.1.3, §4.4.2, §6 and RFC 8693 §2.1.
        let names: Vec<&str> = GrantType::ALL.iter().map(|g| g.as_str()).collect();
        assert_eq!(
            names,
            [
                "authorization_code",
                "client_credentials",
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:token-exchange"
            ]
        );
        for g in GrantType::ALL {
            assert_eq!(GrantType::parse(g.as_str()), Some(g));
            let json = serde_json::to_value(g).unwrap();
            assert_eq!(serde_json::from_value::<GrantType>(json).unwrap(), g);
        }
        assert_eq!(GrantType::parse("password"), None);
        assert_eq!(GrantType::parse("token_exchange"), None);
        assert_eq!(
            GrantType::parse_name("token_exchange"),
            Some(GrantType::TokenExchange)
        );
        assert_eq!(
            GrantType::parse_name("client_credentials"),
            Some(GrantType::ClientCredentials)
        );
        assert!(serde_json::from_value::<GrantType>("implicit".into()).is_err());
        let short: GrantType = serde_json::from_value("token_exchange".into()).unwrap();
        assert_eq!(short, GrantType::TokenExchange);
    }

    #[test]
    fn error_bodies_carry_code_and_reason() {
        let body = ErrorBody {
            error: ErrorCode::InvalidToken,
            error_description: "the token has been revoked".into(),
            reason: Reason::Revoked,
            help: None,
            retry_after: None,
            scope: None,
        };
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error":"invalid_token","error_description":"the token has been revoked","reason":"revoked"})
        );
    }

    #[test]
    fn an_inactive_introspection_answer_is_only_active_false() {
        // RFC 7662 §2.2: "If the introspected token is invalid [...] the authorization server
        // MUST return an introspection response with the "active" field set to "false"".
        let v = serde_json::to_value(IntrospectionResponse::default()).unwrap();
        assert_eq!(v, serde_json::json!({"active": false}));
    }

    #[test]
    fn the_token_response_debug_hides_tokens() {
        let t = TokenResponse {
            access_token: "secret-access".into(),
            token_type: "Bearer".into(),
            expires_in: Some(300),
            scope: None,
            refresh_token: Some("secret-refresh".into()),
            issued_token_type: None,
        };
        let d = format!("{t:?}");
        assert!(
            !d.contains("secret-access") && !d.contains("secret-refresh"),
            "{d}"
        );
    }
}
