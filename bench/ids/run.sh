#!/usr/bin/env bash
# bench/ids/run.sh — IDS replay: vxtap against Suricata 7.0.10, same capture, same rules, one run.
#
#   bench/ids/run.sh                # best of 3 per command (RUNS=N or --runs N)
#   bench/ids/run.sh --size 300M    # size of the benchmark capture when it is built [300M]
#   bench/ids/run.sh --build        # cargo build --release first
#
# Rules: the ET Open rules vxtap enforces completely (`vxtap rules check ../shared/rules/et-open
# --write-loaded`), so both engines run exactly the same rule set. Capture: a VXLAN mirror capture
# from ../shared/tools/make-bench-pcap (bench/work/ids/bench.pcap, gitignored, built once).
# Rows: vxtap replay --rules (one worker, and the default workers) writing flow logs and
# eve.json; suricata -r --runmode single -k none (one packet thread) and --runmode autofp
# (default threads) writing eve.json. Wall = best of N around the command; CPU = least
# user+system over the N runs (all threads): packets per CPU-second is the per-core cost,
# meaningful also when other work shares the machine. Alerts: eve.json alert events of the
# last run; the per-sid comparison of vxtap's and Suricata's alerts is printed too.
set -euo pipefail
cd "$(dirname "$0")/../.."

. bench/ids/lib.sh
RUNS=${RUNS:-3}
while [ $# -gt 0 ]; do
  ids_opt "$@"
  if [ "$OPT_WORDS" -gt 0 ]; then shift "$OPT_WORDS"; continue; fi
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
ids_prepare
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing (apt-get install time)" >&2; exit 2; }

ids_bench_capture
SIZE=$(cat "$W/bench.size" 2>/dev/null || echo "$SIZE")
PKTS=$(capinfos -c -M "$BENCH" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
ids_et_rules
cp "$ET/classification.config" "$W/classification.config"
NRULES=$(grep -c '^alert\|^pass\|^drop\|^reject' "$W/rules.rules" || true)
SURI=(-c /etc/suricata/suricata.yaml -k none -S "$W/rules.rules"
      --set "classification-file=$W/classification.config"
      --set "reference-config-file=$SHARED/rules/suricata/reference.config")
CORES=$(nproc)

declare -a NAMES CMDS EVES
add() { NAMES+=("$1"); CMDS+=("$2"); EVES+=("$3"); }
add "vxtap replay --rules, 1 worker" "rm -rf $W/vx1 && $VX replay $BENCH --rules $W/rules.rules --out $W/vx1 --workers 1 -q" "$W/vx1/eve.json"
add "vxtap replay --rules, $CORES workers" "rm -rf $W/vxn && $VX replay $BENCH --rules $W/rules.rules --out $W/vxn -q" "$W/vxn/eve.json"
add "suricata --runmode single" "rm -rf $W/s1 && mkdir -p $W/s1 && suricata -r $BENCH --runmode single ${SURI[*]} -l $W/s1" "$W/s1/eve.json"
add "suricata --runmode autofp" "rm -rf $W/sa && mkdir -p $W/sa && suricata -r $BENCH --runmode autofp ${SURI[*]} -l $W/sa" "$W/sa/eve.json"

cat "$BENCH" > /dev/null   # page cache
declare -A BEST CPU RSS
for ((r = 1; r <= RUNS; r++)); do
  for i in "${!CMDS[@]}"; do
    s=$(date +%s%N)
    /usr/bin/time -v -o "$W/time.$i" bash -c "${CMDS[$i]}" > "$W/out.$i" 2>&1 || echo "run $i failed: see $W/out.$i" >&2
    e=$(date +%s%N)
    ms=$(( (e - s) / 1000000 ))
    [ -z "${BEST[$i]:-}" ] || [ "$ms" -lt "${BEST[$i]}" ] && BEST[$i]=$ms
    c=$(awk -F: '/User time|System time/ {s += $2} END {printf "%d", s * 1000}' "$W/time.$i")
    [ -z "${CPU[$i]:-}" ] || [ "$c" -lt "${CPU[$i]}" ] && CPU[$i]=$c
    kb=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$W/time.$i")
    [ -z "${RSS[$i]:-}" ] || [ "$kb" -gt "${RSS[$i]}" ] && RSS[$i]=$kb
  done
done

alerts() { [ -s "$1" ] && grep -c '"event_type":"alert"' "$1" || echo 0; }
{
  echo "### IDS replay, $(date -u +%Y-%m-%dT%H:%MZ), $CORES cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "* capture: \`$BENCH\` ($PKTS packets, $(stat -c %s "$BENCH") bytes, VXLAN; \`$SHARED/tools/make-bench-pcap $BENCH --size $SIZE\`)"
  echo "* rules: $NRULES ET Open rules vxtap enforces (\`vxtap rules check $ET --write-loaded\`), the same file for both"
  echo "* best of $RUNS; CPU = user+system, all threads"
  echo
  echo "| command | wall s | packets/s | CPU s | packets/CPU-s | peak RSS MiB | alerts |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for i in "${!CMDS[@]}"; do
    w=${BEST[$i]}; c=${CPU[$i]}
    printf "| %s | %.2f | %.0f | %.2f | %.0f | %.0f | %s |\n" "${NAMES[$i]}" \
      "$(echo "$w/1000" | bc -l)" "$(echo "$PKTS*1000/$w" | bc -l)" \
      "$(echo "$c/1000" | bc -l)" "$(echo "$PKTS*1000/($c+1)" | bc -l)" \
      "$(echo "${RSS[$i]}/1024" | bc -l)" "$(alerts "${EVES[$i]}")"
  done
  echo
  r1=$(echo "${BEST[2]}/${BEST[0]}" | bc -l); rc=$(echo "${CPU[2]}/${CPU[0]}" | bc -l)
  printf "vxtap (1 worker) vs suricata single: %.2fx wall, %.2fx per CPU-second\n" "$r1" "$rc"
  rn=$(echo "${BEST[3]}/${BEST[1]}" | bc -l)
  printf "vxtap (%s workers) vs suricata autofp: %.2fx wall\n" "$CORES" "$rn"
  echo
  echo "Per-sid alert counts (sid: vxtap 1 worker / suricata single), sids where they differ:"
  python3 - "${EVES[0]}" "${EVES[2]}" <<'PY'
import collections, json, sys
def count(p):
    c = collections.Counter()
    try:
        for l in open(p):
            e = json.loads(l)
            if e.get("event_type") == "alert":
                c[e["alert"]["signature_id"]] += 1
    except FileNotFoundError:
        pass
    return c
a, b = count(sys.argv[1]), count(sys.argv[2])
same = sum(1 for s in set(a) | set(b) if a[s] == b[s])
diff = sorted(s for s in set(a) | set(b) if a[s] != b[s])
print(f"  {same} sids equal, {len(diff)} differ")
for s in diff[:30]:
    print(f"  {s}: {a[s]} / {b[s]}")
PY
} | tee "$W/results.md"
