#!/usr/bin/env bash
# The Python SDK's tests: builds and installs the package (`pip install ./sdks/python`) and its
# release wheel, starts a real oidc-provider and a real oauth4os proxy in front of the OpenSearch
# at $OAUTH4OS_OPENSEARCH_URL, runs pytest (conformance vectors, end-to-end, concurrency,
# opensearch-py interop, panics, ruff, mypy --strict, stubtest), and stops what it started.
#
#   OAUTH4OS_OPENSEARCH_URL=http://127.0.0.1:9200 bash sdks/python/ci/test.sh [PYTEST ARGS...]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SDK=$(cd "$HERE/.." && pwd)
ROOT=$(cd "$SDK/../.." && pwd)
cd "$ROOT"

log() { echo "[py-test] $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

[[ -n ${OAUTH4OS_OPENSEARCH_URL:-} ]] || die "set OAUTH4OS_OPENSEARCH_URL to a running OpenSearch"
curl -fsS --max-time 5 "$OAUTH4OS_OPENSEARCH_URL" >/dev/null || die "no OpenSearch at $OAUTH4OS_OPENSEARCH_URL"

VENV=$(bash "$HERE/install.sh" | tail -n 1)
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/oauth4os-py.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---- build ------------------------------------------------------------------
log "building the proxy"
nice cargo build -q -p oauth4os-proxy --locked
PROXY_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/oauth4os-proxy"

log "pip install ./sdks/python (release build of the native module)"
nice "$PY" -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps \
  --force-reinstall "$SDK"
log "maturin build --release (the wheel whose tag the tests check)"
(cd "$SDK" && nice maturin build --release --locked -q -o "$WORK/wheels" >&2)
export OAUTH4OS_PY_WHEEL_DIR="$WORK/wheels"

# ---- the real OpenID provider -----------------------------------------------
if [[ ! -d $ROOT/.ci/harness/oidc/node_modules/oidc-provider ]]; then
  log "installing the test OpenID provider"
  npm ci --prefix "$ROOT/.ci/harness/oidc" --no-audit --no-fund >&2
fi
mkfifo "$WORK/oidc.ready"
node "$ROOT/.ci/harness/oidc/server.mjs" --port 0 --extra-scopes "read:py-logs-*" \
  >"$WORK/oidc.ready" 2>"$WORK/oidc.log" &
PIDS+=($!)
read -r -t 30 READY <"$WORK/oidc.ready" || die "the OpenID provider did not start: $(cat "$WORK/oidc.log")"
IDP_ISSUER=$(printf '%s' "$READY" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["issuer"])')
log "OpenID provider at $IDP_ISSUER"

# ---- the real proxy ---------------------------------------------------------
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PROXY_URL="http://127.0.0.1:$PORT"
hash_secret() { printf '%s' "$1" | "$PROXY_BIN" --hash-secret; }
AGENT_SECRET=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(24))')
cat >"$WORK/proxy.toml" <<TOML
listen = "127.0.0.1:$PORT"
public_url = "$PROXY_URL"

[upstream]
url = "$OAUTH4OS_OPENSEARCH_URL"
timeout_secs = 10

[authorization_server]
issuer = "$PROXY_URL"
audiences = ["$PROXY_URL"]
store_path = "$WORK/store.db"

# The README's demo client.
[[authorization_server.clients]]
id = "my-agent"
secret_hash = '$(hash_secret secret)'
scopes = "read:logs-* read:py-logs-*"

[[authorization_server.clients]]
id = "py-agent"
secret_hash = '$(hash_secret "$AGENT_SECRET")'
scopes = "read:py-logs-* write:py-logs-*"

# May trade tokens (RFC 8693).
[[authorization_server.clients]]
id = "py-exchanger"
secret_hash = '$(hash_secret "$AGENT_SECRET")'
scopes = "read:py-logs-*"
grant_types = ["client_credentials", "token_exchange"]
tenant = "idp"

# Tokens that live 3 s: the automatic refresh test.
[[authorization_server.clients]]
id = "py-short"
secret_hash = '$(hash_secret "$AGENT_SECRET")'
scopes = "read:py-logs-*"
access_token_ttl = 3

[[tenants]]
name = "idp"
issuer = "$IDP_ISSUER"
audiences = ["$PROXY_URL"]
required_typ = "at+jwt"

[[scope_mappings]]
scope = "read:py-logs-*"
roles = ["py_reader"]

[[scope_mappings]]
scope = "write:py-logs-*"
roles = ["py_writer"]

[[scope_mappings]]
scope = "read:logs-*"
roles = ["logs_reader"]

[rate_limits]
default = "1000/s burst 2000"
TOML
OAUTH4OS_KEY_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64) RUST_LOG=warn \
  "$PROXY_BIN" --config "$WORK/proxy.toml" 2>"$WORK/proxy.log" &
PIDS+=($!)
for _ in $(seq 1 100); do
  curl -fsS --max-time 1 "$PROXY_URL/health" >/dev/null 2>&1 && break
  kill -0 "${PIDS[-1]}" 2>/dev/null || die "the proxy exited: $(tail -n 20 "$WORK/proxy.log")"
  sleep 0.1
done
curl -fsS --max-time 1 "$PROXY_URL/health" >/dev/null || die "the proxy did not start: $(tail -n 20 "$WORK/proxy.log")"
log "proxy at $PROXY_URL"

# ---- pytest -----------------------------------------------------------------
export OAUTH4OS_PY_PROXY_URL=$PROXY_URL
export OAUTH4OS_PY_IDP_ISSUER=$IDP_ISSUER
export OAUTH4OS_PY_AGENT_SECRET=$AGENT_SECRET
export OAUTH4OS_PY_ROOT=$ROOT
cd "$SDK"
status=0
"$PY" -m pytest -p no:cacheprovider "$@" || status=$?
if [[ $status -ne 0 ]]; then
  log "proxy log (last lines):"
  tail -n 30 "$WORK/proxy.log" >&2 || true
fi
exit "$status"
