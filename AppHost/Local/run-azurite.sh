#!/usr/bin/env bash
# Runs Azurite's blob service (the backup store) as an Aspire executable, over HTTPS with the data folder's generated certificate
# (AZURITE_CERT/AZURITE_KEY: paths, not secrets). The account and its generated key reach Azurite through the environment
# (AZURITE_ACCOUNTS), never argv (argv is public to every local user).
set -euo pipefail
: "${AZURITE_BIN:?AZURITE_BIN is not set}" "${AZURITE_PORT:?AZURITE_PORT is not set}" "${AZURITE_DIR:?AZURITE_DIR is not set}"
: "${AZURITE_ACCOUNTS:?AZURITE_ACCOUNTS is not set}" "${AZURITE_CERT:?AZURITE_CERT is not set}" "${AZURITE_KEY:?AZURITE_KEY is not set}"
if [[ ! -x "$AZURITE_BIN" ]]; then
  echo "Azurite not found at $AZURITE_BIN: run scripts/ensure-local-deps.sh (npm install azurite@3.35.0 into .tools/azurite)" >&2
  exit 127
fi
mkdir -p "$AZURITE_DIR"
exec "$AZURITE_BIN" --blobHost 127.0.0.1 --blobPort "$AZURITE_PORT" --location "$AZURITE_DIR" \
  --cert "$AZURITE_CERT" --key "$AZURITE_KEY" --skipApiVersionCheck --loose --disableTelemetry
