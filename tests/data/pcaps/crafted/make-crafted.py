#!/usr/bin/env python3
"""Writes the crafted edge-case captures of this folder (python3 standard library only).

Each capture isolates one corner of the decap/flow semantics that the public captures do
not cover or cover only by accident: link types other than Ethernet, VXLAN over IPv6,
tunnel-port and tunnel-header corner cases, cut IP/transport headers, IPv6 extension-header
walking, fragments, ICMP errors, window boundaries.  Their expected records come from the
tshark oracle like every other capture (tests/data/oracle/crafted/, made by
tests/data/oracle/regen.sh); CASES.md next to this script says what each file holds and
what the oracle makes of it.

Deterministic: rerunning it rewrites byte-identical files.
    python3 tests/data/pcaps/crafted/make-crafted.py
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from pcapfile import csum, pcap_bytes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC (not a window boundary: 1699999800 and 1699999980 are)

# ---------------------------------------------------------------- checksums / headers


def ip4a(a):
    return bytes(int(x) for x in a.split("."))


def ip6a(a):
    # minimal RFC 4291 parser ("::" once, no embedded IPv4)
    if "::" in a:
        head, tail = a.split("::")
        h = [int(x, 16) for x in head.split(":") if x]
        t = [int(x, 16) for x in tail.split(":") if x]
        words = h + [0] * (8 - len(h) - len(t)) + t
    else:
        words = [int(x, 16) for x in a.split(":")]
    return struct.pack("!8H", *words)


MAC_A = bytes.fromhex("0a0000000001")
MAC_B = bytes.fromhex("0a0000000002")


def eth(payload, etype=0x0800, dst=MAC_B, src=MAC_A):
    return dst + src + struct.pack("!H", etype) + payload


def vlan(tpid, vid, inner_type, payload):
    """one tag: returns TPID-less bytes (TCI + inner type) to append after a MAC pair"""
    return struct.pack("!HH", vid & 0x0FFF, inner_type) + payload


def eth_tags(payload, tags, etype, dst=MAC_B, src=MAC_A):
    """Ethernet with VLAN tags: tags = [(tpid, vid), ...] outermost first."""
    out = dst + src
    for tpid, vid in tags:
        out += struct.pack("!HH", tpid, vid & 0x0FFF)
    return out + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ident=1, ttl=64, df=False, mf=False, frag_off=0,
         ihl=5, total_len=None, options=b"", version=4):
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | ((frag_off // 8) & 0x1FFF)
    hl = ihl * 4
    opts = options.ljust(max(0, hl - 20), b"\0")[:max(0, hl - 20)]
    tl = (20 + len(opts) + len(payload)) if total_len is None else total_len
    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | (ihl & 0xF), 0, tl & 0xFFFF, ident, flags,
                    ttl, proto, 0, ip4a(src), ip4a(dst)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, nxt, payload, plen=None, hlim=64):
    pl = len(payload) if plen is None else plen
    return struct.pack("!IHBB", 0x60000000, pl, nxt, hlim) + ip6a(src) + ip6a(dst) + payload


def ext(nxt, body):
    """IPv6 hop-by-hop / routing / destination-options header: body padded to 8n-2 bytes."""
    body = body + b"\0" * ((-(len(body) + 2)) % 8)
    return struct.pack("!BB", nxt, (len(body) + 2) // 8 - 1) + body


def frag6(nxt, offset, more, ident):
    return struct.pack("!BBHI", nxt, 0, (offset & 0xFFF8) | (1 if more else 0), ident)


def tcp(sport, dport, flags, payload=b"", seq=1000, ack=0, doff=5, options=b""):
    opts = options.ljust(max(0, doff * 4 - 20), b"\0")
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (doff & 0xF) << 4, flags, 65535,
                       0, 0) + opts + payload


FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20


def udp(sport, dport, payload=b"", length=None):
    ln = 8 + len(payload) if length is None else length
    return struct.pack("!HHHH", sport, dport, ln, 0) + payload


def sctp(sport, dport, payload=b""):
    return struct.pack("!HHII", sport, dport, 1, 0) + payload


def icmp(typ, code, payload=b"", rest=b"\0\0\0\0"):
    h = struct.pack("!BBH", typ, code, 0) + rest + payload
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def icmp6(typ, code, payload=b"", rest=b"\0\0\0\0"):
    return struct.pack("!BBH", typ, code, 0) + rest + payload


def vxlan(vni, payload, flags=0x08, reserved1=b"\0\0\0", reserved2=0):
    return struct.pack("!B", flags) + reserved1 + struct.pack("!I", (vni << 8) | reserved2) + payload


def geneve(vni, proto, payload, options=b"", version=0, opt_len_words=None, oam=False, crit=False):
    ol = len(options) // 4 if opt_len_words is None else opt_len_words
    b0 = (version << 6) | (ol & 0x3F)
    b1 = (0x80 if oam else 0) | (0x40 if crit else 0)
    return struct.pack("!BBHI", b0, b1, proto, vni << 8) + options + payload


def gwlb_options(endpoint=0x0AB1C2D3E4F56789, attachment=0, cookie=0x12345678):
    def tlv(typ, data):
        return struct.pack("!HBB", 0x0108, typ, len(data) // 4) + data
    return (tlv(1, struct.pack("!Q", endpoint)) + tlv(2, struct.pack("!Q", attachment))
            + tlv(3, struct.pack("!I", cookie)))


def vx_outer(inner_frame, vni=1, src="10.0.1.10", dst="10.0.0.100", sport=65408, dport=4789,
             flags=0x08):
    return eth(ipv4(src, dst, 17, udp(sport, dport, vxlan(vni, inner_frame, flags=flags)),
                    ident=0, ttl=255))


# ---------------------------------------------------------------- pcap writer

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW = 0, 1, 101
LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2 = 113, 228, 229, 276


def write_pcap(name, packets, linktype=LINKTYPE_ETHERNET, nanos=False, snaplen=262144):
    """packets: list of (t_ns, data[, orig_len])"""
    recs = []
    for p in packets:
        sec, frac = divmod(p[0], 1_000_000_000)
        recs.append((sec, frac if nanos else frac // 1000) + tuple(p[1:]))
    out = pcap_bytes(recs, linktype=linktype, snaplen=snaplen, nanos=nanos)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(out)


def ts(sec, usec=0):
    return (T0 + sec) * 1_000_000_000 + usec * 1000


A4, B4 = "192.0.2.10", "198.51.100.20"
A6, B6 = "2001:db8::10", "2001:db8:1::20"


def tcp4(sport, dport, flags, payload=b"", src=A4, dst=B4, **kw):
    return ipv4(src, dst, 6, tcp(sport, dport, flags, payload), **kw)


# ---------------------------------------------------------------- the captures


def linktypes():
    """The same two-packet TCP exchange in every link type the issue lists."""
    syn = tcp4(40000, 443, SYN)
    synack = ipv4(B4, A4, 6, tcp(443, 40000, SYN | ACK))
    syn6 = ipv6(A6, B6, 6, tcp(40001, 443, SYN))
    synack6 = ipv6(B6, A6, 6, tcp(443, 40001, SYN | ACK))
    pk4 = [(ts(1), syn), (ts(1, 500), synack)]
    pk6 = [(ts(2), syn6), (ts(2, 500), synack6)]

    def sll(proto, payload, pkttype=0):
        return struct.pack("!HHH8sH", pkttype, 1, 6, MAC_A + b"\0\0", proto) + payload

    def sll2(proto, payload, pkttype=0):
        return struct.pack("!HHIHBB8s", proto, 0, 2, 1, pkttype, 6, MAC_A + b"\0\0") + payload

    def null(af, payload):
        return struct.pack("<I", af) + payload   # host byte order (little-endian writer)

    write_pcap("linktype-raw.pcap", [(t, p) for t, p in pk4 + pk6], LINKTYPE_RAW)
    write_pcap("linktype-ipv4.pcap", pk4, LINKTYPE_IPV4)
    write_pcap("linktype-ipv6.pcap", pk6, LINKTYPE_IPV6)
    write_pcap("linktype-sll.pcap", [(t, sll(0x0800, p)) for t, p in pk4]
               + [(t, sll(0x86DD, p, 4)) for t, p in pk6], LINKTYPE_LINUX_SLL)
    write_pcap("linktype-sll2.pcap", [(t, sll2(0x0800, p)) for t, p in pk4]
               + [(t, sll2(0x86DD, p, 4)) for t, p in pk6], LINKTYPE_LINUX_SLL2)
    # BSD null: AF_INET = 2; AF_INET6 is 24, 28 or 30 depending on the BSD
    write_pcap("linktype-null.pcap", [(t, null(2, p)) for t, p in pk4]
               + [(pk6[0][0], null(24, pk6[0][1])), (pk6[1][0], null(30, pk6[1][1])),
                  (ts(3), null(28, ipv6(A6, B6, 17, udp(5353, 5353, b"x"))))], LINKTYPE_NULL)
    # nanosecond pcap, timestamps 1 ns apart across a window boundary
    write_pcap("pcap-nanosecond.pcap",
               [((T0 + 399) * 1_000_000_000 + 999_999_999, eth(tcp4(40002, 80, SYN))),
                ((T0 + 400) * 1_000_000_000, eth(tcp4(40002, 80, ACK))),
                ((T0 + 400) * 1_000_000_000 + 1, eth(tcp4(40002, 80, FIN | ACK)))], nanos=True)


def vxlan_cases():
    inner = eth(tcp4(40010, 80, SYN))
    inner_r = eth(ipv4(B4, A4, 6, tcp(80, 40010, SYN | ACK)), dst=MAC_A, src=MAC_B)
    # VXLAN over an IPv6 outer header (none in the public captures)
    o6 = lambda fr, sp: eth(ipv6("2001:db8:ffff::1", "2001:db8:ffff::100", 17,
                                 udp(sp, 4789, vxlan(77, fr))), etype=0x86DD)
    write_pcap("vxlan-outer-ipv6.pcap", [(ts(10), o6(inner, 65500)), (ts(10, 300), o6(inner_r, 65500))])
    # VXLAN whose outer frame carries a VLAN tag, and inner frames with 802.1Q and QinQ tags
    outer_tagged = eth_tags(ipv4("10.0.1.10", "10.0.0.100", 17, udp(65409, 4789, vxlan(5, inner)),
                                 ident=0, ttl=255), [(0x8100, 100)], 0x0800)
    inner_q = eth_tags(tcp4(40011, 80, SYN), [(0x8100, 10)], 0x0800)
    inner_qinq = eth_tags(tcp4(40012, 80, SYN), [(0x88A8, 20), (0x8100, 30)], 0x0800)
    inner_3 = eth_tags(ipv6(A6, B6, 17, udp(40013, 53, b"q")), [(0x88A8, 1), (0x8100, 2), (0x8100, 3)], 0x86DD)
    write_pcap("vxlan-vlan-tags.pcap", [(ts(11), outer_tagged), (ts(11, 1), vx_outer(inner_q, vni=5)),
                                        (ts(11, 2), vx_outer(inner_qinq, vni=5)),
                                        (ts(11, 3), vx_outer(inner_3, vni=5))])
    # VXLAN with the I flag clear (tshark still decodes the VNI; vxtap, following RFC 7348,
    # takes it as plain UDP: a file of its own, a known difference)
    write_pcap("vxlan-no-i-flag.pcap", [(ts(12), vx_outer(inner, vni=6, flags=0x00))])
    # VXLAN with reserved bits set
    write_pcap("vxlan-flags.pcap", [
        (ts(12, 1), eth(ipv4("10.0.1.10", "10.0.0.100", 17,
                             udp(65410, 4789, vxlan(6, inner, flags=0x0C, reserved1=b"\x01\x02\x03",
                                                    reserved2=0x44)), ident=0, ttl=255))),
        (ts(12, 2), vx_outer(inner, vni=0xFFFFFF)),
    ])
    # UDP to 4789 too short for a VXLAN header; UDP FROM 4789 to another port (tshark's
    # udp.port table matches either port); a plain UDP flow 4789 -> 4789 inside the tunnel
    write_pcap("vxlan-ports.pcap", [
        (ts(13), eth(ipv4("10.0.1.10", "10.0.0.100", 17, udp(65411, 4789, b"\x08\0\0\0"), ident=0))),
        (ts(13, 1), eth(ipv4("10.0.1.10", "10.0.0.100", 17, udp(4789, 40000, vxlan(8, inner)), ident=0))),
        (ts(13, 2), vx_outer(eth(ipv4(A4, B4, 17, udp(4789, 4789, vxlan(99, inner)))), vni=9)),
        (ts(13, 3), eth(ipv4("10.0.1.10", "10.0.0.100", 17, udp(65412, 4789, vxlan(10, b"\x00" * 6)),
                             ident=0))),
    ])
    # mirror session packet length: inner frame cut after 60 bytes (IP total length says more)
    big = eth(tcp4(40014, 443, ACK | PSH, b"x" * 1400))
    cut = eth(ipv4("10.0.1.10", "10.0.0.100", 17, udp(65413, 4789, vxlan(11, big[:60])), ident=0, ttl=255))
    write_pcap("vxlan-truncated-inner.pcap", [(ts(14), cut), (ts(14, 1), cut)])
    # an outer IPv4 header fragmented on the way (first fragment carries UDP/VXLAN + the inner
    # frame's start, the second the rest), and a UDP/4789 packet from a mirrored instance inside
    # a non-first fragment of the inner datagram
    outer_udp = udp(65414, 4789, vxlan(12, big))
    of1 = ipv4("10.0.1.10", "10.0.0.100", 17, outer_udp[:1000], ident=0x300, mf=True, ttl=255)
    of2 = ipv4("10.0.1.10", "10.0.0.100", 17, outer_udp[1000:], ident=0x300, frag_off=1000, ttl=255)
    write_pcap("vxlan-outer-fragments.pcap", [(ts(15), eth(of1)), (ts(15, 1), eth(of2))])
    # an ICMP error from the mirror target quoting a whole VXLAN packet, and VXLAN carried in a
    # 6in4 (IPv6-in-IPv4, protocol 41) tunnel: tshark decodes VXLAN inside both, and the
    # oracle decapsulates at the first VXLAN layer wherever it is in the stack
    syn = eth(tcp4(40200, 80, SYN))
    vx = ipv4("10.0.1.10", "10.0.0.100", 17, udp(65408, 4789, vxlan(21, syn)), ident=0, ttl=255)
    write_pcap("vxlan-in-icmp-error.pcap", [
        (ts(16), eth(ipv4("10.0.0.100", "10.0.1.10", 1, icmp(3, 3, vx)))),
    ])
    write_pcap("vxlan-in-6in4.pcap", [
        (ts(16, 1), eth(ipv4("203.0.113.1", "203.0.113.2", 41,
                             ipv6("2001:db8::1", "2001:db8::2", 17, udp(65000, 4789, vxlan(22, syn)))))),
    ])


def geneve_cases():
    def g(inner, proto, vni=0, options=b"", sport=50000, **kw):
        return eth(ipv4("10.0.9.10", "10.0.9.100", 17,
                        udp(sport, 6081, geneve(vni, proto, inner, options, **kw)), ident=0, ttl=255))
    opts = gwlb_options()
    pk = [
        (ts(20), g(tcp4(40020, 443, SYN), 0x0800, options=opts)),                       # bare IPv4
        (ts(20, 1), g(ipv6(A6, B6, 6, tcp(40021, 443, SYN)), 0x86DD, options=opts)),     # bare IPv6
        (ts(20, 2), g(eth(tcp4(40022, 443, SYN)), 0x6558, vni=7)),                       # Ethernet
        (ts(20, 3), g(b"\x00" * 28, 0x0806, vni=7)),                                     # ARP-typed
        (ts(20, 4), g(tcp4(40023, 443, SYN), 0x0800, options=opts, oam=True, crit=True)),
    ]
    write_pcap("geneve-payloads.pcap", pk)
    # version 1 (tshark decodes it; vxtap, following RFC 8926, takes it as plain UDP)
    write_pcap("geneve-version1.pcap", [(ts(21, 1), g(tcp4(40025, 443, SYN), 0x0800, version=1))])
    write_pcap("geneve-odd-headers.pcap", [
        # option length (in 4-byte words) pointing past the end of the packet
        (ts(21), g(tcp4(40024, 443, SYN), 0x0800, opt_len_words=63)),
        # GENEVE carrying VXLAN carrying TCP: only the first level is decapsulated
        (ts(21, 2), g(ipv4(A4, B4, 17, udp(65000, 4789, vxlan(3, eth(tcp4(40026, 80, SYN))))), 0x0800, vni=12)),
        # an inner frame that is cut inside the IP header
        (ts(21, 3), g(tcp4(40027, 443, SYN)[:12], 0x0800)),
    ])


def ip_header_cases():
    write_pcap("ipv4-bad-headers.pcap", [
        (ts(30), eth(tcp4(40030, 80, SYN, ihl=4))),                    # IHL below 5
        (ts(30, 1), eth(tcp4(40031, 80, SYN, total_len=12))),          # total length < header
        (ts(30, 2), eth(tcp4(40032, 80, SYN, ihl=6, options=b"\x01\x01\x01\x01")[:22])),  # options cut
        (ts(30, 3), eth(tcp4(40033, 80, SYN)[:19])),                   # fixed header cut
        (ts(30, 4), eth(tcp4(40034, 80, SYN, version=6))),             # 0x0800 frame, version 6 nibble
        (ts(30, 5), eth(ipv6(A6, B6, 6, tcp(40035, 80, SYN)), etype=0x0800)),  # IPv6 packet, 0x0800
        (ts(30, 6), eth(tcp4(40036, 80, SYN), etype=0x86DD)),          # IPv4 packet, 0x86DD
        (ts(30, 7), eth(tcp4(40037, 80, SYN, ihl=15, options=b"\x01" * 40))),  # 40 bytes of options
    ])
    # IPv4 total length 0 (TSO): whole frame, cut frame (orig_len > captured), VLAN-tagged
    tso = tcp4(40038, 445, ACK | PSH, b"y" * 2000, total_len=0)
    tso_v = eth_tags(tcp4(40039, 445, ACK | PSH, b"z" * 1000, total_len=0), [(0x8100, 7)], 0x0800)
    write_pcap("ipv4-total-length-zero.pcap", [
        (ts(31), eth(tso)),
        (ts(31, 1), eth(tso)[:200], len(eth(tso))),
        (ts(31, 2), tso_v),
        (ts(31, 3), eth(tso) + b"\0" * 6),                               # trailer after the IP bytes
    ])


def transport_cases():
    full = tcp(40040, 80, SYN | ACK | FIN)
    p = [(ts(40, i), eth(ipv4(A4, B4, 6, full[:n], total_len=20 + len(full))))
         for i, n in enumerate((0, 1, 2, 3, 4, 12, 13, 14, 15, 16, 19))]
    p.append((ts(40, 20), eth(ipv4(A4, B4, 6, tcp(40041, 80, SYN, doff=3)))))     # data offset < 5
    p.append((ts(40, 21), eth(ipv4(A4, B4, 6, tcp(40042, 80, SYN, doff=15)))))    # offset past the end
    write_pcap("tcp-cut-headers.pcap", p)
    u = udp(40050, 53, b"abcd")
    q = [(ts(41, i), eth(ipv4(A4, B4, 17, u[:n], total_len=20 + len(u)))) for i, n in enumerate((0, 2, 3, 4, 7, 8))]
    q.append((ts(41, 10), eth(ipv4(A4, B4, 17, udp(40051, 53, b"abcd", length=4)))))   # UDP length < 8
    q.append((ts(41, 11), eth(ipv4(A4, B4, 17, udp(40052, 53, b"abcd", length=400)))))  # UDP length too big
    s = sctp(40060, 5060, b"\x01\x00\x00\x04")
    q += [(ts(42, i), eth(ipv4(A4, B4, 132, s[:n], total_len=20 + len(s)))) for i, n in enumerate((2, 4, 8, 11, 12, 16))]
    # protocols without ports
    q.append((ts(43), eth(ipv4(A4, B4, 47, b"\x00\x00\x08\x00" + tcp4(1, 2, SYN)))))   # GRE
    q.append((ts(43, 1), eth(ipv4(A4, B4, 50, b"\x00\x00\x01\x00" + b"\x00" * 20))))    # ESP
    q.append((ts(43, 2), eth(ipv4(A4, B4, 136, udp(40053, 9, b"l")))))                # UDP-Lite
    q.append((ts(43, 3), eth(ipv4(A4, B4, 33, b"\x9c\x41\x00\x50" + b"\0" * 12))))    # DCCP
    write_pcap("udp-sctp-other.pcap", q)
    # TCP flag combinations: each packet its own flow, flags as the oracle maps them
    combos = [SYN, SYN | ACK, FIN, RST, RST | ACK, SYN | FIN, SYN | ACK | FIN | RST, PSH | ACK | URG,
              0, 0xC0 | ACK, SYN | 0xC0]
    write_pcap("tcp-flags.pcap", [(ts(44, i), eth(tcp4(41000 + i, 80, f))) for i, f in enumerate(combos)]
               + [(ts(44, 50), eth(tcp4(41100, 80, SYN))), (ts(44, 51), eth(tcp4(41100, 80, SYN | ACK))),
                  (ts(44, 52), eth(tcp4(41100, 80, FIN | ACK)))])


def ipv6_ext_cases():
    u = udp(40070, 53, b"q")
    hbh = ext(17, b"\x01\x02\x00\x00")                                       # PadN
    bad_opt = ext(17, b"\x01\x00" + b"\xca\x90")                            # option runs past the header
    rt0 = ext(17, b"\x00\x00" + b"\0" * 4 + ip6a("2001:db8::99"))             # type 0, 1 address
    rt0_to_dst = ext(60, b"\x00\x00" + b"\0" * 4 + ip6a("2001:db8::98"))
    dst = ext(17, b"\x01\x02\x00\x00")
    # an option running past its header (HBH, DO): tshark stops there (ports 0); vxtap, like
    # the Linux flow dissector and Suricata, skips the header by its length (a known difference)
    write_pcap("ipv6-option-overrun.pcap", [
        (ts(50, 1), eth(ipv6(A6, B6, 0, bad_opt + u), etype=0x86DD)),
        (ts(50, 2), eth(ipv6(A6, B6, 60, bad_opt + u), etype=0x86DD)),
    ])
    write_pcap("ipv6-ext-headers.pcap", [
        (ts(50), eth(ipv6(A6, B6, 0, hbh + u), etype=0x86DD)),
        (ts(50, 3), eth(ipv6(A6, B6, 43, rt0 + u), etype=0x86DD)),
        (ts(50, 4), eth(ipv6(A6, B6, 0, ext(43, b"\x01\x02\x00\x00") + rt0_to_dst + dst + u), etype=0x86DD)),  # HBH, RH, DO
        (ts(50, 5), eth(ipv6(A6, B6, 0, ext(58, b"\x05\x02\x00\x00") + icmp6(143, 0)), etype=0x86DD)),  # MLDv2 behind HBH
        (ts(50, 6), eth(ipv6(A6, B6, 0, hbh[:4], plen=len(hbh) + len(u)), etype=0x86DD)),  # HBH cut
        (ts(50, 7), eth(ipv6(A6, B6, 51, b"\x11\x04\x00\x00" + b"\0" * 20 + u), etype=0x86DD)),  # AH
        (ts(50, 8), eth(ipv6(A6, B6, 59, b""), etype=0x86DD)),                              # no next header
        (ts(50, 9), eth(ipv6(A6, B6, 135, b"\x3b\x01\x05\x00" + b"\0" * 12), etype=0x86DD)),  # mobility
        (ts(50, 10), eth(ipv6(A6, B6, 17, u, plen=0), etype=0x86DD)),                      # payload length 0
    ])


def fragment_cases():
    data = b"F" * 48
    u = udp(40080, 9999, data)
    # IPv4: later fragment before the first (out of order), a datagram that never gets its first
    # fragment, a first fragment whose transport header is split, and IP-ID reuse
    f1 = ipv4(A4, B4, 17, u[:24], ident=0x100, mf=True)
    f2 = ipv4(A4, B4, 17, u[24:], ident=0x100, frag_off=24)
    orphan = ipv4(A4, B4, 17, u[24:], ident=0x101, frag_off=24)
    tiny_first = ipv4(A4, B4, 6, tcp(40081, 80, SYN)[:8], ident=0x102, mf=True)   # ports, no flags
    tiny_rest = ipv4(A4, B4, 6, tcp(40081, 80, SYN)[8:], ident=0x102, frag_off=8)
    reuse_first = ipv4(A4, B4, 17, udp(40082, 9999, data)[:24], ident=0x100, mf=True)
    reuse_rest = ipv4(A4, B4, 17, udp(40082, 9999, data)[24:], ident=0x100, frag_off=24)
    write_pcap("ipv4-fragments.pcap", [
        (ts(60), eth(f2)), (ts(60, 1), eth(f1)), (ts(60, 2), eth(orphan)),
        (ts(60, 3), eth(tiny_first)), (ts(60, 4), eth(tiny_rest)),
        (ts(700), eth(reuse_rest)),            # 640 s later, same ID, no first fragment before it
        (ts(700, 1), eth(reuse_first)),
    ])
    # IPv6: first fragment with a destination-options header in the fragmentable part
    # (fragment header nxt = 60, the first fragment's walk ends at 17), atomic fragment
    dsto = ext(17, b"\x01\x02\x00\x00")
    payload = dsto + u
    a = ipv6(A6, B6, 44, frag6(60, 0, True, 0x200) + payload[:32])
    b = ipv6(A6, B6, 44, frag6(60, 32, False, 0x200) + payload[32:])
    c = ipv6(A6, B6, 44, frag6(17, 0, True, 0x201) + u[:32])
    d = ipv6(A6, B6, 44, frag6(17, 32, False, 0x201) + u[32:])
    atomic = ipv6(A6, B6, 44, frag6(17, 0, False, 0x202) + udp(40083, 9999, b"a"))
    later_only = ipv6(A6, B6, 44, frag6(17, 32, False, 0x203) + u[32:])
    write_pcap("ipv6-fragments.pcap", [(ts(61, i), eth(p, etype=0x86DD))
                                       for i, p in enumerate((b, a, d, c, atomic, later_only))])


def icmp_cases():
    quoted = tcp4(40090, 80, SYN, src=B4, dst=A4)
    quoted6 = ipv6(B6, A6, 17, udp(40091, 53, b"q"))
    write_pcap("icmp-errors.pcap", [
        (ts(70), eth(ipv4(A4, B4, 1, icmp(8, 0, b"ping")))),
        (ts(70, 1), eth(ipv4(B4, A4, 1, icmp(0, 0, b"ping")))),
        (ts(70, 2), eth(ipv4(A4, B4, 1, icmp(3, 3, quoted[:28])))),        # port unreachable
        (ts(70, 3), eth(ipv4(A4, B4, 1, icmp(11, 0, quoted)))),           # time exceeded
        (ts(70, 4), eth(ipv4(A4, B4, 1, icmp(3, 4, quoted[:28], rest=b"\0\0\x05\xdc")))),  # frag needed
        (ts(70, 5), eth(ipv6(A6, B6, 58, icmp6(1, 4, quoted6)), etype=0x86DD)),
        (ts(70, 6), eth(ipv6(A6, B6, 58, icmp6(2, 0, quoted6, rest=b"\0\0\x05\x00")), etype=0x86DD)),
        (ts(70, 7), eth(ipv6(A6, B6, 58, icmp6(128, 0, b"ping")), etype=0x86DD)),
        (ts(70, 8), eth(ipv4(A4, B4, 1, icmp(8, 0)[:2]))),                # ICMP header cut
    ])


def window_cases():
    # 1700000400 is a multiple of 600 (and of 60): packets around both kinds of boundary,
    # one 700 s back in time (an earlier window of the same flow) and one years back
    t600 = 1_700_000_400
    pk = [
        (t600 * 1_000_000_000 - 1000, tcp4(40100, 80, SYN)),
        (t600 * 1_000_000_000, tcp4(40100, 80, ACK)),
        ((t600 + 59) * 1_000_000_000 + 999_999_000, tcp4(40100, 80, ACK)),
        ((t600 + 60) * 1_000_000_000, tcp4(40100, 80, ACK)),
        ((t600 - 700) * 1_000_000_000, tcp4(40100, 80, ACK)),       # 700 s back: an earlier window
        ((t600 + 61) * 1_000_000_000, tcp4(40100, 80, FIN | ACK)),
        (1_000_000_000 * 1_000_000_000, tcp4(40100, 80, RST)),       # 2001: years back
    ]
    write_pcap("windows.pcap", [(t, eth(p)) for t, p in pk])


def main():
    linktypes()
    vxlan_cases()
    geneve_cases()
    ip_header_cases()
    transport_cases()
    ipv6_ext_cases()
    fragment_cases()
    icmp_cases()
    window_cases()


if __name__ == "__main__":
    main()
