#!/usr/bin/env bash
# Is a put's memory flat in the size of its input? (issue 8: a 10 GiB put uses no more than a 1 GiB put does.)
#
#   bench/flat-memory.sh [--sizes "1 10"] [--trials 3] [--data DIR]
#
# For each size S (GiB) it writes S files of 1 GiB (a third text from the corpus tool's prose, the rest random
# bytes, so zstd has work to do), puts them into a new vault under /usr/bin/time -v, with the default Argon2id
# (64 MiB) and with --kdf-memory 8, each --trials times alternating, and prints the median peak RSS of each with
# its range (one run's peak moves by several MiB with what the threads happen to hold at the same moment). The second figure is the put's
# own memory without the key derivation's 64 MiB, which every command pays once at unlock and frees at once.
# Needs about 2 x S GiB free under --data (the source and a vault), and a while: about a minute per GiB on two
# busy cores. Not part of ./test.sh.
set -euo pipefail

sizes="1 10" trials=3 data=/work/benchdata/flat-memory
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "flat-memory.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

repo_root=$(cd "$(dirname "$0")/.." && pwd)
. "$repo_root/bench/common.sh"
publish_dupa "$data/dupa-bin"
export DUPA_PASSPHRASE='bench passphrase one'

largest=0
for size in $sizes; do (( size > largest )) && largest=$size; done
need_kib=$(( (2 * largest + 1) * 1024 * 1024 ))
mkdir -p "$data"
free_kib=$(df -Pk "$data" | awk 'NR == 2 { print $4 }')
if (( free_kib < need_kib )); then
  echo "flat-memory.sh: $(( need_kib / 1048576 )) GiB needed under $data, $(( free_kib / 1048576 )) GiB free" >&2
  exit 2
fi

# One 1 GiB file: 341 MiB of generated text lines (zstd shrinks them several times), then 683 MiB of random bytes.
one_gib() {
  local out=$1 seed=$2
  {
    { awk -v seed="$seed" 'BEGIN { srand(seed); for (i = 0; i < 7000000; i++) printf "%d the quick brown fox %d jumps over %d lazy dogs\n", i, int(rand() * 1e6), i % 977 }' | head -c $((341 << 20)); } || true
    head -c $((683 << 20)) /dev/urandom
  } >"$out"
}

# "median (min–max)" of numbers, one per line.
summary() {
  sort -n | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; if (NR == 1) printf "%g", m; else printf "%g (%g–%g)", m, v[1], v[NR] }'
}

printf '| input | peak RSS, default Argon2id (MiB) | peak RSS, --kdf-memory 8 (MiB) | put wall time, default (s) |\n| --- | --- | --- | --- |\n'
for size in $sizes; do
  rm -rf "$data/source"; mkdir -p "$data/source"
  for ((i = 0; i < size; i++)); do one_gib "$data/source/part-$i.bin" "$i"; done
  : >"$data/rss-default"; : >"$data/rss-8"; : >"$data/wall"
  for ((trial = 1; trial <= trials; trial++)); do
    for kdf in default 8; do
      rm -rf "$data/vault"
      if [[ $kdf == default ]]; then DUPA_VAULT=$data/vault "$dupa" init >/dev/null; else DUPA_VAULT=$data/vault "$dupa" init --kdf-memory "$kdf" >/dev/null; fi
      sync; (echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null || true
      DUPA_VAULT=$data/vault /usr/bin/time -v -o "$data/time" "$dupa" put "$data/source" >/dev/null
      awk -F': ' '/Maximum resident set size/ { printf "%.0f\n", $2 / 1024 }' "$data/time" >>"$data/rss-$kdf"
      if [[ $kdf == default ]]; then
        awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$data/time" >>"$data/wall"
      fi
    done
  done
  echo "| $size GiB | $(summary <"$data/rss-default") | $(summary <"$data/rss-8") | $(summary <"$data/wall") |"
done
rm -rf "$data/source" "$data/vault" "$data/time" "$data/rss-default" "$data/rss-8" "$data/wall"
