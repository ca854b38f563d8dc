#!/usr/bin/env bash
# Flow-log reader benchmark: vxtap vs flowlogs_reader 5.0.1 on the same
# 1,000,000-record gzip object, in the same run, then thread scaling over
# several objects. Not a test: run it by hand and copy the tables into
# bench/RESULTS.md (section "Flow-log reader").
#
#   bench/flowlogs/run.sh                 # from the repository root
#   SHARED=../shared RUNS=3 FILES=8 bench/flowlogs/run.sh
#   SKIP_PEER=1 bench/flowlogs/run.sh     # vxtap only (no Python peer)
#   SKIP_SCALING=1 bench/flowlogs/run.sh  # one object only
#   SCALE_RUNS=1 bench/flowlogs/run.sh    # one run per thread count
#   REORDER="16M 64M 256M" OLD=old/vxtap SKIP_SINGLE=1 bench/flowlogs/run.sh
#                                         # file-order buffer sizes; A/B against another build
#   FEATURES=isal bench/flowlogs/run.sh   # the opt-in ISA-L inflater (needs nasm, autotools)
#   PARQUET=1 bench/flowlogs/run.sh       # also the same records as a Parquet object (needs pyarrow)
#
# Needs: python3, `pip install flowlogs_reader==5.0.1` (unless SKIP_PEER=1),
# cargo, GNU time (/usr/bin/time), taskset, zcat, bc. Data goes to
# bench/work/flowlogs/ (gitignored).
#
# Every command is run RUNS times, alternating peer and vxtap rounds so that
# both see the same machine load (printed before each round); the tables
# give the median wall time and the median CPU time (user+sys) of each, and
# the ratios of those medians. The scaling tables run SCALE_RUNS times
# (default RUNS) and give the median wall.
set -euo pipefail

cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
RUNS=${RUNS:-3}
FILES=${FILES:-8}
THREADS=${THREADS:-"1 2 4"}
SCALE_RUNS=${SCALE_RUNS:-$RUNS}
WORK=bench/work/flowlogs
TREE=$WORK/one
KEYDIR=AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/22
OBJ=123456789012_vpcflowlogs_us-east-1_fl-0bench000000000000_20261122T1200Z_00000001.log.gz
MD5=5a854796c327615b7da879e15782a062
N=1000000

if [ ! -f "$TREE/$KEYDIR/$OBJ" ]; then
  mkdir -p "$TREE/$KEYDIR"
  python3 "$SHARED/flowlogs/gen-flowlogs.py" --lines 1000000 --seed 1 -o "$TREE/$KEYDIR/$OBJ"
fi
echo "$MD5  $TREE/$KEYDIR/$OBJ" | md5sum -c --quiet
GZ="$TREE/$KEYDIR/$OBJ"
# The same records uncompressed (shows the parse cost without inflate).
PLAIN=$WORK/plain/one.log
if [ ! -f "$PLAIN" ]; then
  mkdir -p "$WORK/plain"
  zcat "$GZ" >"$PLAIN"
fi
# PARQUET=1: the same records as a Parquet object in AWS's schema (Gzip
# inside, as AWS delivers Parquet), under the same kind of key.
PQTREE=$WORK/parquet
PQ="$PQTREE/$KEYDIR/${OBJ%.gz}.parquet"
if [ -n "${PARQUET:-}" ] && [ ! -f "$PQ" ]; then
  mkdir -p "$PQTREE/$KEYDIR"
  python3 bench/flowlogs/to-parquet.py "$PLAIN" "$PQ"
fi
GZ_MB=$(stat -c %s "$GZ" | awk '{printf "%.1f", $1 / 1e6}')
TEXT_MB=$(stat -c %s "$PLAIN" | awk '{printf "%.1f", $1 / 1e6}')

# Several objects for thread scaling: hard links of the same object under
# distinct keys (same bytes, so every file costs the same).
MANY=$WORK/many
mkdir -p "$MANY/$KEYDIR"
for i in $(seq 1 "$FILES"); do
  f="$MANY/$KEYDIR/${OBJ/00000001/$(printf %08d "$i")}"
  [ -e "$f" ] || ln "$GZ" "$f"
done

# FEATURES=isal measures the opt-in ISA-L inflater (needs nasm, autotools).
cargo build --release --quiet ${FEATURES:+--features "$FEATURES"}
BIN=${CARGO_TARGET_DIR:-target}/release/vxtap

# One run of a command (stdout discarded): "wall cpu rss_kb".
once() {
  local t
  t=$(mktemp)
  /usr/bin/time -f "%e %U %S %M" -o "$t" "$@" >/dev/null 2>/dev/null || true
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$t"
  rm -f "$t"
}

# keep NAME < "wall cpu rss": records one run of NAME; WALL/CPU hold the
# medians so far (of wall and of CPU time, each on its own), RSS the largest.
declare -A WALLS CPUS WALL CPU RSS
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
keep() {
  local name=$1 wall cpu rss
  read -r wall cpu rss
  WALLS[$name]+="$wall "
  CPUS[$name]+="$cpu "
  WALL[$name]=$(echo "${WALLS[$name]}" | median)
  CPU[$name]=$(echo "${CPUS[$name]}" | median)
  if [ -z "${RSS[$name]:-}" ] || [ "$rss" -gt "${RSS[$name]}" ]; then RSS[$name]=$rss; fi
}
rate() { echo "$1 / $2" | bc -l | xargs printf '%.0f'; }

# peer_once NAME TREE ROUND: one run of the peer on TREE, kept as NAME
# (nothing kept if it fails): the peer's own timing of its record loop
# (what it reports), its process CPU time and peak RSS.
peer_once() {
  local name=$1 tree=$2 round=$3 t line s
  t=$(mktemp)
  /usr/bin/time -f "%U %S %M" -o "$t" python3 "$SHARED/flowlogs/bench-flowlogs-reader.py" "$tree" 2>"$t.err" >/dev/null || true
  line=$(grep records_per_s "$t.err" || echo "failed: $(tail -1 "$t.err")")
  echo "  $name run $round: $line"
  s=$(echo "$line" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
  if [ -n "$s" ]; then
    keep "$name" < <(awk -v s="$s" '{printf "%s %.2f %s\n", s, $1 + $2, $3}' "$t")
  fi
  rm -f "$t" "$t.err"
}
mbs() { echo "$1 / $2" | bc -l | xargs printf '%.0f'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "vxtap: $($BIN --version)   commit $(git rev-parse --short HEAD)"
echo "OBJECT=$GZ"
echo "input: $GZ_MB MB gzip, $TEXT_MB MB text, $N records; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# Single object (skipped with SKIP_SINGLE=1): peer and vxtap alternate, RUNS rounds.
if [ -z "${SKIP_SINGLE:-}" ]; then
  COMMANDS=(
    "count|$BIN flowlogs parse -j1 --count $TREE"
    "json|$BIN flowlogs parse -j1 --json $TREE"
    "json-source|$BIN flowlogs parse -j1 --json --source-fields $TREE"
    "stats|$BIN flowlogs stats -j1 $TREE"
    "count-1core|taskset -c 0 $BIN flowlogs parse -j1 --count $TREE"
    "json-1core|taskset -c 0 $BIN flowlogs parse -j1 --json $TREE"
    "json-source-1core|taskset -c 0 $BIN flowlogs parse -j1 --json --source-fields $TREE"
    "count-text|$BIN flowlogs parse -j1 --count $PLAIN"
    "zcat|sh -c \"zcat $GZ | wc -l\""
  )
  PQ_COMMANDS=()
  if [ -n "${PARQUET:-}" ]; then
    PQ_COMMANDS=(
      "parquet-json|$BIN flowlogs parse -j1 --json $PQTREE"
      "parquet-count|$BIN flowlogs parse -j1 --count $PQTREE"
      "parquet-json-1core|taskset -c 0 $BIN flowlogs parse -j1 --json $PQTREE"
    )
  fi
  for round in $(seq 1 "$RUNS"); do
    echo "  round $round: load $(cut -d' ' -f1-3 /proc/loadavg)"
    if [ -z "${SKIP_PEER:-}" ]; then
      peer_once peer "$TREE" "$round"
      # The gzip object is the benchmark: no peer, no table.
      [ -n "${WALL[peer]:-}" ] || { echo "the peer failed on $TREE" >&2; exit 1; }
      if [ -n "${PARQUET:-}" ]; then peer_once peer-parquet "$PQTREE" "$round"; fi
    fi
    for c in "${COMMANDS[@]}" "${PQ_COMMANDS[@]}"; do
      name=${c%%|*}
      # shellcheck disable=SC2086
      keep "$name" < <(eval "once ${c#*|}")
    done
  done
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

  echo
  echo "| command (1 object, $N records, $GZ_MB MB gzip / $TEXT_MB MB text) | median wall (s) | median CPU (s) | records/s | text MB/s | peak RSS | vs flowlogs_reader (wall) | (CPU) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  peer_rate=""
  if [ -n "${WALL[peer]:-}" ]; then
    peer_rate=$(rate $N "${WALL[peer]}")
    echo "| \`python3 $SHARED/flowlogs/bench-flowlogs-reader.py $TREE\` | ${WALL[peer]} | ${CPU[peer]} | $peer_rate | $(mbs "$TEXT_MB" "${WALL[peer]}") | $((RSS[peer] / 1024)) MB | 1× | 1× |"
  fi
  for c in "${COMMANDS[@]}"; do
    name=${c%%|*}
    r=$(rate $N "${WALL[$name]}")
    ratio=${peer_rate:+$(echo "$r / $peer_rate" | bc -l | xargs printf '%.1f×')}
    cpu_ratio=${peer_rate:+$(echo "${CPU[peer]} / ${CPU[$name]}" | bc -l | xargs printf '%.1f×')}
    cmd=${c#*|}
    cmd=${cmd//$GZ/\$OBJECT}
    echo "| \`${cmd//$BIN/vxtap}\` | ${WALL[$name]} | ${CPU[$name]} | $r | $(mbs "$TEXT_MB" "${WALL[$name]}") | $((RSS[$name] / 1024)) MB | ${ratio:--} | ${cpu_ratio:--} |"
  done
  if [ -n "${PARQUET:-}" ]; then
    PQ_MB=$(stat -c %s "$PQ" | awk '{printf "%.1f", $1 / 1e6}')
    echo
    echo "| command (the same records as 1 Parquet object, $PQ_MB MB) | median wall (s) | median CPU (s) | records/s | peak RSS | vs flowlogs_reader on it (wall) | (CPU) |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    pq_rate=""
    if [ -n "${WALL[peer-parquet]:-}" ]; then
      pq_rate=$(rate $N "${WALL[peer-parquet]}")
      echo "| \`python3 $SHARED/flowlogs/bench-flowlogs-reader.py $PQTREE\` | ${WALL[peer-parquet]} | ${CPU[peer-parquet]} | $pq_rate | $((RSS[peer-parquet] / 1024)) MB | 1× | 1× |"
    fi
    for c in "${PQ_COMMANDS[@]}"; do
      name=${c%%|*}
      r=$(rate $N "${WALL[$name]}")
      ratio=${pq_rate:+$(echo "$r / $pq_rate" | bc -l | xargs printf '%.1f×')}
      cpu_ratio=${pq_rate:+$(echo "${CPU[peer-parquet]} / ${CPU[$name]}" | bc -l | xargs printf '%.1f×')}
      cmd=${c#*|}
      echo "| \`${cmd//$BIN/vxtap}\` | ${WALL[$name]} | ${CPU[$name]} | $r | $((RSS[$name] / 1024)) MB | ${ratio:--} | ${cpu_ratio:--} |"
    done
  fi
fi

[ -n "${SKIP_SCALING:-}" ] && exit 0
# Many small objects too (the usual 5-minute S3 objects are KB to MB):
# SMALL_FILES objects of 5,000 records, seeds 1001, 1002, …
SMALL_FILES=${SMALL_FILES:-200}
SMALL=$WORK/small
mkdir -p "$SMALL/$KEYDIR"
for i in $(seq 1 "$SMALL_FILES"); do
  f="$SMALL/$KEYDIR/123456789012_vpcflowlogs_us-east-1_fl-0small000000000000_20261122T1200Z_$(printf %08d "$i").log.gz"
  [ -e "$f" ] || python3 "$SHARED/flowlogs/gen-flowlogs.py" --lines 5000 --seed $((1000 + i)) -o "$f"
done

# scale DIR RECORDS LABEL: one table per parse mode, one row per thread
# count. REORDER lists the --reorder-buffer sizes of the file-order rows;
# OLD=path/to/vxtap runs that build alternately with this one (same load;
# it gets no --reorder-buffer) and adds its columns.
REORDER=${REORDER:-64M}
scale() {
  local dir=$1 records=$2 label=$3 args old_args t base r loads
  local modes=("--count" "--json --unordered")
  for b in $REORDER; do modes+=("--json --reorder-buffer $b"); done
  for args in "${modes[@]}"; do
    old_args=${args% --reorder-buffer *}
    echo
    echo "| threads ($label, parse $args) | median wall (s) | records/s | speed-up | peak RSS |${OLD:+ old build ($old_args): median wall (s) | new vs old |} load |"
    echo "|---|---:|---:|---:|---:|${OLD:+---:|---:|}---|"
    base=""
    for t in $THREADS; do
      unset 'WALLS[scale]' 'CPUS[scale]' 'WALL[scale]' 'CPU[scale]' 'RSS[scale]'
      unset 'WALLS[old]' 'CPUS[old]' 'WALL[old]' 'CPU[old]' 'RSS[old]'
      loads=""
      for _ in $(seq 1 "$SCALE_RUNS"); do
        loads+="$(cut -d' ' -f1 /proc/loadavg) "
        if [ -n "${OLD:-}" ]; then
          # shellcheck disable=SC2086
          keep old < <(once "$OLD" flowlogs parse -j "$t" $old_args "$dir")
        fi
        # shellcheck disable=SC2086
        keep scale < <(once "$BIN" flowlogs parse -j "$t" $args "$dir")
      done
      r=$(rate "$records" "${WALL[scale]}")
      [ -z "$base" ] && base=$r
      local vs=""
      [ -n "${OLD:-}" ] && vs=" ${WALL[old]} | $(echo "${WALL[old]} / ${WALL[scale]}" | bc -l | xargs printf '%.2f×') |"
      echo "| -j $t | ${WALL[scale]} | $r | $(echo "$r / $base" | bc -l | xargs printf '%.2f×') | $((RSS[scale] / 1024)) MB |$vs ${loads% } |"
    done
  done
}
scale "$MANY" $((N * FILES)) "$FILES objects, $((N * FILES / 1000000))M records"
scale "$SMALL" $((5000 * SMALL_FILES)) "$SMALL_FILES objects of 5,000 records"
echo "load after scaling: $(cut -d' ' -f1-3 /proc/loadavg)"
