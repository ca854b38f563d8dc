#!/bin/sh
# Suricata 7.0.10's alerts on the captures tests/ids_probe_dir.rs replays:
# the crafted flows of craft.py (pcaps/) and captures of ../shared/pcaps/plain,
# with rules.rules (flow direction, state, app-layer-protocol) plus Suricata's
# own app-layer-events.rules and dns-events.rules. Run from the repository root:
#   sh tests/data/ids/probe/make.sh
set -e
D=tests/data/ids/probe
python3 $D/craft.py $D/pcaps
R=$(mktemp)
cat $D/rules.rules ../shared/rules/suricata/app-layer-events.rules ../shared/rules/suricata/dns-events.rules > $R
for p in $D/pcaps/*.pcap ../shared/pcaps/plain/zeek-dns53.pcap ../shared/pcaps/plain/zeek-socks.pcap \
    ../shared/pcaps/plain/zeek-socks-with-ssl.pcap; do
  o=$(mktemp -d)
  suricata -r $p -S $R -k none --runmode single -l $o \
    --set classification-file=../shared/rules/suricata/classification.config \
    --set reference-config-file=../shared/rules/suricata/reference.config >/dev/null 2>&1
  grep '"event_type":"alert"' $o/eve.json > $D/$(basename $p .pcap).suricata-7.0.10.alerts.jsonl || true
  rm -rf $o
done
rm -f $R
