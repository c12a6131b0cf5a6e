//! The `form` fuzz target: see `oauth4os_proxy_fuzz::form`.

fn main() -> std::process::ExitCode {
    oauth4os_core_fuzz::main(oauth4os_proxy_fuzz::form::run)
}
