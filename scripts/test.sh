#!/usr/bin/env bash
# Every test: type-check, lint and format check, then vitest (unit, property, integration on a
# real etcd, the real kernel and a real kube-apiserver). Tests that need root or the kernel fail
# loudly in CI when it is missing. Ends with one plain line: "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm run --silent typecheck
npm run --silent lint
results="$(mktemp -t cairn-vitest-XXXXXX.json)"
trap 'rm -f "$results"' EXIT
status=0
npx --no-install vitest run --reporter=default --reporter=json --outputFile="$results" || status=$?
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$results" || true
exit "$status"
