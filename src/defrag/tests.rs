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

#[test]
fn bsd_overlaps() {
    let hdr = &udp4(&[0; 24])[..20];
    let mut d = Defrag::new(DefragConfig::default());
    let mut out = Vec::new();
    // Original bytes 8..24 = 'A'; a later fragment at 8 with 'B' loses
    // (same start), one at 0 covering 0..16 with 'C' wins over 8..16
    // (it starts before the original).
    d.fragment(&frag(1, 1, 8, true, &[b'A'; 16], hdr), &mut out);
    d.fragment(&frag(1, 2, 8, true, &[b'B'; 8], hdr), &mut out);
    assert_eq!(d.stats().overlaps_different, 1);
    d.fragment(&frag(1, 3, 0, true, &[b'C'; 16], hdr), &mut out);
    assert_eq!(
        d.fragment(&frag(1, 4, 24, false, b"end", hdr), &mut out),
        Outcome::Complete
    );
    assert_eq!(&out[20..], b"CCCCCCCCCCCCCCCCAAAAAAAAend");
    assert_eq!(d.stats().overlaps, 2);
}

#[test]
fn limits_and_timeouts() {
    let hdr = &udp4(&[])[..20];
    let cfg = DefragConfig {
        timeout_s: 60,
        max_trackers: 2,
        max_fragments: 2,
    };
    let mut d = Defrag::new(cfg);
    let mut out = Vec::new();
    assert_eq!(
        d.fragment(&frag(1, 0, 65_530, false, &[0; 8], hdr), &mut out),
        Outcome::Dropped(DropReason::TooLarge)
    );
    assert_eq!(
        d.fragment(&frag(1, 0, 0, true, &[0; 7], hdr), &mut out),
        Outcome::Dropped(DropReason::Misaligned)
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
        let cfg = DefragConfig { timeout_s: 60, max_trackers: 3, max_fragments: 16 };
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
