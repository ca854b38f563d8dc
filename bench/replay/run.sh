#!/usr/bin/env bash
# bench/replay/run.sh — replay-pipeline benchmark: vxtap against its peers, one run, same input.
#
#   bench/replay/run.sh                 # best of 3 per command
#   bench/replay/run.sh --runs 5        # best of 5 (or RUNS=5)
#   bench/replay/run.sh --build         # cargo build --release first
#   bench/replay/run.sh --taskset 1     # pin every command to CPU 1 (taskset -c)
#   bench/replay/run.sh --size 500M     # bench capture size when it is (re)built [1G]
#   bench/replay/run.sh --only-peers    # skip vxtap (rows marked "skipped")
#
# Run from anywhere; everything is relative to the project root. Needs the peers of
# ../shared/peers.md (../shared/tools/install-peers), capinfos and /usr/bin/time
# (Debian package "time"). Work files go to bench/work/ (gitignored, never commit):
#   bench.pcap   VXLAN mirror capture, ../shared/tools/make-bench-pcap (built once, reused)
#   inner.pcap   the same decapsulated by ../shared/tools/oracle-decap (for softflowd/nfpcapd,
#                which cannot decapsulate; peers.md §4)
#   results.md   the table printed at the end, plus the commands and the machine
#
# Timing: the commands run round-robin (run 1 of each, then run 2 of each, ...) after one
# untimed pass that puts both captures in the page cache; wall time = best of N, measured
# around the command with date +%s%N; peak RSS = the largest "Maximum resident set size"
# of /usr/bin/time -v over the N runs. packets/s = packets in the command's input
# (capinfos -c -M) / best wall. Ratios: vxtap packets/s divided by the peer's. CPU = the
# least user+system time of the N runs (all threads): packets per CPU-second is the per-core
# cost, which stays meaningful when other work shares the machine. A second table gives the
# medians of the N runs (wall and CPU) and the ratios of the medians, with the 1-minute load
# average at the start of each round: on a shared machine, quote those.
# If target/release/vxtap is missing or its replay fails, its rows say "missing" and the
# peers are still measured.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-3}
BUILD=0
PIN=""
SIZE=""
ONLY_PEERS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --build) BUILD=1; shift ;;
    --taskset) PIN=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --only-peers) ONLY_PEERS=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$RUNS" in ''|*[!0-9]*|0) echo "run.sh: --runs must be a positive integer" >&2; exit 2 ;; esac

SHARED=${SHARED:-../shared}
W=${WORK:-bench/work}
BENCH=$W/bench.pcap
INNER=$W/inner.pcap
VXTAP=${VXTAP:-target/release/vxtap}
TIME=/usr/bin/time

calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }    # floating-point arithmetic without bc
calc0() { awk "BEGIN { printf \"%d\", $1 }"; }
need() { command -v "$1" >/dev/null || { echo "run.sh: $1 not found ($2)" >&2; exit 1; }; }
need suricata "$SHARED/tools/install-peers"
need nfpcapd "$SHARED/tools/install-peers"
need softflowd "$SHARED/tools/install-peers"
need capinfos "$SHARED/tools/install-peers --only tshark"
if [ ! -x "$TIME" ]; then
  if [ "$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null
  else echo "run.sh: $TIME missing: apt-get install time" >&2; exit 1; fi
fi
[ -z "$PIN" ] || need taskset "util-linux"

mkdir -p "$W"
if [ ! -s "$BENCH" ]; then
  echo "== building $BENCH (make-bench-pcap, ~20 s per GB)" >&2
  rm -f "$INNER"
  "$SHARED/tools/make-bench-pcap" "$BENCH" ${SIZE:+--size "$SIZE"} >&2
fi
if [ ! -s "$INNER" ] || [ "$INNER" -ot "$BENCH" ]; then
  echo "== decapsulating into $INNER (oracle-decap, ~0.55 M packets/s)" >&2
  "$SHARED/tools/oracle-decap" "$BENCH" "$INNER.tmp" >&2
  mv "$INNER.tmp" "$INNER"
fi

npk() { capinfos -c -M "$1" | awk -F': *' '/Number of packets/ {print $2}'; }
PK_BENCH=$(npk "$BENCH")
PK_INNER=$(npk "$INNER")
SZ_BENCH=$(stat -c %s "$BENCH")
SZ_INNER=$(stat -c %s "$INNER")

VX_STATE=ok
VX_WHY=""
if [ "$ONLY_PEERS" = 1 ]; then
  VX_STATE=skipped; VX_WHY="--only-peers"
else
  if [ "$BUILD" = 1 ]; then
    echo "== cargo build --release" >&2
    cargo build --release >&2 || { VX_STATE=missing; VX_WHY="cargo build --release failed"; }
  fi
  if [ "$VX_STATE" = ok ] && [ ! -x "$VXTAP" ]; then
    VX_STATE=missing; VX_WHY="$VXTAP not built"
  fi
fi

# name | input file | packets | output dir | command (eval'd; $OUTDIR is the output dir)
NAMES=() INPUTS=() PKTS=() OUTS=() CMDS=()
add() { NAMES+=("$1"); INPUTS+=("$2"); PKTS+=("$3"); OUTS+=("$4"); CMDS+=("$5"); }
if [ "$VX_STATE" = ok ]; then
  add "vxtap --workers 1" "$BENCH" "$PK_BENCH" "$W/vx1" "$VXTAP replay $BENCH --workers 1 --out $W/vx1"
  add "vxtap --workers 2" "$BENCH" "$PK_BENCH" "$W/vx2" "$VXTAP replay $BENCH --workers 2 --out $W/vx2"
fi
add "suricata" "$BENCH" "$PK_BENCH" "$W/suri" \
    "suricata -r $BENCH -k none --runmode single --disable-detection -l $W/suri"
add "nfpcapd" "$INNER" "$PK_INNER" "$W/nfp" "nfpcapd -r $INNER -w $W/nfp"
add "softflowd" "$INNER" "$PK_INNER" "$W/sfd" \
    "softflowd -r $INNER -n 127.0.0.1:9 -v 10 -A milli -6 -d -m 1000000"
N=${#NAMES[@]}

declare -A BEST RSS FAIL CPU WALLS CPUS
for ((i = 0; i < N; i++)); do BEST[$i]=""; RSS[$i]=0; FAIL[$i]=""; CPU[$i]=""; WALLS[$i]=""; CPUS[$i]=""; done
ROUND_LOADS=()

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== page cache warm-up (cat both captures)" >&2
cat "$BENCH" "$INNER" > /dev/null
rm -f "$W"/best-*.log "$W"/run-*.log "$W"/time-*.txt

prefix=()
[ -z "$PIN" ] || prefix=(taskset -c "$PIN")

for ((r = 1; r <= RUNS; r++)); do
  ROUND_LOADS+=("$(cut -d' ' -f1 /proc/loadavg)")
  for ((i = 0; i < N; i++)); do
    [ -z "${FAIL[$i]}" ] || continue
    out=${OUTS[$i]}
    rm -rf "$out"; mkdir -p "$out"
    log=$W/run-$i.log
    t0=$(date +%s%N)
    set +e
    "${prefix[@]}" "$TIME" -v -o "$W/time-$i.txt" bash -c "${CMDS[$i]}" > "$log" 2>&1
    rc=$?
    set -e
    t1=$(date +%s%N)
    if [ "$rc" != 0 ]; then
      FAIL[$i]="exit $rc (see $log)"
      echo "!! ${NAMES[$i]}: exit $rc; last lines of $log:" >&2
      tail -5 "$log" >&2
      continue
    fi
    ns=$((t1 - t0))
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/time-$i.txt")
    [ "${RSS[$i]}" -ge "$rss" ] || RSS[$i]=$rss
    # CPU time (user + system, all threads) in ms: what the run cost in cores,
    # independent of how many cores it got on a loaded machine.
    cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%d", (u + s) * 1000}' "$W/time-$i.txt")
    if [ -z "${CPU[$i]}" ] || [ "$cpu" -lt "${CPU[$i]}" ]; then CPU[$i]=$cpu; fi
    WALLS[$i]="${WALLS[$i]} $ns"; CPUS[$i]="${CPUS[$i]} $cpu"
    if [ -z "${BEST[$i]}" ] || [ "$ns" -lt "${BEST[$i]}" ]; then BEST[$i]=$ns; cp "$log" "$W/best-$i.log"
      if [ -f "$out/suricata.log" ]; then cp "$out/suricata.log" "$W/best-$i-suricata.log"; fi
    fi
    printf '   run %d/%d  %-18s %8.3f s  RSS %7.1f MB\n' "$r" "$RUNS" "${NAMES[$i]}" \
      "$(calc "$ns / 1000000000")" "$(calc "$rss / 1024")" >&2
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# a vxtap failure is not fatal: its rows become "missing"
for ((i = 0; i < N; i++)); do
  case "${NAMES[$i]}" in
    vxtap*) if [ -n "${FAIL[$i]}" ]; then VX_STATE=missing; VX_WHY="vxtap replay failed: ${FAIL[$i]}"; fi ;;
    *) [ -z "${FAIL[$i]}" ] || echo "run.sh: peer ${NAMES[$i]} failed: ${FAIL[$i]}" >&2 ;;
  esac
done

pps() { calc0 "${PKTS[$1]} * 1000000000 / ${BEST[$1]}"; }
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{v[NR] = $1} END {printf "%.0f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
mwall() { median "${WALLS[$1]}"; }   # ns
mcpu() { median "${CPUS[$1]}"; }     # ms
mratio() {  # vxtap row $1 over peer row $2: packets/s from median walls (the peer's time over vxtap's, per packet)
  if [ "$1" -lt 0 ]; then echo "missing"; else printf '%.2f×' "$(calc "(${PKTS[$1]} / $(mwall "$1")) / (${PKTS[$2]} / $(mwall "$2"))")"; fi
}
mcratio() {
  if [ "$1" -lt 0 ]; then echo "missing"; else printf '%.2f×' "$(calc "(${PKTS[$1]} / ($(mcpu "$1") + 1)) / (${PKTS[$2]} / ($(mcpu "$2") + 1))")"; fi
}
idx() { local k; for ((k = 0; k < N; k++)); do [ "${NAMES[$k]}" = "$1" ] && [ -z "${FAIL[$k]}" ] && { echo "$k"; return; }; done; echo -1; }
fmt_m() { printf '%.2f M' "$(calc "$1 / 1000000")"; }
vx1=$(idx "vxtap --workers 1"); vx2=$(idx "vxtap --workers 2")
ratio() {  # vxtap row $1 over peer row $2
  if [ "$1" -lt 0 ]; then echo "missing"; else printf '%.2f×' "$(calc "$(pps "$1") / $(pps "$2")")"; fi
}
ppc() { calc0 "${PKTS[$1]} * 1000 / (${CPU[$1]} + 1)"; }   # packets per CPU-second
cpu_cell() { printf '%.2f s → %s/s' "$(calc "${CPU[$1]} / 1000")" "$(fmt_m "$(ppc "$1")")"; }
cratio() {  # vxtap row $1 over peer row $2, per CPU-second
  if [ "$1" -lt 0 ]; then echo "missing"; else printf '%.2f×' "$(calc "$(ppc "$1") / $(ppc "$2")")"; fi
}

# Suricata's own packet-processing time (start-up excluded), from suricata.log of the best run
suri_note=""
si=$(idx suricata)
if [ "$si" -ge 0 ] && [ -f "$W/best-$si-suricata.log" ]; then
  el=$(grep -o 'time elapsed [0-9.]*s' "$W/best-$si-suricata.log" | tail -1 | grep -o '[0-9.]*' | head -1 || true)
  [ -z "$el" ] || suri_note="best run: \`time elapsed ${el}s\` → $(fmt_m "$(calc0 "${PKTS[$si]} / $el")")/s without start-up"
fi
sfd_note=""
fi_=$(idx softflowd)
if [ "$fi_" -ge 0 ]; then
  p=$(awk -F': ' '/^Packets processed/ {print $2}' "$W/best-$fi_.log" | head -1)
  [ -z "$p" ] || sfd_note="Packets processed: $p"
fi
nfp_note=""
ni=$(idx nfpcapd)
if [ "$ni" -ge 0 ]; then
  p=$(grep -o 'Total: Processed: [0-9]*' "$W/best-$ni.log" | grep -o '[0-9]*$' | head -1 || true)
  [ -z "$p" ] || nfp_note="Total: Processed: $p"
fi

{
  echo "| command | input | packets | best wall (of $RUNS) | packets/s | peak RSS | vxtap w1 / peer | vxtap w2 / peer | least CPU (user+sys) → packets per CPU-s | vxtap w1 / peer per CPU-s | note |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  for name in "vxtap --workers 1" "vxtap --workers 2"; do
    k=$(idx "$name")
    if [ "$k" -ge 0 ]; then
      printf '| `%s` | VXLAN | %s | %.3f s | %s/s | %.0f MB | — | — | %s | — | %s |\n' "${CMDS[$k]}" "${PKTS[$k]}" \
        "$(calc "${BEST[$k]} / 1000000000")" "$(fmt_m "$(pps "$k")")" "$(calc "${RSS[$k]} / 1024")" "$(cpu_cell "$k")" \
        "$(grep -m1 -o '[0-9.]* s, [0-9]* packets/s' "$W/best-$k.log" | sed 's/^/own summary: /' || true)"
    else
      w=${name##* }
      why=$VX_WHY
      for ((j = 0; j < N; j++)); do [ "${NAMES[$j]}" = "$name" ] && [ -n "${FAIL[$j]}" ] && why="vxtap replay failed: ${FAIL[$j]}"; done
      printf '| `%s replay %s --workers %s --out %s/vx%s` | VXLAN | %s | missing | missing | missing | — | — | missing | — | %s |\n' \
        "$VXTAP" "$BENCH" "$w" "$W" "$w" "$PK_BENCH" "$why"
    fi
  done
  for name in suricata nfpcapd softflowd; do
    k=-1; for ((j = 0; j < N; j++)); do [ "${NAMES[$j]}" = "$name" ] && k=$j; done
    case $name in suricata) note=$suri_note; in=VXLAN ;; nfpcapd) note="no decapsulation; $nfp_note"; in=inner ;;
                  softflowd) note="no decapsulation; $sfd_note"; in=inner ;; esac
    if [ -n "${FAIL[$k]}" ]; then
      printf '| `%s` | %s | %s | failed | failed | failed | — | — | failed | — | %s |\n' "${CMDS[$k]}" "$in" "${PKTS[$k]}" "${FAIL[$k]}"
      continue
    fi
    printf '| `%s` | %s | %s | %.3f s | %s/s | %.0f MB | %s | %s | %s | %s | %s |\n' "${CMDS[$k]}" "$in" "${PKTS[$k]}" \
      "$(calc "${BEST[$k]} / 1000000000")" "$(fmt_m "$(pps "$k")")" "$(calc "${RSS[$k]} / 1024")" \
      "$(ratio "$vx1" "$k")" "$(ratio "$vx2" "$k")" "$(cpu_cell "$k")" "$(cratio "$vx1" "$k")" "$note"
  done
  echo
  echo "Medians of the $RUNS runs (1-minute load average at the start of each round: ${ROUND_LOADS[*]}):"
  echo
  echo "| command | median wall | median CPU (user+sys) | vxtap w1 / peer (median wall) | vxtap w2 / peer (median wall) | vxtap w1 / peer (median CPU) |"
  echo "|---|---:|---:|---:|---:|---:|"
  for ((k = 0; k < N; k++)); do
    [ -z "${FAIL[$k]}" ] || continue
    case "${NAMES[$k]}" in
      vxtap*) r1="—"; r2="—"; rc="—" ;;
      *) r1=$(mratio "$vx1" "$k"); r2=$(mratio "$vx2" "$k"); rc=$(mcratio "$vx1" "$k") ;;
    esac
    printf '| %s | %.3f s | %.2f s | %s | %s | %s |\n' "${NAMES[$k]}" "$(calc "$(mwall "$k") / 1000000000")" \
      "$(calc "$(mcpu "$k") / 1000")" "$r1" "$r2" "$rc"
  done
  echo
  echo "* inputs: \`$BENCH\` ($PK_BENCH packets, $SZ_BENCH bytes, VXLAN, built by \`$SHARED/tools/make-bench-pcap $BENCH${SIZE:+ --size $SIZE}\`);"
  echo "  \`$INNER\` ($PK_INNER packets, $SZ_INNER bytes, \`$SHARED/tools/oracle-decap $BENCH $INNER\`)"
  echo "* machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"); load average before $load_before, after $load_after${PIN:+; every command pinned with taskset -c $PIN}"
  echo "* versions: $(suricata -V 2>/dev/null | head -1 | sed 's/This is //'); $(softflowd -h 2>&1 | grep -o 'softflowd version [0-9.]*' | head -1); $(nfdump -V 2>/dev/null | head -1)"
  echo "* wall = best of $RUNS round-robin runs (\`date +%s%N\` around \`/usr/bin/time -v\`), peak RSS = max of the runs; $(date -u +%Y-%m-%dT%H:%MZ)"
} > "$W/results.md"
cat "$W/results.md"
