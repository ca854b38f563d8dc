#!/usr/bin/env python3
"""Regenerates tests/data/applayer/dns.tsv: every DNS message tshark decodes
on port 53 in the captures listed below, one line per message:

    <capture>\t<dns.id>\t<dns.flags.response>\t<dns.flags.opcode>\t<dns.flags.z>\t<query names, comma-joined>

from `tshark -r <capture> -Y "dns && (udp.port == 53 || tcp.port == 53)" -T json -J dns` (each frame's dns layer,
a list when one TCP segment holds several messages). Run from the project
root: python3 tests/data/applayer/dns.py > tests/data/applayer/dns.tsv
Names with bytes outside printable ASCII are left out (tshark escapes them).
"""
import json
import subprocess
import sys

CAPTURES = [
    "acceptance/bug-2158/input.pcap",
    "acceptance/bug-2736-01/input.pcap",
    "acceptance/detect-dotprefix-01/input.pcap",
    "acceptance/dns-detect-query-01/input.pcap",
    "acceptance/dns-detect-query-05/input.pcap",
    "acceptance/dns-opcode/input.pcap",
    "acceptance/dns-z-bit/input.pcap",
    "acceptance/test-bsize-values-1/input.pcap",
    "acceptance/http-protocol-inspect-v2/input.pcap",
    "acceptance/derived-app-layer-protocol-b/input.pcap",
    "acceptance/derived-vxlan-aws-mirror/input.pcap",
    "pcaps/plain/cs-dns_query_response.pcapng",
    "pcaps/plain/cs-dns_tcp.pcapng",
    "pcaps/plain/sv-dns_dns-tcp-multirequest-buffer_dns-tcp-multirequest-buffer.pcap",
    "pcaps/plain/sv-dns_dns-tcp-www-google-com_dns.pcap",
    "pcaps/plain/sv-issues_issue-4759.1_tcpdns.pcap",
    "pcaps/plain/zeek-dns-two-responses.pcap",
    "pcaps/plain/zeek-dns-txt-multiple.pcap",
    "pcaps/plain/zeek-dns_dynamic-update.pcap",
    "pcaps/plain/zeek-dns_long-connection.pcap",
]


def printable(s):
    return all(0x20 < ord(c) < 0x7F for c in s)


def pairs(items):
    """tshark repeats the "dns" key when a frame holds several messages:
    keep every value (in a Dups list) instead of the last."""
    out = {}
    for k, v in items:
        if k == "dns" and k in out:
            if not isinstance(out[k], Dups):
                out[k] = Dups([out[k]])
            out[k].append(v)
        else:
            out[k] = v
    return out


class Dups(list):
    """Several messages of one frame."""


def fields(layer):
    flags = layer.get("dns.flags_tree", {})
    names = []
    # UPDATE messages (opcode 5) call the question section "Zone".
    for q in list(layer.get("Queries", {}).values()) + list(layer.get("Zone", {}).values()):
        names.append(q.get("dns.qry.name", ""))
    return [
        str(int(layer.get("dns.id", "0x0"), 16)),
        flags.get("dns.flags.response", "0"),
        flags.get("dns.flags.opcode", "0"),
        flags.get("dns.flags.z", "0"),
        ",".join(n for n in names if printable(n) and n != "<Root>"),
    ]


def main():
    print("# python3 tests/data/applayer/dns.py > tests/data/applayer/dns.tsv")
    print("# capture\tid\tresponse\topcode\tz\tqueries (tshark, see dns.py)")
    for cap in CAPTURES:
        out = subprocess.run(
            ["tshark", "-r", "../shared/" + cap, "-Y", "dns && (udp.port == 53 || tcp.port == 53)", "-T", "json", "-J", "dns"],
            check=True, capture_output=True, text=True,
        ).stdout
        for frame in json.loads(out or "[]", object_pairs_hook=pairs):
            layer = frame["_source"]["layers"].get("dns")
            if layer is None:
                continue
            for msg in layer if isinstance(layer, Dups) else [layer]:
                print("\t".join([cap] + fields(msg)))


if __name__ == "__main__":
    sys.exit(main())
