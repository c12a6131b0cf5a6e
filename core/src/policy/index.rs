//! Which policies a request must evaluate.
//!
//! Cedar evaluates every policy of the set it is given, at roughly a microsecond each, so the
//! policies are split, once at load, into groups that a request can skip without changing the
//! decision. A policy is left out of a group only when it is certainly false, without error,
//! for every request that evaluates the group:
//!
//! - by action and resource kind (index or cluster), from the policy scope
//!   (`action == ...`, `action in [...]`, `resource is ...`, `resource == ...`) and from leading
//!   `resource is OAuth4os::Index` tests of the first `when` clause;
//! - by tenant, for scopes `principal in OAuth4os::Tenant::"t"`: a client's only parent is its
//!   tenant, so the policy is false for every other tenant;
//! - by index name prefix, for a first `when` clause that starts with
//!   `resource.name like "<prefix>*..."` or `resource.name == "<name>"` (after any
//!   `resource is OAuth4os::Index`): false for an index whose name does not start with the
//!   prefix. Only the leading tests count, because Cedar's `&&` stops at the first false one, so
//!   nothing after them, which might fail, is evaluated.

use std::collections::HashMap;

use cedar_policy::{
    ActionConstraint, EntityTypeName, EntityUid, Policy, PrincipalConstraint, ResourceConstraint,
};
use serde_json::Value;

use super::Names;
use crate::error::{Error, Result};
use crate::scope::Action;

/// Resource kinds, as indices into `[bool; 2]`.
const INDEX: usize = 0;
const CLUSTER: usize = 1;

/// Policies evaluated together, with what the request entities must contain for them.
#[derive(Debug, Default)]
pub(super) struct Group {
    pub(super) set: cedar_policy::PolicySet,
    /// Some policy mentions a tenant, so the client must be in the entities with its tenant as
    /// parent. Otherwise no policy can tell whether the client is there: the client has no
    /// attributes and `principal == ...`, `principal is ...` need no entity data.
    pub(super) needs_tenant: bool,
    /// Some policy reads the resource in a condition (`resource.name`, ...), so an index must
    /// be in the entities. Scope tests on the resource need no entity data: indices have no
    /// parents.
    pub(super) needs_resource: bool,
}

impl Group {
    fn add(&mut self, policy: &Policy, reach: &Reach) -> Result<()> {
        self.needs_tenant |= reach.needs_tenant;
        self.needs_resource |= reach.needs_resource;
        self.set
            .add(policy.clone())
            .map_err(|e| Error::internal(format!("indexing policies: {e}")))
    }
}

/// The groups for one action and resource kind.
#[derive(Debug, Default)]
struct Bucket {
    shared: Group,
    by_tenant: HashMap<String, Group>,
    by_prefix: HashMap<String, Group>,
    /// The distinct lengths of the keys of `by_prefix`, ascending.
    prefix_lengths: Vec<usize>,
}

/// The policy groups, by action and resource kind.
#[derive(Debug)]
pub(super) struct PolicyIndex {
    buckets: Vec<Bucket>,
}

/// Where a policy can apply.
struct Reach {
    actions: [bool; 5],
    kinds: [bool; 2],
    tenant: Option<String>,
    /// For index requests: a prefix the index name must have.
    prefix: Option<String>,
    needs_tenant: bool,
    needs_resource: bool,
}

fn action_index(action: Action) -> usize {
    match action {
        Action::Read => 0,
        Action::Write => 1,
        Action::Manage => 2,
        Action::Monitor => 3,
        Action::Admin => 4,
    }
}

fn bucket_index(action: usize, kind: usize) -> usize {
    action * 2 + kind
}

impl PolicyIndex {
    /// Groups every policy of `all`.
    pub(super) fn new(all: &cedar_policy::PolicySet, names: &Names) -> Result<Self> {
        let mut buckets: Vec<Bucket> = (0..10).map(|_| Bucket::default()).collect();
        for policy in all.policies() {
            let reach = reach(policy, names);
            for (a, _) in reach.actions.iter().enumerate().filter(|(_, on)| **on) {
                for (k, _) in reach.kinds.iter().enumerate().filter(|(_, on)| **on) {
                    let Some(bucket) = buckets.get_mut(bucket_index(a, k)) else {
                        continue;
                    };
                    let group = match (&reach.tenant, &reach.prefix) {
                        (Some(t), _) => bucket.by_tenant.entry(t.clone()).or_default(),
                        (None, Some(p)) if k == INDEX && !p.is_empty() => {
                            bucket.by_prefix.entry(p.clone()).or_default()
                        }
                        _ => &mut bucket.shared,
                    };
                    group.add(policy, &reach)?;
                }
            }
        }
        for bucket in &mut buckets {
            let mut lengths: Vec<usize> = bucket.by_prefix.keys().map(String::len).collect();
            lengths.sort_unstable();
            lengths.dedup();
            bucket.prefix_lengths = lengths;
        }
        Ok(Self { buckets })
    }

    /// The groups a request must evaluate, into `out`.
    pub(super) fn groups<'a>(
        &'a self,
        action: Action,
        index: Option<&str>,
        tenant: &str,
        out: &mut Vec<&'a Group>,
    ) {
        let kind = if index.is_some() { INDEX } else { CLUSTER };
        let Some(bucket) = self.buckets.get(bucket_index(action_index(action), kind)) else {
            return;
        };
        out.push(&bucket.shared);
        out.extend(bucket.by_tenant.get(tenant));
        if let Some(name) = index {
            for len in bucket
                .prefix_lengths
                .iter()
                .take_while(|l| **l <= name.len())
            {
                if let Some(group) = name.get(..*len).and_then(|p| bucket.by_prefix.get(p)) {
                    out.push(group);
                }
            }
        }
    }
}

/// Which requests a policy can be true (or fail) for.
fn reach(policy: &Policy, names: &Names) -> Reach {
    let only = |uids: &[EntityUid]| -> [bool; 5] {
        Action::ALL.map(|a| uids.iter().any(|u| u == names.action(a)))
    };
    let actions = match policy.action_constraint() {
        ActionConstraint::Any => [true; 5],
        ActionConstraint::Eq(uid) => only(std::slice::from_ref(&uid)),
        ActionConstraint::In(uids) => only(&uids),
    };
    let kind_of = |ty: &EntityTypeName| [ty == &names.index, ty == &names.cluster];
    let mut kinds = match policy.resource_constraint() {
        ResourceConstraint::Any => [true; 2],
        // Indices and the cluster have no parents: for them `in` is `==`.
        ResourceConstraint::Eq(uid) | ResourceConstraint::In(uid) => kind_of(uid.type_name()),
        ResourceConstraint::Is(ty) | ResourceConstraint::IsIn(ty, _) => kind_of(&ty),
    };
    let tenant = match policy.principal_constraint() {
        PrincipalConstraint::In(uid) | PrincipalConstraint::IsIn(_, uid)
            if uid.type_name() == &names.tenant =>
        {
            Some(uid.id().unescaped().to_owned())
        }
        _ => None,
    };
    let needs_tenant = tenant.is_some()
        || policy
            .entity_literals()
            .iter()
            .any(|uid| uid.type_name() == &names.tenant);
    let mut prefix = None;
    // Without the JSON form, assume the worst.
    let mut needs_resource = true;
    if let Ok(est) = policy.to_json() {
        needs_resource = est
            .get("conditions")
            .is_none_or(|c| mentions_var(c, "resource"));
        for guard in leading_guards(&est) {
            match guard {
                Guard::IsIndex => kinds[CLUSTER] = false,
                Guard::NamePrefix(p) => {
                    prefix = Some(p);
                    break;
                }
            }
        }
    }
    Reach {
        actions,
        kinds,
        tenant,
        prefix,
        needs_tenant,
        needs_resource,
    }
}

/// Whether a JSON expression reads the variable `var` anywhere.
fn mentions_var(expr: &Value, var: &str) -> bool {
    match expr {
        Value::Object(map) => map.iter().any(|(key, value)| {
            (key == "Var" && value.as_str() == Some(var)) || mentions_var(value, var)
        }),
        Value::Array(items) => items.iter().any(|v| mentions_var(v, var)),
        _ => false,
    }
}

/// A test at the start of a policy's first `when` clause that can be false but cannot fail.
#[derive(Debug, PartialEq)]
enum Guard {
    /// `resource is OAuth4os::Index`.
    IsIndex,
    /// `resource.name like "<prefix>*..."` or `resource.name == "<prefix>"`. It cannot fail
    /// for an index request, whose resource always has a name.
    NamePrefix(String),
}

/// The guards that open the first `when` clause of a policy in Cedar's JSON form (EST),
/// in order, up to the first test that is not one.
fn leading_guards(est: &Value) -> Vec<Guard> {
    let Some(first) = est.get("conditions").and_then(|c| c.get(0)) else {
        return Vec::new();
    };
    if first.get("kind").and_then(Value::as_str) != Some("when") {
        return Vec::new();
    }
    let Some(body) = first.get("body") else {
        return Vec::new();
    };
    let mut conjuncts = Vec::new();
    flatten_and(body, &mut conjuncts);
    conjuncts.into_iter().map_while(guard).collect()
}

/// The operands of a chain of `&&`, left to right.
fn flatten_and<'a>(expr: &'a Value, out: &mut Vec<&'a Value>) {
    match expr.get("&&") {
        Some(and) => {
            if let (Some(left), Some(right)) = (and.get("left"), and.get("right")) {
                flatten_and(left, out);
                flatten_and(right, out);
            } else {
                out.push(expr);
            }
        }
        None => out.push(expr),
    }
}

fn guard(expr: &Value) -> Option<Guard> {
    if let Some(is) = expr.get("is") {
        let plain = is.get("in").is_none()
            && is_var(is.get("left")?, "resource")
            && is.get("entity_type")?.as_str()? == "OAuth4os::Index";
        return plain.then_some(Guard::IsIndex);
    }
    if let Some(like) = expr.get("like") {
        if !is_resource_name(like.get("left")?) {
            return None;
        }
        let mut prefix = String::new();
        for element in like.get("pattern")?.as_array()? {
            match element.get("Literal").and_then(Value::as_str) {
                Some(literal) => prefix.push_str(literal),
                None => break,
            }
        }
        return Some(Guard::NamePrefix(prefix));
    }
    if let Some(eq) = expr.get("==") {
        let (left, right) = (eq.get("left")?, eq.get("right")?);
        let literal = |v: &Value| v.get("Value").and_then(Value::as_str).map(str::to_owned);
        if is_resource_name(left) {
            return literal(right).map(Guard::NamePrefix);
        }
        if is_resource_name(right) {
            return literal(left).map(Guard::NamePrefix);
        }
    }
    None
}

fn is_var(expr: &Value, var: &str) -> bool {
    expr.get("Var").and_then(Value::as_str) == Some(var)
}

fn is_resource_name(expr: &Value) -> bool {
    expr.get(".").is_some_and(|dot| {
        dot.get("left").is_some_and(|l| is_var(l, "resource"))
            && dot.get("attr").and_then(Value::as_str) == Some("name")
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn guards(text: &str) -> Vec<Guard> {
        let set = cedar_policy::PolicySet::from_str(text).unwrap();
        let policy = set.policies().next().unwrap();
        leading_guards(&policy.to_json().unwrap())
    }

    #[test]
    fn leading_guards_are_recognised() {
        let p = |s: &str| Guard::NamePrefix(s.to_owned());
        assert_eq!(
            guards(
                r#"forbid(principal, action, resource) when { resource.name like "sec\*ret-*x" };"#
            ),
            vec![p("sec*ret-")]
        );
        assert_eq!(
            guards(
                r#"forbid(principal, action, resource) when { resource is OAuth4os::Index && resource.name like "a*" && context.method == "GET" };"#
            ),
            vec![Guard::IsIndex, p("a")]
        );
        assert_eq!(
            guards(r#"permit(principal, action, resource) when { "exact" == resource.name };"#),
            vec![p("exact")]
        );
        assert_eq!(
            guards(r#"permit(principal, action, resource) when { resource.name like "*-x" };"#),
            vec![p("")]
        );
    }

    #[test]
    fn only_leading_guards_count() {
        for text in [
            r#"forbid(principal, action, resource) when { context.method == "GET" && resource.name like "a*" };"#,
            r#"forbid(principal, action, resource) when { resource.name like "a*" || context.method == "GET" };"#,
            r#"forbid(principal, action, resource) unless { resource.name like "a*" };"#,
            r#"forbid(principal, action, resource) when { !(resource.name like "a*") };"#,
            r#"forbid(principal, action, resource) when { context.endpoint like "/a*" };"#,
            r#"forbid(principal, action, resource) when { resource is OAuth4os::Index in OAuth4os::Index::"x" };"#,
        ] {
            assert_eq!(guards(text), vec![], "{text}");
        }
    }
}
