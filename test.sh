#!/usr/bin/env bash
# Runs every test of the project: the .NET tests, then the web UI's (Vitest, and end-to-end in Debian's
# Chromium against a real node), then the CLI and end-to-end tests again against the published native executable.
# Needs the .NET SDK, Debian's libsodium23, libzstd1 and chromium, Node.js 20+, and clang or gcc for the native
# executable (without one, that part is skipped and says so).
set -euo pipefail
cd "$(dirname "$0")"
log="$(mktemp)"
vitest_json="$(mktemp)"
e2e_tap="$(mktemp)"
failures="$(mktemp)"
trap 'rm -f "$log" "$vitest_json" "$e2e_tap" "$failures"' EXIT
dotnet build Dupa.slnx -c Release --nologo -v quiet -clp:NoSummary
status=0
dotnet test Dupa.slnx -c Release --no-build --nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?

# The executable as it ships: 'dotnet publish' compiles it ahead of time (Native AOT), which needs a C toolchain
# (clang or gcc) to link. The CLI tests, and below the end-to-end tests, run once more against it.
native=""
if command -v clang >/dev/null || command -v gcc >/dev/null; then
  case "$(uname -m)" in x86_64) rid=linux-x64 ;; aarch64) rid=linux-arm64 ;; *) rid="" ;; esac
  if [ -n "$rid" ]; then
    native_dir="$(mktemp -d)"
    trap 'rm -f "$log" "$vitest_json" "$e2e_tap" "$failures"; rm -rf "$native_dir"' EXIT
    if dotnet publish src/Dupa.Cli -c Release -r "$rid" -o "$native_dir" --nologo -v quiet -clp:NoSummary; then
      native="$native_dir/dupa"
      DUPA_TEST_EXECUTABLE="$native" dotnet test tests/Dupa.Cli.Tests -c Release --no-build --nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee -a "$log" || status=$?
    else
      echo "native executable: dotnet publish failed" >&2
      echo "Failed: 1" >>"$log"; status=1
    fi
  fi
else
  echo "native executable: no clang or gcc here, so the published executable is not tested (apt-get install clang)" >&2
fi
passed=$(awk '$1 == "Passed:" {s += $2} END {print s + 0}' "$log")
failed=$(awk '$1 == "Failed:" {s += $2} END {print s + 0}' "$log")

# The web UI: component tests, then the end-to-end run against a node started by the test.
if ! command -v npm >/dev/null; then
  echo "web tests: npm not found (Node.js 20+ is needed)" >&2
  failed=$((failed + 1)); status=1
else
  (
    cd web
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
    npm run build --silent
  ) || { echo "web: install or build failed" >&2; failed=$((failed + 1)); status=1; }
  (cd web && npx vitest run --reporter=default --reporter=json --outputFile="$vitest_json") || status=$?
  read -r vp vf < <(node -e 'try { const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.numPassedTests, r.numFailedTests) } catch { console.log(0, 1) }' "$vitest_json")
  echo "vitest: $vp passed, $vf failed"
  passed=$((passed + vp)); failed=$((failed + vf)); [ "$vf" -eq 0 ] || status=1
  for executable in "" ${native:+"$native"}; do
    started=$SECONDS
    : >"$e2e_tap"
    (cd web && DUPA_TEST_EXECUTABLE="$executable" node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$e2e_tap" e2e/) || status=$?
    ep=$(awk '$1 == "#" && $2 == "pass" {print $3}' "$e2e_tap"); ef=$(awk '$1 == "#" && $2 == "fail" {print $3}' "$e2e_tap")
    ep=${ep:-0}; ef=${ef:-1}
    sed -n "s/^not ok [0-9]* - /failed: e2e${executable:+ (native executable)}: /p" "$e2e_tap" >>"$failures"
    echo "e2e${executable:+ (native executable)}: $ep passed, $ef failed in $((SECONDS - started)) s (screenshots in web/test-results/)"
    passed=$((passed + ep)); failed=$((failed + ef)); [ "$ef" -eq 0 ] || status=1
  done
fi
# The tests that failed, again at the end, where a CI log's tail shows them: each .NET test's name and the
# first lines of its message, then the end-to-end tests' names.
awk '/^ +Failed [A-Za-z]/ {n = 8; sub(/^ +Failed /, "failed: ")} /^ +Stack Trace:/ {n = 0} n > 0 {print; n--}' "$log"
cat "$failures"
echo "$passed passed, $failed failed"
exit "$status"
