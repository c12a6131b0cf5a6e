//! The `config` fuzz target: see `oauth4os_proxy_fuzz::config`.

fn main() -> std::process::ExitCode {
    oauth4os_core_fuzz::main(oauth4os_proxy_fuzz::config::run)
}
