#!/usr/bin/env bash
# Throughput and latency of an authenticated _search through oauth4os-proxy vs the same request
# through nginx `proxy_pass` (no auth), both in front of the same fast upstream (a second nginx
# returning a fixed search response), in one run, on loopback.
#
#   WORKERS=N         the proxy's serving threads (default: one per CPU)
#   NGINX_WORKERS=N   the baseline nginx's worker processes (default: auto, one per CPU)
#
#   bash proxy/bench/wrk-vs-nginx.sh            # needs: apt-get install wrk nginx
#
# Prints peak requests/s for both, the ratio, p99 latency at half of nginx's peak (wrk2-style
# fixed rate is not available in Debian's wrk, so "half load" = half the connections), the proxy's
# RSS under load and its CPU microseconds per request.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
. .ci/harness/lib.sh
ci_need wrk wrk
ci_need nginx nginx

DUR=${DUR:-10s}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
CONNS=${CONNS:-32}
WORK=$(mktemp -d)
UP=18081 NGX=18082 PRX=18443
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in nginx upstream; do
    [[ -f $WORK/$f.pid ]] && kill "$(cat "$WORK/$f.pid")" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Two nginx instances: the fast upstream (one worker), and the plain forwarding proxy (the
# baseline, NGINX_WORKERS workers). Separate processes, so the baseline pays the same process hop to the upstream as
# oauth4os-proxy does (one nginx serving both would answer its own upstream in-process).
cat >"$WORK/upstream.conf" <<NGINX
worker_processes 1;
pid $WORK/upstream.pid;
error_log $WORK/upstream-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$UP;
    location / { default_type application/json; return 200 '{"took":1,"timed_out":false,"hits":{"total":{"value":1,"relation":"eq"},"hits":[{"_index":"logs-demo","_id":"1","_source":{"level":"error","message":"disk full"}}]}}'; }
  }
}
NGINX
cat >"$WORK/nginx.conf" <<NGINX
worker_processes $NGINX_WORKERS;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream os { server 127.0.0.1:$UP; keepalive 64; }
  server {
    listen 127.0.0.1:$NGX;
    location / { proxy_pass http://os; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
nginx -c "$WORK/upstream.conf"
nginx -c "$WORK/nginx.conf"

ci_section "building the proxy (release)"
cargo build -q --release -p oauth4os-proxy

ci_section "OpenID provider"
node .ci/harness/oidc/server.mjs --ttl 3600 >"$WORK/idp.ready" 2>"$WORK/idp.log" &
pids+=($!)
for _ in $(seq 1 100); do [[ -s $WORK/idp.ready ]] && break; sleep 0.1; done
ISSUER=$(jq -r .issuer "$WORK/idp.ready")
AUD="http://127.0.0.1:$PRX"
TOKEN=$(curl -fsS -u ci-client:ci-secret "$ISSUER/token" -d grant_type=client_credentials \
  -d 'scope=read:logs-*' -d "resource=$AUD" | jq -r .access_token)

cat >"$WORK/proxy.toml" <<TOML
listen = "127.0.0.1:$PRX"
public_url = "$AUD"
[upstream]
url = "http://127.0.0.1:$UP"
[authorization_server]
issuer = "$AUD"
audiences = ["$AUD"]
store_path = "$WORK/store.db"
[[tenants]]
name = "bench"
issuer = "$ISSUER"
audiences = ["$AUD"]
[[scope_mappings]]
scope = "read:logs-*"
roles = ["logs_reader"]
TOML
[[ -n ${WORKERS:-} ]] && sed -i "1i workers = $WORKERS" "$WORK/proxy.toml"
OAUTH4OS_KEY_ENCRYPTION_KEY=$(head -c32 /dev/urandom | base64) RUST_LOG=warn \
  "${CARGO_TARGET_DIR:-target}"/release/oauth4os-proxy --config "$WORK/proxy.toml" 2>"$WORK/proxy.log" &
PROXY_PID=$!
pids+=($PROXY_PID)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PRX/health" >/dev/null 2>&1 && break; sleep 0.1; done

body='{"query":{"match":{"level":"error"}}}'
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA
# Sanity: the proxy answers 200 for the token and 401 without it.
curl -fsS -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$PRX/logs-*/_search" | jq -e '.hits.total.value == 1' >/dev/null
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PRX/logs-*/_search") == 401 ]]

run() { # run NAME URL CONNS [auth]
  local name=$1 url=$2 c=$3
  shift 3
  wrk -t2 -c"$c" -d"$DUR" --latency -s "$WORK/post.lua" "$@" "$url" >"$WORK/$name.txt"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/$name.txt")
  echo "$name $rps $p99"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PROXY_PID/stat"; }

ci_section "warm-up"
wrk -t1 -c4 -d2s -s "$WORK/post.lua" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PRX/logs-*/_search" >/dev/null

ci_section "peak"
read -r _ n_rps n_p99 < <(run nginx-peak "http://127.0.0.1:$NGX/logs-*/_search" "$CONNS")
t0=$(cpu_ticks)
if [[ -n ${PERF_OUT:-} ]]; then # PERF_OUT=file: a cpu-clock profile of the proxy during its peak run
  perf record -e cpu-clock -F 999 -g -p "$PROXY_PID" -o "$PERF_OUT" -- sleep 8 >/dev/null 2>&1 &
fi
read -r _ p_rps p_p99 < <(run proxy-peak "http://127.0.0.1:$PRX/logs-*/_search" "$CONNS" -H "Authorization: Bearer $TOKEN")
t1=$(cpu_ticks)
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$PROXY_PID/status")
p_reqs=$(awk '/requests in/ {print $1}' "$WORK/proxy-peak.txt")
hz=$(getconf CLK_TCK)
cpu_us=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v n="$p_reqs" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')

ci_section "half load ($((CONNS / 2)) connections)"
read -r _ nh_rps nh_p99 < <(run nginx-half "http://127.0.0.1:$NGX/logs-*/_search" "$((CONNS / 2))")
read -r _ ph_rps ph_p99 < <(run proxy-half "http://127.0.0.1:$PRX/logs-*/_search" "$((CONNS / 2))" -H "Authorization: Bearer $TOKEN")

ratio=$(awk -v a="$p_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", a / b }')
cat <<RESULT

| | nginx proxy_pass (no auth) | oauth4os-proxy (JWT + classify + scopes + Cedar) |
|---|---|---|
| peak requests/s ($CONNS conns) | $n_rps | $p_rps (**${ratio}×** nginx) |
| p99 at peak | $n_p99 | $p_p99 |
| requests/s, p99 at half ($((CONNS / 2)) conns) | $nh_rps, $nh_p99 | $ph_rps, $ph_p99 |
| proxy peak RSS | | $((rss_kb / 1024)) MB |
| proxy CPU per request | | $cpu_us µs |
RESULT
