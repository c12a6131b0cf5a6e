//! `oauth4os-proxy`: the reference proxy in front of OpenSearch — the built-in OAuth 2.0
//! authorization server and the resource side (verify → classify → scopes → Cedar → rate limit
//! → forward), one router, one configuration file.

pub mod app;
pub mod auth;
pub mod config;
pub mod forwarded;
pub mod metrics;
pub mod ops;
pub mod pipeline;
pub mod policies;
pub mod server;
pub mod tls;
pub mod upstream;
pub mod workers;

pub use app::{App, router, serve};
pub use config::Loaded;
