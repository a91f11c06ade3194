#!/usr/bin/env bash
# Every test: type-check, lint and format check, then vitest (unit, property, integration on a
# real etcd). Integration tests that need root or the kernel fail loudly in CI when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm run --silent typecheck
npm run --silent lint
npx --no-install vitest run
