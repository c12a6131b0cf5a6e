//! The store conformance suite, webhook outbox part: what every backend holds to for the
//! outbox. Audit events queue deliveries for the routes that want them (and only those);
//! claims count attempts and lease; failures reschedule and dead-letter after the last
//! attempt; replay makes a dead letter pending again with the same id and is audited.

use std::sync::Arc;

use oauth4os_core::admin::{DeliveryStatus, WebhookEventType};
use serde_json::{Value, json};

use super::{AuditEvent, AuditQuery, Store, WebhookEvent, WebhookRoute};

const NOW: i64 = 1_700_000_000;
const NOW_MS: i64 = NOW * 1000;

fn route(endpoint: &str, events: &[WebhookEventType]) -> WebhookRoute {
    WebhookRoute {
        endpoint: endpoint.to_owned(),
        events: events.to_vec(),
    }
}

/// Runs every outbox check, each on a fresh store from `new_store`.
pub(crate) async fn run<F, Fut>(new_store: &F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    audit_events_queue_deliveries_for_the_routes_that_want_them(new_store().await).await;
    claims_lease_failures_reschedule_and_the_last_attempt_dead_letters(new_store().await).await;
    replay_makes_a_dead_letter_pending_with_the_same_id(new_store().await).await;
}

async fn audit_events_queue_deliveries_for_the_routes_that_want_them(store: Arc<dyn Store>) {
    use WebhookEventType as T;
    // No route: an audit event queues nothing.
    store
        .audit(AuditEvent::new(NOW, "client_created", Some("a"), json!({})))
        .await
        .unwrap();
    assert!(store.webhook_deliveries(None, 10).await.unwrap().is_empty());
    assert!(!store.wants_webhook(T::ClientCreated));

    store
        .set_webhook_routes(vec![
            route(
                "https://one.example/h",
                &[T::ClientCreated, T::TokenRevoked],
            ),
            route("https://two.example/h", &[T::TokenRevoked]),
        ])
        .await
        .unwrap();
    assert!(store.wants_webhook(T::ClientCreated));
    assert!(!store.wants_webhook(T::TokenIssued));
    store
        .audit(AuditEvent::new(
            NOW,
            "client_created",
            Some("b"),
            json!({"by": "admin"}),
        ))
        .await
        .unwrap();
    // Inside a change's own transaction too: a family revocation queues its event.
    store
        .revoke_access_token(
            super::RevokedJti {
                jti: "j-1".into(),
                exp: NOW + 60,
            },
            AuditEvent::new(
                NOW + 1,
                "access_token_revoked",
                Some("b"),
                json!({"jti": "j-1"}),
            ),
        )
        .await
        .unwrap();
    // Not published: queues nothing.
    store
        .audit(AuditEvent::new(NOW + 2, "store_restored", None, json!({})))
        .await
        .unwrap();

    let all = store.webhook_deliveries(None, 10).await.unwrap();
    let mut seen: Vec<(&str, WebhookEventType)> = all
        .iter()
        .map(|d| (d.endpoint.as_str(), d.event_type))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("https://one.example/h", T::TokenRevoked),
            ("https://one.example/h", T::ClientCreated),
            ("https://two.example/h", T::TokenRevoked),
        ]
    );
    for d in &all {
        assert_eq!(d.status, DeliveryStatus::Pending);
        assert_eq!(d.attempts, 0);
        assert!(d.id.starts_with("msg_") && d.id.len() == 36, "{}", d.id);
        let body: Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(body["type"], d.event_type.as_str());
        assert_eq!(body["data"]["client_id"], "b");
    }
    let ids: std::collections::HashSet<&str> = all.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), 3, "one id per event and endpoint");

    // New routes replace the old ones.
    store
        .set_webhook_routes(vec![route("https://two.example/h", &[T::TokenIssued])])
        .await
        .unwrap();
    assert!(!store.wants_webhook(T::ClientCreated));
    store
        .audit(AuditEvent::new(
            NOW + 3,
            "client_created",
            Some("c"),
            json!({}),
        ))
        .await
        .unwrap();
    assert_eq!(store.webhook_deliveries(None, 10).await.unwrap().len(), 3);
    // A direct enqueue.
    let event = WebhookEvent {
        event_type: T::TokenIssued,
        body: r#"{"type":"token.issued"}"#.into(),
        created_at: NOW + 4,
    };
    let ids = store.enqueue_webhook(event).await.unwrap();
    assert_eq!(ids.len(), 1);
    let newest = store.webhook_deliveries(None, 1).await.unwrap();
    assert_eq!(newest[0].id, ids[0]);
    assert_eq!(newest[0].body, r#"{"type":"token.issued"}"#);
}

async fn claims_lease_failures_reschedule_and_the_last_attempt_dead_letters(store: Arc<dyn Store>) {
    store
        .set_webhook_routes(vec![route(
            "https://one.example/h",
            &[WebhookEventType::ClientDeleted],
        )])
        .await
        .unwrap();
    store
        .audit(AuditEvent::new(NOW, "client_deleted", Some("a"), json!({})))
        .await
        .unwrap();
    // Not due before it happened.
    assert!(
        store
            .claim_webhook_deliveries(NOW_MS - 1, NOW_MS + 10_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let first = store
        .claim_webhook_deliveries(NOW_MS, NOW_MS + 10_000, 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    let id = first[0].id.clone();
    assert_eq!(first[0].attempts, 1);
    // Leased: not claimed again before the lease runs out (a crash mid-delivery is retried).
    assert!(
        store
            .claim_webhook_deliveries(NOW_MS + 9_999, NOW_MS + 20_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_webhook_deliveries(NOW_MS + 10_000, NOW_MS + 20_000, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, id, "the same webhook-id");
    assert_eq!(again[0].attempts, 2);

    // A failure reschedules while attempts remain.
    let status = store
        .mark_webhook_failed(id.clone(), "answered 503".into(), NOW_MS + 30_000, 3)
        .await
        .unwrap();
    assert_eq!(status, Some(DeliveryStatus::Pending));
    assert!(
        store
            .claim_webhook_deliveries(NOW_MS + 29_999, NOW_MS + 40_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let third = store
        .claim_webhook_deliveries(NOW_MS + 30_000, NOW_MS + 40_000, 10)
        .await
        .unwrap();
    assert_eq!(third[0].attempts, 3);
    assert_eq!(third[0].last_error.as_deref(), Some("answered 503"));
    // The last attempt failing dead-letters it.
    let status = store
        .mark_webhook_failed(id.clone(), "timed out".into(), NOW_MS + 50_000, 3)
        .await
        .unwrap();
    assert_eq!(status, Some(DeliveryStatus::Dead));
    assert!(
        store
            .claim_webhook_deliveries(NOW_MS + 1_000_000, NOW_MS + 2_000_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let dead = store
        .webhook_deliveries(Some(DeliveryStatus::Dead), 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].last_error.as_deref(), Some("timed out"));
    // A dead letter is not pending: neither delivered nor failed again.
    assert!(!store.mark_webhook_delivered(id.clone(), NOW).await.unwrap());
    assert_eq!(
        store
            .mark_webhook_failed(id.clone(), "x".into(), NOW_MS, 3)
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .webhook_deliveries(Some(DeliveryStatus::Pending), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn replay_makes_a_dead_letter_pending_with_the_same_id(store: Arc<dyn Store>) {
    store
        .set_webhook_routes(vec![route(
            "https://one.example/h",
            &[WebhookEventType::PolicyChanged],
        )])
        .await
        .unwrap();
    store
        .audit(AuditEvent::new(
            NOW,
            "policy_put",
            None,
            json!({"name": "p"}),
        ))
        .await
        .unwrap();
    let claimed = store
        .claim_webhook_deliveries(NOW_MS, NOW_MS + 1, 10)
        .await
        .unwrap();
    let id = claimed[0].id.clone();
    let replayed = |n: i64| AuditEvent::new(NOW + n, "webhook_replayed", None, json!({"id": id}));
    // Pending: left as it is, nothing audited.
    let pending = store
        .replay_webhook_delivery(id.clone(), NOW_MS + 5, replayed(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.status, DeliveryStatus::Pending);
    assert_eq!(pending.attempts, 1);
    store
        .mark_webhook_failed(id.clone(), "answered 500".into(), NOW_MS + 10, 1)
        .await
        .unwrap();
    let back = store
        .replay_webhook_delivery(id.clone(), NOW_MS + 20, replayed(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.id, id);
    assert_eq!(back.status, DeliveryStatus::Pending);
    assert_eq!(back.attempts, 0);
    assert_eq!(back.next_attempt_at_ms, NOW_MS + 20);
    assert_eq!(back.last_error, None);
    let claimed = store
        .claim_webhook_deliveries(NOW_MS + 20, NOW_MS + 30, 10)
        .await
        .unwrap();
    assert_eq!(claimed[0].id, id);
    assert!(
        store
            .mark_webhook_delivered(id.clone(), NOW + 3)
            .await
            .unwrap()
    );
    let delivered = store
        .webhook_deliveries(Some(DeliveryStatus::Delivered), 10)
        .await
        .unwrap();
    assert_eq!(delivered[0].delivered_at, Some(NOW + 3));
    // A delivered one can be replayed too.
    let again = store
        .replay_webhook_delivery(id.clone(), NOW_MS + 40, replayed(4))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.status, again.delivered_at),
        (DeliveryStatus::Pending, None)
    );
    assert_eq!(
        store
            .replay_webhook_delivery("msg_none".into(), NOW_MS, replayed(5))
            .await
            .unwrap(),
        None
    );
    let audited = store
        .audit_query(AuditQuery {
            kind: Some("webhook_replayed".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(audited.len(), 2, "one per replay that changed something");
}
