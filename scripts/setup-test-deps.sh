#!/usr/bin/env bash
# Installs what the integration tests need on a fresh machine (idempotent, fast when done).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Kafka mode tests: a Tansu broker binary (.tools/bin/tansu, or $TANSU_BIN).
scripts/tansu.sh >/dev/null
