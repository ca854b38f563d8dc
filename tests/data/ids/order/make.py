#!/usr/bin/env python3
"""Captures for tests/ids_order.rs: the host-pair gate of FTP expectation lookups.

    python3 tests/data/ids/order/make.py     # rewrites both files byte for byte

gate-plain.pcap: 8 TCP sessions between 10.0.0.1 and 10.0.0.2 (client ports
40000-40007, server port 7000), each with 8 bytes of an unknown protocol to the
server ("hello 1\\r\\n" style) and 8 back: nothing opens like FTP, so no lookup
waits; every direction's first data is looked up once: 16 lookups.

gate-ftp.pcap: the same, after an FTP control session between the same hosts
(client port 39999 to 21: "USER anonymous", "331 ...", "QUIT", "221 ..."): the
pair is armed by its first segment, and the 16 lookups of the later sessions
that hash to another worker than the control session's must wait.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "keywords"))
from pcapgen import Pcap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CLI, SRV = "10.0.0.1", "10.0.0.2"


def plain(p, t):
    for i in range(8):
        t = p.session(t, CLI, 40000 + i, SRV, 7000,
                      [(True, b"hello %d\r\n" % i), (False, b"world %d\r\n" % i)])
    return t


def main():
    p = Pcap()
    plain(p, 0.0)
    p.write(os.path.join(HERE, "gate-plain.pcap"))
    p = Pcap()
    t = p.session(0.0, CLI, 39999, SRV, 21, [
        (True, b"USER anonymous\r\n"),
        (False, b"331 Please specify the password.\r\n"),
        (True, b"QUIT\r\n"),
        (False, b"221 Goodbye.\r\n"),
    ])
    plain(p, t)
    p.write(os.path.join(HERE, "gate-ftp.pcap"))


if __name__ == "__main__":
    main()
