#!/usr/bin/env bash
# Builds the C ABI's static library (bindings/c, liboauth4os.a) and stages it where cgo looks for
# it: sdks/go/lib/<GOOS>_<GOARCH>/liboauth4os.a (ignored by git). `go generate` in sdks/go runs
# it; so does ci/test.sh, in the Cargo profile and target of the shared SDK build.
#
#   bash sdks/go/scripts/native.sh [CARGO_PROFILE] [CARGO_TARGET]
#
# CARGO_PROFILE defaults to release (what users should link); CARGO_TARGET (a triple) to none
# (cargo's host layout). OAUTH4OS_GO_NATIVE names an already built liboauth4os.a to stage instead.
set -euo pipefail
PROFILE=${1:-release} TARGET=${2:-}
SDK=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$SDK/../.." && pwd)
CARGO=${CARGO:-cargo}
log() { printf 'go-native: %s\n' "$*" >&2; }

if [[ -n ${OAUTH4OS_GO_NATIVE:-} ]]; then
  built=$OAUTH4OS_GO_NATIVE
else
  args=(build --locked -p oauth4os-c --profile "$PROFILE")
  [[ -z $TARGET ]] || args+=(--target "$TARGET")
  log "$CARGO ${args[*]}"
  (cd "$ROOT" && nice "$CARGO" "${args[@]}" >&2)
  target_dir=$(cd "$ROOT" && "$CARGO" metadata --locked --no-deps --format-version 1 |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
  dir=$PROFILE
  [[ $dir != dev ]] || dir=debug
  built=$target_dir/${TARGET:+$TARGET/}$dir/liboauth4os.a
fi
[[ -f $built ]] || { log "no library at $built"; exit 1; }

platform=$(cd "$SDK" && go env GOOS)_$(cd "$SDK" && go env GOARCH)
dest=$SDK/lib/$platform
mkdir -p "$dest"
# A hard link when the target dir is on the same file system (the library is large), else a copy;
# replaced atomically either way.
if [[ ! "$dest/liboauth4os.a" -ef "$built" ]]; then
  rm -f "$dest/liboauth4os.a.tmp"
  ln "$built" "$dest/liboauth4os.a.tmp" 2>/dev/null || cp "$built" "$dest/liboauth4os.a.tmp"
  mv -f "$dest/liboauth4os.a.tmp" "$dest/liboauth4os.a"
fi
# go does not look at the contents of a library named in #cgo LDFLAGS: a comment with its hash
# in a (git-ignored) source file makes it rebuild and relink when the library changes.
sum=$(sha256sum "$dest/liboauth4os.a" | cut -d' ' -f1)
printf 'package native\n\n// liboauth4os.a for %s: sha256 %s (written by scripts/native.sh).\n' "$platform" "$sum" \
  >"$SDK/internal/native/zz_library.go"
log "staged $built as lib/$platform/liboauth4os.a (${sum:0:16})"
