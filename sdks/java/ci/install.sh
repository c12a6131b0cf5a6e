#!/usr/bin/env bash
# Installs what the Java SDK's tests need: JDK 17+ and Maven (checked; .ci/run installs them on a
# fresh machine), then every Maven plugin and dependency of sdks/java/pom.xml into a local
# repository under ~/.cache/oauth4os/m2-java, so that ci/test.sh can run Maven offline. Idempotent
# and quick when the repository already matches the pom (a stamp holds the pom's hash); a missing
# or stale cache is simply filled again.
#
#   bash sdks/java/ci/install.sh        (prints the local repository's path last)
set -euo pipefail
SDK=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/oauth4os
REPO=${OAUTH4OS_JAVA_M2:-$CACHE/m2-java}
STAMP=$REPO/.oauth4os-pom.sha256
log() { printf 'java-sdk: %s\n' "$*" >&2; }

command -v java >/dev/null 2>&1 || { log "java is missing (apt-get install openjdk-17-jdk-headless)"; exit 1; }
command -v javac >/dev/null 2>&1 || { log "javac is missing: a JDK, not only a JRE, is needed (apt-get install openjdk-17-jdk-headless)"; exit 1; }
command -v mvn >/dev/null 2>&1 || { log "mvn is missing (apt-get install maven)"; exit 1; }
major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[[ ${major%%.*} -ge 17 ]] || { log "Java $major is too old: 17 or newer is needed"; exit 1; }

want=$(cat "$SDK/pom.xml" "$SDK/ci/install.sh" | sha256sum | cut -d' ' -f1)
if [[ -f $STAMP && $(cat "$STAMP") == "$want" ]]; then
  log "up to date: $REPO"
  echo "$REPO"
  exit 0
fi
mkdir -p "$REPO"
log "resolving the Maven plugins and dependencies of sdks/java into $REPO"
mvn_() { mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$REPO" -f "$SDK/pom.xml" "$@" </dev/null >&2; }
# Plugins and dependencies of the pom, then what plugins resolve only when they run: Surefire's
# JUnit Platform provider, and what compiling and packaging pull in (a run without tests).
mvn_ dependency:go-offline -DexcludeReactor=false
surefire=$(sed -n '/<artifactId>maven-surefire-plugin<\/artifactId>/{n;s|.*<version>\(.*\)<\/version>.*|\1|p}' "$SDK/pom.xml")
mvn_ dependency:get -Dartifact="org.apache.maven.surefire:surefire-junit-platform:$surefire"
mvn_ -Dexec.skip -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dmaven.javadoc.skip=true -Djar.skipIfEmpty=true package
echo "$want" >"$STAMP"
log "installed into $REPO"
echo "$REPO"
