//! Cost of one policy decision with 1, 100 and 1,000 custom policies.
//!
//! Run with `cargo bench -p oauth4os-core --bench policy`.
//!
//! - `decide/mixed/N`: a realistic mix of forbids on index prefixes (with `like`), tenant-scoped
//!   permits and forbids, and action-specific forbids. Most policies name an action or a tenant,
//!   so a request only evaluates the ones that can apply to it.
//! - `decide/all_apply/N`: the worst case, N forbids on any action, any principal and any
//!   index, none satisfied, so every one is evaluated.

#![allow(
    clippy::expect_used,
    reason = "a benchmark with a broken setup should stop"
)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use oauth4os_core::policy::{Decision, PolicyRequest, PolicySet};
use oauth4os_core::scope::{Action, ScopeSet};

const ACTIONS: [&str; 5] = ["read", "write", "manage", "monitor", "admin"];

/// `n` policies of the realistic mix, in one file.
fn mixed(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let action = ACTIONS
            .get((i / 5) % ACTIONS.len())
            .copied()
            .unwrap_or("read");
        let policy = match i % 5 {
            0 => format!(
                "@id(\"no-writes-frozen-{i}\")\nforbid(principal, action in \
                 [OAuth4os::Action::\"write\", OAuth4os::Action::\"manage\"], resource is \
                 OAuth4os::Index) when {{ resource.name like \"frozen-{i}-*\" }};\n"
            ),
            1 => format!(
                "@id(\"tenant-{i}-shared\")\npermit(principal in OAuth4os::Tenant::\"tenant-{i}\", \
                 action == OAuth4os::Action::\"read\", resource is OAuth4os::Index) when {{ \
                 resource.name like \"shared-{i}-*\" }};\n"
            ),
            2 => format!(
                "@id(\"secret-{i}\")\nforbid(principal, action, resource is OAuth4os::Index) when \
                 {{ resource.name like \"secret-{i}-*\" }} unless {{ \
                 context.scopes.contains(\"admin:secret-{i}-*\") }};\n"
            ),
            3 => format!(
                "@id(\"tenant-{i}-no-delete\")\nforbid(principal in \
                 OAuth4os::Tenant::\"tenant-{i}\", action, resource) when {{ context.method == \
                 \"DELETE\" }};\n"
            ),
            _ => format!(
                "@id(\"{action}-{i}-endpoint\")\nforbid(principal, action == \
                 OAuth4os::Action::\"{action}\", resource) when {{ context.endpoint like \
                 \"/_internal-{i}/*\" }};\n"
            ),
        };
        out.push_str(&policy);
    }
    out
}

/// `n` forbids that every request must evaluate and none satisfies.
fn all_apply(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "@id(\"all-{i}\")\nforbid(principal, action, resource is OAuth4os::Index) when {{ \
                 resource.name like \"nope-{i}-*\" || context.endpoint == \"/nope-{i}\" }};\n"
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let scopes = ScopeSet::parse("read:logs-* write:logs-app monitor:*").expect("scopes");
    let request = PolicyRequest {
        client_id: "client-7",
        tenant: "tenant-1",
        action: Action::Read,
        index: Some("logs-2026.05"),
        scope_granted: true,
        scopes: &scopes,
        endpoint: "/logs-2026.05/_search",
        method: "GET",
    };
    let mut group = c.benchmark_group("decide");
    for (name, generate) in [
        ("mixed", mixed as fn(usize) -> String),
        ("all_apply", all_apply),
    ] {
        for n in [1, 100, 1_000] {
            let text = generate(n);
            let set = PolicySet::from_sources(&[("bench.cedar", &text)]).expect("policies load");
            assert_eq!(set.decide(&request).decision, Decision::Allow);
            group.bench_with_input(BenchmarkId::new(name, n), &set, |b, set| {
                b.iter(|| set.decide(black_box(&request)));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
