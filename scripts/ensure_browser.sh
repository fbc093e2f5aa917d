#!/usr/bin/env bash
# The browser tests drive Debian's chromium through playwright (playwright's own browser
# download is not reachable here): install chromium and its driver when they are missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
