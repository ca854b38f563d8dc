#!/bin/sh
# Suricata 7.0.10's alert events for the acceptance captures that
# tests/ids_applayer.rs replays (run from the repository root):
#   sh tests/data/ids/applayer/make.sh
set -e
for c in tls-subject http-request-header dns-detect-query-01 http-evader-088 bug-5758 ssh-banner-only \
         smb-named-pipe-ascii smb-eicar-file-segmentation-random dcerpc-issue-7187-01 \
         ftp-download-passive; do
  d=../shared/acceptance/$c
  o=$(mktemp -d)
  suricata -r $d/input.pcap -S $d/test.rules -k none --runmode single -l $o >/dev/null 2>&1
  grep '"event_type":"alert"' $o/eve.json > tests/data/ids/applayer/$c.suricata-7.0.10.alerts.jsonl || true
  rm -rf $o
done
