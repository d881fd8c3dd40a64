#!/usr/bin/env bash
# Runs the machine's redis-server as an Aspire executable. The password goes in through stdin config, not argv (argv is public).
set -euo pipefail
: "${REDIS_PORT:?REDIS_PORT is not set}" "${REDIS_DIR:?REDIS_DIR is not set}" "${REDIS_PASSWORD:?REDIS_PASSWORD is not set}"
if ! command -v redis-server >/dev/null; then
  echo "redis-server not found: install it (apt-get install -y redis-server)" >&2
  exit 127
fi
mkdir -p "$REDIS_DIR"
exec redis-server - --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --appendonly yes --save "" --loglevel notice \
  <<<"requirepass $REDIS_PASSWORD"
