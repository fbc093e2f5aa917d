#!/usr/bin/env bash
# benchmarks/receive.py measures the receive path with wrk (a standard HTTP load generator, the
# Debian package) beside its own: install it when it is missing.
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk
