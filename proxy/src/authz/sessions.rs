//! Ending interactive sessions and withdrawing consents: on disk (one store transaction each),
//! then in memory, so that the sessions' access tokens fail at once at the resource side and at
//! introspection.

use oauth4os_core::Result;
use oauth4os_core::verify::unix_now;
use serde_json::json;

use super::AuthServer;
use crate::services::store::{AuditEvent, ConsentRecord, EndedSessions, SessionFilter};

impl AuthServer {
    /// Ends every unended session matching `filter` (which must not be empty): revokes their
    /// refresh families and access tokens, audited as `sessions_revoked` by `by`.
    pub async fn end_sessions(
        &self,
        filter: SessionFilter,
        reason: &str,
        by: &str,
    ) -> Result<EndedSessions> {
        let detail = json!({
            "by": by,
            "reason": reason,
            "filter": {
                "session_id": filter.id, "user": filter.subject, "client_id": filter.client_id,
                "tenant": filter.tenant,
            },
        });
        let event = AuditEvent::new(
            unix_now(),
            "sessions_revoked",
            filter.client_id.as_deref(),
            detail,
        );
        let ended = self
            .store
            .end_sessions(filter, reason.to_owned(), event)
            .await?;
        self.remember_revoked(ended.revoked.clone());
        tracing::info!(sessions = ended.sessions.len(), %by, reason, "sessions revoked");
        Ok(ended)
    }

    /// Withdraws a consent: the next sign-in asks again, and the sessions relying on it end.
    /// `None` when there is no such consent.
    pub async fn withdraw_consent(
        &self,
        id: &str,
        by: &str,
    ) -> Result<Option<(ConsentRecord, EndedSessions)>> {
        let event = AuditEvent::new(
            unix_now(),
            "consent_withdrawn",
            None,
            json!({ "consent_id": id, "by": by }),
        );
        let Some((consent, ended)) = self.store.withdraw_consent(id, event).await? else {
            return Ok(None);
        };
        self.remember_revoked(ended.revoked.clone());
        tracing::info!(
            consent_id = %id, client_id = %consent.client_id, sessions = ended.sessions.len(), %by,
            "consent withdrawn"
        );
        Ok(Some((consent, ended)))
    }
}
