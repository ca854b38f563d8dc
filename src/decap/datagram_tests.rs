//! Tests of [`decode_datagram`] and [`tunnel_payload`]: a datagram decodes
//! exactly as the captured frame it came from (real captures of
//! `tests/data/pcaps`), malformed and truncated headers are errors by
//! reason, and no byte sequence panics.

use super::*;
use crate::capture::CaptureFile;
use proptest::prelude::*;

/// VXLAN header (flags 0x08, VNI 7) + inner Ethernet/IPv4/UDP 10.0.1.10:5353 → 10.0.0.2:53.
/// Hand-assembled from RFC 7348 §5 and RFC 791/768 layouts.
const VXLAN_DATAGRAM: &[u8] = &[
    0x08, 0, 0, 0, 0, 0, 7, 0, // VXLAN: I flag, VNI 7
    2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, // Ethernet, IPv4
    0x45, 0, 0, 29, 0, 1, 0, 0, 64, 17, 0, 0, // IPv4: total 29, UDP
    10, 0, 1, 10, 10, 0, 0, 2, // src, dst
    0x14, 0xe9, 0, 53, 0, 9, 0, 0,    // UDP 5353 → 53, length 9
    0xab, // one byte of payload
];

fn src() -> Addr {
    Addr::v4([127, 0, 0, 7])
}

#[test]
fn vxlan_datagram_fields() {
    let p = decode_datagram(Tunnel::Vxlan, VXLAN_DATAGRAM, src()).unwrap();
    assert_eq!(p.tunnel, Tunnel::Vxlan);
    assert_eq!(p.vni, Some(7));
    assert_eq!(p.mirror_src, Some(src()));
    assert_eq!(p.src, Addr::v4([10, 0, 1, 10]));
    assert_eq!(p.dst, Addr::v4([10, 0, 0, 2]));
    assert_eq!((p.protocol, p.src_port, p.dst_port), (17, 5353, 53));
    assert_eq!(p.ip_len, 29);
    assert_eq!(p.anomalies, Anomalies::default());
}

#[test]
fn wrong_flags_versions_and_kinds_are_errors() {
    let mut no_i = VXLAN_DATAGRAM.to_vec();
    no_i[0] = 0;
    assert_eq!(
        decode_datagram(Tunnel::Vxlan, &no_i, src()).unwrap_err(),
        DecapError::TunnelMalformed
    );
    // The same bytes as GENEVE: version 0, 0 option words, protocol 0 (not IP).
    assert_eq!(
        decode_datagram(Tunnel::Geneve, &no_i, src()).unwrap_err(),
        DecapError::NonIpInTunnel
    );
    let mut v1 = VXLAN_DATAGRAM.to_vec();
    v1[0] = 0x40; // GENEVE version 1
    assert_eq!(
        decode_datagram(Tunnel::Geneve, &v1, src()).unwrap_err(),
        DecapError::TunnelMalformed
    );
    assert_eq!(
        decode_datagram(Tunnel::None, VXLAN_DATAGRAM, src()).unwrap_err(),
        DecapError::TunnelMalformed
    );
}

#[test]
fn truncated_datagrams() {
    for cut in 0..8 {
        assert_eq!(
            decode_datagram(Tunnel::Vxlan, &VXLAN_DATAGRAM[..cut], src()).unwrap_err(),
            DecapError::TunnelTruncated,
            "cut at {cut}"
        );
    }
    assert_eq!(
        decode_datagram(Tunnel::Vxlan, &VXLAN_DATAGRAM[..8 + 10], src()).unwrap_err(),
        DecapError::InnerLinkTruncated
    );
    assert_eq!(
        decode_datagram(Tunnel::Vxlan, &VXLAN_DATAGRAM[..8 + 14 + 10], src()).unwrap_err(),
        DecapError::IpTruncated
    );
    // Cut inside the inner UDP header: kept, flagged.
    let p = decode_datagram(Tunnel::Vxlan, &VXLAN_DATAGRAM[..8 + 14 + 20 + 2], src()).unwrap();
    assert!(p.anomalies.has(Anomalies::TRANSPORT_TRUNCATED));
    assert!(p.anomalies.has(Anomalies::CAPTURE_TRUNCATED));
    assert_eq!(p.ip_len, 29);
}

/// Every tunnel frame of the committed mirror/VXLAN/GENEVE captures decodes
/// from its UDP payload exactly as from the whole frame.
#[test]
fn datagrams_decode_like_their_frames() {
    let cfg = DecapConfig::default();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pcaps");
    let mut tunnels = 0;
    let mut checked = 0;
    for dir in ["mirror", "vxlan", "geneve"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(mut cap) = CaptureFile::open(&path) else {
                continue;
            };
            let _ = cap.for_each(|f| {
                let Ok(link) = f.link else { return true };
                checked += 1;
                let Some((tunnel, outer_src, payload)) = tunnel_payload(&cfg, link, f.data) else {
                    return true;
                };
                tunnels += 1;
                let framed = decode(&cfg, link, f.data);
                let datagram = decode_datagram(tunnel, payload, outer_src);
                match framed {
                    Ok(p) if p.tunnel == Tunnel::None => {
                        // No I flag / other version: plain UDP in a capture, an error on a socket.
                        assert_eq!(datagram.unwrap_err(), DecapError::TunnelMalformed);
                    }
                    other => assert_eq!(
                        format!("{other:?}"),
                        format!("{datagram:?}"),
                        "{} packet {checked}",
                        path.display()
                    ),
                }
                true
            });
        }
    }
    assert!(
        tunnels > 10_000,
        "only {tunnels} tunnel frames of {checked}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), geneve in any::<bool>()) {
        let t = if geneve { Tunnel::Geneve } else { Tunnel::Vxlan };
        let _ = decode_datagram(t, &bytes, src());
    }

    #[test]
    fn mutated_datagrams(pos in 0usize..45, val in any::<u8>(), cut in 0usize..46) {
        let mut d = VXLAN_DATAGRAM.to_vec();
        d[pos] = val;
        d.truncate(cut);
        let _ = decode_datagram(Tunnel::Vxlan, &d, src());
    }
}
