//! The discovery documents: RFC 8414 authorization-server metadata (also served, with a few
//! OpenID members, as the OpenID Connect configuration) and RFC 9728 protected-resource metadata.

use serde::{Deserialize, Serialize};

/// RFC 8414 §2 metadata (the members this suite reads or publishes; others are kept).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    /// The issuer identifier.
    pub issuer: String,
    /// RFC 6749 authorization endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    /// RFC 6749 token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// The JWKS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// RFC 7591.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// RFC 7009.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// RFC 7662.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// Scopes clients may ask for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// `code`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_types_supported: Vec<String>,
    /// `query`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_modes_supported: Vec<String>,
    /// Grant types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grant_types_supported: Vec<String>,
    /// Client authentication at the token endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Client authentication at the revocation endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    /// Client authentication at the introspection endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    /// PKCE methods (RFC 7636): `S256`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub authorization_response_iss_parameter_supported: bool,
    /// RFC 8705 §3.3: access tokens are bound to the client's TLS certificate when it
    /// presents one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls_client_certificate_bound_access_tokens: bool,
    /// Members not modelled here (OpenID Connect's, future ones), kept as they are.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// RFC 9728 §2 protected-resource metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedResourceMetadata {
    /// The resource identifier: what a client sends as RFC 8707 `resource`.
    pub resource: String,
    /// Issuers whose tokens the resource accepts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_servers: Vec<String>,
    /// Scopes the resource understands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// How a token may be sent: `header` only here (RFC 6750 §2.1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bearer_methods_supported: Vec<String>,
    /// Human documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_documentation: Option<String>,
    /// RFC 9728 §2 (RFC 8705): certificate-bound access tokens are supported (and enforced).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls_client_certificate_bound_access_tokens: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_metadata_members_survive_a_round_trip() {
        let doc = serde_json::json!({
            "issuer": "https://as.example",
            "token_endpoint": "https://as.example/oauth/token",
            "grant_types_supported": ["client_credentials"],
            "subject_types_supported": ["public"]
        });
        let m: AuthorizationServerMetadata = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(
            m.token_endpoint.as_deref(),
            Some("https://as.example/oauth/token")
        );
        assert_eq!(serde_json::to_value(&m).unwrap(), doc);
    }

    #[test]
    fn protected_resource_metadata_requires_the_resource() {
        // RFC 9728 §2: `resource` is REQUIRED.
        assert!(serde_json::from_str::<ProtectedResourceMetadata>("{}").is_err());
        let m: ProtectedResourceMetadata = serde_json::from_str(
            r#"{"resource":"http://localhost:8443/mcp","bearer_methods_supported":["header"]}"#,
        )
        .unwrap();
        assert_eq!(m.resource, "http://localhost:8443/mcp");
    }
}
