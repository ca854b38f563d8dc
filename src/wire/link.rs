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
    /// PPP: an optional HDLC address/control pair (`ff 03`), then the PPP
    /// protocol (one byte when compressed, RFC 1661 §6.5).
    Ppp,
    /// Cisco HDLC: address, control, then an EtherType.
    CiscoHdlc,
}

impl LinkType {
    /// Maps a pcap linktype number; `None` for link types vxtap cannot read.
    pub fn from_pcap(n: u32) -> Option<Self> {
        Some(match n {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            9 => LinkType::Ppp,
            // 778: LINKTYPE_GRE_OVER_IP, raw IP packets (Suricata decodes it as raw).
            12 | 14 | 101 | 778 => LinkType::Raw,
            104 => LinkType::CiscoHdlc,
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
    pub const CHDLC_PROTO: usize = 2;
    pub const CHDLC_LEN: usize = 4;
    /// PPP in HDLC-like framing starts with this address (RFC 1662).
    pub const PPP_HDLC_ADDRESS: u8 = 0xff;
    pub const PPP_HDLC_LEN: usize = 2;
}

/// PPP protocol numbers that carry IP (RFC 1332, RFC 5072, RFC 1144).
mod ppp {
    pub const IPV4: u16 = 0x0021;
    pub const IPV6: u16 = 0x0057;
    /// Van Jacobson uncompressed TCP/IP: an IPv4 header whose protocol
    /// byte holds the slot number; decoded as IPv4, as Suricata does.
    pub const VJ_UNCOMPRESSED: u16 = 0x002f;
}

/// EtherType given to PPP frames that carry no IP (LCP, IPCP, …): not one
/// any decoder takes, so they are counted as non-IP.
const NOT_IP: u16 = 0;

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
            vlan_ids: Default::default(),
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
        // The address (unicast 0x0f, broadcast 0x8f) and control bytes are
        // not checked, as Suricata does not.
        LinkType::CiscoHdlc => {
            if frame.len() < field::CHDLC_LEN {
                return Err(WireError::Truncated);
            }
            ethernet::walk_vlans(be16(frame, field::CHDLC_PROTO), &frame[field::CHDLC_LEN..])
        }
        LinkType::Ppp => ppp(frame),
    }
}

/// A PPP frame: `[ff 03] protocol(1 or 2 bytes) packet`.
fn ppp(frame: &[u8]) -> Result<L2<'_>, WireError> {
    let rest = match frame.first() {
        None => return Err(WireError::Truncated),
        Some(&field::PPP_HDLC_ADDRESS) => frame.get(field::PPP_HDLC_LEN..).unwrap_or(&[]),
        Some(_) => frame,
    };
    let (protocol, payload) = match rest {
        [] => return Err(WireError::Truncated),
        // An odd first byte is a compressed (one-byte) protocol field.
        [b, tail @ ..] if b & 1 == 1 => (*b as u16, tail),
        [_] => return Err(WireError::Truncated),
        [hi, lo, tail @ ..] => (u16::from_be_bytes([*hi, *lo]), tail),
    };
    let et = match protocol {
        ppp::IPV4 | ppp::VJ_UNCOMPRESSED => ethertype::IPV4,
        ppp::IPV6 => ethertype::IPV6,
        // A valid protocol number has an even high byte and an odd low byte.
        p if p & 0x0101 == 0x0001 => NOT_IP,
        _ => return Err(WireError::Malformed),
    };
    Ok(bare(et, payload))
}

fn bare(ethertype: u16, payload: &[u8]) -> L2<'_> {
    L2 {
        ethertype,
        vlan_depth: 0,
        outer_vlan: None,
        vlan_ids: Default::default(),
        payload,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applayer::test_hex;

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

    /// Frame 1 of `../shared/acceptance/decode-chdlc-01/input.pcap`
    /// (linktype 104): `tshark -r input.pcap -c 1` reads
    /// `192.168.2.7 → 65.55.116.183 TCP 4938 → 80 [SYN]`.
    const CHDLC_SYN: &str = "0f00080045000030155a400080066cd0c0a80207413774b7\
                             134a00509c34096c000000007002400011470000020405b4\
                             01010402";

    #[test]
    fn cisco_hdlc() {
        let frame = test_hex(CHDLC_SYN);
        let l2 = parse(LinkType::CiscoHdlc, &frame).unwrap();
        assert_eq!(l2.ethertype, ethertype::IPV4);
        assert_eq!(l2.payload, &frame[4..]);
        assert_eq!(LinkType::from_pcap(104), Some(LinkType::CiscoHdlc));
        for cut in 0..4 {
            assert_eq!(
                parse(LinkType::CiscoHdlc, &frame[..cut]),
                Err(WireError::Truncated)
            );
        }
        // A keepalive (SLARP, 0x8035) is a frame without IP.
        let slarp = [0x8f, 0x00, 0x80, 0x35, 0, 0, 0, 2];
        assert_eq!(
            parse(LinkType::CiscoHdlc, &slarp).unwrap().ethertype,
            0x8035
        );
    }

    /// PPP framings of the same IPv4 SYN (the CHDLC frame's packet), written
    /// to a linktype-9 pcap: `tshark -r` reads each frame as that SYN, and
    /// `suricata -r … -S <(echo 'alert tcp any any -> any any (flags:S;
    /// sid:1;)')` (7.0.10) alerts on each of them, VJ-uncompressed included.
    #[test]
    fn ppp_framings() {
        let ip = test_hex(CHDLC_SYN).split_off(4);
        for head in [
            &[0xff, 0x03, 0x00, 0x21][..],
            &[0x00, 0x21],
            &[0x21],
            &[0xff, 0x03, 0x21],
        ] {
            let frame = [head, &ip].concat();
            let l2 = parse(LinkType::Ppp, &frame).unwrap();
            assert_eq!(
                (l2.ethertype, l2.payload),
                (ethertype::IPV4, &ip[..]),
                "{head:x?}"
            );
        }
        let vj = [&[0xff, 0x03, 0x00, 0x2f][..], &ip].concat();
        assert_eq!(
            parse(LinkType::Ppp, &vj).unwrap().ethertype,
            ethertype::IPV4
        );
        let v6 = [0xff, 0x03, 0x00, 0x57, 0x60];
        assert_eq!(
            parse(LinkType::Ppp, &v6).unwrap().ethertype,
            ethertype::IPV6
        );
        assert_eq!(
            parse(LinkType::Ppp, &v6[3..]).unwrap().ethertype,
            ethertype::IPV6
        );
        // LCP Configure-Request: PPP, but not IP.
        let lcp = [0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04];
        assert_eq!(parse(LinkType::Ppp, &lcp).unwrap().ethertype, NOT_IP);
        // 0x00fe is no PPP protocol number (its low byte must be odd).
        assert_eq!(
            parse(LinkType::Ppp, &[0xff, 0x03, 0x00, 0xfe, 0x45]),
            Err(WireError::Malformed)
        );
        for cut in [
            &[][..],
            &[0xff],
            &[0xff, 0x03],
            &[0xff, 0x03, 0x00],
            &[0x00],
        ] {
            assert_eq!(
                parse(LinkType::Ppp, cut),
                Err(WireError::Truncated),
                "{cut:x?}"
            );
        }
        assert_eq!(LinkType::from_pcap(9), Some(LinkType::Ppp));
        assert_eq!(LinkType::from_pcap(778), Some(LinkType::Raw));
    }
}
