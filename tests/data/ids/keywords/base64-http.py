"""base64-http.pcap: HTTP requests whose bodies carry base64, for two ET
Open rules (sids 2031507, 2034366, copied into base64-http.rules)."""
import binascii
import sys
from pcapgen import Pcap


def post(uri, body):
    return (b"POST " + uri + b" HTTP/1.1\r\nHost: mail.example.org\r\n"
            b"Content-Type: text/xml\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n\r\n" + body)


ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
xxe = binascii.b2a_base64(b'<!DOCTYPE r [<!ENTITY x SYSTEM "http://a/">]>', newline=False)
rce = binascii.b2a_base64(b"`id`", newline=False)
p = Pcap()
t = p.session(0, "10.0.0.1", 40100, "192.168.1.10", 80, [
    (True, post(b"/ews/Exchange.asmx", b"<m:RouteComplaint xmlns:m='x'><m:Data>" + xxe + b"</m:Data>")),
    (False, ok)])
t = p.session(t + 1, "10.0.0.1", 40101, "192.168.1.10", 80, [
    (True, post(b"/ews/Exchange.asmx", b"<m:RouteComplaint xmlns:m='x'><m:Data>" + binascii.b2a_base64(b"<!DOCTYPE only", newline=False) + b"</m:Data>")),
    (False, ok)])
t = p.session(t + 1, "10.0.0.1", 40102, "192.168.1.10", 80, [
    (True, post(b"/mt/mt-xmlrpc.cgi", b"<?xml version='1.0'?><base64>" + rce + b"</base64>")),
    (False, ok)])
p.write(sys.argv[1])
