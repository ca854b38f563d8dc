#!/usr/bin/env bash
# bench/replay/flow-memory.sh — bytes of memory per flow-table entry.
#
#   bench/replay/flow-memory.sh            # 1,000,000 concurrent flows
#   FLOWS=400000 bench/replay/flow-memory.sh
#
# Writes bench/work/flows-N.pcap: N single-packet TCP SYN flows, each a distinct
# 5-tuple, all within one second (so every flow is open at the end and none
# expires), wrapped in VXLAN as AWS mirroring delivers them. Then replays it with
# `--max-flows` at N, N/2 and N/4 (the table holds min(N, cap) flows; the cap
# evicts the rest) and reports peak RSS (/usr/bin/time -v). Bytes per entry =
# the RSS slope between the runs, so fixed costs (binary, buffers, queues) cancel.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${FLOWS:-1000000}
VXTAP=${VXTAP:-target/release/vxtap}
W=${WORK:-bench/work}
mkdir -p "$W"
P=$W/flows-$N.pcap
if [ ! -s "$P" ]; then
  python3 - "$P" "$N" <<'PY'
import struct, sys
path, n = sys.argv[1], int(sys.argv[2])
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF); s += s >> 16
    return ~s & 0xFFFF
def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload
eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00"
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    for i in range(n):
        a = struct.pack("!I", 0x0A000000 | (i >> 8))          # 10.x.y.z sources
        tcp = struct.pack("!HHIIBBHHH", 1024 + (i & 0xFF), 443, 1, 0, 0x50, 0x02, 65535, 0, 0)
        inner = eth + ipv4(a, bytes([192, 0, 2, 1]), 6, tcp)
        vx = b"\x08\0\0\0" + struct.pack("!I", 7 << 8) + inner
        udp = struct.pack("!HHHH", 65408, 4789, 8 + len(vx), 0) + vx
        frame = eth + ipv4(bytes([10, 0, 1, 10]), bytes([10, 0, 0, 100]), 17, udp)
        us = i * 1_000_000 // n                                  # all within one second
        f.write(struct.pack("<IIII", 1700000000, us, len(frame), len(frame)) + frame)
PY
fi
rss() {  # peak RSS in kB of a replay with --max-flows $1
  /usr/bin/time -v "$VXTAP" replay "$P" --workers 1 --max-flows "$1" --out "$W/flows-out" --quiet 2>&1 \
    | awk -F': *' '/Maximum resident set size/ {print $2}'
}
echo "| --max-flows | flows held | peak RSS |"
echo "|---:|---:|---:|"
declare -A R
for cap in $((N / 4)) $((N / 2)) "$N"; do
  R[$cap]=$(rss "$cap")
  echo "| $cap | $cap | $((R[$cap] / 1024)) MB |"
done
per=$(awk -v a="${R[$N]}" -v b="${R[$((N / 4))]}" -v n="$N" 'BEGIN { printf "%.0f", (a - b) * 1024 / (n - n / 4) }')
echo
echo "bytes per flow entry (RSS slope between $((N / 4)) and $N flows): $per"
