#!/usr/bin/env python3
"""Regenerates tests/data/applayer/smb.tsv: what Suricata 7.0.10 logs of
the SMB flows of the captures below, one line per transaction and per
file:

    <capture>\tTX\t<endpoint a>\t<endpoint b>\t<command>\t<status_code>\t<share>\t<named_pipe>\t<filename>
    <capture>\tFILE\t<endpoint a>\t<endpoint b>\t<filename>\t<size>\t<md5>

from its EVE `smb` events (a transaction logged twice, as file
transactions are, counted once) and `fileinfo` events; `-` where EVE has
no such key. Endpoints are "ip:port", sorted. Each capture is run as the
acceptance oracle runs (../shared/acceptance/README.md), with file MD5s:

    suricata -r CAPTURE -k none --runmode single -l TMP -c YAML

where YAML is /etc/suricata/suricata.yaml with `#force-hash: [md5]`
uncommented. Run from the project root:
    python3 tests/data/applayer/smb.py > tests/data/applayer/smb.tsv
"""
import json
import os
import subprocess
import tempfile

CAPTURES = [
    "acceptance/bug-5162/input.pcap",
    "acceptance/smb-eicar-file-segmentation-random/input.pcap",
    "acceptance/smb-named-pipe-ascii/input.pcap",
    "acceptance/streamsize-keyword/input.pcap",
    "pcaps/plain/zeek-krb_kerberos_tso.pcapng",
]


def eve(cap, d):
    yaml = os.path.join(d, "suricata.yaml")
    text = open("/etc/suricata/suricata.yaml").read()
    open(yaml, "w").write(text.replace("#force-hash: [md5]", "force-hash: [md5]"))
    subprocess.run(
        ["suricata", "-r", "../shared/" + cap, "-k", "none", "--runmode", "single",
         "-l", d, "-c", yaml],
        check=True, capture_output=True,
    )
    return [json.loads(l) for l in open(os.path.join(d, "eve.json"))]


def main():
    print("# python3 tests/data/applayer/smb.py > tests/data/applayer/smb.tsv")
    print("# capture\tTX\tendpoint a\tendpoint b\tcommand\tstatus_code\tshare\tnamed_pipe\tfilename (Suricata 7.0.10 EVE smb)")
    print("# capture\tFILE\tendpoint a\tendpoint b\tfilename\tsize\tmd5 (Suricata 7.0.10 EVE fileinfo)")
    for cap in CAPTURES:
        lines = set()
        with tempfile.TemporaryDirectory() as d:
            events = eve(cap, d)
        for e in events:
            t = e.get("event_type")
            if t not in ("smb", "fileinfo"):
                continue
            a = "%s:%d" % (e["src_ip"], e["src_port"])
            b = "%s:%d" % (e["dest_ip"], e["dest_port"])
            a, b = sorted([a, b])
            if t == "smb":
                x = e["smb"]
                lines.add((e["flow_id"], x["id"], "\t".join([
                    cap, "TX", a, b, x["command"], x.get("status_code", "-"),
                    x.get("share", "-"), x.get("named_pipe", "-"), x.get("filename", "-"),
                ])))
            else:
                x = e["fileinfo"]
                lines.add((e["flow_id"], "f%s" % x["tx_id"], "\t".join([
                    cap, "FILE", a, b, x["filename"], str(x["size"]), x.get("md5", "-"),
                ])))
        for l in sorted(l for _, _, l in lines):
            print(l)


if __name__ == "__main__":
    main()
