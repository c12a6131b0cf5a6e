//! Writes the conformance vectors to stdout.
//!
//! Run: `cargo run -p oauth4os-core --example conformance > core/conformance/vectors.json`
//! (or `make vectors`).
#![allow(clippy::print_stdout, reason = "the vectors go to stdout")]

#[path = "../tests/support/conformance.rs"]
mod conformance;

fn main() {
    print!("{}", conformance::generate());
}
