//! Tunnels detection looks through below the mirror tunnel: GRE (RFC 2784
//! and 2890) carrying IP, Ethernet (transparent bridging) or ERSPAN types
//! I, II and III, as Suricata decodes them. The flow stage keeps the
//! packet as the GRE flow AWS would log; detection also inspects the packet
//! inside, as its own flow.

use crate::wire::link::LinkType;

/// GRE header flag bits (first 16 bits).
const CHECKSUM: u16 = 0x8000;
const KEY: u16 = 0x2000;
const SEQUENCE: u16 = 0x1000;
const VERSION: u16 = 0x0007;

/// GRE protocol types.
const IPV4: u16 = 0x0800;
const IPV6: u16 = 0x86dd;
const TEB: u16 = 0x6558;
const ERSPAN_II: u16 = 0x88be;
const ERSPAN_III: u16 = 0x22eb;

/// The frame a GRE packet carries (`gre` = the GRE header and what
/// follows), with the link type to read it with; `None` for versions and
/// protocols not looked through, and for cut headers.
pub fn gre_inner(gre: &[u8]) -> Option<(LinkType, &[u8])> {
    gre_inner_vlan(gre).map(|(l, f, _)| (l, f))
}

/// [`gre_inner`], and the VLAN id an ERSPAN type II header names (0 for
/// none and for the other kinds): Suricata's ERSPAN decoder gives the
/// packet inside that id as its first VLAN layer, before the frame's own
/// tags.
pub fn gre_inner_vlan(gre: &[u8]) -> Option<(LinkType, &[u8], u16)> {
    if gre.len() < 4 {
        return None;
    }
    let flags = u16::from_be_bytes([gre[0], gre[1]]);
    if flags & VERSION != 0 {
        return None;
    }
    let ptype = u16::from_be_bytes([gre[2], gre[3]]);
    let mut at = 4usize;
    for bit in [CHECKSUM, KEY, SEQUENCE] {
        if flags & bit != 0 {
            at += 4;
        }
    }
    let body = gre.get(at..)?;
    match ptype {
        IPV4 => Some((LinkType::Ipv4, body, 0)),
        IPV6 => Some((LinkType::Ipv6, body, 0)),
        TEB => Some((LinkType::Ethernet, body, 0)),
        // Type I has no ERSPAN header (and no GRE sequence number).
        ERSPAN_II if flags & SEQUENCE == 0 => Some((LinkType::Ethernet, body, 0)),
        ERSPAN_II => {
            let h = body.get(..8)?;
            let vlan = u16::from_be_bytes([h[0], h[1]]) & 0x0fff;
            Some((LinkType::Ethernet, body.get(8..)?, vlan))
        }
        ERSPAN_III => {
            let h = body.get(..12)?;
            // The O flag (last bit of byte 11) adds an 8-byte platform subheader.
            let len = if h[11] & 0x01 != 0 { 20 } else { 12 };
            Some((LinkType::Ethernet, body.get(len..)?, 0))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gre_headers_and_payload_kinds() {
        // Plain GRE with IPv4.
        let g = [0x00, 0x00, 0x08, 0x00, 0x45];
        assert_eq!(gre_inner(&g), Some((LinkType::Ipv4, &[0x45][..])));
        // Key and sequence present: 8 more bytes.
        let mut g = vec![0x30, 0x00, 0x65, 0x58];
        g.extend_from_slice(&[0; 8]);
        g.push(0xaa);
        assert_eq!(gre_inner(&g), Some((LinkType::Ethernet, &[0xaa][..])));
        // ERSPAN II: sequence set, 8-byte ERSPAN header.
        let mut g = vec![0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1];
        g.extend_from_slice(&[0x10, 0, 0, 0, 0, 0, 0, 0]);
        g.push(0xbb);
        assert_eq!(gre_inner(&g), Some((LinkType::Ethernet, &[0xbb][..])));
        assert_eq!(gre_inner_vlan(&g).map(|x| x.2), Some(0));
        // Version 1 (type II), VLAN 0x123, COS/En/T, session 5.
        g[8..10].copy_from_slice(&[0x11, 0x23]);
        assert_eq!(
            gre_inner_vlan(&g),
            Some((LinkType::Ethernet, &[0xbb][..], 0x123))
        );
        // ERSPAN I: no sequence, no header.
        let g = [0x00, 0x00, 0x88, 0xbe, 0xcc];
        assert_eq!(gre_inner(&g), Some((LinkType::Ethernet, &[0xcc][..])));
        // ERSPAN III with the O flag: 20-byte header.
        let mut g = vec![0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1];
        let mut h = [0u8; 20];
        h[11] = 1;
        g.extend_from_slice(&h);
        g.push(0xdd);
        assert_eq!(gre_inner(&g), Some((LinkType::Ethernet, &[0xdd][..])));
    }

    #[test]
    fn unsupported_and_cut_headers() {
        // Version 1 (PPTP), unknown protocol, cut option fields.
        assert_eq!(gre_inner(&[0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 0]), None);
        assert_eq!(gre_inner(&[0x00, 0x00, 0x12, 0x34, 0]), None);
        assert_eq!(gre_inner(&[0xb0, 0x00, 0x08, 0x00, 0, 0]), None);
        assert_eq!(gre_inner(&[0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1, 0]), None);
        for n in 0..4 {
            assert_eq!(gre_inner(&[0u8; 4][..n]), None);
        }
    }
}
