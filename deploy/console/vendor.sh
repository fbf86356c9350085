#!/usr/bin/env bash
# Copy the browser libraries the console serves out of node_modules (as package-lock.json pins
# them) into src/ledger/console, byte for byte, as vendored.tsv lists them. Run it after
# changing a version in package.json (then `npm install` to update the lock); the tests check
# that the vendored copies equal the pinned packages.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
target=../../src/ledger/console
grep -v '^#' vendored.tsv | while IFS=$'\t' read -r source dest; do
  mkdir -p "$(dirname "$target/$dest")"
  cp "node_modules/$source" "$target/$dest"
done
