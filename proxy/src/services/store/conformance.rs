//! The store conformance suite: the contract of [`Store`], checked without HTTP on a fresh
//! store from a factory. Every backend runs it (`run(|| async { ... })`); SQLite does below.
//!
//! Each check names what it holds a backend to: clients (insert-only creation, replacement,
//! deletion, configuration sync and the configuration/API split), refresh families (rotation
//! as compare-and-swap, reuse visible, revocation of the family and of its access tokens),
//! access-token revocation and purge, client cut-offs, signing-key persistence and retirement,
//! single-use authorization codes (replay reports what to revoke), consent, admin policies and
//! mappings, and the audit log.

use std::future::Future;
use std::sync::Arc;

use oauth4os_core::{ErrorCode, ScopeSet};
use serde_json::json;

use super::{
    AuditEvent, AuditQuery, AuthorizationCode, ClientCutoff, ClientRecord, ClientSource, GrantType,
    NewRefreshToken, Redeemed, RefreshFamily, RevokedJti, Store, StoredKey,
};

/// A time well inside every lifetime used below.
const NOW: i64 = 1_700_000_000;

/// Runs every check, each on a fresh store from `new_store`.
pub(crate) async fn run<F, Fut>(new_store: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    clients_are_created_once_replaced_and_deleted(new_store().await).await;
    configuration_clients_sync_and_stay_apart_from_api_clients(new_store().await).await;
    refresh_rotation_is_compare_and_swap_and_reuse_is_visible(new_store().await).await;
    revoking_a_family_revokes_its_access_tokens_and_stops_rotation(new_store().await).await;
    revoked_access_tokens_are_kept_until_they_expire(new_store().await).await;
    client_cutoffs_revoke_families_and_are_listed_until_they_expire(new_store().await).await;
    signing_keys_persist_and_a_new_key_retires_the_old(new_store().await).await;
    authorization_codes_are_single_use(new_store().await).await;
    consent_covers_what_was_granted(new_store().await).await;
    admin_policies_and_mappings_round_trip(new_store().await).await;
    audit_events_are_kept_and_queried_newest_first(new_store().await).await;
    super::conformance_webhooks::run(&new_store).await;
}

fn client(id: &str, source: ClientSource) -> ClientRecord {
    ClientRecord {
        id: id.to_owned(),
        secret_hash: "sha256:AAAA".to_owned(),
        scopes: ScopeSet::parse("read:logs-*").unwrap(),
        grant_types: vec![GrantType::ClientCredentials, GrantType::RefreshToken],
        tenant: "default".to_owned(),
        access_token_ttl: Some(300),
        source,
        redirect_uris: vec!["https://app.example/cb".to_owned()],
        rate_limit: Some("10/s".to_owned()),
    }
}

fn family(id: &str, client_id: &str) -> RefreshFamily {
    RefreshFamily {
        id: id.to_owned(),
        client_id: client_id.to_owned(),
        scope: "read:logs-*".to_owned(),
        audience: "https://search.example".to_owned(),
        created_at: NOW,
        subject: None,
    }
}

fn token(n: u8, family_id: &str, issued_at: i64) -> NewRefreshToken {
    NewRefreshToken {
        hash: [n; 32],
        family_id: family_id.to_owned(),
        issued_at,
        expires_at: issued_at + 3600,
        access_jti: format!("access-{n}"),
        access_exp: issued_at + 300,
    }
}

fn event(kind: &str, client_id: Option<&str>) -> AuditEvent {
    AuditEvent::new(NOW, kind, client_id, json!({}))
}

fn jtis(revoked: &[RevokedJti]) -> Vec<&str> {
    let mut v: Vec<&str> = revoked.iter().map(|r| r.jti.as_str()).collect();
    v.sort_unstable();
    v
}

async fn clients_are_created_once_replaced_and_deleted(store: Arc<dyn Store>) {
    let a = client("a", ClientSource::Api);
    assert!(store.insert_client(a.clone(), NOW).await.unwrap());
    assert_eq!(store.client("a").await.unwrap(), Some(a.clone()));
    // Creation is insert-only: a second insert with the id changes nothing.
    let mut other = a.clone();
    other.tenant = "other".to_owned();
    assert!(!store.insert_client(other.clone(), NOW).await.unwrap());
    assert_eq!(store.client("a").await.unwrap(), Some(a.clone()));
    // Update replaces an existing client only.
    assert!(store.update_client(other.clone(), NOW).await.unwrap());
    assert_eq!(store.client("a").await.unwrap(), Some(other));
    assert!(
        !store
            .update_client(client("nobody", ClientSource::Api), NOW)
            .await
            .unwrap()
    );
    assert_eq!(store.client("nobody").await.unwrap(), None);
    // Put adds or replaces.
    store
        .put_client(client("b", ClientSource::Api), NOW)
        .await
        .unwrap();
    let ids: Vec<String> = store
        .clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert!(store.delete_client("a").await.unwrap());
    assert!(!store.delete_client("a").await.unwrap());
    assert_eq!(store.client("a").await.unwrap(), None);
}

async fn configuration_clients_sync_and_stay_apart_from_api_clients(store: Arc<dyn Store>) {
    let report = store
        .sync_config_clients(
            vec![
                client("c1", ClientSource::Config),
                client("c2", ClientSource::Config),
            ],
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(report.added, ["c1", "c2"]);
    assert!(report.updated.is_empty() && report.removed.is_empty());
    let mut changed = client("c1", ClientSource::Config);
    changed.scopes = ScopeSet::parse("write:logs-*").unwrap();
    let report = store
        .sync_config_clients(vec![changed.clone()], NOW)
        .await
        .unwrap();
    assert_eq!(report.updated, ["c1"]);
    assert_eq!(report.removed, ["c2"]);
    assert!(report.added.is_empty());
    assert_eq!(store.client("c1").await.unwrap(), Some(changed));
    assert_eq!(store.client("c2").await.unwrap(), None);
    // The same id cannot be both: an API write over a configuration client is refused, and
    // so is a configuration client over an API one; insert-only creation says no.
    let err = store
        .put_client(client("c1", ClientSource::Api), NOW)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Config);
    assert!(
        !store
            .insert_client(client("c1", ClientSource::Api), NOW)
            .await
            .unwrap()
    );
    store
        .put_client(client("api", ClientSource::Api), NOW)
        .await
        .unwrap();
    let err = store
        .sync_config_clients(
            vec![
                client("c1", ClientSource::Config),
                client("api", ClientSource::Config),
            ],
            NOW,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Config);
    assert_eq!(
        store.client("api").await.unwrap().map(|c| c.source),
        Some(ClientSource::Api)
    );
}

async fn refresh_rotation_is_compare_and_swap_and_reuse_is_visible(store: Arc<dyn Store>) {
    store
        .create_refresh_family(family("f", "a"), token(1, "f", NOW))
        .await
        .unwrap();
    let first = store.refresh_token(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(first.family, family("f", "a"));
    assert_eq!((first.used_at, first.family_revoked_at), (None, None));
    assert!(
        store
            .rotate_refresh_token(&[1; 32], token(2, "f", NOW + 10), NOW + 10)
            .await
            .unwrap()
    );
    // The old token is now used: presenting it again is reuse, and a second swap loses.
    let old = store.refresh_token(&[1; 32]).await.unwrap().unwrap();
    assert!(old.used_at.is_some());
    assert!(
        !store
            .rotate_refresh_token(&[1; 32], token(3, "f", NOW + 20), NOW + 20)
            .await
            .unwrap()
    );
    assert_eq!(store.refresh_token(&[3; 32]).await.unwrap(), None);
    let next = store.refresh_token(&[2; 32]).await.unwrap().unwrap();
    assert_eq!((next.family.id.as_str(), next.used_at), ("f", None));
    // An expired token cannot be rotated.
    assert!(
        !store
            .rotate_refresh_token(&[2; 32], token(4, "f", NOW + 7200), NOW + 7200)
            .await
            .unwrap()
    );
    assert_eq!(store.refresh_token(&[9; 32]).await.unwrap(), None);
    let active = store
        .refresh_families(Some("a".to_owned()), NOW + 30)
        .await
        .unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active.first().map(|s| s.family.id.as_str()), Some("f"));
    assert!(
        store
            .refresh_families(Some("b".to_owned()), NOW + 30)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn revoking_a_family_revokes_its_access_tokens_and_stops_rotation(store: Arc<dyn Store>) {
    store
        .create_refresh_family(family("f", "a"), token(1, "f", NOW))
        .await
        .unwrap();
    assert!(
        store
            .rotate_refresh_token(&[1; 32], token(2, "f", NOW + 10), NOW + 10)
            .await
            .unwrap()
    );
    let revoked = store
        .revoke_refresh_family(
            "f",
            "refresh_token_reused",
            event("refresh_token_reused", Some("a")),
        )
        .await
        .unwrap();
    assert_eq!(jtis(&revoked), ["access-1", "access-2"]);
    let view = store.refresh_token(&[2; 32]).await.unwrap().unwrap();
    assert!(view.family_revoked_at.is_some());
    assert!(
        !store
            .rotate_refresh_token(&[2; 32], token(3, "f", NOW + 20), NOW + 20)
            .await
            .unwrap()
    );
    let listed = store.revoked_access_tokens(NOW).await.unwrap();
    assert_eq!(jtis(&listed), ["access-1", "access-2"]);
    assert!(
        store
            .refresh_families(None, NOW + 30)
            .await
            .unwrap()
            .is_empty()
    );
    let events = store.audit_events(10).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "refresh_token_reused"));
}

async fn revoked_access_tokens_are_kept_until_they_expire(store: Arc<dyn Store>) {
    let revoked = RevokedJti {
        jti: "j1".to_owned(),
        exp: NOW + 100,
    };
    store
        .revoke_access_token(revoked.clone(), event("access_token_revoked", Some("a")))
        .await
        .unwrap();
    assert_eq!(store.revoked_access_tokens(NOW).await.unwrap(), [revoked]);
    assert!(
        store
            .revoked_access_tokens(NOW + 100)
            .await
            .unwrap()
            .is_empty()
    );
    let report = store.purge_expired(NOW + 100).await.unwrap();
    assert_eq!(report.revocations, 1);
    assert!(store.revoked_access_tokens(NOW).await.unwrap().is_empty());
    let kinds: Vec<String> = store
        .audit_events(10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["access_token_revoked"]);
}

async fn client_cutoffs_revoke_families_and_are_listed_until_they_expire(store: Arc<dyn Store>) {
    store
        .create_refresh_family(family("fa", "a"), token(1, "fa", NOW))
        .await
        .unwrap();
    store
        .create_refresh_family(family("fb", "b"), token(2, "fb", NOW))
        .await
        .unwrap();
    let cutoff = ClientCutoff {
        client_id: "a".to_owned(),
        issued_before: NOW + 5,
        expires_at: NOW + 500,
    };
    let revoked = store
        .revoke_client_tokens(cutoff.clone(), event("client_tokens_revoked", Some("a")))
        .await
        .unwrap();
    assert_eq!(jtis(&revoked), ["access-1"]);
    assert_eq!(store.client_cutoffs(NOW).await.unwrap(), [cutoff]);
    assert!(store.client_cutoffs(NOW + 500).await.unwrap().is_empty());
    // The other client's family is untouched.
    let b = store.refresh_token(&[2; 32]).await.unwrap().unwrap();
    assert_eq!(b.family_revoked_at, None);
    let a = store.refresh_token(&[1; 32]).await.unwrap().unwrap();
    assert!(a.family_revoked_at.is_some());
}

async fn signing_keys_persist_and_a_new_key_retires_the_old(store: Arc<dyn Store>) {
    let key = |kid: &str, at: i64| StoredKey {
        kid: kid.to_owned(),
        alg: "ES256".to_owned(),
        public_jwk: format!(r#"{{"kid":"{kid}"}}"#),
        private_key_enc: vec![1, 2, 3],
        created_at: at,
        retired_at: None,
    };
    assert!(store.signing_keys().await.unwrap().is_empty());
    store.add_signing_key(key("k1", NOW)).await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap(), [key("k1", NOW)]);
    store.add_signing_key(key("k2", NOW + 60)).await.unwrap();
    let keys = store.signing_keys().await.unwrap();
    let mut retired = key("k1", NOW);
    retired.retired_at = Some(NOW + 60);
    assert_eq!(keys, [retired, key("k2", NOW + 60)]);
}

async fn authorization_codes_are_single_use(store: Arc<dyn Store>) {
    let code = |n: u8, expires_at: i64| AuthorizationCode {
        hash: [n; 32],
        client_id: "a".to_owned(),
        redirect_uri: "https://app.example/cb".to_owned(),
        scope: "read:logs-*".to_owned(),
        audience: "https://search.example".to_owned(),
        code_challenge: "challenge".to_owned(),
        subject: "alice".to_owned(),
        expires_at,
    };
    store
        .put_authorization_code(code(1, NOW + 60))
        .await
        .unwrap();
    assert_eq!(
        store.redeem_authorization_code([1; 32], NOW).await.unwrap(),
        Redeemed::Fresh(code(1, NOW + 60))
    );
    // A replay learns of it, with nothing yet to revoke, then with what the code produced.
    assert_eq!(
        store
            .redeem_authorization_code([1; 32], NOW + 1)
            .await
            .unwrap(),
        Redeemed::Replayed {
            client_id: "a".to_owned(),
            family_id: None,
            access: None,
        }
    );
    let access = RevokedJti {
        jti: "from-code".to_owned(),
        exp: NOW + 300,
    };
    store
        .link_code_tokens([1; 32], access.clone(), Some("f".to_owned()))
        .await
        .unwrap();
    assert_eq!(
        store
            .redeem_authorization_code([1; 32], NOW + 2)
            .await
            .unwrap(),
        Redeemed::Replayed {
            client_id: "a".to_owned(),
            family_id: Some("f".to_owned()),
            access: Some(access),
        }
    );
    // Unknown and expired codes are nothing.
    assert_eq!(
        store.redeem_authorization_code([2; 32], NOW).await.unwrap(),
        Redeemed::Unknown
    );
    store
        .put_authorization_code(code(3, NOW + 60))
        .await
        .unwrap();
    assert_eq!(
        store
            .redeem_authorization_code([3; 32], NOW + 61)
            .await
            .unwrap(),
        Redeemed::Unknown
    );
}

async fn consent_covers_what_was_granted(store: Arc<dyn Store>) {
    let has = |scope: &str| store.has_consent("alice".to_owned(), "a".to_owned(), scope.to_owned());
    assert!(!has("read:logs-*").await.unwrap());
    store
        .record_consent(
            "alice".to_owned(),
            "a".to_owned(),
            "read:logs-*".to_owned(),
            NOW,
        )
        .await
        .unwrap();
    assert!(has("read:logs-*").await.unwrap());
    assert!(!has("read:logs-* write:logs-*").await.unwrap());
    // Consents merge.
    store
        .record_consent(
            "alice".to_owned(),
            "a".to_owned(),
            "write:logs-*".to_owned(),
            NOW,
        )
        .await
        .unwrap();
    assert!(has("read:logs-* write:logs-*").await.unwrap());
    assert!(
        !store
            .has_consent("bob".to_owned(), "a".to_owned(), "read:logs-*".to_owned())
            .await
            .unwrap()
    );
}

async fn admin_policies_and_mappings_round_trip(store: Arc<dyn Store>) {
    store
        .put_admin_policy(
            "p".to_owned(),
            "default".to_owned(),
            "permit(principal, action, resource);".to_owned(),
            event("policy_put", None),
        )
        .await
        .unwrap();
    assert_eq!(
        store.admin_policies().await.unwrap(),
        [(
            "p".to_owned(),
            "default".to_owned(),
            "permit(principal, action, resource);".to_owned()
        )]
    );
    assert!(
        store
            .delete_admin_policy("p".to_owned(), event("policy_deleted", None))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_admin_policy("p".to_owned(), event("policy_deleted", None))
            .await
            .unwrap()
    );
    assert!(store.admin_policies().await.unwrap().is_empty());
    let roles = vec!["reader".to_owned()];
    store
        .put_admin_mapping(
            "read:logs-*".to_owned(),
            roles.clone(),
            event("mapping_put", None),
        )
        .await
        .unwrap();
    assert_eq!(
        store.admin_mappings().await.unwrap(),
        [("read:logs-*".to_owned(), roles)]
    );
    assert!(
        store
            .delete_admin_mapping("read:logs-*".to_owned(), event("mapping_deleted", None))
            .await
            .unwrap()
    );
    assert!(store.admin_mappings().await.unwrap().is_empty());
}

async fn audit_events_are_kept_and_queried_newest_first(store: Arc<dyn Store>) {
    for (i, (kind, client)) in [
        ("a_kind", Some("x")),
        ("b_kind", Some("y")),
        ("a_kind", None),
    ]
    .into_iter()
    .enumerate()
    {
        let at = NOW + i64::try_from(i).unwrap();
        store
            .audit(AuditEvent::new(at, kind, client, json!({ "n": i })))
            .await
            .unwrap();
    }
    let all = store.audit_events(10).await.unwrap();
    let order: Vec<i64> = all.iter().map(|e| e.at).collect();
    assert_eq!(order, [NOW + 2, NOW + 1, NOW]);
    assert_eq!(
        all.first().map(|e| e.detail.clone()),
        Some(json!({ "n": 2 }))
    );
    assert_eq!(store.audit_events(1).await.unwrap().len(), 1);
    let query = |kind: Option<&str>, client: Option<&str>, since: Option<i64>| AuditQuery {
        kind: kind.map(str::to_owned),
        client_id: client.map(str::to_owned),
        since,
        limit: 10,
    };
    let kinds = store
        .audit_query(query(Some("a_kind"), None, None))
        .await
        .unwrap();
    assert_eq!(
        kinds.iter().map(|e| e.at).collect::<Vec<_>>(),
        [NOW + 2, NOW]
    );
    let of_x = store
        .audit_query(query(None, Some("x"), None))
        .await
        .unwrap();
    assert_eq!(of_x.iter().map(|e| e.at).collect::<Vec<_>>(), [NOW]);
    let recent = store
        .audit_query(query(None, None, Some(NOW + 1)))
        .await
        .unwrap();
    assert_eq!(
        recent.iter().map(|e| e.at).collect::<Vec<_>>(),
        [NOW + 2, NOW + 1]
    );
}
