#!/usr/bin/env bash
# The test command: installs what is missing, type-checks, lints, checks formatting and the import rules, runs
# every test (GPU tests on both software adapters), and ends with one 'N passed, N failed' line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
npx tsc --noEmit -p .
# Lint and format check (biome.json; `npm run format` formats), then the import rules (.dependency-cruiser.cjs):
# no cycles, layers point one way (README "Layout"), src stays in src.
npx biome ci .
npx depcruise src bench scripts test
report="$(mktemp -d)/vitest.json"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
if [ -s "$report" ]; then
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);' "$report"
fi
exit $status
