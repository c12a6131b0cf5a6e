#!/usr/bin/env bash
# Installs the Python MCP SDK and pytest, pinned in requirements.txt, into a venv under
# ~/.cache/oauth4os/mcp-venv. Idempotent and fast when already installed; prints the venv's path.
#
#   bash .ci/harness/mcp/python/install.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/oauth4os
VENV=${OAUTH4OS_MCP_VENV:-$CACHE/mcp-venv}
REQ="$HERE/requirements.txt"
STAMP="$VENV/.requirements.sha256"
log() { echo "[mcp-py-install] $*" >&2; }

PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1 || ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  log "installing python3 and python3-venv"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends python3 python3-venv
  PYTHON=python3
fi
# mcp 2.x needs Python 3.10 or newer.
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
  log "Python 3.10 or newer is needed by the mcp SDK"
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
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ" >&2
echo "$want" >"$STAMP"
log "installed into $VENV"
echo "$VENV"
