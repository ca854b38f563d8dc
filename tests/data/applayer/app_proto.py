#!/usr/bin/env python3
"""Regenerates tests/data/applayer/app_proto.tsv: the app_proto Suricata
7.0.10 gives every TCP/UDP flow of the captures below (its EVE "flow"
events; "-" when the flow carried no payload and the key is absent).

    <capture>\t<proto>\t<endpoint a>\t<endpoint b>\t<app_proto>

Endpoints are "ip:port", sorted, so the line does not depend on which side
Suricata calls the source. Each capture is run as the acceptance oracle
runs (../shared/acceptance/README.md):

    suricata -r CAPTURE -k none --runmode single -l TMP -c /etc/suricata/suricata.yaml \
      --set decoder.vxlan.enabled=true --set decoder.vxlan.ports=4789 \
      --set decoder.geneve.enabled=true --set decoder.geneve.ports=6081

Run from the project root:
    python3 tests/data/applayer/app_proto.py > tests/data/applayer/app_proto.tsv
"""
import json
import os
import subprocess
import tempfile

FAMILIES = {"http", "dns", "tls", "app-layer-protocol", "other-app-layer"}


def captures():
    rows = open("../shared/acceptance/INDEX.tsv").read().splitlines()[1:]
    return sorted(
        "acceptance/%s/input.pcap" % r.split("\t")[0]
        for r in rows
        if r.split("\t")[1] in FAMILIES
    )


def main():
    print("# python3 tests/data/applayer/app_proto.py > tests/data/applayer/app_proto.tsv")
    print("# capture\tproto\tendpoint a\tendpoint b\tapp_proto (Suricata 7.0.10 EVE flow events)")
    for cap in captures():
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(
                ["suricata", "-r", "../shared/" + cap, "-k", "none", "--runmode", "single",
                 "-l", d, "-c", "/etc/suricata/suricata.yaml",
                 "--set", "decoder.vxlan.enabled=true", "--set", "decoder.vxlan.ports=4789",
                 "--set", "decoder.geneve.enabled=true", "--set", "decoder.geneve.ports=6081"],
                check=True, capture_output=True,
            )
            lines = []
            for line in open(os.path.join(d, "eve.json")):
                e = json.loads(line)
                if e.get("event_type") != "flow" or e["proto"] not in ("TCP", "UDP"):
                    continue
                a = "%s:%d" % (e["src_ip"], e["src_port"])
                b = "%s:%d" % (e["dest_ip"], e["dest_port"])
                a, b = sorted([a, b])
                lines.append("\t".join([cap, e["proto"], a, b, e.get("app_proto", "-")]))
            for l in sorted(lines):
                print(l)


if __name__ == "__main__":
    main()
