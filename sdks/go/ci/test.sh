#!/usr/bin/env bash
# The Go SDK's checks and tests: the C header is what cbindgen writes now (bindings/c/header.sh
# check); the static library is built (scripts/native.sh) in the Cargo profile $OAUTH4OS_SDK_PROFILE
# (`sdk` by default: release code generation without LTO) for the host triple, the build
# `make sdk-build` shares between the SDK suites (.ci/sdk-build.sh); gofmt, go vet and staticcheck;
# then `go test -race` (vectors, surface, errors and bad input, end to end, golang-jwt and x/oauth2
# interop, opensearch-go, concurrency and leaks, the Examples) against the test peers of
# .ci/harness/peers.sh: those of $OAUTH4OS_TEST_ENV when set (make test), else a set started for
# this run and stopped after it. The tests seed and drop their own `go-*` indices.
#   bash sdks/go/ci/test.sh [GO TEST ARGS...]
set -euo pipefail
SDK=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$SDK/../.." && pwd)
cd "$ROOT"
# shellcheck source=../../../.ci/harness/lib.sh
. .ci/harness/lib.sh
log() { printf 'go-sdk: %s\n' "$*" >&2; }
# The official install's place, when PATH lacks it (.ci/run does the same).
[[ -x /usr/local/go/bin/go ]] && ! command -v go >/dev/null 2>&1 && export PATH="/usr/local/go/bin:$PATH"

STATICCHECK=$(bash "$SDK/ci/install.sh" | tail -n 1)
ci_sdk_env

ci_timed "C header is up to date (cbindgen)" bash bindings/c/header.sh check
ci_timed "static library ($OAUTH4OS_SDK_PROFILE, $CARGO_BUILD_TARGET)" \
  bash "$SDK/scripts/native.sh" "$OAUTH4OS_SDK_PROFILE" "$CARGO_BUILD_TARGET"
cd "$SDK"
unformatted=$(gofmt -l .)
[[ -z $unformatted ]] || { log "not gofmt-formatted: $unformatted"; exit 1; }
ci_timed "go vet" nice go vet ./...
ci_timed "staticcheck" nice "$STATICCHECK" ./...
log "go test -race (library in the $OAUTH4OS_SDK_PROFILE profile)"
ci_timed "go test -race" bash "$ROOT/.ci/harness/peers.sh" run -- \
  env OAUTH4OS_REQUIRE_PEERS=1 nice go test -race -count=1 ./... "$@"
