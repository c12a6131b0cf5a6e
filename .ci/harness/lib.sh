# shellcheck shell=bash
# Helpers shared by the .ci scripts. Source it; it defines functions only.

# Messages go to stderr so stdout stays usable for values (`opensearch.sh url`).
ci_log() { printf '%s\n' "$*" >&2; }
ci_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# A section header that stands out in CI logs.
ci_section() { printf '\n==> %s\n' "$*" >&2; }

# ci_need COMMAND APT_PACKAGE [WHY]: fail clearly when a prerequisite is missing.
ci_need() {
  local cmd=$1 pkg=$2 why=${3:-}
  if ! command -v "$cmd" >/dev/null 2>&1; then
    ci_die "'$cmd' is required${why:+ ($why)} but not on PATH; install it with: apt-get install -y --no-install-recommends $pkg"
  fi
}

# ci_java_home: print the JDK home, from OPENSEARCH_JAVA_HOME, JAVA_HOME or the java on PATH.
ci_java_home() {
  local java
  if [[ -n ${OPENSEARCH_JAVA_HOME:-} ]]; then
    printf '%s\n' "$OPENSEARCH_JAVA_HOME"
  elif [[ -n ${JAVA_HOME:-} ]]; then
    printf '%s\n' "$JAVA_HOME"
  else
    java=$(command -v java) || return 1
    java=$(readlink -f "$java")
    printf '%s\n' "${java%/bin/java}"
  fi
}

# ci_timed NAME COMMAND...: runs COMMAND (an external command: errexit does not reach into a shell
# function called this way) and returns its status. When $OAUTH4OS_TIMINGS names a file, it also
# appends a row "START DEPTH TENTHS RESULT NAME" (tab separated) to it; sections timed inside
# COMMAND are one level deeper. `bash .ci/timings.sh table` prints the rows.
ci_timed() {
  local name=$1 depth=${OAUTH4OS_TIMINGS_DEPTH:-0} start end status=0
  shift
  if [[ -z ${OAUTH4OS_TIMINGS:-} ]]; then
    "$@"
    return
  fi
  start=${EPOCHREALTIME//[!0-9]/}
  OAUTH4OS_TIMINGS_DEPTH=$((depth + 1)) "$@" || status=$?
  end=${EPOCHREALTIME//[!0-9]/}
  printf '%s\t%s\t%s\t%s\t%s\n' "$start" "$depth" "$(((end - start) / 100000))" \
    "$([[ $status -eq 0 ]] && echo ok || echo "FAILED ($status)")" "$name" >>"$OAUTH4OS_TIMINGS"
  return "$status"
}

# ci_sdk_env: the build settings every SDK suite shares with `make sdk-build` (.ci/sdk-build.sh),
# so that their packagers' cargo calls (maturin, the napi-rs CLI, sdks/node/scripts/build.mjs)
# find core and its dependencies already compiled: the Cargo profile OAUTH4OS_SDK_PROFILE (`sdk`,
# see Cargo.toml; set it to `release` to test exactly what users get) and an explicit
# CARGO_BUILD_TARGET, the host (the napi-rs CLI always passes --target, which puts artifacts under
# target/<triple>/; everyone else follows it there).
ci_sdk_env() {
  export OAUTH4OS_SDK_PROFILE=${OAUTH4OS_SDK_PROFILE:-sdk}
  if [[ -z ${CARGO_BUILD_TARGET:-} ]]; then
    CARGO_BUILD_TARGET=$(rustc -vV | sed -n 's/^host: //p')
    [[ -n $CARGO_BUILD_TARGET ]] || ci_die "cannot read the host triple from rustc -vV"
    export CARGO_BUILD_TARGET
  fi
}
