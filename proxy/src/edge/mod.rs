//! The edge: listeners (plain and TLS), worker threads, the one router, the operations routes
//! and the wiring that builds every feature from the configuration ([`App`]).

pub mod app;
pub mod ops;
pub mod router;
pub mod server;
pub mod tls;
mod unread;
pub mod workers;

pub use app::{App, check_policies};
pub use router::router;
pub use server::serve;
