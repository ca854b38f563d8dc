#!/usr/bin/env bash
# bench/correlate/run.sh — `vxtap correlate` throughput and memory, with a peer:
# DuckDB running deploy/athena/correlate.sql (the same categories) on the same data.
#
#   BENCH_PCAP=/path/to/bench.pcap bench/correlate/run.sh [--runs N]
#
# Inputs (built once under bench/work/correlate/, gitignored; reused when present):
#   AWS side:   1,000,000 records from ../shared/flowlogs/gen-flowlogs.py (default format,
#               --start 1700000000 = the bench capture's start), split by prepare.py into
#               AWS's S3 layout (one gzip object per 5 minutes by `end`) and, for DuckDB,
#               one Parquet file in AWS's schema.
#   vxtap side: the records of the bench capture: `vxtap replay $BENCH_PCAP --config
#               sessions.toml --output-format both` (VNIs 1-3 mapped to three of the
#               generated interfaces). BENCH_PCAP defaults to bench/work/bench.pcap, the
#               capture bench/replay/run.sh builds (../shared/tools/make-bench-pcap, 1 GB);
#               point it at an existing one (read only) instead of building another.
# Timed (best of N, default 3, round-robin after one untimed warm-up run each):
#   vxtap correlate --flowlogs aws/ --observed observed-text/ --config sessions.toml
#   python3 duckdb_sql.py (DuckDB, all cores) over aws.parquet + observed-parquet/
# Wall = date +%s%N around the command; CPU = least user+system seconds of a run (all
# threads: the cost when the machine is shared); peak RSS = the largest "Maximum resident set
# size" of /usr/bin/time -v over the runs; records/s = (AWS + vxtap records) / wall.
# Results: the table on stdout and in bench/work/correlate/results.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
SHARED=${SHARED:-../shared}
W=${WORK:-bench/work}/correlate
BENCH_PCAP=${BENCH_PCAP:-bench/work/bench.pcap}
VXTAP=${VXTAP:-target/release/vxtap}
TIME=/usr/bin/time
[ -f "$BENCH_PCAP" ] || { echo "run.sh: $BENCH_PCAP missing: build it with bench/replay/run.sh or set BENCH_PCAP" >&2; exit 1; }
[ -x "$VXTAP" ] || { echo "run.sh: $VXTAP missing: cargo build --release" >&2; exit 1; }
[ -x "$TIME" ] || { echo "run.sh: /usr/bin/time missing (Debian package time)" >&2; exit 1; }
python3 -c 'import duckdb' || { echo "run.sh: pip install duckdb" >&2; exit 1; }
mkdir -p "$W"

if [ ! -f "$W/aws.parquet" ]; then
  python3 "$SHARED/flowlogs/gen-flowlogs.py" --lines 1000000 --start 1700000000 -o "$W/aws-1m.log.gz"
  python3 bench/correlate/prepare.py "$W/aws-1m.log.gz" "$W"
fi
if [ ! -d "$W/observed-parquet" ]; then
  rm -rf "$W/observed-text"
  "$VXTAP" replay "$BENCH_PCAP" --config "$W/sessions.toml" --output-format both --quiet --out "$W/observed-text"
  mkdir -p "$W/observed-parquet"
  find "$W/observed-text" -name '*.log.parquet' -exec mv -t "$W/observed-parquet" {} +
fi

cat > "$W/duckdb_sql.py" <<'PY'
import glob, sys, duckdb
w = sys.argv[1]
obs = sorted(glob.glob(w + "/observed-parquet/*.parquet"))
lit = "[" + ", ".join("'%s'" % f for f in obs) + "]"
con = duckdb.connect()
con.execute("CREATE VIEW vpc_flow_logs AS SELECT * FROM read_parquet('%s/aws.parquet')" % w)
con.execute("CREATE VIEW vxtap_flow_logs AS SELECT * FROM read_parquet(%s)" % lit)
rows = con.execute(open("deploy/athena/correlate.sql").read()).fetchall()
tot = {}
for c, i, r, n in rows:
    tot[c] = tot.get(c, 0) + n
print(" ".join("%s=%d" % kv for kv in sorted(tot.items())))
PY

declare -A BEST RSS OUT CPU
CMDS=(vxtap duckdb)
cmd_of() {
  case "$1" in
    vxtap) echo "$VXTAP correlate --quiet --flowlogs $W/aws --observed $W/observed-text --config $W/sessions.toml --report $W/report" ;;
    duckdb) echo "python3 $W/duckdb_sql.py $W" ;;
  esac
}
for c in "${CMDS[@]}"; do $(cmd_of "$c") > /dev/null 2>&1 || true; BEST[$c]=0; RSS[$c]=0; CPU[$c]=0; done
for run in $(seq "$RUNS"); do
  for c in "${CMDS[@]}"; do
    t0=$(date +%s%N)
    $TIME -v $(cmd_of "$c") > "$W/out-$c.txt" 2> "$W/time-$c.txt" || true
    t1=$(date +%s%N)
    ns=$((t1 - t0))
    if [ "${BEST[$c]}" = 0 ] || [ "$ns" -lt "${BEST[$c]}" ]; then BEST[$c]=$ns; fi
    kb=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$W/time-$c.txt")
    if [ "${kb:-0}" -gt "${RSS[$c]}" ]; then RSS[$c]=$kb; fi
    cpu=$(awk -F: '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$W/time-$c.txt")
    if [ "${CPU[$c]}" = 0 ] || awk "BEGIN { exit !($cpu < ${CPU[$c]}) }"; then CPU[$c]=$cpu; fi
  done
done
AWS_N=$(python3 -c "import json; s=json.load(open('$W/report/summary.json')); print(s['inputs']['aws_records'])")
OBS_N=$(python3 -c "import json; s=json.load(open('$W/report/summary.json')); print(s['inputs']['observed_records'])")
SUM=$(python3 -c "import json; s=json.load(open('$W/report/summary.json')); print(' '.join('%s=%d' % (k, s[k]) for k in ('logged_not_mirrored','matched','mirrored_not_logged','rejected')))")
PEAK=$(python3 -c "import json; s=json.load(open('$W/report/summary.json')); print(s['inputs']['peak_keys'], s['inputs']['peak_records'])")
{
  echo "| command | wall s (best of $RUNS) | records/s (AWS + vxtap) | CPU s | records per CPU-s | peak RSS MiB | categories |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  for c in "${CMDS[@]}"; do
    s=$(awk "BEGIN { printf \"%.2f\", ${BEST[$c]} / 1e9 }")
    rps=$(awk "BEGIN { printf \"%.0f\", ($AWS_N + $OBS_N) / (${BEST[$c]} / 1e9) }")
    mib=$(awk "BEGIN { printf \"%.0f\", ${RSS[$c]} / 1024 }")
    cats=$([ "$c" = vxtap ] && echo "$SUM" || head -1 "$W/out-$c.txt")
    rpc=$(awk "BEGIN { printf \"%.0f\", ($AWS_N + $OBS_N) / ${CPU[$c]} }")
    echo "| $c | $s | $rps | ${CPU[$c]} | $rpc | $mib | $cats |"
  done
  echo
  echo "AWS records: $AWS_N; vxtap records: $OBS_N; vxtap peak keys / records held: $PEAK"
  echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ //'); duckdb $(python3 -c 'import duckdb; print(duckdb.__version__)'); vxtap $(git rev-parse --short HEAD)"
} | tee "$W/results.md"
