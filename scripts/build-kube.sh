#!/usr/bin/env bash
# Builds the pinned Kubernetes binaries cairn tests and demos against: kube-apiserver and
# kube-proxy always, kubectl only when the machine's is missing or outside the supported skew.
#
# No kube-apiserver package exists for Debian 12, so they come from the k8s.io/kubernetes Go
# module of one pinned release, built in a small wrapper module. k8s.io/kubernetes replaces its
# staging modules (k8s.io/api, k8s.io/client-go, ...) with ./staging paths that are not part of
# the module zip; replace directives of a dependency are ignored anyway, so the wrapper's go.mod
# replaces each of them with its matching v0.x.y tag, read from that release's own go.mod.
#
# The binaries are cached outside the clone, keyed by version:
#   ${CAIRN_CACHE:-$HOME/.cache/cairn}/kube/<version>/{kube-apiserver,kube-proxy[,kubectl]}
# A second run finds them and does nothing. Prints the directory on stdout.
#
# Environment: CAIRN_KUBE_VERSION (default below), CAIRN_CACHE, CAIRN_KUBE_FORCE=1 (rebuild).
set -euo pipefail

# Everything in one function: bash parses it whole before running, so editing this file while
# a (long) build runs cannot change what the running build does.
main() {
  version="${CAIRN_KUBE_VERSION:-v1.33.13}"
  # As Node's os.homedir(): $HOME, else the passwd entry (the harness looks in the same place).
  cache="${CAIRN_CACHE:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache/cairn}"
  out="$cache/kube/$version"
  # The kubectl on the machine may be at most one minor version away from the apiserver.
  min_kubectl_minor=$(($(echo "$version" | cut -d. -f2) - 1))

  log() { printf '[build-kube] %s\n' "$*" >&2; }

  kubectl_ok() {
    command -v kubectl >/dev/null 2>&1 || return 1
    local minor
    minor="$(kubectl version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -1)"
    [ -n "$minor" ] && [ "$minor" -ge "$min_kubectl_minor" ]
  }

  targets=(kube-apiserver kube-proxy)
  if ! kubectl_ok; then targets+=(kubectl); fi

  missing=()
  for t in "${targets[@]}"; do
    if [ "${CAIRN_KUBE_FORCE:-0}" = 1 ] || [ ! -x "$out/$t" ]; then missing+=("$t"); fi
  done
  if ((${#missing[@]} == 0)); then
    log "reusing ${targets[*]} $version from $out"
    echo "$out"
    exit 0
  fi

  # Go from go.dev's tarball lives in /usr/local/go, which a non-login shell may not have on PATH.
  command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null || { log "go is required to build ${missing[*]} (Go 1.24 or newer)"; exit 1; }
  started=$(date +%s)
  log "building ${missing[*]} $version (cold: this takes a while on 2 cores)"

  work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-build-kube.XXXXXX")"
  trap 'rm -rf "$work"' EXIT

  # The release's own go.mod: its staging modules and the Go version it asks for.
  export GOFLAGS="-mod=mod -buildvcs=false"
  upstream_mod="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": *"\(.*\)".*/\1/p')"
  [ -f "$upstream_mod" ] || { log "could not download k8s.io/kubernetes@$version"; exit 1; }
  staging_version="v0.${version#v1.}"
  mapfile -t staging < <(sed -n 's#^\s*\(k8s.io/[a-z0-9.-]*\) => \./staging/.*#\1#p' "$upstream_mod")
  ((${#staging[@]} > 0)) || { log "no staging modules in $upstream_mod"; exit 1; }
  go_line="$(grep -m1 '^go ' "$upstream_mod")"
  godebug_line="$(grep -m1 '^godebug ' "$upstream_mod" || true)"

  {
    echo "module cairn.local/kube-build"
    echo
    echo "$go_line"
    if [ -n "$godebug_line" ]; then echo "$godebug_line"; fi
    echo
    echo "require k8s.io/kubernetes $version"
    echo
    echo "replace ("
    for m in "${staging[@]}"; do echo "	$m => $m $staging_version"; done
    echo ")"
  } >"$work/go.mod"
  # Main packages cannot be imported; a build-tagged file lets `go mod tidy` see them.
  {
    echo "//go:build tools"
    echo
    echo "package tools"
    echo
    echo "import ("
    for t in "${missing[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$t\""; done
    echo ")"
  } >"$work/tools.go"

  cd "$work"
  GOTOOLCHAIN=local go mod tidy >&2

  # Version ldflags as hack/lib/version.sh sets them, so `--version` and /version tell the truth.
  commit="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"Hash": *"\([0-9a-f]*\)".*/\1/p' | head -1)"
  major="$(echo "$version" | cut -d. -f1 | tr -d v)"
  minor="$(echo "$version" | cut -d. -f2)"
  build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  ldflags="-s -w"
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitCommit=${commit:-unknown} -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  done

  mkdir -p "$out"
  pkgs=()
  for t in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$t"); done
  GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$work/bin/" "${pkgs[@]}" >&2
  for t in "${missing[@]}"; do
    # Rename into place: a concurrent reader never sees a half-written binary.
    cp "$work/bin/$t" "$out/.$t.tmp" && mv -f "$out/.$t.tmp" "$out/$t"
  done
  log "built ${missing[*]} $version into $out in $(($(date +%s) - started))s"
  echo "$out"
}

main "$@"
