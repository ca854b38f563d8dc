#!/usr/bin/env python3
"""Regenerates tests/data/applayer/ftp.tsv from tshark:

    <capture>\tREQ\t<command>\t<argument>     ftp.request.command, ftp.request.arg
    <capture>\tCODE\t<code>                   each ftp.response.code of a reply frame
    <capture>\tPORT\t<port>                   ftp.passive.port, ftp.epsv.port,
                                              ftp.active.port, ftp.eprt.port
    <capture>\tFTPDATA\t<command> <file>      ftp-data.command of each data
                                              connection of a RETR or STOR
    <capture>\tFILE\t<size>\t<md5>            each file of
        `tshark --export-objects ftp-data,DIR` (RETR/STOR transfers), its size
        and MD5 ("-" over 102400 bytes, the part vxtap keeps)

for TCP streams whose client SYN is in the capture (Suricata's default
`stream.midstream: false`), retransmitted frames left out (reassembly
delivers their bytes once) and a stream read only up to its first frame
after a segment missing from the capture (tcp.analysis.lost_segment:
reassembly does not go past the gap). Suricata 7 marks as ftp-data only the
connections of RETR and STOR (tests/data/applayer/app_proto.tsv shows a
NLST connection without app_proto), so only those are listed.
pcaps/plain/zeek-ftp_cwd-navigation.pcap is not used: segments are
missing from it and others arrive out of order, so tshark's per-frame view
and stream reassembly disagree past the first gap.
Run from the project root:
    python3 tests/data/applayer/ftp.py > tests/data/applayer/ftp.tsv
"""
import hashlib
import os
import subprocess
import tempfile

CAPTURES = [
    "acceptance/ftp-download-passive/input.pcap",
    "pcaps/plain/sv-output-eve-ftp-data.pcap",
    "pcaps/plain/zeek-ftp_ipv4.pcap",
    "pcaps/plain/zeek-ftp_ipv6.pcap",
    "pcaps/plain/zeek-ftp_retr.pcap",
    "pcaps/plain/zeek-ftp_ipv6-retr-samba.pcap",
    "pcaps/plain/zeek-ftp_ftp-auth-tls.pcap",
    "pcaps/plain/zeek-var-services-std-ports.pcap",
    "pcaps/mirror/mirror-basic.pcap",
]

KEEP = 100 * 1024


def tshark(cap, args):
    return subprocess.run(["tshark", "-r", "../shared/" + cap] + args,
                          check=True, capture_output=True, text=True).stdout


def fields(cap, filt, names):
    out = tshark(cap, ["-Y", filt, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=\x1e"]
                 + [x for n in names for x in ("-e", n)])
    return [line.split("\t") for line in out.splitlines()]


def main():
    print("# python3 tests/data/applayer/ftp.py > tests/data/applayer/ftp.tsv")
    print("# capture\tREQ|CODE|PORT|FTPDATA|FILE\t... (tshark, see ftp.py)")
    for cap in CAPTURES:
        syn = {s for (s,) in fields(cap, "tcp.flags.syn == 1 && tcp.flags.ack == 0", ["tcp.stream"])}
        streams = "tcp.stream in {%s}" % (", ".join(sorted(syn, key=int)) or "-1")
        # Reassembly does not deliver past data lost from the capture: each
        # control stream is read up to its first frame after a lost segment.
        lost = {}
        for stream, frame in fields(cap, "tcp.analysis.lost_segment", ["tcp.stream", "frame.number"]):
            lost.setdefault(stream, frame)
        cut = "".join(" && !(tcp.stream == %s && frame.number >= %s)" % kv for kv in lost.items())
        rows = fields(cap, "ftp && !tcp.analysis.retransmission && " + streams + cut,
                      ["ftp.request.command", "ftp.request.arg", "ftp.response.code",
                       "ftp.passive.port", "ftp.epsv.port", "ftp.active.port", "ftp.eprt.port"])
        for cmd, arg, codes, *ports in rows:
            for c, a in zip(cmd.split("\x1e"), arg.split("\x1e") + [""] * 9) if cmd else []:
                print("\t".join([cap, "REQ", c, a]))
            for c in codes.split("\x1e") if codes else []:
                print("\t".join([cap, "CODE", c]))
            for p in ports:
                for x in p.split("\x1e") if p else []:
                    print("\t".join([cap, "PORT", x]))
        seen = set()
        for stream, command in fields(cap, "ftp-data.command && " + streams,
                                      ["tcp.stream", "ftp-data.command"]):
            word = command.split(" ")[0].upper()
            if stream not in seen and word in ("RETR", "STOR"):
                seen.add(stream)
                print("\t".join([cap, "FTPDATA", command.split("\x1e")[0]]))
        with tempfile.TemporaryDirectory() as d:
            tshark(cap, ["-q", "--export-objects", "ftp-data," + d])
            for name in sorted(os.listdir(d)):
                body = open(os.path.join(d, name), "rb").read()
                md5 = hashlib.md5(body).hexdigest() if len(body) <= KEEP else "-"
                print("\t".join([cap, "FILE", str(len(body)), md5]))


if __name__ == "__main__":
    main()
