#!/usr/bin/env bash
# Coverage-guided fuzzing of every fuzz target with AFL++, on the stable toolchain.
#
#   bash .ci/fuzz.sh [SECONDS]            # each target SECONDS (default 60), two at a time
#   FUZZ_SECONDS=3600 bash .ci/fuzz.sh    # the long run: an hour per target
#   FUZZ_TARGETS="classify token" bash .ci/fuzz.sh 30
#
# Needs Debian's afl++ (`apt-get install -y afl++`: afl-fuzz and its runtime object). Builds the
# targets with core/fuzz/afl-rustc.sh as cargo's workspace wrapper (only the workspace's crates
# are instrumented; dependencies come from the ordinary build), runs afl-fuzz on each from its
# committed corpus, prints what each run did and fails on any crash, naming every crashing
# input and the command that replays it. Runs land in ${FUZZ_OUT:-<target dir>/fuzz}/<target>/.
# See core/fuzz/README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=harness/lib.sh
. .ci/harness/lib.sh

SECONDS_EACH=${1:-${FUZZ_SECONDS:-60}}
[[ $SECONDS_EACH =~ ^[1-9][0-9]*$ ]] || ci_die "the time per target must be a number of seconds, not '$SECONDS_EACH'"
JOBS=${FUZZ_JOBS:-2}
AFL_RT=${AFL_RT:-/usr/lib/afl/afl-compiler-rt.o}
# target:package:corpus
ALL_TARGETS=(
  token:oauth4os-core-fuzz:core/fuzz/corpus/token
  classify:oauth4os-core-fuzz:core/fuzz/corpus/classify
  config:oauth4os-proxy-fuzz:proxy/fuzz/corpus/config
  form:oauth4os-proxy-fuzz:proxy/fuzz/corpus/form
)

ci_need afl-fuzz afl++ "coverage-guided fuzzing"
ci_need jq jq
[[ -f $AFL_RT ]] || ci_die "$AFL_RT is missing; install it with: apt-get install -y afl++"

selected=()
for spec in "${ALL_TARGETS[@]}"; do
  name=${spec%%:*}
  if [[ -z ${FUZZ_TARGETS:-} || " $FUZZ_TARGETS " == *" $name "* ]]; then
    selected+=("$spec")
  fi
done
((${#selected[@]})) || ci_die "no target matches FUZZ_TARGETS='${FUZZ_TARGETS:-}' (targets: token classify config form)"

ci_section "fuzz: build the targets with AFL++ instrumentation"
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
OUT=${FUZZ_OUT:-$TARGET_DIR/fuzz}
RUSTC_WORKSPACE_WRAPPER="$ROOT/core/fuzz/afl-rustc.sh" AFL_RT="$AFL_RT" \
  cargo build --locked -p oauth4os-core-fuzz -p oauth4os-proxy-fuzz --bins
# Copies: a later ordinary build rewrites target/debug/<bin>.
rm -rf "$OUT"
mkdir -p "$OUT/bin"
for spec in "${selected[@]}"; do
  name=${spec%%:*}
  cp "$TARGET_DIR/debug/$name" "$OUT/bin/$name"
done

# AFL++ settings for a shared CI machine: no CPU pinning, no core-dump or CPU-governor checks,
# plain log lines instead of the curses screen, quick calibration.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
  AFL_NO_UI=1 AFL_FAST_CAL=1 AFL_QUIET=1

run_one() {
  local name=$1 corpus=$2
  # -c 0: the target binary is also the CmpLog binary (it is built with comparison tracing),
  # so AFL++ solves magic strings (`_bulk`, `$argon2id$`, `"alg"`) by input-to-state matching.
  timeout --kill-after=30 $((SECONDS_EACH + 300)) \
    afl-fuzz -i "$corpus" -o "$OUT/$name" -V "$SECONDS_EACH" -c 0 -- "$OUT/bin/$name" \
    >"$OUT/$name.log" 2>&1
}

ci_section "fuzz: ${#selected[@]} targets, ${SECONDS_EACH}s each, $JOBS at a time"
declare -A pids=()
for spec in "${selected[@]}"; do
  IFS=: read -r name _ corpus <<<"$spec"
  while (($(jobs -rp | wc -l) >= JOBS)); do
    wait -n || true
  done
  ci_log "fuzzing $name from $corpus ($(find "$corpus" -type f | wc -l) seeds)"
  run_one "$name" "$corpus" &
  pids[$name]=$!
done
failed_runs=()
for name in "${!pids[@]}"; do
  wait "${pids[$name]}" || failed_runs+=("$name")
done

stat() { sed -n "s/^$2 *: *//p" "$OUT/$1/default/fuzzer_stats" 2>/dev/null | head -n 1; }
printf '\n| target | execs | execs/s | corpus | edges | crashes | hangs |\n|---|---|---|---|---|---|---|\n' >&2
crashes=() passed=0 failed=0
for spec in "${selected[@]}"; do
  IFS=: read -r name pkg _ <<<"$spec"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(stat "$name" execs_done)" \
    "$(stat "$name" execs_per_sec)" "$(stat "$name" corpus_count)" "$(stat "$name" bitmap_cvg)" \
    "$(stat "$name" saved_crashes)" "$(stat "$name" saved_hangs)" >&2
  found=()
  if [[ -d $OUT/$name/default/crashes ]]; then
    mapfile -t found < <(find "$OUT/$name/default/crashes" -type f -name 'id:*' | sort)
  fi
  if ((${#found[@]})); then
    failed=$((failed + 1))
    for f in "${found[@]}"; do crashes+=("$name|$pkg|$f"); done
  elif [[ " ${failed_runs[*]} " == *" $name "* || ! -f $OUT/$name/default/fuzzer_stats ]]; then
    failed=$((failed + 1))
    ci_log "error: afl-fuzz did not run $name to the end; its log ($OUT/$name.log) ends with:"
    tail -n 20 "$OUT/$name.log" >&2 || true
  else
    passed=$((passed + 1))
  fi
  if [[ -d $OUT/$name/default/hangs ]] && find "$OUT/$name/default/hangs" -type f -name 'id:*' | grep -q .; then
    ci_log "note: $name has inputs that ran past AFL++'s time limit (not a failure): $OUT/$name/default/hangs/"
  fi
done
if ((${#crashes[@]})); then
  ci_log ""
  ci_log "CRASHES — each input below makes its target panic; replay one with the command shown:"
  for c in "${crashes[@]}"; do
    IFS='|' read -r name pkg f <<<"$c"
    ci_log "  $f"
    ci_log "    cargo run -q -p $pkg --bin $name -- '$f'"
  done
fi
printf 'fuzz: %d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
