#!/usr/bin/env bash
# Set up and run the main job on the embedded default: `ledger serve` on 127.0.0.1:8080.
# On the first start (an empty log) it loads the demo history first; once the log holds
# events, `ledger demo --if-empty` loads nothing, so running this again never loads it twice.
# LEDGER_DEMO=0 starts with an empty ledger instead.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/bootstrap.sh
. .venv/bin/activate
if [ "${LEDGER_DEMO:-1}" != 0 ]; then
  ledger demo --if-empty
fi
exec ledger serve "$@"
