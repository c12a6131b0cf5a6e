#!/usr/bin/env bash
# Soak: a long mixed load on oauth4os-proxy in front of a real OpenSearch, on loopback, watching
# for leaks and errors. Not part of `make test`.
#
#   bash proxy/bench/soak.sh                    # 10 minutes
#   SOAK_SECONDS=120 bash proxy/bench/soak.sh   # a quick check that it works
#
#   SOAK_SECONDS=600     length of the load
#   SOAK_WORKERS=8       concurrent clients (closed loop: each waits for its answers)
#   SOAK_PROFILE=release the proxy's cargo profile (`dev` reuses the test build)
#   SOAK_MAX_RSS_GROWTH_PCT=10  the verdict fails above this RSS growth, first → last minute
#   SOAK_WARMUP_SECONDS=60      left out of the RSS verdict (caches and pools fill up)
#
# Each client loops over: client_credentials issuance (with a refresh token: the soak client
# has the refresh_token grant), 5 searches, a 5-document `_bulk`, a refresh-token rotation,
# 2 searches with the rotated token, revocation of the access token, and one search with the
# revoked token (which must be refused with 401). Every 10 s a row: the proxy's RSS and open
# files (/proc), requests/s, p99 per operation over the window, unexpected answers by status;
# then totals and the verdict (RSS growth from the first to the last minute after the warm-up,
# any unexpected answer), which is the exit status. OpenSearch comes from .ci/harness/peers.sh (a private state dir, stopped
# at the end); the proxy runs with its own configuration. The driver is
# proxy/bench/soak_driver.py (why not wrk: see its docstring).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=../../.ci/harness/lib.sh
. .ci/harness/lib.sh
ci_need python3 python3
ci_need curl curl
ci_need jq jq

SECONDS_TOTAL=${SOAK_SECONDS:-600}
WORKERS=${SOAK_WORKERS:-8}
PROFILE=${SOAK_PROFILE:-release}
MAX_GROWTH=${SOAK_MAX_RSS_GROWTH_PCT:-10}
WARMUP=${SOAK_WARMUP_SECONDS:-60}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/oauth4os-soak.XXXXXX")
# OpenSearch runs as its own user (.ci/harness/opensearch.sh) and must reach its directory in
# here; the files holding secrets are private.
chmod 755 "$WORK"
export OAUTH4OS_PEERS_DIR="$WORK/peers"
PROXY_PID=

cleanup() {
  if [[ -n $PROXY_PID ]]; then
    kill "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
  fi
  bash .ci/harness/peers.sh down >/dev/null 2>&1 || true
  if [[ ${SOAK_KEEP:-0} == 1 ]]; then
    ci_log "soak: kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

ci_section "soak: build oauth4os-proxy ($PROFILE)"
cargo build -q --locked --profile "$PROFILE" -p oauth4os-proxy --bin oauth4os-proxy
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
case $PROFILE in dev) BIN=$TARGET_DIR/debug/oauth4os-proxy ;; *) BIN=$TARGET_DIR/$PROFILE/oauth4os-proxy ;; esac
[[ -x $BIN ]] || ci_die "no proxy binary at $BIN"

ci_section "soak: OpenSearch"
env_file=$(bash .ci/harness/peers.sh up opensearch)
OS_URL=$(sed -n 's/^OAUTH4OS_TEST_OPENSEARCH_URL=//p' "$env_file")
[[ -n $OS_URL ]] || ci_die "peers.sh did not publish OpenSearch's URL"
curl -fsS -X PUT "$OS_URL/soak-logs" -H 'content-type: application/json' \
  -d '{"settings":{"number_of_shards":1,"number_of_replicas":0}}' >/dev/null
curl -fsS -X POST "$OS_URL/_bulk?refresh=true" -H 'content-type: application/x-ndjson' --data-binary @- >/dev/null <<'NDJSON'
{"index":{"_index":"soak-logs"}}
{"level":"error","message":"disk full"}
{"index":{"_index":"soak-logs"}}
{"level":"warn","message":"slow query"}
{"index":{"_index":"soak-logs"}}
{"level":"info","message":"started"}
NDJSON

ci_section "soak: oauth4os-proxy"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$port"
SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
HASH=$(printf '%s' "$SECRET" | "$BIN" --hash-secret)
touch "$WORK/proxy.toml" "$WORK/kek"
chmod 600 "$WORK/proxy.toml" "$WORK/kek"
cat >"$WORK/proxy.toml" <<TOML
listen = "127.0.0.1:$port"
public_url = "$URL"

[upstream]
url = "$OS_URL"
timeout_secs = 30

[authorization_server]
issuer = "$URL"
audiences = ["$URL"]
store_path = "$WORK/store.db"
# Short-lived tokens: the revocation list (kept until each revoked token's expiry) and the
# verified-token cache reach their steady size within the first minutes.
access_token_ttl = 120
secret_checks_per_ip = "100000/min"

[[authorization_server.clients]]
id = "soak"
secret_hash = '$HASH'
scopes = "read:soak-* write:soak-*"
grant_types = ["client_credentials", "refresh_token"]

[[scope_mappings]]
scope = "read:soak-*"
roles = ["soak_reader"]

[[scope_mappings]]
scope = "write:soak-*"
roles = ["soak_writer"]

[rate_limits]
default = "100000/s burst 100000"
TOML
head -c 32 /dev/urandom | base64 >"$WORK/kek"
OAUTH4OS_KEY_ENCRYPTION_KEY_FILE="$WORK/kek" RUST_LOG=warn "$BIN" --config "$WORK/proxy.toml" \
  >"$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "$URL/health" >/dev/null 2>&1 && break
  kill -0 "$PROXY_PID" 2>/dev/null || { cat "$WORK/proxy.log" >&2; ci_die "the proxy exited"; }
  sleep 0.1
done
curl -fsS "$URL/health" >/dev/null || ci_die "the proxy does not answer /health"

ci_section "soak: ${SECONDS_TOTAL}s, $WORKERS clients, sampled every 10 s (proxy pid $PROXY_PID)"
status=0
python3 proxy/bench/soak_driver.py --url "$URL" --pid "$PROXY_PID" --client-id soak \
  --client-secret "$SECRET" --seconds "$SECONDS_TOTAL" --workers "$WORKERS" \
  --max-rss-growth-pct "$MAX_GROWTH" --warmup "$WARMUP" || status=$?
kill -0 "$PROXY_PID" 2>/dev/null || { status=1; ci_log "soak: the proxy died; its log:"; tail -n 30 "$WORK/proxy.log" >&2; }
if grep -qiE '"level":"(ERROR|WARN)"|\b(ERROR|WARN)\b' "$WORK/proxy.log"; then
  ci_log "soak: the proxy logged warnings or errors (first 10):"
  grep -iE '"level":"(ERROR|WARN)"|\b(ERROR|WARN)\b' "$WORK/proxy.log" | head -n 10 >&2
fi
docs=$(curl -fsS "$OS_URL/soak-logs/_count" | jq -r .count)
ci_log "soak: soak-logs holds $docs documents"
exit "$status"
