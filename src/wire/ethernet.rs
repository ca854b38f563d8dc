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
    /// PPPoE session stage (RFC 2516): a PPP frame follows.
    pub const PPPOE_SESSION: u16 = 0x8864;
    /// MPLS unicast and multicast label stacks (RFC 3032).
    pub const MPLS: u16 = 0x8847;
    /// MPLS multicast.
    pub const MPLS_MULTICAST: u16 = 0x8848;
}

mod field {
    pub const ETHERTYPE: usize = 12;
    pub const HEADER_LEN: usize = 14;
    pub const VLAN_TAG_LEN: usize = 4;
    pub const NSH_BASE_LEN: usize = 8;
    /// PPPoE header (version/type, code, session id, length) + PPP protocol.
    pub const PPPOE_LEN: usize = 8;
    pub const MPLS_ENTRY_LEN: usize = 4;
    /// Pseudowire control word before an Ethernet frame (RFC 4385).
    pub const PW_CONTROL_WORD_LEN: usize = 4;
}

/// Most VLAN tags walked before a frame is called malformed (real stacks
/// have at most 3; the cap bounds work on hostile input).
pub const MAX_VLAN_TAGS: usize = 8;

/// VLAN layers whose ids Suricata 7 keeps per packet (`VLAN_MAX_LAYERS`)
/// and puts in its flow key (`vlan.use-for-tracking`).
pub const VLAN_KEY_LAYERS: usize = 3;

/// The ids of a packet's first [`VLAN_KEY_LAYERS`] VLAN tags, outermost
/// first, 0 where there is no tag (as Suricata's `Packet::vlan_id`, so an
/// untagged frame and one with a priority tag, id 0, are alike).
pub type VlanIds = [u16; VLAN_KEY_LAYERS];

/// `ids` with `more` appended after its first `depth` layers (the tags
/// met further in: after a carrier, or in ERSPAN's header then its frame);
/// layers past [`VLAN_KEY_LAYERS`] are left out.
pub fn append_vlan_ids(mut ids: VlanIds, depth: u8, more: &VlanIds) -> VlanIds {
    for (slot, id) in ids.iter_mut().skip(depth as usize).zip(more) {
        *slot = *id;
    }
    ids
}

/// The network layer of an Ethernet frame after its VLAN tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2<'a> {
    /// EtherType of the payload after the last tag.
    pub ethertype: u16,
    /// VLAN tags walked.
    pub vlan_depth: u8,
    /// Outermost VLAN id, if tagged.
    pub outer_vlan: Option<u16>,
    /// The ids of the first [`VLAN_KEY_LAYERS`] tags.
    pub vlan_ids: VlanIds,
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
///
/// PPPoE sessions and MPLS label stacks are not walked: VPC Flow Logs (and
/// the flow stage, which follows them) count such frames as non-IP.
/// Detection looks through them with [`through_carriers`].
pub fn walk_vlans(ethertype: u16, rest: &[u8]) -> Result<L2<'_>, WireError> {
    walk(ethertype, rest, false)
}

/// Looks through the PPPoE sessions and MPLS label stacks (and the VLAN
/// tags around them) of a frame [`walk_vlans`] stopped at, as Suricata's
/// decoders do: PPPoE sessions carrying IP, MPLS as Suricata's MPLS
/// decoder (IPv4/IPv6 explicit-null labels, else the first nibble after
/// the stack; an Ethernet pseudowire after a zero control word). `None`
/// when `l2` does not stop at such a carrier. The layers walked before
/// count against [`MAX_VLAN_TAGS`] again, so the work stays bounded.
pub fn through_carriers(l2: L2<'_>) -> Option<Result<L2<'_>, WireError>> {
    match l2.ethertype {
        ethertype::PPPOE_SESSION | ethertype::MPLS | ethertype::MPLS_MULTICAST => {}
        _ => return None,
    }
    Some(walk(l2.ethertype, l2.payload, true).map(|inner| L2 {
        vlan_depth: l2.vlan_depth.saturating_add(inner.vlan_depth),
        outer_vlan: l2.outer_vlan.or(inner.outer_vlan),
        vlan_ids: append_vlan_ids(l2.vlan_ids, l2.vlan_depth, &inner.vlan_ids),
        ..inner
    }))
}

fn walk(mut ethertype: u16, mut rest: &[u8], carriers: bool) -> Result<L2<'_>, WireError> {
    let mut depth = 0u8;
    let mut layers = 0usize;
    let mut outer_vlan = None;
    let mut vlan_ids = VlanIds::default();
    loop {
        match ethertype {
            ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD => {
                if rest.len() < field::VLAN_TAG_LEN {
                    return Err(WireError::Truncated);
                }
                let id = be16(rest, 0) & 0x0FFF;
                if outer_vlan.is_none() {
                    outer_vlan = Some(id);
                }
                if let Some(slot) = vlan_ids.get_mut(depth as usize) {
                    *slot = id;
                }
                ethertype = be16(rest, 2);
                rest = &rest[field::VLAN_TAG_LEN..];
                depth += 1;
            }
            ethertype::NSH => (ethertype, rest) = nsh(rest)?,
            ethertype::PPPOE_SESSION if carriers => (ethertype, rest) = pppoe(rest)?,
            ethertype::MPLS | ethertype::MPLS_MULTICAST if carriers => {
                (ethertype, rest) = mpls(rest)?
            }
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
        vlan_ids,
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

/// A PPPoE session header and the PPP protocol after it: the EtherType of
/// the IP it carries (`0`, which no decoder takes, for PPP control
/// protocols) and the bytes after it.
fn pppoe(b: &[u8]) -> Result<(u16, &[u8]), WireError> {
    if b.len() < field::PPPOE_LEN {
        return Err(WireError::Truncated);
    }
    // Version 1, type 1, code 0 (session data).
    if b[0] != 0x11 || b[1] != 0 {
        return Err(WireError::Malformed);
    }
    let body = &b[field::PPPOE_LEN..];
    match be16(b, 6) {
        0x0021 => Ok((ethertype::IPV4, body)),
        0x0057 => Ok((ethertype::IPV6, body)),
        _ => Ok((0, body)),
    }
}

/// An MPLS label stack: the EtherType of what follows its bottom entry
/// and the bytes after it. As Suricata: label 0 is IPv4 and 2 IPv6
/// (explicit null), other reserved labels (below 16) at the bottom are
/// malformed, else the first nibble after the stack says IPv4 (4), IPv6
/// (6) or an Ethernet pseudowire behind a control word (0).
fn mpls(mut b: &[u8]) -> Result<(u16, &[u8]), WireError> {
    let label = loop {
        if b.len() < field::MPLS_ENTRY_LEN {
            return Err(WireError::Truncated);
        }
        let entry = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        b = &b[field::MPLS_ENTRY_LEN..];
        if entry & 0x100 != 0 {
            break entry >> 12;
        }
    };
    match label {
        0 => return Ok((ethertype::IPV4, b)),
        2 => return Ok((ethertype::IPV6, b)),
        l if l < 16 => return Err(WireError::Malformed),
        _ => {}
    }
    if b.len() < field::PW_CONTROL_WORD_LEN {
        return Err(WireError::Truncated);
    }
    match b[0] >> 4 {
        4 => Ok((ethertype::IPV4, b)),
        6 => Ok((ethertype::IPV6, b)),
        0 => {
            let frame = &b[field::PW_CONTROL_WORD_LEN..];
            if frame.len() < field::HEADER_LEN {
                return Err(WireError::Truncated);
            }
            Ok((be16(frame, field::ETHERTYPE), &frame[field::HEADER_LEN..]))
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
        // Suricata's EVE shows `"vlan":[10,20,30]` for this capture's packets.
        assert_eq!(l2.vlan_ids, [10, 20, 30]);
        assert_eq!(l2.payload, &[0x45]);
    }

    #[test]
    fn vlan_ids_keep_the_first_three_layers() {
        // 802.1ad 5 with PCP/DEI bits set (masked off), 802.1Q 6: QinQ keeps both.
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[
            0x88, 0xa8, 0xf0, 0x05, 0x81, 0x00, 0x00, 0x06, 0x08, 0x00, 0x45,
        ]);
        let l2 = parse(&f).unwrap();
        assert_eq!((l2.vlan_depth, l2.vlan_ids), (2, [5, 6, 0]));
        // A fourth tag (and 0x9100) is walked but left out of the ids.
        let mut f = vec![0u8; 12];
        for (tpid, id) in [(0x9100u16, 1u16), (0x8100, 2), (0x8100, 3), (0x8100, 4)] {
            f.extend_from_slice(&tpid.to_be_bytes());
            f.extend_from_slice(&id.to_be_bytes());
        }
        f.extend_from_slice(&[0x08, 0x00, 0x45]);
        let l2 = parse(&f).unwrap();
        assert_eq!((l2.vlan_depth, l2.vlan_ids), (4, [1, 2, 3]));
        // Untagged: no ids.
        let plain: Vec<u8> = [0u8; 12]
            .iter()
            .chain(&[0x08, 0x00, 0x45])
            .copied()
            .collect();
        assert_eq!(parse(&plain).unwrap().vlan_ids, [0, 0, 0]);
        assert_eq!(append_vlan_ids([7, 0, 0], 1, &[8, 9, 10]), [7, 8, 9]);
        assert_eq!(append_vlan_ids([7, 8, 9], 3, &[1, 2, 3]), [7, 8, 9]);
    }

    #[test]
    fn carriers_add_their_inner_tags_after_the_outer_ones() {
        // VLAN 100 / MPLS (explicit null IPv4) / IPv4: one id; then an
        // Ethernet pseudowire with VLAN 200 inside: two.
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[
            0x81, 0x00, 0x00, 0x64, 0x88, 0x47, 0x00, 0x00, 0x01, 0x40, 0x45,
        ]);
        let l2 = through_carriers(parse(&f).unwrap()).unwrap().unwrap();
        assert_eq!(l2.vlan_ids, [100, 0, 0]);
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x81, 0x00, 0x00, 0x64, 0x88, 0x47, 0x00, 0x10, 0x01, 0x40]);
        f.extend_from_slice(&[0, 0, 0, 0]);
        f.extend_from_slice(&[0u8; 12]);
        f.extend_from_slice(&[0x81, 0x00, 0x00, 0xc8, 0x08, 0x00, 0x45]);
        let l2 = through_carriers(parse(&f).unwrap()).unwrap().unwrap();
        assert_eq!(
            (l2.ethertype, l2.vlan_ids),
            (ethertype::IPV4, [100, 200, 0])
        );
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

    /// A frame as detection reads it: link layer, then its carriers.
    fn carried(f: &[u8]) -> Result<L2<'_>, WireError> {
        through_carriers(parse(f)?).expect("the frame stops at a carrier")
    }

    /// zeek-pppoe-over-qinq.pcap frame 1 (`tshark -x`): 8100 / 8100 /
    /// PPPoE session 0x8864 (11 00 0001 len) / PPP 0x0021 / IPv4.
    #[test]
    fn pppoe_session_over_qinq() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x81, 0x00, 0x0e, 0x78, 0x81, 0x00, 0x09, 0xaa, 0x88, 0x64]);
        f.extend_from_slice(&[0x11, 0x00, 0x0f, 0x07, 0x00, 0x42, 0x00, 0x21, 0x45, 0x00]);
        // The flow stage's walk stops at the PPPoE header.
        assert_eq!(parse(&f).unwrap().ethertype, ethertype::PPPOE_SESSION);
        let l2 = carried(&f).unwrap();
        assert_eq!(
            (l2.ethertype, l2.payload),
            (ethertype::IPV4, &[0x45, 0][..])
        );
        assert_eq!((l2.vlan_depth, l2.outer_vlan), (2, Some(0x0e78)));
        // LCP (0xc021) is not IP; a cut header; a discovery-stage code.
        let mut lcp = f.clone();
        lcp[28..30].copy_from_slice(&[0xc0, 0x21]);
        assert_eq!(carried(&lcp).unwrap().ethertype, 0);
        assert_eq!(carried(&f[..27]), Err(WireError::Truncated));
        let mut padi = f.clone();
        padi[23] = 0x09;
        assert_eq!(carried(&padi), Err(WireError::Malformed));
    }

    /// MPLS: a two-label stack before IPv4 (first nibble), explicit-null
    /// IPv6, an Ethernet pseudowire with its control word, and the
    /// reserved/truncated cases Suricata's decoder rejects.
    #[test]
    fn mpls_label_stacks() {
        let head = |rest: &[u8]| {
            let mut f = vec![0u8; 12];
            f.extend_from_slice(&[0x88, 0x47]);
            f.extend_from_slice(rest);
            f
        };
        let two = head(&[
            0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40, 0x45, 0, 0, 0,
        ]);
        assert_eq!(parse(&two).unwrap().ethertype, ethertype::MPLS);
        let l2 = carried(&two).unwrap();
        assert_eq!(
            (l2.ethertype, l2.payload),
            (ethertype::IPV4, &[0x45, 0, 0, 0][..])
        );
        let v6 = head(&[0x00, 0x00, 0x21, 0x40, 0x60, 0]);
        assert_eq!(carried(&v6).unwrap().ethertype, ethertype::IPV6);
        let mut pw = head(&[0x00, 0x10, 0x01, 0x40, 0, 0, 0, 0]);
        pw.extend_from_slice(&[0u8; 12]);
        pw.extend_from_slice(&[0x08, 0x00, 0x45]);
        let l2 = carried(&pw).unwrap();
        assert_eq!((l2.ethertype, l2.payload), (ethertype::IPV4, &[0x45][..]));
        // Router alert (1) at the bottom, an unknown nibble, cut stacks.
        assert_eq!(
            carried(&head(&[0x00, 0x00, 0x11, 0x40, 0x45])),
            Err(WireError::Malformed)
        );
        assert_eq!(
            carried(&head(&[0x00, 0x10, 0x01, 0x40, 0x90, 0, 0, 0])),
            Err(WireError::Malformed)
        );
        assert_eq!(
            carried(&head(&[0x00, 0x10, 0x00])),
            Err(WireError::Truncated)
        );
        assert_eq!(
            carried(&head(&[0x00, 0x10, 0x00, 0x40, 0x00, 0x10])),
            Err(WireError::Truncated)
        );
        assert_eq!(
            carried(&head(&[0x00, 0x10, 0x01, 0x40, 0x45])),
            Err(WireError::Truncated)
        );
    }

    #[test]
    fn other_frames_have_no_carrier() {
        assert_eq!(through_carriers(parse(QINQINQ).unwrap()), None);
    }

    /// Carriers count as layers: a long MPLS/PPPoE chain is bounded.
    #[test]
    fn carrier_chain_is_bounded() {
        // MPLS bottom label 16, then a zero control word and an Ethernet
        // frame that is MPLS again, many times.
        let mut f = vec![0u8; 12];
        for _ in 0..MAX_VLAN_TAGS + 2 {
            f.extend_from_slice(&[0x88, 0x47, 0x00, 0x10, 0x01, 0x40, 0, 0, 0, 0]);
            f.extend_from_slice(&[0u8; 12]);
        }
        f.extend_from_slice(&[0x08, 0x00, 0x45]);
        assert_eq!(carried(&f), Err(WireError::Malformed));
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
