#!/usr/bin/env bash
# Installs the npm packages of tests/peers/ (node-opcua, sparkplug-payload: the independent
# protocol peers the tests and the demo start; playwright-core: drives Debian's chromium in the
# console's browser test) from the npm registry, exactly as tests/peers/package-lock.json pins
# them. Does nothing when they are installed already.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
peers="$root/tests/peers"
stamp="$peers/node_modules/.strata-installed"
want=$(sha256sum "$peers/package-lock.json" | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "npm-deps: test peers present (tests/peers/node_modules)"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "npm-deps: npm is missing; run scripts/deps.sh first (it installs Node.js and npm)" >&2
  exit 1
fi
echo "npm-deps: installing the test peers into tests/peers/node_modules (npm ci)"
(cd "$peers" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" > "$stamp"
echo "npm-deps: done"
