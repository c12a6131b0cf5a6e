//! Cedar policies and scope mappings that change without a restart.
//!
//! The configuration file's policy files and scope mappings are the fixed base; the admin API
//! adds, replaces and deletes named policies (per tenant) and scope mappings on top. Every
//! change is validated by building the complete new policy sets first: a policy that does not
//! parse or validate against the schema, or that breaks another one, is refused and nothing
//! changes. The new snapshot is stored by the caller, then installed atomically; requests
//! already running keep the snapshot they started with.

use oauth4os_core::Reason;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use oauth4os_core::error::quote;
use oauth4os_core::policy::PolicySet;
use oauth4os_core::{Error, Result, Scope};

pub use crate::services::config::authz::DEFAULT_TENANT;

/// Longest policy name.
const MAX_NAME: usize = 64;
/// Largest policy text accepted through the admin API.
pub const MAX_POLICY_LEN: usize = 64 * 1024;

/// A policy added through the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminPolicy {
    /// The tenant whose requests it governs (`default`: the proxy's own tokens).
    pub tenant: String,
    /// Cedar text.
    pub text: String,
}

/// One consistent state: what requests are decided with.
#[derive(Debug)]
pub struct Snapshot {
    sets: HashMap<String, Arc<PolicySet>>,
    mappings: Vec<(Scope, Vec<String>)>,
    /// Admin policies by name.
    pub admin_policies: BTreeMap<String, AdminPolicy>,
    /// Admin scope mappings: scope text → roles.
    pub admin_mappings: BTreeMap<String, Vec<String>>,
}

impl Snapshot {
    /// The policy set of `tenant` (an unknown tenant gets the empty set: scopes only).
    pub fn set_for(&self, tenant: &str) -> Option<Arc<PolicySet>> {
        self.sets.get(tenant).cloned()
    }

    /// Every mapping: the configuration's, then the admin API's.
    pub fn mappings(&self) -> &[(Scope, Vec<String>)] {
        &self.mappings
    }
}

/// A change made through the admin API.
#[derive(Debug, Clone)]
pub enum Change {
    /// Adds or replaces the named policy.
    PutPolicy {
        /// Its name.
        name: String,
        /// The policy.
        policy: AdminPolicy,
    },
    /// Deletes the named policy.
    DeletePolicy(String),
    /// Adds or replaces the roles of a scope.
    PutMapping {
        /// The scope, e.g. `read:logs-*`.
        scope: String,
        /// The roles for `x-proxy-roles`.
        roles: Vec<String>,
    },
    /// Deletes the mapping of a scope.
    DeleteMapping(String),
}

/// The live policies and mappings.
#[derive(Debug)]
pub struct LivePolicies {
    /// Tenant → (source name, text) of the configuration's policy files.
    base: HashMap<String, Vec<(String, String)>>,
    base_mappings: Vec<(Scope, Vec<String>)>,
    current: RwLock<Arc<Snapshot>>,
    /// Serialises changes: propose, store, install.
    pub change_lock: tokio::sync::Mutex<()>,
}

/// Checks a policy name: `A-Z a-z 0-9 . _ -`, 1 to 64 characters.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Checks roles for `x-proxy-roles` (comma-separated on the wire, so no commas).
pub fn validate_roles(roles: &[String]) -> Result<()> {
    if roles.is_empty() {
        return Err(Error::new(
            Reason::MissingRoles,
            "a scope mapping needs at least one role",
        ));
    }
    for r in roles {
        let bad = r.is_empty()
            || r.len() > 128
            || r.chars()
                .any(|c| c == ',' || c.is_control() || c.is_whitespace());
        if bad {
            return Err(Error::new(
                Reason::InvalidRole,
                format!(
                    "role {} must be 1 to 128 characters without commas or spaces",
                    quote(r)
                ),
            ));
        }
    }
    Ok(())
}

impl LivePolicies {
    /// The base from the configuration plus what the admin API stored earlier.
    pub fn new(
        base: HashMap<String, Vec<(String, String)>>,
        base_mappings: Vec<(Scope, Vec<String>)>,
        admin_policies: BTreeMap<String, AdminPolicy>,
        admin_mappings: BTreeMap<String, Vec<String>>,
    ) -> Result<Self> {
        let mut live = Self {
            base,
            base_mappings,
            current: RwLock::new(Arc::new(Snapshot {
                sets: HashMap::new(),
                mappings: Vec::new(),
                admin_policies: BTreeMap::new(),
                admin_mappings: BTreeMap::new(),
            })),
            change_lock: tokio::sync::Mutex::new(()),
        };
        let snap = live.build(admin_policies, admin_mappings)?;
        live.current = RwLock::new(Arc::new(snap));
        Ok(live)
    }

    /// The tenants policies can be written for.
    pub fn tenants(&self) -> impl Iterator<Item = &str> {
        self.base.keys().map(String::as_str)
    }

    /// What requests are decided with now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn build(
        &self,
        admin_policies: BTreeMap<String, AdminPolicy>,
        admin_mappings: BTreeMap<String, Vec<String>>,
    ) -> Result<Snapshot> {
        let mut sets = HashMap::new();
        for (tenant, files) in &self.base {
            let admin: Vec<(String, String)> = admin_policies
                .iter()
                .filter(|(_, p)| &p.tenant == tenant)
                .map(|(name, p)| (format!("admin:{name}"), p.text.clone()))
                .collect();
            let all: Vec<(&str, &str)> = files
                .iter()
                .chain(admin.iter())
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            sets.insert(tenant.clone(), Arc::new(PolicySet::from_sources(&all)?));
        }
        if let Some((name, p)) = admin_policies
            .iter()
            .find(|(_, p)| !self.base.contains_key(&p.tenant))
        {
            return Err(Error::new(
                Reason::UnknownTenant,
                format!(
                    "policy {} names unknown tenant {}",
                    quote(name),
                    quote(&p.tenant)
                ),
            ));
        }
        let mut mappings = self.base_mappings.clone();
        for (scope, roles) in &admin_mappings {
            validate_roles(roles)?;
            mappings.push((Scope::parse(scope)?, roles.clone()));
        }
        Ok(Snapshot {
            sets,
            mappings,
            admin_policies,
            admin_mappings,
        })
    }

    /// Builds the state after `change`, without installing it: an error means the change is
    /// refused and nothing changed.
    pub fn propose(&self, change: &Change) -> Result<Snapshot> {
        let cur = self.snapshot();
        let mut policies = cur.admin_policies.clone();
        let mut mappings = cur.admin_mappings.clone();
        match change {
            Change::PutPolicy { name, policy } => {
                if !valid_name(name) {
                    return Err(Error::new(
                        Reason::InvalidName,
                        format!(
                            "policy name {} must be 1 to 64 characters among `A-Z a-z 0-9 . _ -`",
                            quote(name)
                        ),
                    ));
                }
                if policy.text.len() > MAX_POLICY_LEN {
                    return Err(Error::new(
                        Reason::PolicyTooLarge,
                        format!("a policy may have at most {MAX_POLICY_LEN} bytes"),
                    ));
                }
                policies.insert(name.clone(), policy.clone());
            }
            Change::DeletePolicy(name) => {
                if policies.remove(name).is_none() {
                    return Err(Error::new(
                        Reason::NotFound,
                        format!("no policy {}", quote(name)),
                    ));
                }
            }
            Change::PutMapping { scope, roles } => {
                let canonical = Scope::parse(scope)?.to_string();
                mappings.insert(canonical, roles.clone());
            }
            Change::DeleteMapping(scope) => {
                let canonical = Scope::parse(scope)
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                if mappings.remove(&canonical).is_none() {
                    return Err(Error::new(
                        Reason::NotFound,
                        format!("no admin scope mapping for {}", quote(scope)),
                    ));
                }
            }
        }
        self.build(policies, mappings)
    }

    /// Builds the state a restored store describes, without installing it.
    pub fn rebuild(
        &self,
        policies: &[(String, String, String)],
        mappings: &[(String, Vec<String>)],
    ) -> Result<Snapshot> {
        let policies = policies
            .iter()
            .map(|(name, tenant, text)| {
                (
                    name.clone(),
                    AdminPolicy {
                        tenant: tenant.clone(),
                        text: text.clone(),
                    },
                )
            })
            .collect();
        self.build(policies, mappings.iter().cloned().collect())
    }

    /// Makes `snapshot` the one requests are decided with.
    pub fn install(&self, snapshot: Snapshot) {
        let snap = Arc::new(snapshot);
        match self.current.write() {
            Ok(mut c) => *c = snap,
            Err(p) => *p.into_inner() = snap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> LivePolicies {
        let mut base = HashMap::new();
        base.insert(DEFAULT_TENANT.to_owned(), Vec::new());
        base.insert("acme".to_owned(), Vec::new());
        LivePolicies::new(base, Vec::new(), BTreeMap::new(), BTreeMap::new()).unwrap()
    }

    const FORBID: &str = r#"forbid (principal, action, resource is OAuth4os::Index) when { resource.name like "secret-*" };"#;

    #[test]
    fn a_bad_policy_is_refused_naming_it_and_nothing_changes() {
        let l = live();
        let put = |text: &str| Change::PutPolicy {
            name: "no-secrets".into(),
            policy: AdminPolicy {
                tenant: "acme".into(),
                text: text.into(),
            },
        };
        let e = l
            .propose(&put(
                "forbid (principal, action, resource) when { nonsense };",
            ))
            .unwrap_err();
        assert!(e.message.contains("admin:no-secrets"), "{}", e.message);
        assert!(l.snapshot().admin_policies.is_empty());
        let empty = l.snapshot().set_for("acme").unwrap().len();
        let snap = l.propose(&put(FORBID)).unwrap();
        l.install(snap);
        assert_eq!(l.snapshot().set_for("acme").unwrap().len(), empty + 1);
        assert_eq!(
            l.snapshot().set_for(DEFAULT_TENANT).unwrap().len(),
            empty,
            "other tenants untouched"
        );
        let e = l
            .propose(&Change::PutPolicy {
                name: "x".into(),
                policy: AdminPolicy {
                    tenant: "nobody".into(),
                    text: FORBID.into(),
                },
            })
            .unwrap_err();
        assert_eq!(e.reason, "unknown_tenant");
        let e = l
            .propose(&Change::PutPolicy {
                name: "bad name!".into(),
                policy: AdminPolicy {
                    tenant: "acme".into(),
                    text: FORBID.into(),
                },
            })
            .unwrap_err();
        assert_eq!(e.reason, "invalid_name");
        l.install(
            l.propose(&Change::DeletePolicy("no-secrets".into()))
                .unwrap(),
        );
        assert_eq!(l.snapshot().set_for("acme").unwrap().len(), empty);
        assert_eq!(
            l.propose(&Change::DeletePolicy("no-secrets".into()))
                .unwrap_err()
                .reason,
            "not_found"
        );
    }

    #[test]
    fn mappings_are_validated_and_canonical() {
        let l = live();
        let bad = l.propose(&Change::PutMapping {
            scope: "read:x".into(),
            roles: vec!["a,b".into()],
        });
        assert_eq!(bad.unwrap_err().reason, "invalid_role");
        assert!(
            l.propose(&Change::PutMapping {
                scope: "nonsense".into(),
                roles: vec!["r".into()]
            })
            .is_err()
        );
        assert!(
            l.propose(&Change::PutMapping {
                scope: "read:x".into(),
                roles: vec![]
            })
            .is_err()
        );
        l.install(
            l.propose(&Change::PutMapping {
                scope: "read:logs-*".into(),
                roles: vec!["logs_reader".into()],
            })
            .unwrap(),
        );
        assert_eq!(l.snapshot().mappings().len(), 1);
        l.install(
            l.propose(&Change::DeleteMapping("read:logs-*".into()))
                .unwrap(),
        );
        assert!(l.snapshot().mappings().is_empty());
    }
}
