//! DNS on real traffic: every DNS message on port 53 of the captures in
//! `tests/data/applayer/dns.py` goes through protocol detection and the DNS
//! parser (UDP datagrams; TCP reassembled by `vxtap::stream` and fed in the
//! pieces it delivers, then again byte by byte), and the messages' id, QR,
//! opcode, Z bit and query names must equal tshark's
//! (`tests/data/applayer/dns.tsv`, made by `dns.py`).

mod applayer_common;

use std::collections::BTreeMap;

use applayer_common::{Chunk, chunks, expected, shared};
use vxtap::applayer::dns::{DnsEvent, DnsState, DnsTx};
use vxtap::applayer::{AppProto, Direction, Prober};

fn line(cap: &str, tx: &DnsTx) -> String {
    let m = tx.message.as_ref().unwrap();
    let names: Vec<String> = m
        .queries
        .iter()
        .map(|q| String::from_utf8_lossy(&q.name).into_owned())
        .filter(|n| !n.is_empty() && n.chars().all(|c| (c as u32) > 0x20 && (c as u32) < 0x7f))
        .collect();
    format!(
        "{cap}\t{}\t{}\t{}\t{}\t{}",
        m.header.id,
        m.header.is_response() as u8,
        m.header.opcode(),
        m.header.z() as u8,
        names.join(",")
    )
}

/// Runs detection + DNS over every flow of a capture; `bytewise` feeds
/// TCP chunks one byte at a time.
fn run(cap: &str, all: &[Chunk], bytewise: bool) -> Vec<DnsTx> {
    let mut flows: BTreeMap<usize, (Prober, DnsState, [Vec<u8>; 2])> = BTreeMap::new();
    let mut txs = Vec::new();
    for c in all {
        let (probe, state, seen) = flows.entry(c.flow).or_insert_with(|| {
            (
                Prober::new(c.transport, c.ports[0], c.ports[1]),
                DnsState::new(c.transport),
                [Vec::new(), Vec::new()],
            )
        });
        let d = c.dir.index();
        let before = probe.proto();
        let proto = match c.transport {
            vxtap::applayer::Transport::Udp => probe.feed(c.dir, &c.data),
            vxtap::applayer::Transport::Tcp => {
                seen[d].extend_from_slice(&c.data);
                probe.feed(c.dir, &seen[d])
            }
        };
        if proto != AppProto::Dns {
            continue;
        }
        // On TCP, the bytes before detection are parsed once it succeeds.
        let data: Vec<u8> =
            if c.transport == vxtap::applayer::Transport::Tcp && before != AppProto::Dns {
                let both: Vec<(Direction, Vec<u8>)> = [Direction::ToServer, Direction::ToClient]
                    .into_iter()
                    .filter(|x| *x != c.dir)
                    .map(|x| (x, seen[x.index()].clone()))
                    .collect();
                for (x, bytes) in both {
                    state.parse(x, &bytes);
                }
                seen[d].clone()
            } else {
                c.data.clone()
            };
        if bytewise && c.transport == vxtap::applayer::Transport::Tcp {
            for b in &data {
                state.parse(c.dir, std::slice::from_ref(b));
            }
        } else {
            state.parse(c.dir, &data);
        }
        txs.extend(state.take_txs());
    }
    let _ = cap;
    txs
}

#[test]
fn dns_messages_equal_tshark() {
    let want = expected("dns.tsv");
    let mut caps: Vec<String> = want
        .iter()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    caps.dedup();
    assert!(caps.len() >= 15, "{caps:?}");
    for bytewise in [false, true] {
        let mut got = Vec::new();
        for cap in &caps {
            let all = chunks(&shared().join(cap));
            for tx in run(cap, &all, bytewise) {
                assert!(
                    tx.message.is_some(),
                    "{cap}: a message tshark decodes failed to parse: {tx:?}"
                );
                got.push(line(cap, &tx));
            }
        }
        let mut want_sorted = want.clone();
        want_sorted.sort();
        got.sort();
        assert_eq!(got, want_sorted, "bytewise={bytewise}");
    }
}

#[test]
fn z_bit_case_raises_the_event() {
    // ../shared/acceptance/dns-z-bit: tshark shows dns.flags.z = 1 on the
    // request (dns.tsv); Suricata raises dns.z_flag_set there.
    let cap = "acceptance/dns-z-bit/input.pcap";
    let txs = run(cap, &chunks(&shared().join(cap)), false);
    let z: Vec<bool> = txs
        .iter()
        .map(|t| t.has_event(DnsEvent::ZFlagSet))
        .collect();
    assert_eq!(z, vec![true, false]);
}
