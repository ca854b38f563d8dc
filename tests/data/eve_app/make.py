#!/usr/bin/env python3
"""Regenerates tests/data/eve_app/suricata.jsonl: the `http`, `dns` and
`tls` objects Suricata 7.0.10 writes, in its transaction events
(`event_type` http, dns, tls) and in its alerts (`metadata: yes`, the
default of the stock eve `alert` type), for the captures below.

Each capture is run as the acceptance oracle runs it
(`../shared/acceptance/run-suricata-oracle`):

    suricata -r PCAP -S RULES -k none --runmode single -l OUT \\
      -c /etc/suricata/suricata.yaml \\
      --set decoder.vxlan.enabled=true --set decoder.vxlan.ports=4789 \\
      --set decoder.geneve.enabled=true --set decoder.geneve.ports=6081 \\
      --set app-layer.protocols.tls.ja3-fingerprints=yes

with RULES = the case's test.rules for acceptance captures (so alerts carry
the objects) plus `extra.rules` beside this script (an alert on every DNS
response, for the `dns.answer` alert form), concatenated into a temporary
file; `extra.rules` alone for the other captures. The stock yaml logs http and tls
`extended: yes` and dns version 2 with `formats: [detailed, grouped]`;
JA3/JA3S are switched on (the stock `auto` computes them only when a rule
uses a ja3 keyword) so the `ja3`/`ja3s` objects are in the oracle too.

One line per object, in eve.json order:

    {"capture": C, "flow": ["ip:port", "ip:port"] (sorted, EVE's IPv6
     spelling), "event_type": E, "pcap_cnt": N, "tx_id": N or null,
     "sid": N (alerts), "key": "http"|"dns"|"tls", "text": "{...}"}

`text` is the object as one JSON string, in Suricata's key order (a JSON
parser that sorts keys would lose it), with one normalisation: the keys of
a DNS `grouped` object are sorted, because Suricata fills it from a hash
map and its order changes from run to run. Run from the project root:
    python3 tests/data/eve_app/make.py > tests/data/eve_app/suricata.jsonl
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared")



def applayer_captures():
    """The captures of tests/data/applayer/{http,dns,tls}.py (the parsers'
    tshark oracles), in that order, without repeats."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    for name in ("http", "dns", "tls"):
        path = os.path.join(here, "..", "applayer", name + ".py")
        spec = importlib.util.spec_from_file_location("applayer_" + name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        out += [c for c in mod.CAPTURES if c not in out]
    return out


# More DNS: questions of types Suricata's alert logger does not know (CAA,
# AXFR, a private type), whose alerts carry only {"version": 2}.
MORE = [
    "pcaps/plain/zeek-dns-caa.pcap",
    "pcaps/plain/cs-dns_axfr.pcapng",
    "pcaps/plain/zeek-dns_dns-binds.pcap",
]

KEYS = ("http", "dns", "tls")


def endpoint(ip, port):
    return "%s:%d" % (ip, port)


def sort_grouped(o):
    """Sorts the keys of every `grouped` object (see the module docs)."""
    if isinstance(o, dict):
        return {k: (dict(sorted(v.items())) if k == "grouped" else sort_grouped(v))
                for k, v in o.items()}
    if isinstance(o, list):
        return [sort_grouped(x) for x in o]
    return o


def run(cap):
    path = os.path.join(SHARED, cap)
    extra = os.path.join(os.path.dirname(os.path.abspath(__file__)), "extra.rules")
    with tempfile.TemporaryDirectory() as out:
        rules = os.path.join(out, "all.rules")
        with open(rules, "w") as r:
            if cap.startswith("acceptance/"):
                with open(os.path.join(os.path.dirname(path), "test.rules")) as t:
                    r.write(t.read() + "\n")
            with open(extra) as t:
                r.write(t.read())
        cmd = [
            "suricata", "-r", path, "-S", rules, "-k", "none",
            "--runmode", "single", "-l", out,
            "-c", "/etc/suricata/suricata.yaml",
            "--set", "decoder.vxlan.enabled=true", "--set", "decoder.vxlan.ports=4789",
            "--set", "decoder.geneve.enabled=true", "--set", "decoder.geneve.ports=6081",
            "--set", "app-layer.protocols.tls.ja3-fingerprints=yes",
        ]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(out, "eve.json")) as f:
            lines = f.readlines()
    for line in lines:
        ev = json.loads(line)
        et = ev.get("event_type")
        if et not in KEYS + ("alert",):
            continue
        for key in KEYS:
            if key not in ev:
                continue
            rec = {
                "capture": cap,
                "flow": sorted([endpoint(ev["src_ip"], ev.get("src_port", 0)),
                                endpoint(ev["dest_ip"], ev.get("dest_port", 0))]),
                "event_type": et,
                # A decapsulated packet's frame number is in its tunnel
                # object (Suricata 7); absent at flow end.
                "pcap_cnt": ev.get("pcap_cnt", ev.get("tunnel", {}).get("pcap_cnt")),
                "tx_id": ev.get("tx_id"),
            }
            if et == "alert":
                rec["sid"] = ev["alert"]["signature_id"]
            rec["key"] = key
            rec["text"] = json.dumps(sort_grouped(ev[key]), ensure_ascii=False,
                                     separators=(",", ":"))
            print(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))


def main():
    caps = sys.argv[1:] or applayer_captures() + MORE
    for cap in caps:
        run(cap)


if __name__ == "__main__":
    main()
