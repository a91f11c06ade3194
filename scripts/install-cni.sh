#!/usr/bin/env bash
# Installs cairn's CNI plugin where container runtimes look for plugins (containerd and CRI-O
# default to /opt/cni/bin), next to the reference plugins it delegates to or chains with
# (host-local, loopback, portmap, bandwidth from Debian's containernetworking-plugins, linked
# from /usr/lib/cni when the directory lacks them). Idempotent.
#
#   scripts/install-cni.sh [--bin-dir DIR]      (default /opt/cni/bin; needs a built dist/)
#
# The plugin is a small shell wrapper that runs this clone's compiled entry point with the
# absolute path of node, so it works whatever PATH the runtime passes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir=/opt/cni/bin
while (($#)); do
  case "$1" in
    --bin-dir) bin_dir="$2"; shift 2 ;;
    *) echo "usage: $0 [--bin-dir DIR]" >&2; exit 2 ;;
  esac
done

log() { printf '[install-cni] %s\n' "$*" >&2; }

entry="$root/dist/src/nodeagent/cni/main.js"
[ -f "$entry" ] || { log "$entry is missing: run scripts/setup.sh first"; exit 1; }
node_bin="$(command -v node)" || { log "node is not on PATH"; exit 1; }

mkdir -p "$bin_dir"
tmp="$(mktemp "$bin_dir/.cairn.XXXXXX")"
printf '#!/bin/sh\n# cairn CNI plugin (installed by %s)\nexec %s %s "$@"\n' "$0" "$node_bin" "$entry" >"$tmp"
chmod 0755 "$tmp"
mv -f "$tmp" "$bin_dir/cairn"
log "installed $bin_dir/cairn -> $entry"

for plugin in host-local loopback portmap bandwidth; do
  if [ ! -e "$bin_dir/$plugin" ] && [ -x "/usr/lib/cni/$plugin" ]; then
    ln -s "/usr/lib/cni/$plugin" "$bin_dir/$plugin"
    log "linked $bin_dir/$plugin -> /usr/lib/cni/$plugin"
  fi
done
