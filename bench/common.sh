# Sourced by the benchmark scripts: what they share.

log() { echo "[$(date +%T)] $*" >&2; }

# require_free_gb GB DIR WHAT: stops the script unless DIR's file system has GB gigabytes free; WHAT says for what.
require_free_gb() {
  local free
  free=$(df -P -BG "$2" | awk 'NR == 2 { sub("G", "", $4); print $4 }')
  if ((free < $1)); then
    echo "$(basename "$0"): $2 has $free GB free; $3 needs about $1 GB (--data DIR elsewhere)" >&2
    exit 2
  fi
}

# publish_dupa DIR: dupa as it ships, the native (Native AOT) executable of 'dotnet publish' (README, A single
# executable; needs clang or gcc), into DIR; not the JIT build of 'dotnet build', whose compiling was a sixth of a
# short command's CPU time and a third of a node's. Sets $dupa to it.
publish_dupa() {
  local rid
  case $(uname -m) in aarch64|arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
  if ! command -v clang >/dev/null && ! command -v gcc >/dev/null; then
    echo "publishing dupa needs clang or gcc to link the native executable (Debian: apt-get install clang)" >&2
    exit 2
  fi
  log "publishing dupa ($rid, native)"
  dotnet publish -c Release -r "$rid" "$repo_root/src/Dupa.Cli" -o "$1" -v q -nologo >/dev/null
  dupa=$1/dupa
}
