#!/bin/sh
# Suricata 7.0.10's alerts, counted per (sid, pcap_cnt, pkt_src), for the
# captures with TCP segments the capture lost (tshark
# `tcp.analysis.ack_lost_segment`) that tests/ids_stream_gaps.rs replays
# with bench/ids/probes.rules (run from the repository root):
#   sh tests/data/ids/stream-gaps/make.sh
set -e
t=tests/data/ids/stream-gaps
for c in $(cat $t/CAPTURES); do
  o=$(mktemp -d)
  suricata -r ../shared/pcaps/plain/$c -S bench/ids/probes.rules -k none --runmode single -l $o >/dev/null 2>&1
  python3 -c '
import collections, json, sys
n = collections.Counter()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert":
        n[(e["alert"]["signature_id"], e.get("pcap_cnt"), e.get("pkt_src"))] += 1
for (sid, cnt, src), k in sorted(n.items(), key=str):
    print(sid, "-" if cnt is None else cnt, src, k, sep="\t")
' $o/eve.json > $t/${c%.*}.suricata-7.0.10.tsv
  rm -rf $o
done
