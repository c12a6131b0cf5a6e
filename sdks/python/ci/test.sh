#!/usr/bin/env bash
# The Python SDK's tests: builds and installs the package (`pip install ./sdks/python`) and its
# wheel, then runs pytest (conformance vectors, end-to-end, concurrency, opensearch-py
# interop, panics, ruff, mypy --strict, stubtest) against the test peers of .ci/harness/peers.sh:
# those of $OAUTH4OS_TEST_ENV when set (make test), else a set started for this run and stopped
# after it.
#
#
# The native module is built in the Cargo profile $OAUTH4OS_SDK_PROFILE (`sdk` by default: release
# code generation without LTO) for the host triple, the build `make sdk-build` shares between the
# SDK suites (.ci/sdk-build.sh); OAUTH4OS_SDK_PROFILE=release tests the build users get.
#
#   bash sdks/python/ci/test.sh [PYTEST ARGS...]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SDK=$(cd "$HERE/.." && pwd)
ROOT=$(cd "$SDK/../.." && pwd)
cd "$ROOT"
# shellcheck source=../../../.ci/harness/lib.sh
. .ci/harness/lib.sh

log() { echo "[py-test] $*" >&2; }

ci_sdk_env
VENV=$(bash "$HERE/install.sh" | tail -n 1)
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/oauth4os-py.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

build() { # (errexit does not reach in here: ci_timed calls it in a condition)
  local -a cargo=(--profile "$OAUTH4OS_SDK_PROFILE" --target "$CARGO_BUILD_TARGET")
  log "pip install ./sdks/python (the native module in the $OAUTH4OS_SDK_PROFILE profile)"
  MATURIN_PEP517_ARGS="${MATURIN_PEP517_ARGS:+$MATURIN_PEP517_ARGS }${cargo[*]}" \
    nice "$PY" -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps \
    --force-reinstall "$SDK" || return
  log "maturin build ${cargo[*]} (the wheel whose tag the tests check)"
  (cd "$SDK" && nice maturin build "${cargo[@]}" --locked -q -o "$WORK/wheels" >&2)
}
ci_timed "build the package and the wheel" build
export OAUTH4OS_PY_WHEEL_DIR="$WORK/wheels"

# The peers come from the harness only; their addresses reach conftest.py as OAUTH4OS_TEST_*.
cd "$SDK"
ci_timed "pytest" bash "$ROOT/.ci/harness/peers.sh" run -- "$PY" -m pytest -p no:cacheprovider "$@"
