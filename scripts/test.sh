#!/usr/bin/env bash
# Runs every test of runaway, Kafka integration tests included: installs what
# the tests need (a Tansu broker, Python Parquet readers and Kafka client),
# then builds and runs the whole suite. The test harness starts and stops its
# own brokers on free 127.0.0.1 ports.
#
#   scripts/test.sh            # everything (what CI runs)
#   scripts/test.sh kafka      # extra args filter the tests by name
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup-test-deps.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Unit tests and the one integration-test binary (decode, detect, pricing,
# props, ops, sim, archive, offline, kafka), with the examples built as the
# hook test runs them; then each bench once in test mode; then clippy.
status=0
cargo test --locked -- "$@" 2>&1 | tee "$log" || status=$?
if [ "$status" -eq 0 ]; then
    cargo test --locked --benches -- "$@" 2>&1 | tee -a "$log" || status=$?
fi
# Lints are part of the whole run (not of a filtered one): a new clippy
# warning or unformatted code (rustfmt.toml) fails CI like a failing test.
if [ "$status" -eq 0 ] && [ "$#" -eq 0 ]; then
    for tool in clippy rustfmt; do
        if ! cargo "${tool/rustfmt/fmt}" --version >/dev/null 2>&1; then
            rustup component add "$tool" >/dev/null 2>&1 || true
        fi
    done
    if cargo clippy --version >/dev/null 2>&1; then
        cargo clippy --locked --all-targets -- -D warnings 2>&1 | tee -a "$log" || status=$?
    else
        # Said loudly, not skipped silently: the tests above ran; only the lint did not.
        echo "NOTE: clippy is not installed and rustup could not add it: lint step NOT run" | tee -a "$log"
    fi
    if cargo fmt --version >/dev/null 2>&1; then
        if ! cargo fmt --check >/dev/null 2>&1; then
            echo "FAILED: code is not formatted; run \`cargo fmt\` ($(cargo fmt --check 2>/dev/null | grep -c "^Diff in") places differ)" | tee -a "$log"
            status=1
        fi
    else
        echo "NOTE: rustfmt is not installed and rustup could not add it: format check NOT run" | tee -a "$log"
    fi
fi
# docs/CONTRACT.md is a copy of the workspace's shared contract, for readers
# of a clone without it; where the shared one is present, the copy must match.
if [ "$#" -eq 0 ]; then
    if [ -f ../shared/CONTRACT.md ]; then
        if ! cmp -s ../shared/CONTRACT.md docs/CONTRACT.md; then
            echo "FAILED: docs/CONTRACT.md differs from ../shared/CONTRACT.md; copy the shared one over it" | tee -a "$log"
            status=1
        fi
    else
        echo "NOTE: ../shared/CONTRACT.md not present: docs/CONTRACT.md not compared with it" | tee -a "$log"
    fi
fi
passed=$(grep -Eo '^test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s += $1} END {print s + 0}')
echo
echo "summary: ${passed} passed, ${failed} failed"
exit "$status"
