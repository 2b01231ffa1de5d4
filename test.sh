#!/usr/bin/env bash
# Runs every test of the project. Needs the .NET SDK and Debian's libsodium23 and libzstd1.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build Dupa.slnx -c Release --nologo -v quiet
dotnet test Dupa.slnx -c Release --no-build --nologo --logger "console;verbosity=normal" "$@"
