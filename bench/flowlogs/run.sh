#!/usr/bin/env bash
# Flow-log reader benchmark: vxtap vs flowlogs_reader 5.0.1 on the same
# 1,000,000-record gzip object, in the same run, then thread scaling over
# several objects. Not a test: run it by hand and copy the table into
# bench/RESULTS.md (section "Flow-log reader").
#
#   bench/flowlogs/run.sh                 # from the repository root
#   SHARED=../shared RUNS=3 FILES=8 bench/flowlogs/run.sh
#   SKIP_PEER=1 bench/flowlogs/run.sh     # vxtap only (no Python peer)
#
# Needs: python3, `pip install flowlogs_reader==5.0.1` (unless SKIP_PEER=1),
# cargo. Data goes to bench/work/flowlogs/ (gitignored).
set -euo pipefail

cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
RUNS=${RUNS:-3}
FILES=${FILES:-8}
THREADS=${THREADS:-"1 2 4 8"}
WORK=bench/work/flowlogs
TREE=$WORK/one
KEYDIR=AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/22
OBJ=123456789012_vpcflowlogs_us-east-1_fl-0bench000000000000_20261122T1200Z_00000001.log.gz
MD5=5a854796c327615b7da879e15782a062

if [ ! -f "$TREE/$KEYDIR/$OBJ" ]; then
  mkdir -p "$TREE/$KEYDIR"
  python3 "$SHARED/flowlogs/gen-flowlogs.py" --lines 1000000 --seed 1 -o "$TREE/$KEYDIR/$OBJ"
fi
echo "$MD5  $TREE/$KEYDIR/$OBJ" | md5sum -c --quiet

# Several objects for thread scaling: hard links of the same object under
# distinct keys (same bytes, so every file costs the same).
MANY=$WORK/many
mkdir -p "$MANY/$KEYDIR"
for i in $(seq 1 "$FILES"); do
  f="$MANY/$KEYDIR/${OBJ/00000001/$(printf %08d "$i")}"
  [ -e "$f" ] || ln "$TREE/$KEYDIR/$OBJ" "$f"
done

cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/vxtap

# Best wall-clock seconds of RUNS runs of a command (stdout discarded).
best() {
  local best="" t0 t1 s
  for _ in $(seq 1 "$RUNS"); do
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>/dev/null || true
    t1=$(date +%s.%N)
    s=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; fi
  done
  printf '%.3f' "$best"
}
rate() { echo "$1 / $2" | bc -l | xargs printf '%.0f'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "vxtap: $($BIN --version)   commit $(git rev-parse --short HEAD)"
N=1000000

if [ -z "${SKIP_PEER:-}" ]; then
  peer_best=""
  for _ in $(seq 1 "$RUNS"); do
    line=$(python3 "$SHARED/flowlogs/bench-flowlogs-reader.py" "$TREE" 2>&1 | grep records_per_s)
    s=$(echo "$line" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
    echo "  peer run: $line"
    if [ -z "$peer_best" ] || [ "$(echo "$s < $peer_best" | bc -l)" = 1 ]; then peer_best=$s; fi
  done
  peer_rate=$(rate $N "$peer_best")
else
  peer_rate=""
fi

echo
echo "| command (1 file, 1,000,000 records, gzip) | best of $RUNS (s) | records/s | vs flowlogs_reader |"
echo "|---|---|---|---|"
if [ -n "$peer_rate" ]; then
  echo "| bench-flowlogs-reader.py (flowlogs_reader 5.0.1) | $peer_best | $peer_rate | 1× |"
fi
for mode in "--count" "--json"; do
  s=$(best "$BIN" flowlogs parse -j1 $mode "$TREE")
  r=$(rate $N "$s")
  ratio=${peer_rate:+$(echo "$r / $peer_rate" | bc -l | xargs printf '%.1f×')}
  echo "| vxtap flowlogs parse -j1 $mode | $s | $r | ${ratio:--} |"
done

for args in "--count" "--json --unordered" "--json"; do
  echo
  echo "| threads ($FILES files, ${FILES}M records, $args) | best of $RUNS (s) | records/s | speed-up |"
  echo "|---|---|---|---|"
  base=""
  for t in $THREADS; do
    # shellcheck disable=SC2086
    s=$(best "$BIN" flowlogs parse -j "$t" $args "$MANY")
    r=$(rate $((N * FILES)) "$s")
    [ -z "$base" ] && base=$r
    echo "| -j $t | $s | $r | $(echo "$r / $base" | bc -l | xargs printf '%.2f×') |"
  done
done
