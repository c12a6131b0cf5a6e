//! The `token` fuzz target: see `oauth4os_core_fuzz::token`.

fn main() -> std::process::ExitCode {
    oauth4os_core_fuzz::main(oauth4os_core_fuzz::token::run)
}
