#!/usr/bin/env bash
# Runs every test: unit, integration and end-to-end (the end-to-end fixture boots the AppHost in local mode itself).
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-local-deps.sh
scripts/ensure-api-tools.sh
dotnet test TenantAspire.sln --logger "console;verbosity=normal" "$@"
