#!/usr/bin/env bash
# The UCP/EMI and CIMD2 interop tests use Debian's Kannel (bearerbox + smsbox) as an independent
# client of both protocols: install it when missing. A failure here is tolerated by `make test`;
# the interop tests then skip with the reason printed.
set -euo pipefail
if [ -x /usr/sbin/bearerbox ] || command -v bearerbox >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends kannel
