#!/usr/bin/env bash
# The MCP endpoint's `search` tool against the same search through the proxy's HTTP front, in
# one run, on loopback, in front of the same fast upstream (nginx returning a fixed search
# answer, so that the figures are the proxy's cost); plus `explain_access` (a decision, no
# upstream call) against `ping` (JSON-RPC and authentication alone) to show what one explanation
# adds.
#
#   bash proxy/bench/mcp-vs-search.sh        # needs: apt-get install wrk nginx
#
#   ROUNDS=N   rounds, the four loads alternating (default 3); DUR=10s a run; CONNS=32
#   PERF_OUT=F a cpu-clock profile (perf) of the proxy during the first MCP `search` run
#
# Prints, per round, requests/s with p50 and p99 of each load, the MCP/front throughput ratio,
# and the median ratio over the rounds.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=../../.ci/harness/lib.sh
. .ci/harness/lib.sh
ci_need wrk wrk
ci_need nginx nginx
ci_need jq jq

DUR=${DUR:-10s}
CONNS=${CONNS:-32}
ROUNDS=${ROUNDS:-3}
WORK=$(mktemp -d)
UP=18091 PRX=18453
PROXY_PID=
cleanup() {
  [[ -n $PROXY_PID ]] && kill "$PROXY_PID" 2>/dev/null || true
  [[ -f $WORK/upstream.pid ]] && kill "$(cat "$WORK/upstream.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The upstream: a fixed ten-hit search answer, and the metadata the proxy asks for to resolve
# names (one index, `logs-demo`; no pipeline).
hit='{"_index":"logs-demo","_id":"1","_score":1.0,"_source":{"@timestamp":"2026-11-22T08:00:00Z","level":"error","service":"search","message":"disk full on node-1"}}'
hits=$(printf '%s,' "$hit" "$hit" "$hit" "$hit" "$hit" "$hit" "$hit" "$hit" "$hit" "$hit")
answer="{\"took\":1,\"timed_out\":false,\"hits\":{\"total\":{\"value\":10,\"relation\":\"eq\"},\"hits\":[${hits%,}]}}"
cat >"$WORK/upstream.conf" <<NGINX
worker_processes 1;
pid $WORK/upstream.pid;
error_log $WORK/upstream-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$UP;
    default_type application/json;
    location /_resolve/ { return 200 '{"indices":[{"name":"logs-demo","attributes":["open"]}],"aliases":[],"data_streams":[]}'; }
    location /_ingest/ { return 404 '{}'; }
    location / { return 200 '$answer'; }
  }
}
NGINX
nginx -c "$WORK/upstream.conf"

ci_section "building the proxy (release)"
cargo build -q --locked --release -p oauth4os-proxy --bin oauth4os-proxy
BIN="$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)/release/oauth4os-proxy"
HASH=$(printf bench-secret | "$BIN" --hash-secret)
BASE="http://127.0.0.1:$PRX"
cat >"$WORK/proxy.toml" <<TOML
listen = "127.0.0.1:$PRX"
public_url = "$BASE"
[upstream]
url = "http://127.0.0.1:$UP"
[authorization_server]
issuer = "$BASE"
audiences = ["$BASE"]
store_path = "$WORK/store.db"
[[authorization_server.clients]]
id = "bench"
secret_hash = "$HASH"
scopes = "read:logs-*"
[[scope_mappings]]
scope = "read:logs-*"
roles = ["logs_reader"]
TOML
OAUTH4OS_KEY_ENCRYPTION_KEY=$(head -c32 /dev/urandom | base64) RUST_LOG=warn \
  "$BIN" --config "$WORK/proxy.toml" 2>"$WORK/proxy.log" &
PROXY_PID=$!
for _ in $(seq 1 100); do curl -fsS "$BASE/health" >/dev/null 2>&1 && break; sleep 0.1; done

token() { # token [resource]
  curl -fsS -u bench:bench-secret "$BASE/oauth/token" -d grant_type=client_credentials \
    -d 'scope=read:logs-*' ${1:+-d "resource=$1"} | jq -r .access_token
}
FRONT_TOKEN=$(token)
MCP_TOKEN=$(token "$BASE/mcp")

query='{"match":{"level":"error"}}'
lua() { # lua NAME TOKEN BODY
  cat >"$WORK/$1.lua" <<LUA
wrk.method = "POST"
wrk.body = '$3'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Authorization"] = "Bearer $2"
LUA
}
lua front "$FRONT_TOKEN" "{\"query\":$query,\"size\":10}"
lua mcp "$MCP_TOKEN" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"search\",\"arguments\":{\"index\":\"logs-*\",\"query\":$query,\"size\":10}}}"
lua explain "$MCP_TOKEN" '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"explain_access","arguments":{"index":"logs-*","action":"read"}}}'
lua ping "$MCP_TOKEN" '{"jsonrpc":"2.0","id":1,"method":"ping"}'

# Sanity: each load gets what it should (ten hits both ways; an allowed explanation; a pong).
curl -fsS -H "Authorization: Bearer $FRONT_TOKEN" -H 'content-type: application/json' \
  -d "{\"query\":$query,\"size\":10}" "$BASE/logs-*/_search" | jq -e '.hits.hits | length == 10' >/dev/null
mcp_call() { curl -fsS -H "Authorization: Bearer $MCP_TOKEN" -H 'content-type: application/json' -d "$1" "$BASE/mcp"; }
mcp_call "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"search\",\"arguments\":{\"index\":\"logs-*\",\"query\":$query,\"size\":10}}}" \
  | jq -e '.result.structuredContent.hits | length == 10' >/dev/null
mcp_call '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"explain_access","arguments":{"index":"logs-*","action":"read"}}}' \
  | jq -e '.result.structuredContent.allowed == true' >/dev/null
mcp_call '{"jsonrpc":"2.0","id":1,"method":"ping"}' | jq -e '.result == {}' >/dev/null

run() { # run NAME URL: prints "requests/s p50 p99 non2xx"
  wrk -t2 -c"$CONNS" -d"$DUR" --latency -s "$WORK/$1.lua" "$2" >"$WORK/$1.txt"
  echo "$(awk '/Requests\/sec/ {print $2}' "$WORK/$1.txt") $(awk '$1=="50%" {print $2}' "$WORK/$1.txt") $(awk '$1=="99%" {print $2}' "$WORK/$1.txt") $(awk '/Non-2xx/ {print $NF}' "$WORK/$1.txt")"
}
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

ci_section "warm-up"
for l in front mcp; do wrk -t1 -c4 -d2s -s "$WORK/$l.lua" "$BASE/logs-*/_search" >/dev/null; done

rows="" ratios="" eratios=""
for r in $(seq 1 "$ROUNDS"); do
  ci_section "round $r of $ROUNDS"
  read -r f_rps f_p50 f_p99 f_bad < <(run front "$BASE/logs-*/_search")
  # PERF_OUT=file: a cpu-clock profile of the proxy during the first MCP `search` run.
  if [[ -n ${PERF_OUT:-} && $r == 1 ]]; then
    perf record -e cpu-clock -F 999 -g -p "$PROXY_PID" -o "$PERF_OUT" -- sleep 8 >/dev/null 2>&1 &
  fi
  read -r m_rps m_p50 m_p99 m_bad < <(run mcp "$BASE/mcp")
  read -r p_rps p_p50 p_p99 p_bad < <(run ping "$BASE/mcp")
  read -r e_rps e_p50 e_p99 e_bad < <(run explain "$BASE/mcp")
  if [[ -n $f_bad$m_bad$p_bad$e_bad ]]; then
    ci_die "non-2xx answers under load (front ${f_bad:-0}, mcp ${m_bad:-0}, ping ${p_bad:-0}, explain ${e_bad:-0})"
  fi
  ratio=$(awk -v a="$m_rps" -v b="$f_rps" 'BEGIN { printf "%.2f", a / b }')
  eratio=$(awk -v a="$e_rps" -v b="$p_rps" 'BEGIN { printf "%.2f", a / b }')
  ratios+="$ratio"$'\n'
  eratios+="$eratio"$'\n'
  rows+="| $r | $f_rps ($f_p50 / $f_p99) | $m_rps ($m_p50 / $m_p99) | ${ratio}× | $p_rps ($p_p50 / $p_p99) | $e_rps ($e_p50 / $e_p99) | ${eratio}× |"$'\n'
done

cat <<RESULT

\`search\` through \`/mcp\` (JSON-RPC, tool planning, the same decision, result shaping) vs the same
search as \`POST /logs-*/_search\` through the proxy's HTTP front; \`explain_access\` vs \`ping\`
through \`/mcp\`. Own ES256 tokens, a fixed 10-hit upstream answer; wrk -t2 -c$CONNS, $DUR a run.
Cells: requests/s (p50 / p99).

| round | front \`_search\` | MCP \`search\` | MCP / front | MCP \`ping\` | MCP \`explain_access\` | explain / ping |
|---|---|---|---|---|---|---|
${rows%$'\n'}

- median throughput ratio MCP \`search\` / front \`_search\`: **$(printf '%s' "$ratios" | median)×**
- median throughput ratio \`explain_access\` / \`ping\`: **$(printf '%s' "$eratios" | median)×**
RESULT
