#!/usr/bin/env bash
# Installs what the Python SDK's tests need into a venv under ~/.cache/oauth4os/py-venv:
# maturin (builds the native module), pytest, mypy, ruff, opensearch-py, and the benchmark's
# PyJWT/cryptography/joserfc. Idempotent and fast when already installed.
#
#   bash sdks/python/ci/install.sh        (prints the venv path last)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/oauth4os
VENV=${OAUTH4OS_PY_VENV:-$CACHE/py-venv}
REQ="$HERE/requirements.txt"
STAMP="$VENV/.requirements.sha256"

log() { echo "[py-install] $*" >&2; }

PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1 || ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  log "installing python3 and python3-venv"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends python3 python3-venv python3-dev
  PYTHON=python3
fi
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))' || {
  log "Python 3.9 or newer is needed"
  exit 1
}

want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [[ -x $VENV/bin/python && -f $STAMP && $(cat "$STAMP") == "$want" ]]; then
  log "up to date: $VENV"
  echo "$VENV"
  exit 0
fi
mkdir -p "$CACHE"
[[ -x $VENV/bin/python ]] || "$PYTHON" -m venv "$VENV"
export PIP_CACHE_DIR="$CACHE/pip"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ"
echo "$want" >"$STAMP"
log "installed into $VENV"
echo "$VENV"
