#!/usr/bin/env bash
# Sets everything up and generates the example app's dev dump on the embedded PostgreSQL:
# dumps/dev-seeded-latest.dump and its metadata.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake --preset default >/dev/null
cmake --build --preset default --target generate-dump
