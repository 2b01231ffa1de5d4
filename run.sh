#!/usr/bin/env bash
# Builds dupa (and its web UI, when web/dist is missing or older than its sources) and runs it with the given
# arguments (default: --help), on a vault on the local disk; `./run.sh serve` starts a node with the web UI at /.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
web="$root/web"
if [ ! -f "$web/dist/index.html" ] || [ -n "$(find "$web/src" "$web/index.html" "$web/package.json" "$web/package-lock.json" "$web/vite.config.ts" -newer "$web/dist/index.html" -print -quit)" ]; then
  if command -v npm >/dev/null; then
    (
      cd "$web"
      if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund >&2; fi
      npm run build --silent >&2
    )
  else
    echo "run.sh: npm not found; the node will run without its web UI (needs Node.js 20+)" >&2
  fi
fi
dotnet build "$root/src/Dupa.Cli" -c Release --nologo -v quiet -clp:NoSummary >&2
if [ $# -eq 0 ]; then set -- --help; fi
exec "$root/src/Dupa.Cli/bin/Release/net10.0/dupa" "$@"
