//! `/admin/policies`, `/admin/scope-mappings` and `/admin/tenants`: Cedar policies and scope →
//! role mappings that take effect on the next request, and the tenants they can govern.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::clients::Source;

/// The body of `PUT /admin/policies/{id}`, where `{id}` names the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// The tenant whose requests it governs; `default` (the proxy's own tokens) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The Cedar text; validated against the schema before anything is stored.
    pub policy: String,
}

/// A Cedar policy added through the admin API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Policy {
    /// Its name (the `{id}` of its path).
    pub name: String,
    /// The tenant whose requests it governs.
    pub tenant: String,
    /// The Cedar text.
    pub policy: String,
}

/// The answer to `GET /admin/policies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyList {
    /// The policies added through the admin API (not those of the configuration file).
    pub policies: Vec<Policy>,
}

/// The body of `PUT /admin/scope-mappings/{id}`, where `{id}` is the scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingSpec {
    /// The OpenSearch roles a token with the scope gets (1 to 128 characters each, no comma,
    /// space or control character).
    #[schemars(length(min = 1), inner(regex(pattern = r"^[^,\s]{1,128}$")))]
    pub roles: Vec<String>,
}

/// A scope and the OpenSearch roles it maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScopeMapping {
    /// The scope, in canonical form.
    pub scope: String,
    /// Its roles.
    pub roles: Vec<String>,
    /// `api` when the admin API set these roles, `config` when they come from the configuration
    /// file.
    pub source: Source,
}

/// The answer to `GET /admin/scope-mappings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScopeMappingList {
    /// Every mapping in force, from the configuration file and the admin API.
    pub mappings: Vec<ScopeMapping>,
}

/// A tenant: the proxy's own issuer (`default`) or an OpenID provider whose tokens it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tenant {
    /// The tenant name.
    pub name: String,
    /// Its issuer URL.
    pub issuer: String,
    /// Whether users can sign in through it (`authorization_code`).
    pub login: bool,
    /// How many Cedar policies govern its requests.
    pub policies: u64,
}

/// The answer to `GET /admin/tenants`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TenantList {
    /// The built-in issuer first, then each OpenID provider.
    pub tenants: Vec<Tenant>,
}
