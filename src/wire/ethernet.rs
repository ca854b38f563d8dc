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
    /// Network Service Header (RFC 8300), walked like a tag.
    pub const NSH: u16 = 0x894F;
}

mod field {
    pub const ETHERTYPE: usize = 12;
    pub const HEADER_LEN: usize = 14;
    pub const VLAN_TAG_LEN: usize = 4;
    pub const NSH_BASE_LEN: usize = 8;
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

/// Walks VLAN tags starting at `ethertype` whose body is `rest`, and
/// Network Service Headers (RFC 8300, as Suricata's NSH decoder: version
/// 0, MD type 1 with length 6 or MD type 2, carrying IPv4, IPv6 or
/// Ethernet). At most [`MAX_VLAN_TAGS`] layers in all.
pub fn walk_vlans(mut ethertype: u16, mut rest: &[u8]) -> Result<L2<'_>, WireError> {
    let mut depth = 0u8;
    let mut layers = 0usize;
    let mut outer_vlan = None;
    loop {
        match ethertype {
            ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD => {
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
            ethertype::NSH => (ethertype, rest) = nsh(rest)?,
            _ => break,
        }
        layers += 1;
        if layers > MAX_VLAN_TAGS {
            return Err(WireError::Malformed);
        }
    }
    Ok(L2 {
        ethertype,
        vlan_depth: depth,
        outer_vlan,
        payload: rest,
    })
}

/// One Network Service Header: the EtherType of what it carries and the
/// bytes after it.
fn nsh(b: &[u8]) -> Result<(u16, &[u8]), WireError> {
    if b.len() < field::NSH_BASE_LEN {
        return Err(WireError::Truncated);
    }
    let version = b[0] >> 6;
    let words = (b[1] & 0x3f) as usize;
    let md_type = b[2] & 0x0f;
    let ok = version == 0 && ((md_type == 1 && words == 6) || (md_type == 2 && words >= 2));
    if !ok {
        return Err(WireError::Malformed);
    }
    let len = words * 4;
    if b.len() < len {
        return Err(WireError::Truncated);
    }
    let body = &b[len..];
    match b[3] {
        1 => Ok((ethertype::IPV4, body)),
        2 => Ok((ethertype::IPV6, body)),
        3 => {
            if body.len() < field::HEADER_LEN {
                return Err(WireError::Truncated);
            }
            Ok((be16(body, field::ETHERTYPE), &body[field::HEADER_LEN..]))
        }
        _ => Err(WireError::Malformed),
    }
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

    /// suricata-verify decode-nsh-type1 and -type2, frame 1 (`tshark -x`):
    /// Ethernet / NSH (MD type 1, 6 words; MD type 2, 2 words) / IPv4.
    #[test]
    fn nsh_md_types_1_and_2() {
        let mut t1 = vec![0u8; 12];
        t1.extend_from_slice(&[0x89, 0x4f, 0x00, 0x06, 0x01, 0x01, 0x00, 0x00, 0x01, 0x02]);
        t1.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0x45, 0]);
        let l2 = parse(&t1).unwrap();
        assert_eq!(
            (l2.ethertype, l2.payload),
            (ethertype::IPV4, &[0x45, 0][..])
        );
        let mut t2 = vec![0u8; 12];
        t2.extend_from_slice(&[
            0x89, 0x4f, 0x00, 0x02, 0x02, 0x01, 0x00, 0x00, 0x01, 0x02, 0x45,
        ]);
        let l2 = parse(&t2).unwrap();
        assert_eq!((l2.ethertype, l2.payload), (ethertype::IPV4, &[0x45][..]));
        // MD type 1 with a wrong length, a cut header, an unknown payload.
        let mut bad = t2.clone();
        bad[16] = 0x01;
        assert_eq!(parse(&bad), Err(WireError::Malformed));
        assert_eq!(parse(&t2[..18]), Err(WireError::Truncated));
        let mut other = t2.clone();
        other[17] = 9;
        assert_eq!(parse(&other), Err(WireError::Malformed));
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
