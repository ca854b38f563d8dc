#!/bin/sh
# Application-layer parsers after a lost segment, and Suricata 7.0.10's
# alerts on them (run from the repository root). Each capture is an
# acceptance case's input.pcap without one frame (editcap); the receiver's
# ACKs pass the missing bytes, so both engines declare a sequence gap
# there. Alerts of the case's rules are counted per sid.
#   sh tests/data/ids/parser-gaps/make.sh
# CASES lines: capture name, acceptance case, dropped frame, what it held.
set -e
t=tests/data/ids/parser-gaps
grep -v '^#' $t/CASES | while read -r name case frame _; do
  src=../shared/acceptance/$case
  cat $src/test.rules > $t/$case.rules
  editcap -F pcap $src/input.pcap $t/$name.pcap $frame
  o=$(mktemp -d)
  suricata -r $t/$name.pcap -S $t/$case.rules -k none --runmode single -l $o >/dev/null 2>&1
  python3 -c '
import collections, json, sys
n = collections.Counter()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert":
        n[e["alert"]["signature_id"]] += 1
for sid, k in sorted(n.items()):
    print(sid, k, sep="\t")
' $o/eve.json > $t/$name.suricata-7.0.10.tsv
  rm -rf $o
done
