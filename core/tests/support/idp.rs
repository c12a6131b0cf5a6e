//! Starts the real `oidc-provider` test server (`.ci/harness/oidc/server.mjs`) on loopback.
#![allow(dead_code, reason = "each test file uses a different part")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support"
)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Idp {
    child: Child,
    pub issuer: String,
    pub port: u16,
}

fn harness_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.ci/harness/oidc")
}

impl Idp {
    /// Starts the provider with extra CLI arguments (`--ttl 2`, `--port N`, `--keys F`).
    pub fn start(args: &[&str]) -> Self {
        let dir = harness_dir();
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "the OpenID provider is not installed: run `npm ci --prefix .ci/harness/oidc` (or `make peers`)"
        );
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `node` (install Node.js 20+): {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the OpenID provider did not become ready within 30 s");
        let ready: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("unexpected ready line from the provider: {line:?}"));
        Self {
            child,
            issuer: ready["issuer"].as_str().unwrap().to_owned(),
            port: u16::try_from(ready["port"].as_u64().unwrap()).unwrap(),
        }
    }

    /// Requests counted by the provider: (token requests, JWKS requests).
    pub async fn stats(&self) -> (u64, u64) {
        let v: serde_json::Value = reqwest::get(format!("{}/__test/stats", self.issuer))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            v["token_requests"].as_u64().unwrap(),
            v["jwks_requests"].as_u64().unwrap(),
        )
    }

    /// Stops the provider and waits for it to exit.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        self.kill();
    }
}
