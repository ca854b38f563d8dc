#!/usr/bin/env python3
"""Writes flowkey.pcap: the same UDP 5-tuple met on different VLANs and at
different tunnel depths, which Suricata 7 keeps in separate flows
(`vlan.use-for-tracking: true`, the recursion level in its flow key), for
tests/ids_flow_key.rs. Run from this folder: python3 craft.py
(python3 standard library only; make.sh then records Suricata's alerts)."""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import pcapfile  # noqa: E402
from pcapfile import ipv4  # noqa: E402

A, B = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
O1, O2 = bytes([172, 16, 0, 1]), bytes([172, 16, 0, 2])


def eth(ethertype, payload, tags=()):
    """Ethernet II with 802.1Q/802.1ad `tags` ((tpid, id), outermost first)."""
    out = b"\x02" * 6 + b"\x04" * 6
    types = [t for t, _ in tags] + [ethertype]
    out += struct.pack("!H", types[0])
    for i, (_, vid) in enumerate(tags):
        out += struct.pack("!HH", vid, types[i + 1])
    return out + payload


def udp(sp, dp, data):
    return struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data


def vxlan(vni, frame):
    return struct.pack("!BBHI", 0x08, 0, 0, vni << 8) + frame


def mirrored(inner_frame, outer_tags=()):
    return eth(0x0800, ipv4(O1, O2, 17, udp(40000, 4789, vxlan(7, inner_frame))), outer_tags)


def a_to_b(tag):
    return ipv4(A, B, 17, udp(1111, 2222, b"probe-" + tag))


def b_to_a(tag):
    return ipv4(B, A, 17, udp(2222, 1111, b"probe-" + tag))


def gre(proto, body, flags=0, extra=b""):
    return struct.pack("!HH", flags, proto) + extra + body


def erspan2(vlan, session, frame):
    """GRE (sequence bit) + ERSPAN type II header naming `vlan`."""
    hdr = struct.pack("!HHI", (1 << 12) | vlan, session & 0x3FF, 0)
    return gre(0x88BE, hdr + frame, flags=0x1000, extra=struct.pack("!I", 1))


def frag(src, dst, ident, offset, more, data):
    """An IPv4 fragment of a UDP datagram (protocol 17)."""
    flags = (0x2000 if more else 0) | (offset // 8)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident, flags, 64, 17, 0, src, dst)
    return hdr[:10] + struct.pack("!H", pcapfile.csum(hdr)) + hdr[12:] + data


frames = [
    # 1-2: untagged, both directions: one flow.
    eth(0x0800, a_to_b(b"plain")),
    eth(0x0800, b_to_a(b"plain")),
    # 3-4: QinQ 5/6 then 5/7: two more flows.
    eth(0x0800, a_to_b(b"qinq-6"), [(0x88A8, 5), (0x8100, 6)]),
    eth(0x0800, a_to_b(b"qinq-7"), [(0x88A8, 5), (0x8100, 7)]),
    # 5: priority tag (id 0) is no VLAN for the key: the untagged flow.
    eth(0x0800, a_to_b(b"prio"), [(0x8100, 0)]),
    # 6-7: VXLAN with outer VLAN 100: the inner packet's ids are its own
    # frame's (200), and the reply on 201 is another flow. (An untagged
    # inner packet would share Suricata's flow with the GRE packets below,
    # one tunnel level down too: vxtap keeps mirror sessions apart by VNI.)
    mirrored(eth(0x0800, a_to_b(b"vx-200"), [(0x8100, 200)]), [(0x8100, 100)]),
    mirrored(eth(0x0800, b_to_a(b"vx-201"), [(0x8100, 201)]), [(0x8100, 100)]),
    # 8: outer VLANs 100/101: the outer UDP packet is another flow.
    mirrored(eth(0x0800, a_to_b(b"vx-200b"), [(0x8100, 200)]), [(0x8100, 100), (0x8100, 101)]),
    # 9-10: GRE (plain capture) carrying the untagged 5-tuple: depth 1,
    # another flow, in both directions.
    eth(0x0800, ipv4(O1, O2, 47, gre(0x0800, a_to_b(b"gre")))),
    eth(0x0800, ipv4(O2, O1, 47, gre(0x0800, b_to_a(b"gre")))),
    # 11-12: ERSPAN II naming VLAN 77 around a frame tagged 88: the inner
    # packet's ids are [77, 88]; an untagged frame in ERSPAN without VLAN
    # joins the GRE flow.
    eth(0x0800, ipv4(O1, O2, 47, erspan2(77, 1, eth(0x0800, a_to_b(b"erspan-77-88"), [(0x8100, 88)])))),
    eth(0x0800, ipv4(O1, O2, 47, erspan2(0, 1, eth(0x0800, a_to_b(b"erspan-none"))))),
]
# 13-16: two datagrams with the same addresses and IP id, on VLANs 10 and
# 20, fragments interleaved: each is rebuilt from its own VLAN's fragments.
d10 = udp(3333, 4444, b"frag-vlan10-" + b"a" * 20)
d20 = udp(3333, 4444, b"frag-vlan20-" + b"b" * 20)
for lo, hi in [(0, 16), (16, None)]:
    for vid, d in [(10, d10), (20, d20)]:
        part = d[lo:hi]
        frames.append(eth(0x0800, frag(A, B, 0x4242, lo, hi is not None, part), [(0x8100, vid)]))

# 17-18: three tags, then the reply on the same three: one flow. Last on
# purpose: Suricata 7.0.10 resets only the first two VLAN ids of a packet
# it recycles (PACKET_REINIT), so after a three-tag packet the third id
# stays in the packets that follow and splits their flows (measured).
frames.append(eth(0x0800, a_to_b(b"three"), [(0x88A8, 5), (0x8100, 6), (0x9100, 9)]))
frames.append(eth(0x0800, b_to_a(b"three"), [(0x88A8, 5), (0x8100, 6), (0x9100, 9)]))

pcapfile.write_pcap("flowkey.pcap", [(1_700_000_000 + i, 0, f) for i, f in enumerate(frames)])
