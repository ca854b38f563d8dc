//! Defragmentation tests: IPv4 and IPv6 datagrams rebuilt (checked by
//! etherparse, an independent decoder), any arrival order, BSD overlaps,
//! limits, timeouts, and a property test that hostile fragment streams stay
//! bounded.

use super::*;
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use proptest::prelude::*;

fn key(id: u32, protocol: u8) -> DefragKey {
    DefragKey {
        vni: Some(7),
        vlan_ids: [0; 3],
        src: Addr::v4([192, 0, 2, 10]),
        dst: Addr::v4([198, 51, 100, 20]),
        protocol,
        id,
    }
}

/// A UDP datagram 40000 → 53 with `payload`, as IPv4 bytes built by etherparse.
fn udp4(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    etherparse::PacketBuilder::ipv4([192, 0, 2, 10], [198, 51, 100, 20], 64)
        .udp(40000, 53)
        .write(&mut v, payload)
        .unwrap();
    v
}

fn frag<'a>(
    id: u32,
    ts: u64,
    offset: usize,
    more: bool,
    data: &'a [u8],
    header: &'a [u8],
) -> Fragment<'a> {
    Fragment {
        key: key(id, 17),
        ts_ns: ts,
        offset: offset as u32,
        more,
        data,
        header,
        v6_next_header_at: None,
    }
}

#[test]
fn ipv4_datagram_rebuilt_in_any_order() {
    let payload: Vec<u8> = (0..100u8).collect();
    let whole = udp4(&payload);
    let (full_hdr, body) = whole.split_at(20);
    // The header as the first fragment carries it: its own length, MF set.
    let mut first_hdr = full_hdr.to_vec();
    first_hdr[2..4].copy_from_slice(&60u16.to_be_bytes());
    first_hdr[6] |= 0x20;
    let hdr = &first_hdr[..];
    let mut d = Defrag::new(DefragConfig::default());
    let mut out = Vec::new();
    // Pieces of 40, 40 and 28 bytes, last first.
    assert_eq!(
        d.fragment(&frag(9, 1, 80, false, &body[80..], hdr), &mut out),
        Outcome::Pending
    );
    assert_eq!(
        d.fragment(&frag(9, 2, 0, true, &body[..40], hdr), &mut out),
        Outcome::Pending
    );
    assert_eq!(
        d.fragment(&frag(9, 3, 40, true, &body[40..80], hdr), &mut out),
        Outcome::Complete
    );
    assert_eq!(out, whole);
    let p = SlicedPacket::from_ip(&out).unwrap();
    match p.transport {
        Some(TransportSlice::Udp(u)) => {
            assert_eq!((u.source_port(), u.destination_port()), (40000, 53));
            assert_eq!(u.payload(), &payload[..]);
        }
        other => panic!("not UDP: {other:?}"),
    }
    assert_eq!(d.in_progress(), 0);
    assert_eq!(d.stats().reassembled, 1);
}

#[test]
fn ipv6_fragment_header_removed() {
    let payload = b"0123456789abcdef0123456789abcdef!!";
    let mut whole = Vec::new();
    etherparse::PacketBuilder::ipv6([0x20; 16], [0x21; 16], 64)
        .udp(40000, 53)
        .write(&mut whole, payload)
        .unwrap();
    let (fixed, body) = whole.split_at(40);
    // The header as the first fragment carries it: next header 44 (fragment).
    let mut hdr = fixed.to_vec();
    hdr[6] = 44;
    let mut d = Defrag::new(DefragConfig::default());
    let mut out = Vec::new();
    let k = DefragKey {
        vni: None,
        vlan_ids: [0; 3],
        src: Addr::v6([0x20; 16]),
        dst: Addr::v6([0x21; 16]),
        protocol: 17,
        id: 0xdead,
    };
    let f = |offset: usize, more: bool, data: &'static [u8]| Fragment {
        key: k,
        ts_ns: 5,
        offset: offset as u32,
        more,
        data,
        header: &[],
        v6_next_header_at: Some(6),
    };
    let body: &'static [u8] = Box::leak(body.to_vec().into_boxed_slice());
    let first = Fragment {
        header: Box::leak(hdr.into_boxed_slice()),
        ..f(0, true, &body[..24])
    };
    assert_eq!(
        d.fragment(&f(24, false, &body[24..]), &mut out),
        Outcome::Pending
    );
    assert_eq!(d.fragment(&first, &mut out), Outcome::Complete);
    assert_eq!(out, whole);
    let p = SlicedPacket::from_ip(&out).unwrap();
    assert!(matches!(p.net, Some(NetSlice::Ipv6(_))));
}

/// One set of `tests/data/defrag/overlaps.fragments.json`: its
/// fragments in arrival order (offset, more fragments, data).
#[derive(serde::Deserialize)]
struct Set {
    v6: bool,
    set: u8,
    fragments: Vec<(u32, u8, String)>,
}

/// The datagrams rebuilt from every set of crafted overlapping fragments
/// (Sturges-Novak, zeek-ipv4_fragmented-1's shape, 60 seeded random sets,
/// each over IPv4 and IPv6) are byte for byte Suricata 7.0.10's with its
/// stock policies (windows for IPv4, bsd for IPv6), in the same order:
/// `tests/data/defrag/overlaps.suricata-7.0.10.rebuilt.jsonl`, written by
/// `sh tests/data/defrag/make.sh` from Suricata's alerts on `overlaps.pcap`.
#[test]
fn overlaps_rebuilt_as_suricata() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/defrag/");
    let sets: Vec<Set> = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}overlaps.fragments.json")).unwrap(),
    )
    .unwrap();
    let want: Vec<(String, String)> =
        std::fs::read_to_string(format!("{dir}overlaps.suricata-7.0.10.rebuilt.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let s = |k: &str| v[k].as_str().unwrap().to_string();
                (s("src"), s("payload"))
            })
            .collect();
    let (hdr4, mut hdr6) = (udp4(&[]), vec![0x60, 0, 0, 0, 0, 0, 44, 64]);
    hdr6.resize(40, 0);
    let mut d = Defrag::new(DefragConfig::default());
    let mut out = Vec::new();
    let mut got = Vec::new();
    for s in &sets {
        let (src, hl) = if s.v6 {
            (
                format!("fd00:0000:0000:0000:0000:0000:0000:02{:02x}", s.set),
                40,
            )
        } else {
            (format!("10.8.0.{}", s.set), 20)
        };
        for (offset, more, data) in &s.fragments {
            if *offset == 0 && *more == 0 {
                // Not a fragment (`Fragment::from_ip`; decap: `Frag::None`).
                continue;
            }
            let f = Fragment {
                key: DefragKey {
                    protocol: if s.v6 { 58 } else { 1 },
                    id: s.set as u32 + if s.v6 { 1000 } else { 0 },
                    ..key(77, 1)
                },
                ts_ns: 1,
                offset: *offset,
                more: *more != 0,
                data: data.as_bytes(),
                header: if s.v6 { &hdr6 } else { &hdr4[..20] },
                v6_next_header_at: s.v6.then_some(6),
            };
            if d.fragment(&f, &mut out) == Outcome::Complete {
                got.push((src.clone(), String::from_utf8(out[hl..].to_vec()).unwrap()));
            }
        }
    }
    // Per set (source address): the datagrams rebuilt, in order.
    let by_src = |list: &[(String, String)], src: &str| -> Vec<String> {
        list.iter()
            .filter(|(s, _)| s == src)
            .map(|(_, p)| p.clone())
            .collect()
    };
    let mut equal = 0;
    let mut differ = Vec::new();
    for s in &sets {
        let src = if s.v6 {
            format!("fd00:0000:0000:0000:0000:0000:0000:02{:02x}", s.set)
        } else {
            format!("10.8.0.{}", s.set)
        };
        let (g, w) = (by_src(&got, &src), by_src(&want, &src));
        if g == w {
            equal += 1;
        } else {
            // Sturges-Novak and zeek-ipv4_fragmented-1's shape are exact.
            assert!(s.set >= 2, "{src}: vxtap {g:?}, suricata {w:?}");
            differ.push(src);
        }
    }
    // Not yet exact on every random set (docs/ids.md): 92 of 124 as
    // Suricata (the former BSD-only rebuild: 59); none may get worse.
    assert!(
        equal >= 92,
        "{equal} of {} sets equal; differ: {differ:?}",
        sets.len()
    );
    assert!(d.stats().overlaps_different > 0);
}

#[test]
fn policies_on_three_fragments() {
    // zeek-ipv4_fragmented-1: 18 bytes 'A' at 0 (MF, not a multiple of 8:
    // kept), the last fragment 'B' at 48..164, then 'C' at 0..304 (MF).
    // Windows: C starts where A does and passes it, so it loses 0..18; its
    // comparison stops there, and B, written after it in offset order,
    // keeps 48..164; the datagram is 304 bytes long, the largest end.
    let hdr = &udp4(&[])[..20];
    let run = |policy: Policy| {
        let cfg = DefragConfig {
            policy_v4: policy,
            ..DefragConfig::default()
        };
        let mut d = Defrag::new(cfg);
        let mut out = Vec::new();
        d.fragment(&frag(1, 1, 0, true, &[b'A'; 18], hdr), &mut out);
        d.fragment(&frag(1, 2, 48, false, &[b'B'; 116], hdr), &mut out);
        assert_eq!(
            d.fragment(&frag(1, 3, 0, true, &[b'C'; 304], hdr), &mut out),
            Outcome::Complete
        );
        String::from_utf8(out[20..].to_vec()).unwrap()
    };
    let w = run(Policy::Windows);
    assert_eq!(
        w,
        "A".repeat(18) + &"C".repeat(30) + &"B".repeat(116) + &"C".repeat(140)
    );
    // BSD: C starts at A's start: A keeps 0..18; C trims B's head (B is
    // the next fragment and C passes its start): C from 18 to 304.
    let b = run(Policy::Bsd);
    assert_eq!(b, "A".repeat(18) + &"C".repeat(286));
}

#[test]
fn limits_and_timeouts() {
    let hdr = &udp4(&[])[..20];
    let cfg = DefragConfig {
        timeout_s: 60,
        max_trackers: 2,
        max_fragments: 2,
        ..DefragConfig::default()
    };
    let mut d = Defrag::new(cfg);
    let mut out = Vec::new();
    assert_eq!(
        d.fragment(&frag(1, 0, 65_530, false, &[0; 8], hdr), &mut out),
        Outcome::Dropped(DropReason::TooLarge)
    );
    // Windows: a fragment inside one held is dropped.
    let mut w = Defrag::new(DefragConfig::default());
    w.fragment(&frag(9, 0, 0, true, &[0; 16], hdr), &mut out);
    assert_eq!(
        w.fragment(&frag(9, 0, 8, true, &[1; 8], hdr), &mut out),
        Outcome::Dropped(DropReason::Overlapped)
    );
    d.fragment(&frag(1, 0, 8, true, &[0; 8], hdr), &mut out);
    d.fragment(&frag(1, 0, 16, true, &[0; 8], hdr), &mut out);
    assert_eq!(
        d.fragment(&frag(1, 0, 24, true, &[0; 8], hdr), &mut out),
        Outcome::Dropped(DropReason::TooManyFragments)
    );
    // A third datagram evicts the oldest.
    d.fragment(&frag(2, 1, 8, true, &[0; 8], hdr), &mut out);
    d.fragment(&frag(3, 2, 8, true, &[0; 8], hdr), &mut out);
    assert_eq!(d.in_progress(), 2);
    assert_eq!(d.stats().evicted, 1);
    // 60 s later both are gone.
    d.expire(2 + 60_000_000_000);
    assert_eq!(d.in_progress(), 0);
    assert_eq!(d.stats().timeouts, 2);
}

proptest! {
    /// Arbitrary fragment streams: no panic, the tracker cap holds, and any
    /// rebuilt packet is the header plus at most 65,535 payload bytes.
    #[test]
    fn hostile_fragments_stay_bounded(
        frags in proptest::collection::vec((0u32..4, 0usize..9000, any::<bool>(), 0usize..200, any::<u8>()), 0..200)
    ) {
        let hdr = udp4(&[]);
        let cfg = DefragConfig { timeout_s: 60, max_trackers: 3, max_fragments: 16, ..DefragConfig::default() };
        let mut d = Defrag::new(cfg);
        let mut out = Vec::new();
        for (i, (id, off, more, len, fill)) in frags.into_iter().enumerate() {
            let data = vec![fill; len];
            let f = frag(id, i as u64 * 1_000_000_000, off * 8, more, &data, &hdr[..20]);
            if d.fragment(&f, &mut out) == Outcome::Complete {
                prop_assert!(out.len() <= 20 + MAX_PAYLOAD);
            }
            prop_assert!(d.in_progress() <= 3);
        }
    }
}
