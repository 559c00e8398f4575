#!/usr/bin/env bash
# Installs and starts what the test suite needs beyond node_modules (a PostgreSQL server, the
# code-server + Chromium toolchain for the real-editor test, ...). Each part is an idempotent script in
# scripts/setup/; a part that is already in place returns quickly.
set -euo pipefail
cd "$(dirname "$0")/.."
for part in scripts/setup/*.sh; do
  [ -e "$part" ] || continue
  echo "setup: $(basename "$part")"
  bash "$part"
done
