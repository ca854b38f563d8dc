"""xbits.pcap: UDP datagrams (port 7000, no app-layer parser) that set and
test xbits of every tracker; see xbits.rules for what each one does."""
import sys
from pcapgen import Pcap

C, S, O = "10.0.0.1", "192.168.1.1", "10.0.0.9"
p = Pcap()
port = [40000]


def dgram(t, src, dst, msg):
    port[0] += 1  # a new flow each time: the bits are per host / pair, not per flow
    p.udp(t, src, port[0], dst, 7000, msg)


dgram(0, C, S, b"SETSRC")     # sid 1 sets kw.src on C (expire 5)
dgram(1, C, S, b"CHKSRC")     # C has it: sid 2, sid 11 (hostbits reads it)
dgram(1.5, O, S, b"CHKSRC")   # O has not: sid 3
dgram(7, C, S, b"CHKSRC")     # expired after 5 s: sid 3
dgram(8, C, S, b"SETPAIR")    # sid 4 sets kw.pair on {C, S}
dgram(9, S, C, b"CHKPAIR")    # the pair in the other order: sid 5
dgram(9.5, O, S, b"CHKPAIR")  # another pair: nothing
dgram(10, C, S, b"SETDST")    # sid 6 sets kw.dst on S
dgram(11, O, S, b"CHKDST")    # dst S has it: sid 7
dgram(11.5, S, O, b"CHKDST")  # dst O has not: nothing
dgram(12, C, S, b"TOGGLE")    # sid 8 sets kw.t on C
dgram(13, C, S, b"CHKT")      # sid 9
dgram(14, C, S, b"TOGGLE")    # sid 8 clears it
dgram(15, C, S, b"CHKT")      # nothing
dgram(16, C, S, b"SETSRC")    # set again
dgram(17, C, S, b"UNSET")     # sid 10 clears kw.src on C
dgram(18, C, S, b"CHKSRC")    # sid 3
p.write(sys.argv[1])
