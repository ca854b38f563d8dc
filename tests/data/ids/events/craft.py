#!/usr/bin/env python3
"""craft.py: small TCP sessions carrying hostile TLS bytes, one pcap per case,
for tests/ids_events.rs (Suricata 7.0.10 is their oracle: see make.sh).

usage: python3 tests/data/ids/events/craft.py OUTDIR

Each session: 3-way handshake, the client's bytes, the server's ACK, the
server's bytes, the client's ACK, FIN/ACK both ways. Standard library only.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from pcapfile import csum, ipv4, write_pcap  # noqa: E402


def packet(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    c = csum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    eth = b"\x00\x00\x00\x00\x00\x02" + b"\x00\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ipv4(src, dst, 6, tcp + payload)


def session(client_bytes, server_bytes, dport=443):
    c, s = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    cp, sp = 40000, dport
    SYN, ACK, PSH, FIN = 2, 16, 8, 1
    ci, si = 1000, 5000
    out = [packet(c, s, cp, sp, ci, 0, SYN), packet(s, c, sp, cp, si, ci + 1, SYN | ACK),
           packet(c, s, cp, sp, ci + 1, si + 1, ACK)]
    cseq, sseq = ci + 1, si + 1
    for chunk in client_bytes:
        out.append(packet(c, s, cp, sp, cseq, sseq, PSH | ACK, chunk))
        cseq += len(chunk)
        out.append(packet(s, c, sp, cp, sseq, cseq, ACK))
    for chunk in server_bytes:
        out.append(packet(s, c, sp, cp, sseq, cseq, PSH | ACK, chunk))
        sseq += len(chunk)
        out.append(packet(c, s, cp, sp, cseq, sseq, ACK))
    out.append(packet(c, s, cp, sp, cseq, sseq, FIN | ACK))
    out.append(packet(s, c, sp, cp, sseq, cseq + 1, FIN | ACK))
    out.append(packet(c, s, cp, sp, cseq + 1, sseq + 1, ACK))
    return out


def write(path, pkts):
    write_pcap(path, [(1700000000 + i, 0, p) for i, p in enumerate(pkts)])


def rec(ctype, body, version=b"\x03\x03"):
    return bytes([ctype]) + version + struct.pack("!H", len(body)) + body


def hs(kind, body):
    return bytes([kind]) + struct.pack("!I", len(body))[1:] + body


def client_hello():
    body = b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\xc0\x2f" + b"\x01\x00"
    return rec(22, hs(1, body))


def server_hello():
    body = b"\x03\x03" + bytes(32) + b"\x00" + b"\xc0\x2f" + b"\x00"
    return rec(22, hs(2, body))


def certificate(der):
    lst = struct.pack("!I", len(der))[1:] + der
    return rec(22, hs(11, struct.pack("!I", len(lst))[1:] + lst))


def der(tag, content):
    n = len(content)
    if n < 128:
        return bytes([tag, n]) + content
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(b)]) + b + content


def x509(version=b"\xa0\x03\x02\x01\x02", serial=b"\x02\x01\x01", name=None, validity=None):
    alg = der(0x30, der(0x06, bytes.fromhex("2a864886f70d01010b")) + b"\x05\x00")
    if name is None:
        name = der(0x30, der(0x31, der(0x30, der(0x06, b"\x55\x04\x03") + der(0x0C, b"a.io"))))
    if validity is None:
        validity = der(0x30, der(0x17, b"230101000000Z") + der(0x17, b"330101000000Z"))
    spki = der(0x30, alg + der(0x03, b"\x00\x01\x02"))
    tbs = der(0x30, version + serial + alg + name + validity + name + spki)
    return der(0x30, tbs + alg + der(0x03, b"\x00\x01"))


CASES = {
    # Heartbeat request announcing more payload than its record (Heartbleed).
    "hb-overflow": ([client_hello(), rec(24, b"\x01\x40\x00" + bytes(16))], [server_hello()]),
    # Heartbeat request with too little padding.
    "hb-short-padding": ([client_hello(), rec(24, b"\x01\x00\x04abcd" + bytes(8))], [server_hello()]),
    # Heartbeat of an unknown type before ChangeCipherSpec.
    "hb-bad-type": ([client_hello(), rec(24, b"\x07\x00\x04abcd" + bytes(16))], [server_hello()]),
    # Encrypted heartbeat response longer than its request (data leak).
    "hb-dataleak": ([client_hello(), rec(20, b"\x01"), rec(24, bytes(40))],
                    [server_hello(), rec(20, b"\x01"), rec(24, bytes(400))]),
    # A handshake record shorter than a message header.
    "hs-record-short": ([client_hello() + rec(22, b"\x10\x00")], [server_hello()]),
    # A handshake message header cut by its record's end.
    "hs-header-cut": ([client_hello()], [server_hello() + rec(22, hs(14, b"") + b"\x0e\x00")]),
    # A handshake message type Suricata does not know.
    "hs-unknown-type": ([client_hello()], [server_hello() + rec(22, hs(99, b"xx"))]),
    # Forty SSLv2 records of 3 bytes each in one segment.
    "too-many-records": ([client_hello()], [server_hello() + b"\x80\x01\x07" * 40]),
    # An SSLv2 ERROR message from the server.
    "sslv2-error": ([client_hello()], [b"\x80\x03\x00\x00\x01"]),
    # A TLS alert record: not an event in Suricata 7.
    "tls-alert": ([client_hello()], [server_hello(), rec(21, b"\x02\x28")]),
    # Leaf certificates with one bad field each.
    "cert-bad-version": ([client_hello()], [server_hello(), certificate(x509(version=b"\xa0\x03\x02\x01\x07"))]),
    "cert-bad-serial": ([client_hello()], [server_hello(), certificate(x509(serial=b"\x02\x00"))]),
    "cert-bad-name": ([client_hello()], [server_hello(), certificate(x509(name=der(0x30, der(0x31, b"\x05\x00"))))]),
    "cert-bad-date": ([client_hello()], [server_hello(), certificate(x509(validity=der(0x30, der(0x17, b"2301") + der(0x17, b"3301"))))]),
    "cert-cut": ([client_hello()], [server_hello(), certificate(x509()[:-20])]),
    "cert-not-der": ([client_hello()], [server_hello(), certificate(b"\x30\x82\xff")]),
    "cert-good": ([client_hello()], [server_hello(), certificate(x509())]),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, (c, s) in CASES.items():
        write(os.path.join(out, name + ".pcap"), session(c, s))


if __name__ == "__main__":
    main()
