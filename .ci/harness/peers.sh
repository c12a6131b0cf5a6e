#!/usr/bin/env bash
# The test peers every suite runs against, on free 127.0.0.1 ports: a real OpenSearch, the real
# test OpenID provider and the oauth4os proxy (built once from the workspace) in front of them.
# Language-neutral: what a test needs is published as OAUTH4OS_TEST_* variables in an env file.
#
#   bash .ci/harness/peers.sh up [PEER...]             start (idempotent); prints the env file's path
#   bash .ci/harness/peers.sh down                     stop everything up started (exit 0 if nothing)
#   bash .ci/harness/peers.sh status                   exit 0 iff every started peer is healthy
#   bash .ci/harness/peers.sh env                      print the env file (KEY=VALUE lines)
#   bash .ci/harness/peers.sh run [PEER...] -- CMD...  CMD with the peers in its environment
#
# PEER is opensearch, oidc or proxy (the proxy brings up the other two); the default is all three.
# See .ci/README.md for the variables, the proxy's clients and the state directory.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

PEERS_DIR=${OAUTH4OS_PEERS_DIR:-${TMPDIR:-/tmp}/oauth4os-peers-$(id -u)}
ENV_FILE="$PEERS_DIR/env"
ALL_PEERS=(opensearch oidc proxy)
READY_TIMEOUT=${OAUTH4OS_PEERS_TIMEOUT:-60}

# The suites sharing one set of peers. Each suite S gets its own clients at the proxy and its own
# indices (S-*) in OpenSearch, so the suites never see each other's data; add a new suite here.
SUITES=(py node java go swift kotlin terraform vscode)
# The README quick starts' demo client (the proxy's embedded defaults have the same one).
DEMO_CLIENT_ID=my-agent
DEMO_CLIENT_SECRET=secret
# The provider's clients are fixed in oidc/server.mjs; this is the one the suites use.
OIDC_CLIENT_ID=agent-a
OIDC_CLIENT_SECRET=secret-a

log() { ci_log "peers: $*"; }

usage() {
  cat >&2 <<EOF
usage: bash .ci/harness/peers.sh COMMAND

  up [PEER...]             start what is not running yet (default: ${ALL_PEERS[*]}), wait until
                           ready, write the env file and print its path; a peer found dead
                           restarts the whole set
  down                     stop every peer of the state dir (process groups: TERM, then KILL)
  status                   list the started peers; exit 0 iff all are healthy
  env                      print the env file (KEY=VALUE, one a line, no quoting needed)
  run [PEER...] -- CMD...  run CMD with the OAUTH4OS_TEST_* variables exported: the peers of
                           \$OAUTH4OS_TEST_ENV when it is set, else a private set started for CMD
                           and stopped after it (also on failure or a signal); CMD's exit status

PEER: opensearch | oidc | proxy (needs the other two)
state dir: $PEERS_DIR (OAUTH4OS_PEERS_DIR)
environment: OAUTH4OS_PEERS_DIR, OAUTH4OS_PROXY_BIN (a built oauth4os-proxy: skip cargo build),
             OAUTH4OS_PEERS_TIMEOUT (60 s, provider and proxy), OS_* of opensearch.sh
EOF
}

# ---- small helpers ------------------------------------------------------------

lock_dir() { # serialises up/down on one state dir; fd 8 is closed for every peer started
  exec 8>>"$PEERS_DIR/.lock"
  flock -w 600 8 || ci_die "timed out waiting for another up/down on $PEERS_DIR"
}

# free_port: a TCP port nothing on this machine has open (any state, any address), from
# 20000-32767: below Linux's ephemeral range, so outgoing connections do not take it meanwhile.
free_port() {
  local used p i
  used=$(awk 'NR > 1 { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
    if ! grep -qx "$(printf '%04X' "$p")" <<<"$used"; then
      echo "$p"
      return 0
    fi
  done
  ci_die "no free port found in 20000-32767"
}

random_secret() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }

# Values go into an env file read by every language: no quoting, so none of these characters.
safe_value() {
  [[ $2 != *[[:space:]\"\'\$\`\\#]* ]] || ci_die "$1 has a character the env file cannot carry: '$2'"
}

# pgid_alive PGID: whether any process of the group is left.
pgid_alive() { kill -0 -- "-$1" 2>/dev/null; }

# stop_group NAME PGID: TERM to the whole process group, 10 s, then KILL.
stop_group() {
  local name=$1 pgid=$2 i
  pgid_alive "$pgid" || return 0
  log "stopping $name (process group $pgid)"
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    pgid_alive "$pgid" || return 0
    sleep 0.1
  done
  log "$name did not stop within 10 s; killing it"
  kill -KILL -- "-$pgid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pgid_alive "$pgid" || return 0
    sleep 0.1
  done
  ci_die "process group $pgid ($name) survived SIGKILL"
}

# spawn NAME OUT ERR CMD...: starts CMD detached in a session of its own (so its own process
# group), stdin closed, stdout to OUT, stderr to ERR; records the group in NAME/pgid and prints it.
# The peer never inherits the state dir's lock.
spawn() {
  local name=$1 out=$2 err=$3
  shift 3
  setsid "$@" </dev/null >"$out" 2>"$err" 8>&- &
  # setsid execs in place (a background job is never a group leader), so $! leads the group.
  local pid=$! i
  echo "$pid" >"$PEERS_DIR/$name/pgid"
  # Until the child has called setsid() its group does not exist yet, and it could not be stopped.
  for ((i = 0; i < 100; i++)); do
    pgid_alive "$pid" && break          # it leads its group
    kill -0 "$pid" 2>/dev/null || break # it is gone already: its readiness check says why
    sleep 0.05
  done
  echo "$pid"
}

recorded_pgid() { # recorded_pgid NAME: the process group a peer was started in
  local f="$PEERS_DIR/$1/pgid"
  [[ -s $f ]] && tr -dc 0-9 <"$f"
}

# wait_http URL PGID WHAT: until URL answers 2xx, the group dies, or the timeout.
wait_http() {
  local url=$1 pgid=$2 what=$3 deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    pgid_alive "$pgid" || return 1
    sleep 0.1
  done
  log "$what did not answer $url within $READY_TIMEOUT s"
  return 1
}

show_log() {
  [[ -s $1 ]] || return 0
  ci_log "----- tail of $1 -----"
  tail -n 40 "$1" >&2
}

# ---- OpenSearch (opensearch.sh, on a port of its own, in the state dir) ---------

opensearch_cmd() { # opensearch_cmd COMMAND: opensearch.sh for the recorded port
  local port
  port=$(cat "$PEERS_DIR/opensearch/port" 2>/dev/null) || return 1
  OS_PORT=$port OS_WORKDIR="$PEERS_DIR/opensearch" bash "$HERE/opensearch.sh" "$1" 8>&-
}

start_opensearch() {
  local port url
  port=$(free_port)
  url="http://127.0.0.1:$port"
  mkdir -p "$PEERS_DIR/opensearch"
  echo "$port" >"$PEERS_DIR/opensearch/port"
  # A fresh cluster every time: data left by an earlier run would leak into the tests.
  rm -rf "$PEERS_DIR/opensearch/data"
  log "OpenSearch on $url"
  # In a session of its own: the node (opensearch -d daemonizes) stays in that process group.
  OS_PORT=$port OS_WORKDIR="$PEERS_DIR/opensearch" setsid bash "$HERE/opensearch.sh" start </dev/null 8>&- &
  echo "$!" >"$PEERS_DIR/opensearch/pgid"
  wait "$!" || return 1
  cat >"$PEERS_DIR/opensearch/vars" <<EOF
OAUTH4OS_TEST_OPENSEARCH_URL=$url
OAUTH4OS_TEST_OPENSEARCH_LOG=$PEERS_DIR/opensearch/logs/oauth4os-ci.log
EOF
}

opensearch_healthy() { opensearch_cmd status 2>/dev/null; }

stop_opensearch() {
  local pgid dir="$PEERS_DIR/opensearch"
  [[ -f $dir/port ]] || return 0
  # The group first: it also holds an opensearch.sh start still waiting for the node. Then
  # opensearch.sh stop, for a node that left the group (and to clear its pidfile).
  if pgid=$(recorded_pgid opensearch); then stop_group OpenSearch "$pgid"; fi
  opensearch_cmd stop || return 1
  rm -rf "$dir/pgid" "$dir/data" "$dir/port" "$dir/vars"
}

# ---- the OpenID provider -------------------------------------------------------

suite_scopes() { # the scopes of every suite: read:S-logs-* write:S-logs-*
  local s
  for s in "${SUITES[@]}"; do printf 'read:%s-logs-* write:%s-logs-* ' "$s" "$s"; done
}

start_oidc() {
  local dir="$PEERS_DIR/oidc" pgid line issuer deadline
  ci_need node nodejs "to run the test OpenID provider"
  if [[ ! -d $HERE/oidc/node_modules/oidc-provider ]]; then
    log "installing the test OpenID provider (npm ci)"
    npm ci --prefix "$HERE/oidc" --no-audit --no-fund >&2 8>&-
  fi
  mkdir -p "$dir"
  : >"$dir/ready"
  # --keys in the state dir: a provider restarted on the same dir keeps its signing keys.
  pgid=$(spawn oidc "$dir/ready" "$dir/log" \
    node "$HERE/oidc/server.mjs" --port 0 --keys "$dir/keys.json" --extra-scopes "$(suite_scopes)")
  deadline=$((SECONDS + READY_TIMEOUT))
  line=
  while ((SECONDS < deadline)); do
    IFS= read -r line <"$dir/ready" || true
    [[ -n $line ]] && break
    pgid_alive "$pgid" || break
    sleep 0.1
  done
  issuer=$(sed -n 's/^{"issuer":"\(http:\/\/127\.0\.0\.1:[0-9]*\)".*/\1/p' <<<"$line")
  if [[ -z $issuer ]]; then
    log "the OpenID provider did not start"
    show_log "$dir/log"
    return 1
  fi
  wait_http "$issuer/.well-known/openid-configuration" "$pgid" "the OpenID provider" || {
    show_log "$dir/log"
    return 1
  }
  log "OpenID provider at $issuer"
  cat >"$dir/vars" <<EOF
OAUTH4OS_TEST_OIDC_ISSUER=$issuer
OAUTH4OS_TEST_OIDC_CLIENT_ID=$OIDC_CLIENT_ID
OAUTH4OS_TEST_OIDC_CLIENT_SECRET=$OIDC_CLIENT_SECRET
OAUTH4OS_TEST_OIDC_LOG=$dir/log
EOF
}

oidc_healthy() {
  local pgid issuer
  pgid=$(recorded_pgid oidc) && pgid_alive "$pgid" || return 1
  issuer=$(sed -n 's/^OAUTH4OS_TEST_OIDC_ISSUER=//p' "$PEERS_DIR/oidc/vars" 2>/dev/null)
  [[ -n $issuer ]] && curl -fsS -o /dev/null --max-time 2 "$issuer/.well-known/openid-configuration" 2>/dev/null
}

stop_oidc() {
  local pgid
  if pgid=$(recorded_pgid oidc); then stop_group "the OpenID provider" "$pgid"; fi
  rm -f "$PEERS_DIR/oidc/pgid" "$PEERS_DIR/oidc/vars" "$PEERS_DIR/oidc/ready"
}

# ---- the proxy -------------------------------------------------------------------

# The proxy binary, built once per `up` (or OAUTH4OS_PROXY_BIN) and copied into the state dir:
# the suites all run this copy, and a later cargo build cannot swap it under a running test.
proxy_binary() {
  local bin=${OAUTH4OS_PROXY_BIN:-}
  if [[ -z $bin ]]; then
    ci_need cargo cargo "to build oauth4os-proxy"
    ci_need jq jq "to read cargo's build output"
    log "building oauth4os-proxy (cargo build -p oauth4os-proxy)"
    bin=$(cd "$ROOT" && cargo build -q -p oauth4os-proxy --bin oauth4os-proxy --locked \
      --message-format=json-render-diagnostics 8>&- |
      jq -r 'select(.reason == "compiler-artifact" and .executable != null) | .executable' | tail -n 1)
  fi
  [[ -n $bin && -x $bin ]] || ci_die "no oauth4os-proxy binary${bin:+ at $bin}"
  mkdir -p "$PEERS_DIR/proxy/bin"
  cp -f "$bin" "$PEERS_DIR/proxy/bin/oauth4os-proxy.new"
  mv -f "$PEERS_DIR/proxy/bin/oauth4os-proxy.new" "$PEERS_DIR/proxy/bin/oauth4os-proxy"
}

# write_proxy_config PORT OS_URL ISSUER CLIENT_HASH DEMO_HASH ADMIN_HASH
write_proxy_config() {
  local port=$1 os_url=$2 issuer=$3 client_hash=$4 demo_hash=$5 admin_hash=$6 url s
  url="http://127.0.0.1:$port"
  {
    cat <<EOF
# Generated by .ci/harness/peers.sh: the proxy every test suite shares.
listen = "127.0.0.1:$port"
public_url = "$url"

[upstream]
url = "$os_url"
timeout_secs = 10

[authorization_server]
issuer = "$url"
audiences = ["$url"]
store_path = "$PEERS_DIR/proxy/store.db"
# The suites try wrong secrets on purpose, all from 127.0.0.1: the default 30/min would throttle them.
secret_checks_per_ip = "6000/min"

[authorization_server.admin]
client_id = "oauth4os-admin"
secret_hash = '$admin_hash'

# The README quick starts' client.
[[authorization_server.clients]]
id = "$DEMO_CLIENT_ID"
secret_hash = '$demo_hash'
scopes = "read:logs-*"

[[scope_mappings]]
scope = "read:logs-*"
roles = ["logs_reader"]

[[tenants]]
name = "oidc"
issuer = "$issuer"
audiences = ["$url"]
algorithms = ["ES256", "RS256"]
required_typ = "at+jwt"

[rate_limits]
default = "1000/s burst 2000"
EOF
    for s in "${SUITES[@]}"; do
      cat <<EOF

# Suite $s: its clients (secret OAUTH4OS_TEST_CLIENT_SECRET) and its indices $s-logs-*.
[[authorization_server.clients]]
id = "$s-agent"
secret_hash = '$client_hash'
scopes = "read:$s-logs-* write:$s-logs-*"

# Tokens that live 3 s, for the automatic-refresh tests.
[[authorization_server.clients]]
id = "$s-short"
secret_hash = '$client_hash'
scopes = "read:$s-logs-*"
access_token_ttl = 3

# May trade the provider's tokens for the proxy's (RFC 8693).
[[authorization_server.clients]]
id = "$s-exchanger"
secret_hash = '$client_hash'
scopes = "read:$s-logs-*"
grant_types = ["client_credentials", "token_exchange"]
tenant = "oidc"

[[scope_mappings]]
scope = "read:$s-logs-*"
roles = ["${s}_logs_reader"]

[[scope_mappings]]
scope = "write:$s-logs-*"
roles = ["${s}_logs_writer"]
EOF
    done
  } >"$PEERS_DIR/proxy/proxy.toml"
}

start_proxy() {
  local dir="$PEERS_DIR/proxy" bin os_url issuer client_secret admin_secret hashes attempt port url pgid
  os_url=$(sed -n 's/^OAUTH4OS_TEST_OPENSEARCH_URL=//p' "$PEERS_DIR/opensearch/vars")
  issuer=$(sed -n 's/^OAUTH4OS_TEST_OIDC_ISSUER=//p' "$PEERS_DIR/oidc/vars")
  bin="$dir/bin/oauth4os-proxy"
  [[ -x $bin ]] || ci_die "no proxy binary in $dir/bin (proxy_binary runs first)"
  client_secret=$(random_secret)
  admin_secret=$(random_secret)
  # Three argon2id hashes (about a second each in a debug build), computed side by side.
  local -a jobs=()
  printf '%s' "$client_secret" | "$bin" --hash-secret >"$dir/hash.client" &
  jobs+=($!)
  printf '%s' "$DEMO_CLIENT_SECRET" | "$bin" --hash-secret >"$dir/hash.demo" &
  jobs+=($!)
  printf '%s' "$admin_secret" | "$bin" --hash-secret >"$dir/hash.admin" &
  jobs+=($!)
  for pgid in "${jobs[@]}"; do wait "$pgid" || ci_die "oauth4os-proxy --hash-secret failed"; done
  hashes=$(cat "$dir/hash.client" "$dir/hash.demo" "$dir/hash.admin")
  rm -f "$dir"/hash.*
  if [[ ! -s $dir/kek ]]; then
    (umask 077 && head -c 32 /dev/urandom | base64 >"$dir/kek")
  fi
  rm -f "$dir/store.db" "$dir/store.db-wal" "$dir/store.db-shm"
  # The port is chosen before the proxy binds it: on a lost race, try another one.
  for attempt in 1 2 3; do
    port=$(free_port)
    url="http://127.0.0.1:$port"
    # shellcheck disable=SC2086 # the three hashes, one a line, none with spaces
    write_proxy_config "$port" "$os_url" "$issuer" $hashes
    (umask 077 && chmod 600 "$dir/proxy.toml")
    pgid=$(spawn proxy "$dir/log" "$dir/log" env OAUTH4OS_KEY_ENCRYPTION_KEY_FILE="$dir/kek" \
      RUST_LOG="${RUST_LOG:-warn}" "$bin" --config "$dir/proxy.toml")
    if wait_http "$url/health" "$pgid" "the proxy"; then
      log "proxy at $url"
      cat >"$dir/vars" <<EOF
OAUTH4OS_TEST_PROXY_URL=$url
OAUTH4OS_TEST_PROXY_BIN=$bin
OAUTH4OS_TEST_PROXY_CONFIG=$dir/proxy.toml
OAUTH4OS_TEST_PROXY_LOG=$dir/log
OAUTH4OS_TEST_CLIENT_SECRET=$client_secret
OAUTH4OS_TEST_DEMO_CLIENT_ID=$DEMO_CLIENT_ID
OAUTH4OS_TEST_DEMO_CLIENT_SECRET=$DEMO_CLIENT_SECRET
OAUTH4OS_TEST_ADMIN_CLIENT_ID=oauth4os-admin
OAUTH4OS_TEST_ADMIN_CLIENT_SECRET=$admin_secret
OAUTH4OS_TEST_SUITES=$(IFS=,; echo "${SUITES[*]}")
EOF
      return 0
    fi
    stop_group "the proxy" "$pgid"
    if ! grep -qi 'address.*in use\|addrinuse' "$dir/log"; then break; fi
    log "port $port was taken meanwhile (attempt $attempt)"
  done
  show_log "$dir/log"
  return 1
}

proxy_healthy() {
  local pgid url
  pgid=$(recorded_pgid proxy) && pgid_alive "$pgid" || return 1
  url=$(sed -n 's/^OAUTH4OS_TEST_PROXY_URL=//p' "$PEERS_DIR/proxy/vars" 2>/dev/null)
  [[ -n $url ]] && curl -fsS -o /dev/null --max-time 2 "$url/health" 2>/dev/null
}

stop_proxy() {
  local pgid
  if pgid=$(recorded_pgid proxy); then stop_group "the proxy" "$pgid"; fi
  rm -f "$PEERS_DIR/proxy/pgid" "$PEERS_DIR/proxy/vars" "$PEERS_DIR/proxy"/store.db*
}

# ---- the set ---------------------------------------------------------------------

# A peer is "started" once its vars file exists (written only when it was ready).
started() { [[ -s $PEERS_DIR/$1/vars ]]; }
healthy() { "${1}_healthy"; }

write_env() {
  local p tmp="$ENV_FILE.tmp" key value
  local -a up=()
  for p in "${ALL_PEERS[@]}"; do started "$p" && up+=("$p"); done
  if ((${#up[@]} == 0)); then
    rm -f "$ENV_FILE"
    return 0
  fi
  (
    umask 077
    {
      echo "OAUTH4OS_TEST_ENV=$ENV_FILE"
      echo "OAUTH4OS_TEST_DIR=$PEERS_DIR"
      echo "OAUTH4OS_TEST_ROOT=$ROOT"
      echo "OAUTH4OS_TEST_PEERS=$(IFS=,; echo "${up[*]}")"
      for p in "${up[@]}"; do cat "$PEERS_DIR/$p/vars"; done
    } >"$tmp"
  )
  while IFS='=' read -r key value; do safe_value "$key" "$value"; done <"$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

# wanted PEER...: the peers asked for, with what they need, in start order.
wanted() {
  local p want=" $* "
  [[ $want == "  " ]] && want=" ${ALL_PEERS[*]} "
  [[ $want == *" proxy "* ]] && want+=" opensearch oidc "
  for p in "$@"; do
    [[ " ${ALL_PEERS[*]} " == *" $p "* ]] || ci_die "unknown peer '$p' (one of: ${ALL_PEERS[*]})"
  done
  for p in "${ALL_PEERS[@]}"; do
    [[ $want == *" $p "* ]] && echo "$p"
  done
  return 0
}

stop_all() {
  local status=0 p
  for ((p = ${#ALL_PEERS[@]} - 1; p >= 0; p--)); do
    "stop_${ALL_PEERS[p]}" || status=1
  done
  write_env
  return "$status"
}

FRESH=() # the peers the running `up` started, stopped again if it fails

cmd_up() {
  local p stale=
  local -a want
  mapfile -t want < <(wanted "$@")
  ci_need curl curl
  ci_need flock util-linux
  ci_need setsid util-linux
  mkdir -p "$PEERS_DIR"
  # Reachable (not readable) by others: OpenSearch runs as an unprivileged user under it.
  chmod 711 "$PEERS_DIR"
  lock_dir
  for p in "${ALL_PEERS[@]}"; do
    if started "$p" && ! healthy "$p"; then stale+=" $p"; fi
  done
  if [[ -n $stale ]]; then
    log "not healthy any more:$stale; restarting the whole set"
    stop_all
  fi
  # On a failure or a signal, stop what this call started (the peers it found running stay).
  trap 'for ((i = ${#FRESH[@]} - 1; i >= 0; i--)); do "stop_${FRESH[i]}" || true; done; write_env' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # Build the proxy first: a compile error fails before anything starts, and nothing idles meanwhile.
  if [[ " ${want[*]} " == *" proxy "* ]] && ! started proxy; then proxy_binary; fi
  for p in "${want[@]}"; do
    if started "$p"; then continue; fi
    FRESH+=("$p")
    mkdir -p "$PEERS_DIR/$p"
    "start_$p" || ci_die "could not start $p"
  done
  write_env
  trap - EXIT INT TERM
  echo "$ENV_FILE"
}

cmd_down() {
  [[ -d $PEERS_DIR ]] || return 0
  lock_dir
  stop_all
}

cmd_status() {
  local p any= status=0
  for p in "${ALL_PEERS[@]}"; do
    started "$p" || continue
    any=1
    if healthy "$p"; then log "$p: healthy"; else
      log "$p: NOT healthy"
      status=1
    fi
  done
  [[ -n $any ]] || {
    log "nothing started in $PEERS_DIR"
    return 1
  }
  return "$status"
}

cmd_env() {
  [[ -s $ENV_FILE ]] || ci_die "no peers are up in $PEERS_DIR (run: bash .ci/harness/peers.sh up)"
  cat "$ENV_FILE"
}

cmd_run() {
  local -a peers=()
  while (($#)) && [[ $1 != -- ]]; do
    peers+=("$1")
    shift
  done
  (($# >= 2)) || {
    usage
    exit 64
  }
  shift
  if [[ -n ${OAUTH4OS_TEST_ENV:-} ]]; then
    # Handed over by a caller (make test, a developer): use those, never stop them.
    [[ -s $OAUTH4OS_TEST_ENV ]] || ci_die "OAUTH4OS_TEST_ENV names no env file: '$OAUTH4OS_TEST_ENV'"
    local dir have p
    dir=$(sed -n 's/^OAUTH4OS_TEST_DIR=//p' "$OAUTH4OS_TEST_ENV")
    have=$(sed -n 's/^OAUTH4OS_TEST_PEERS=//p' "$OAUTH4OS_TEST_ENV")
    for p in $(wanted "${peers[@]}"); do
      [[ ,$have, == *",$p,"* ]] || ci_die "$OAUTH4OS_TEST_ENV has no $p (it has: $have)"
    done
    OAUTH4OS_PEERS_DIR=$dir bash "${BASH_SOURCE[0]}" status 2>/dev/null 8>&- ||
      ci_die "the peers of $OAUTH4OS_TEST_ENV are not healthy (OAUTH4OS_PEERS_DIR=$dir bash $0 status)"
    set -a
    # shellcheck disable=SC1090
    . "$OAUTH4OS_TEST_ENV"
    set +a
    run_command "$@"
    return
  fi
  # A private set in a fresh directory, removed again afterwards.
  PEERS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/oauth4os-peers.XXXXXX")
  ENV_FILE="$PEERS_DIR/env"
  export OAUTH4OS_PEERS_DIR=$PEERS_DIR
  trap 'bash "${BASH_SOURCE[0]}" down 8>&- || true; rm -rf "$PEERS_DIR"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  bash "${BASH_SOURCE[0]}" up "${peers[@]}" >/dev/null
  set -a
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  set +a
  run_command "$@"
}

# run_command CMD...: CMD's status; when it fails, the tail of the peers' logs (what the proxy
# and the provider saw is often the explanation).
run_command() {
  local status=0 f
  "$@" || status=$?
  if ((status != 0)); then
    for f in "${OAUTH4OS_TEST_PROXY_LOG:-}" "${OAUTH4OS_TEST_OIDC_LOG:-}"; do
      [[ -n $f ]] && show_log "$f"
    done
  fi
  return "$status"
}

case ${1:-} in
  up) shift && cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  run) shift && cmd_run "$@" ;;
  -h | --help | help) usage ;;
  *)
    usage
    exit 64
    ;;
esac
