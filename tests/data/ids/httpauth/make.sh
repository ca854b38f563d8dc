#!/bin/sh
# Suricata 7.0.10's alerts with its own http-events.rules on the sessions of
# craft.py (pcaps/), for tests/ids_http_auth.rs. Run from the repository root:
#   sh tests/data/ids/httpauth/make.sh
set -e
D=tests/data/ids/httpauth
python3 $D/craft.py $D/pcaps
for p in $D/pcaps/*.pcap; do
  o=$(mktemp -d)
  suricata -r $p -S ../shared/rules/suricata/http-events.rules -k none --runmode single -l $o \
    --set classification-file=../shared/rules/suricata/classification.config \
    --set reference-config-file=../shared/rules/suricata/reference.config >/dev/null 2>&1
  grep '"event_type":"alert"' $o/eve.json > $D/$(basename $p .pcap).suricata-7.0.10.alerts.jsonl || true
  rm -rf $o
done
