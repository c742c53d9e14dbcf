#!/usr/bin/env bash
# Debian packages that optional features need. Idempotent: installs only what is missing.
set -euo pipefail
# Packages: the arguments, else every package in system-packages.txt.
wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && mapfile -t wanted < <(grep -vE '^\s*(#|$)' "$(dirname "$0")/system-packages.txt")
need=()
for pkg in "${wanted[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing system packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
