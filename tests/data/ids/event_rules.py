#!/usr/bin/env python3
"""Writes event_rules.json: Suricata 7.0.10's alert count per sid on each
capture below with Suricata's own http-events.rules and dns-events.rules
(the oracle for tests/ids_event_rules.rs).

    cd vxtap && python3 tests/data/ids/event_rules.py

Runs ../shared/tools/oracle-alerts (suricata -r --runmode single -k none,
/etc/suricata/suricata.yaml) once per capture.
"""
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "../../.."))
SHARED = os.path.normpath(os.path.join(ROOT, "../shared"))
RULES = ["rules/suricata/http-events.rules", "rules/suricata/dns-events.rules"]
CAPTURES = [
    # unknown method (SUBSCRIBE): the response names HTTP, the request is parsed first
    "pcaps/plain/sv-output-eve-ftp-data.pcap",
    # malformed request lines, HTTP/0.9, repeated headers, CONNECT
    "pcaps/plain/zeek-http_methods.pcap",
    "pcaps/plain/zeek-http_http_09.pcap",
    "pcaps/plain/zeek-http_curl_http_09.pcap",
    "pcaps/plain/zeek-http_no-version.pcap",
    "pcaps/plain/zeek-http_http-11-request-then-cruft.pcap",
    # "http/1.1 200 OK" chunked: invalid protocol, chunked old proto
    "pcaps/plain/zeek-http_http-lower-case-nonstandard-port.pcap",
    "pcaps/plain/zeek-ipv6-http-atomic-frag.pcap",
    # repeated response headers: no event
    "pcaps/plain/cs-http_espn.pcapng",
    "pcaps/plain/sv-http-range-file.pcap",
    "pcaps/plain/zeek-wikipedia.pcap",
    # UDP flows whose first datagram is an answer from port 53: not DNS
    "pcaps/plain/zeek-dns-edns-ecs.pcap",
]


def main():
    out = {}
    for c in CAPTURES:
        cmd = [os.path.join(SHARED, "tools/oracle-alerts"), os.path.join(SHARED, c), "--flat", "-q"]
        for r in RULES:
            cmd += ["-S", os.path.join(SHARED, r)]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, check=True)
        out[c] = json.loads(r.stdout)
    with open(os.path.join(HERE, "event_rules.json"), "w") as fh:
        json.dump({"rules": RULES, "captures": out}, fh, indent=1, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main()
