"""What the capture scripts under tests/data share (python3 standard library only): the
Internet checksum, an IPv4 header, and the classic pcap file format.

Used by tests/data/pcaps/crafted/make-crafted.py, tests/data/ids/keywords/pcapgen.py and
tests/data/ids/events/craft.py; each adds this folder to sys.path:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "<up>"))
    import pcapfile
"""
import struct

LINKTYPE_ETHERNET = 1


def csum(data):
    """RFC 1071 Internet checksum of `data` (odd lengths padded with a zero byte)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, l4, ident=1):
    """An IPv4 packet (20-byte header, TTL 64, no flags, checksum set) carrying `l4`;
    `src`/`dst` are 4 bytes each."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, 0, 64, proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + l4


def pcap_bytes(records, linktype=LINKTYPE_ETHERNET, snaplen=65535, nanos=False):
    """A classic pcap file: `records` are (seconds, fraction, data[, original length]), the
    fraction in microseconds, or nanoseconds with `nanos` (magic 0xA1B23C4D)."""
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    out = [struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for r in records:
        sec, frac, data = r[0], r[1], r[2]
        orig = r[3] if len(r) > 3 else len(data)
        out.append(struct.pack("<IIII", sec, frac, len(data), orig) + data)
    return b"".join(out)


def write_pcap(path, records, **kw):
    """Writes [`pcap_bytes`] of `records` to `path`."""
    with open(path, "wb") as fh:
        fh.write(pcap_bytes(records, **kw))
