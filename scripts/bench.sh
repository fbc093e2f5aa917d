#!/usr/bin/env bash
# Prints every benchmark figure. Needs PostgreSQL and Redis on localhost for the server benches.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p var
status=0

run() {  # title, module and args
  local title=$1; shift
  echo
  echo "== $title"
  "$PY" -m "$@" || { echo "!! $title failed"; status=1; }
}

run "Inbound receive (PostgreSQL, real server processes)" channels_app.bench_receive --json var/bench-receive.json
for module in aggregators.connector.bench aggregators.xc.bench smsc.bench smsc.bench_e2e flows.engine.bench flows.bench_start; do
  if "$PY" -c "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('$module') else 1)" 2>/dev/null; then
    run "$module" "$module"
  fi
done
exit $status
