#!/usr/bin/env bash
# Time from ./run.sh to every resource healthy (warm build). tenant-api is the last to start (it waits for the worker, which waits
# for postgres, catalog and redis), so its /health turning Healthy means the whole stack is.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build AppHost -v q >/dev/null
runs="${1:-3}"
for i in $(seq "$runs"); do
  start=$(date +%s%N)
  ./run.sh Infrastructure=local >/tmp/tenantaspire-startup.log 2>&1 &
  pid=$!
  until [[ "$(curl -s --max-time 1 http://localhost:5180/health || true)" == Healthy ]]; do sleep 0.2; done
  end=$(date +%s%N)
  echo "run $i: $(( (end - start) / 1000000 )) ms to all healthy"
  kill -TERM "$pid"; wait "$pid" || true  # SIGINT is ignored by background jobs of a script
  sleep 2
done
