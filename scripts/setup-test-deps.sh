#!/usr/bin/env bash
# Installs what the integration tests need beyond cargo: outside Parquet
# readers (pyarrow, DuckDB) for the archive round-trip tests. Idempotent.
set -euo pipefail
python3 -c 'import pyarrow, duckdb' 2>/dev/null || python3 -m pip install --quiet pyarrow duckdb
