#!/usr/bin/env bash
# RUSTC_WORKSPACE_WRAPPER for .ci/fuzz.sh: compiles the workspace's crates with AFL++'s
# coverage instrumentation (SanitizerCoverage trace-pc-guard edges and comparisons, on stable
# rustc) and links the fuzz binaries against Debian's AFL++ runtime (afl++ package).
#
# Cargo calls a workspace wrapper for workspace members only, and its value is part of their
# artifacts' hash: dependencies are reused from the ordinary `cargo test` build (same profile,
# same RUSTFLAGS, same files), and the instrumented workspace crates sit beside the ordinary
# ones instead of replacing them.
set -euo pipefail
rustc=$1
shift
AFL_RT=${AFL_RT:-/usr/lib/afl/afl-compiler-rt.o}

crate= type= prev=
for a in "$@"; do
  case $prev in
    --crate-name) crate=$a ;;
    --crate-type) type=$a ;;
  esac
  prev=$a
done

# Version queries and build scripts run as they are.
if [[ -z $crate || $crate == build_script_* ]]; then
  exec "$rustc" "$@"
fi

flags=(
  -C passes=sancov-module
  -C llvm-args=-sanitizer-coverage-level=3
  -C llvm-args=-sanitizer-coverage-trace-pc-guard
  -C llvm-args=-sanitizer-coverage-prune-blocks=0
  -C llvm-args=-sanitizer-coverage-trace-compares
  -C opt-level=2
  -C debug-assertions=on
  -C overflow-checks=on
)
case $crate in
  oauth4os_core_fuzz | oauth4os_proxy_fuzz | token | classify | config | form) flags+=(--cfg fuzzing) ;;
esac
if [[ $type == bin ]]; then
  [[ -f $AFL_RT ]] || {
    echo "afl-rustc.sh: $AFL_RT not found (apt-get install afl++)" >&2
    exit 1
  }
  flags+=(-C "link-arg=$AFL_RT")
fi
exec "$rustc" "$@" "${flags[@]}"
