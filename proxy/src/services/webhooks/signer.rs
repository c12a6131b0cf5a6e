//! Signatures in the Standard Webhooks layout: `webhook-signature: v1,<base64 of
//! HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>`, the key being the base64
//! after `whsec_` in the secret.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use oauth4os_core::{Error, Reason, Result};

/// The prefix of a secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Fewest key bytes accepted (128 bits).
pub const MIN_KEY_BYTES: usize = 16;
/// Most key bytes accepted.
pub const MAX_KEY_BYTES: usize = 64;

/// An endpoint's signing key. `Debug` never shows it.
pub struct WebhookSecret(aws_lc_rs::hmac::Key);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl WebhookSecret {
    /// Parses `whsec_<base64>` (16 to 64 bytes of key). The error never quotes the secret.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::new(
                Reason::InvalidWebhookSecret,
                format!("the webhook secret {why}"),
            )
            .with_help("generate one with `echo whsec_$(openssl rand -base64 32)`")
        };
        let b64 = text
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or_else(|| bad("does not start with `whsec_`"))?;
        let key = STANDARD
            .decode(b64)
            .map_err(|_| bad("is not `whsec_` followed by base64"))?;
        if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.len()) {
            return Err(bad(&format!(
                "must hold {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes of key, not {}",
                key.len()
            )));
        }
        Ok(Self(aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            &key,
        )))
    }

    /// The `webhook-signature` header value of one attempt.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut ctx = aws_lc_rs::hmac::Context::with_key(&self.0);
        ctx.update(id.as_bytes());
        ctx.update(b".");
        ctx.update(timestamp.to_string().as_bytes());
        ctx.update(b".");
        ctx.update(body);
        format!("v1,{}", STANDARD.encode(ctx.sign().as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_whsec_and_base64_of_enough_bytes() {
        let key = STANDARD.encode([7u8; 32]);
        assert!(WebhookSecret::parse(&format!("whsec_{key}")).is_ok());
        assert!(WebhookSecret::parse(&format!("whsec_{key}\n")).is_ok());
        for bad in [
            key.clone(),
            "whsec_not base64!".to_owned(),
            format!("whsec_{}", STANDARD.encode([7u8; 8])),
            format!("whsec_{}", STANDARD.encode([7u8; 65])),
        ] {
            let e = WebhookSecret::parse(&bad).unwrap_err();
            assert_eq!(e.reason, Reason::InvalidWebhookSecret);
            assert!(!e.message.contains(&key), "{}", e.message);
        }
        let s = WebhookSecret::parse(&format!("whsec_{key}")).unwrap();
        assert_eq!(format!("{s:?}"), "WebhookSecret(<redacted>)");
    }

    #[test]
    fn the_signature_is_v1_and_depends_on_id_time_and_body() {
        let s = WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([1u8; 24]))).unwrap();
        let a = s.sign("msg_1", 1_700_000_000, b"{}");
        // Computed apart, with Python's hmac module (the README's verifier).
        assert_eq!(a, "v1,xw1cY1xdoqrK+MlQLDPbSB5pvSIi6K4Pe82bh9fr3YM=");
        assert_eq!(STANDARD.decode(&a[3..]).unwrap().len(), 32);
        assert_eq!(a, s.sign("msg_1", 1_700_000_000, b"{}"));
        assert_ne!(a, s.sign("msg_2", 1_700_000_000, b"{}"));
        assert_ne!(a, s.sign("msg_1", 1_700_000_001, b"{}"));
        assert_ne!(a, s.sign("msg_1", 1_700_000_000, b"{ }"));
    }
}
