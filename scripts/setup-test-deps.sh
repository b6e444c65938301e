#!/usr/bin/env bash
# Installs what the integration tests need beyond cargo (idempotent, fast when done).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Archive round-trip tests: outside Parquet readers (pyarrow, DuckDB).
python3 -c 'import pyarrow, duckdb' 2>/dev/null || python3 -m pip install --quiet pyarrow duckdb
