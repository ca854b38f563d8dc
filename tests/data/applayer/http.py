#!/usr/bin/env python3
"""Regenerates tests/data/applayer/http.tsv: every HTTP request and
response tshark decodes in the captures below, one line each:

    <capture>\tREQ\t<method>\t<uri as sent>\t<Host>\t<User-Agent>\t<Content-Type>
    <capture>\tRESP\t<status code>\t<Server>\t<Content-Type>

from `tshark -r <capture> -Y "http && tcp.stream in {S}" -T json -J http`
where S are the TCP streams whose client SYN is in the capture (Suricata's
default `stream.midstream: false` gives no app layer to the others); a
frame holding several pipelined messages repeats its "http" key: every one
is kept; a header repeated in one message is shown as libhtp merges it,
its values joined by ", ".
Run from the project root:
    python3 tests/data/applayer/http.py > tests/data/applayer/http.tsv
"""
import json
import subprocess

CAPTURES = [
    "acceptance/bug-3616/input.pcap",
    "acceptance/bug-4199-3/input.pcap",
    "acceptance/bug-5929-01/input.pcap",
    "acceptance/derived-http-request-buffers-a/input.pcap",
    "acceptance/detect-bsize-0/input.pcap",
    "acceptance/http-encoding-gzip-uncompressed/input.pcap",
    "acceptance/http-evader-088/input.pcap",
    "acceptance/http-evader-428/input.pcap",
    "acceptance/http-protocol-inspect-v2/input.pcap",
    "acceptance/http-raw-header/input.pcap",
    "acceptance/http-request-header/input.pcap",
    "acceptance/http-urldecode-body/input.pcap",
    "acceptance/prefilter-multibuf-multipkts/input.pcap",
    "acceptance/tcp-fastopen-07/input.pcap",
    "acceptance/derived-app-layer-protocol-b/input.pcap",
    "pcaps/plain/zeek-http_100-continue.pcap",
    "pcaps/plain/zeek-http_get-gzip.pcap",
    "pcaps/plain/zeek-http_get.pcap",
    "pcaps/plain/zeek-http_http-post-large.pcap",
    "pcaps/plain/zeek-http_byteranges.pcap",
    "pcaps/plain/cs-http_post.pcapng",
    "pcaps/plain/cs-http_google.pcapng",
]


MERGED = {"http.host", "http.user_agent", "http.content_type", "http.server"}


class Dups(list):
    """Several messages of one frame."""


def pairs(items):
    out = {}
    for k, v in items:
        if k in MERGED and k in out:
            # A repeated header: libhtp keeps one, values joined by ", ".
            out[k] = out[k] + ", " + v
        elif k == "http" and k in out:
            if not isinstance(out[k], Dups):
                out[k] = Dups([out[k]])
            out[k].append(v)
        else:
            out[k] = v
    return out


def find(d, key):
    """The first value of `key` anywhere in a nested tshark dict."""
    if isinstance(d, dict):
        if key in d:
            return d[key]
        for v in d.values():
            r = find(v, key)
            if r is not None:
                return r
    return None


def val(d, key):
    v = find(d, key)
    return "" if v is None else str(v).rstrip("\r\n")


def main():
    print("# python3 tests/data/applayer/http.py > tests/data/applayer/http.tsv")
    print("# capture\tREQ\tmethod\turi\thost\tuser-agent\tcontent-type | capture\tRESP\tcode\tserver\tcontent-type")
    for cap in CAPTURES:
        syn = subprocess.run(
            ["tshark", "-r", "../shared/" + cap, "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0",
             "-T", "fields", "-e", "tcp.stream"],
            check=True, capture_output=True, text=True,
        ).stdout.split()
        streams = ", ".join(sorted(set(syn), key=int)) or "-1"
        out = subprocess.run(
            ["tshark", "-r", "../shared/" + cap, "-Y", "http && tcp.stream in {%s}" % streams,
             "-T", "json", "-J", "http"],
            check=True, capture_output=True, text=True,
        ).stdout
        for frame in json.loads(out or "[]", object_pairs_hook=pairs):
            layer = frame["_source"]["layers"].get("http")
            if layer is None:
                continue
            for msg in layer if isinstance(layer, Dups) else [layer]:
                if find(msg, "http.request.method") is not None:
                    row = ["REQ", val(msg, "http.request.method"), val(msg, "http.request.uri"),
                           val(msg, "http.host"), val(msg, "http.user_agent"), val(msg, "http.content_type")]
                elif find(msg, "http.response.code") is not None:
                    row = ["RESP", val(msg, "http.response.code"), val(msg, "http.server"),
                           val(msg, "http.content_type")]
                else:
                    continue
                print("\t".join([cap] + row))


if __name__ == "__main__":
    main()
