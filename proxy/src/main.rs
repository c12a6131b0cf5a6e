//! `oauth4os-proxy [--config FILE] [--check-config]` or `oauth4os-proxy --hash-secret` (secret on stdin)
//!
//! Without `--config`, runs on the embedded demo defaults (see `src/defaults.toml`).
//! The key that encrypts signing keys at rest comes from `OAUTH4OS_KEY_ENCRYPTION_KEY`
//! (base64 of 32 bytes) or the file named by `OAUTH4OS_KEY_ENCRYPTION_KEY_FILE`; on the embedded
//! defaults a demo key is created next to the store.
#![allow(
    clippy::print_stderr,
    clippy::print_stdout,
    reason = "command-line tool"
)]

use std::path::PathBuf;
use std::process::ExitCode;

use base64::Engine as _;
use oauth4os_proxy::authz::parse_key_encryption_key;
use oauth4os_proxy::{App, Loaded};

// The request path allocates small, short-lived buffers on two threads; mimalloc's per-thread
// free lists serve them at a fraction of glibc malloc's cost (BENCHMARKS.md, proxy section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn usage() -> ExitCode {
    eprintln!(
        "usage: oauth4os-proxy [--config FILE] [--check-config] | --hash-secret < SECRET_FILE"
    );
    ExitCode::from(64)
}

fn key_encryption_key(loaded: &Loaded, embedded: bool) -> Result<[u8; 32], String> {
    let decode = |s: &str| parse_key_encryption_key(s).map_err(|e| e.message);
    if let Ok(v) = std::env::var("OAUTH4OS_KEY_ENCRYPTION_KEY") {
        return decode(&v);
    }
    if let Ok(f) = std::env::var("OAUTH4OS_KEY_ENCRYPTION_KEY_FILE") {
        let v = std::fs::read_to_string(&f).map_err(|e| format!("cannot read `{f}`: {e}"))?;
        return decode(&v);
    }
    if !embedded {
        return Err(
            "set OAUTH4OS_KEY_ENCRYPTION_KEY or OAUTH4OS_KEY_ENCRYPTION_KEY_FILE".to_owned(),
        );
    }
    let path = loaded
        .path(&loaded.config.authorization_server.store_path)
        .with_extension("kek");
    if let Ok(v) = std::fs::read_to_string(&path) {
        return decode(&v);
    }
    let mut k = [0u8; 32];
    aws_lc_rs::rand::fill(&mut k).map_err(|_| "no randomness".to_owned())?;
    write_private(&path, &base64::engine::general_purpose::STANDARD.encode(k))
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    tracing::warn!(path = %path.display(), "created a demo key encryption key next to the store");
    Ok(k)
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

// The main thread only waits for signals and runs background tasks; requests are served by
// the worker threads (see `workers`).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut config: Option<PathBuf> = None;
    let mut check_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" => match args.next() {
                Some(p) => config = Some(PathBuf::from(p)),
                None => return usage(),
            },
            "--check-config" => check_only = true,
            // Reads a secret on stdin (not argv: process lists and shell history show those)
            // and prints its argon2id PHC string, for `secret_hash` in the config.
            "--hash-secret" => {
                let mut secret = String::new();
                if std::io::stdin().read_line(&mut secret).is_err() {
                    return usage();
                }
                let secret = secret.trim_end_matches(['\n', '\r']);
                return match oauth4os_proxy::authz::AuthServer::hash_secret(secret) {
                    Ok(h) => {
                        println!("{h}");
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("error: {}", e.message);
                        ExitCode::from(2)
                    }
                };
            }
            _ => return usage(),
        }
    }
    let embedded = config.is_none();
    let loaded = match &config {
        Some(p) => Loaded::from_file(p),
        None => Loaded::embedded(),
    };
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {}", e.message);
            return ExitCode::from(2);
        }
    };
    let tls = match &loaded.config.tls {
        Some(t) => match oauth4os_proxy::edge::tls::acceptor(&loaded, t) {
            Ok(a) => Some(a),
            Err(e) => {
                eprintln!("error: {}", e.message);
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    if check_only {
        if let Err(e) = oauth4os_proxy::edge::check_policies(&loaded) {
            eprintln!("error: {}", e.message);
            return ExitCode::from(2);
        }
        eprintln!("{}: configuration is valid", loaded.source);
        return ExitCode::SUCCESS;
    }
    if embedded {
        tracing::warn!(
            "running on the embedded DEMO defaults: client `my-agent` has a well-known secret; never expose this"
        );
    }
    let kek = match key_encryption_key(&loaded, embedded) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let listen = loaded.config.listen;
    let app = match App::build(loaded, kek) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {}", e.message);
            return ExitCode::from(2);
        }
    };
    // Stops with `main`, after the listener has drained.
    let _rotation = app.auth.spawn_key_rotation();
    let _webhooks = match app.spawn_webhooks() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {}", e.message);
            return ExitCode::from(2);
        }
    };
    let addr = listen;
    let workers = app
        .loaded
        .config
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    tracing::info!(%listen, tls = tls.is_some(), workers, "oauth4os-proxy listening");
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => return,
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
        tracing::info!("shutting down: draining in-flight requests");
    };
    let served =
        oauth4os_proxy::edge::workers::serve_workers(app, addr, workers, tls, shutdown).await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
