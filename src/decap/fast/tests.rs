//! The fast path agrees with the general decoder: on frames built by
//! etherparse (an independent encoder), on every prefix of them (truncated
//! captures), on every single-byte mutation of their headers, on random
//! bytes behind a valid-looking prefix, and on every frame of the test
//! captures. Each test also checks that the fast path really took frames,
//! so agreement is never vacuous.

use super::super::{DecapConfig, decode_general};
use super::vxlan_ipv4;
use crate::capture::CaptureFile;
use crate::wire::link::LinkType;
use etherparse::PacketBuilder;
use proptest::prelude::*;

const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 2];

fn cfgs() -> [DecapConfig; 2] {
    [
        DecapConfig::default(),
        DecapConfig::new(&[4789, 8472], &[6081]).unwrap(),
    ]
}

/// Checks agreement on one frame; returns whether the fast path took it.
fn agree(cfg: &DecapConfig, frame: &[u8], orig_len: u32) -> bool {
    let general = decode_general(cfg, LinkType::Ethernet, frame, orig_len);
    let fast = super::super::decode_frame(cfg, LinkType::Ethernet, frame, orig_len);
    assert_eq!(fast, general, "frame {frame:02x?} orig_len {orig_len}");
    vxlan_ipv4(cfg, frame).is_some()
}

/// Inner Ethernet/IPv4 frames of several kinds, built by etherparse.
fn inner_frames() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let base =
        || PacketBuilder::ethernet2(MAC_A, MAC_B).ipv4([10, 0, 1, 10], [93, 184, 216, 34], 64);
    for (syn, ack, fin, rst, payload) in [
        (true, false, false, false, &b""[..]),
        (true, true, false, false, &b""[..]),
        (false, true, false, false, &b"GET / HTTP/1.1\r\n\r\n"[..]),
        (false, true, true, false, &b""[..]),
        (false, false, false, true, &b"x"[..]),
    ] {
        let mut b = base().tcp(40000, 443, 7, 65535);
        if syn {
            b = b.syn();
        }
        if ack {
            b = b.ack(1);
        }
        if fin {
            b = b.fin();
        }
        if rst {
            b = b.rst();
        }
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        out.push(v);
    }
    let mut v = Vec::new();
    base().udp(5353, 53).write(&mut v, b"dns query").unwrap();
    out.push(v);
    let mut v = Vec::new();
    base()
        .icmpv4_echo_request(1, 2)
        .write(&mut v, b"ping")
        .unwrap();
    out.push(v);
    // SCTP (no etherparse builder): an IPv4 header with protocol 132.
    let mut v = out[5].clone();
    v[14 + 9] = 132;
    out.push(v);
    // Inner fragments: first (MF), later (offset), and both.
    for flags_frag in [0x2000u16, 0x0003, 0x2005, 0x4000] {
        let mut v = out[2].clone();
        v[14 + 6..14 + 8].copy_from_slice(&flags_frag.to_be_bytes());
        out.push(v);
    }
    // Ethernet padding after a short inner packet.
    let mut v = out[0].clone();
    v.extend_from_slice(&[0; 6]);
    out.push(v);
    out
}

/// Wraps an inner frame as AWS Traffic Mirroring does.
fn vxlan_wrap(inner: &[u8], vni: u32, sport: u16, dport: u16) -> Vec<u8> {
    let mut vx = vec![0x08, 0, 0, 0];
    vx.extend_from_slice(&vni.to_be_bytes()[1..]);
    vx.push(0);
    vx.extend_from_slice(inner);
    let mut out = Vec::new();
    PacketBuilder::ethernet2(MAC_B, MAC_A)
        .ipv4([172, 31, 16, 139], [10, 0, 0, 100], 255)
        .udp(sport, dport)
        .write(&mut out, &vx)
        .unwrap();
    out
}

fn frames() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (i, inner) in inner_frames().iter().enumerate() {
        out.push(vxlan_wrap(inner, 1 + i as u32, 65408, 4789));
    }
    // The tunnel port as source, another configured port, a plain UDP port.
    out.push(vxlan_wrap(&inner_frames()[0], 0xABCDEF, 4789, 40000));
    out.push(vxlan_wrap(&inner_frames()[0], 3, 40000, 8472));
    out.push(vxlan_wrap(&inner_frames()[0], 3, 40000, 4790));
    // Outer padding (a 60-byte minimum Ethernet frame never applies here,
    // but switches do pad).
    let mut v = vxlan_wrap(&inner_frames()[2], 2, 65408, 4789);
    v.extend_from_slice(&[0xEE; 9]);
    out.push(v);
    out
}

#[test]
fn fast_path_takes_the_common_shape_and_agrees() {
    let cfg = DecapConfig::default();
    for f in frames() {
        agree(&cfg, &f, f.len() as u32);
    }
    for (i, inner) in inner_frames().iter().enumerate() {
        let f = vxlan_wrap(inner, 9, 65408, 4789);
        assert!(agree(&cfg, &f, f.len() as u32), "inner frame {i} not taken");
    }
}

/// Every prefix: a session packet length or snap length cuts anywhere.
#[test]
fn every_truncation_agrees() {
    let mut taken = 0;
    for cfg in cfgs() {
        for f in frames() {
            for cut in 0..=f.len() {
                if agree(&cfg, &f[..cut], f.len() as u32) {
                    taken += 1;
                }
            }
        }
    }
    assert!(taken > 500, "fast path took only {taken} truncated frames");
}

/// Every byte of the headers set to values that change the shape.
#[test]
fn every_header_mutation_agrees() {
    let mut taken = 0;
    let mut fell_back = 0;
    for cfg in cfgs() {
        for f in frames() {
            for pos in 0..(super::field::NEED + 20).min(f.len()) {
                let orig = f[pos];
                for val in [
                    0x00,
                    0xFF,
                    orig ^ 0x01,
                    orig ^ 0x08,
                    orig ^ 0x20,
                    orig ^ 0x80,
                    0x45,
                    0x46,
                    0x08,
                    0x11,
                    0x14,
                ] {
                    let mut m = f.clone();
                    m[pos] = val;
                    if agree(&cfg, &m, m.len() as u32) {
                        taken += 1;
                    } else {
                        fell_back += 1;
                    }
                }
            }
        }
    }
    assert!(
        taken > 1000 && fell_back > 1000,
        "{taken} taken, {fell_back} fell back"
    );
}

/// Every frame of the shared test captures that the tests copy in.
#[test]
fn test_captures_agree() {
    let mut taken = 0;
    let mut frames = 0;
    for dir in [
        "tests/data/pcaps/mirror",
        "tests/data/pcaps/vxlan",
        "tests/data/pcaps/crafted",
    ] {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
            .collect();
        paths.sort();
        for path in paths {
            let cfg = DecapConfig::default();
            let Ok(mut cap) = CaptureFile::open(&path) else {
                continue;
            };
            let _ = cap.for_each(|fr| {
                frames += 1;
                if fr.link == Ok(LinkType::Ethernet) && agree(&cfg, fr.data, fr.orig_len) {
                    taken += 1;
                }
                true
            });
        }
    }
    assert!(
        frames > 1000 && taken > frames / 4,
        "{taken} of {frames} frames taken"
    );
}

proptest! {
    /// Random bytes behind the common shape's first bytes, random lengths.
    #[test]
    fn random_tails_agree(
        tail in proptest::collection::vec(any::<u8>(), 0..120),
        keep in 0usize..90,
        total in any::<u16>(),
        inner_total in any::<u16>(),
    ) {
        let f = vxlan_wrap(&inner_frames()[2], 5, 65408, 4789);
        let mut m = f[..keep.min(f.len())].to_vec();
        m.extend_from_slice(&tail);
        if m.len() > 18 {
            m[16..18].copy_from_slice(&total.to_be_bytes());
        }
        if m.len() > 68 {
            m[66..68].copy_from_slice(&inner_total.to_be_bytes());
        }
        for cfg in cfgs() {
            agree(&cfg, &m, m.len() as u32 + (total as u32 % 7));
        }
    }
}
