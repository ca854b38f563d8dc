#!/bin/sh
# Rebuilds the crafted captures of tests/ids_keywords.rs and Suricata
# 7.0.10's per-sid alert counts for them (the oracle):
#   sh tests/data/ids/keywords/make.sh
# For each NAME: python3 NAME.py NAME.pcap, then
#   suricata -r NAME.pcap -S NAME.rules -k none --runmode single -l OUT
#   oracle-alerts --eve OUT/eve.json -S NAME.rules --all-sids --flat > NAME.expected.json
set -e
cd "$(dirname "$0")"
for name in xbits base64 base64-http tag; do
    python3 "$name.py" "$name.pcap"
    out=$(mktemp -d)
    suricata -r "$name.pcap" -S "$name.rules" -k none --runmode single -l "$out" >/dev/null
    python3 ../../../../../shared/tools/oracle-alerts --eve "$out/eve.json" -S "$name.rules" \
        --all-sids --flat > "$name.expected.json"
    rm -rf "$out"
done
# app-layer-protocol: alerts once per direction, on real captures of the
# shared collection (the rules match every flow's protocol).
for pcap in zeek-ssh_single-conn.pcap zeek-krb_kerberos_tso.pcapng zeek-ssh_ssh.pcap; do
    python3 ../../../../../shared/tools/oracle-alerts -S app-layer-protocol.rules --all-sids --flat \
        "../../../../../shared/pcaps/plain/$pcap" > "app-layer-protocol.${pcap%.*}.expected.json"
done
