#!/usr/bin/env bash
# The Node SDK's tests (node:test): builds the addon, then runs every test file against the test
# peers of .ci/harness/peers.sh (the proxy, the real OpenSearch behind it, the real test OpenID
# provider): those of $OAUTH4OS_TEST_ENV when set (make test), else a set started for this run
# and stopped after it. The tests seed and drop their own `node-*` indices. Exits non-zero on
# any failure.
#
# The addon is built in the Cargo profile $OAUTH4OS_SDK_PROFILE (`sdk` by default: release code
# generation without LTO) for the host triple, the build `make sdk-build` shares between the SDK
# suites (.ci/sdk-build.sh); OAUTH4OS_SDK_PROFILE=release tests the build users get.
#   bash sdks/node/ci/test.sh
set -euo pipefail
SDK=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$SDK/../.." && pwd)
cd "$ROOT"
# shellcheck source=../../../.ci/harness/lib.sh
. .ci/harness/lib.sh
log() { printf 'node-sdk: %s\n' "$*" >&2; }

bash "$SDK/ci/install.sh"
# Exported: the install test's `npm install <folder>` runs scripts/build.mjs again, into the same build.
ci_sdk_env

build() { # (errexit does not reach in here: ci_timed calls it in a condition)
  log "building the addon ($OAUTH4OS_SDK_PROFILE profile)"
  node "$SDK/scripts/build.mjs" || return
  # The napi-rs CLI regenerates the binding's types; a test compares them with native.d.ts. Same
  # profile and target: only the binding recompiles (napi-derive writes the types meanwhile).
  (cd "$SDK" && npx --no-install napi build --platform --profile "$OAUTH4OS_SDK_PROFILE" \
    --target "$CARGO_BUILD_TARGET" --manifest-path ../../bindings/node/Cargo.toml \
    --package-json-path package.json --output-dir build --dts native.d.ts --no-js >&2) || return
  rm -f "$SDK"/build/*.node
}
ci_timed "build the addon" build

log "running the tests"
cd "$SDK"
# One file at a time: the e2e tests read shared counters (the proxy's /metrics, the provider's stats).
ci_timed "node --test" bash "$ROOT/.ci/harness/peers.sh" run -- \
  node --test --test-concurrency=1 test/*.test.mjs
