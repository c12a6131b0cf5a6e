//! The `classify` fuzz target: see `oauth4os_core_fuzz::classify`.

fn main() -> std::process::ExitCode {
    oauth4os_core_fuzz::main(oauth4os_core_fuzz::classify::run)
}
