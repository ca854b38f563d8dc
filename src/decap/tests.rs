//! Decapsulation tests: hand-built vectors, packets built by etherparse (an
//! independent encoder) and a property test that no byte sequence panics.

use super::*;
use etherparse::PacketBuilder;
use proptest::prelude::*;

const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 2];

/// An inner Ethernet/IPv4/TCP frame with `payload`, built by etherparse.
fn inner_tcp(flags_syn: bool, payload: &[u8]) -> Vec<u8> {
    let mut b = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([10, 0, 1, 10], [93, 184, 216, 34], 64)
        .tcp(40000, 443, 1, 65535);
    if flags_syn {
        b = b.syn();
    }
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

/// Wraps `inner` as AWS Traffic Mirroring does: outer IPv4/UDP to 4789 + VXLAN.
fn vxlan_wrap(inner: &[u8], vni: u32, src: [u8; 4]) -> Vec<u8> {
    let mut vx = vec![0x08, 0, 0, 0];
    vx.extend_from_slice(&vni.to_be_bytes()[1..]);
    vx.push(0);
    vx.extend_from_slice(inner);
    let mut out = Vec::new();
    PacketBuilder::ethernet2(MAC_B, MAC_A)
        .ipv4(src, [10, 0, 0, 100], 255)
        .udp(65408, 4789)
        .write(&mut out, &vx)
        .unwrap();
    out
}

fn geneve_wrap(proto: u16, opts: &[u8], inner: &[u8], vni: u32) -> Vec<u8> {
    let mut g = vec![(opts.len() / 4) as u8, 0];
    g.extend_from_slice(&proto.to_be_bytes());
    g.extend_from_slice(&vni.to_be_bytes()[1..]);
    g.push(0);
    g.extend_from_slice(opts);
    g.extend_from_slice(inner);
    let mut out = Vec::new();
    PacketBuilder::ethernet2(MAC_B, MAC_A)
        .ipv4([10, 0, 9, 10], [10, 0, 9, 100], 255)
        .udp(51000, 6081)
        .write(&mut out, &g)
        .unwrap();
    out
}

/// Inserts an 802.1Q tag with `id` after the MAC addresses of `frame`.
fn tagged(frame: &[u8], id: u16) -> Vec<u8> {
    let mut f = frame[..12].to_vec();
    f.extend_from_slice(&[0x81, 0x00]);
    f.extend_from_slice(&id.to_be_bytes());
    f.extend_from_slice(&frame[12..]);
    f
}

#[test]
fn vlan_ids_are_the_mirrored_frames() {
    // Suricata 7.0.10 gives a VXLAN packet's inner packet the inner
    // frame's VLAN ids only (measured: outer VLAN 100, inner VLAN 200,
    // the inner packet's EVE "vlan" is [200]).
    let cfg = DecapConfig::default();
    let inner = tagged(&inner_tcp(true, b"x"), 200);
    let frame = tagged(&vxlan_wrap(&inner, 7, [10, 0, 1, 10]), 100);
    let p = decode(&cfg, LinkType::Ethernet, &frame).unwrap();
    assert_eq!((p.tunnel, p.vlan_ids), (Tunnel::Vxlan, [200, 0, 0]));
    // Untagged inner frame in a tagged carrier: none.
    let frame = tagged(&vxlan_wrap(&inner_tcp(true, b"x"), 7, [10, 0, 1, 10]), 100);
    let p = decode(&cfg, LinkType::Ethernet, &frame).unwrap();
    assert_eq!(p.vlan_ids, [0, 0, 0]);
    // A plain packet: the captured frame's tags.
    let plain = tagged(&tagged(&inner_tcp(true, b"x"), 6), 5);
    let p = decode(&cfg, LinkType::Ethernet, &plain).unwrap();
    assert_eq!((p.tunnel, p.vlan_ids), (Tunnel::None, [5, 6, 0]));
    // GENEVE carrying Ethernet: the inner frame's tags.
    let g = geneve_wrap(0x6558, &[], &tagged(&inner_tcp(true, b"x"), 300), 9);
    let p = decode(&cfg, LinkType::Ethernet, &g).unwrap();
    assert_eq!((p.tunnel, p.vlan_ids), (Tunnel::Geneve, [300, 0, 0]));
}

#[test]
fn vxlan_mirror_packet() {
    let inner = inner_tcp(true, b"hello");
    let frame = vxlan_wrap(&inner, 7, [10, 0, 1, 10]);
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!(p.tunnel, Tunnel::Vxlan);
    assert_eq!(p.vni, Some(7));
    assert_eq!(p.mirror_src, Some(Addr::v4([10, 0, 1, 10])));
    assert_eq!(p.src, Addr::v4([10, 0, 1, 10]));
    assert_eq!(p.dst, Addr::v4([93, 184, 216, 34]));
    assert_eq!((p.protocol, p.src_port, p.dst_port), (6, 40000, 443));
    assert_eq!(p.tcp_flags, Some(0x02));
    assert_eq!(p.ip_len, 20 + 20 + 5);
    assert_eq!(p.ip.len(), 45);
    assert_eq!(p.l4_offset, 20);
    assert_eq!(p.frag, Frag::None);
    assert_eq!(p.anomalies, Anomalies::default());
}

#[test]
fn truncated_mirror_packet_keeps_ip_length() {
    // Inner frame cut inside the TCP header, after the window field.
    let inner = inner_tcp(true, &[0u8; 1000]);
    let frame = vxlan_wrap(&inner[..14 + 20 + 16], 1, [10, 0, 1, 10]);
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!(p.ip_len, 1040);
    assert_eq!(p.tcp_flags, Some(0x02));
    assert!(p.anomalies.has(Anomalies::CAPTURE_TRUNCATED));
    // Cut after the flags byte but inside the window: ports, no flags.
    let frame = vxlan_wrap(&inner[..14 + 20 + 14], 1, [10, 0, 1, 10]);
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!((p.dst_port, p.tcp_flags), (443, None));
    // Cut inside the ports: ports 0, still counted.
    let frame = vxlan_wrap(&inner[..14 + 20 + 3], 1, [10, 0, 1, 10]);
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!((p.src_port, p.dst_port, p.tcp_flags), (0, 0, None));
    assert!(p.anomalies.has(Anomalies::TRANSPORT_TRUNCATED));
    // Cut inside the IP header: no flow.
    let frame = vxlan_wrap(&inner[..14 + 19], 1, [10, 0, 1, 10]);
    let e = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap_err();
    assert_eq!(e, DecapError::IpTruncated);
}

#[test]
fn only_the_mirror_level_is_decapsulated() {
    let innermost = inner_tcp(false, b"x");
    let nested = vxlan_wrap(&innermost, 99, [192, 168, 0, 1]);
    let frame = vxlan_wrap(&nested, 3, [10, 0, 1, 10]);
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!(p.vni, Some(3));
    assert_eq!((p.protocol, p.dst_port), (17, 4789));
    assert_eq!(p.src, Addr::v4([192, 168, 0, 1]));
}

#[test]
fn vxlan_without_i_flag_is_plain_udp() {
    let mut frame = vxlan_wrap(&inner_tcp(false, b""), 1, [10, 0, 1, 10]);
    frame[14 + 20 + 8] = 0; // clear flags
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!(p.tunnel, Tunnel::None);
    assert_eq!((p.protocol, p.dst_port), (17, 4789));
    assert!(p.anomalies.has(Anomalies::VXLAN_NO_I_FLAG));
}

#[test]
fn configured_ports() {
    let mut frame = vxlan_wrap(&inner_tcp(false, b""), 1, [10, 0, 1, 10]);
    frame[14 + 20 + 2..14 + 20 + 4].copy_from_slice(&8472u16.to_be_bytes());
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!(p.tunnel, Tunnel::None);
    let cfg = DecapConfig::new(&[4789, 8472], &[6081]).unwrap();
    let p = decode(&cfg, LinkType::Ethernet, &frame).unwrap();
    assert_eq!((p.tunnel, p.vni), (Tunnel::Vxlan, Some(1)));
    assert!(DecapConfig::new(&[1, 2, 3, 4, 5], &[]).is_err());
    assert!(DecapConfig::new(&[0], &[]).is_err());
}

#[test]
fn geneve_gwlb_bare_ipv6() {
    let mut inner = Vec::new();
    PacketBuilder::ipv6(
        [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
        64,
    )
    .udp(5353, 53)
    .write(&mut inner, b"abcd")
    .unwrap();
    let opts = [
        0x01, 0x08, 0x01, 0x02, 0x0a, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5, 0x67, 0x89, //
        0x01, 0x08, 0x02, 0x02, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, //
        0x01, 0x08, 0x03, 0x01, 0xca, 0xfe, 0xba, 0xbe,
    ];
    let frame = geneve_wrap(0x86DD, &opts, &inner, 0);
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!((p.tunnel, p.vni), (Tunnel::Geneve, Some(0)));
    assert_eq!(p.gwlb.endpoint_id, Some(0x0ab1c2d3e4f56789));
    assert_eq!(p.gwlb.attachment_id, Some(0x0123456789abcdef));
    assert_eq!(p.gwlb.flow_cookie, Some(0xcafebabe));
    assert_eq!(
        (p.protocol, p.src_port, p.dst_port, p.ip_len),
        (17, 5353, 53, 52)
    );
    assert_eq!(p.src.to_string(), "2001:db8::1");
}

#[test]
fn geneve_ethernet_payload_and_arp() {
    let frame = geneve_wrap(0x6558, &[], &inner_tcp(false, b""), 42);
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!((p.vni, p.dst_port), (Some(42), 443));
    let frame = geneve_wrap(0x0806, &[], &[0u8; 28], 42);
    let e = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap_err();
    assert_eq!(e, DecapError::NonIpInTunnel);
}

#[test]
fn plain_and_fragments() {
    // A first fragment (MF set) and a later fragment of the same datagram.
    let mut frame = inner_tcp(false, &[0u8; 16]);
    frame[14 + 6] = 0x20; // MF
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!(p.tunnel, Tunnel::None);
    assert!(matches!(p.frag, Frag::First { .. }));
    assert_eq!(p.dst_port, 443);
    frame[14 + 6] = 0x00;
    frame[14 + 7] = 0x03; // offset 24 bytes
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert!(matches!(p.frag, Frag::Later { .. }));
    assert_eq!((p.src_port, p.dst_port, p.tcp_flags), (0, 0, None));
}

#[test]
fn truncated_tunnel_headers() {
    let frame = vxlan_wrap(&inner_tcp(false, b""), 1, [10, 0, 1, 10]);
    let cut = &frame[..14 + 20 + 8 + 5];
    // The outer UDP length says more, but only 5 VXLAN bytes were captured.
    assert_eq!(
        decode(&DecapConfig::default(), LinkType::Ethernet, cut).unwrap_err(),
        DecapError::TunnelTruncated
    );
    let cut = &frame[..14 + 20 + 8 + 8 + 10];
    assert_eq!(
        decode(&DecapConfig::default(), LinkType::Ethernet, cut).unwrap_err(),
        DecapError::InnerLinkTruncated
    );
}

#[test]
fn vxlan_behind_ip_in_ip() {
    // VXLAN inside a 6in4 tunnel (IPv4 protocol 41 → IPv6 → UDP 4789).
    let inner = inner_tcp(true, b"");
    let mut vx = vec![0x08, 0, 0, 0, 0, 0, 22, 0];
    vx.extend_from_slice(&inner);
    let mut v6 = Vec::new();
    PacketBuilder::ipv6([0x20; 16], [0x21; 16], 64)
        .udp(65000, 4789)
        .write(&mut v6, &vx)
        .unwrap();
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(MAC_B, MAC_A)
        .ipv4([203, 0, 113, 1], [203, 0, 113, 2], 64)
        .write(&mut frame, etherparse::IpNumber(41), &v6)
        .unwrap();
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!(
        (p.tunnel, p.vni, p.dst_port),
        (Tunnel::Vxlan, Some(22), 443)
    );
    assert_eq!(p.mirror_src, Some(Addr::v6([0x20; 16])));
    // 6in4 carrying no tunnel: the outer packet, protocol 41.
    let mut plain = Vec::new();
    PacketBuilder::ipv6([0x20; 16], [0x21; 16], 64)
        .udp(65000, 53)
        .write(&mut plain, b"q")
        .unwrap();
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(MAC_B, MAC_A)
        .ipv4([203, 0, 113, 1], [203, 0, 113, 2], 64)
        .write(&mut frame, etherparse::IpNumber(41), &plain)
        .unwrap();
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!((p.tunnel, p.protocol, p.dst_port), (Tunnel::None, 41, 0));
}

#[test]
fn zero_total_length_counts_the_wire_bytes() {
    // TSO capture: IPv4 total length 0, frame captured to 200 of 2054 bytes.
    let mut frame = inner_tcp(false, &[0x55; 2000]);
    frame[16] = 0;
    frame[17] = 0;
    let orig = frame.len() as u32;
    let cut = &frame[..200];
    let p = decode_frame(&DecapConfig::default(), LinkType::Ethernet, cut, orig).unwrap();
    assert_eq!(p.ip_len, orig - 14);
    assert!(p.anomalies.has(Anomalies::CAPTURE_TRUNCATED));
    // Captured whole: every byte after the Ethernet header.
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!(p.ip_len, orig - 14);
}

#[test]
fn ipv6_zero_payload_length_and_bad_options() {
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv6([0x20; 16], [0x21; 16], 64)
        .udp(40070, 53)
        .write(&mut frame, b"q")
        .unwrap();
    // Payload length 0 without a jumbo option: an empty payload, no ports.
    frame[18] = 0;
    frame[19] = 0;
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!((p.protocol, p.ip_len, p.dst_port), (17, 40, 0));

    // A destination-options header whose option overruns it: walked over by
    // its length (ports read), the anomaly counted.
    let mut ext = vec![17, 0, 0x01, 0x00, 0xca, 0x90, 0, 0];
    let mut udp = Vec::new();
    PacketBuilder::ipv6([0x20; 16], [0x21; 16], 64)
        .udp(40070, 53)
        .write(&mut udp, b"q")
        .unwrap();
    ext.extend_from_slice(&udp[40..]);
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv6([0x20; 16], [0x21; 16], 64)
        .write(&mut frame, etherparse::IpNumber(60), &ext)
        .unwrap();
    let p = decode(&DecapConfig::default(), LinkType::Ethernet, &frame).unwrap();
    assert_eq!((p.protocol, p.src_port, p.dst_port), (17, 40070, 53));
    assert!(p.anomalies.has(Anomalies::IPV6_OPTION_MALFORMED));
}

#[test]
fn arp_is_non_ip() {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x06]);
    f.extend_from_slice(&[0u8; 28]);
    assert_eq!(
        decode(&DecapConfig::default(), LinkType::Ethernet, &f).unwrap_err(),
        DecapError::NonIp
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// No byte sequence panics the decoder, on any link type.
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), lt in 0usize..10) {
        let links = [LinkType::Ethernet, LinkType::Raw, LinkType::Null, LinkType::LinuxSll,
            LinkType::LinuxSll2, LinkType::Ipv4, LinkType::Ipv6, LinkType::Loop, LinkType::Ppp,
            LinkType::CiscoHdlc];
        let _ = decode(&DecapConfig::default(), links[lt], &bytes);
    }

    /// Mutating any byte of a valid mirror packet never panics, and whatever
    /// decodes keeps its lengths inside the frame.
    #[test]
    fn mutated_mirror_packets(pos in 0usize..120, val in any::<u8>(), cut in 0usize..120) {
        let mut frame = vxlan_wrap(&inner_tcp(true, &[7u8; 40]), 5, [10, 0, 1, 10]);
        let pos = pos % frame.len();
        frame[pos] = val;
        frame.truncate(frame.len() - cut.min(frame.len()));
        if let Ok(p) = decode(&DecapConfig::default(), LinkType::Ethernet, &frame) {
            prop_assert!(p.ip.len() <= frame.len());
            prop_assert!(p.l4_offset as usize <= p.ip.len());
        }
    }

    /// For any TCP/UDP packet etherparse builds, vxtap reads the same fields.
    #[test]
    fn agrees_with_etherparse(src in any::<[u8; 4]>(), dst in any::<[u8; 4]>(), sp in any::<u16>(),
        dp in any::<u16>(), udp in any::<bool>(), len in 0usize..64) {
        let payload = vec![0xabu8; len];
        let mut out = Vec::new();
        let b = PacketBuilder::ethernet2(MAC_A, MAC_B).ipv4(src, dst, 64);
        if udp { b.udp(sp, dp).write(&mut out, &payload).unwrap(); }
        else { b.tcp(sp, dp, 0, 1000).write(&mut out, &payload).unwrap(); }
        let p = decode(&DecapConfig::default(), LinkType::Ethernet, &out);
        // UDP to a tunnel port is (correctly) tried as a tunnel; skip those.
        prop_assume!(!(udp && [4789u16, 6081].iter().any(|t| *t == sp || *t == dp)));
        let p = p.unwrap();
        let sliced = etherparse::SlicedPacket::from_ethernet(&out).unwrap();
        let (esp, edp) = match sliced.transport {
            Some(etherparse::TransportSlice::Tcp(t)) => (t.source_port(), t.destination_port()),
            Some(etherparse::TransportSlice::Udp(u)) => (u.source_port(), u.destination_port()),
            _ => unreachable!(),
        };
        prop_assert_eq!((p.src_port, p.dst_port), (esp, edp));
        prop_assert_eq!(p.src, Addr::v4(src));
        prop_assert_eq!(p.ip_len as usize, out.len() - 14);
    }
}

/// Frame 1 of `../shared/acceptance/decode-chdlc-01/input.pcap` (Cisco
/// HDLC); `tshark -r input.pcap -c 1 -T fields -e ip.src -e tcp.srcport
/// -e ip.dst -e tcp.dstport -e tcp.flags` prints
/// `192.168.2.7 4938 65.55.116.183 80 0x0002`. In PPP framing (`ff 03 00
/// 21`) tshark reads the same packet.
#[test]
fn cisco_hdlc_and_ppp_frames() {
    let chdlc = crate::applayer::test_hex(CHDLC_SYN);
    let ppp = [&[0xff, 0x03, 0x00, 0x21][..], &chdlc[4..]].concat();
    for (link, frame) in [(LinkType::CiscoHdlc, &chdlc), (LinkType::Ppp, &ppp)] {
        let p = decode(&DecapConfig::default(), link, frame).unwrap();
        assert_eq!(p.tunnel, Tunnel::None);
        assert_eq!(p.src, Addr::v4([192, 168, 2, 7]));
        assert_eq!(p.dst, Addr::v4([65, 55, 116, 183]));
        assert_eq!((p.protocol, p.src_port, p.dst_port), (6, 4938, 80));
        assert_eq!((p.tcp_flags, p.ip_len), (Some(0x02), 48));
    }
    // LCP is PPP without IP: counted as non-IP, not as a broken link header.
    let lcp = [0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04];
    assert_eq!(
        decode(&DecapConfig::default(), LinkType::Ppp, &lcp).unwrap_err(),
        DecapError::NonIp
    );
}

const CHDLC_SYN: &str = "0f00080045000030155a400080066cd0c0a80207413774b7134a00509c34096c0000000070024000114700000204\
05b401010402";

/// A TCP packet in a PPPoE session: `decode_frame` counts it as non-IP (the
/// flow stage), `decode_carried` gives detection the same packet as if it
/// were bare IP.
#[test]
fn pppoe_is_non_ip_for_flows_and_ip_for_detection() {
    let eth = inner_tcp(true, b"");
    let ip = &eth[14..];
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x88, 0x64, 0x11, 0x00, 0x00, 0x01]);
    f.extend_from_slice(&((ip.len() + 2) as u16).to_be_bytes());
    f.extend_from_slice(&[0x00, 0x21]);
    let ip_at = f.len();
    f.extend_from_slice(ip);
    let cfg = DecapConfig::default();
    let n = f.len() as u32;
    assert_eq!(
        decode_frame(&cfg, LinkType::Ethernet, &f, n),
        Err(DecapError::NonIp)
    );
    let carried = decode_carried(&cfg, LinkType::Ethernet, &f, n).unwrap();
    let bare = decode(&cfg, LinkType::Ipv4, &f[ip_at..]).unwrap();
    assert_eq!(carried, bare);
    // Cut inside the PPPoE header; PPP LCP; a frame with no carrier.
    assert_eq!(
        decode_carried(&cfg, LinkType::Ethernet, &f[..18], 18),
        Err(DecapError::LinkTruncated)
    );
    let mut lcp = f.clone();
    lcp[20..22].copy_from_slice(&[0xc0, 0x21]);
    assert_eq!(
        decode_carried(&cfg, LinkType::Ethernet, &lcp, n),
        Err(DecapError::NonIp)
    );
    let mut arp = f.clone();
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    assert_eq!(
        decode_carried(&cfg, LinkType::Ethernet, &arp, n),
        Err(DecapError::NonIp)
    );
}

proptest! {
    #[test]
    fn carried_never_panics(mpls in any::<bool>(), body in proptest::collection::vec(any::<u8>(), 0..120)) {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(if mpls { &[0x88, 0x47] } else { &[0x88, 0x64] });
        f.extend_from_slice(&body);
        let n = f.len() as u32;
        let _ = decode_carried(&DecapConfig::default(), LinkType::Ethernet, &f, n);
    }
}
