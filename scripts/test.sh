#!/usr/bin/env bash
# Runs the test suite on real PostgreSQL and Redis when they answer on localhost, else on the
# embedded default (SQLite + in-process queue). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

reachable() {
  "$PY" - "$1" "$2" <<'PYEOF'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PYEOF
}

if [ -z "${DATABASE_URL:-}" ] && reachable 127.0.0.1 5432; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/flowgate"
fi
if [ -z "${REDIS_URL:-}" ] && reachable 127.0.0.1 6379; then
  export REDIS_URL="redis://127.0.0.1:6379/15"
fi
export FLOWGATE_ALLOW_PRIVATE_URLS=1
# With REDIS_URL set a run counts as production and refuses to start without SECRET_KEY: the
# suite (and every serve/worker process it starts, which inherit it) uses one random key per run.
if [ -z "${SECRET_KEY:-}" ]; then
  SECRET_KEY="test-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(40))')"
  export SECRET_KEY
fi
echo "test database: ${DATABASE_URL:-sqlite (embedded)}; queue: ${REDIS_URL:-in-process}"
exec "$PY" -m pytest "$@"
