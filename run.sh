#!/usr/bin/env bash
# Runs the whole TenantAspire stack from the AppHost and prints the dashboard login URL.
# Without a container runtime it uses local mode (the machine's postgres and redis-server), installing what is missing.
# Extra arguments go to the AppHost, e.g. ./run.sh Infrastructure=containers
set -euo pipefail
cd "$(dirname "$0")"
if ! docker info >/dev/null 2>&1; then
  scripts/ensure-local-deps.sh
fi
exec dotnet run --project AppHost --launch-profile http -- "$@"
