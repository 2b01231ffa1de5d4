#!/usr/bin/env bash
# Builds dupa and runs it with the given arguments (default: --help), on a vault on the local disk.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
dotnet build "$root/src/Dupa.Cli" -c Release --nologo -v quiet -clp:NoSummary >&2
if [ $# -eq 0 ]; then set -- --help; fi
exec "$root/src/Dupa.Cli/bin/Release/net10.0/dupa" "$@"
