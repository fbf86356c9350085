#!/usr/bin/env bash
# The official AsyncAPI parser (@asyncapi/parser), which the tests validate /asyncapi.json with,
# installed here exactly as package-lock.json pins it: idempotent, and quick when the lock file
# has not changed since the last install. Install scripts are not run (none is needed, and one
# dependency's would phone home).
set -euo pipefail
cd "$(dirname "$0")"

stamp=node_modules/.ledger-installed
fingerprint=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "deploy/asyncapi: npm not found: the AsyncAPI tests need Node.js 18 or later (they fail under CI without it)" >&2
  exit 0
fi
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$fingerprint" > "$stamp"
