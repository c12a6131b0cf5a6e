#!/usr/bin/env bash
# make demo          start a real OpenSearch (:9200) with logs-demo and oauth4os-proxy on its
#                    embedded defaults (:8443), run the token -> search -> revoke flow with curl,
#                    then start a real OpenID provider (:9400) and run the core's pipeline on more
#                    sample requests (core/examples/demo.rs)
# make demo-stop     stop everything
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
. .ci/harness/lib.sh

export OS_PORT=${OS_PORT:-9200}
IDP_PORT=${IDP_PORT:-9400}
STATE=${OAUTH4OS_DEMO_DIR:-${TMPDIR:-/tmp}/oauth4os-demo}
OS="bash .ci/harness/opensearch.sh"
OS_URL=$($OS url)
IDP_URL="http://127.0.0.1:$IDP_PORT"
mkdir -p "$STATE"

stop_pid() { # stop_pid NAME
  if [[ -f $STATE/$1.pid ]]; then
    kill "$(cat "$STATE/$1.pid")" 2>/dev/null || true
    rm -f "$STATE/$1.pid"
  fi
}
stop_idp() { stop_pid idp; }

if [[ ${1:-start} == stop ]]; then
  stop_idp
  stop_pid proxy
  $OS stop
  ci_log "demo stopped"
  exit 0
fi

ci_section "OpenSearch on $OS_URL"
$OS start

ci_section "loading logs-demo"
curl -fsS -X DELETE "$OS_URL/logs-demo" >/dev/null 2>&1 || true
curl -fsS -X PUT "$OS_URL/logs-demo" -H 'content-type: application/json' \
  -d '{"settings":{"number_of_shards":1,"number_of_replicas":0},"mappings":{"properties":{"level":{"type":"keyword"},"service":{"type":"keyword"},"message":{"type":"text"},"@timestamp":{"type":"date"}}}}' >/dev/null
curl -fsS -X POST "$OS_URL/logs-demo/_bulk?refresh=true" -H 'content-type: application/x-ndjson' --data-binary @- >/dev/null <<'DOCS'
{"index":{}}
{"@timestamp":"2026-11-22T08:00:00Z","level":"error","service":"checkout","message":"payment provider timed out after 30s"}
{"index":{}}
{"@timestamp":"2026-11-22T08:00:05Z","level":"info","service":"checkout","message":"order 1042 placed"}
{"index":{}}
{"@timestamp":"2026-11-22T08:01:10Z","level":"error","service":"search","message":"shard failure on logs-2026.11.22"}
{"index":{}}
{"@timestamp":"2026-11-22T08:02:00Z","level":"warn","service":"auth","message":"token refresh took 900ms"}
{"index":{}}
{"@timestamp":"2026-11-22T08:03:30Z","level":"info","service":"search","message":"query cache warmed"}
{"index":{}}
{"@timestamp":"2026-11-22T08:04:45Z","level":"error","service":"auth","message":"JWKS fetch failed, serving cached keys"}
DOCS
curl -fsS -X PUT "$OS_URL/secret-payroll" -H 'content-type: application/json' \
  -d '{"settings":{"number_of_shards":1,"number_of_replicas":0}}' >/dev/null 2>&1 || true
ci_log "logs-demo: $(curl -fsS "$OS_URL/logs-demo/_count" | jq .count) documents"

ci_section "oauth4os-proxy on :8443 (embedded defaults)"
cargo build -q -p oauth4os-proxy
stop_pid proxy
(cd "$STATE" && exec "${CARGO_TARGET_DIR:-$ROOT/target}/debug/oauth4os-proxy" >"$STATE/proxy.log" 2>&1) &
echo $! >"$STATE/proxy.pid"
for _ in $(seq 1 100); do
  curl -fsS http://localhost:8443/health >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS http://localhost:8443/health >/dev/null || { tail -20 "$STATE/proxy.log" >&2; ci_die "the proxy did not start"; }

ci_section "the seed flow, verbatim"
echo '$ curl -s -X POST http://localhost:8443/oauth/token -d grant_type=client_credentials -d client_id=my-agent -d client_secret=secret -d "scope=read:logs-*"'
RESP=$(curl -s -X POST http://localhost:8443/oauth/token -d grant_type=client_credentials -d client_id=my-agent -d client_secret=secret -d "scope=read:logs-*")
echo "$RESP" | jq -c '.access_token |= (.[0:24] + "...")'
TOKEN=$(echo "$RESP" | jq -r .access_token)
echo
echo '$ curl -s -H "Authorization: Bearer $TOKEN" http://localhost:8443/logs-*/_search -d '"'"'{"query":{"match":{"level":"error"}}}'"'"
curl -s -H "Authorization: Bearer $TOKEN" http://localhost:8443/logs-*/_search -d '{"query":{"match":{"level":"error"}}}' \
  | jq -c '{total: .hits.total.value, messages: [.hits.hits[]._source.message]}'
echo
echo '$ curl -s -X POST http://localhost:8443/oauth/revoke -d "token=$TOKEN"'
curl -s -X POST http://localhost:8443/oauth/revoke -d "token=$TOKEN"
echo
echo
echo '$ curl -s -H "Authorization: Bearer $TOKEN" http://localhost:8443/logs-*/_search   # after revocation'
curl -s -w ' (HTTP %{http_code})' -H "Authorization: Bearer $TOKEN" http://localhost:8443/logs-*/_search
echo

ci_section "OpenID provider on $IDP_URL"
stop_idp
node .ci/harness/oidc/server.mjs --port "$IDP_PORT" --keys "$STATE/idp-keys.json" \
  >"$STATE/idp.ready" 2>"$STATE/idp.log" &
echo $! >"$STATE/idp.pid"
for _ in $(seq 1 100); do
  [[ -s $STATE/idp.ready ]] && break
  sleep 0.1
done
[[ -s $STATE/idp.ready ]] || { tail -20 "$STATE/idp.log" >&2; ci_die "the OpenID provider did not start"; }
ci_log "ready: $(cat "$STATE/idp.ready")"

ci_section "the core's pipeline on sample requests"
cargo run -q -p oauth4os-core --example demo -- "$IDP_URL" "$OS_URL"

cat >&2 <<MSG

Running:  oauth4os-proxy http://localhost:8443 (embedded defaults; client my-agent / secret, read:logs-*; log $STATE/proxy.log)
          OpenSearch $OS_URL (index logs-demo),
          OpenID provider $IDP_URL (pid $(cat "$STATE/idp.pid"); clients ci-client/ci-secret, agent-a/secret-a)
MCP:      http://localhost:8443/mcp for AI agents (tokens with resource=http://localhost:8443/mcp; README, "MCP endpoint for AI agents")
Try:      curl -s -X POST $IDP_URL/token -u ci-client:ci-secret -d grant_type=client_credentials -d 'scope=read:logs-*' -d resource=http://127.0.0.1:8443
Stop:     make demo-stop
MSG
