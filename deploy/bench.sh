#!/usr/bin/env bash
# Set up, then run the benchmark: `python -m bench` with its arguments (see README, "Benchmarks").
#   bash deploy/bench.sh                      # every figure, 3 runs each, ~20 minutes
#   bash deploy/bench.sh --scale smoke        # every figure on a tiny load, under a minute
#   bash deploy/bench.sh --only writer,peer   # some figures
# It starts its own Kafka broker (deploy/kafka) and embedded PostgreSQL (or LEDGER_DATABASE_URL),
# builds vegeta from the Go module proxy once, and writes bench-results.json.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/bootstrap.sh dev
. .venv/bin/activate
python deploy/kafka/localkafka.py fetch
python -c "from bench.loadgen import ensure_vegeta; ensure_vegeta()"
exec python -m bench "$@"
