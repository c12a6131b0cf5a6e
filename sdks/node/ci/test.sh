#!/usr/bin/env bash
# The Node SDK's tests (node:test) against a real proxy, the real OpenSearch at
# $OAUTH4OS_OPENSEARCH_URL and the real test OpenID provider, all on 127.0.0.1.
#   OAUTH4OS_OPENSEARCH_URL=http://127.0.0.1:9200 bash sdks/node/ci/test.sh
# Optional: OAUTH4OS_PROXY_BIN=path/to/oauth4os-proxy to skip building the proxy.
# Builds the proxy and the addon, starts the proxy and the provider (stopped again on exit),
# seeds its own `node-*` indices, runs every test file and exits non-zero on any failure.
set -euo pipefail
SDK=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$SDK/../.." && pwd)
log() { printf 'node-sdk: %s\n' "$*" >&2; }
OS_URL=${OAUTH4OS_OPENSEARCH_URL:?set OAUTH4OS_OPENSEARCH_URL to a running OpenSearch}
OS_URL=${OS_URL%/}
cd "$ROOT"

bash "$SDK/ci/install.sh"

log "building the proxy and the addon"
# OAUTH4OS_PROXY_BIN: use an already built proxy instead of `cargo build -p oauth4os-proxy`.
if [[ -n ${OAUTH4OS_PROXY_BIN:-} ]]; then
  PROXY_BIN=$OAUTH4OS_PROXY_BIN
else
  cargo build -p oauth4os-proxy --locked
  TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
  PROXY_BIN=$TARGET_DIR/debug/oauth4os-proxy
fi
[[ -x $PROXY_BIN ]] || { log "no proxy binary at $PROXY_BIN"; exit 1; }
node "$SDK/scripts/build.mjs"
# The napi-rs CLI regenerates the binding's types; a test compares them with native.d.ts.
(cd "$SDK" && npx --no-install napi build --platform --manifest-path ../../bindings/node/Cargo.toml \
  --package-json-path package.json --output-dir build --dts native.d.ts --no-js >&2)
rm -f "$SDK"/build/*.node

WORK=$(mktemp -d "${TMPDIR:-/tmp}/oauth4os-node-test.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  curl -fsS -X DELETE "$OS_URL/node-logs-1,node-secret" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

log "seeding node-logs-1 and node-secret"
for idx in node-logs-1 node-secret; do
  curl -fsS -X DELETE "$OS_URL/$idx" >/dev/null 2>&1 || true
  curl -fsS -X PUT "$OS_URL/$idx" -H 'content-type: application/json' \
    -d '{"settings":{"number_of_shards":1,"number_of_replicas":0}}' >/dev/null
done
curl -fsS -X POST "$OS_URL/_bulk?refresh=true" -H 'content-type: application/x-ndjson' --data-binary @- >/dev/null <<'NDJSON'
{"index":{"_index":"node-logs-1","_id":"1"}}
{"level":"error","message":"disk full","service":"api"}
{"index":{"_index":"node-logs-1","_id":"2"}}
{"level":"info","message":"started","service":"api"}
{"index":{"_index":"node-secret","_id":"1"}}
{"level":"error","message":"classified"}
NDJSON

log "starting the OpenID provider"
mkfifo "$WORK/oidc.out"
node .ci/harness/oidc/server.mjs --port 0 --ttl 300 --extra-scopes 'read:node-logs-*' \
  >"$WORK/oidc.out" 2>"$WORK/oidc.log" &
PIDS+=($!)
read -r -t 60 READY <"$WORK/oidc.out" || { cat "$WORK/oidc.log" >&2; exit 1; }
OIDC_ISSUER=$(node -e 'console.log(JSON.parse(process.argv[1]).issuer)' "$READY")

log "starting the proxy"
PORT=$(free_port)
PROXY_URL=http://127.0.0.1:$PORT
AGENT_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
hash() { printf '%s' "$1" | "$PROXY_BIN" --hash-secret; }
AGENT_HASH=$(hash "$AGENT_SECRET")
cat >"$WORK/proxy.toml" <<TOML
listen = "127.0.0.1:$PORT"
public_url = "$PROXY_URL"

[upstream]
url = "$OS_URL"
timeout_secs = 10

[authorization_server]
issuer = "$PROXY_URL"
audiences = ["$PROXY_URL"]
store_path = "$WORK/store.db"

[[authorization_server.clients]]
id = "node-agent"
secret_hash = "$AGENT_HASH"
scopes = "read:node-logs-*"
grant_types = ["client_credentials"]

[[authorization_server.clients]]
id = "node-short"
secret_hash = "$AGENT_HASH"
scopes = "read:node-logs-*"
grant_types = ["client_credentials"]
access_token_ttl = 3

[[tenants]]
name = "oidc"
issuer = "$OIDC_ISSUER"
audiences = ["$PROXY_URL"]
algorithms = ["ES256", "RS256"]
required_typ = "at+jwt"

[[scope_mappings]]
scope = "read:node-logs-*"
roles = ["node_logs_reader"]

[rate_limits]
default = "1000/s burst 1000"
TOML
OAUTH4OS_KEY_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64) RUST_LOG=warn \
  "$PROXY_BIN" --config "$WORK/proxy.toml" >"$WORK/proxy.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
  curl -fsS "$PROXY_URL/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$PROXY_URL/health" >/dev/null || { cat "$WORK/proxy.log" >&2; exit 1; }

log "running the tests"
export OAUTH4OS_OPENSEARCH_URL=$OS_URL OAUTH4OS_PROXY_URL=$PROXY_URL OAUTH4OS_OIDC_ISSUER=$OIDC_ISSUER
export OAUTH4OS_AGENT_SECRET=$AGENT_SECRET
cd "$SDK"
status=0
# One file at a time: the e2e tests read shared counters (the proxy's /metrics, the provider's stats).
node --test --test-concurrency=1 test/*.test.mjs || status=$?
[[ $status -eq 0 ]] || { log "proxy log tail:"; tail -n 20 "$WORK/proxy.log" >&2; }
exit "$status"
