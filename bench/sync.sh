#!/usr/bin/env bash
# Node-to-node sync: two `dupa serve` nodes and two Syncthing instances on 127.0.0.1 (issue 8; bench/README.md).
#
#   bench/sync.sh [--scale S] [--data DIR] [--seed N] [--skip-syncthing] [--skip-dupa] [--dupa EXE]
#
# --dupa EXE runs that dupa executable instead of publishing this tree's (to compare two builds in turn).
# D.U.P.A: node A holds a vault shared with node B as a replica. Timed from the start of `dupa put --remote a`
# until B holds all of A's logs and packs and reports 0 bytes behind in a sync that ended after they were stored;
# then the same for the change set (put of the changed corpus plus `dupa rm` of the deleted files). Syncthing: one
# folder shared by two instances with global and local discovery, relays, NAT traversal and usage reporting off,
# each given the other's address in its config.xml; the file-system watcher is off and A's scan is requested
# through the REST API, timed from that request until A reports B's completion at 100 %. Every copy is then
# compared with the corpus by `diff -r`. Also reported: the resident memory of an idle `dupa serve`. Prints a
# Markdown table and saves it to bench/results/.
set -euo pipefail

arguments="$*"
scale=1 seed=8 data=/work/benchdata/sync skip_syncthing=0 skip_dupa=0 dupa_exe=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scale) scale=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --skip-syncthing) skip_syncthing=1; shift ;;
    --skip-dupa) skip_dupa=1; shift ;;
    --dupa) dupa_exe=$(realpath "$2"); shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "sync.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

repo_root=$(cd "$(dirname "$0")/.." && pwd)
. "$repo_root/bench/common.sh"
for tool in curl python3 dotnet diff; do
  command -v "$tool" >/dev/null || { echo "sync.sh: missing $tool" >&2; exit 2; }
done
if [[ $skip_syncthing == 0 ]] && ! command -v syncthing >/dev/null; then
  echo "sync.sh: missing syncthing (Debian: apt-get install syncthing), or pass --skip-syncthing" >&2; exit 2
fi
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# The JIT build spent a third of each node's CPU time during the corpus sync compiling (perf: 6.7 of node A's
# 21 s, 5.1 of node B's 10 s), hence the published one (bench/common.sh).
rm -rf "$data"; mkdir -p "$data"
# Everything stays until the run ends (see Syncthing's part below): the corpus, B's replica restored and checked,
# both nodes' vaults and Syncthing's two folders, about 7 times the corpus's 1.2 GB at scale 1.
require_free_gb "$(awk -v s="$scale" 'BEGIN { printf "%d", 1.2 * s * 7 + 1 }')" "$data" "scale $scale"
if [[ -n $dupa_exe ]]; then dupa=$dupa_exe; else publish_dupa "$data/dupa-bin"; fi
dotnet build -c Release "$repo_root/bench/Dupa.Corpus" -v q -nologo >/dev/null
corpus_tool=$repo_root/bench/Dupa.Corpus/bin/Release/net10.0/Dupa.Corpus
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# Free ports, chosen once: A's and B's HTTPS and peer ports, then Syncthing's GUI and sync ports.
read -r -a ports < <(python3 -c "
import socket
socks = [socket.socket() for _ in range(8)]
for s in socks: s.bind(('127.0.0.1', 0))
print(' '.join(str(s.getsockname()[1]) for s in socks))")

results=$data/results.tsv; : >"$results"
add() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }

corpus=$data/corpus corpus_mib=?
if [[ $skip_dupa == 0 ]]; then
  log "generating the corpus (scale $scale)"
  corpus=$data/corpus
  "$corpus_tool" generate "$corpus" --scale "$scale" --seed "$seed"
  corpus_mib=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s / 1048576 }')

  # ---- D.U.P.A ----
  export DUPA_CONFIG=$data/dupa-remotes.json DUPA_ADMIN_USER=admin DUPA_ADMIN_PASSWORD='bench-admin-pass'
  export DUPA_PASSWORD='bench-admin-pass' DUPA_PASSPHRASE='bench passphrase one'
  start_node() { # NAME HTTPS_PORT PEER_PORT
    "$dupa" serve --data "$data/node-$1" --urls "https://127.0.0.1:$2" --peer-listen "127.0.0.1:$3" >"$data/node-$1.log" 2>&1 &
    pids+=($!)
    eval "pid_$1=$!"
    for _ in $(seq 120); do curl -skf "https://127.0.0.1:$2/healthz" >/dev/null && return 0; sleep 0.5; done
    echo "sync.sh: node $1 did not start:" >&2; tail -n 20 "$data/node-$1.log" >&2; exit 1
  }
  rss_mib() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
  # CPU seconds (user + system) a process has used so far, and the CLI's of each timed step (bash's time).
  ticks=$(getconf CLK_TCK)
  cpu_s() { awk -v t="$ticks" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / t }' "/proc/$1/stat"; }
  cpu_note() { # NODE_A_BEFORE NODE_B_BEFORE CLI_SECONDS
    echo "CPU: CLI $3 s, node A $(awk -v a="$(cpu_s "$pid_a")" -v b="$1" 'BEGIN { printf "%.1f", a - b }') s, node B $(awk -v a="$(cpu_s "$pid_b")" -v b="$2" 'BEGIN { printf "%.1f", a - b }') s; load $(cut -d' ' -f1 /proc/loadavg)"
  }
  TIMEFORMAT='%U %S'
  cli_cpu() { awk '{ printf "%.1f", $1 + $2 }' "$data/cli-time"; }

  log "D.U.P.A: starting nodes A and B"
  start_node a "${ports[0]}" "${ports[1]}"
  start_node b "${ports[2]}" "${ports[3]}"
  sleep 5
  add "idle dupa serve, resident memory (no vault)" "$(rss_mib "$pid_a") MiB" "A; B: $(rss_mib "$pid_b") MiB"
  "$dupa" login "https://127.0.0.1:${ports[0]}" --name a --user admin >/dev/null 2>&1
  "$dupa" login "https://127.0.0.1:${ports[2]}" --name b --user admin >/dev/null 2>&1
  id_a=$("$dupa" id --remote a) id_b=$("$dupa" id --remote b)
  "$dupa" peer add "$id_b" --address "127.0.0.1:${ports[3]}" --remote a >/dev/null
  "$dupa" peer add "$id_a" --address "127.0.0.1:${ports[1]}" --remote b >/dev/null
  "$dupa" init --remote a --vault bench >/dev/null
  "$dupa" vault share bench --peer "$id_b" --role replica --remote a >/dev/null

  # replica_stored: prints the newest modification time (epoch seconds) of B's copies of A's logs and packs once B
  # holds every one of them whole (each log as long as A's, every pack of A's), else 0.
  replica_stored() {
    python3 - "$data" <<'EOF'
import glob, os, sys
data = sys.argv[1]
owner, replica = glob.glob(data + "/node-a/vaults/*"), glob.glob(data + "/node-b/replicas/*")
latest = 0.0
try:
    for path in glob.glob(owner[0] + "/logs/*.log") + glob.glob(owner[0] + "/packs/*/*.pack"):
        copy = os.path.join(replica[0], os.path.relpath(path, owner[0]))
        if os.path.getsize(copy) != os.path.getsize(path):
            raise FileNotFoundError(copy)
        latest = max(latest, os.stat(copy).st_mtime)
except (FileNotFoundError, IndexError):
    latest = 0.0
print(f"{int(latest * 1000) / 1000:.3f}")
EOF
  }

  # wait_replica: waits until B holds all of A's logs and packs and reports 0 bytes behind in a sync that ended once
  # they were stored, then prints the time that sync ended. Waiting instead for a sync that ended after the put's
  # command exited missed a sync that finished in the milliseconds between the node's commit and the command's exit,
  # and then counted B's next heartbeat (10 s later): one small file once took 10.8 s with its put 0.8 s.
  wait_replica() {
    local deadline=$(( $(date +%s) + 3600 ))
    while (( $(date +%s) < deadline )); do
      local state stored
      state=$("$dupa" status --remote b --json | json "
  ' '.join(str(x) for r in d['replicas'] for x in (r['bytesBehind'], __import__('datetime').datetime.fromisoformat(r['lastSync']).timestamp() if r['lastSync'] else 0))" 2>/dev/null || true)
      read -r behind synced <<<"$state"
      stored=$(replica_stored)
      if [[ ${behind:-x} == 0 ]] && awk -v s="$synced" -v t="$stored" 'BEGIN { exit !(t > 0 && s >= t) }'; then
        echo "$synced"; return 0
      fi
      sleep 0.2
    done
    echo "sync.sh: B's replica did not catch up within an hour" >&2; exit 1
  }

  log "D.U.P.A: remote put of the corpus into A, until B's replica is complete"
  cpu_a=$(cpu_s "$pid_a") cpu_b=$(cpu_s "$pid_b")
  start=$(now)
  { time (cd "$data" && DUPA_VAULT=bench "$dupa" put corpus --remote a >/dev/null); } 2>"$data/cli-time"
  put_end=$(now)
  synced=$(wait_replica)
  add "D.U.P.A: corpus, put on A until B's replica is complete" "$(elapsed "$start" "$synced") s" "remote put alone $(elapsed "$start" "$put_end") s; $(cpu_note "$cpu_a" "$cpu_b" "$(cli_cpu)")"
  add "D.U.P.A: peak resident memory of node A during the put" "$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid_a/status") MiB" "VmHWM"

  "$corpus_tool" change "$corpus" --seed "$seed" >"$data/deleted"
  log "D.U.P.A: the change set (put and dupa rm of the deletions), until B's replica is complete"
  cpu_a=$(cpu_s "$pid_a") cpu_b=$(cpu_s "$pid_b")
  start=$(now)
  { time (cd "$data" && DUPA_VAULT=bench "$dupa" put corpus --remote a >/dev/null
    sed 's|^|/corpus/|' "$data/deleted" | xargs env DUPA_VAULT=bench "$dupa" rm --remote a >/dev/null); } 2>"$data/cli-time"
  put_end=$(now)
  synced=$(wait_replica)
  add "D.U.P.A: change set, put on A until B's replica is complete" "$(elapsed "$start" "$synced") s" "put + rm alone $(elapsed "$start" "$put_end") s; $(cpu_note "$cpu_a" "$cpu_b" "$(cli_cpu)")"
  # One small file changed: how long a single edit takes to reach the other node.
  one=$(find "$corpus/small" -type f -name '*.md' | sort | sed -n 1p)
  echo "one more line" >>"$one"
  start=$(now)
  (cd "$data" && DUPA_VAULT=bench "$dupa" put "corpus/${one#"$corpus"/}" --to "/$(dirname "corpus/${one#"$corpus"/}")" --remote a >/dev/null)
  put_end=$(now)
  synced=$(wait_replica)
  add "D.U.P.A: one small file changed, put on A until B's replica is complete" "$(elapsed "$start" "$synced") s" "put alone $(elapsed "$start" "$put_end") s"
  sleep 12
  add "idle dupa serve, resident memory (after the runs)" "$(rss_mib "$pid_a") MiB" "A; B: $(rss_mib "$pid_b") MiB"
  # A restarted on the same data and asked for one listing: a node holding the vault open, without what taking the
  # put left in it.
  kill "$pid_a"; wait "$pid_a" 2>/dev/null || true
  start_node a "${ports[0]}" "${ports[1]}"
  DUPA_VAULT=bench "$dupa" ls / --remote a >/dev/null
  sleep 12
  add "idle dupa serve, resident memory (restarted, holding the vault)" "$(rss_mib "$pid_a") MiB" "A after one listing"
  cleanup; pids=()
  # B's replica holds ciphertext only; opened with the passphrase (as after losing A) it must give back the
  # corpus byte for byte, so that the timed figures are of a complete and correct transfer.
  # A replica has no index (it cannot read what it would hold), so a copy of it gets one rebuilt first.
  mkdir -p "$data/check"
  cp -a "$(ls -d "$data"/node-b/replicas/* | sed -n 1p)" "$data/recovered"
  DUPA_VAULT=$data/recovered "$dupa" index rebuild >/dev/null
  DUPA_VAULT=$data/recovered "$dupa" get /corpus --to "$data/check" >/dev/null
  diff -r "$corpus" "$data/check/corpus" >/dev/null || { echo "sync.sh: B's replica differs from the corpus" >&2; exit 1; }
  log "D.U.P.A: B's replica restores the corpus byte for byte"
fi

# ---- Syncthing ----
if [[ $skip_syncthing == 0 ]]; then
  log "Syncthing: configuring two instances"
  # Nothing D.U.P.A's part made is deleted before the run ends: on ext4 without a journal (this machine's), each
  # file created within one to six minutes of many deletions makes the kernel step over every recently deleted
  # inode (recently_deleted() in ext4's inode allocator), and Syncthing's B creates 20,000 files (bench/README.md).
  key=bench-api-key-$RANDOM$RANDOM
  for n in a b; do
    syncthing generate --home="$data/st-$n" --no-default-folder >"$data/st-$n.gen" 2>&1
    mkdir -p "$data/folder-$n/.stfolder"
  done
  st_id_a=$(grep -o 'Device ID: .*' "$data/st-a.gen" | cut -d' ' -f3)
  st_id_b=$(grep -o 'Device ID: .*' "$data/st-b.gen" | cut -d' ' -f3)
  st_config() { # NAME GUI_PORT LISTEN_PORT
    cat >"$data/st-$1/config.xml" <<EOF
<configuration version="36">
    <folder id="bench" label="bench" path="$data/folder-$1" type="sendreceive" rescanIntervalS="3600" fsWatcherEnabled="false">
        <device id="$st_id_a"></device>
        <device id="$st_id_b"></device>
    </folder>
    <device id="$st_id_a" name="a"><address>tcp://127.0.0.1:${ports[5]}</address></device>
    <device id="$st_id_b" name="b"><address>tcp://127.0.0.1:${ports[7]}</address></device>
    <gui enabled="true" tls="false"><address>127.0.0.1:$2</address><apikey>$key</apikey></gui>
    <options>
        <listenAddress>tcp://127.0.0.1:$3</listenAddress>
        <globalAnnounceEnabled>false</globalAnnounceEnabled>
        <localAnnounceEnabled>false</localAnnounceEnabled>
        <relaysEnabled>false</relaysEnabled>
        <natEnabled>false</natEnabled>
        <urAccepted>-1</urAccepted>
        <startBrowser>false</startBrowser>
        <crashReportingEnabled>false</crashReportingEnabled>
        <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
        <setLowPriority>false</setLowPriority>
    </options>
</configuration>
EOF
  }
  st_config a "${ports[4]}" "${ports[5]}"
  st_config b "${ports[6]}" "${ports[7]}"
  for n in a b; do
    STNOUPGRADE=1 syncthing serve --home="$data/st-$n" --no-browser --no-restart >"$data/st-$n.log" 2>&1 &
    pids+=($!)
  done
  st() { curl -sf -H "X-API-Key: $key" "$@"; }
  gui_a=http://127.0.0.1:${ports[4]} gui_b=http://127.0.0.1:${ports[6]}
  for _ in $(seq 240); do
    st "$gui_a/rest/system/connections" 2>/dev/null | json "d['connections']['$st_id_b']['connected']" 2>/dev/null | grep -q True && break
    sleep 0.5
  done
  st "$gui_a/rest/system/connections" | json "d['connections']['$st_id_b']['connected']" | grep -q True ||
    { echo "sync.sh: the Syncthing instances did not connect" >&2; tail -n 20 "$data/st-a.log" >&2; exit 1; }

  # st_sync: asks A to scan, then waits until A sees B complete; prints the seconds from the scan request.
  st_sync() {
    local start; start=$(now)
    st -X POST "$gui_a/rest/db/scan?folder=bench" >/dev/null
    for _ in $(seq 14400); do
      if st "$gui_a/rest/db/completion?folder=bench&device=$st_id_b" | json "
d['completion'] == 100 and d['needBytes'] == 0 and d['needItems'] == 0 and d['needDeletes'] == 0" | grep -q True &&
        st "$gui_b/rest/db/status?folder=bench" | json "d['state'] == 'idle' and d['needFiles'] == 0" | grep -q True; then
        elapsed "$start" "$(now)"; return 0
      fi
      sleep 0.25
    done
    echo "sync.sh: Syncthing did not finish within an hour" >&2; exit 1
  }
  log "Syncthing: the corpus into A's folder, until B is complete"
  "$corpus_tool" generate "$data/folder-a/corpus" --scale "$scale" --seed "$seed"
  corpus_mib=$(find "$data/folder-a/corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s / 1048576 }')
  add "Syncthing: corpus, scan on A until B is complete" "$(st_sync) s" ""
  diff -r "$data/folder-a/corpus" "$data/folder-b/corpus" >/dev/null || { echo "sync.sh: Syncthing's copy differs" >&2; exit 1; }
  log "Syncthing: the change set"
  "$corpus_tool" change "$data/folder-a/corpus" --seed "$seed" >/dev/null
  add "Syncthing: change set, scan on A until B is complete" "$(st_sync) s" ""
  diff -r "$data/folder-a/corpus" "$data/folder-b/corpus" >/dev/null || { echo "sync.sh: Syncthing's copy differs after the change set" >&2; exit 1; }
  one=$(find "$data/folder-a/corpus/small" -type f -name '*.md' | sort | sed -n 1p)
  echo "one more line" >>"$one"
  add "Syncthing: one small file changed, scan on A until B is complete" "$(st_sync) s" ""
  diff -r "$data/folder-a/corpus" "$data/folder-b/corpus" >/dev/null || { echo "sync.sh: Syncthing's copy differs after one change" >&2; exit 1; }
  cleanup; pids=()
fi

mkdir -p "$repo_root/bench/results"
result=$repo_root/bench/results/sync-$(date -u +%Y%m%d-%H%M)-scale$scale.md
{
  echo "# Node-to-node sync, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end. Corpus $corpus_mib MiB (scale $scale). Command: \`bench/sync.sh $arguments\`. D.U.P.A $(git -C "$repo_root" rev-parse --short HEAD), $(syncthing --version 2>/dev/null | cut -d' ' -f1-2 || echo 'Syncthing not run')."
  echo
  echo "| figure | value | note |"
  echo "| --- | --- | --- |"
  while IFS=$'\t' read -r figure value note; do echo "| $figure | $value | $note |"; done <"$results"
} | tee "$result"
rm -rf "$data"
log "table saved to $result"
