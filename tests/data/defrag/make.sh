#!/bin/sh
# Rebuilds overlaps.pcap (craft.py) and records the datagrams Suricata 7.0.10
# rebuilds from its fragments with the stock configuration (its
# host-os-policy makes 0.0.0.0/0 "windows"; IPv6 gets the default "bsd"):
# one line per rebuilt datagram, its source address and its payload (the
# bytes after the IP header), from the alert's `packet` field. Run from the
# repository root: sh tests/data/defrag/make.sh
set -e
t=tests/data/defrag
(cd $t && python3 craft.py)
o=$(mktemp -d)
echo 'alert ip any any -> any any (msg:"every flow"; sid:1;)' > $o/r.rules
suricata -r $t/overlaps.pcap -S $o/r.rules -k none --runmode single -l $o \
  --set outputs.1.eve-log.types.0.alert.packet=yes >/dev/null 2>&1
python3 -c '
import base64, json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert" and e.get("pkt_src") == "defrag":
        pk = base64.b64decode(e["packet"])[14:]
        hl = 40 if pk[0] >> 4 == 6 else (pk[0] & 15) * 4
        print(json.dumps({"src": e["src_ip"], "payload": pk[hl:].decode("latin1")}))
' $o/eve.json > $t/overlaps.suricata-7.0.10.rebuilt.jsonl
rm -rf $o
