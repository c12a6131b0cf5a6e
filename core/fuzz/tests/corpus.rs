//! Replays the committed corpus of each target (`corpus/<target>/`): the seeds and every crash
//! once found, kept as regression tests.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on a broken corpus")]

use std::path::PathBuf;

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

fn replay(target: &str, run: fn(&[u8])) {
    let n = oauth4os_core_fuzz::replay(&[corpus(target)], run).unwrap();
    assert!(n >= 20, "the {target} corpus has only {n} inputs");
}

#[test]
fn token_corpus() {
    replay("token", oauth4os_core_fuzz::token::run);
}

#[test]
fn classify_corpus() {
    replay("classify", oauth4os_core_fuzz::classify::run);
}

#[test]
fn a_token_signed_by_the_harness_verifies() {
    // The `S` mode must reach the claims checks: a well-formed token signed with the fuzz key
    // verifies, else the target would only ever see signature failures.
    let header = br#"{"alg":"EdDSA","typ":"at+jwt","kid":"fuzz-ed"}"#;
    let payload = br#"{"iss":"https://idp.oauth4os.test","aud":"https://proxy.oauth4os.test","exp":1800000300,"scope":"read:logs-*"}"#;
    let token = oauth4os_core_fuzz::token::sign_with_fuzz_key(header, payload);
    let claims = oauth4os_core_fuzz::token::verify(&token).unwrap();
    assert_eq!(claims.scope.as_deref(), Some("read:logs-*"));
    // One byte of the payload changed: the signature no longer verifies.
    let forged = token.replacen(
        "LCJzY29wZSI6InJlYWQ6bG9ncy0qIn0",
        "LCJzY29wZSI6InJlYWQ6bG9ncy0rIn0",
        1,
    );
    assert_ne!(forged, token);
    let e = oauth4os_core_fuzz::token::verify(&forged).unwrap_err();
    assert_eq!(e.reason, oauth4os_core::Reason::BadSignature);
}
