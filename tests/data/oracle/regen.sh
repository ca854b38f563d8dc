#!/usr/bin/env bash
# Regenerates every expectation file of tests/data/oracle/ from the committed
# captures with the tshark oracle (oracle-flows 1.0, tshark 4.0.17).
# Run from anywhere; paths are relative to the project root. Deterministic:
# running it twice gives byte-identical files.
#
#   tests/data/oracle/regen.sh            # all captures, 2 at a time
#   JOBS=1 tests/data/oracle/regen.sh     # one at a time
#   ORACLE=/path/to/oracle-flows tests/data/oracle/regen.sh
#
# For every capture tests/data/pcaps/<folder>/<file> it writes
#   tests/data/oracle/<folder>/<file>.i600.jsonl    oracle-flows --interval 600
#   tests/data/oracle/<folder>/<file>.i60.jsonl     oracle-flows --interval 60
#   tests/data/oracle/<folder>/<file>.summary.json  the stderr summary of the i600 run
# (default --fragments datagram), and for the bundled sample
#   tests/data/oracle/pcaps/sample-mirror.pcap.aws.txt   --format aws --interval 600
set -euo pipefail
cd "$(dirname "$0")/../../.."
ORACLE=${ORACLE:-../shared/tools/oracle-flows}
JOBS=${JOBS:-2}
export ORACLE LC_ALL=C TZ=UTC
command -v tshark >/dev/null || { echo "regen.sh: tshark not found (../shared/tools/install-peers --only tshark)" >&2; exit 1; }
[ -x "$ORACLE" ] || { echo "regen.sh: $ORACLE not found or not executable" >&2; exit 1; }

one() {
  set -euo pipefail
  local pcap=$1 folder file out err
  folder=$(basename "$(dirname "$pcap")")
  file=$(basename "$pcap")
  out=tests/data/oracle/$folder/$file
  mkdir -p "tests/data/oracle/$folder"
  err=$(mktemp)
  "$ORACLE" --interval 600 "$pcap" > "$out.i600.jsonl" 2> "$err"
  # the summary is the last stderr line: "oracle-flows summary: {...}"
  sed -n 's/^oracle-flows summary: //p' "$err" > "$out.summary.json"
  [ -s "$out.summary.json" ] || { echo "regen.sh: no summary for $pcap:" >&2; cat "$err" >&2; rm -f "$err"; exit 1; }
  grep -v '^oracle-flows summary: ' "$err" >&2 || true   # damaged-capture warnings
  rm -f "$err"
  "$ORACLE" -q --interval 60 "$pcap" > "$out.i60.jsonl"
  echo "$out" >&2
}
export -f one

find tests/data/pcaps -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort \
  | xargs -r -d '\n' -P "$JOBS" -I{} bash -c 'one "$1"' _ {}

mkdir -p tests/data/oracle/pcaps
"$ORACLE" -q --format aws --interval 600 pcaps/sample-mirror.pcap \
  > tests/data/oracle/pcaps/sample-mirror.pcap.aws.txt
