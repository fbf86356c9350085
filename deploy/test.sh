#!/usr/bin/env bash
# The whole test suite, set-up included: lint, types, then pytest against real Kafka and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/bootstrap.sh dev
. .venv/bin/activate
python deploy/kafka/localkafka.py fetch   # Kafka jars from Maven Central, cached after the first run
python -c "from bench.loadgen import ensure_vegeta; ensure_vegeta()"   # the load generator, built once
bash deploy/prometheus/promtool --install   # Prometheus's rule checker, built once, for the alert tests

echo "== ruff"
ruff check .
echo "== mypy --strict"
mypy
echo "== pytest"
# Two workers by default (LEDGER_TEST_WORKERS=0 runs in this one process): each starts its own
# broker and PostgreSQL and takes whole files, so a module's fixtures stay in one process.
pytest -n "${LEDGER_TEST_WORKERS:-2}" --dist loadfile "$@"
