//! What survives a restart, how the store keeps its secrets, and the configuration checks.

use axum::http::StatusCode;
use oauth4os_core::{ErrorCode, ScopeSet};
use rusqlite::Connection;

use super::{AUD, Harness, ISSUER, KEK, TempDir, config, entry, post};
use crate::authz::{AuthConfig, AuthServer, ClientRecord, SqliteStore};
use crate::services::keys;
use crate::services::store::{ClientSource, SCHEMA_VERSION};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every byte SQLite wrote: the database file and its WAL.
fn store_bytes(h: &Harness) -> Vec<u8> {
    let mut bytes = std::fs::read(h.dir.db()).unwrap();
    if let Ok(wal) = std::fs::read(h.dir.path().join("auth.db-wal")) {
        bytes.extend(wal);
    }
    bytes
}

#[tokio::test]
async fn everything_survives_a_restart() {
    let h = Harness::new();
    let ci = h.token("ci", "ci-secret", &[]).await;
    let ci_token = ci["access_token"].as_str().unwrap().to_owned();
    let revoked = h.token("ci", "ci-secret", &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    h.post("/oauth/revoke", &super::form(&[("token", &revoked)]), None)
        .await;
    let agent = h.token("agent", "agent-secret", &[]).await;
    let rt = agent["refresh_token"].as_str().unwrap().to_owned();
    let jwks = h.server.jwks();

    let Harness {
        dir,
        server,
        router,
    } = h;
    drop(router);
    drop(server);
    let server = AuthServer::open(config(&dir), KEK).unwrap();
    let h = Harness {
        router: super::full_router(&server),
        server,
        dir,
    };
    assert_eq!(h.server.jwks(), jwks, "same signing key");
    h.server.verify(&ci_token).await.unwrap();
    assert_eq!(
        h.server.verify(&revoked).await.unwrap_err().reason,
        "revoked"
    );
    let r = h.refresh("agent", "agent-secret", &rt, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    h.token("ci", "ci-secret", &[]).await;
    let events = h.server.store.audit_events(100).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == "signing_key_created")
            .count(),
        1
    );
}

#[tokio::test]
async fn the_private_key_is_encrypted_and_a_wrong_kek_fails_clearly() {
    let h = Harness::new();
    let token = h.token("agent", "agent-secret", &[]).await;
    let rt = token["refresh_token"].as_str().unwrap();
    let stored = h.server.store.signing_keys().await.unwrap();
    assert_eq!(stored.len(), 1);
    let key = &stored[0];
    assert!(
        !key.public_jwk.contains("\"d\""),
        "no private member in the JWK"
    );

    let pkcs8 = keys::open(&KEK, &key.kid, &key.private_key_enc).unwrap();
    // The P-256 private scalar follows `02 01 01 04 20` in the PKCS#8 document.
    let at = pkcs8
        .windows(5)
        .position(|w| w == [2, 1, 1, 4, 32])
        .unwrap();
    let scalar = &pkcs8[at + 5..at + 37];
    let bytes = store_bytes(&h);
    assert!(
        contains(&bytes, key.kid.as_bytes()),
        "the search does see the file"
    );
    assert!(
        !contains(&bytes, &pkcs8),
        "the PKCS#8 document is not stored in clear"
    );
    assert!(
        !contains(&bytes, scalar),
        "the private scalar is not stored in clear"
    );
    assert!(
        !contains(&bytes, rt.as_bytes()),
        "refresh tokens are stored hashed"
    );

    // The associated data binds the blob to its key id.
    assert!(keys::open(&KEK, "another-kid", &key.private_key_enc).is_err());

    let Harness {
        dir,
        server,
        router,
    } = h;
    drop((server, router));
    let e = AuthServer::open(config(&dir), [8; 32]).unwrap_err();
    assert_eq!(e.code, ErrorCode::Config);
    assert_eq!(e.reason, "wrong_key_encryption_key");
    assert!(e.message.contains("key-encryption key"), "{e}");
    assert!(AuthServer::open(config(&dir), KEK).is_ok());

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.db()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn store_settings_and_schema_version() {
    let dir = TempDir::new();
    let _server = AuthServer::open(config(&dir), KEK).unwrap();
    let conn = Connection::open(dir.db()).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    // A store from the future is refused.
    conn.execute("UPDATE schema_version SET version = 99", [])
        .unwrap();
    drop(conn);
    let e = SqliteStore::open(&dir.db()).unwrap_err();
    assert_eq!(e.reason, "store_too_new");
}

#[tokio::test]
async fn config_clients_are_synchronised_and_api_clients_kept_apart() {
    let dir = TempDir::new();
    let mut cfg = config(&dir);
    let server = AuthServer::open(cfg.clone(), KEK).unwrap();
    let api = ClientRecord {
        id: "api-client".into(),
        ..server.store.client("ci").await.unwrap().unwrap()
    };
    server.store.put_client(api, 0).await.unwrap();
    let e = server
        .store
        .put_client(server.store.client("ci").await.unwrap().unwrap(), 0)
        .await
        .unwrap_err();
    assert_eq!(e.reason, "client_conflict");
    drop(server);

    // Restart with `ci` removed and `agent` narrowed: the store follows, the API client stays.
    cfg.clients.retain(|c| c.id != "ci");
    cfg.clients[0].scopes = ScopeSet::parse("read:logs-app").unwrap();
    let server = AuthServer::open(cfg.clone(), KEK).unwrap();
    let ids: Vec<String> = server
        .store
        .clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["agent", "api-client", "other", "rt-only"]);
    let api = server.store.client("api-client").await.unwrap().unwrap();
    assert_eq!(api.source, ClientSource::Api);
    let r = post(
        &super::full_router(&server),
        "/oauth/token",
        "grant_type=client_credentials",
        Some(("ci", "ci-secret")),
    )
    .await;
    assert_eq!(r.error(), "invalid_client");
    let r = post(
        &super::full_router(&server),
        "/oauth/token",
        "grant_type=client_credentials",
        Some(("agent", "agent-secret")),
    )
    .await;
    assert_eq!(r.body["scope"], "read:logs-app");
    let sync = server.store.audit_events(10).await.unwrap();
    let ev = sync
        .iter()
        .find(|e| e.kind == "config_clients_synced")
        .unwrap();
    assert_eq!(ev.detail["removed"], serde_json::json!(["ci"]));
    assert_eq!(ev.detail["updated"], serde_json::json!(["agent"]));
    drop(server);

    // A config client may not take an API client's id.
    cfg.clients.push(entry("api-client", "x", "read:a", &[]));
    let e = AuthServer::open(cfg, KEK).unwrap_err();
    assert_eq!(e.reason, "client_conflict");
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid() {
    let h = Harness::new();
    let before = h.token("ci", "ci-secret", &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_kid = h.server.jwks()["keys"][0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_kid = h.server.rotate_signing_key().await.unwrap();
    assert_ne!(old_kid, new_kid);
    let jwks = h.server.jwks();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [new_kid.as_str(), old_kid.as_str()]);
    h.server.verify(&before).await.unwrap();
    let after = h.token("ci", "ci-secret", &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = h.verify_offline(&after).unwrap();
    assert_eq!(claims.iss, ISSUER);
    h.server.verify(&after).await.unwrap();
}

#[test]
fn configuration_errors_name_the_key() {
    let dir = TempDir::new();
    let good = config(&dir);
    good.validate().unwrap();
    type Change = Box<dyn Fn(&mut AuthConfig)>;
    let cases: Vec<(Change, &str, &str)> = vec![
        (
            Box::new(|c| c.issuer = "localhost:8443".into()),
            "invalid_issuer",
            "`issuer`",
        ),
        (
            Box::new(|c| c.issuer = "https://a.example/".into()),
            "invalid_issuer",
            "`issuer`",
        ),
        (
            Box::new(|c| c.audiences.clear()),
            "missing_audience",
            "`audiences`",
        ),
        (
            Box::new(|c| c.access_token_ttl = 0),
            "invalid_ttl",
            "`access_token_ttl`",
        ),
        (
            Box::new(|c| c.clients[1].id = "bad id".into()),
            "invalid_client_id",
            "`clients[1].id`",
        ),
        (
            Box::new(|c| c.clients[0].secret_hash = "plain".into()),
            "invalid_secret_hash",
            "`clients[0].secret_hash`",
        ),
        (
            Box::new(|c| c.clients[0].scopes = ScopeSet::default()),
            "invalid_scopes",
            "`clients[0].scopes`",
        ),
        (
            Box::new(|c| c.clients[3].id = "ci".into()),
            "duplicate_client",
            "`clients[3].id`",
        ),
        (
            Box::new(|c| c.clients[0].access_token_ttl = Some(0)),
            "invalid_ttl",
            "`clients[0].access_token_ttl`",
        ),
    ];
    for (change, reason, key) in cases {
        let mut cfg = good.clone();
        change(&mut cfg);
        let e = cfg.validate().unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
        assert_eq!(e.reason, reason, "{e}");
        assert!(e.message.contains(key), "{e}");
        assert!(
            !e.message.contains("$argon2id$"),
            "no hash in messages: {e}"
        );
    }
    // Unknown keys are refused when deserialising, and defaults apply.
    let json = serde_json::json!({"issuer": ISSUER, "audiences": [AUD], "store_path": "x.db"});
    let cfg: AuthConfig = serde_json::from_value(json).unwrap();
    assert_eq!(
        (cfg.access_token_ttl, cfg.refresh_token_ttl),
        (3600, 30 * 24 * 3600)
    );
    let bad =
        serde_json::json!({"issuer": ISSUER, "audiences": [AUD], "store_path": "x", "ttl": 1});
    assert!(serde_json::from_value::<AuthConfig>(bad).is_err());
    // Debug output of a client entry hides its hash.
    assert!(!format!("{:?}", good.clients[0]).contains("argon2"));
}

#[test]
fn hash_secret_makes_a_verifiable_argon2id_phc_string() {
    let phc = AuthServer::hash_secret("correct horse").unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    let verifier = crate::services::secrets::SecretVerifier::new(
        Some(&crate::services::secrets::test_hash("x")),
        None,
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(
        rt.block_on(verifier.verify("c", Some(&phc), "correct horse", None)),
        Ok(true)
    );
    assert_eq!(
        rt.block_on(verifier.verify("c", Some(&phc), "wrong horse", None)),
        Ok(false)
    );
    assert_eq!(
        rt.block_on(verifier.verify("c", None, "correct horse", None)),
        Ok(false)
    );
    // Server-generated secrets are stored as SHA-256.
    let (secret, stored) = crate::authz::generate_secret().unwrap();
    assert!(stored.starts_with("sha256:"));
    assert_eq!(
        rt.block_on(verifier.verify("d", Some(&stored), &secret, None)),
        Ok(true)
    );
    assert_eq!(
        rt.block_on(verifier.verify("d", Some(&stored), "nope", None)),
        Ok(false)
    );
    assert!(AuthServer::hash_secret("").is_err());
}
