//! The checked-in surface manifest is what the facade describes, and the description is sound.

use std::collections::BTreeSet;

use oauth4os_core::facade::{Function, Mode, Type, surface};

const FILE: &str = include_str!("../facade/surface.json");

#[test]
fn the_checked_in_manifest_is_current() {
    assert!(
        surface().to_json() == FILE,
        "core/facade/surface.json is stale: run \
         `cargo run -q -p oauth4os-core --example surface > core/facade/surface.json` and commit it"
    );
}

fn every_function() -> Vec<(String, Function)> {
    let s = surface();
    let mut all: Vec<(String, Function)> =
        s.functions.iter().map(|f| (String::new(), *f)).collect();
    for ns in &s.namespaces {
        all.extend(ns.functions.iter().map(|f| (ns.name.to_owned(), *f)));
    }
    for c in &s.classes {
        all.extend(c.constructors.iter().map(|f| (c.name.to_owned(), *f)));
        all.extend(c.methods.iter().map(|f| (c.name.to_owned(), *f)));
    }
    all
}

fn is_snake(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.starts_with('_')
        && !s.ends_with('_')
        && !s.contains("__")
}

#[test]
fn names_are_canonical_snake_case_and_unique() {
    let mut seen = BTreeSet::new();
    for (owner, f) in every_function() {
        assert!(is_snake(f.name), "{owner}.{}", f.name);
        assert!(
            seen.insert((owner.clone(), f.name)),
            "{owner}.{} twice",
            f.name
        );
        for p in f.params {
            assert!(is_snake(p.name), "{owner}.{}({})", f.name, p.name);
        }
        // Python spells an async entry's awaitable twin `<name>_async`: no entry may take it.
        assert!(!f.name.ends_with("_async"), "{owner}.{}", f.name);
    }
}

#[test]
fn every_record_and_handle_named_in_a_signature_exists() {
    let s = surface();
    let records: BTreeSet<_> = s.records.iter().map(|r| r.name).collect();
    let classes: BTreeSet<_> = s.classes.iter().map(|c| c.name).collect();
    let check = |t: Type, at: &str| {
        let mut t = t;
        while let Type::Optional(inner) | Type::List(inner) = t {
            t = *inner;
        }
        match t {
            Type::Record(name) => assert!(records.contains(name), "{at}: no record {name}"),
            Type::Handle(name) => assert!(classes.contains(name), "{at}: no class {name}"),
            _ => {}
        }
    };
    for (owner, f) in every_function() {
        check(f.returns, &format!("{owner}.{}", f.name));
        for p in f.params {
            check(p.ty, &format!("{owner}.{}({})", f.name, p.name));
        }
    }
    for c in &s.classes {
        assert!(
            c.constructors.iter().any(|f| f.name == "new"),
            "{} has no `new`",
            c.name
        );
        for k in c.constructors {
            assert_eq!(k.returns, Type::Handle(c.name), "{}.{}", c.name, k.name);
            assert_eq!(
                k.mode,
                Mode::Sync,
                "{}.{}: constructors never wait",
                c.name,
                k.name
            );
        }
    }
}

#[test]
fn constants_take_nothing_and_raise_nothing() {
    for (owner, f) in every_function() {
        if f.mode == Mode::Constant {
            assert!(
                owner.is_empty(),
                "{owner}.{}: constants live at the root",
                f.name
            );
            assert!(f.params.is_empty() && f.errors.is_empty(), "{}", f.name);
        }
    }
}

#[test]
fn the_manifest_lists_what_every_sdk_needs() {
    let json: serde_json::Value = serde_json::from_str(FILE).unwrap();
    let codes = json["errors"]["codes"].as_array().unwrap();
    assert_eq!(codes.len(), oauth4os_core::ErrorCode::ALL.len());
    let fields = json["errors"]["record"]["fields"].as_array().unwrap();
    for f in ["code", "reason", "message", "help?", "retry_after?"] {
        assert!(fields.iter().any(|x| x == f), "error field {f}");
    }
    let names: BTreeSet<String> = every_function()
        .into_iter()
        .map(|(o, f)| {
            if o.is_empty() {
                f.name.to_owned()
            } else {
                format!("{o}.{}", f.name)
            }
        })
        .collect();
    for must in [
        "version",
        "error_codes",
        "classify",
        "scopes.normalize",
        "scopes.covers",
        "scopes.matches",
        "Client.new",
        "Client.token",
        "Client.revoke",
        "Verifier.new",
        "Verifier.from_jwks",
        "Verifier.verify",
        "Verifier.cached",
    ] {
        assert!(names.contains(must), "{must} missing");
    }
}
