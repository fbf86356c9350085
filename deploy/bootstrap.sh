#!/usr/bin/env bash
# Set up the project's virtual environment: idempotent, and quick when nothing changed.
# Usage: deploy/bootstrap.sh [dev]   (dev also installs the test and lint tools)
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
want="${1:-runtime}"
stamp="$venv/.ledger-installed-$want"
fingerprint=$(sha256sum pyproject.toml | cut -d' ' -f1)

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ "$want" = dev ]; then
  bash deploy/asyncapi/install.sh   # the AsyncAPI parser the tests check /asyncapi.json with
  bash deploy/console/install.sh    # the console's vendored packages, and Chromium for its tests
fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
  exit 0
fi
dev_stamp="$venv/.ledger-installed-dev"  # a dev install holds the runtime one
if [ "$want" = runtime ] && [ -f "$dev_stamp" ] && [ "$(cat "$dev_stamp")" = "$fingerprint" ]; then
  exit 0
fi
# pip >= 25.1 reads PEP 735 dependency groups (--group).
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip>=25.1"
if [ "$want" = dev ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e . --group dev
else
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e .
fi
echo "$fingerprint" > "$stamp"
