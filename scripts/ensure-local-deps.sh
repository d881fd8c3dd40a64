#!/usr/bin/env bash
# Makes sure local infrastructure mode can run: PostgreSQL 15 server binaries, redis-server, pgbackrest (WAL archiving) and Azurite
# (the backup store).
# Installs what is missing with apt when it can (root, apt-get present); otherwise stops with one line saying what to install.
# Azurite comes from npm into .tools/azurite (git-ignored): 3.35.0 is the newest release that runs on Node.js 20.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
AZURITE_VERSION=3.35.0
if [[ ! -x .tools/azurite/node_modules/.bin/azurite-blob ]] || [[ "$(cat .tools/azurite/version 2>/dev/null)" != "$AZURITE_VERSION" ]]; then
  command -v npm >/dev/null || { echo "npm not found: install Node.js 20 (apt-get install -y nodejs npm)" >&2; exit 1; }
  echo "installing azurite@$AZURITE_VERSION into .tools/azurite (npm)..."
  mkdir -p .tools/azurite
  npm install --prefix .tools/azurite --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >/dev/null
  echo "$AZURITE_VERSION" > .tools/azurite/version
fi

missing=()
[[ -x "$PG_BIN/postgres" && -x "$PG_BIN/initdb" ]] || missing+=(postgresql-15)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v pgbackrest >/dev/null || missing+=(pgbackrest) # continuous WAL archiving and point-in-time restore
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
