#!/usr/bin/env bash
# A real, single-node OpenSearch on 127.0.0.1 for the oauth4os integration tests.
#
#   bash .ci/harness/opensearch.sh fetch|start|stop|status|url
#
# The distribution is OpenSearch core from Maven Central (integ-test-zip: no plugins,
# so plain HTTP with no authentication). See .ci/README.md for the environment variables.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# Newest 2.19.x in org/opensearch/distribution/integ-test-zip/opensearch/maven-metadata.xml
# (3.x needs JDK 21; the machines have JDK 17).
OS_VERSION=${OS_VERSION:-2.19.6}
OS_ARTIFACT="org.opensearch.distribution.integ-test-zip:opensearch:${OS_VERSION}:zip"
MVN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

OS_PORT=${OS_PORT:-9200}
OS_CACHE_DIR=${OS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/oauth4os}
OS_ZIP="$OS_CACHE_DIR/opensearch-${OS_VERSION}.zip"
# maven's own local repository (plugins); the zip itself is removed from it after the copy.
OS_MAVEN_REPO="$OS_CACHE_DIR/m2"
OS_WORKDIR=${OS_WORKDIR:-${TMPDIR:-/tmp}/oauth4os-opensearch-$OS_PORT}
OS_USER=${OS_USER:-ostest}
OS_START_TIMEOUT=${OS_START_TIMEOUT:-120}
OS_JAVA_OPTS=${OS_JAVA_OPTS:--Xms512m -Xmx512m}
OS_CLUSTER_NAME=oauth4os-ci

OS_URL="http://127.0.0.1:$OS_PORT"
OS_HOME="$OS_WORKDIR/opensearch-$OS_VERSION"
OS_PIDFILE="$OS_WORKDIR/opensearch.pid"
OS_LOGDIR="$OS_WORKDIR/logs"
OS_LAUNCH_LOG="$OS_LOGDIR/launcher.out"

log() { ci_log "opensearch: $*"; }

usage() {
  cat >&2 <<EOF
usage: bash .ci/harness/opensearch.sh COMMAND

  fetch    download OpenSearch $OS_VERSION (integ-test-zip) into $OS_CACHE_DIR (cached)
  start    unpack and start a single node on $OS_URL; wait until yellow (idempotent)
  stop     stop the node started by 'start' (exit 0 if it is not running)
  status   exit 0 iff the cluster on $OS_URL is green or yellow
  url      print $OS_URL

environment: OS_PORT (9200), OS_WORKDIR, OS_VERSION ($OS_VERSION), OS_USER (ostest),
             OS_START_TIMEOUT (120 s), OS_JAVA_OPTS (-Xms512m -Xmx512m), OS_CACHE_DIR,
             XDG_CACHE_HOME, JAVA_HOME / OPENSEARCH_JAVA_HOME
EOF
}

# ---- helpers ----------------------------------------------------------------

# Prints the cluster status and succeeds when it is green or yellow.
health() {
  local body
  body=$(curl -fsS --max-time 5 "$OS_URL/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null) || return 1
  case $body in
    *'"status":"green"'*) echo green ;;
    *'"status":"yellow"'*) echo yellow ;;
    *) return 1 ;;
  esac
}

is_our_node() {
  local cmdline
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
  [[ $cmdline == *org.opensearch.bootstrap.OpenSearch* && $cmdline == *"-Dopensearch.path.home=$OS_HOME "* ]]
}

# The pid of the node running from $OS_HOME: from the pidfile, else by scanning
# /proc (the pidfile is only written once the node is up, and a node that fails
# start-up removes it).
running_pid() {
  local pid f
  if [[ -s $OS_PIDFILE ]]; then
    pid=$(tr -dc 0-9 <"$OS_PIDFILE")
    if [[ -n $pid ]] && is_our_node "$pid"; then
      echo "$pid"
      return 0
    fi
  fi
  for f in /proc/[0-9]*; do
    pid=${f#/proc/}
    if is_our_node "$pid"; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

# Serialises start/stop on one work dir. fd 9 must not leak into OpenSearch.
lock_workdir() {
  mkdir -p "$OS_WORKDIR"
  exec 9>>"$OS_WORKDIR/.lock"
  if ! flock -w "$((OS_START_TIMEOUT + 60))" 9; then
    ci_die "timed out waiting for another start/stop on $OS_WORKDIR"
  fi
}

zip_ok() {
  [[ -s $1 ]] && unzip -tq "$1" >/dev/null 2>&1
}

show_logs() {
  local f
  for f in "$OS_LAUNCH_LOG" "$OS_LOGDIR/$OS_CLUSTER_NAME.log"; do
    if [[ -s $f ]]; then
      ci_log "----- tail of $f -----"
      tail -n 60 "$f" >&2
    fi
  done
}

# Runs a command as the unprivileged user when we are root (OpenSearch refuses root).
as_os_user() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u "$OS_USER" -- "$@"
  else
    "$@"
  fi
}

# ---- commands ---------------------------------------------------------------

cmd_fetch() {
  ci_need unzip unzip "to check the OpenSearch zip"
  if [[ -e $OS_ZIP ]]; then
    if zip_ok "$OS_ZIP"; then
      log "cached: $OS_ZIP"
      echo "$OS_ZIP"
      return 0
    fi
    log "cached zip $OS_ZIP is corrupt; fetching it again"
    rm -f "$OS_ZIP"
  fi
  ci_need mvn maven "to fetch OpenSearch from Maven Central"
  ci_need java openjdk-17-jre-headless "for maven"
  mkdir -p "$OS_CACHE_DIR"
  local tmp
  tmp=$(mktemp -d "$OS_CACHE_DIR/.fetch.XXXXXX")
  log "fetching $OS_ARTIFACT from Maven Central"
  local start=$SECONDS
  local in_repo="$OS_MAVEN_REPO/org/opensearch/distribution/integ-test-zip/opensearch/$OS_VERSION"
  rm -rf "$in_repo"
  if ! mvn -B -q -C -Dstyle.color=never -Dmaven.repo.local="$OS_MAVEN_REPO" "$MVN_DEPENDENCY_PLUGIN:copy" \
    -Dartifact="$OS_ARTIFACT" -DoutputDirectory="$tmp" -Dmdep.overWriteReleases=true \
    >"$tmp/mvn.log" 2>&1 </dev/null; then
    rm -rf "$in_repo"
    sed 's/\x1b\[[0-9;]*m//g' "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    ci_die "mvn could not fetch $OS_ARTIFACT (see the maven output above)"
  fi
  rm -rf "$in_repo"
  if ! zip_ok "$tmp/opensearch-$OS_VERSION.zip"; then
    rm -rf "$tmp"
    ci_die "the downloaded $OS_ARTIFACT is not a readable zip"
  fi
  mv "$tmp/opensearch-$OS_VERSION.zip" "$OS_ZIP"
  rm -rf "$tmp"
  log "fetched $OS_ZIP in $((SECONDS - start)) s"
  echo "$OS_ZIP"
}

unpack() {
  [[ -x $OS_HOME/bin/opensearch ]] && return 0
  cmd_fetch >/dev/null
  log "unpacking into $OS_WORKDIR"
  mkdir -p "$OS_WORKDIR"
  local tmp
  tmp=$(mktemp -d "$OS_WORKDIR/.unpack.XXXXXX")
  unzip -q "$OS_ZIP" -d "$tmp"
  [[ -x $tmp/opensearch-$OS_VERSION/bin/opensearch ]] || ci_die "$OS_ZIP has no opensearch-$OS_VERSION/bin/opensearch"
  rm -rf "$OS_HOME"
  mv "$tmp/opensearch-$OS_VERSION" "$OS_HOME"
  rm -rf "$tmp"
}

cmd_start() {
  ci_need curl curl
  ci_need flock util-linux
  local status pid
  if status=$(health); then
    log "already running and $status on $OS_URL"
    return 0
  fi
  lock_workdir
  if status=$(health); then
    log "already running and $status on $OS_URL"
    return 0
  fi

  if pid=$(running_pid); then
    log "pid $pid is still starting; waiting for it"
  else
    if curl -s -o /dev/null --max-time 3 "$OS_URL/"; then
      ci_die "port $OS_PORT is in use by something that is not a healthy OpenSearch; set OS_PORT to another port"
    fi
    ci_need java openjdk-17-jre-headless
    ci_need unzip unzip
    ci_need ps procps "bin/opensearch -d uses it"
    local java_home
    java_home=$(ci_java_home) || ci_die "cannot locate the JDK; set JAVA_HOME"
    [[ -x $java_home/bin/java ]] || ci_die "no executable $java_home/bin/java; set JAVA_HOME to a JDK 11-21 home"

    unpack
    mkdir -p "$OS_WORKDIR/data" "$OS_LOGDIR" "$OS_WORKDIR/tmp"
    rm -f "$OS_PIDFILE"
    # Start each run with fresh logs, so a failure shows this run's log only.
    rm -f "$OS_LOGDIR"/*

    if [[ $(id -u) -eq 0 ]]; then
      ci_need runuser util-linux
      if ! id -u "$OS_USER" >/dev/null 2>&1; then
        ci_need useradd passwd
        log "creating user $OS_USER (OpenSearch refuses to run as root)"
        useradd -m "$OS_USER"
      fi
      chown -R "$OS_USER:" "$OS_WORKDIR"
      runuser -u "$OS_USER" -- test -x "$OS_WORKDIR" ||
        ci_die "user $OS_USER cannot reach $OS_WORKDIR; set OS_WORKDIR under a world-searchable directory such as /tmp"
    fi

    local user_home=$HOME
    if [[ $(id -u) -eq 0 ]]; then
      user_home=$(getent passwd "$OS_USER" | cut -d: -f6)
    fi
    log "starting OpenSearch $OS_VERSION on $OS_URL (java: $java_home, workdir: $OS_WORKDIR)"
    if ! as_os_user env \
      HOME="${user_home:-$OS_WORKDIR}" \
      OPENSEARCH_JAVA_HOME="$java_home" \
      OPENSEARCH_JAVA_OPTS="$OS_JAVA_OPTS" \
      OPENSEARCH_TMPDIR="$OS_WORKDIR/tmp" \
      "$OS_HOME/bin/opensearch" -d -p "$OS_PIDFILE" \
      -E cluster.name="$OS_CLUSTER_NAME" \
      -E node.name="oauth4os-ci-$OS_PORT" \
      -E discovery.type=single-node \
      -E network.host=127.0.0.1 \
      -E http.port="$OS_PORT" \
      -E path.data="$OS_WORKDIR/data" \
      -E path.logs="$OS_LOGDIR" \
      -E cluster.routing.allocation.disk.threshold_enabled=false \
      >"$OS_LAUNCH_LOG" 2>&1 </dev/null 9>&-; then
      show_logs
      ci_die "bin/opensearch failed to launch"
    fi
  fi

  local start=$SECONDS deadline=$((SECONDS + OS_START_TIMEOUT)) next=0
  while ((SECONDS < deadline)); do
    if status=$(health); then
      log "$status on $OS_URL after $((SECONDS - start)) s"
      return 0
    fi
    if ! running_pid >/dev/null; then
      show_logs
      ci_die "OpenSearch exited during start-up"
    fi
    if ((SECONDS >= next)); then
      log "waiting for $OS_URL/_cluster/health ($((SECONDS - start)) s)"
      next=$((SECONDS + 10))
    fi
    sleep 1
  done
  show_logs
  if pid=$(running_pid); then
    kill_node "$pid"
  fi
  ci_die "OpenSearch was not healthy on $OS_URL within $OS_START_TIMEOUT s"
}

# TERM, wait up to 30 s, then KILL.
kill_node() {
  local pid=$1 i
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not stop within 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
  fi
  rm -f "$OS_PIDFILE"
}

cmd_stop() {
  local pid
  if [[ -d $OS_WORKDIR ]]; then
    ci_need flock util-linux
    lock_workdir
  fi
  if ! pid=$(running_pid); then
    log "not running (no live process in $OS_PIDFILE)"
    rm -f "$OS_PIDFILE"
    return 0
  fi
  kill_node "$pid"
  log "stopped"
}

cmd_status() {
  ci_need curl curl
  local status
  if status=$(health); then
    log "$status on $OS_URL"
    return 0
  fi
  log "not healthy on $OS_URL"
  return 1
}

case ${1:-} in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) echo "$OS_URL" ;;
  -h | --help | help) usage ;;
  *)
    usage
    exit 64
    ;;
esac
