#!/usr/bin/env bash
# Runs the bundled gate with the node on PATH (a composite action gets no runner-managed Node).
# The bundle targets Node 24 and is also tested on Node 20; older versions are refused clearly.
set -euo pipefail
if ! command -v node >/dev/null 2>&1; then
  echo "::error title=Trunkline scan::Node.js 20 or newer must be on PATH (e.g. actions/setup-node)"
  exit 1
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
  echo "::error title=Trunkline scan::Node.js $major on PATH is too old; 20 or newer is needed (e.g. actions/setup-node)"
  exit 1
fi
exec node "$GITHUB_ACTION_PATH/dist/index.js"
