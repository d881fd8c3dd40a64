#!/usr/bin/env bash
# Makes sure local infrastructure mode can run: PostgreSQL 15 server binaries and redis-server.
# Installs what is missing with apt when it can (root, apt-get present); otherwise stops with one line saying what to install.
set -euo pipefail
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

missing=()
[[ -x "$PG_BIN/postgres" && -x "$PG_BIN/initdb" ]] || missing+=(postgresql-15)
command -v redis-server >/dev/null || missing+=(redis-server)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} (apt-get)..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # Debian starts the packaged redis service where an init system runs; local mode runs its own, so stop that one.
  if command -v service >/dev/null; then service redis-server stop >/dev/null 2>&1 || true; fi
else
  echo "missing: ${missing[*]}. Install with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
