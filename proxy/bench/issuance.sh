#!/usr/bin/env bash
# Token issuance (client_credentials, ES256) and introspection throughput of the built-in
# authorization server over HTTP on loopback, with wrk.
#
#   bash proxy/bench/issuance.sh            # needs: apt-get install wrk
#
# Baseline in the same run: GET /health on the same server (the HTTP stack alone).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
. .ci/harness/lib.sh
ci_need wrk wrk
DUR=${DUR:-10s}
CONNS=${CONNS:-32}
WORK=$(mktemp -d)
PRX=18444
cleanup() {
  [[ -n ${PID:-} ]] && kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cargo build -q --release -p oauth4os-proxy
HASH=$(printf bench-secret | "${CARGO_TARGET_DIR:-target}"/release/oauth4os-proxy --hash-secret 2>/dev/null || true)
[[ -n $HASH ]] || ci_die "the proxy cannot hash a secret"
cat >"$WORK/proxy.toml" <<TOML
listen = "127.0.0.1:$PRX"
public_url = "http://127.0.0.1:$PRX"
[upstream]
url = "http://127.0.0.1:1"
[authorization_server]
issuer = "http://127.0.0.1:$PRX"
audiences = ["http://127.0.0.1:$PRX"]
store_path = "$WORK/store.db"
[[authorization_server.clients]]
id = "bench"
secret_hash = "$HASH"
scopes = "read:logs-*"
TOML
OAUTH4OS_KEY_ENCRYPTION_KEY=$(head -c32 /dev/urandom | base64) RUST_LOG=warn \
  "${CARGO_TARGET_DIR:-target}"/release/oauth4os-proxy --config "$WORK/proxy.toml" 2>"$WORK/proxy.log" &
PID=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PRX/health" >/dev/null 2>&1 && break; sleep 0.1; done

BASIC=$(printf 'bench:bench-secret' | base64)
cat >"$WORK/token.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials&scope=read%3Alogs-*"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $BASIC"
LUA
TOKEN=$(curl -fsS -u bench:bench-secret "http://127.0.0.1:$PRX/oauth/token" -d grant_type=client_credentials | jq -r .access_token)
cat >"$WORK/introspect.lua" <<LUA
wrk.method = "POST"
wrk.body = "token=$TOKEN"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $BASIC"
LUA
# Sanity checks: a token is issued, introspection says active.
curl -fsS -u bench:bench-secret "http://127.0.0.1:$PRX/oauth/introspect" -d "token=$TOKEN" | jq -e '.active == true' >/dev/null

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
non2xx() { awk '/Non-2xx/ {print $5}' "$1"; }
wrk -t2 -c"$CONNS" -d2s -s "$WORK/token.lua" "http://127.0.0.1:$PRX/oauth/token" >/dev/null # warm-up
wrk -t2 -c"$CONNS" -d"$DUR" "http://127.0.0.1:$PRX/health" >"$WORK/health.txt"
wrk -t2 -c"$CONNS" -d"$DUR" -s "$WORK/token.lua" "http://127.0.0.1:$PRX/oauth/token" >"$WORK/token.txt"
wrk -t2 -c"$CONNS" -d"$DUR" -s "$WORK/introspect.lua" "http://127.0.0.1:$PRX/oauth/introspect" >"$WORK/introspect.txt"
for f in token introspect; do
  [[ -z $(non2xx "$WORK/$f.txt") ]] || ci_die "$f: non-2xx answers during the run"
done
cat <<RESULT

| endpoint ($CONNS conns, $DUR) | requests/s |
|---|---|
| GET /health (HTTP stack baseline) | $(rps "$WORK/health.txt") |
| POST /oauth/token (client_credentials, ES256) | $(rps "$WORK/token.txt") |
| POST /oauth/introspect | $(rps "$WORK/introspect.txt") |
RESULT
