#!/usr/bin/env bash
# Runs every test of the project. Needs the .NET SDK and Debian's libsodium23 and libzstd1.
set -euo pipefail
cd "$(dirname "$0")"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet build Dupa.slnx -c Release --nologo -v quiet -clp:NoSummary
status=0
dotnet test Dupa.slnx -c Release --no-build --nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?
passed=$(awk '$1 == "Passed:" {s += $2} END {print s + 0}' "$log")
failed=$(awk '$1 == "Failed:" {s += $2} END {print s + 0}' "$log")
echo "$passed passed, $failed failed"
exit "$status"
