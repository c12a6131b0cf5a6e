use super::*;
use crate::error::ErrorCode;
use cedar_policy::PolicyId;

fn scopes(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

/// A request for `client` of tenant `t1` doing `action` on `index`, with the scope check done
/// the way the proxy does it.
fn decide(
    set: &PolicySet,
    tenant: &str,
    action: Action,
    index: Option<&str>,
    s: &str,
) -> PolicyDecision {
    let scopes = scopes(s);
    let scope_granted = scopes.allows(action, index.unwrap_or("*"));
    set.decide(&PolicyRequest {
        client_id: "client-a",
        tenant,
        action,
        index,
        scope_granted,
        scopes: &scopes,
        endpoint: "/logs-app/_search",
        method: "GET",
    })
}

fn load(files: &[(&str, &str)]) -> PolicySet {
    PolicySet::from_sources(files).unwrap()
}

fn load_err(files: &[(&str, &str)]) -> Error {
    PolicySet::from_sources(files).unwrap_err()
}

#[test]
fn the_scope_permit_allows_what_the_scopes_grant() {
    let set = PolicySet::new().unwrap();
    assert_eq!(set.policy_ids(), vec![SCOPES_POLICY_ID]);
    let d = decide(&set, "t1", Action::Read, Some("logs-app"), "read:logs-*");
    assert_eq!(d.decision, Decision::Allow);
    assert_eq!(d.policies, vec![SCOPES_POLICY_ID]);
    assert!(d.errors.is_empty());
    assert!(d.is_allowed());
}

#[test]
fn without_a_scope_the_default_is_deny_with_no_policies() {
    let set = PolicySet::new().unwrap();
    for (action, index, s) in [
        (Action::Write, Some("logs-app"), "read:logs-*"),
        (Action::Read, Some("metrics"), "read:logs-*"),
        (Action::Monitor, None, "read:*"),
        (Action::Read, Some("logs-app"), ""),
    ] {
        let d = decide(&set, "t1", action, index, s);
        assert_eq!(d.decision, Decision::Deny, "{action} {index:?} {s}");
        assert!(d.policies.is_empty());
        assert!(d.errors.is_empty());
    }
}

const NO_SECRETS: &str = r#"// Nobody touches secret indices, whatever their scopes say.
@id("no-secrets")
forbid(principal, action, resource is OAuth4os::Index)
when { resource.name like "secret-*" };
"#;

#[test]
fn a_custom_forbid_wins_over_the_scope_permit_and_is_reported() {
    let set = load(&[("deny.cedar", NO_SECRETS)]);
    let d = decide(&set, "t1", Action::Read, Some("secret-keys"), "admin:*");
    assert_eq!(d.decision, Decision::Deny);
    assert_eq!(d.policies, vec!["no-secrets"]);
    let d = decide(&set, "t1", Action::Read, Some("logs-app"), "admin:*");
    assert_eq!(d.decision, Decision::Allow);
    let d = decide(&set, "t1", Action::Monitor, None, "admin:*");
    assert_eq!(
        d.decision,
        Decision::Allow,
        "the cluster has no name to match"
    );
}

#[test]
fn custom_permit_ids_are_reported_with_the_scope_permit() {
    let text = r#"
permit(principal, action == OAuth4os::Action::"monitor", resource is OAuth4os::Cluster);

@id("health-get")
permit(principal, action, resource)
when { context.method == "GET" && context.endpoint == "/_cluster/health" };
"#;
    let set = load(&[("ops.cedar", text)]);
    assert_eq!(
        set.policy_ids(),
        vec![SCOPES_POLICY_ID, "ops.cedar:1", "health-get"]
    );
    let d = decide(&set, "t1", Action::Monitor, None, "monitor:*");
    assert_eq!(d.decision, Decision::Allow);
    assert_eq!(d.policies, vec![SCOPES_POLICY_ID, "ops.cedar:1"]);
    let d = decide(&set, "t1", Action::Monitor, None, "");
    assert_eq!(d.policies, vec!["ops.cedar:1"]);
    let scopes = ScopeSet::default();
    let d = set.decide(&PolicyRequest {
        client_id: "c",
        tenant: "t9",
        action: Action::Read,
        index: Some("anything"),
        scope_granted: false,
        scopes: &scopes,
        endpoint: "/_cluster/health",
        method: "GET",
    });
    assert_eq!(
        (d.decision, d.policies),
        (Decision::Allow, vec!["health-get".to_owned()])
    );
}

#[test]
fn tenant_scoped_forbids_only_touch_their_tenant() {
    let text = r#"
@id("t1-read-only")
forbid(principal in OAuth4os::Tenant::"t1", action, resource)
unless { action == OAuth4os::Action::"read" };

@id("t2-no-admin")
forbid(principal is OAuth4os::Client in OAuth4os::Tenant::"t2", action == OAuth4os::Action::"admin", resource);
"#;
    let set = load(&[("tenants.cedar", text)]);
    let d = decide(&set, "t1", Action::Write, Some("logs-app"), "write:*");
    assert_eq!(
        (d.decision, d.policies),
        (Decision::Deny, vec!["t1-read-only".to_owned()])
    );
    assert!(decide(&set, "t1", Action::Read, Some("logs-app"), "read:*").is_allowed());
    assert!(decide(&set, "t2", Action::Write, Some("logs-app"), "write:*").is_allowed());
    let d = decide(&set, "t2", Action::Admin, None, "admin:*");
    assert_eq!(d.policies, vec!["t2-no-admin"]);
    assert!(decide(&set, "t3", Action::Admin, None, "admin:*").is_allowed());
}

#[test]
fn context_scopes_can_be_used() {
    let text = r#"
@id("needs-audit-scope")
forbid(principal, action, resource is OAuth4os::Index)
when { resource.name like "audit-*" }
unless { context.scopes.contains("read:audit-*") };
"#;
    let set = load(&[("audit.cedar", text)]);
    let d = decide(&set, "t1", Action::Read, Some("audit-2026"), "read:*");
    assert_eq!(d.policies, vec!["needs-audit-scope"]);
    assert!(
        decide(
            &set,
            "t1",
            Action::Read,
            Some("audit-2026"),
            "read:* read:audit-*"
        )
        .is_allowed()
    );
}

#[test]
fn a_syntax_error_names_the_file_line_and_column() {
    let text = "// header\n\npermit(principal, action, resource)\nwhen { context.method == };\n";
    let e = load_err(&[("ok.cedar", NO_SECRETS), ("broken.cedar", text)]);
    assert_eq!(
        (e.code, e.reason.as_str()),
        (ErrorCode::Config, "policy_syntax")
    );
    assert!(
        e.message
            .starts_with("policy file `broken.cedar` line 4, column 26: "),
        "{}",
        e.message
    );
    let e = load_err(&[(
        "missing-semicolon.cedar",
        "permit(principal, action, resource)",
    )]);
    assert!(
        e.message
            .starts_with("policy file `missing-semicolon.cedar` line 1, "),
        "{e}"
    );
}

#[test]
fn schema_violations_are_rejected_with_file_and_line() {
    let unknown_attr = "@id(\"a\")\npermit(principal, action, resource);\n\nforbid(principal, action, resource is OAuth4os::Index)\n  when { resource.owner == \"x\" };\n";
    let e = load_err(&[("owner.cedar", unknown_attr)]);
    assert_eq!(
        (e.code, e.reason.as_str()),
        (ErrorCode::Config, "policy_validation")
    );
    assert!(
        e.message
            .starts_with("policy file `owner.cedar` line 5, column 10: "),
        "{e}"
    );
    assert!(e.message.contains("owner"), "{e}");

    let unknown_action = "\n\npermit(principal, action == OAuth4os::Action::\"delete\", resource);";
    let e = load_err(&[("action.cedar", unknown_action)]);
    assert_eq!(e.reason, "policy_validation");
    assert!(
        e.message
            .starts_with("policy file `action.cedar` line 3, column "),
        "{e}"
    );

    let unguarded = "forbid(principal, action, resource)\nwhen { resource.name like \"x*\" };";
    let e = load_err(&[("any.cedar", unguarded)]);
    assert_eq!(e.reason, "policy_validation");
    assert!(
        e.message
            .starts_with("policy file `any.cedar` line 2, column 8: "),
        "{e}"
    );
    assert!(e.help.unwrap().contains("resource is OAuth4os::Index"));

    let wrong_type =
        "permit(principal, action, resource) when { context.scope_granted == \"yes\" };";
    assert_eq!(
        load_err(&[("t.cedar", wrong_type)]).reason,
        "policy_validation"
    );
    let unknown_type = "permit(principal in OAuth4os::Team::\"x\", action, resource);";
    let e = load_err(&[("t.cedar", unknown_type)]);
    assert_eq!(e.reason, "policy_validation");
    assert_eq!(e.help.as_deref(), Some("did you mean `OAuth4os::Tenant`?"));

    // One problem per place, however many actions it is checked for.
    let two = "permit(principal, action, resource) when { context.a };\npermit(principal, action, resource) when { context.b };";
    let e = load_err(&[("t.cedar", two)]);
    assert!(
        e.message
            .ends_with("(and problems at 1 other place in this file)"),
        "{e}"
    );
}

#[test]
fn duplicate_ids_are_rejected() {
    let a = "@id(\"same\")\npermit(principal, action, resource);";
    let b = "\n\n@id(\"same\")\nforbid(principal, action, resource);";
    let e = load_err(&[("a.cedar", a), ("b.cedar", b)]);
    assert_eq!(
        (e.code, e.reason.as_str()),
        (ErrorCode::Config, "duplicate_policy_id")
    );
    assert!(
        e.message
            .starts_with("policy file `b.cedar` line 3, column 1: "),
        "{e}"
    );
    assert!(e.message.contains("`a.cedar` line 1"), "{e}");

    let builtin = "@id(\"oauth4os/scopes\") forbid(principal, action, resource);";
    assert_eq!(
        load_err(&[("x.cedar", builtin)]).reason,
        "duplicate_policy_id"
    );
    let forged = "permit(principal, action, resource);\n@id(\"x.cedar:1\") permit(principal, action, resource);";
    assert_eq!(
        load_err(&[("x.cedar", forged)]).reason,
        "duplicate_policy_id"
    );
    let empty = "@id(\"\") permit(principal, action, resource);";
    assert_eq!(load_err(&[("x.cedar", empty)]).reason, "invalid_policy_id");
}

#[test]
fn templates_are_rejected() {
    let text =
        "permit(principal, action, resource);\npermit(principal == ?principal, action, resource);";
    let e = load_err(&[("t.cedar", text)]);
    assert_eq!(e.reason, "policy_template");
    assert!(
        e.message
            .starts_with("policy file `t.cedar` line 2, column 1: "),
        "{e}"
    );
}

#[test]
fn loading_is_all_or_nothing() {
    let good = ("good.cedar", NO_SECRETS);
    let bad = (
        "bad.cedar",
        "forbid(principal, action, resource) when { nope };",
    );
    assert!(PolicySet::from_sources(&[good, bad]).is_err());
    assert!(PolicySet::from_sources(&[bad, good]).is_err());
    let set = load(&[good]);
    assert_eq!(set.len(), 2);
}

#[test]
fn evaluation_errors_never_allow() {
    // Overflow is an evaluation error the validator cannot rule out.
    let text = r#"
@id("overflowing-forbid")
forbid(principal, action, resource) when { (if context.scope_granted then 9223372036854775807 else 9223372036854775807) + 1 > 0 };
"#;
    let set = load(&[("f.cedar", text)]);
    let d = decide(&set, "t1", Action::Read, Some("logs"), "read:*");
    assert_eq!(d.decision, Decision::Deny);
    assert_eq!(d.policies, vec!["overflowing-forbid"]);
    assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
    assert!(d.errors[0].contains("overflowing-forbid"), "{:?}", d.errors);

    let text = r#"
@id("overflowing-permit")
permit(principal, action, resource) when { (if context.scope_granted then 9223372036854775807 else 9223372036854775807) + 1 > 0 };
"#;
    let set = load(&[("p.cedar", text)]);
    let d = decide(&set, "t1", Action::Read, Some("logs"), "read:other");
    assert_eq!(
        (d.decision, d.policies.len(), d.errors.len()),
        (Decision::Deny, 0, 1)
    );
}

#[test]
fn indexing_by_action_resource_and_tenant_agrees_with_plain_cedar() {
    let text = r#"
forbid(principal, action in [OAuth4os::Action::"write", OAuth4os::Action::"manage"], resource is OAuth4os::Index) when { resource.name like "frozen-*" };
forbid(principal in OAuth4os::Tenant::"t1", action, resource is OAuth4os::Cluster);
permit(principal == OAuth4os::Client::"client-a", action == OAuth4os::Action::"monitor", resource);
permit(principal, action, resource == OAuth4os::Index::"public");
forbid(principal in OAuth4os::Tenant::"t2", action, resource) when { context.method == "DELETE" };
forbid(principal, action, resource) when { resource is OAuth4os::Index && resource.name like "pub*" && principal in OAuth4os::Tenant::"t3" };
permit(principal, action, resource is OAuth4os::Index) when { resource.name == "logs" && context.scopes.contains("read:*") };
permit(principal, action, resource is OAuth4os::Index) when { resource.name like "*s" };
forbid(principal, action == OAuth4os::Action::"admin", resource is OAuth4os::Index) when { resource.name like "fr*" };
"#;
    let set = load(&[("mix.cedar", text)]);
    let mut plain = cedar_policy::PolicySet::new();
    plain
        .add(cedar_policy::Policy::parse(Some(PolicyId::new("builtin")), SCOPES_POLICY).unwrap())
        .unwrap();
    for p in cedar_policy::PolicySet::from_str(text).unwrap().policies() {
        plain.add(p.clone()).unwrap();
    }
    let authorizer = Authorizer::new();
    for tenant in ["t1", "t2", "t3"] {
        for action in Action::ALL {
            for index in [None, Some("frozen-1"), Some("public"), Some("logs")] {
                for s in ["", "read:*", "admin:*"] {
                    let ours = decide(&set, tenant, action, index, s);
                    let scopes = scopes(s);
                    let req = PolicyRequest {
                        client_id: "client-a",
                        tenant,
                        action,
                        index,
                        scope_granted: scopes.allows(action, index.unwrap_or("*")),
                        scopes: &scopes,
                        endpoint: "/logs-app/_search",
                        method: "GET",
                    };
                    let (request, entities) = set.build(&req, true, true).unwrap();
                    let theirs = authorizer.is_authorized(&request, &plain, &entities);
                    let expected = match theirs.decision() {
                        cedar_policy::Decision::Allow => Decision::Allow,
                        cedar_policy::Decision::Deny => Decision::Deny,
                    };
                    assert_eq!(ours.decision, expected, "{tenant} {action} {index:?} {s}");
                    assert_eq!(
                        ours.policies.len(),
                        theirs.diagnostics().reason().count(),
                        "{tenant} {action} {index:?} {s}"
                    );
                }
            }
        }
    }
}

#[test]
fn from_dir_reads_cedar_files_in_name_order() {
    let dir = std::env::temp_dir().join(format!("oauth4os-policy-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("b.cedar"), "permit(principal, action, resource);").unwrap();
    std::fs::write(dir.join("a.cedar"), NO_SECRETS).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a policy").unwrap();
    let set = PolicySet::from_dir(&dir).unwrap();
    assert_eq!(
        set.policy_ids(),
        vec![SCOPES_POLICY_ID, "no-secrets", "b.cedar:1"]
    );
    std::fs::write(dir.join("c.cedar"), "permit(").unwrap();
    let e = PolicySet::from_dir(&dir).unwrap_err();
    assert!(e.message.contains("`c.cedar`"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
    let e = PolicySet::from_dir(&dir).unwrap_err();
    assert_eq!(
        (e.code, e.reason.as_str()),
        (ErrorCode::Config, "policy_dir")
    );
}

#[test]
fn decisions_serialise_as_data() {
    let d = PolicyDecision {
        decision: Decision::Deny,
        policies: vec!["no-secrets".into()],
        errors: vec![],
    };
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["decision"], "deny");
    assert_eq!(v["policies"][0], "no-secrets");
}

#[test]
fn the_schema_and_policy_set_are_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PolicySet>();
    assert!(SCHEMA.contains("namespace OAuth4os"));
}

/// The reference answer: plain Cedar over every policy with every entity, then the fail-closed
/// rule for forbids that fail.
fn reference(set: &PolicySet, req: &PolicyRequest<'_>) -> PolicyDecision {
    let (request, entities) = set.build(req, true, true).unwrap();
    let response = Authorizer::new().is_authorized(&request, &set.all, &entities);
    let mut satisfied: Vec<String> = response
        .diagnostics()
        .reason()
        .map(ToString::to_string)
        .collect();
    let mut failed_forbids = Vec::new();
    let mut errors = Vec::new();
    for error in response.diagnostics().errors() {
        let AuthorizationError::PolicyEvaluationError(e) = error;
        errors.push(error.to_string());
        if set.all.policy(e.policy_id()).unwrap().effect() == Effect::Forbid {
            failed_forbids.push(e.policy_id().to_string());
        }
    }
    let decision = if !failed_forbids.is_empty() {
        if response.decision() == cedar_policy::Decision::Allow {
            satisfied.clear();
        }
        satisfied.extend(failed_forbids);
        Decision::Deny
    } else {
        match response.decision() {
            cedar_policy::Decision::Allow => Decision::Allow,
            cedar_policy::Decision::Deny => Decision::Deny,
        }
    };
    satisfied.sort();
    errors.sort();
    PolicyDecision {
        decision,
        policies: satisfied,
        errors,
    }
}

mod agreement {
    use super::*;
    use proptest::prelude::*;

    const PRINCIPALS: [&str; 5] = [
        "principal",
        "principal in OAuth4os::Tenant::\"t1\"",
        "principal in OAuth4os::Tenant::\"t2\"",
        "principal == OAuth4os::Client::\"c1\"",
        "principal is OAuth4os::Client in OAuth4os::Tenant::\"t1\"",
    ];
    const ACTIONS: [&str; 3] = [
        "action",
        "action == OAuth4os::Action::\"read\"",
        "action in [OAuth4os::Action::\"write\", OAuth4os::Action::\"admin\"]",
    ];
    const RESOURCES: [&str; 4] = [
        "resource",
        "resource is OAuth4os::Index",
        "resource is OAuth4os::Cluster",
        "resource == OAuth4os::Index::\"logs\"",
    ];
    const ATOMS: [&str; 12] = [
        "resource is OAuth4os::Index",
        "resource.name like \"l*\"",
        "resource.name like \"se*t\"",
        "resource.name == \"logs\"",
        "context.method == \"GET\"",
        "principal in OAuth4os::Tenant::\"t1\"",
        "context.scopes.contains(\"read:*\")",
        "context.scope_granted",
        "(if context.scope_granted then 9223372036854775807 else 0) + 1 > 0",
        "resource is OAuth4os::Index && resource.name like \"*s\"",
        "resource has name",
        "resource in OAuth4os::Index::\"logs\"",
    ];

    fn policy() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            0..PRINCIPALS.len(),
            0..ACTIONS.len(),
            0..RESOURCES.len(),
            proptest::collection::vec(0..ATOMS.len(), 0..4),
            any::<bool>(),
        )
            .prop_map(|(permit, p, a, r, atoms, unless)| {
                let effect = if permit { "permit" } else { "forbid" };
                let mut text = format!(
                    "{effect}({}, {}, {})",
                    PRINCIPALS[p], ACTIONS[a], RESOURCES[r]
                );
                if !atoms.is_empty() {
                    let body: Vec<&str> = atoms.iter().map(|i| ATOMS[*i]).collect();
                    let kind = if unless { "unless" } else { "when" };
                    text.push_str(&format!(" {kind} {{ {} }}", body.join(" && ")));
                }
                text + ";\n"
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// The grouping never changes a decision, its policies or its errors.
        #[test]
        fn grouped_decisions_equal_plain_cedar(policies in proptest::collection::vec(policy(), 1..8)) {
            // Keep the policies that validate (e.g. `resource.name` needs the resource narrowed).
            let valid: Vec<String> = policies
                .into_iter()
                .filter(|p| PolicySet::from_sources(&[("p.cedar", p)]).is_ok())
                .collect();
            let text = valid.concat();
            let set = load(&[("p.cedar", &text)]);
            for tenant in ["t1", "t2", "t3"] {
                for client_id in ["c1", "c2"] {
                    for action in Action::ALL {
                        for index in [None, Some("logs"), Some("secret"), Some("set"), Some("x")] {
                            for (s, method) in [("", "GET"), ("read:*", "PUT"), ("admin:*", "GET")] {
                                let scopes = scopes(s);
                                let req = PolicyRequest {
                                    client_id,
                                    tenant,
                                    action,
                                    index,
                                    scope_granted: scopes.allows(action, index.unwrap_or("*")),
                                    scopes: &scopes,
                                    endpoint: "/",
                                    method,
                                };
                                let mut ours = set.decide(&req);
                                ours.errors.sort();
                                prop_assert_eq!(ours, reference(&set, &req), "{}\n{:?}", text, req);
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn requests_only_evaluate_the_policies_that_can_apply() {
    let mut text = String::new();
    for i in 0..50 {
        text.push_str(&format!(
            "forbid(principal, action, resource is OAuth4os::Index) when {{ resource.name like \"secret-{i}-*\" }};\n\
             permit(principal in OAuth4os::Tenant::\"tenant-{i}\", action, resource);\n\
             forbid(principal, action == OAuth4os::Action::\"admin\", resource);\n"
        ));
    }
    let set = load(&[("many.cedar", &text)]);
    let evaluated = |action, index: Option<&str>, tenant| {
        let mut groups = Vec::new();
        set.index.groups(action, index, tenant, &mut groups);
        groups
            .iter()
            .map(|g| g.set.num_of_policies())
            .sum::<usize>()
    };
    assert_eq!(evaluated(Action::Read, Some("logs"), "tenant-1"), 2); // scopes + tenant-1
    assert_eq!(evaluated(Action::Read, Some("secret-7-x"), "t"), 2); // scopes + secret-7-
    assert_eq!(evaluated(Action::Admin, None, "t"), 51); // scopes + 50 admin forbids
}
