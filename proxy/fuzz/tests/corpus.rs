//! Replays the committed corpus of each target (`corpus/<target>/`): the seeds and every crash
//! once found, kept as regression tests.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on a broken corpus")]

use std::path::PathBuf;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let n = oauth4os_core_fuzz::replay(&[dir], run).unwrap();
    assert!(n >= 20, "the {target} corpus has only {n} inputs");
}

#[test]
fn config_corpus() {
    replay("config", oauth4os_proxy_fuzz::config::run);
}

#[test]
fn form_corpus() {
    replay("form", oauth4os_proxy_fuzz::form::run);
}
