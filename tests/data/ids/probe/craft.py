#!/usr/bin/env python3
"""craft.py: small UDP and TCP flows for protocol detection's direction
decisions, one pcap per case, for tests/ids_probe_dir.rs (Suricata 7.0.10 is
their oracle: see make.sh).

usage: python3 tests/data/ids/probe/craft.py OUTDIR

UDP cases: DNS datagrams whose first one is an answer travelling to port 53
(Suricata's DNS probe reverses such a flow: the answer goes to the client),
and controls. TCP cases: DCE/RPC openings in either direction (Suricata's
`|05 00|` pattern with its probing parser). Standard library only.
"""
import importlib.util
import os
import struct
import sys

# Checksums and the pcap writer of the TLS event sessions' craft.py.
_spec = importlib.util.spec_from_file_location(
    "events_craft", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "events", "craft.py"))
_events = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_events)
csum, write = _events.csum, _events.write

A, B = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])


def ip(src, dst, proto, l4):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    eth = b"\x00\x00\x00\x00\x00\x02" + b"\x00\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + h + l4


def udp(src, dst, sport, dport, payload):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 17, len(u))
    c = csum(pseudo + u) or 0xFFFF
    return ip(src, dst, 17, u[:6] + struct.pack("!H", c) + u[8:])


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    t = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(t) + len(payload))
    c = csum(pseudo + t + payload)
    return ip(src, dst, 6, t[:16] + struct.pack("!H", c) + t[18:] + payload)


def name(n):
    return b"".join(bytes([len(p)]) + p for p in n.split(b".")) + b"\0"


def dns(txid, response, qname=b"example.com", answers=1):
    flags = 0x8180 if response else 0x0100
    q = name(qname) + struct.pack("!HH", 1, 1)
    an = b""
    if response:
        an = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])
        an *= answers
    return struct.pack("!HHHHHH", txid, flags, 1, answers if response else 0, 0, 0) + q + an


def tcp_session(client_bytes, server_bytes, dport=5555, order="cs"):
    """3-way handshake, then chunks in `order` ('c' client, 's' server; each
    acknowledged by the peer), FIN/ACK both ways."""
    c, s = A, B
    cp, sp = 40000, dport
    SYN, ACK, PSH, FIN = 2, 16, 8, 1
    cseq, sseq = 1001, 5001
    out = [tcp(c, s, cp, sp, 1000, 0, SYN), tcp(s, c, sp, cp, 5000, 1001, SYN | ACK),
           tcp(c, s, cp, sp, 1001, 5001, ACK)]
    ci, si = iter(client_bytes), iter(server_bytes)
    for who in order:
        if who == "c":
            chunk = next(ci)
            out.append(tcp(c, s, cp, sp, cseq, sseq, PSH | ACK, chunk))
            cseq += len(chunk)
            out.append(tcp(s, c, sp, cp, sseq, cseq, ACK))
        else:
            chunk = next(si)
            out.append(tcp(s, c, sp, cp, sseq, cseq, PSH | ACK, chunk))
            sseq += len(chunk)
            out.append(tcp(c, s, cp, sp, cseq, sseq, ACK))
    out.append(tcp(c, s, cp, sp, cseq, sseq, FIN | ACK))
    out.append(tcp(s, c, sp, cp, sseq, cseq + 1, FIN | ACK))
    out.append(tcp(c, s, cp, sp, cseq + 1, sseq + 1, ACK))
    return out


def dce(ptype, drep=b"\x10\x00\x00\x00", minor=0, body=b"\0" * 8):
    frag = 16 + len(body)
    return bytes([5, minor, ptype, 3]) + drep + struct.pack("<HHI", frag, 0, 1) + body


BIND, BIND_ACK, REQUEST, RESPONSE = 11, 12, 0, 2

CASES = {
    # One DNS answer 53 -> 53 (as zeek-dns53): Suricata reverses the flow.
    "dns-answer-53-53": [udp(A, B, 53, 53, dns(1, True))],
    # An answer to port 53, then the other side's query and a second answer.
    "dns-answer-then-query": [udp(A, B, 53, 53, dns(1, True)), udp(B, A, 53, 53, dns(2, False)),
                              udp(A, B, 53, 53, dns(2, True))],
    # An answer from a high port to port 53, then a query back to that port.
    "dns-answer-to-53": [udp(A, B, 40000, 53, dns(3, True)), udp(B, A, 53, 40000, dns(4, False)),
                         udp(A, B, 40000, 53, dns(4, True))],
    # A query and its answer (no reversal).
    "dns-query-answer": [udp(A, B, 40001, 53, dns(5, False)), udp(B, A, 53, 40001, dns(5, True))],
    # An answer from port 53 to a high port first: the probe does not run
    # on the source port (app_proto failed, no reversal).
    "dns-answer-from-53": [udp(A, B, 53, 40002, dns(6, True)), udp(B, A, 40002, 53, dns(7, False))],
    # DCE/RPC bind and bind_ack: both directions name dcerpc.
    "dce-bind": tcp_session([dce(BIND)], [dce(BIND_ACK)]),
    # The SOCKS5 greeting (zeek-socks): `05 01 00` to the server, `05 00`
    # and a reply to the client.
    "dce-socks5": tcp_session([b"\x05\x01\x00", b"\x05\x01\x00\x03\x0ewww.osnews.com\x00\x50"],
                              [b"\x05\x00", b"\x05\x00\x00\x01\xc0\xa8\x00\x1f\x0a\x80",
                               b"HTTP/1.1 200 OK\r\n\r\n"], order="cscss"),
    # A client header cut in two segments.
    "dce-bind-split": tcp_session([dce(BIND)[:4], dce(BIND)[4:]], [dce(BIND_ACK)], order="ccs"),
    # Minor version 1 to the server.
    "dce-minor-1": tcp_session([dce(BIND, minor=1)], [dce(BIND_ACK)]),
    # Data representation out of range (character set byte 0x20, float 9).
    "dce-bad-drep": tcp_session([dce(BIND, drep=b"\x30\x09\x00\x00")], [dce(BIND_ACK)]),
    # Only the character-set byte out of range / only the float byte.
    "dce-bad-drep0": tcp_session([dce(BIND, drep=b"\x30\x00\x00\x00")], [dce(BIND_ACK)]),
    "dce-bad-drep1": tcp_session([dce(BIND, drep=b"\x10\x09\x00\x00")], [dce(BIND_ACK)]),
    # A bad data representation, and a server that answers in text.
    "dce-bad-drep-text": tcp_session([dce(BIND, drep=b"\x30\x09\x00\x00")], [b"hello there\r\n"]),
    # Server speaks first with a response PDU, the client then binds.
    "dce-server-first": tcp_session([dce(BIND)], [dce(RESPONSE)], order="sc"),
    # A response PDU from the client (wrong direction for its type).
    "dce-response-to-server": tcp_session([dce(RESPONSE)], [dce(REQUEST)]),
    # Unknown packet type 30 and a short fragment length.
    "dce-odd-type": tcp_session([dce(30, body=b"")[:8] + b"\x04\x00\x00\x00\x01\x00\x00\x00"],
                                [dce(BIND_ACK)]),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for n, pkts in CASES.items():
        write(os.path.join(out, n + ".pcap"), pkts)


if __name__ == "__main__":
    main()
