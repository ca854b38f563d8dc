#!/bin/sh
# Suricata 7.0.10's alerts with its own app-layer-events.rules and
# tls-events.rules on the captures tests/ids_events.rs replays: the crafted
# sessions of craft.py (pcaps/) and captures of ../shared/pcaps/plain.
# Run from the repository root:
#   sh tests/data/ids/events/make.sh
set -e
D=tests/data/ids/events
python3 $D/craft.py $D/pcaps
R=$(mktemp)
cat ../shared/rules/suricata/app-layer-events.rules ../shared/rules/suricata/tls-events.rules > $R
for p in $D/pcaps/*.pcap \
    ../shared/pcaps/plain/zeek-tls_heartbleed.pcap ../shared/pcaps/plain/zeek-tls_heartbleed-encrypted.pcap \
    ../shared/pcaps/plain/zeek-tls_ssl-v2.pcap ../shared/pcaps/plain/zeek-tls_https-to-http.pcap \
    ../shared/pcaps/plain/zeek-tls_ssl-to-http-server.pcap ../shared/pcaps/plain/zeek-tls_ssl.v3.pcap \
    ../shared/pcaps/plain/zeek-http_methods.pcap ../shared/pcaps/plain/zeek-ftp_retr.pcap \
    ../shared/pcaps/plain/sv-tls_tls13-draft14_tls13_draft14.pcap \
    ../shared/pcaps/plain/zeek-tls_tls-13draft19-early-data.pcap \
    ../shared/pcaps/plain/sv-bug-1450-04_tls_DER-incomplete-header.pcap; do
  o=$(mktemp -d)
  suricata -r $p -S $R -k none --runmode single -l $o \
    --set classification-file=../shared/rules/suricata/classification.config \
    --set reference-config-file=../shared/rules/suricata/reference.config >/dev/null 2>&1
  grep '"event_type":"alert"' $o/eve.json > $D/$(basename $p .pcap).suricata-7.0.10.alerts.jsonl || true
  rm -rf $o
done
rm -f $R
