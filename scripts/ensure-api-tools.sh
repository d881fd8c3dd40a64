#!/usr/bin/env bash
# The API tooling the tests use, pinned: Redocly CLI (OpenAPI lint, npm, into .tools/, git-ignored) and Kiota (client generator,
# a dotnet local tool from .config/dotnet-tools.json). Idempotent; quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
REDOCLY_VERSION=2.77.0
if [[ ! -x .tools/redocly/node_modules/.bin/redocly ]] \
   || [[ "$(cat .tools/redocly/version 2>/dev/null)" != "$REDOCLY_VERSION" ]]; then
  command -v npm >/dev/null || { echo "npm not found: install Node.js 20.19+ (apt-get install -y nodejs npm)" >&2; exit 1; }
  echo "installing @redocly/cli@$REDOCLY_VERSION into .tools/redocly (npm)..."
  mkdir -p .tools/redocly
  npm install --prefix .tools/redocly --no-audit --no-fund --loglevel=error "@redocly/cli@$REDOCLY_VERSION" >/dev/null
  echo "$REDOCLY_VERSION" > .tools/redocly/version
fi
dotnet tool restore >/dev/null
