#!/usr/bin/env python3
"""Writes overlaps.pcap: IPv4 and IPv6 datagrams sent as overlapping
fragments (the Sturges-Novak pattern of Suricata's defrag tests, the shape
of zeek-ipv4_fragmented-1, and seeded random sets), one datagram per source
address, each fragment filled with its own letter, for src/defrag's
policy tests; make.sh records the datagrams Suricata 7.0.10 rebuilds from
them. Run from this folder: python3 craft.py (standard library only)."""
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pcapfile  # noqa: E402

DST4 = bytes([10, 9, 0, 1])
DST6 = bytes([0xFD] + [0] * 14 + [1])


def eth(ethertype, payload):
    return b"\x02" * 6 + b"\x04" * 6 + struct.pack("!H", ethertype) + payload


def frag4(src, ident, off, more, data):
    flags = (0x2000 if more else 0) | (off // 8)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident, flags, 64, 1, 0, src, DST4)
    return h[:10] + struct.pack("!H", pcapfile.csum(h)) + h[12:] + data


def frag6(src, ident, off, more, data):
    fh = struct.pack("!BBHI", 58, 0, ((off // 8) << 3) | (1 if more else 0), ident)
    return struct.pack("!IHBB16s16s", 0x60000000, len(fh) + len(data), 44, 64, src, DST6) + fh + data


NOVAK = [(0, 24, 1), (32, 16, 1), (48, 24, 1), (80, 8, 1), (104, 16, 1), (120, 24, 1),
         (144, 16, 1), (160, 16, 1), (176, 8, 1), (8, 32, 1), (48, 24, 1), (72, 24, 1),
         (96, 24, 1), (128, 8, 1), (152, 8, 1), (160, 8, 1), (176, 16, 0)]
# zeek-ipv4_fragmented-1: 18 bytes at 0 (MF), the last at 48, then 304 bytes at 0 (MF).
ZEEK = [(0, 18, 1), (48, 116, 0), (0, 304, 1)]


def random_set(rng):
    """Fragments (offset, length, more) covering 0..end, with overlaps and
    a shuffled order; the last one (MF clear) somewhere in it."""
    end = rng.randrange(3, 24) * 8
    frags, at = [], 0
    while at < end:
        n = min(rng.randrange(1, 6) * 8, end - at)
        frags.append((at, n, 1))
        at += n
    for _ in range(rng.randrange(1, 6)):
        off = rng.randrange(0, end // 8) * 8
        n = rng.randrange(1, 8) * 8
        if off + n > end:
            n = end - off
        if n > 0:
            frags.append((off, n, 1))
    last = frags.pop(max(range(len(frags)), key=lambda i: frags[i][0] + frags[i][1]))
    frags.append((last[0], last[1], 0))
    rng.shuffle(frags)
    return frags


def main():
    rng = random.Random(20261126)
    sets = [NOVAK, ZEEK] + [random_set(rng) for _ in range(60)]
    records, index, t = [], [], 1_700_000_000
    for v6 in (False, True):
        for n, frags in enumerate(sets):
            src = bytes([0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, v6 + 1, n]) if v6 else bytes([10, 8, v6, n])
            entry = {"v6": v6, "set": n, "fragments": []}
            for i, (off, length, more) in enumerate(frags):
                letter = bytes([0x41 + i % 26])
                data = letter * length
                pkt = frag6(src, 77, off, more, data) if v6 else frag4(src, 77, off, more, data)
                t += 1
                records.append((t, 0, eth(0x86DD if v6 else 0x0800, pkt)))
                entry["fragments"].append([off, more, data.decode()])
            index.append(entry)
    pcapfile.write_pcap("overlaps.pcap", records)
    with open("overlaps.fragments.json", "w") as fh:
        json.dump(index, fh, indent=0)


main()
