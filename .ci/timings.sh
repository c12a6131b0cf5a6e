#!/usr/bin/env bash
# How long each section of `make test` takes.
#
#   bash .ci/timings.sh make SECTION...   run `$MAKE SECTION` for each in turn, timed; print the
#                                         table at the end, also when a section fails; exit 1 if
#                                         one did. Stops at the first failure unless make runs
#                                         with -k (then every section runs).
#   bash .ci/timings.sh table FILE        print the table of a timings file
#
# Scripts time their own parts with ci_timed (.ci/harness/lib.sh): they appear indented under
# the section that ran them.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness/lib.sh
. "$HERE/harness/lib.sh"

# table FILE: rows in the order they started, nested by depth; "total" sums the outermost rows.
table() {
  sort -n -k1,1 "$1" | awk -F '\t' '
    function fmt(t) { return t >= 600 ? sprintf("%dm%04.1fs", int(t / 600), (t % 600) / 10) : sprintf("%.1fs", t / 10) }
    { depth[NR] = $2; time[NR] = $3; result[NR] = $4; label[NR] = $5
      if (NR == 1 || $2 < top) top = $2 }
    END {
      for (i = 1; i <= NR; i++) {
        name[i] = sprintf("%*s%s", 2 * (depth[i] - top), "", label[i])
        if (length(name[i]) > w) w = length(name[i])
        if (depth[i] == top) { total += time[i]; if (result[i] != "ok" && result[i] != "not run") failed = 1 }
      }
      if (w < 7) w = 7
      printf "\n==> time per section\n%-*s  %9s  %s\n", w, "section", "time", "result"
      for (i = 1; i <= NR; i++) printf "%-*s  %9s  %s\n", w, name[i], result[i] == "not run" ? "-" : fmt(time[i]), result[i]
      printf "%-*s  %9s  %s\n", w, "total", fmt(total), failed ? "FAILED" : "ok"
    }'
}

cmd_make() {
  local make=${MAKE:-make} failed=0 keep_going=0 section
  local -a flags
  # -k arrives in MAKEFLAGS' first word of single-letter flags (e.g. "k" or "ks"), never with a dash.
  read -r -a flags <<<"${MAKEFLAGS:-}"
  [[ ${flags[0]:-} != -* && ${flags[0]:-} == *k* ]] && keep_going=1
  export OAUTH4OS_TIMINGS
  OAUTH4OS_TIMINGS=$(mktemp "${TMPDIR:-/tmp}/oauth4os-timings.XXXXXX")
  # shellcheck disable=SC2064 # the file name is fixed now
  trap "rm -f '$OAUTH4OS_TIMINGS'" EXIT
  for section in "$@"; do
    if ((failed && !keep_going)); then
      printf '%s\t0\t0\tnot run\t%s\n' "${EPOCHREALTIME//[!0-9]/}" "$section" >>"$OAUTH4OS_TIMINGS"
      continue
    fi
    ci_timed "$section" "$make" --no-print-directory "$section" || failed=1
  done
  table "$OAUTH4OS_TIMINGS"
  return "$failed"
}

case ${1:-} in
  make) shift && cmd_make "$@" ;;
  table) table "${2:?usage: bash .ci/timings.sh table FILE}" ;;
  *)
    sed -n '2,11p' "${BASH_SOURCE[0]}" >&2
    exit 64
    ;;
esac
