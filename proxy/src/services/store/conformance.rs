//! The store conformance suite: the contract of [`Store`], checked without HTTP on a fresh
//! store from a factory. Every backend runs it (`run(|| async { ... })`); SQLite does below.
//!
//! Each check names what it holds a backend to: clients (insert-only creation, replacement,
//! deletion, configuration sync and the configuration/API split), refresh families (rotation
//! as compare-and-swap, reuse visible, revocation of the family and of its access tokens),
//! access-token revocation and purge, client cut-offs, signing-key persistence and retirement,
//! single-use authorization codes (replay reports what to revoke), consent (expiry, merging,
//! withdrawal ending its sessions), interactive sessions (listing, touch on rotation, ending
//! with their families and access tokens), admin policies and mappings, and the audit log.

use std::future::Future;
use std::sync::Arc;

use oauth4os_core::{ErrorCode, ScopeSet};
use serde_json::json;

use super::{
    AuditEvent, AuditQuery, AuthorizationCode, ClientCutoff, ClientRecord, ClientSource, GrantType,
    NewRefreshToken, Redeemed, RefreshFamily, RevokedJti, SessionFilter, SessionRecord, Store,
    StoredKey,
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
    sessions_are_listed_touched_and_ended_with_their_tokens(new_store().await).await;
    withdrawing_a_consent_ends_the_sessions_relying_on_it(new_store().await).await;
    admin_policies_and_mappings_round_trip(new_store().await).await;
    audit_events_are_kept_and_queried_newest_first(new_store().await).await;
    super::conformance_webhooks::run(&new_store).await;
    client_constraints_round_trip(new_store().await).await;
}

async fn client_constraints_round_trip(store: Arc<dyn Store>) {
    use crate::services::store::{AuthMethod, ClientConstraints};
    let mut mtls = client("mtls", ClientSource::Api);
    mtls.constraints = ClientConstraints {
        auth_method: AuthMethod::TlsClientAuth,
        subject_dn: Some("CN=ci,O=Example".to_owned()),
        san_dns: Some("ci.example".to_owned()),
        thumbprints: Vec::new(),
        certificate_bound_tokens: false,
        allowed_ips: vec!["10.0.0.0/8".to_owned(), "2001:db8::/32".to_owned()],
        audiences: Vec::new(),
    };
    assert!(store.insert_client(mtls.clone(), NOW).await.unwrap());
    assert_eq!(store.client("mtls").await.unwrap(), Some(mtls.clone()));
    // Replacing them with the defaults clears them.
    let plain = ClientRecord {
        constraints: ClientConstraints::default(),
        ..mtls.clone()
    };
    assert!(store.update_client(plain.clone(), NOW).await.unwrap());
    assert_eq!(store.client("mtls").await.unwrap(), Some(plain));
    let mut self_signed = client("self", ClientSource::Config);
    self_signed.constraints.auth_method = AuthMethod::SelfSignedTlsClientAuth;
    self_signed.constraints.thumbprints = vec!["A".repeat(43)];
    store
        .sync_config_clients(vec![self_signed.clone()], NOW)
        .await
        .unwrap();
    assert_eq!(store.clients().await.unwrap().len(), 2);
    assert_eq!(store.client("self").await.unwrap(), Some(self_signed));
    // A public client bound to some audiences keeps both, and no secret.
    let mut public = client("cli", ClientSource::Api);
    public.secret_hash = String::new();
    public.grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
    public.constraints.auth_method = AuthMethod::None;
    public.constraints.audiences = vec![
        "https://search.example".to_owned(),
        "https://search.example/mcp".to_owned(),
    ];
    assert!(store.insert_client(public.clone(), NOW).await.unwrap());
    let read = store.client("cli").await.unwrap().unwrap();
    assert_eq!(read, public);
    assert!(read.constraints.auth_method.is_public());
    assert!(read.secret_hash.is_empty());
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
        constraints: crate::services::store::ClientConstraints::default(),
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
        consent_id: (n == 1).then(|| "consent-1".to_owned()),
        user_agent: (n == 1).then(|| "Firefox/140".to_owned()),
        address: None,
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
    let of = |user: &str| store.consent(user.to_owned(), "a".to_owned());
    let record = |scope: &str, now: i64, until: i64| {
        store.record_consent(
            "alice".to_owned(),
            "a".to_owned(),
            scope.to_owned(),
            now,
            until,
        )
    };
    assert_eq!(of("alice").await.unwrap(), None);
    let first = record("read:logs-*", NOW, NOW + 100).await.unwrap();
    assert_eq!(
        (first.scope.as_str(), first.granted_at, first.expires_at),
        ("read:logs-*", NOW, NOW + 100)
    );
    assert_eq!(of("alice").await.unwrap(), Some(first.clone()));
    // Consents merge while unexpired, and keep their id.
    let merged = record("write:logs-*", NOW + 10, NOW + 110).await.unwrap();
    assert_eq!(merged.id, first.id);
    assert_eq!(merged.scope, "read:logs-* write:logs-*");
    assert_eq!(merged.expires_at, NOW + 110);
    // An expired consent is replaced, not merged.
    let renewed = record("monitor:*", NOW + 200, NOW + 300).await.unwrap();
    assert_eq!(
        (renewed.id.as_str(), renewed.scope.as_str()),
        (first.id.as_str(), "monitor:*")
    );
    assert_eq!(of("bob").await.unwrap(), None);
    let listed = store
        .consents(Some("alice".to_owned()), None)
        .await
        .unwrap();
    assert_eq!(listed, [renewed]);
    assert!(
        store
            .consents(Some("bob".to_owned()), None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .consents(None, Some("a".to_owned()))
            .await
            .unwrap()
            .len(),
        1
    );
}

fn session(
    id: &str,
    user: &str,
    client_id: &str,
    family: Option<&str>,
    consent: &str,
) -> SessionRecord {
    SessionRecord {
        id: id.to_owned(),
        subject: user.to_owned(),
        tenant: "acme".to_owned(),
        client_id: client_id.to_owned(),
        created_at: NOW,
        last_used_at: NOW,
        expires_at: NOW + 3600,
        user_agent: Some("curl/8".to_owned()),
        address: Some("192.0.2.7".to_owned()),
        family_id: family.map(str::to_owned),
        consent_id: Some(consent.to_owned()),
        access: RevokedJti {
            jti: format!("first-{id}"),
            exp: NOW + 300,
        },
        ended_at: None,
        ended_reason: None,
    }
}

async fn sessions_are_listed_touched_and_ended_with_their_tokens(store: Arc<dyn Store>) {
    store
        .create_refresh_family(family("f1", "a"), token(1, "f1", NOW))
        .await
        .unwrap();
    store
        .create_refresh_family(family("f2", "a"), token(2, "f2", NOW))
        .await
        .unwrap();
    let s1 = session("s1", "alice", "a", Some("f1"), "c1");
    let s2 = session("s2", "alice", "a", Some("f2"), "c1");
    let s3 = session("s3", "bob", "b", None, "c2");
    for s in [&s1, &s2, &s3] {
        store.create_session(s.clone()).await.unwrap();
    }
    assert_eq!(store.session("s1").await.unwrap(), Some(s1.clone()));
    assert_eq!(store.session("nope").await.unwrap(), None);
    let ids = |v: Vec<SessionRecord>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let by_user = |u: &str| SessionFilter {
        subject: Some(u.to_owned()),
        ..SessionFilter::default()
    };
    assert_eq!(
        ids(store.sessions(by_user("alice"), Some(NOW)).await.unwrap()),
        ["s2", "s1"],
        "newest first; ties in creation order, newest first"
    );
    let by_client = SessionFilter {
        client_id: Some("b".to_owned()),
        ..SessionFilter::default()
    };
    assert_eq!(
        ids(store.sessions(by_client, Some(NOW)).await.unwrap()),
        ["s3"]
    );
    assert!(
        store
            .sessions(by_user("alice"), Some(NOW + 3600))
            .await
            .unwrap()
            .is_empty()
    );
    // A rotation in the family touches the session.
    assert!(
        store
            .rotate_refresh_token(&[1; 32], token(11, "f1", NOW + 50), NOW + 50)
            .await
            .unwrap()
    );
    let touched = store.session("s1").await.unwrap().unwrap();
    assert_eq!(
        (touched.last_used_at, touched.expires_at),
        (NOW + 50, NOW + 50 + 3600)
    );
    // An empty filter ends nothing.
    let err = store
        .end_sessions(
            SessionFilter::default(),
            "admin".to_owned(),
            event("sessions_revoked", None),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert!(store.revoked_access_tokens(NOW).await.unwrap().is_empty());
    // Ending one session revokes its family and every access token issued in it.
    let one = SessionFilter {
        id: Some("s1".to_owned()),
        ..SessionFilter::default()
    };
    let ended = store
        .end_sessions(
            one.clone(),
            "admin".to_owned(),
            event("sessions_revoked", Some("a")),
        )
        .await
        .unwrap();
    assert_eq!(ended.sessions, ["s1"]);
    assert_eq!(jtis(&ended.revoked), ["access-1", "access-11", "first-s1"]);
    assert!(
        !store
            .rotate_refresh_token(&[11; 32], token(12, "f1", NOW + 60), NOW + 60)
            .await
            .unwrap()
    );
    let s1_now = store.session("s1").await.unwrap().unwrap();
    assert_eq!(
        (s1_now.ended_at, s1_now.ended_reason.as_deref()),
        (Some(NOW), Some("admin"))
    );
    assert!(!s1_now.active(NOW));
    assert_eq!(
        ids(store.sessions(by_user("alice"), Some(NOW)).await.unwrap()),
        ["s2"]
    );
    // Ending it again ends nothing new.
    let again = store
        .end_sessions(
            one,
            "admin".to_owned(),
            event("sessions_revoked", Some("a")),
        )
        .await
        .unwrap();
    assert!(again.sessions.is_empty() && again.revoked.is_empty());
    // A session without a family: its one access token is revoked.
    let ended = store
        .end_sessions(
            by_user("bob"),
            "admin".to_owned(),
            event("sessions_revoked", None),
        )
        .await
        .unwrap();
    assert_eq!(
        (ended.sessions.as_slice(), jtis(&ended.revoked)),
        (["s3".to_owned()].as_slice(), vec!["first-s3"])
    );
    let revoked = store.revoked_access_tokens(NOW).await.unwrap();
    assert_eq!(
        jtis(&revoked),
        ["access-1", "access-11", "first-s1", "first-s3"]
    );
    // A family revoked elsewhere (reuse) ends its session too.
    store
        .revoke_refresh_family("f2", "reuse", event("refresh_token_reused", Some("a")))
        .await
        .unwrap();
    let s2_now = store.session("s2").await.unwrap().unwrap();
    assert_eq!(s2_now.ended_reason.as_deref(), Some("reuse"));
    let events = store
        .audit_query(AuditQuery {
            kind: Some("sessions_revoked".to_owned()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 3, "one event per call that ended sessions");
    assert_eq!(events[2].detail["sessions"], json!(["s1"]));
}

async fn withdrawing_a_consent_ends_the_sessions_relying_on_it(store: Arc<dyn Store>) {
    let consent = store
        .record_consent(
            "alice".to_owned(),
            "a".to_owned(),
            "read:logs-*".to_owned(),
            NOW,
            NOW + 60,
        )
        .await
        .unwrap();
    store
        .create_refresh_family(family("f1", "a"), token(1, "f1", NOW))
        .await
        .unwrap();
    store
        .create_session(session("s1", "alice", "a", Some("f1"), &consent.id))
        .await
        .unwrap();
    store
        .create_session(session("s2", "alice", "a", None, "another"))
        .await
        .unwrap();
    assert_eq!(
        store
            .withdraw_consent("nope", event("consent_withdrawn", None))
            .await
            .unwrap(),
        None
    );
    assert!(store.revoked_access_tokens(NOW).await.unwrap().is_empty());
    let (gone, ended) = store
        .withdraw_consent(&consent.id, event("consent_withdrawn", None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone, consent);
    assert_eq!(ended.sessions, ["s1"]);
    assert_eq!(jtis(&ended.revoked), ["access-1", "first-s1"]);
    assert_eq!(
        store
            .consent("alice".to_owned(), "a".to_owned())
            .await
            .unwrap(),
        None
    );
    let s1 = store.session("s1").await.unwrap().unwrap();
    assert_eq!(s1.ended_reason.as_deref(), Some("consent_withdrawn"));
    assert!(store.session("s2").await.unwrap().unwrap().active(NOW));
    let e = store
        .audit_query(AuditQuery {
            kind: Some("consent_withdrawn".to_owned()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].client_id.as_deref(), Some("a"));
    // Withdrawn is gone: a second withdrawal finds nothing.
    assert!(
        store
            .withdraw_consent(&consent.id, event("consent_withdrawn", None))
            .await
            .unwrap()
            .is_none()
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
