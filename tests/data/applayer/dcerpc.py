#!/usr/bin/env python3
"""Regenerates tests/data/applayer/dcerpc.tsv: every DCE/RPC transaction
Suricata 7.0.10 logs for the captures below, one line each:

    <capture>\t<carrier>\t<endpoint a>\t<endpoint b>\t<request>\t<response>\t<call_id>\t<opnum>\t<req stub size>\t<res stub size>\t<interfaces>

carrier `tcp` (EVE `dcerpc` events) or `smb` (the `dcerpc` object of EVE
`smb` events: DCE/RPC over a named pipe); opnum and stub sizes are `-`
where EVE has none; interfaces (BIND only) are `uuid/version/ack_result`
joined by `,`. Endpoints are "ip:port", sorted. Each capture is run as the
acceptance oracle runs (../shared/acceptance/README.md):

    suricata -r CAPTURE -k none --runmode single -l TMP -c /etc/suricata/suricata.yaml

(the stock yaml logs `dcerpc` and `smb` events). Run from the project root:
    python3 tests/data/applayer/dcerpc.py > tests/data/applayer/dcerpc.tsv
"""
import json
import os
import subprocess
import tempfile

CAPTURES = [
    "acceptance/bug-5162/input.pcap",
    "acceptance/dcerpc-issue-7187-01/input.pcap",
    "pcaps/plain/zeek-krb_kerberos_tso.pcapng",
]


def eve(cap):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(
            ["suricata", "-r", "../shared/" + cap, "-k", "none", "--runmode", "single",
             "-l", d, "-c", "/etc/suricata/suricata.yaml"],
            check=True, capture_output=True,
        )
        return [json.loads(l) for l in open(os.path.join(d, "eve.json"))]


def dash(v):
    return "-" if v is None else str(v)


def main():
    print("# python3 tests/data/applayer/dcerpc.py > tests/data/applayer/dcerpc.tsv")
    print("# capture\tcarrier\tendpoint a\tendpoint b\trequest\tresponse\tcall_id\topnum\treq stub\tres stub\tinterfaces (Suricata 7.0.10 EVE)")
    for cap in CAPTURES:
        lines = []
        for e in eve(cap):
            if e.get("event_type") == "dcerpc":
                carrier, x = "tcp", e["dcerpc"]
                opnum = x.get("req", {}).get("opnum")
            elif e.get("event_type") == "smb" and "dcerpc" in e["smb"]:
                carrier, x = "smb", e["smb"]["dcerpc"]
                opnum = x.get("opnum")
            else:
                continue
            a = "%s:%d" % (e["src_ip"], e["src_port"])
            b = "%s:%d" % (e["dest_ip"], e["dest_port"])
            a, b = sorted([a, b])
            ifaces = ""
            if x.get("request") == "BIND":
                ifaces = ",".join("%s/%s/%s" % (i["uuid"], i["version"], dash(i.get("ack_result")))
                                  for i in x.get("interfaces", []))
            lines.append("\t".join([
                cap, carrier, a, b, x.get("request", "-"), x.get("response", "-"),
                str(x.get("call_id")), dash(opnum),
                dash(x.get("req", {}).get("stub_data_size")),
                dash(x.get("res", {}).get("stub_data_size")), ifaces or "-",
            ]))
        for l in sorted(lines):
            print(l)


if __name__ == "__main__":
    main()
