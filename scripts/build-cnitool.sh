#!/usr/bin/env bash
# Builds the reference CNI client, `cnitool`, from the github.com/containernetworking/cni Go
# module of one pinned release (through the Go module proxy), into a cache outside the clone:
#   ${CAIRN_CACHE:-$HOME/.cache/cairn}/cnitool/<version>/cnitool
# A second run finds it and does nothing. Prints the binary's path on stdout.
#
# Environment: CAIRN_CNITOOL_VERSION (default below), CAIRN_CACHE, CAIRN_CNITOOL_FORCE=1 (rebuild).
set -euo pipefail

version="${CAIRN_CNITOOL_VERSION:-v1.2.3}"
cache="${CAIRN_CACHE:-$HOME/.cache/cairn}"
out="$cache/cnitool/$version"

log() { printf '[build-cnitool] %s\n' "$*" >&2; }

if [ "${CAIRN_CNITOOL_FORCE:-0}" != 1 ] && [ -x "$out/cnitool" ]; then
  log "reusing cnitool $version from $out"
  echo "$out/cnitool"
  exit 0
fi

# Go from PATH, or the upstream tarball's usual place.
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
command -v go >/dev/null || { log "go is required to build cnitool (Go 1.21 or newer)"; exit 1; }
log "building cnitool $version"
mkdir -p "$out"
# A throw-away GOBIN: only a complete binary is moved into the cache.
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-build-cnitool.XXXXXX")"
trap 'rm -rf "$work"' EXIT
GOFLAGS="-buildvcs=false" GOBIN="$work" go install "github.com/containernetworking/cni/cnitool@$version"
mv "$work/cnitool" "$out/cnitool"
log "built $out/cnitool"
echo "$out/cnitool"
