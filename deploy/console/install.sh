#!/usr/bin/env bash
# What the console's tests need: the npm packages the console vendors (as package-lock.json
# pins them, so a test can check the vendored copies are exactly those), and a Chromium for
# Playwright to drive (Debian's package: Playwright's own browser download is not reachable).
# Idempotent, and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")"

stamp=node_modules/.ledger-installed
fingerprint=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
  :
elif command -v npm >/dev/null; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$fingerprint" > "$stamp"
else
  echo "deploy/console: npm not found: the vendoring test needs Node.js 18 or later (it fails under CI without it)" >&2
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "deploy/console: /usr/bin/chromium is missing and apt-get needs root: the browser tests fail under CI without it" >&2
    exit 0
  fi
  echo "deploy/console: installing Debian's chromium for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >/dev/null \
    || { "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >/dev/null; }
fi
