#!/usr/bin/env bash
# `make bench`: every benchmark in one report (table + var/bench-report.json); see scripts/bench.py.
# Needs PostgreSQL and Redis on localhost for the server benches. Extra arguments go to bench.py
# (e.g. --quick, --only receive,scale).
set -uo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python scripts/bench.py "$@"
