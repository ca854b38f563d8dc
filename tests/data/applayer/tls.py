#!/usr/bin/env python3
"""Regenerates tests/data/applayer/tls.tsv from tshark and openssl:

    <capture>\tSNI\t<server name>                    tls.handshake.extensions_server_name
    <capture>\tJA3\t<ja3 string>\t<md5>              tls.handshake.ja3_full, tls.handshake.ja3
    <capture>\tJA3S\t<ja3s string>\t<md5>            tls.handshake.ja3s_full, tls.handshake.ja3s
    <capture>\tCERT\t<serial>\t<sha1>\t<subject>\t<issuer>\t<notBefore>\t<notAfter>
        for each certificate tshark extracts (tls.handshake.certificate), from
        `openssl x509 -inform DER -noout -serial -fingerprint -sha1 -subject
        -issuer -nameopt sep_comma_plus_space,sname,utf8,esc_ctrl -dates`
        (the dates as seconds since the epoch, UTC); the serial
        written as its DER integer bytes (a 00 first when the top bit is set),
        upper-case pairs joined by ":", the SHA-1 lower-case, the attributes
        openssl calls emailAddress and street spelled Email and streetAddress
        as x509-parser (Suricata's decoder) spells them.

from `tshark -r <capture> -Y "tls.handshake && tcp.stream in {S}" -T json`
(S: streams whose client SYN is in the capture, as Suricata's default
`stream.midstream: false`). Run from the project root:
    python3 tests/data/applayer/tls.py > tests/data/applayer/tls.tsv
"""
import datetime
import json
import subprocess

from tshark_tree import Multi, pairs, walk

CAPTURES = [
    "acceptance/bug-5758/input.pcap",
    "acceptance/derived-tls-keywords/input.pcap",
    "acceptance/sslv2-tls-upgrade-01/input.pcap",
    "acceptance/tls-cert-noissuer/input.pcap",
    "acceptance/tls-client-hello-frag-01/input.pcap",
    "acceptance/tls-fingerprint-alert/input.pcap",
    "acceptance/tls-issuerdn/input.pcap",
    "acceptance/tls-subject/input.pcap",
    "acceptance/derived-app-layer-protocol-b/input.pcap",
    "pcaps/plain/sv-tls_tls-subjectaltname.pcap",
    "pcaps/plain/sv-tls_tls-random-6989.pcap",
]


def cert_line(hexder):
    der = bytes.fromhex(hexder.replace(":", ""))
    out = subprocess.run(
        ["openssl", "x509", "-inform", "DER", "-noout", "-serial", "-fingerprint", "-sha1",
         "-subject", "-issuer", "-nameopt", "sep_comma_plus_space,sname,utf8,esc_ctrl", "-dates"],
        input=der, check=True, capture_output=True,
    ).stdout.decode()
    f = {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        f[k] = v
    s = f["serial"]
    s = ("0" + s) if len(s) % 2 else s
    b = bytes.fromhex(s)
    if b[0] & 0x80:
        b = b"\x00" + b
    serial = ":".join("%02X" % x for x in b)
    sha1 = f["sha1 Fingerprint"].lower()
    return ["CERT", serial, sha1, names(f.get("subject", "")), names(f.get("issuer", "")),
            epoch(f["notBefore"]), epoch(f["notAfter"])]


def epoch(date):
    """openssl's `Jan  1 00:00:00 2019 GMT` as seconds since the epoch."""
    t = datetime.datetime.strptime(date, "%b %d %H:%M:%S %Y %Z")
    return str(int(t.replace(tzinfo=datetime.timezone.utc).timestamp()))


# openssl's short names where x509-parser (Suricata's decoder) spells the
# attribute otherwise.
RENAME = {"emailAddress=": "Email=", "street=": "streetAddress="}


def names(dn):
    for a, b in RENAME.items():
        dn = dn.replace(", " + a, ", " + b)
        if dn.startswith(a):
            dn = b + dn[len(a):]
    return dn


def main():
    print("# python3 tests/data/applayer/tls.py > tests/data/applayer/tls.tsv")
    print("# capture\tSNI|JA3|JA3S|CERT\t... (tshark + openssl, see tls.py)")
    for cap in CAPTURES:
        syn = subprocess.run(
            ["tshark", "-r", "../shared/" + cap, "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0",
             "-T", "fields", "-e", "tcp.stream"],
            check=True, capture_output=True, text=True,
        ).stdout.split()
        streams = ", ".join(sorted(set(syn), key=int)) or "-1"
        out = subprocess.run(
            ["tshark", "-r", "../shared/" + cap, "-Y", "tls.handshake && tcp.stream in {%s}" % streams,
             "-T", "json"],
            check=True, capture_output=True, text=True,
        ).stdout
        rows = []
        for frame in json.loads(out or "[]", object_pairs_hook=pairs):
            tls = frame["_source"]["layers"].get("tls")
            if tls is None:
                continue
            for sni in walk(tls, "tls.handshake.extensions_server_name", []):
                rows.append(["SNI", sni])
            for full, h in zip(walk(tls, "tls.handshake.ja3_full", []), walk(tls, "tls.handshake.ja3", [])):
                rows.append(["JA3", full, h])
            for full, h in zip(walk(tls, "tls.handshake.ja3s_full", []), walk(tls, "tls.handshake.ja3s", [])):
                rows.append(["JA3S", full, h])
            for c in walk(tls, "tls.handshake.certificate", []):
                rows.append(cert_line(c))
        for r in rows:
            print("\t".join([cap] + r))


if __name__ == "__main__":
    main()
