#!/usr/bin/env bash
# bench/rules/run.sh — IDS rule load: vxtap vs Suricata 7.0.10 on the same rules, one run.
#
#   bench/rules/run.sh              # best of 3 per command (RUNS=N or --runs N)
#   bench/rules/run.sh --build      # cargo build --release first
#
# Rules: ../shared/rules/et-open (ET Open, 14,966 active rules). Rows:
#   vxtap rules check on all of ET Open (parses every rule, compiles what it enforces);
#   vxtap rules check on the subset it enforces (written by --write-loaded);
#   suricata -T on that same subset, and on all of ET Open.
# Wall time = best of N around the command (date +%s%N), peak RSS from /usr/bin/time -v.
# For vxtap the load_seconds it reports (read + parse + compile, process start excluded)
# is printed too. Work files: bench/work/rules/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-3}
BUILD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --build) BUILD=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$BUILD" = 1 ] && cargo build --release
VX=target/release/vxtap
ET=../shared/rules/et-open
W=bench/work/rules
mkdir -p "$W"
command -v suricata >/dev/null || { echo "suricata missing: ../shared/tools/install-peers --only suricata" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing (apt-get install time)" >&2; exit 2; }

cat "$ET"/*.rules > "$W/et-all.rules"
"$VX" rules check "$ET" --write-loaded "$W/vxtap-enforced.rules" --json > "$W/check.json" || true
cp "$ET/classification.config" "$W/classification.config"
SURI_ARGS=(-c /etc/suricata/suricata.yaml --set "classification-file=$W/classification.config"
           --set "reference-config-file=../shared/rules/suricata/reference.config")

declare -a NAMES CMDS
NAMES+=("vxtap rules check, all ET Open");       CMDS+=("$VX rules check $ET --json")
NAMES+=("vxtap rules check, enforced subset");   CMDS+=("$VX rules check $W/vxtap-enforced.rules --classification $ET/classification.config --json")
NAMES+=("suricata -T, enforced subset");         CMDS+=("suricata -T -S $W/vxtap-enforced.rules ${SURI_ARGS[*]} -l $W/suri-sub")
NAMES+=("suricata -T, all ET Open");             CMDS+=("suricata -T -S $W/et-all.rules ${SURI_ARGS[*]} -l $W/suri-all")
mkdir -p "$W/suri-sub" "$W/suri-all"

declare -A BEST RSS LOADS
for ((r = 1; r <= RUNS; r++)); do
  for i in "${!CMDS[@]}"; do
    s=$(date +%s%N)
    /usr/bin/time -v -o "$W/time.$i" bash -c "${CMDS[$i]}" > "$W/out.$i" 2>&1 || true
    e=$(date +%s%N)
    ms=$(( (e - s) / 1000000 ))
    [ -z "${BEST[$i]:-}" ] || [ "$ms" -lt "${BEST[$i]}" ] && BEST[$i]=$ms
    kb=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$W/time.$i")
    [ -z "${RSS[$i]:-}" ] || [ "$kb" -gt "${RSS[$i]}" ] && RSS[$i]=$kb
    if [[ "${CMDS[$i]}" == "$VX"* ]]; then
      l=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.3f s (%d loaded of %d)" % (d["load_seconds"], d["loaded"], d["total"]))' "$W/out.$i")
      LOADS[$i]="${LOADS[$i]:-}${LOADS[$i]:+; }$l"
    else
      LOADS[$i]=$(grep -o '[0-9]* signatures processed' "$W/suri-${i/2/sub}/suricata.log" 2>/dev/null | tail -1 || true)
    fi
  done
done
[ -f "$W/suri-sub/suricata.log" ] && LOADS[2]=$(grep -ho 'rules successfully loaded.*\|[0-9]* rules successfully loaded' "$W/suri-sub/suricata.log" | tail -1)
[ -f "$W/suri-all/suricata.log" ] && LOADS[3]=$(grep -ho '[0-9]* rules successfully loaded.*' "$W/suri-all/suricata.log" | tail -1)

{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'), best of $RUNS, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| command | best wall | peak RSS | reported |"
  echo "|---|---:|---:|---|"
  for i in "${!CMDS[@]}"; do
    printf '| `%s` | %d.%03d s | %d MB | %s |\n' "${CMDS[$i]}" $((BEST[$i] / 1000)) $((BEST[$i] % 1000)) $((RSS[$i] / 1024)) "${LOADS[$i]}"
  done
} | tee "$W/results.md"
