#!/usr/bin/env bash
# Installs what the Node SDK's tests need: Node >= 20 with npm, cargo, the package's dev
# dependencies (from the committed package-lock.json) and the test OpenID provider's modules.
# Idempotent and quick when everything is there; npm's cache lives in ~/.cache/oauth4os/npm.
#   bash sdks/node/ci/install.sh
set -euo pipefail
SDK=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$SDK/../.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/oauth4os
log() { printf 'node-sdk: %s\n' "$*" >&2; }

command -v node >/dev/null 2>&1 || { log "node is missing (apt-get install nodejs npm)"; exit 1; }
command -v npm >/dev/null 2>&1 || { log "npm is missing (apt-get install npm)"; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[[ $major -ge 20 ]] || { log "node $major is too old: 20 or newer is needed"; exit 1; }
command -v cargo >/dev/null 2>&1 || { log "cargo is missing: the addon is built from bindings/node"; exit 1; }

npm_ci() { # npm_ci DIR: `npm ci` unless node_modules already matches the lockfile
  local dir=$1 stamp=$1/node_modules/.oauth4os-lock
  if [[ -f $stamp ]] && cmp -s "$dir/package-lock.json" "$stamp"; then
    return 0
  fi
  log "npm ci in ${dir#"$ROOT"/}"
  # --ignore-scripts: the package's own `install` script builds the addon, which ci/test.sh does.
  npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund --cache "$CACHE/npm" >&2
  cp "$dir/package-lock.json" "$stamp"
}

npm_ci "$SDK"
[[ -d $ROOT/.ci/harness/oidc/node_modules/oidc-provider ]] || npm ci --prefix "$ROOT/.ci/harness/oidc" --no-audit --no-fund --cache "$CACHE/npm" >&2
log "ready"
