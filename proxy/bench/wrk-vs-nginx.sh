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
#   ROUNDS=N          rounds of nginx then proxy, alternating (default 3); DUR=10s a run
#
# Prints, per round, peak requests/s for both and their ratio, and p99 latency at half of
# nginx's peak (Debian's wrk has no fixed-rate mode: paced connections, PACE_MS apart, offer
# that load); then the median ratio, the proxy's RSS under load and the CPU microseconds per
# request (user and system) of the proxy and of nginx.
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
# The same request paced: each connection waits PACE_MS between answer and next request, so
# that a fixed number of connections offers a fixed load below the peak.
PACE_MS=${PACE_MS:-2}
{ cat "$WORK/post.lua"; echo "function delay() return $PACE_MS end"; } >"$WORK/paced.lua"
# Sanity: the proxy answers 200 for the token and 401 without it.
curl -fsS -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$PRX/logs-*/_search" | jq -e '.hits.total.value == 1' >/dev/null
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PRX/logs-*/_search") == 401 ]]

run() { # run NAME URL CONNS [wrk args]: prints "requests/s p99"; SCRIPT=paced for the paced load
  local name=$1 url=$2 c=$3
  shift 3
  wrk -t2 -c"$c" -d"$DUR" --latency -s "$WORK/${SCRIPT:-post}.lua" "$@" "$url" >"$WORK/$name.txt"
  echo "$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.txt") $(awk '$1=="99%" {print $2}' "$WORK/$name.txt")"
}
# User and system CPU ticks of a process and all its threads.
ticks() { cat /proc/"$1"/task/*/stat | awk '{u += $14; s += $15} END {print u, s}'; }
to_us() { # "1.23ms" / "456.78us" / "1.2s" -> microseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else print n * 1e6 }'
}
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
NGINX_PIDS=$(pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' ')
PROXY_URL="http://127.0.0.1:$PRX/logs-*/_search"
NGINX_URL="http://127.0.0.1:$NGX/logs-*/_search"
hz=$(getconf CLK_TCK)

ci_section "warm-up"
wrk -t1 -c4 -d2s -s "$WORK/post.lua" -H "Authorization: Bearer $TOKEN" "$PROXY_URL" >/dev/null
wrk -t1 -c4 -d2s -s "$WORK/post.lua" "$NGINX_URL" >/dev/null

# ROUNDS rounds, nginx and the proxy alternating, so that a change in the machine's speed
# (it is shared) hits both; the ratio reported is the median of the rounds' ratios.
ROUNDS=${ROUNDS:-3}
rows=""
ratios=""
added=""
p_user=0 p_sys=0 p_n=0 n_user=0 n_sys=0 n_n=0
for r in $(seq 1 "$ROUNDS"); do
  ci_section "round $r of $ROUNDS: peak ($CONNS connections), then half of nginx's peak (paced)"
  read -r nu0 ns0 < <(for p in $NGINX_PIDS; do ticks "$p"; done | awk '{u += $1; s += $2} END {print u, s}')
  read -r n_rps n_p99 < <(run nginx-peak "$NGINX_URL" "$CONNS")
  read -r nu1 ns1 < <(for p in $NGINX_PIDS; do ticks "$p"; done | awk '{u += $1; s += $2} END {print u, s}')
  n_user=$((n_user + nu1 - nu0)) n_sys=$((n_sys + ns1 - ns0))
  n_n=$((n_n + $(awk '/requests in/ {print $1}' "$WORK/nginx-peak.txt")))
  # PERF_OUT=file: a cpu-clock profile of the proxy's first peak run (which profiling slows).
  if [[ -n ${PERF_OUT:-} && $r == 1 ]]; then
    perf record -e cpu-clock -F 999 -g -p "$PROXY_PID" -o "$PERF_OUT" -- sleep 8 >/dev/null 2>&1 &
  fi
  read -r pu0 ps0 < <(ticks "$PROXY_PID")
  read -r p_rps p_p99 < <(run proxy-peak "$PROXY_URL" "$CONNS" -H "Authorization: Bearer $TOKEN")
  read -r pu1 ps1 < <(ticks "$PROXY_PID")
  p_user=$((p_user + pu1 - pu0)) p_sys=$((p_sys + ps1 - ps0))
  p_n=$((p_n + $(awk '/requests in/ {print $1}' "$WORK/proxy-peak.txt")))
  # Half of this round's nginx peak, offered by paced connections: each does about one request
  # per (PACE_MS + ~0.6 ms), so half = peak / 2 × (PACE_MS + 0.6) / 1000 connections.
  half_conns=$(awk -v p="$n_rps" -v d="$PACE_MS" 'BEGIN { c = int(p / 2 * (d + 0.6) / 1000 + 0.5); if (c < 2) c = 2; print c }')
  read -r nh_rps nh_p99 < <(SCRIPT=paced run nginx-half "$NGINX_URL" "$half_conns")
  read -r ph_rps ph_p99 < <(SCRIPT=paced run proxy-half "$PROXY_URL" "$half_conns" -H "Authorization: Bearer $TOKEN")
  ratio=$(awk -v a="$p_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", a / b }')
  plus=$(awk -v a="$(to_us "$ph_p99")" -v b="$(to_us "$nh_p99")" 'BEGIN { printf "%+.0f µs", a - b }')
  ratios+="$ratio"$'\n'
  added+="$plus"$'\n'
  rows+="| $r | $n_rps | $p_rps | ${ratio}× | $half_conns: $nh_rps, $nh_p99 | $ph_rps, $ph_p99 | $plus |"$'\n'
done
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$PROXY_PID/status")
per_req() { awk -v t="$1" -v hz="$hz" -v n="$2" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }'; }

cat <<RESULT

An authenticated \`POST /logs-*/_search\` through oauth4os-proxy (JWT, classification, scopes,
Cedar, rate limit) vs nginx \`proxy_pass\` (no auth), same upstream; wrk -t2, $DUR a run.

| round | nginx req/s ($CONNS conns) | proxy req/s | ratio | half load: conns, nginx req/s, p99 | proxy req/s, p99 | added p99 |
|---|---|---|---|---|---|---|
${rows%$'\n'}

- median throughput ratio: **$(printf '%s' "$ratios" | median)×** nginx
- proxy peak RSS: $((rss_kb / 1024)) MB
- CPU per request at peak: proxy $(per_req "$p_user" "$p_n") µs user + $(per_req "$p_sys" "$p_n") µs system; nginx $(per_req "$n_user" "$n_n") µs user + $(per_req "$n_sys" "$n_n") µs system
RESULT
