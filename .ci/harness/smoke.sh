#!/usr/bin/env bash
# The real-OpenSearch part of `make test`: starts OpenSearch 2.19 from the cached Maven Central zip
# on a dedicated loopback port, checks the harness itself (health, index, search), then runs the
# Rust test that replays the core's request classifier against what OpenSearch really does, the
# proxy's real-peer tests and the SDK suites.
# Always stops OpenSearch again. Prints "N passed, N failed".
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
. .ci/harness/lib.sh

export OS_PORT=${OAUTH4OS_TEST_OS_PORT:-9250}
OS="bash .ci/harness/opensearch.sh"
URL=$($OS url)
passed=0
failed=0

check() { # check NAME COMMAND...
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

cleanup() { $OS stop || true; }
trap cleanup EXIT

ci_section "starting OpenSearch on $URL"
$OS start

check "cluster health is green or yellow" \
  bash -c "curl -fsS '$URL/_cluster/health' | jq -e '.status == \"green\" or .status == \"yellow\"'"
curl -fsS -X DELETE "$URL/harness-smoke" >/dev/null 2>&1 || true
check "create an index" curl -fsS -X PUT "$URL/harness-smoke" -H 'content-type: application/json' \
  -d '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
check "index a document" curl -fsS -X PUT "$URL/harness-smoke/_doc/1?refresh=true" \
  -H 'content-type: application/json' -d '{"level":"error","message":"disk full","service":"api"}'
check "search finds it" bash -c "curl -fsS '$URL/harness-smoke/_search?q=level:error' | jq -e '.hits.total.value == 1'"
check "status reports healthy" $OS status

ci_section "classifier vs real OpenSearch"
if OAUTH4OS_OPENSEARCH_URL=$URL cargo test -p oauth4os-core --locked --features opensearch-tests --test opensearch; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

ci_section "proxy resource side vs real OpenSearch and the real OpenID provider"
if OAUTH4OS_OPENSEARCH_URL=$URL cargo test -p oauth4os-proxy --locked --features opensearch-tests --test resource --test resilience; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

# Each SDK script builds its package, starts its own real proxy and OpenID provider, runs the
# language's own test runner against this OpenSearch, and stops what it started.
ci_section "Python SDK (pytest) vs the real proxy, OpenSearch and OpenID provider"
if OAUTH4OS_OPENSEARCH_URL=$URL bash sdks/python/ci/test.sh; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

ci_section "Node SDK (node:test) vs the real proxy, OpenSearch and OpenID provider"
if OAUTH4OS_OPENSEARCH_URL=$URL bash sdks/node/ci/test.sh; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

cleanup
trap - EXIT
check "stop leaves nothing running" bash -c "! $OS status"
echo "harness: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
