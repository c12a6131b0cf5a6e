//! Shared services, used by the features and the edge and using neither: configuration types,
//! the store, signing keys and secrets, metrics, the OpenSearch client, the live policies and
//! the HTTP helpers every endpoint shares, and the webhook signer and delivery worker.

pub mod certificate;
pub mod config;
pub mod contexts;
pub mod forwarded;
pub mod indices;
pub mod keys;
pub mod metrics;
pub mod policies;
pub mod secrets;
pub mod store;
pub mod upstream;
pub mod web;
pub mod webhooks;
