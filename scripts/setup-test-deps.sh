#!/usr/bin/env bash
# Installs what the integration tests need beyond cargo (idempotent, fast when done).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
