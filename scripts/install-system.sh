#!/usr/bin/env bash
# Debian packages that optional features need. Idempotent: installs only what is missing.
set -euo pipefail
need=()
for pkg in $(cat "$(dirname "$0")/system-packages.txt" | grep -vE '^\s*(#|$)'); do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing system packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
