#!/usr/bin/env python3
"""Regenerates tests/data/applayer/krb5.tsv from tshark:

    <capture>\t<11|13>\tcname=<c1,c2..>\tsname=<s1,s2..>\trealm=<crealm>\tticket=<etype>\tenc=<etype>
        each AS-REP / TGS-REP (kerberos.as_rep_element, kerberos.tgs_rep_element):
        kerberos.CNameString of cname_element, kerberos.SNameString of the
        ticket's sname_element, kerberos.crealm, kerberos.etype of the
        ticket's enc_part_element and of the reply's enc_part_element
    <capture>\t30\terror=<code>\tcname=<..>\tsname=<..>\trealm=<crealm>
        each KRB-ERROR (kerberos.krb_error_element): kerberos.error_code ...

from `tshark -r <capture> -Y kerberos -T json -J kerberos`, Kerberos on port 88
over UDP and TCP (Kerberos inside SMB or HTTP is not the krb5 app layer) (TCP streams only when their client SYN is in the capture, as
Suricata's default `stream.midstream: false`). These are the messages
Suricata 7 keeps a transaction for. Run from the project root:
    python3 tests/data/applayer/krb5.py > tests/data/applayer/krb5.tsv
"""
import json
import subprocess

from tshark_tree import Multi, pairs, walk

CAPTURES = [
    "acceptance/krb5-kerberoasting/input.pcap",
    "acceptance/like-ip-only-01/input.pcap",
    "pcaps/plain/zeek-krb_kerberos_tso.pcapng",
]


def one(d, key):
    v = d.get(key)
    if isinstance(v, Multi):
        return v[0]
    return v


def tshark(cap, args):
    return subprocess.run(["tshark", "-r", "../shared/" + cap] + args,
                          check=True, capture_output=True, text=True).stdout


def main():
    print("# python3 tests/data/applayer/krb5.py > tests/data/applayer/krb5.tsv")
    print("# capture\tmessage type\tfields (tshark, see krb5.py)")
    for cap in CAPTURES:
        syn = tshark(cap, ["-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0",
                           "-T", "fields", "-e", "tcp.stream"]).split()
        streams = ", ".join(sorted(set(syn), key=int)) or "-1"
        out = tshark(cap, ["-Y", "kerberos && (udp.port == 88 || (tcp.port == 88 && tcp.stream in {%s}))" % streams,
                           "-T", "json", "-J", "kerberos"])
        for frame in json.loads(out or "[]", object_pairs_hook=pairs):
            krb = frame["_source"]["layers"].get("kerberos", [])
            for layer in (krb if isinstance(krb, Multi) else [krb]):
                for name in ("kerberos.as_rep_element", "kerberos.tgs_rep_element"):
                    for rep in walk(layer, name, []):
                        ticket = one(rep, "kerberos.ticket_element")
                        print("\t".join([
                            cap, one(rep, "kerberos.msg_type"),
                            "cname=" + ",".join(walk(one(rep, "kerberos.cname_element"), "kerberos.CNameString", [])),
                            "sname=" + ",".join(walk(one(ticket, "kerberos.sname_element"), "kerberos.SNameString", [])),
                            "realm=" + one(rep, "kerberos.crealm"),
                            "ticket=" + one(one(ticket, "kerberos.enc_part_element"), "kerberos.etype"),
                            "enc=" + one(one(rep, "kerberos.enc_part_element"), "kerberos.etype"),
                        ]))
                for err in walk(layer, "kerberos.krb_error_element", []):
                    print("\t".join([
                        cap, one(err, "kerberos.msg_type"),
                        "error=" + one(err, "kerberos.error_code"),
                        "cname=" + ",".join(walk(one(err, "kerberos.cname_element") or {}, "kerberos.CNameString", [])),
                        "sname=" + ",".join(walk(one(err, "kerberos.sname_element"), "kerberos.SNameString", [])),
                        "realm=" + (one(err, "kerberos.crealm") or ""),
                    ]))


if __name__ == "__main__":
    main()
