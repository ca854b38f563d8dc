#!/usr/bin/env bash
# bench/serve/run.sh — live receive benchmark on loopback: vxtap serve (1 and 2 workers)
# next to a bare receive loop that only counts datagrams (examples/bare_recv.rs: the same
# sockets and recvmmsg batches, no decap, no flows), and vxtap replay of the same capture,
# all in one run, at several offered rates.
#
#   bench/serve/run.sh                          # rates 100000 200000 400000 max, 1 000 000 datagrams each
#   bench/serve/run.sh --rates "50000 max"      # offered datagrams/s; "max" = as fast as the sender goes
#   bench/serve/run.sh --count 2000000          # datagrams per measurement
#   bench/serve/run.sh --no-pin                 # do not pin (default: receiver on CPU 0, sender on CPU 1)
#   bench/serve/run.sh --rx-cpus 0-3 --tx-cpus 4  # other CPU lists for taskset -c
#
# Run from anywhere; paths are relative to the project root. Builds target/release/vxtap and
# the bare_recv example (cargo build --release --examples). Input: bench/work/serve-input.pcap,
# made once by ../shared/tools/make-bench-pcap --passes 1 (all of ../shared/pcaps/plain wrapped
# into 3 VXLAN mirror sessions: about 160 000 datagrams, 42 MB), sent by `vxtap send` --loop
# as many times as --count needs. Work files go to bench/work/ (gitignored).
#
# Per measurement: the receiver starts (taskset -c 0), `vxtap send` runs (taskset -c 1) at the
# offered rate, then the receiver is stopped. Sent = datagrams the sender's kernel accepted;
# received = what the receiver got; processed = packets that reached the flow tables
# (vxtap's "stopped:" summary: packets - queue_full); not processed = sent - processed, split
# into decap errors (datagrams that are not valid VXLAN: the capture has a few), queue_full
# drops and kernel drops.
# Rate = received (bare) or processed (vxtap) / the sender's duration. CPU µs per datagram =
# the receiver process's user + system CPU time (/proc/PID/stat, all its threads) / datagrams
# received: what one datagram costs the receiver whatever else runs on the machine, and
# 1e6 / it = datagrams one fully busy CPU could take. The table goes to stdout and
# bench/work/serve-results.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

RATES="100000 200000 400000 max"
COUNT=1000000
PIN=1
RX_CPUS=0
TX_CPUS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rates) RATES=$2; shift 2 ;;
    --count) COUNT=$2; shift 2 ;;
    --no-pin) PIN=0; shift ;;
    --rx-cpus) RX_CPUS=$2; shift 2 ;;
    --tx-cpus) TX_CPUS=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

SHARED=${SHARED:-../shared}
W=${WORK:-bench/work}
IN=$W/serve-input.pcap
VXTAP=target/release/vxtap
BARE=target/release/examples/bare_recv
mkdir -p "$W"
calc() { awk "BEGIN { printf \"%.0f\", $1 }"; }
calc2() { awk "BEGIN { printf \"%.2f\", $1 }"; }
HZ=$(getconf CLK_TCK)
# utime + stime of a running process, in clock ticks (/proc/PID/stat fields 14, 15).
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# taskset execs the command, so $! of a background "${RX[@]}" cmd & is the command itself.
RX=(); TX=()
if [ "$PIN" = 1 ]; then RX=(taskset -c "$RX_CPUS"); TX=(taskset -c "$TX_CPUS"); fi
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

cargo build --release --examples >&2
if [ ! -s "$IN" ]; then
  "$SHARED/tools/make-bench-pcap" "$IN" --passes 1 >&2
fi
PER_PASS=$("$VXTAP" replay "$IN" --stdout 2>&1 >/dev/null | sed -n 's/.* file(s), \([0-9]*\) frames.*/\1/p')
LOOPS=$(( (COUNT + PER_PASS - 1) / PER_PASS ))
echo "input $IN: $PER_PASS datagrams per pass, --loop $LOOPS" >&2

# One sender run: prints its summary line.
sender() { # rate addr
  local rate=()
  [ "$1" != max ] && rate=(--rate "$1")
  "${TX[@]}" "$VXTAP" send "$IN" --to "$2" --loop "$LOOPS" "${rate[@]}"
}

bare() { # rate → "sent received drops rate"
  local log=$W/bare.log
  rm -f "$log"
  "${RX[@]}" "$BARE" 127.0.0.1:0 > "$log" &
  local pid=$!
  until grep -q "listening on" "$log" 2>/dev/null; do sleep 0.05; done
  local addr; addr=$(sed -n 's/listening on //p' "$log")
  local s; s=$(sender "$1" "$addr")
  wait "$pid"
  local sent secs got
  sent=$(echo "$s" | field datagrams); secs=$(echo "$s" | field seconds)
  got=$(tail -1 "$log" | field received)
  local t; t=$(tail -1 "$log" | field cpu_ticks)
  echo "$sent $got $((sent - got)) $(calc "$got / $secs") $(calc2 "1e6 * $t / $HZ / $got")"
}

serve() { # workers rate → "sent received processed drops(queue_full kernel) rate"
  local err=$W/serve.err
  rm -f "$err"
  "${RX[@]}" "$VXTAP" serve --vxlan 127.0.0.1:0 --geneve 127.0.0.1:0 --http 127.0.0.1:0 \
      --workers "$1" --stdout > /dev/null 2> "$err" &
  local pid=$!
  until grep -q "ready:" "$err" 2>/dev/null; do sleep 0.05; done
  local addr; addr=$(sed -n 's/^vxtap serve: vxlan listening on \([^ ]*\).*/\1/p' "$err")
  local s; s=$(sender "$2" "$addr")
  sleep 1
  local t; t=$(ticks "$pid")
  kill -TERM "$pid"; wait "$pid"
  local sum; sum=$(sed -n 's/^vxtap serve: stopped: //p' "$err")
  local sent secs rx pk qf kd
  sent=$(echo "$s" | field datagrams); secs=$(echo "$s" | field seconds)
  rx=$(echo "$sum" | awk -F', ' '{ split($1, a, " "); print a[1] }')
  pk=$(echo "$sum" | awk -F', ' '{ split($2, a, " "); print a[1] }')
  qf=$(echo "$sum" | awk -F', ' '{ split($3, a, " "); print a[1] }')
  kd=$(echo "$sum" | awk -F', ' '{ split($4, a, " "); print a[1] }')
  local done=$((pk - qf))
  echo "$sent $rx $done $((sent - done)) $((rx - pk)) $qf $kd $(calc "$done / $secs") $(calc2 "1e6 * $t / $HZ / $rx")"
}

replay_rate() { # workers → packets/s, best of 5
  local best=0
  for _ in 1 2 3 4 5; do
    local t0 t1; t0=$(date +%s%N)
    "${RX[@]}" "$VXTAP" replay "$IN" --workers "$1" --out "$W/replay-out" --quiet
    t1=$(date +%s%N)
    local r; r=$(calc "$PER_PASS / (($t1 - $t0) / 1e9)")
    [ "$r" -gt "$best" ] && best=$r
  done
  echo "$best"
}

OUT=$W/serve-results.md
{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)," \
       "pinning: $([ "$PIN" = 1 ] && echo "receiver CPU $RX_CPUS, sender CPU $TX_CPUS" || echo none), $COUNT datagrams per row (--loop $LOOPS of $PER_PASS)"
  echo
  echo "| offered | receiver | sent | received | processed | not processed (decap errors / queue_full / kernel) | rate (datagrams/s) | vs bare | CPU µs per datagram | datagrams per CPU-second |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for rate in $RATES; do
    read -r bs bg bd br bc < <(bare "$rate")
    echo "| $rate | bare loop (count only) | $bs | $bg | — | $bd | $br | 100% | $bc | $(calc "1e6 / $bc") |"
    for w in 1 2; do
      read -r s rx d dr de qf kd r c < <(serve "$w" "$rate")
      echo "| $rate | vxtap serve, $w worker(s) | $s | $rx | $d | $dr ($de / $qf / $kd) | $r | $(calc "100 * $r / $br")% | $c | $(calc "1e6 / $c") |"
    done
  done
  echo
  echo "vxtap replay of the same capture (best of 5, packets/s): 1 worker $(replay_rate 1), 2 workers $(replay_rate 2)"
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"
