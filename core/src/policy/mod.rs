//! Cedar policies: the token's scopes become one permit, custom policies add permits and
//! forbids, and a forbid always wins.
//!
//! The schema ([`SCHEMA`], `policy/schema.cedarschema`) declares the namespace `OAuth4os`:
//! principals are `Client`s (each `in` its `Tenant`), resources are an `Index` (with a `name`)
//! or the `Cluster`, the actions are the scope actions `read`, `write`, `manage`, `monitor` and
//! `admin`, and the context carries `scope_granted`, `scopes`, `endpoint` and `method`.
//!
//! The built-in policy [`SCOPES_POLICY_ID`] permits whatever the token's scopes grant: the
//! caller checks the scopes in Rust and passes the answer as `context.scope_granted`. Custom
//! policies come from `*.cedar` files, are validated against the schema in strict mode when
//! loaded, and are named by their `@id("...")` annotation or else `<file>:<n>` (the `n`th
//! policy of the file, from 1). For example:
//!
//! ```cedar
//! @id("no-secrets")
//! forbid(principal, action, resource is OAuth4os::Index)
//! when { resource.name like "secret-*" };
//!
//! @id("t1-reads-only")
//! forbid(principal in OAuth4os::Tenant::"t1", action, resource)
//! unless { action == OAuth4os::Action::"read" };
//! ```
//!
//! Decisions follow Cedar: deny unless some permit is satisfied, and any satisfied forbid
//! denies. One deliberate difference: Cedar skips a policy whose evaluation fails, which for a
//! forbid would let the request through; here a failing forbid denies (fail closed). A failing
//! permit is skipped, as in Cedar, so an evaluation error never allows.

mod index;
mod load;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;

use cedar_policy::{
    AuthorizationError, Authorizer, Context, Effect, Entities, Entity, EntityId, EntityTypeName,
    EntityUid, Request, RestrictedExpression,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::scope::{Action, ScopeSet};
use index::PolicyIndex;

/// The Cedar schema every policy is validated against.
pub const SCHEMA: &str = include_str!("schema.cedarschema");

/// The id of the built-in policy that turns the token's scopes into a permit.
pub const SCOPES_POLICY_ID: &str = "oauth4os/scopes";

/// The text of the built-in policy.
pub const SCOPES_POLICY: &str = r#"@id("oauth4os/scopes")
permit(principal, action, resource) when { context.scope_granted };"#;

/// The entity id of the one `OAuth4os::Cluster`.
pub const CLUSTER_ID: &str = "cluster";

/// The outcome of a policy check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Some permit is satisfied and no forbid is.
    Allow,
    /// A forbid is satisfied or fails, or no permit is satisfied.
    Deny,
}

/// A decision and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDecision {
    /// Allow or deny.
    pub decision: Decision,
    /// The ids of the policies that determined the decision, sorted: the satisfied permits for
    /// [`Decision::Allow`], the satisfied (or failing) forbids for [`Decision::Deny`]; empty
    /// when the request is denied because no permit applies.
    pub policies: Vec<String>,
    /// Evaluation errors, each naming its policy. An error never allows.
    pub errors: Vec<String>,
}

impl PolicyDecision {
    /// Whether the decision is [`Decision::Allow`].
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    fn deny_with_error(error: String) -> Self {
        Self {
            decision: Decision::Deny,
            policies: Vec::new(),
            errors: vec![error],
        }
    }
}

/// One authorization question.
#[derive(Debug, Clone, Copy)]
pub struct PolicyRequest<'a> {
    /// The OAuth client the token was issued to: `OAuth4os::Client::"<client_id>"`.
    pub client_id: &'a str,
    /// The client's tenant, the client's one parent: `OAuth4os::Tenant::"<tenant>"`.
    pub tenant: &'a str,
    /// What the request does.
    pub action: Action,
    /// The index the request targets, passed as `resource.name`; `None` for a cluster-wide
    /// request. Policies see only this text: `resource.name like "secret-*"` does not match a
    /// target of `*` or `logs-*,secret-1`, so the caller should decide once per concrete index
    /// or treat wildcard and multi-index targets (and aliases) separately.
    pub index: Option<&'a str>,
    /// Whether the token's scopes grant `action` on `index` (see [`ScopeSet::allows`]).
    pub scope_granted: bool,
    /// The token's scopes, passed as `context.scopes`.
    pub scopes: &'a ScopeSet,
    /// The request path, passed as `context.endpoint`.
    pub endpoint: &'a str,
    /// The HTTP method, passed as `context.method`.
    pub method: &'a str,
}

/// The built-in policy plus the custom ones, validated, indexed and ready to decide.
///
/// Loading is all-or-nothing: a set is only ever built from files that all parse and validate.
/// Cheap to share: wrap it in an `Arc` and swap the `Arc` to reload.
#[derive(Debug)]
pub struct PolicySet {
    /// Every policy, for ids and effects.
    all: cedar_policy::PolicySet,
    /// Policy ids in load order: the built-in one, then each file's in order.
    ids: Vec<String>,
    /// The policies grouped so that a request evaluates only those that can apply to it.
    index: PolicyIndex,
    names: Names,
    authorizer: Authorizer,
}

/// Entity types and action ids, built once so that a decision parses nothing.
#[derive(Debug, Clone)]
struct Names {
    client: EntityTypeName,
    tenant: EntityTypeName,
    index: EntityTypeName,
    cluster: EntityTypeName,
    actions: [EntityUid; 5],
}

impl Names {
    fn new() -> Result<Self> {
        let ty = |name: &str| {
            EntityTypeName::from_str(&format!("OAuth4os::{name}"))
                .map_err(|e| Error::internal(format!("bad built-in entity type: {e}")))
        };
        let action_type = ty("Action")?;
        let action = |a: Action| {
            EntityUid::from_type_name_and_id(action_type.clone(), EntityId::new(a.as_str()))
        };
        Ok(Self {
            client: ty("Client")?,
            tenant: ty("Tenant")?,
            index: ty("Index")?,
            cluster: ty("Cluster")?,
            actions: Action::ALL.map(action),
        })
    }

    fn uid(&self, ty: &EntityTypeName, id: &str) -> EntityUid {
        EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
    }

    fn action(&self, action: Action) -> &EntityUid {
        // Built from `Action::ALL`, in that order.
        let [read, write, manage, monitor, admin] = &self.actions;
        match action {
            Action::Read => read,
            Action::Write => write,
            Action::Manage => manage,
            Action::Monitor => monitor,
            Action::Admin => admin,
        }
    }
}

impl PolicySet {
    /// The built-in scope policy alone.
    pub fn new() -> Result<Self> {
        Self::from_sources(&[])
    }

    /// The built-in policy plus the policies in `files`, each a `(file name, text)` pair.
    ///
    /// Every file must parse and validate against [`SCHEMA`] and every policy id must be
    /// unique, or nothing is loaded: the error (code `config`, reason `policy_syntax`,
    /// `policy_validation`, `policy_template` or `duplicate_policy_id`) names the file, line
    /// and column.
    pub fn from_sources(files: &[(&str, &str)]) -> Result<Self> {
        let names = Names::new()?;
        let all = load::load(files)?;
        let index = PolicyIndex::new(&all, &names)?;
        let ids = all.policies().map(|p| p.id().to_string()).collect();
        Ok(Self {
            all,
            ids,
            index,
            names,
            authorizer: Authorizer::new(),
        })
    }

    /// The built-in policy plus every `*.cedar` file of `dir`, in file name order.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let files = load::read_dir(dir)?;
        let borrowed: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        Self::from_sources(&borrowed)
    }

    /// Every policy id: the built-in one, then each file's in order.
    pub fn policy_ids(&self) -> Vec<String> {
        self.ids.clone()
    }

    /// Number of policies, the built-in one included.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Always false: the built-in policy is always there.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Decides a request. Never fails: anything that goes wrong denies, with the reason in
    /// [`PolicyDecision::errors`].
    pub fn decide(&self, req: &PolicyRequest<'_>) -> PolicyDecision {
        let mut groups = Vec::with_capacity(4);
        self.index
            .groups(req.action, req.index, req.tenant, &mut groups);
        let needs_tenant = groups.iter().any(|g| g.needs_tenant);
        let needs_resource = groups.iter().any(|g| g.needs_resource);
        let (request, entities) = match self.build(req, needs_tenant, needs_resource) {
            Ok(built) => built,
            Err(e) => return PolicyDecision::deny_with_error(e),
        };
        let mut permits = Vec::new();
        let mut forbids = Vec::new();
        let mut errors = Vec::new();
        for group in groups {
            if group.set.is_empty() {
                continue;
            }
            let response = self
                .authorizer
                .is_authorized(&request, &group.set, &entities);
            let reasons = response.diagnostics().reason().map(ToString::to_string);
            match response.decision() {
                cedar_policy::Decision::Allow => permits.extend(reasons),
                cedar_policy::Decision::Deny => forbids.extend(reasons),
            }
            for error in response.diagnostics().errors() {
                errors.push(error.to_string());
                let AuthorizationError::PolicyEvaluationError(e) = error;
                if self
                    .all
                    .policy(e.policy_id())
                    .map(cedar_policy::Policy::effect)
                    == Some(Effect::Forbid)
                {
                    forbids.push(e.policy_id().to_string());
                }
            }
        }
        let (decision, mut policies) = if !forbids.is_empty() {
            (Decision::Deny, forbids)
        } else if !permits.is_empty() {
            (Decision::Allow, permits)
        } else {
            (Decision::Deny, Vec::new())
        };
        policies.sort_unstable();
        policies.dedup();
        PolicyDecision {
            decision,
            policies,
            errors,
        }
    }

    /// The Cedar request and entities for `req`. Entities cost microseconds, so the client is
    /// only added (with its tenant as parent) when some policy to evaluate mentions a tenant,
    /// and the index when some policy reads the resource in a condition. The cluster never
    /// is: it has no attributes and no parents.
    fn build(
        &self,
        req: &PolicyRequest<'_>,
        needs_tenant: bool,
        needs_resource: bool,
    ) -> std::result::Result<(Request, Entities), String> {
        let n = &self.names;
        let principal = n.uid(&n.client, req.client_id);
        let mut entities = Vec::with_capacity(2);
        if needs_tenant {
            let tenant = n.uid(&n.tenant, req.tenant);
            entities.push(Entity::new_no_attrs(
                principal.clone(),
                HashSet::from([tenant]),
            ));
        }
        let resource = match req.index {
            Some(name) if !needs_resource => n.uid(&n.index, name),
            Some(name) => {
                let uid = n.uid(&n.index, name);
                let attrs = HashMap::from([(
                    "name".to_owned(),
                    RestrictedExpression::new_string(name.to_owned()),
                )]);
                let entity = Entity::new(uid.clone(), attrs, HashSet::new())
                    .map_err(|e| format!("building the index entity: {e}"))?;
                entities.push(entity);
                uid
            }
            None => n.uid(&n.cluster, CLUSTER_ID),
        };
        let scopes = RestrictedExpression::new_set(
            req.scopes
                .iter()
                .map(|s| RestrictedExpression::new_string(s.to_string())),
        );
        let context = Context::from_pairs([
            (
                "scope_granted".to_owned(),
                RestrictedExpression::new_bool(req.scope_granted),
            ),
            ("scopes".to_owned(), scopes),
            (
                "endpoint".to_owned(),
                RestrictedExpression::new_string(req.endpoint.to_owned()),
            ),
            (
                "method".to_owned(),
                RestrictedExpression::new_string(req.method.to_owned()),
            ),
        ])
        .map_err(|e| format!("building the request context: {e}"))?;
        let request = Request::new(
            principal,
            n.action(req.action).clone(),
            resource,
            context,
            None,
        )
        .map_err(|e| format!("building the request: {e}"))?;
        let entities = Entities::from_entities(entities, None)
            .map_err(|e| format!("building the entities: {e}"))?;
        Ok((request, entities))
    }
}
