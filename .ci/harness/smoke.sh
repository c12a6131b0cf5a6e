#!/usr/bin/env bash
# The real-peer part of `make test`: brings up one set of test peers (peers.sh: OpenSearch 2.19,
# the test OpenID provider and the proxy, on free 127.0.0.1 ports), checks the harness itself
# (health, index, search), runs the Rust tests that replay the core's request classifier and the
# proxy's resource side against the real OpenSearch, then every SDK suite against the same peers,
# and stops everything again (also on failure). Prints "N passed, N failed".
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=lib.sh
. .ci/harness/lib.sh

PEERS="bash .ci/harness/peers.sh"
passed=0
failed=0

check() { # check NAME COMMAND...: a quiet one-line check
  local name=$1
  shift
  if "$@" >/dev/null 2>&1; then
    ci_log "ok: $name"
    passed=$((passed + 1))
  else
    ci_log "FAILED: $name"
    failed=$((failed + 1))
  fi
}

suite() { # suite NAME COMMAND...: a timed step with its own output
  local name=$1
  shift
  ci_section "$name"
  if ci_timed "$name" "$@"; then
    passed=$((passed + 1))
  else
    ci_log "FAILED: $name"
    failed=$((failed + 1))
  fi
}

# A private state dir: this run's peers, stopped and removed on any exit.
OAUTH4OS_PEERS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/oauth4os-peers.XXXXXX")
export OAUTH4OS_PEERS_DIR
cleanup() {
  $PEERS down || true
  rm -rf "$OAUTH4OS_PEERS_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The Rust tests against the real peers, and the proxy binary the peers run, in one build shaped
# like rust-test's: --workspace, because cargo resolves the dependencies' features for the packages
# it is asked for, so `-p oauth4os-core` or peers.sh's own `cargo build -p oauth4os-proxy` would
# recompile many of them with other features (minutes); this way only core, the proxy and these
# tests recompile, for the `opensearch-tests` features (which only enable the test targets).
OPENSEARCH_TESTS=(--workspace --locked --features oauth4os-core/opensearch-tests,oauth4os-proxy/opensearch-tests)
build_rust_tests() { # (errexit does not reach in here: ci_timed calls it in a condition)
  local json
  json=$(mktemp "${TMPDIR:-/tmp}/oauth4os-smoke.XXXXXX") || return
  cargo test "${OPENSEARCH_TESTS[@]}" --test opensearch --test resource --test resilience --test mcp --no-run \
    --message-format=json-render-diagnostics >"$json" || { rm -f "$json"; return 1; }
  # The proxy's binary as its integration tests use it (not a test harness): OAUTH4OS_PROXY_BIN.
  jq -r 'select(.reason == "compiler-artifact" and .profile.test == false
      and .target.name == "oauth4os-proxy" and (.target.kind | index("bin")) and .executable != null)
    | .executable' "$json" | tail -n 1 >"$OAUTH4OS_PEERS_DIR/.smoke-proxy-bin"
  rm -f "$json"
}
ci_section "building the Rust tests against the real peers, and the proxy"
if ci_timed "build the Rust tests and the proxy" build_rust_tests; then
  OAUTH4OS_PROXY_BIN=$(cat "$OAUTH4OS_PEERS_DIR/.smoke-proxy-bin")
  [[ -z $OAUTH4OS_PROXY_BIN ]] || export OAUTH4OS_PROXY_BIN
else
  ci_log "FAILED: building the Rust tests (peers.sh builds the proxy itself)"
  failed=$((failed + 1))
fi
rm -f "$OAUTH4OS_PEERS_DIR/.smoke-proxy-bin"

ci_section "test peers: OpenSearch, the OpenID provider, the proxy"
ci_timed "peers up" $PEERS up >/dev/null
set -a
# shellcheck disable=SC1091
. "$OAUTH4OS_PEERS_DIR/env"
set +a
URL=$OAUTH4OS_TEST_OPENSEARCH_URL

check "cluster health is green or yellow" \
  bash -c "curl -fsS '$URL/_cluster/health' | jq -e '.status == \"green\" or .status == \"yellow\"'"
check "create an index" curl -fsS -X PUT "$URL/harness-smoke" -H 'content-type: application/json' \
  -d '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
check "index a document" curl -fsS -X PUT "$URL/harness-smoke/_doc/1?refresh=true" \
  -H 'content-type: application/json' -d '{"level":"error","message":"disk full","service":"api"}'
check "search finds it" bash -c "curl -fsS '$URL/harness-smoke/_search?q=level:error' | jq -e '.hits.total.value == 1'"
check "the OpenID provider serves its discovery document" \
  curl -fsS "$OAUTH4OS_TEST_OIDC_ISSUER/.well-known/openid-configuration"
check "the proxy issues a token to a suite client" \
  curl -fsS -u "node-agent:$OAUTH4OS_TEST_CLIENT_SECRET" -d grant_type=client_credentials \
  "$OAUTH4OS_TEST_PROXY_URL/oauth/token"
check "every peer is healthy" $PEERS status
curl -fsS -X DELETE "$URL/harness-smoke" >/dev/null 2>&1 || true

# Built above (build_rust_tests): these only run.
suite "classifier vs real OpenSearch" env OAUTH4OS_OPENSEARCH_URL="$URL" \
  cargo test "${OPENSEARCH_TESTS[@]}" --test opensearch
suite "proxy vs real OpenSearch and OpenID provider" env OAUTH4OS_OPENSEARCH_URL="$URL" \
  cargo test "${OPENSEARCH_TESTS[@]}" --test resource --test resilience --test mcp

# The SDK suites find OAUTH4OS_TEST_ENV set and use these peers (peers.sh run never starts a
# second set); each packages the build of `make sdk-build` (.ci/sdk-build.sh), then runs its
# language's test runner.
suite "Python SDK (pytest)" bash sdks/python/ci/test.sh
suite "Node SDK (node:test)" bash sdks/node/ci/test.sh
suite "Java SDK (JUnit 5, mvn verify)" bash sdks/java/ci/test.sh
suite "Go SDK (go vet, staticcheck, go test -race)" bash sdks/go/ci/test.sh
suite "MCP endpoint with the official MCP SDKs (TypeScript, Python)" bash .ci/harness/mcp.sh

ci_section "stopping the test peers"
ci_timed "peers down" $PEERS down
check "down leaves nothing running" bash -c "! $PEERS status"
check "OpenSearch no longer answers" bash -c "! curl -fsS --max-time 2 '$URL/'"
check "the proxy no longer answers" bash -c "! curl -fsS --max-time 2 '$OAUTH4OS_TEST_PROXY_URL/health'"
echo "harness: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
