#!/bin/sh
# Regenerates tests/data/eve_tx/suricata-7.0.10.jsonl: Suricata 7.0.10's
# transaction events (event_type http, dns, tls, ssh) for the captures
# tests/eve_tx.rs replays, one line per event: the case name, a tab, and
# the line exactly as Suricata wrote it in eve.json.
#
# Each case is run as the acceptance oracle runs it
# (../shared/acceptance/run-suricata-oracle: the stock suricata.yaml, whose
# eve-log types include http, dns, tls and ssh):
#
#   suricata -r PCAP -S RULES -k none --runmode single -l OUT \
#     -c /etc/suricata/suricata.yaml \
#     --set decoder.vxlan.enabled=true --set decoder.vxlan.ports=4789 \
#     --set decoder.geneve.enabled=true --set decoder.geneve.ports=6081
#
# Acceptance cases use their test.rules; the `hassh-*` cases use
# hassh.rules beside this script (a rule with ssh.hassh, which makes
# Suricata compute and log HASSH, as its stock `hassh` setting leaves to
# the rules). Run from the repository root:
#   sh tests/data/eve_tx/make.sh
set -e
here=tests/data/eve_tx
out=$here/suricata-7.0.10.jsonl
: > $out
run() { # NAME PCAP RULES
  o=$(mktemp -d)
  suricata -r "$2" -S "$3" -k none --runmode single -l $o \
    -c /etc/suricata/suricata.yaml \
    --set decoder.vxlan.enabled=true --set decoder.vxlan.ports=4789 \
    --set decoder.geneve.enabled=true --set decoder.geneve.ports=6081 >/dev/null 2>&1
  grep -E '"event_type":"(http|dns|tls|ssh)"' $o/eve.json | sed "s/^/$1	/" >> $out || true
  rm -rf $o
}
for c in $(cat $here/cases.txt); do
  d=../shared/acceptance/$c
  run $c $(ls $d/input.pcap* | head -1) $d/test.rules
done
run hassh-derived-vxlan-aws-mirror ../shared/acceptance/derived-vxlan-aws-mirror/input.pcap $here/hassh.rules
run hassh-sv-ssh-hassh ../shared/pcaps/plain/sv-ssh-hassh.pcap $here/hassh.rules
run hassh-zeek-ssh ../shared/pcaps/plain/zeek-ssh_ssh.pcap $here/hassh.rules
