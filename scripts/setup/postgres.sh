#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the index-confirmation tests (scalelint index), with
# HypoPG when Debian has it. Idempotent: a running server is left alone. The URL it serves is
#   postgres://postgres@127.0.0.1:${SCALELINT_PG_PORT:-54329}/postgres
# Set SCALELINT_TEST_DATABASE_URL to use a server of your own instead (then this script does nothing).
set -euo pipefail

if [ -n "${SCALELINT_TEST_DATABASE_URL:-}" ]; then
  echo "postgres: using SCALELINT_TEST_DATABASE_URL"
  exit 0
fi

PORT="${SCALELINT_PG_PORT:-54329}"
DATA="${SCALELINT_PG_DATA:-/tmp/scalelint-pg-$PORT}"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

BIN=$(pg_bin || true)
VERSION=$([ -n "$BIN" ] && basename "$(dirname "$BIN")" || echo 15)
if [ -z "$BIN" ] || ! dpkg -s "postgresql-$VERSION-hypopg" >/dev/null 2>&1; then
  echo "postgres: installing postgresql and postgresql-$VERSION-hypopg (Debian packages)"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    || ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; then
    echo "postgres: cannot install PostgreSQL (no root, or no package source); live index tests will be skipped" >&2
    exit 0
  fi
  BIN=$(pg_bin)
  VERSION=$(basename "$(dirname "$BIN")")
  # HypoPG is optional: without it, scalelint index builds real indexes in a rolled-back transaction.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$VERSION-hypopg" >/dev/null \
    || echo "postgres: postgresql-$VERSION-hypopg not available; continuing without HypoPG" >&2
fi

# initdb and postgres refuse to run as root: run them as the unprivileged postgres user.
RUN=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  RUN=(runuser -u postgres --)
fi

if "${RUN[@]}" "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  echo "postgres: already running on 127.0.0.1:$PORT"
  exit 0
fi

if [ ! -s "$DATA/PG_VERSION" ]; then
  rm -rf "$DATA"
  mkdir -p "$DATA"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
  "${RUN[@]}" "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --no-sync -E UTF8 >/dev/null
fi

# Loopback only, no Unix socket directory to own, small and fast (fsync off: the data is disposable).
"${RUN[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories='' -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
  start >/dev/null
echo "postgres: running on 127.0.0.1:$PORT (data in $DATA)"
