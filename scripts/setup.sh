#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: Debian packages, npm dependencies, and the build.
# Safe to run again: each step does nothing when its result is already there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { printf '[setup] %s\n' "$*" >&2; }

# 1. Debian packages: install only what is missing, apt-get update once when needed.
mapfile -t wanted < <(grep -Ev '^\s*(#|$)' scripts/debian-packages.txt)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    log "need root to install Debian packages (${missing[*]}); run: sudo $0"
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. npm dependencies, when package-lock.json changed since the last install.
# Native addons compile against the machine's Node headers, never downloaded ones.
if [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
stamp=node_modules/.cairn-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

# 3. Build: native pieces (BPF objects, the libbpf addon) when present, then TypeScript.
# The addon first: `node-gyp rebuild`/`clean` wipe build/, which also holds build/bpf/.
# Headers come from Debian's nodejs (/usr/include/node): node-gyp must never download them.
if [ -f binding.gyp ]; then
  log "building the libbpf native addon"
  if [ ! -f build/Makefile ] || [ ! -f build/config.gypi ] || [ binding.gyp -nt build/Makefile ]; then
    npx --no-install node-gyp configure --nodedir=/usr --loglevel=error
  fi
  npx --no-install node-gyp build --nodedir=/usr --loglevel=error
fi
if [ -f bpf/Makefile ]; then
  log "building BPF objects"
  make -s -C bpf
fi
# 4. The pinned kube-apiserver and kube-proxy (apiwatch's tests and the demo's control plane):
# built from the k8s.io/kubernetes Go module once, then reused from a cache outside the clone.
bash scripts/build-kube.sh >/dev/null
log "compiling TypeScript"
npx --no-install tsc -p tsconfig.build.json

# 4. The reference CNI client (cnitool), built from its Go module into a cache outside the clone;
# CAIRN_INSTALL_CNI=1 also installs cairn's plugin as /opt/cni/bin/cairn.
log "CNI: cnitool"
bash scripts/build-cnitool.sh >/dev/null || log "cnitool not built (see above): test/cni/cnitool.int.spec.ts will fail in CI"
if [ "${CAIRN_INSTALL_CNI:-0}" = 1 ]; then bash scripts/install-cni.sh; fi
log "ready"
