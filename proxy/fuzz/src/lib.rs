//! Fuzz targets for the proxy: the configuration parser and the form decoders. The harness
//! (AFL++ under `--cfg fuzzing`, replay otherwise) is `oauth4os_core_fuzz::main`; see
//! `core/fuzz/README.md`.

#![forbid(unsafe_code)]
#![allow(
    clippy::panic,
    clippy::expect_used,
    reason = "a fuzz target's assertions are its findings; AFL++ records a panic as a crash"
)]

pub mod config;
pub mod form;
