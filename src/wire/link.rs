//! Capture link layers: from a linktype and a frame to an EtherType and the
//! network-layer bytes (VLAN tags walked).

use super::ethernet::{self, L2, ethertype};
use super::{WireError, be16};

/// Link types vxtap reads (pcap LINKTYPE_* values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    Null,
    /// Ethernet II.
    Ethernet,
    /// Raw IP (version taken from the first nibble).
    Raw,
    /// Raw IPv4.
    Ipv4,
    /// Raw IPv6.
    Ipv6,
    /// Linux cooked capture v1 (SLL, 16-byte header).
    LinuxSll,
    /// Linux cooked capture v2 (SLL2, 20-byte header).
    LinuxSll2,
    /// OpenBSD loopback: address family in network byte order.
    Loop,
}

impl LinkType {
    /// Maps a pcap linktype number; `None` for link types vxtap cannot read.
    pub fn from_pcap(n: u32) -> Option<Self> {
        Some(match n {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            _ => return None,
        })
    }
}

mod field {
    pub const NULL_LEN: usize = 4;
    pub const SLL_PROTO: usize = 14;
    pub const SLL_LEN: usize = 16;
    pub const SLL2_PROTO: usize = 0;
    pub const SLL2_LEN: usize = 20;
}

/// Strips the link header of `frame` and walks VLAN tags.
pub fn parse(link: LinkType, frame: &[u8]) -> Result<L2<'_>, WireError> {
    match link {
        LinkType::Ethernet => ethernet::parse(frame),
        LinkType::Raw => Ok(L2 {
            ethertype: match frame.first().map(|b| b >> 4) {
                Some(4) => ethertype::IPV4,
                Some(6) => ethertype::IPV6,
                Some(_) => return Err(WireError::Malformed),
                None => return Err(WireError::Truncated),
            },
            vlan_depth: 0,
            outer_vlan: None,
            payload: frame,
        }),
        LinkType::Ipv4 => Ok(bare(ethertype::IPV4, frame)),
        LinkType::Ipv6 => Ok(bare(ethertype::IPV6, frame)),
        LinkType::Null | LinkType::Loop => {
            if frame.len() < field::NULL_LEN {
                return Err(WireError::Truncated);
            }
            let raw = [frame[0], frame[1], frame[2], frame[3]];
            let family = if link == LinkType::Loop {
                u32::from_be_bytes(raw)
            } else {
                // Written in the capturing host's order: accept either.
                let le = u32::from_le_bytes(raw);
                if le < 0x100 {
                    le
                } else {
                    u32::from_be_bytes(raw)
                }
            };
            let et = match family {
                2 => ethertype::IPV4,
                // AF_INET6 differs by OS: BSD 24, FreeBSD 28, macOS 30, Linux 10.
                10 | 24 | 28 | 30 => ethertype::IPV6,
                _ => return Err(WireError::Malformed),
            };
            Ok(bare(et, &frame[field::NULL_LEN..]))
        }
        LinkType::LinuxSll => {
            if frame.len() < field::SLL_LEN {
                return Err(WireError::Truncated);
            }
            ethernet::walk_vlans(be16(frame, field::SLL_PROTO), &frame[field::SLL_LEN..])
        }
        LinkType::LinuxSll2 => {
            if frame.len() < field::SLL2_LEN {
                return Err(WireError::Truncated);
            }
            ethernet::walk_vlans(be16(frame, field::SLL2_PROTO), &frame[field::SLL2_LEN..])
        }
    }
}

fn bare(ethertype: u16, payload: &[u8]) -> L2<'_> {
    L2 {
        ethertype,
        vlan_depth: 0,
        outer_vlan: None,
        payload,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooked_v1_and_v2() {
        let mut sll = vec![0u8; 16];
        sll[14] = 0x86;
        sll[15] = 0xdd;
        sll.push(0x60);
        let l2 = parse(LinkType::LinuxSll, &sll).unwrap();
        assert_eq!((l2.ethertype, l2.payload), (ethertype::IPV6, &[0x60][..]));
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0; 18]);
        sll2.push(0x45);
        let l2 = parse(LinkType::LinuxSll2, &sll2).unwrap();
        assert_eq!((l2.ethertype, l2.payload), (ethertype::IPV4, &[0x45][..]));
        assert_eq!(
            parse(LinkType::LinuxSll2, &sll2[..19]),
            Err(WireError::Truncated)
        );
    }

    #[test]
    fn bsd_null_both_orders() {
        let le = [2, 0, 0, 0, 0x45];
        assert_eq!(
            parse(LinkType::Null, &le).unwrap().ethertype,
            ethertype::IPV4
        );
        let be = [0, 0, 0, 30, 0x60];
        assert_eq!(
            parse(LinkType::Null, &be).unwrap().ethertype,
            ethertype::IPV6
        );
        assert_eq!(
            parse(LinkType::Null, &[7, 0, 0, 0]),
            Err(WireError::Malformed)
        );
    }

    #[test]
    fn raw_ip_version_sniffed() {
        assert_eq!(
            parse(LinkType::Raw, &[0x60]).unwrap().ethertype,
            ethertype::IPV6
        );
        assert_eq!(parse(LinkType::Raw, &[]), Err(WireError::Truncated));
        assert_eq!(parse(LinkType::Raw, &[0x10]), Err(WireError::Malformed));
        assert_eq!(LinkType::from_pcap(276), Some(LinkType::LinuxSll2));
        assert_eq!(LinkType::from_pcap(147), None);
    }
}
