#!/usr/bin/env bash
# Sets everything up and runs the full test suite against a real PostgreSQL that the tests start.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake --workflow --preset default
