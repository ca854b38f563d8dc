//! Ethernet II with any depth of 802.1Q / 802.1ad / QinQ tags.

use super::{WireError, be16};

/// EtherTypes vxtap looks at.
pub mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// IPv6.
    pub const IPV6: u16 = 0x86DD;
    /// ARP (never mirrored by AWS, but seen in plain captures).
    pub const ARP: u16 = 0x0806;
    /// 802.1Q customer VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// 802.1ad service VLAN tag (QinQ outer).
    pub const QINQ: u16 = 0x88A8;
    /// Pre-standard QinQ tag still emitted by some switches.
    pub const QINQ_OLD: u16 = 0x9100;
    /// Transparent Ethernet bridging (GENEVE payload = Ethernet frame).
    pub const TEB: u16 = 0x6558;
}

mod field {
    pub const ETHERTYPE: usize = 12;
    pub const HEADER_LEN: usize = 14;
    pub const VLAN_TAG_LEN: usize = 4;
}

/// Most VLAN tags walked before a frame is called malformed (real stacks
/// have at most 3; the cap bounds work on hostile input).
pub const MAX_VLAN_TAGS: usize = 8;

/// The network layer of an Ethernet frame after its VLAN tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2<'a> {
    /// EtherType of the payload after the last tag.
    pub ethertype: u16,
    /// VLAN tags walked.
    pub vlan_depth: u8,
    /// Outermost VLAN id, if tagged.
    pub outer_vlan: Option<u16>,
    /// The bytes after the last tag.
    pub payload: &'a [u8],
}

/// Parses an Ethernet II frame and walks its VLAN tags.
pub fn parse(frame: &[u8]) -> Result<L2<'_>, WireError> {
    if frame.len() < field::HEADER_LEN {
        return Err(WireError::Truncated);
    }
    let ethertype = be16(frame, field::ETHERTYPE);
    walk_vlans(ethertype, &frame[field::HEADER_LEN..])
}

/// Walks VLAN tags starting at `ethertype` whose body is `rest`.
pub fn walk_vlans(mut ethertype: u16, mut rest: &[u8]) -> Result<L2<'_>, WireError> {
    let mut depth = 0u8;
    let mut outer_vlan = None;
    while matches!(
        ethertype,
        ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD
    ) {
        if depth as usize >= MAX_VLAN_TAGS {
            return Err(WireError::Malformed);
        }
        if rest.len() < field::VLAN_TAG_LEN {
            return Err(WireError::Truncated);
        }
        if outer_vlan.is_none() {
            outer_vlan = Some(be16(rest, 0) & 0x0FFF);
        }
        ethertype = be16(rest, 2);
        rest = &rest[field::VLAN_TAG_LEN..];
        depth += 1;
    }
    Ok(L2 {
        ethertype,
        vlan_depth: depth,
        outer_vlan,
        payload: rest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // A triple-tagged frame head as in zeek-vlan-qinqinq.pcap: 88a8 / 8100 / 8100 / IPv4.
    const QINQINQ: &[u8] = &[
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x81,
        0x00, 0x00, 0x1e, 0x08, 0x00, 0x45,
    ];

    #[test]
    fn walks_three_tags() {
        let l2 = parse(QINQINQ).unwrap();
        assert_eq!(l2.ethertype, ethertype::IPV4);
        assert_eq!(l2.vlan_depth, 3);
        assert_eq!(l2.outer_vlan, Some(10));
        assert_eq!(l2.payload, &[0x45]);
    }

    #[test]
    fn truncated_inside_a_tag() {
        assert_eq!(parse(&QINQINQ[..16]), Err(WireError::Truncated));
        assert_eq!(parse(&QINQINQ[..13]), Err(WireError::Truncated));
    }

    #[test]
    fn tag_loop_is_bounded() {
        let mut f = vec![0u8; 12];
        for _ in 0..20 {
            f.extend_from_slice(&[0x81, 0x00, 0x00, 0x01]);
        }
        assert_eq!(parse(&f), Err(WireError::Malformed));
    }
}
