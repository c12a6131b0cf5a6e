#!/usr/bin/env bash
# Installs what the Go SDK's tests need: Go (checked: the machine has it; go.mod names the
# version), the module's dependencies (go mod download), staticcheck into
# ~/.cache/oauth4os/go-bin, and cbindgen (bindings/c/header.sh, for the header's staleness check).
# Idempotent and quick when everything is there; a missing cache is simply filled again.
#
#   bash sdks/go/ci/install.sh        (prints staticcheck's path last)
set -euo pipefail
SDK=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$SDK/../.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/oauth4os
STATICCHECK_VERSION=v0.8.2
GOBIN_DIR=$CACHE/go-bin
log() { printf 'go-sdk: %s\n' "$*" >&2; }
# The official install's place, when PATH lacks it (.ci/run does the same).
[[ -x /usr/local/go/bin/go ]] && ! command -v go >/dev/null 2>&1 && export PATH="/usr/local/go/bin:$PATH"

command -v go >/dev/null 2>&1 || { log "go is missing: install Go $(sed -n 's/^go //p' "$SDK/go.mod") or newer"; exit 1; }
want=$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$SDK/go.mod")
have=$(go env GOVERSION | sed 's/^go//')
if [[ $(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n 1) != "$want" ]]; then
  log "Go $have is older than the $want that sdks/go/go.mod needs"
  exit 1
fi
(cd "$SDK" && go mod download)
bin=$GOBIN_DIR/staticcheck
if [[ ! -x $bin ]] || ! "$bin" -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
  log "installing staticcheck $STATICCHECK_VERSION into $GOBIN_DIR"
  GOBIN=$GOBIN_DIR nice go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
bash "$ROOT/bindings/c/header.sh" install >/dev/null
echo "$bin"
