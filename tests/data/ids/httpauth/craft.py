#!/usr/bin/env python3
"""craft.py: one HTTP request/response session per Authorization header
variant, for tests/ids_http_auth.rs (Suricata 7.0.10 is their oracle: see
make.sh).

usage: python3 tests/data/ids/httpauth/craft.py OUTDIR

Sessions are built by the TLS event sessions' craft.py (handshake, the
request, the server's ACK, the response, the client's ACK, FIN/ACK both
ways), on port 80. Standard library only.
"""
import importlib.util
import os
import sys

_spec = importlib.util.spec_from_file_location(
    "events_craft", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "events", "craft.py"))
_events = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_events)

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

CASES = {
    "ntlm": b"Authorization: NTLM TlRMTVNTUAAB",
    "negotiate": b"Authorization: Negotiate YIIC",
    "empty": b"Authorization: ",
    "space-ntlm": b"Authorization:   NTLM x",
    "two": b"Authorization: NTLM a\r\nAuthorization: Basic dXNlcjpwYXNz",
    "basic": b"Authorization: Basic dXNlcjpwYXNz",
    "basic-lower": b"authorization: basic dXNlcjpwYXNz",
    "basic-bad": b"Authorization: Basic !!!",
    "basicfoo": b"Authorization: Basicfoo",
    "digest": b"Authorization: Digest username=\"u\", realm=\"r\"",
    "bearer": b"Authorization: Bearer abc",
    "proxy": b"Proxy-Authorization: NTLM a",
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, header in CASES.items():
        req = b"GET /x HTTP/1.1\r\nHost: a.io\r\n" + header + b"\r\n\r\n"
        _events.write(os.path.join(out, "auth-" + name + ".pcap"),
                      _events.session([req], [RESPONSE], dport=80))


if __name__ == "__main__":
    main()
