"""base64.pcap: UDP datagrams to port 7001 carrying base64 text for the
base64_decode / base64_data rules of base64.rules."""
import sys
from pcapgen import Pcap

p = Pcap()
msgs = [
    b"xx SGVsbG8g$V29ybGQ=",       # RFC 4648 stops at '$': "Hello " (RFC 2045 would skip it)
    b"yy SGVsbG8gV29ybGQ= tail",   # "Hello World", then a space stops decoding
    b"zz Zg==Zm9v",                # '=' inside: "f" then "foo"
    b"ww SGVsbG8",                 # 7 chars: leftover block gives "Hello"
    b"vv !!!!",                    # nothing decodable
]
for i, m in enumerate(msgs):
    p.udp(i, "10.0.0.1", 41000 + i, "192.168.1.1", 7001, m)
p.write(sys.argv[1])
