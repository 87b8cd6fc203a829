#!/usr/bin/env bash
# The whole test suite: lint (including the layer rules), type check, build, unit tests (pure logic
# and files), integration tests against real DuckDB, sql.js, PostgreSQL and Chromium, then the
# end-to-end journey in a real VS Code (code-server) driven by Chromium.
# `bash scripts/install-system.sh` installs what the last two need.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m── %s\033[0m\n' "$*"; }

step "lint"
npx eslint .
step "type check"
npx tsc --noEmit -p . && npx tsc --noEmit -p webview-ui
step "build"
node esbuild.mjs
step "unit tests (pure logic and files)"
npx mocha --config .mocharc.unit.json
step "integration tests (real DuckDB, sql.js, PostgreSQL, Chromium, a fake Ollama)"
npx mocha --config .mocharc.integration.json
step "end-to-end tests in code-server $(node -p "require('./test/e2e/version.json').codeServer")"
npx mocha --config .mocharc.e2e.json
echo
echo "Screenshots of each end-to-end step: test-results/e2e/"
