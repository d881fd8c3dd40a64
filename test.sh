#!/usr/bin/env bash
# Runs every test: unit, integration and end-to-end (the end-to-end fixtures boot the AppHost in local mode themselves).
#   ./test.sh           everything (CI runs this)
#   ./test.sh --fast    the pure unit tests only (no Postgres, no Redis, no stack): the inner loop, well under a minute
# Any other arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Backups").
# Every run writes Tests/TestResults/suite.trx and ends with the failed tests, the 20 slowest and the time per class.
set -euo pipefail
cd "$(dirname "$0")"
args=()
fast=false
for a in "$@"; do
  if [[ "$a" == "--fast" ]]; then fast=true; else args+=("$a"); fi
done
if $fast; then
  args=(--filter "FullyQualifiedName~TenantAspire.Tests.Unit" "${args[@]}") # before any `-- key=value` run settings
else
  scripts/ensure-local-deps.sh
  scripts/ensure-api-tools.sh
fi
results="$PWD/Tests/TestResults"
rm -f "$results/suite.trx"
status=0
dotnet test TenantAspire.sln --logger "console;verbosity=normal" --logger "trx;LogFileName=suite.trx" \
  --results-directory "$results" "${args[@]}" || status=$?
if [[ -f "$results/suite.trx" ]]; then
  python3 scripts/test-report.py "$results/suite.trx" 20 || true
fi
exit $status
