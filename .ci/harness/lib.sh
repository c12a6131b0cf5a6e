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
