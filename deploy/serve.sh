#!/usr/bin/env bash
# Set up and run the main job on the embedded default: `ledger serve` on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/bootstrap.sh
. .venv/bin/activate
exec ledger serve "$@"
