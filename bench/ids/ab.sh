#!/usr/bin/env bash
# bench/ids/ab.sh — same-load A/B of two vxtap binaries on the IDS bench capture: the two
# alternate, RUNS rounds (default 5), each `replay --rules --workers N` (default 2) under
# /usr/bin/time; one line per run: wall ms, user+sys s, load average, and the replay's
# order_* detection counters (FTP expectation lookups waited / let through, docs/ids.md).
#
#   bench/ids/ab.sh BEFORE_BIN AFTER_BIN [RUNS] [WORKERS]
#
# Capture and rules as bench/ids/run.sh (bench/work/ids/bench.pcap, bench/work/ids/rules.rules,
# built when missing). Outputs in bench/work/ids/ab/; the last run's eve.json of each binary
# stays there (out-a, out-b) to compare alerts.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/ids/lib.sh
[ $# -ge 2 ] || { sed -n '2,11p' "$0"; exit 2; }
A=$1 B=$2 RUNS=${3:-5} WORKERS=${4:-2}
ids_prepare
ids_bench_capture
ids_et_rules --if-missing
O=$W/ab
mkdir -p "$O"
cat "$BENCH" > /dev/null   # page cache
for ((r = 1; r <= RUNS; r++)); do
  for side in a b; do
    bin=$A; [ "$side" = b ] && bin=$B
    rm -rf "$O/out-$side"
    s=$(date +%s%N)
    /usr/bin/time -f "%U %S" -o "$O/time" "$bin" replay "$BENCH" --rules "$W/rules.rules" \
      --out "$O/out-$side" --workers "$WORKERS" -q --metrics-out "$O/m.prom"
    e=$(date +%s%N)
    echo "$side run=$r wall_ms=$(( (e - s) / 1000000 )) user_sys=$(awk '{print $1 + $2}' "$O/time")" \
         "load=$(cut -d' ' -f1 /proc/loadavg)" \
         "$(grep -E '^vxtap_detect_total\{event="order_' "$O/m.prom" | sed 's/vxtap_detect_total{event="//;s/"}//' | tr '\n' ' ')"
  done
done
