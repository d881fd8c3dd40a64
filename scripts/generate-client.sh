#!/usr/bin/env bash
# Regenerates the committed OpenAPI document (docs/openapi.json) and, from it, the C# client the tests compile and use
# (Tests/ApiClient/, Kiota, pinned in .config/dotnet-tools.json).
#   scripts/generate-client.sh                       # from artifacts/openapi.json: the live document the OpenAPI test wrote
#   scripts/generate-client.sh http://localhost:5180 # from a running stack (./run.sh)
# The OpenAPI test fails while either committed copy is stale, and says to run this.
set -euo pipefail
cd "$(dirname "$0")/.."
source="${1:-artifacts/openapi.json}"
if [[ "$source" == http* ]]; then
  mkdir -p artifacts
  # Same normalisation as the test: the server URL is the run.sh port, not whichever port this stack got.
  curl -fsS "${source%/}/openapi/v1.json" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const doc = JSON.parse(s); doc.servers = [{ url: "http://localhost:5180" }];
      process.stdout.write(JSON.stringify(doc, null, 2) + "\n"); });' > artifacts/openapi.json
  source=artifacts/openapi.json
fi
[[ "$source" -ef docs/openapi.json ]] || cp "$source" docs/openapi.json
dotnet tool restore >/dev/null
dotnet kiota generate --language CSharp --openapi docs/openapi.json --output Tests/ApiClient \
  --class-name TenantAspireClient --namespace-name TenantAspire.Tests.ApiClient \
  --clean-output --exclude-backward-compatible --log-level Warning
echo "regenerated docs/openapi.json and Tests/ApiClient/"
