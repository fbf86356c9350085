#!/usr/bin/env bash
# Set up and run the main job: `ledger serve` (on the embedded default, 127.0.0.1:8080).
#
# The demo history is loaded first only on the embedded default log (neither
# LEDGER_KAFKA_BOOTSTRAP nor LEDGER_DATABASE_URL set), and only while that log is empty, so a
# second start never loads it twice and a configured log (a production Kafka, say) never gets
# it. `--demo` loads it into whatever log LEDGER_* names (still only while it is empty);
# LEDGER_DEMO=0 starts empty unless --demo is given. `--demo` is this script's own; every
# other argument goes to `ledger serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=(--if-embedded)
serve_args=()
for arg in "$@"; do
  if [ "$arg" = --demo ]; then
    demo=()
  else
    serve_args+=("$arg")
  fi
done

bash deploy/bootstrap.sh
. .venv/bin/activate
if [ "${#demo[@]}" = 0 ] || [ "${LEDGER_DEMO:-1}" != 0 ]; then
  ledger demo --if-empty ${demo[@]+"${demo[@]}"}
fi
exec ledger serve ${serve_args[@]+"${serve_args[@]}"}
