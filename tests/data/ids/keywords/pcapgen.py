"""Tiny pcap writer for the crafted keyword captures (standard library only).

Ethernet + IPv4 + UDP/TCP with correct checksums; TCP sessions get a
three-way handshake, data with proper sequence numbers and ACKs, and a FIN
exchange, so Suricata's stream engine and vxtap's reassemble them.
"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from pcapfile import csum as _csum, ipv4, write_pcap  # noqa: E402


def _ip(a):
    return bytes(int(x) for x in a.split("."))


class Pcap:
    def __init__(self):
        self.frames = []
        self.ip_id = 1

    def _ipv4(self, src, dst, proto, l4):
        self.ip_id += 1
        return ipv4(_ip(src), _ip(dst), proto, l4, ident=self.ip_id - 1)

    def _frame(self, t, ip):
        eth = b"\x00\x00\x00\x00\x00\x02" + b"\x00\x00\x00\x00\x00\x01" + b"\x08\x00"
        self.frames.append((t, eth + ip))

    def udp(self, t, src, sport, dst, dport, payload):
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        pseudo = _ip(src) + _ip(dst) + struct.pack("!BBH", 0, 17, len(l4))
        c = _csum(pseudo + l4) or 0xFFFF
        l4 = l4[:6] + struct.pack("!H", c) + l4[8:]
        self._frame(t, self._ipv4(src, dst, 17, l4))

    def tcp(self, t, src, sport, dst, dport, seq, ack, flags, payload=b""):
        l4 = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
        pseudo = _ip(src) + _ip(dst) + struct.pack("!BBH", 0, 6, len(l4))
        l4 = l4[:16] + struct.pack("!H", _csum(pseudo + l4)) + l4[18:]
        self._frame(t, self._ipv4(src, dst, 6, l4))

    def session(self, t, cli, sport, srv, dport, messages, step=0.01):
        """A TCP session: handshake, `messages` = [(to_server, bytes)], each
        acknowledged by the peer, then FIN/ACK from both sides."""
        cs, ss = 1000, 5000
        S, A, PA, FA = 0x02, 0x10, 0x18, 0x11
        self.tcp(t, cli, sport, srv, dport, cs, 0, S); t += step
        self.tcp(t, srv, dport, cli, sport, ss, cs + 1, 0x12); t += step
        cs += 1; ss += 1
        self.tcp(t, cli, sport, srv, dport, cs, ss, A); t += step
        for to_server, data in messages:
            if to_server:
                self.tcp(t, cli, sport, srv, dport, cs, ss, PA, data); t += step
                cs += len(data)
                self.tcp(t, srv, dport, cli, sport, ss, cs, A); t += step
            else:
                self.tcp(t, srv, dport, cli, sport, ss, cs, PA, data); t += step
                ss += len(data)
                self.tcp(t, cli, sport, srv, dport, cs, ss, A); t += step
        self.tcp(t, cli, sport, srv, dport, cs, ss, FA); t += step
        self.tcp(t, srv, dport, cli, sport, ss, cs + 1, FA); t += step
        self.tcp(t, cli, sport, srv, dport, cs + 1, ss + 1, A); t += step
        return t

    def write(self, path, base=1700000000):
        self.frames.sort(key=lambda f: f[0])
        write_pcap(path, [(base + int(t), int(round((t - int(t)) * 1e6)), data)
                          for t, data in self.frames])
