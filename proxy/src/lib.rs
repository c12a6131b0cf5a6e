//! `oauth4os-proxy`: the reference proxy in front of OpenSearch — the built-in OAuth 2.0
//! authorization server and the resource side (verify → classify → scopes → Cedar → rate limit
//! → forward), one router, one configuration file.
//!
//! Three layers; a module imports only from its own layer or the ones below it, and no two
//! modules import each other (`.ci/cycles.py` checks both, `.ci/layers.toml` lists the layers):
//!
//! ```text
//! edge       listeners, TLS, workers, the router, operations routes, wiring (App)
//! features   resource (the OpenSearch proxy) · authz (the authorization server) · admin (/admin API)
//!            · mcp (the MCP endpoint, on the resource side's pipeline)
//! services   config, store, keys, secrets, metrics, upstream client, live policies, HTTP helpers
//! ```

pub mod admin;
pub mod authz;
pub mod edge;
pub mod mcp;
pub mod resource;
pub mod services;

pub use edge::{App, router, serve};
pub use services::config::Loaded;
