#!/usr/bin/env bash
# End-to-end tests of the proxy's MCP endpoint (/mcp) with the OFFICIAL MCP SDKs: the TypeScript
# SDK (@modelcontextprotocol/sdk, node:test) and the Python SDK (PyPI `mcp`, pytest), against the
# real OpenSearch and the real test OpenID provider of .ci/harness/peers.sh.
#
#   bash .ci/harness/mcp.sh            [node|python]   (default: both)
#
# Peers: those of $OAUTH4OS_TEST_ENV when set (smoke.sh / make test), else a private set (OpenSearch
# and the OpenID provider only) started for this run and stopped after it. The proxy is this
# suite's own: the binary of $OAUTH4OS_PROXY_BIN, else $OAUTH4OS_TEST_PROXY_BIN, else a cargo build;
# its configuration is written here (confidential clients with client_credentials, the OpenID
# provider as the login tenant for public clients, dynamic registration on). Between the proxy and
# OpenSearch sits a recording tap (mcp/tap.mjs): the tests read what OpenSearch received.
# Indices: mcp-* and .mcp-*, created here and dropped again. Exits non-zero on any failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SUITE="$HERE/mcp"
# shellcheck source=lib.sh
. "$HERE/lib.sh"
log() { ci_log "mcp-e2e: $*"; }

WHAT=${1:-all}
case $WHAT in all | node | python) ;; *) ci_die "usage: bash .ci/harness/mcp.sh [node|python]" ;; esac
ci_need node nodejs "to run the TypeScript SDK tests"
ci_need curl curl
ci_need jq jq

WORK=$(mktemp -d "${TMPDIR:-/tmp}/oauth4os-mcp-e2e.XXXXXX")
chmod 700 "$WORK"
PRIVATE_PEERS=
GROUPS_STARTED=()

stop_group() { # stop_group PGID: TERM to the group, 10 s, then KILL
  local pgid=$1 i
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 -- "-$pgid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

cleanup() {
  local status=$? i
  for ((i = ${#GROUPS_STARTED[@]} - 1; i >= 0; i--)); do stop_group "${GROUPS_STARTED[i]}"; done
  if [[ -n ${OAUTH4OS_TEST_OPENSEARCH_URL:-} ]]; then
    curl -fsS -o /dev/null -X DELETE "$OAUTH4OS_TEST_OPENSEARCH_URL/mcp-*,.mcp-*?expand_wildcards=all" 2>/dev/null || true
  fi
  if [[ -n $PRIVATE_PEERS ]]; then
    bash "$HERE/peers.sh" down >/dev/null 2>&1 || true
    rm -rf "$PRIVATE_PEERS"
  fi
  if ((status != 0)) && [[ -s $WORK/proxy.log ]]; then
    ci_log "----- tail of the proxy's log -----"
    tail -n 40 "$WORK/proxy.log" >&2
  fi
  rm -rf "$WORK"
  return "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- peers -----------------------------------------------------------------------------
if [[ -n ${OAUTH4OS_TEST_ENV:-} ]]; then
  [[ -s $OAUTH4OS_TEST_ENV ]] || ci_die "OAUTH4OS_TEST_ENV names no env file: '$OAUTH4OS_TEST_ENV'"
  log "using the peers of $OAUTH4OS_TEST_ENV"
else
  PRIVATE_PEERS=$(mktemp -d "${TMPDIR:-/tmp}/oauth4os-peers.XXXXXX")
  export OAUTH4OS_PEERS_DIR=$PRIVATE_PEERS
  log "starting OpenSearch and the OpenID provider ($PRIVATE_PEERS)"
  OAUTH4OS_TEST_ENV=$(bash "$HERE/peers.sh" up opensearch oidc)
fi
set -a
# shellcheck disable=SC1090
. "$OAUTH4OS_TEST_ENV"
set +a
OS_URL=${OAUTH4OS_TEST_OPENSEARCH_URL:?the peers have no OpenSearch}
ISSUER=${OAUTH4OS_TEST_OIDC_ISSUER:?the peers have no OpenID provider}

# ---- the proxy binary --------------------------------------------------------------------
BIN=${OAUTH4OS_PROXY_BIN:-${OAUTH4OS_TEST_PROXY_BIN:-}}
if [[ -z $BIN ]]; then
  ci_need cargo cargo "to build oauth4os-proxy"
  log "building oauth4os-proxy (cargo build -p oauth4os-proxy)"
  BIN=$(cd "$ROOT" && cargo build -q -p oauth4os-proxy --bin oauth4os-proxy --locked \
    --message-format=json-render-diagnostics |
    jq -r 'select(.reason == "compiler-artifact" and .executable != null) | .executable' | tail -n 1)
fi
[[ -n $BIN && -x $BIN ]] || ci_die "no oauth4os-proxy binary${BIN:+ at $BIN}"
# A copy: a later cargo build cannot swap it under the running tests.
cp -f "$BIN" "$WORK/oauth4os-proxy"
BIN="$WORK/oauth4os-proxy"

# ---- the SDKs ----------------------------------------------------------------------------
if [[ ! -d $SUITE/node_modules/@modelcontextprotocol/sdk ]] || [[ $SUITE/package-lock.json -nt $SUITE/node_modules/.package-lock.json ]]; then
  log "installing the MCP TypeScript SDK (npm ci)"
  npm ci --prefix "$SUITE" --no-audit --no-fund >&2
fi
if [[ $WHAT != node ]]; then
  VENV=$(bash "$SUITE/python/install.sh")
fi

# ---- data in the real OpenSearch (before the proxy starts: its catalog sees all of it) --------
osq() { # osq METHOD PATH [JSON]
  curl -fsS -o /dev/null -X "$1" "$OS_URL$2" -H 'content-type: application/json' ${3:+-d "$3"}
}
curl -fsS -o /dev/null -X DELETE "$OS_URL/mcp-*,.mcp-*?expand_wildcards=all" 2>/dev/null || true
one_shard='{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
osq PUT /mcp-logs-app "$one_shard"
osq PUT /mcp-logs-web "$one_shard"
osq PUT /mcp-secret "$one_shard"
osq PUT /.mcp-hidden '{"settings":{"number_of_shards":1,"number_of_replicas":0,"index.hidden":true}}'
osq PUT /mcp-logs-app/_doc/1 '{"level":"error","message":"disk full","service":"api","bytes":10}'
osq PUT /mcp-logs-app/_doc/2 '{"level":"error","message":"timeout calling db","service":"api","bytes":20}'
osq PUT /mcp-logs-app/_doc/3 '{"level":"info","message":"started","service":"api","bytes":30}'
osq PUT /mcp-logs-web/_doc/1 '{"level":"error","message":"502 from upstream","service":"web","bytes":40}'
osq PUT /mcp-logs-web/_doc/2 '{"level":"info","message":"GET /","service":"web","bytes":50}'
osq PUT /mcp-secret/_doc/1 '{"secret":"the-mcp-secret-value","owner":"finance"}'
osq PUT /.mcp-hidden/_doc/1 '{"secret":"the-hidden-mcp-value"}'
osq POST "/mcp-*,.mcp-*/_refresh?expand_wildcards=all"

# ---- the tap ---------------------------------------------------------------------------
: >"$WORK/tap.jsonl"
: >"$WORK/tap.ready" # before the tap starts: it is read while the tap may not have opened it yet
setsid node "$SUITE/tap.mjs" --upstream "$OS_URL" --log "$WORK/tap.jsonl" </dev/null >"$WORK/tap.ready" 2>"$WORK/tap.log" &
GROUPS_STARTED+=("$!")
TAP_URL=
for ((i = 0; i < 100; i++)); do
  TAP_URL=$(sed -n 's/^{"url":"\(http:\/\/127\.0\.0\.1:[0-9]*\)"}$/\1/p' "$WORK/tap.ready" || true)
  [[ -n $TAP_URL ]] && break
  sleep 0.1
done
[[ -n $TAP_URL ]] || ci_die "the tap did not start: $(cat "$WORK/tap.log")"

# ---- the proxy ---------------------------------------------------------------------------
random_secret() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }
free_port() { # a port nothing listens on, below the ephemeral range
  local p used
  used=$(awk 'NR > 1 { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
    grep -qx "$(printf '%04X' "$p")" <<<"$used" || {
      echo "$p"
      return 0
    }
  done
  ci_die "no free port"
}
CLIENT_SECRET=$(random_secret)
ADMIN_SECRET=$(random_secret)
IAT=$(random_secret)
printf '%s' "$CLIENT_SECRET" | "$BIN" --hash-secret >"$WORK/hash.client" &
h1=$!
printf '%s' "$ADMIN_SECRET" | "$BIN" --hash-secret >"$WORK/hash.admin" &
h2=$!
printf '%s' "$IAT" | "$BIN" --hash-secret >"$WORK/hash.iat" &
h3=$!
wait $h1 && wait $h2 && wait $h3 || ci_die "oauth4os-proxy --hash-secret failed"
(umask 077 && printf 'ci-secret\n' >"$WORK/login-secret" && head -c 32 /dev/urandom | base64 >"$WORK/kek")

write_config() { # write_config PORT
  local url="http://127.0.0.1:$1" hash
  hash=$(cat "$WORK/hash.client")
  cat >"$WORK/proxy.toml" <<EOF
# Generated by .ci/harness/mcp.sh: the proxy of the MCP end-to-end tests.
listen = "127.0.0.1:$1"
public_url = "$url"

[upstream]
url = "$TAP_URL"
timeout_secs = 10

[authorization_server]
issuer = "$url"
audiences = ["$url"]
store_path = "$WORK/store.db"
secret_checks_per_ip = "6000/min"

[authorization_server.admin]
client_id = "oauth4os-admin"
secret_hash = '$(cat "$WORK/hash.admin")'

# Dynamic registration (RFC 7591) for MCP clients; registered public clients sign in at "oidc".
[authorization_server.registration]
enabled = true
initial_access_token_hash = '$(cat "$WORK/hash.iat")'
scope_ceiling = "read:mcp-logs-*"
tenant = "oidc"
# MCP clients register without the initial access token (public clients only).
public_clients_without_token = true

# Read-only on the logs: the tests' reader.
[[authorization_server.clients]]
id = "mcp-reader"
secret_hash = '$hash'
scopes = "read:mcp-logs-*"

# Operations: reads, monitors, creates indices and deletes by query on the logs.
[[authorization_server.clients]]
id = "mcp-ops"
secret_hash = '$hash'
scopes = "read:mcp-logs-* monitor:* manage:mcp-logs-* write:mcp-logs-*"

[[scope_mappings]]
scope = "read:mcp-logs-*"
roles = ["mcp_logs_reader"]

[[scope_mappings]]
scope = "write:mcp-logs-*"
roles = ["mcp_logs_writer"]

[[scope_mappings]]
scope = "manage:mcp-logs-*"
roles = ["mcp_logs_manager"]

[[scope_mappings]]
scope = "monitor:*"
roles = ["mcp_monitor"]

# The real OpenID provider signs the users of public clients in (authorization code + PKCE).
[[tenants]]
name = "oidc"
issuer = "$ISSUER"
audiences = ["$url"]
algorithms = ["ES256", "RS256"]
required_typ = "at+jwt"

[tenants.login]
client_id = "ci-client"
client_secret_file = "$WORK/login-secret"

[rate_limits]
default = "1000/s burst 2000"

# /mcp (on by default), with a small hit cap so that the tests see it applied.
[mcp]
max_hits = 4
EOF
  chmod 600 "$WORK/proxy.toml"
}

PROXY_URL=
for attempt in 1 2 3; do
  port=$(free_port)
  write_config "$port"
  setsid env OAUTH4OS_KEY_ENCRYPTION_KEY_FILE="$WORK/kek" RUST_LOG="${RUST_LOG:-warn}" \
    "$BIN" --config "$WORK/proxy.toml" </dev/null >"$WORK/proxy.log" 2>&1 &
  pgid=$!
  for ((i = 0; i < 600; i++)); do
    if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/health" 2>/dev/null; then
      PROXY_URL="http://127.0.0.1:$port"
      break
    fi
    kill -0 "$pgid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -n $PROXY_URL ]]; then
    GROUPS_STARTED+=("$pgid")
    break
  fi
  stop_group "$pgid"
  grep -qi 'address.*in use\|addrinuse' "$WORK/proxy.log" || break
  log "port $port was taken meanwhile (attempt $attempt)"
done
[[ -n $PROXY_URL ]] || ci_die "the proxy did not start: $(tail -n 20 "$WORK/proxy.log")"
log "proxy at $PROXY_URL (upstream: the tap $TAP_URL → $OS_URL)"

export MCP_E2E_URL=$PROXY_URL \
  MCP_E2E_OPENSEARCH_URL=$OS_URL \
  MCP_E2E_OIDC_ISSUER=$ISSUER \
  MCP_E2E_TAP_LOG=$WORK/tap.jsonl \
  MCP_E2E_PROXY_LOG=$WORK/proxy.log \
  MCP_E2E_CLIENT_SECRET=$CLIENT_SECRET \
  MCP_E2E_ADMIN_CLIENT_ID=oauth4os-admin \
  MCP_E2E_ADMIN_CLIENT_SECRET=$ADMIN_SECRET \
  MCP_E2E_INITIAL_ACCESS_TOKEN=$IAT

# ---- the suites ----------------------------------------------------------------------------
status=0
if [[ $WHAT != python ]]; then
  log "TypeScript SDK @modelcontextprotocol/sdk $(jq -r .version "$SUITE/node_modules/@modelcontextprotocol/sdk/package.json") (node:test)"
  # One file at a time: the tests read the tap's log, which every request appends to.
  # MCP_E2E_NODE_TESTS: some test files only (paths relative to .ci/harness/mcp), while developing.
  # shellcheck disable=SC2086 # a list of paths
  (cd "$SUITE" && ci_timed "mcp: TypeScript SDK" node --test --test-concurrency=1 ${MCP_E2E_NODE_TESTS:-test/*.test.mjs}) || status=1
fi
if [[ $WHAT != node ]]; then
  log "Python SDK mcp $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))') (pytest)"
  (cd "$SUITE/python" && ci_timed "mcp: Python SDK" "$VENV/bin/python" -m pytest -q -p no:cacheprovider .) || status=1
fi
exit "$status"
