#!/usr/bin/env bash
# `make sdk-build`: the one compilation of every binding crate (bindings/*) that all SDK suites
# share. Before it, each suite's packager (maturin, the napi-rs CLI, sdks/node/scripts/build.mjs)
# compiled core and all its dependencies again for itself, in its own profile, target layout and
# feature set (Python 5m46, Node 8m20 of a 42.5 min CI run); after it, each finds them compiled
# and only relinks its own binding. What makes that work:
#
#  * one cargo invocation with every binding crate (-p each), in the profile and target layout of
#    ci_sdk_env (.ci/harness/lib.sh): OAUTH4OS_SDK_PROFILE (`sdk`: release code generation without
#    LTO, see Cargo.toml) and CARGO_BUILD_TARGET (the host triple, as the napi-rs CLI passes it);
#  * the packagers' features: a binding's `[package.metadata.sdk-build] features` (what its
#    packager turns on, e.g. maturin's `extension-module`). (maturin also hands pyo3 a config file
#    of its own, PYO3_CONFIG_FILE, so its first call on a machine recompiles pyo3 and the Python
#    binding, about 30 s; once that file exists this build hands pyo3 the same one);
#  * equal features: cargo resolves features per selected package, so a dependency that two
#    bindings' graphs enable with different features is compiled twice, and with it everything
#    above it (core). This script fails, naming the crate and the features, when the graphs differ
#    on a crate they share; the fix is to name the dependency with those features in the binding
#    that lacks them (see the `futures` and `futures-util` lines in bindings/*/Cargo.toml).
#
# A new binding (java, c, uniffi) joins by being a crate under bindings/ (and, when its packager
# calls cargo itself, by calling it in ci_sdk_env's profile and target and listing its features
# in its Cargo.toml metadata).
#
#   bash .ci/sdk-build.sh           check the feature sets, then build
#   bash .ci/sdk-build.sh check     only the check
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=harness/lib.sh
. .ci/harness/lib.sh
ci_need jq jq "to read cargo metadata"
ci_sdk_env
CARGO=${CARGO:-cargo}

# "NAME<TAB>FEATURES" for each crate under bindings/, FEATURES comma-separated.
bindings=$($CARGO metadata --locked --no-deps --format-version 1 | jq -r --arg root "$ROOT/bindings/" '
  .packages[] | select(.manifest_path | startswith($root))
  | [.name, ((.metadata["sdk-build"].features // []) | join(","))] | @tsv' | sort)
[[ -n $bindings ]] || ci_die "no crate under bindings/"

# The features of every crate in a binding's graph, as compiled for the target (normal and build
# dependencies: dev-dependencies do not reach a packager's build).
graph() { # graph CRATE FEATURES
  $CARGO tree --locked -q -p "$1" ${2:+--features "$1/$2"} --target "$CARGO_BUILD_TARGET" \
    -e normal,build --prefix none -f '{p} {f}' | sed 's/ (\*)$//; s/ (proc-macro)//' | sort -u
}

check() {
  local work name features first= status=0
  work=$(mktemp -d "${TMPDIR:-/tmp}/oauth4os-sdk-build.XXXXXX")
  # shellcheck disable=SC2064 # the directory is fixed now
  trap "rm -rf '$work'" RETURN
  while IFS=$'\t' read -r name features; do
    graph "$name" "$features" >"$work/$name"
    # "crate version" -> features, to compare the crates two graphs share.
    if [[ -z $first ]]; then
      first=$name
      continue
    fi
    if ! awk -v a="$first" -v b="$name" '
      { key = $1 " " $2; $1 = $2 = ""; sub(/^ +/, ""); f = $0 }
      FNR == NR { if (key in fa) f = fa[key] " | " f; fa[key] = f; next }
      { if (key in fb) f = fb[key] " | " f; fb[key] = f }
      END {
        for (k in fb) if ((k in fa) && fa[k] != fb[k]) {
          printf "  %s: %s has [%s], %s has [%s]\n", k, a, fa[k], b, fb[k]; bad = 1
        }
        exit bad
      }' "$work/$first" "$work/$name" >&2; then
      status=1
    fi
  done <<<"$bindings"
  if ((status)); then
    ci_log "error: the bindings compile these shared crates with different features, so core and"
    ci_log "its dependencies would be compiled once per binding; in the binding that lacks a"
    ci_log "feature, name the crate as a dependency with it (see bindings/python/Cargo.toml)"
  fi
  return "$status"
}

build() {
  local -a args=(build --locked --profile "$OAUTH4OS_SDK_PROFILE" --target "$CARGO_BUILD_TARGET")
  local name features
  while IFS=$'\t' read -r name features; do
    args+=(-p "$name")
    [[ -z $features ]] || args+=(--features "$name/${features//,/,$name/}")
  done <<<"$bindings"
  # The pyo3 config maturin wrote on an earlier run (its name is maturin's own: when it changes,
  # pyo3 merely recompiles once more in maturin's first call, as on a fresh machine).
  local target_dir config
  local -a env=()
  target_dir=$($CARGO metadata --locked --no-deps --format-version 1 | jq -r .target_directory)
  for config in "$target_dir/maturin/pyo3-config-$CARGO_BUILD_TARGET-"*-abi3.txt; do
    [[ -f $config ]] && env=("PYO3_CONFIG_FILE=$config")
  done
  ci_log "${env[*]}${env[*]:+ }$CARGO ${args[*]}"
  env ${env[@]+"${env[@]}"} nice "$CARGO" "${args[@]}"
}

case ${1:-build} in
  check) check ;;
  build)
    ci_timed "same features in every binding" check
    ci_timed "cargo build (every binding)" build
    ;;
  *)
    sed -n '2,26p' "${BASH_SOURCE[0]}" >&2
    exit 64
    ;;
esac
