//! Writes the FFI surface manifest (what every SDK exposes) to stdout.
//!
//! Run: `cargo run -q -p oauth4os-core --example surface > core/facade/surface.json`
//! The entries are listed in `oauth4os_core::facade::surface()`; `core/tests/surface.rs` fails
//! when the checked-in file is stale.
#![allow(clippy::print_stdout, reason = "the manifest goes to stdout")]

fn main() {
    print!("{}", oauth4os_core::facade::surface().to_json());
}
