#!/bin/sh
# Suricata 7.0.10's alert events (sid, pcap_cnt, pkt_src, tunnel) for the
# captures that tests/ids_decoders.rs replays with probe.rules (run from the
# repository root):
#   sh tests/data/ids/decoders/make.sh
set -e
t=tests/data/ids/decoders
for c in $(cat $t/CAPTURES); do
  o=$(mktemp -d)
  suricata -r ../shared/pcaps/plain/$c -S $t/probe.rules -k none --runmode single -l $o >/dev/null 2>&1
  python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert":
        print(json.dumps({"sid": e["alert"]["signature_id"], "pcap_cnt": e.get("pcap_cnt"), "pkt_src": e.get("pkt_src"), "tunnel": e.get("tunnel")}))
' $o/eve.json > $t/${c%.*}.suricata-7.0.10.alerts.jsonl
  rm -rf $o
done
