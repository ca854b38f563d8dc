//! The fast path for the shape AWS Traffic Mirroring sends almost always:
//! outer Ethernet (untagged) / IPv4 without options / UDP to a VXLAN port /
//! VXLAN with the I flag / inner Ethernet (untagged) / IPv4 without options.
//!
//! It reads every field at a fixed offset after one length check and builds
//! the [`Packet`] in place, where the general decoder walks link, IP-in-IP,
//! tunnel and inner layers through several functions and moves the packet
//! out of each. Anything else — VLAN tags, IP options, IPv6, GENEVE, a zero
//! or too small IPv4 total length, an outer fragment, a frame shorter than
//! the headers — returns `None` and goes to the general decoder, so the
//! result is always exactly the general decoder's (the tests beside this
//! module check that on every prefix and on mutated vectors).

use super::{DecapConfig, Frag, IpLayer, Packet, Tunnel, packet::Anomalies};
use crate::wire::geneve::GwlbOptions;
use crate::wire::transport::proto;
use crate::wire::vxlan::FLAG_I;
use crate::wire::{Addr, be16};

mod field {
    //! Offsets in the frame of the fixed shape.
    pub const OUTER_ETHERTYPE: usize = 12;
    pub const OUTER_IP: usize = 14;
    pub const OUTER_TOTAL_LEN: usize = OUTER_IP + 2;
    pub const OUTER_FLAGS_FRAG: usize = OUTER_IP + 6;
    pub const OUTER_PROTOCOL: usize = OUTER_IP + 9;
    pub const OUTER_SRC: usize = OUTER_IP + 12;
    pub const UDP: usize = OUTER_IP + 20;
    pub const VXLAN: usize = UDP + 8;
    pub const VXLAN_VNI: usize = VXLAN + 4;
    pub const VXLAN_RESERVED2: usize = VXLAN + 7;
    pub const INNER_ETHERTYPE: usize = VXLAN + 8 + 12;
    pub const INNER_IP: usize = VXLAN + 8 + 14;
    pub const INNER_TOTAL_LEN: usize = INNER_IP + 2;
    pub const INNER_IDENT: usize = INNER_IP + 4;
    pub const INNER_FLAGS_FRAG: usize = INNER_IP + 6;
    pub const INNER_PROTOCOL: usize = INNER_IP + 9;
    pub const INNER_SRC: usize = INNER_IP + 12;
    pub const INNER_DST: usize = INNER_IP + 16;
    /// Captured bytes the shape needs: through the inner IPv4 header.
    pub const NEED: usize = INNER_IP + 20;
    /// Outer IPv4 total length that holds everything through the inner
    /// IPv4 header (so no outer bound cuts a header).
    pub const OUTER_TOTAL_NEED: u16 = (NEED - OUTER_IP) as u16;
}

const IPV4_NO_OPTIONS: u8 = 0x45;
const ETHERTYPE_IPV4: u16 = 0x0800;
const MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1FFF;

/// The packet of a frame of the fixed shape (Ethernet link), or `None` when
/// the frame has another shape (then the general decoder decides).
#[inline(always)]
pub(super) fn vxlan_ipv4<'a>(cfg: &DecapConfig, frame: &'a [u8]) -> Option<Packet<'a>> {
    use field::*;
    // One length check; the fixed-size view lets the compiler drop the
    // per-field bounds checks below.
    let h: &[u8; NEED] = frame.get(..NEED)?.try_into().ok()?;
    if be16(h, OUTER_ETHERTYPE) != ETHERTYPE_IPV4
        || h[OUTER_IP] != IPV4_NO_OPTIONS
        || h[OUTER_PROTOCOL] != proto::UDP
        // Outer fragments (first or later) take the general path.
        || be16(h, OUTER_FLAGS_FRAG) & (MF | OFFSET_MASK) != 0
        || h[VXLAN] & FLAG_I == 0
        || be16(h, INNER_ETHERTYPE) != ETHERTYPE_IPV4
        || h[INNER_IP] != IPV4_NO_OPTIONS
    {
        return None;
    }
    let outer_total = be16(h, OUTER_TOTAL_LEN);
    let inner_total = be16(h, INNER_TOTAL_LEN);
    if outer_total < OUTER_TOTAL_NEED || inner_total < 20 {
        return None;
    }
    // VXLAN is tried before GENEVE on either port, as the general decoder does.
    if !(cfg.is_vxlan(be16(h, UDP + 2)) || cfg.is_vxlan(be16(h, UDP))) {
        return None;
    }
    let mut anomalies = Anomalies::default();
    // The outer IP packet ends at its total length or where the capture
    // stopped (Ethernet padding dropped, truncated mirror packets kept).
    let outer_captured = frame.len() - OUTER_IP;
    if outer_total as usize > outer_captured {
        anomalies.set(Anomalies::CAPTURE_TRUNCATED);
    }
    let outer_end = OUTER_IP + (outer_total as usize).min(outer_captured);
    if h[VXLAN] & !FLAG_I != 0 || h[VXLAN + 1..VXLAN + 4] != [0, 0, 0] || h[VXLAN_RESERVED2] != 0 {
        anomalies.set(Anomalies::VXLAN_RESERVED_NONZERO);
    }
    let vni = u32::from_be_bytes([0, h[VXLAN_VNI], h[VXLAN_VNI + 1], h[VXLAN_VNI + 2]]);
    let inner = &frame[INNER_IP..outer_end];
    if inner_total as usize > inner.len() {
        anomalies.set(Anomalies::CAPTURE_TRUNCATED);
    }
    let ip = &inner[..(inner_total as usize).min(inner.len())];
    let flags_frag = be16(h, INNER_FLAGS_FRAG);
    let frag = if flags_frag & OFFSET_MASK != 0 {
        Frag::Later {
            id: be16(h, INNER_IDENT) as u32,
        }
    } else if flags_frag & MF != 0 {
        Frag::First {
            id: be16(h, INNER_IDENT) as u32,
        }
    } else {
        Frag::None
    };
    let layer = IpLayer {
        src: addr4(h, INNER_SRC),
        dst: addr4(h, INNER_DST),
        protocol: h[INNER_PROTOCOL],
        ip_len: inner_total as u32,
        frag,
        ip,
        l4: &ip[20..],
    };
    Some(layer.into_packet(
        Tunnel::Vxlan,
        Some(vni),
        Some(addr4(h, OUTER_SRC)),
        GwlbOptions::default(),
        anomalies,
    ))
}

#[inline(always)]
fn addr4(h: &[u8; field::NEED], at: usize) -> Addr {
    Addr::v4([h[at], h[at + 1], h[at + 2], h[at + 3]])
}

#[cfg(test)]
mod tests;
