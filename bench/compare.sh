#!/usr/bin/env bash
# D.U.P.A against restic and borg on the same corpus, in the same run (issue 8; bench/README.md).
#
#   bench/compare.sh [--scale S] [--trials N] [--data DIR] [--seed N]
#
# Per trial: a fresh corpus (bench/Dupa.Corpus, seeded), then for each tool in turn (the order rotates every
# trial) a new repository, a first put and an unchanged second put; then the change set, applied once, and for
# each tool the put of the change set, a full restore checked byte for byte with `diff -r`, and a full verify
# that reads every byte. Each step is timed by /usr/bin/time -v (wall, user + sys CPU, peak RSS), with the page
# cache dropped before it where the kernel allows. The Markdown table goes to stdout and bench/results/.
#
# It installs nothing: restic, borg, zstd and dd must be there (Debian: apt-get install restic borgbackup zstd).
set -euo pipefail

scale=1 trials=3 seed=8 data=/work/benchdata/compare
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scale) scale=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

repo_root=$(cd "$(dirname "$0")/.." && pwd)
. "$repo_root/bench/common.sh"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
missing=()
for tool in restic borg zstd dd diff dotnet /usr/bin/time; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "compare.sh: missing ${missing[*]} (Debian: apt-get install restic borgbackup zstd time)" >&2
  exit 2
fi

rm -rf "$data"
mkdir -p "$data"
# Each trial keeps its corpus and three restored trees (4 times the corpus's 1.2 GB at scale 1) until the run ends,
# and the repositories need 2 more.
require_free_gb "$(awk -v s="$scale" -v t="$trials" 'BEGIN { printf "%d", 1.2 * s * (4 * t + 2) + 1 }')" "$data" "scale $scale with $trials trials"
publish_dupa "$data/dupa-bin"
dotnet build -c Release "$repo_root/bench/Dupa.Corpus" -v q -nologo >/dev/null
corpus_tool=$repo_root/bench/Dupa.Corpus/bin/Release/net10.0/Dupa.Corpus
run=$data/run
mkdir -p "$run"
raw=$run/raw.tsv ceilings=$run/ceilings.tsv meta=$run/meta.tsv
: >"$raw"; : >"$ceilings"; : >"$meta"

export DUPA_PASSPHRASE='bench passphrase one' RESTIC_PASSWORD='bench passphrase one' BORG_PASSPHRASE='bench passphrase one'
export BORG_BASE_DIR=$data/borg-home BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
restic_cache=$data/restic-cache

# The page cache is dropped before each timed step when this process may write drop_caches (root on the host or
# a privileged container); otherwise steps after the first read the corpus from memory, which favours no tool.
if (sync && echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then
  caches="Page cache dropped before every timed step."
  drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
else
  caches="The page cache could NOT be dropped here (no permission): reads may come from memory."
  drop() { sync; }
fi

# measure TRIAL TOOL STEP DIR CMD...: runs CMD in DIR under /usr/bin/time -v; appends wall, CPU and RSS to raw.tsv.
measure() {
  local trial=$1 tool=$2 step=$3 dir=$4; shift 4
  local out=$run/$tool-$step-$trial
  drop
  if ! (cd "$dir" && /usr/bin/time -v -o "$out.time" "$@" >"$out.log" 2>&1); then
    echo "compare.sh: $tool $step failed (trial $trial):" >&2; tail -n 20 "$out.log" >&2; exit 1
  fi
  local wall cpu rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$out.time")
  cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' "$out.time")
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 / 1024 }' "$out.time")
  printf '%s\t%s\t%s_wall\t%s\n%s\t%s\t%s_cpu\t%s\n%s\t%s\t%s_rss\t%s\n' \
    "$trial" "$tool" "$step" "$wall" "$trial" "$tool" "$step" "$cpu" "$trial" "$tool" "$step" "$rss" >>"$raw"
  log "  $tool $step: ${wall} s wall, ${cpu} s CPU, ${rss} MiB peak"
  last_wall=$wall last_cpu=$cpu last_rss=$rss
}
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$raw"; }
size_of() { du -sb "$1" | cut -f1; }
mib() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.2f", b / 1048576 / s }'; }

# zstd_speed LEVEL FILE: single-thread compression speed of zstd's own benchmark, in MiB/s. Its last result
# line reads "... (x2.547),  286.0 MB/s, 1281.8 MB/s" (compression, decompression; MB = 10^6).
zstd_speed() {
  zstd -T1 -b"$1" -i3 "$2" 2>&1 | tr '\r' '\n' | grep 'MB/s,.*MB/s' | tail -n 1 | grep -o '[0-9.]* MB/s' | head -n 1 |
    awk '{ printf "%.0f", $1 * 1e6 / 1048576 }'
}

repo_of() { echo "$data/repo-$1"; }

# One tool's steps before and after the change set. Every tool stores the corpus as "corpus" relative to the
# trial's directory ($trial_dir).
first_puts() {
  local trial=$1 tool=$2 repo; repo=$(repo_of "$tool")
  rm -rf "$repo" "$restic_cache" "$BORG_BASE_DIR"
  case $tool in
    dupa) DUPA_VAULT=$repo "$dupa" init >/dev/null ;;
    restic) restic -q -r "$repo" init >/dev/null ;;
    borg) borg init -e repokey "$repo" >/dev/null 2>&1 ;;
  esac
  put "$trial" "$tool" put 1
  record "$trial" "$tool" put_mibs "$(mib "$corpus_bytes" "$last_wall")"
  record "$trial" "$tool" put_cpu_s "$last_cpu"
  record "$trial" "$tool" put_rss_mib "$last_rss"
  put "$trial" "$tool" put2 2
  record "$trial" "$tool" put2_s "$last_wall"
}

put() {
  local trial=$1 tool=$2 step=$3 n=$4 repo; repo=$(repo_of "$tool")
  case $tool in
    dupa) DUPA_VAULT=$repo measure "$trial" dupa "$step" "$trial_dir" "$dupa" put corpus ;;
    restic) measure "$trial" restic "$step" "$trial_dir" restic -q -r "$repo" --cache-dir "$restic_cache" backup corpus ;;
    borg) measure "$trial" borg "$step" "$trial_dir" borg create --compression zstd,3 "$repo::put-$n" corpus ;;
  esac
}

after_change() {
  local trial=$1 tool=$2 repo before; repo=$(repo_of "$tool")
  before=$(size_of "$repo")
  put "$trial" "$tool" change 3
  record "$trial" "$tool" change_s "$last_wall"
  if [[ $tool == dupa ]]; then
    # dupa put adds and updates but does not notice files deleted from the source (it has no mirror mode yet),
    # so the 50 deletions are recorded with dupa rm, timed apart (change_rm) and left out of change_s.
    sed 's|^|/corpus/|' "$run/deleted-$trial" | xargs env DUPA_VAULT="$repo" /usr/bin/time -f '%e' -o "$run/dupa-rm-$trial.time" "$dupa" rm >/dev/null
    record "$trial" dupa change_rm_s "$(cat "$run/dupa-rm-$trial.time")"
  fi
  record "$trial" "$tool" change_added_mb "$(awk -v a="$(size_of "$repo")" -v b="$before" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')"
  record "$trial" "$tool" stored_mb "$(awk -v a="$(size_of "$repo")" 'BEGIN { printf "%.1f", a / 1e6 }')"

  # Each tool restores into a new directory of its own, kept with the trial's corpus until the run ends (see
  # remove_at_end).
  local restore=$trial_dir/restore-$tool
  mkdir -p "$restore"
  case $tool in
    dupa) DUPA_VAULT=$repo measure "$trial" dupa restore "$restore" "$dupa" get / --to "$restore" ;;
    restic) measure "$trial" restic restore "$restore" restic -q -r "$repo" --cache-dir "$restic_cache" restore latest --target "$restore" ;;
    borg) measure "$trial" borg restore "$restore" borg extract "$repo::put-3" ;;
  esac
  record "$trial" "$tool" restore_mibs "$(mib "$changed_bytes" "$last_wall")"
  # dupa get returns once what it restored is on disk (one syncfs); restic and borg return with it still in the page
  # cache. The time until it is on disk, for every tool: the command's, then a sync's.
  local synced_from synced_s
  synced_from=$(date +%s.%N); sync
  synced_s=$(awk -v w="$last_wall" -v a="$synced_from" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", w + b - a }')
  record "$trial" "$tool" restore_synced_mibs "$(mib "$changed_bytes" "$synced_s")"
  log "  $tool restore: on disk after ${synced_s} s"
  local restored=$restore/corpus
  if ! diff -r "$corpus" "$restored" >"$run/$tool-diff-$trial" 2>&1; then
    echo "compare.sh: $tool's restore differs from the corpus (trial $trial):" >&2; head -n 20 "$run/$tool-diff-$trial" >&2; exit 1
  fi
  log "  $tool restore: identical to the corpus"

  case $tool in
    dupa) DUPA_VAULT=$repo measure "$trial" dupa verify "$trial_dir" "$dupa" verify ;;
    restic) measure "$trial" restic verify "$trial_dir" restic -q -r "$repo" --cache-dir "$restic_cache" check --read-data ;;
    borg) measure "$trial" borg verify "$trial_dir" borg check --verify-data "$repo" ;;
  esac
  record "$trial" "$tool" verify_s "$last_wall"
  if [[ $tool == dupa ]]; then DUPA_VAULT=$repo "$dupa" stats --json >"$run/dupa-stats-$trial.json"; fi
}

# Nothing large is deleted before the run ends: each trial has a directory of its own (its corpus and the three
# restored trees). On ext4 without a journal (this machine's), a file created within one to six minutes of many
# deletions makes the kernel step over every recently deleted inode (recently_deleted() in ext4's inode
# allocator): a cold restore of the corpus right after an rm -rf of 20,000 files took 3.0-3.4 s instead of
# 2.4-2.5 s, 37 % of its samples in find_inode_bit. A user restores onto a disk that has not just lost a tree of
# 20,000 files. Repositories, a few hundred files each, are still removed after each trial.
tools=(dupa restic borg)
for ((trial = 1; trial <= trials; trial++)); do
  log "trial $trial of $trials: generating the corpus (scale $scale)"
  trial_dir=$data/trial-$trial corpus=$data/trial-$trial/corpus
  mkdir -p "$trial_dir"
  "$corpus_tool" generate "$corpus" --scale "$scale" --seed "$seed"
  corpus_bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
  if [[ $trial == 1 ]]; then
    # The ceilings, once, on this corpus: the .NET steps, zstd on the text part and on random data, fsynced writes.
    log "measuring the ceilings"
    "$corpus_tool" ceilings >>"$ceilings"
    cat "$corpus"/text/* "$corpus"/logs/* >"$data/text.sample"
    head -c $((64 << 20)) "$corpus/large/media-1.bin" >"$data/random.sample"
    # Level 2 is the one D.U.P.A writes and the pipeline's ceiling uses; 1 and 3 for reference.
    for level in 1 2 3; do
      printf 'zstd -%s, text\t%s\n' "$level" "$(zstd_speed "$level" "$data/text.sample")" >>"$ceilings"
    done
    printf 'zstd -2, random\t%s\n' "$(zstd_speed 2 "$data/random.sample")" >>"$ceilings"
    dd_mib=$(awk -v s="$scale" 'BEGIN { m = int(1024 * s); print (m < 64 ? 64 : m) }')
    dd_out=$(dd if=/dev/zero of="$data/dd.out" bs=1M count="$dd_mib" oflag=direct conv=fsync 2>&1 | tail -n 1)
    printf 'sequential write + fsync\t%s\n' "$(echo "$dd_out" | awk '{ printf "%.0f", $1 / 1048576 / $(NF - 3) }')" >>"$ceilings"
    rm -f "$data/text.sample" "$data/random.sample" "$data/dd.out"
    text_bytes=$(find "$corpus" -type f \( -name '*.txt' -o -name '*.log' -o -name '*.md' -o -name '*.cs' -o -name '*.json' -o -name '*.html' -o -name '*.yaml' \) -printf '%s\n' | awk '{ s += $1 } END { print s }')
    {
      printf 'scale\t%s\ntrials\t%s\ncores\t%s\n' "$scale" "$trials" "$(nproc)"
      printf 'corpus_mib\t%s\n' "$(awk -v b="$corpus_bytes" 'BEGIN { printf "%.0f", b / 1048576 }')"
      printf 'corpus_files\t%s\n' "$(find "$corpus" -type f | wc -l)"
      printf 'text_fraction\t%s\n' "$(awk -v t="$text_bytes" -v b="$corpus_bytes" 'BEGIN { printf "%.3f", t / b }')"
      printf 'caches\t%s\n' "$caches"
      printf 'versions\tD.U.P.A %s, %s, %s, zstd %s\n' "$(git -C "$repo_root" rev-parse --short HEAD)" "$(restic version | cut -d' ' -f1-2)" "$(borg --version)" "$(zstd -V | grep -o 'v[0-9.]*' | head -n 1)"
    } >>"$meta"
  fi
  order=("${tools[@]:$(((trial - 1) % 3))}" "${tools[@]:0:$(((trial - 1) % 3))}")
  log "trial $trial: first and unchanged puts (${order[*]})"
  for tool in "${order[@]}"; do first_puts "$trial" "$tool"; done
  "$corpus_tool" change "$corpus" --seed "$seed" >"$run/deleted-$trial"
  changed_bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
  log "trial $trial: change set, restore, verify (${order[*]})"
  for tool in "${order[@]}"; do after_change "$trial" "$tool"; done
  for tool in "${tools[@]}"; do rm -rf "$(repo_of "$tool")"; done
done

mkdir -p "$repo_root/bench/results"
result=$repo_root/bench/results/compare-$(date -u +%Y%m%d-%H%M)-scale$scale.md
{
  echo "# D.U.P.A, restic and borg, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(free -g | awk '/Mem:/ { print $2 }') GiB RAM, load average $load_before before the run and $(cut -d' ' -f1-3 /proc/loadavg) after it (other work on the machine slows every tool alike). Command: \`bench/compare.sh --scale $scale --trials $trials\`."
  echo
  "$corpus_tool" report "$run"
} | tee "$result"
cp "$raw" "${result%.md}.tsv"
rm -rf "$data"/trial-* "$restic_cache" "$BORG_BASE_DIR"
log "table saved to $result"
