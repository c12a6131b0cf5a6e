#!/usr/bin/env bash
# Runs the verification benchmark (not part of the tests) against a release build.
#
#   bash sdks/python/bench/run.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SDK=$(cd "$HERE/.." && pwd)
VENV=$(bash "$SDK/ci/install.sh" | tail -n 1)
export PATH="$VENV/bin:$PATH"
if [[ ${OAUTH4OS_BENCH_SKIP_BUILD:-} != 1 ]]; then
  nice "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation \
    --no-deps --force-reinstall "$SDK"
fi
cd "$HERE"
"$VENV/bin/python" bench_verify.py
