#!/usr/bin/env bash
# Runs every test of runaway, Kafka integration tests included: installs what
# the tests need (a Tansu broker, Python Parquet readers and Kafka client),
# then builds and runs the whole suite. The test harness starts and stops its
# own brokers on free 127.0.0.1 ports.
#
#   scripts/test.sh            # everything (what CI runs)
#   scripts/test.sh kafka      # extra args go to the test binaries' filter
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup-test-deps.sh

# Unit tests, the one integration-test binary (decode, detect, props, ops,
# sim, archive, offline, kafka), doc tests, examples and benches compiled.
cargo test --locked --all-targets -- "$@"
cargo test --locked --doc
