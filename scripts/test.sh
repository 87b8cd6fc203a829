#!/usr/bin/env bash
# The whole test suite: lint (including the layer rules), type check, build, unit and integration
# tests in Node against real DuckDB and real files, then the end-to-end journey in a real VS Code
# (code-server) driven by Chromium. `bash scripts/install-system.sh` installs what the last needs.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m── %s\033[0m\n' "$*"; }

step "lint"
npx eslint .
step "type check"
npx tsc --noEmit -p . && npx tsc --noEmit -p webview-ui
step "build"
node esbuild.mjs
step "unit and integration tests"
npx mocha --config .mocharc.unit.json
step "end-to-end tests in code-server $(node -p "require('./test/e2e/version.json').codeServer")"
npx mocha --config .mocharc.e2e.json
echo
echo "Screenshots of each end-to-end step: test-results/e2e/"
