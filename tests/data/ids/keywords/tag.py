"""tag.pcap: a TCP session and UDP datagrams for the tag rules of tag.rules
(Suricata logs the tagged packets as EVE packet events; alerts only for the
tagging rules)."""
import sys

from pcapgen import Pcap
p = Pcap()
t = p.session(0, "10.0.0.1", 40000, "192.168.1.1", 8000, [(True, b"TAGME one"), (False, b"reply one"), (True, b"two"), (False, b"reply two"), (True, b"three"), (False, b"four")])
p.udp(t+1, "10.0.0.1", 40001, "192.168.1.1", 7002, b"HOSTTAG")
p.udp(t+2, "10.0.0.1", 40002, "192.168.1.1", 7002, b"next1")
p.udp(t+3, "192.168.1.1", 7002, "10.0.0.1", 40002, b"next2")
p.udp(t+4, "10.0.0.5", 40003, "192.168.1.1", 7002, b"other")
p.write(sys.argv[1])
