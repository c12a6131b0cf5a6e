#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod admin;
pub mod authorize;
pub mod cache;
pub mod catalog;
pub mod claims;
pub mod classify;
pub mod client;
pub mod decision;
pub mod error;
pub mod facade;
pub mod http;
pub mod jwk;
pub mod jwks;
pub mod jws;
pub mod mcp;
pub mod policy;
pub mod protocol;
pub mod ratelimit;
pub mod resource;
pub mod scope;
pub mod verify;

pub use claims::Claims;
pub use client::{ClientConfig, Secret, TokenClient, TokenResponse};
pub use error::{Error, ErrorCode, Reason, Result};
pub use jws::Algorithm;
pub use scope::{Action, IndexPattern, Scope, ScopeSet};
pub use verify::{Verifier, VerifierConfig};
