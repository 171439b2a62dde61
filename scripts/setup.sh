#!/usr/bin/env bash
# Installs what kctl needs on a fresh Debian machine: the system SQLite library (and headers)
# that the CSQLite module map links against. Safe to run again.
set -euo pipefail
need=()
for pkg in libsqlite3-dev sqlite3; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected Swift 6 at /opt/swift/usr/bin)"; exit 1; }
