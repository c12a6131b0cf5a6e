#!/usr/bin/env bash
# The Java SDK's tests (JUnit 5 through Maven Surefire): `mvn verify` on sdks/java, offline from
# the repository ci/install.sh fills, against the test peers of .ci/harness/peers.sh (the proxy,
# the real OpenSearch behind it, the real test OpenID provider): those of $OAUTH4OS_TEST_ENV when
# set (make test), else a set started for this run and stopped after it. `verify` compiles with
# -Xlint:all -Werror, stages the native library into the jar (scripts/native.sh), runs every test
# (vectors, surface, end to end, nimbus interop, concurrency and leaks, bad input, opensearch-java),
# packages the jar and builds the Javadoc with warnings as errors. The tests seed and drop their
# own `java-*` indices.
#
# The library is built in the Cargo profile $OAUTH4OS_SDK_PROFILE (`sdk` by default: release code
# generation without LTO) for the host triple, the build `make sdk-build` shares between the SDK
# suites (.ci/sdk-build.sh); OAUTH4OS_SDK_PROFILE=release tests the build users get.
#   bash sdks/java/ci/test.sh [MAVEN ARGS...]
set -euo pipefail
SDK=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$SDK/../.." && pwd)
cd "$ROOT"
# shellcheck source=../../../.ci/harness/lib.sh
. .ci/harness/lib.sh
log() { printf 'java-sdk: %s\n' "$*" >&2; }

REPO=$(bash "$SDK/ci/install.sh" | tail -n 1)
ci_sdk_env

mvn_args=(-B -o -Dstyle.color=never -Dmaven.repo.local="$REPO" -f "$SDK/pom.xml"
  -Doauth4os.cargo.profile="$OAUTH4OS_SDK_PROFILE" -Doauth4os.cargo.target="$CARGO_BUILD_TARGET"
  -Doauth4os.requirePeers=true)
log "mvn verify (library in the $OAUTH4OS_SDK_PROFILE profile, $CARGO_BUILD_TARGET)"
ci_timed "mvn verify" bash "$ROOT/.ci/harness/peers.sh" run -- nice mvn "${mvn_args[@]}" clean verify "$@"
