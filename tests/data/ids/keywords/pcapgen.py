"""Tiny pcap writer for the crafted keyword captures (standard library only).

Ethernet + IPv4 + UDP/TCP with correct checksums; TCP sessions get a
three-way handshake, data with proper sequence numbers and ACKs, and a FIN
exchange, so Suricata's stream engine and vxtap's reassemble them.
"""

import struct


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _ip(a):
    return bytes(int(x) for x in a.split("."))


class Pcap:
    def __init__(self):
        self.frames = []
        self.ip_id = 1

    def _ipv4(self, src, dst, proto, l4):
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), self.ip_id, 0, 64,
                          proto, 0, _ip(src), _ip(dst))
        self.ip_id += 1
        hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
        return hdr + l4

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
        with open(path, "wb") as fh:
            fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, data in self.frames:
                sec = base + int(t)
                usec = int(round((t - int(t)) * 1e6))
                fh.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)
