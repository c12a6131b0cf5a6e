#![doc = include_str!("../README.md")]

pub mod error;
pub mod scope;

pub use error::{Error, ErrorCode, Result};
pub use scope::{Action, IndexPattern, Scope, ScopeSet};
