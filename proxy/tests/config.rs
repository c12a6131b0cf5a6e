//! The commented example configuration stays valid, and bad files are refused with the file,
//! line and key named.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::path::Path;

use oauth4os_proxy::Loaded;
use oauth4os_proxy::edge::check_policies;

#[test]
fn the_commented_example_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/proxy/oauth4os.toml");
    let loaded = Loaded::from_file(&path).unwrap();
    check_policies(&loaded).unwrap();
    assert_eq!(loaded.config.tenants.len(), 1);
}

#[test]
fn a_schema_invalid_policy_file_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.cedar"),
        "\n\nforbid(principal, action, resource) when { resource.owner == \"x\" };\n",
    )
    .unwrap();
    let text = Loaded::embedded().unwrap();
    let toml = format!(
        "policies = [\"bad.cedar\"]\n{}",
        oauth4os_proxy::services::config::EMBEDDED_DEFAULTS
    );
    let loaded = Loaded::from_str(&toml, "t.toml", dir.path().to_path_buf()).unwrap();
    let e = check_policies(&loaded).unwrap_err();
    assert!(e.message.contains("bad.cedar` line 3"), "{}", e.message);
    drop(text);
}

#[test]
fn a_missing_policy_file_names_the_config_line() {
    let toml = format!(
        "policies = [\"nope.cedar\"]\n{}",
        oauth4os_proxy::services::config::EMBEDDED_DEFAULTS
    );
    let loaded = Loaded::from_str(&toml, "t.toml", ".".into()).unwrap();
    let e = check_policies(&loaded).unwrap_err();
    assert!(
        e.message.contains("t.toml line 1") && e.message.contains("key `policies`"),
        "{}",
        e.message
    );
}
