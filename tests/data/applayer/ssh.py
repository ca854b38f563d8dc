#!/usr/bin/env python3
"""Regenerates tests/data/applayer/ssh.tsv from tshark:

    <capture>\t<client|server>\tBANNER\t<proto>\t<software>
        from ssh.protocol (the identification line), split as Suricata 7's
        ssh_parse_banner: "SSH-", proto up to the next "-", software up to the
        first space/CR/LF (the rest of the line when that is empty)
    <capture>\tclient\tHASSH\t<md5>\t<string>   ssh.kex.hassh, ssh.kex.hassh_algorithms
    <capture>\tserver\tHASSH\t<md5>\t<string>   ssh.kex.hasshserver, ssh.kex.hasshserver_algorithms

for TCP streams whose client SYN is in the capture (Suricata's default
`stream.midstream: false`); client/server from the SYN's source port.
tshark dissects SSH on port 22 only; the server port of any other stream
with a TCP payload starting with "SSH-" (as Suricata's probe detects SSH)
is decoded as SSH with `-d tcp.port==P,ssh`. Retransmitted frames, which
tshark dissects again, are left out (reassembly delivers their bytes once).
Run from the project root:
    python3 tests/data/applayer/ssh.py > tests/data/applayer/ssh.tsv
"""
import subprocess

CAPTURES = [
    "acceptance/ssh-banner-only/input.pcap",
    "acceptance/derived-vxlan-aws-mirror/input.pcap",
    "pcaps/plain/sv-ssh-hassh.pcap",
    "pcaps/plain/zeek-ssh_ssh.pcap",
    "pcaps/plain/zeek-ssh_sshguess.pcap",
    "pcaps/plain/zeek-ssh_reverse-ssh.pcap",
    "pcaps/plain/zeek-ssh_single-conn.pcap",
    "pcaps/plain/zeek-ssh_ssh1-ssh2-fingerprints.pcap",
    "pcaps/plain/zeek-ssh_ssh_kex_curve25519.pcap",
    "pcaps/plain/zeek-tcp_ssh-dups.pcap",
    "pcaps/plain/zeek-var-services-std-ports.pcap",
    "pcaps/mirror/mirror-basic.pcap",
    "pcaps/mirror/gwlb-geneve.pcap",
]


def fields(cap, filt, names, decode=()):
    out = subprocess.run(
        ["tshark", "-r", "../shared/" + cap]
        + [x for p in decode for x in ("-d", "tcp.port==%s,ssh" % p)]
        + ["-Y", filt, "-T", "fields", "-E", "occurrence=l"]
        + [x for n in names for x in ("-e", n)],
        check=True, capture_output=True, text=True,
    ).stdout
    return [line.split("\t") for line in out.splitlines()]


def split_banner(line):
    rest = line[len("SSH-"):]
    dash = rest.index("-")
    after = rest[dash + 1:]
    cut = [i for i, c in enumerate(after) if c in " \r\n"]
    software = after[: cut[0]] if cut and cut[0] > 0 else after
    return rest[:dash], software


def main():
    print("# python3 tests/data/applayer/ssh.py > tests/data/applayer/ssh.tsv")
    print("# capture\tclient|server\tBANNER|HASSH\t... (tshark, see ssh.py)")
    for cap in CAPTURES:
        client, server = {}, {}
        for stream, port, dport in fields(cap, "tcp.flags.syn == 1 && tcp.flags.ack == 0",
                                          ["tcp.stream", "tcp.srcport", "tcp.dstport"]):
            client.setdefault(stream, port)
            server.setdefault(stream, dport)
        ports = set()
        for (stream,) in fields(cap, 'tcp.payload[0:4] == "SSH-"', ["tcp.stream"]):
            if stream in server and server[stream] != "22":
                ports.add(server[stream])
        rows = fields(cap, "(ssh.protocol || ssh.kex.hassh || ssh.kex.hasshserver)"
                      " && !tcp.analysis.retransmission",
                      ["tcp.stream", "tcp.srcport", "ssh.protocol", "ssh.kex.hassh",
                       "ssh.kex.hassh_algorithms", "ssh.kex.hasshserver",
                       "ssh.kex.hasshserver_algorithms"], sorted(ports))
        for stream, port, proto, h, hs, sh, shs in rows:
            if stream not in client:
                continue
            side = "client" if port == client[stream] else "server"
            if proto:
                p, s = split_banner(proto)
                print("\t".join([cap, side, "BANNER", p, s]))
            if h:
                print("\t".join([cap, "client", "HASSH", h, hs]))
            if sh:
                print("\t".join([cap, "server", "HASSH", sh, shs]))


if __name__ == "__main__":
    main()
