#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod authorize;
pub mod cache;
pub mod claims;
pub mod classify;
pub mod client;
pub mod error;
pub mod facade;
pub mod http;
pub mod jwk;
pub mod jwks;
pub mod jws;
pub mod policy;
pub mod ratelimit;
pub mod scope;
pub mod verify;

pub use claims::Claims;
pub use client::{ClientConfig, Secret, TokenClient, TokenResponse};
pub use error::{Error, ErrorCode, Result};
pub use jws::Algorithm;
pub use scope::{Action, IndexPattern, Scope, ScopeSet};
pub use verify::{Verifier, VerifierConfig};
