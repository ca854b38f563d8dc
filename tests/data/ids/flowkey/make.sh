#!/bin/sh
# Rebuilds flowkey.pcap and records Suricata 7.0.10's alerts on it (sid,
# pcap_cnt, pkt_src, vlan) for tests/ids_flow_key.rs; also for the shared
# VLAN captures it compares. Run from the repository root:
#   sh tests/data/ids/flowkey/make.sh
set -e
t=tests/data/ids/flowkey
(cd $t && python3 craft.py)
for c in $t/flowkey.pcap ../shared/pcaps/plain/zeek-vlan-collisions.pcap ../shared/pcaps/plain/zeek-vlan-qinqinq.pcap; do
  o=$(mktemp -d)
  suricata -r $c -S $t/probe.rules -k none --runmode single -l $o >/dev/null 2>&1
  n=$(basename $c); n=${n%.*}
  python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert":
        cnt = e.get("pcap_cnt", (e.get("tunnel") or {}).get("pcap_cnt"))
        print(json.dumps({"sid": e["alert"]["signature_id"], "pcap_cnt": cnt, "pkt_src": e.get("pkt_src"), "vlan": e.get("vlan")}))
' $o/eve.json > $t/$n.suricata-7.0.10.alerts.jsonl
  rm -rf $o
done
