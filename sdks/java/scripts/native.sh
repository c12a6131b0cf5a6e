#!/usr/bin/env bash
# Builds the jni library (bindings/java) and stages it as the jar's resource
# io/oauth4os/native/<platform>/<library> with its SHA-256 next to it, which the loader checks.
# Maven runs it (generate-resources); it also fails the build when the pom's version is not the
# workspace's.
#
#   bash sdks/java/scripts/native.sh OUT_DIR POM_VERSION [CARGO_PROFILE] [CARGO_TARGET]
#
# CARGO_PROFILE defaults to release; CARGO_TARGET (a triple) to none (cargo's host layout).
# OAUTH4OS_JAVA_NATIVE names an already built library to stage instead of building one.
set -euo pipefail
OUT=$1 POM_VERSION=$2 PROFILE=${3:-release} TARGET=${4:-}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
CARGO=${CARGO:-cargo}
log() { printf 'java-native: %s\n' "$*" >&2; }

workspace_version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml")
if [[ $POM_VERSION != "$workspace_version" ]]; then
  log "sdks/java/pom.xml has version $POM_VERSION but the workspace (Cargo.toml) has $workspace_version: make them equal"
  exit 1
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-x86_64 lib=liboauth4os_java.so ;;
  Linux-aarch64) platform=linux-aarch64 lib=liboauth4os_java.so ;;
  Darwin-arm64) platform=macos-aarch64 lib=liboauth4os_java.dylib ;;
  Darwin-x86_64) platform=macos-x86_64 lib=liboauth4os_java.dylib ;;
  *) log "no platform name for $(uname -s)-$(uname -m)"; exit 1 ;;
esac

if [[ -n ${OAUTH4OS_JAVA_NATIVE:-} ]]; then
  built=$OAUTH4OS_JAVA_NATIVE
else
  args=(build --locked -p oauth4os-java --profile "$PROFILE")
  [[ -z $TARGET ]] || args+=(--target "$TARGET")
  log "$CARGO ${args[*]}"
  (cd "$ROOT" && nice "$CARGO" "${args[@]}" >&2)
  target_dir=$(cd "$ROOT" && "$CARGO" metadata --locked --no-deps --format-version 1 |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
  dir=$PROFILE
  [[ $dir != dev ]] || dir=debug
  built=$target_dir/${TARGET:+$TARGET/}$dir/$lib
fi
[[ -f $built ]] || { log "no library at $built"; exit 1; }

dest=$OUT/io/oauth4os/native/$platform
mkdir -p "$dest"
cp "$built" "$dest/$lib.tmp" && mv "$dest/$lib.tmp" "$dest/$lib"
(cd "$dest" && sha256sum "$lib" >"$lib.sha256")
echo "$platform" >"$OUT/io/oauth4os/native/platforms"
log "staged $built as $platform/$lib ($(cut -c1-16 "$dest/$lib.sha256"))"
