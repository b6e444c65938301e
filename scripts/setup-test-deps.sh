#!/usr/bin/env bash
# Installs what the integration tests need beyond cargo (idempotent, fast when done).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Kafka mode tests: a Tansu broker binary (.tools/bin/tansu, or $TANSU_BIN).
scripts/tansu.sh >/dev/null
# Kafka hook example test: the Python client of examples/hook.py.
python3 -c "import confluent_kafka" 2>/dev/null || python3 -m pip install --quiet confluent-kafka
# Archive round-trip tests: outside Parquet readers (pyarrow, DuckDB).
python3 -c 'import pyarrow, duckdb' 2>/dev/null || python3 -m pip install --quiet pyarrow duckdb
