//! What detection sees of a packet: a zero-copy view over the inner IP
//! packet (as decapsulation hands it over) with the offsets of its headers.
//! [`PacketView::from_ip`] parses IPv4 (options) and IPv6 (extension
//! headers, fragment header) and the TCP/UDP/ICMP/ICMPv6/SCTP header;
//! accessors never panic and return `None` where the packet lacks the field.
//!
//! Parsing follows Suricata's decoders where detection can tell the
//! difference: a fragment (IPv4 MF or offset, IPv6 fragment header that is
//! not atomic) has no transport layer and no payload (the reassembled
//! datagram is inspected instead), an IPv6 fragment's protocol is 44, and a
//! transport header the declared lengths do not hold is not parsed. The
//! decoder events Suricata raises on the way are collected in
//! [`PacketView::events`] (see [`super::events`]).

use super::anomaly;
use super::events::{Event, Events};
use crate::wire::{Addr, WireError};

/// Most IPv6 extension headers walked (a packet with more is parsed no
/// further).
const MAX_EXT_HEADERS: usize = 16;

pub use crate::wire::transport::proto;

/// A packet as detection sees it. Build it with [`PacketView::from_ip`].
#[derive(Debug, Clone, Copy)]
pub struct PacketView<'a> {
    /// The IP packet, cut at the IP total length (trailer bytes dropped)
    /// and at what was captured.
    pub ip: &'a [u8],
    /// 4 or 6.
    pub version: u8,
    /// Bytes of IP header: IPv4 header with options, or IPv6 fixed header
    /// plus extension headers.
    pub ip_hdr_len: usize,
    /// The transport protocol (after IPv6 extension headers).
    pub proto: u8,
    /// Source address.
    pub src: Addr,
    /// Destination address.
    pub dst: Addr,
    /// Transport header length (0 when absent: non-first fragment, cut packet).
    pub l4_hdr_len: usize,
    /// Source port (0 without ports).
    pub sport: u16,
    /// Destination port (0 without ports).
    pub dport: u16,
    /// Fragment offset in 8-byte units (IPv4 or IPv6 fragment header).
    pub frag_offset: u16,
    /// More-fragments flag.
    pub more_fragments: bool,
    /// Whether the packet had an IPv6 fragment header.
    pub ipv6_frag_header: bool,
    /// Whether the IP total length exceeded what was captured.
    pub truncated: bool,
    /// Decoder events raised on this packet. `from_ip` fills in those the
    /// IP packet itself shows; the pipeline adds what other stages raised
    /// (stream reassembly: [`Events::from_stream`]).
    pub events: Events,
}

impl<'a> PacketView<'a> {
    /// Parses an IP packet. Fails only when the IP header itself is cut or
    /// not IP; a cut transport header leaves `l4_hdr_len` 0.
    pub fn from_ip(bytes: &'a [u8]) -> Result<PacketView<'a>, WireError> {
        let first = *bytes.first().ok_or(WireError::Truncated)?;
        match first >> 4 {
            4 => Self::v4(bytes),
            6 => Self::v6(bytes),
            _ => Err(WireError::Malformed),
        }
    }

    fn v4(b: &'a [u8]) -> Result<PacketView<'a>, WireError> {
        if b.len() < 20 {
            return Err(WireError::Truncated);
        }
        let ihl = ((b[0] & 0x0f) as usize) * 4;
        if ihl < 20 {
            return Err(WireError::Malformed);
        }
        if b.len() < ihl {
            return Err(WireError::Truncated);
        }
        let total = u16::from_be_bytes([b[2], b[3]]) as usize;
        // A total length below the header's, 0 included (what TSO/LRO
        // captures carry), is Suricata's `ipv4.iplen_smaller_than_hlen`:
        // the packet is invalid and never reaches its flow (Suricata 7.0.10
        // on zeek-krb_kerberos_tso: the three oversized Kerberos requests
        // are left out, `decoder.invalid`). The flow stage counts such
        // packets by their captured length (`crate::decap`), as the
        // flow-log oracle does.
        let (ip, truncated) = if total < ihl {
            return Err(WireError::Malformed);
        } else if total <= b.len() {
            (&b[..total], false)
        } else {
            (b, true)
        };
        let frag = u16::from_be_bytes([b[6], b[7]]);
        let mut v = PacketView {
            ip,
            version: 4,
            ip_hdr_len: ihl,
            proto: b[9],
            src: Addr::v4([b[12], b[13], b[14], b[15]]),
            dst: Addr::v4([b[16], b[17], b[18], b[19]]),
            l4_hdr_len: 0,
            sport: 0,
            dport: 0,
            frag_offset: frag & 0x1fff,
            more_fragments: frag & 0x2000 != 0,
            ipv6_frag_header: false,
            truncated,
            events: Events::empty(),
        };
        if truncated {
            v.events.insert(Event::Ipv4TruncPkt);
        }
        if v.proto == proto::ICMPV6 {
            v.events.insert(Event::Ipv4Icmpv6);
        }
        if !v.is_fragment() {
            v.parse_l4();
        }
        Ok(v)
    }

    fn v6(b: &'a [u8]) -> Result<PacketView<'a>, WireError> {
        if b.len() < 40 {
            return Err(WireError::Truncated);
        }
        let plen = u16::from_be_bytes([b[4], b[5]]) as usize;
        let (ip, truncated) = if plen == 0 {
            (b, false)
        } else if 40 + plen <= b.len() {
            (&b[..40 + plen], false)
        } else {
            (b, true)
        };
        let mut s = [0u8; 16];
        let mut d = [0u8; 16];
        s.copy_from_slice(&b[8..24]);
        d.copy_from_slice(&b[24..40]);
        let mut v = PacketView {
            ip,
            version: 6,
            ip_hdr_len: 40,
            proto: b[6],
            src: Addr::v6(s),
            dst: Addr::v6(d),
            l4_hdr_len: 0,
            sport: 0,
            dport: 0,
            frag_offset: 0,
            more_fragments: false,
            ipv6_frag_header: false,
            truncated,
            events: Events::empty(),
        };
        if truncated {
            v.events.insert(Event::Ipv6TruncPkt);
        }
        if v.walk_v6_extensions() {
            v.parse_l4();
        }
        Ok(v)
    }

    /// Walks the IPv6 extension headers as Suricata's `DecodeIPV6ExtHdrs`
    /// does, raising its events; sets `proto` and `ip_hdr_len`. Returns
    /// whether a transport header follows that should be parsed.
    fn walk_v6_extensions(&mut self) -> bool {
        // Events about sizes only when the capture holds what the header
        // declares (else `ipv6.trunc_pkt` says it all).
        let sized = !self.truncated;
        let ip = self.ip;
        let mut next = ip[6];
        let mut off = 40usize;
        let (mut hh, mut rh, mut ah, mut fh, mut dstopts) = (false, false, false, false, 0u8);
        let mut in_ext = false;
        let ev = &mut self.events;
        let mut parse = false;
        for _ in 0..MAX_EXT_HEADERS {
            let rest = &ip[off.min(ip.len())..];
            if next == 59 {
                // No next header: data after it is suspicious.
                if !rest.is_empty() {
                    ev.insert(Event::Ipv6DataAfterNoneHeader);
                }
                break;
            }
            let ext = matches!(next, 0 | 43 | 44 | 50 | 51 | 60 | 135 | 139 | 140);
            if (in_ext || ext) && rest.len() < 2 {
                if sized {
                    ev.insert(Event::Ipv6TruncExthdr);
                }
                break;
            }
            // Length of an extension header, or None for a transport/other.
            let hlen = match next {
                0 | 60 => (rest[1] as usize + 1) * 8,
                43 | 135 | 139 | 140 => 8 + rest[1] as usize * 8,
                44 => 8,
                51 => 12 + (rest[1].saturating_sub(1) as usize) * 4,
                proto::TCP | proto::UDP | proto::ICMPV6 | proto::SCTP => {
                    parse = true;
                    break;
                }
                proto::GRE if !in_ext => {
                    parse = true;
                    break;
                }
                // IPv4/IPv6 in IPv6 and ESP: a tunnel or encrypted payload.
                4 | 50 => break,
                41 if !in_ext => break,
                proto::ICMP => {
                    ev.insert(Event::Ipv6Icmpv4);
                    break;
                }
                _ => {
                    ev.insert(Event::Ipv6UnknownNextHeader);
                    break;
                }
            };
            if hlen > rest.len() {
                if sized {
                    ev.insert(Event::Ipv6TruncExthdr);
                }
                break;
            }
            let h = &rest[..hlen];
            in_ext = true;
            let dup = match next {
                43 => {
                    let d = rh;
                    if !d && h[2] == 0 {
                        ev.insert(Event::Ipv6RhType0);
                    }
                    rh = true;
                    d.then_some(Event::Ipv6ExthdrDuplRh)
                }
                0 => {
                    let d = hh;
                    hh = true;
                    d.then_some(Event::Ipv6ExthdrDuplHh)
                }
                60 => {
                    dstopts += 1;
                    (dstopts > 2).then_some(Event::Ipv6ExthdrDuplDh)
                }
                51 => {
                    if h[2..4] != [0, 0] {
                        ev.insert(Event::Ipv6ExthdrAhResNotNull);
                    }
                    let d = ah;
                    ah = true;
                    d.then_some(Event::Ipv6ExthdrDuplAh)
                }
                44 => {
                    if h[1] != 0 {
                        ev.insert(Event::Ipv6FhNonZeroReservedField);
                    }
                    let d = fh;
                    fh = true;
                    d.then_some(Event::Ipv6ExthdrDuplFh)
                }
                _ => None,
            };
            if let Some(e) = dup {
                // A duplicate is skipped; parsing goes on after it.
                ev.insert(e);
            } else if next == 0 || next == 60 {
                anomaly::ipv6_options(&h[2..], next == 0, ev);
            } else if next == 44 {
                let fo = u16::from_be_bytes([h[2], h[3]]);
                self.frag_offset = fo >> 3;
                self.more_fragments = fo & 1 != 0;
                self.ipv6_frag_header = true;
                if self.frag_offset == 0 && !self.more_fragments {
                    // An atomic fragment: parsed on as a whole packet.
                    ev.insert(Event::Ipv6ExthdrUselessFh);
                } else {
                    if self.more_fragments && !rest.len().is_multiple_of(8) {
                        ev.insert(Event::Ipv6FragInvalidLength);
                    }
                    // A real fragment: the rest is parsed after reassembly.
                    self.proto = 44;
                    self.ip_hdr_len = off;
                    return false;
                }
            }
            next = h[0];
            off += hlen;
        }
        self.proto = next;
        self.ip_hdr_len = off.min(ip.len());
        parse
    }

    /// Parses the transport header the IP header's lengths declare,
    /// raising Suricata's decoder events for it (not on a truncated
    /// capture: the trunc event stands for them).
    fn parse_l4(&mut self) {
        let sized = !self.truncated;
        let l4 = &self.ip[self.ip_hdr_len.min(self.ip.len())..];
        let ev = &mut self.events;
        let need = match self.proto {
            proto::TCP => {
                let bad = if l4.len() < anomaly::TCP_HEADER_LEN {
                    Some(Event::TcpPktTooSmall)
                } else {
                    let hl = ((l4[12] >> 4) as usize) * 4;
                    if l4.len() < hl {
                        Some(Event::TcpHlenTooSmall)
                    } else if hl < anomaly::TCP_HEADER_LEN {
                        Some(Event::TcpInvalidOptlen)
                    } else {
                        if sized {
                            anomaly::tcp_options(&l4[anomaly::TCP_HEADER_LEN..hl], ev);
                        }
                        None
                    }
                };
                if let Some(e) = bad {
                    if sized {
                        ev.insert(e);
                    }
                    return;
                }
                ((l4[12] >> 4) as usize) * 4
            }
            proto::UDP => {
                let bad = if l4.len() < anomaly::UDP_HEADER_LEN {
                    Some(Event::UdpHlenTooSmall)
                } else {
                    let ulen = u16::from_be_bytes([l4[4], l4[5]]) as usize;
                    if !sized {
                        None
                    } else if l4.len() < ulen {
                        Some(Event::UdpPktTooSmall)
                    } else if ulen < anomaly::UDP_HEADER_LEN {
                        Some(Event::UdpLenInvalid)
                    } else {
                        None
                    }
                };
                if let Some(e) = bad {
                    if sized {
                        ev.insert(e);
                    }
                    return;
                }
                anomaly::UDP_HEADER_LEN
            }
            proto::ICMP | proto::ICMPV6 => {
                if l4.len() < anomaly::ICMP_HEADER_LEN {
                    if sized {
                        ev.insert(if self.proto == proto::ICMP {
                            Event::Icmpv4PktTooSmall
                        } else {
                            Event::Icmpv6PktTooSmall
                        });
                    }
                    return;
                }
                if sized {
                    if self.proto == proto::ICMP {
                        anomaly::icmpv4(l4, ev);
                    } else {
                        anomaly::icmpv6(l4, self.ip[7], ev);
                    }
                }
                anomaly::ICMP_HEADER_LEN
            }
            proto::SCTP => 12,
            proto::GRE => {
                if sized {
                    anomaly::gre(l4, ev);
                }
                return;
            }
            _ => return,
        };
        if l4.len() < need {
            return;
        }
        self.l4_hdr_len = need;
        if matches!(self.proto, proto::TCP | proto::UDP | proto::SCTP) {
            self.sport = u16::from_be_bytes([l4[0], l4[1]]);
            self.dport = u16::from_be_bytes([l4[2], l4[3]]);
        }
    }

    /// Whether Suricata keeps a flow for this packet: its decoder set one
    /// up (TCP, UDP, SCTP, ICMP, ICMPv6 with a valid header; ESP; IPv4/IPv6
    /// in IP). Other packets (IGMP, GRE, OSPF, …, fragments, transport
    /// headers that failed to decode) are inspected without one, so rules
    /// that are IP-only fire on each of them (suricata-verify
    /// `bug-6402-01`: GRE packets; `derived-header-keywords`: IGMP).
    pub fn has_flow(&self) -> bool {
        if self.is_fragment() {
            return false;
        }
        match self.proto {
            proto::TCP | proto::UDP | proto::SCTP | proto::ICMP | proto::ICMPV6 => {
                self.l4_hdr_len > 0
            }
            proto::IPIP | proto::IPV6 => true,
            // ESP: SPI and sequence number.
            50 => self.ip.len() >= self.ip_hdr_len + 8,
            _ => false,
        }
    }

    /// Whether the packet is a fragment of a larger datagram (not an
    /// atomic one).
    pub fn is_fragment(&self) -> bool {
        self.frag_offset != 0 || self.more_fragments
    }

    /// The IP header bytes (options / extension headers included).
    pub fn ip_header(&self) -> &'a [u8] {
        &self.ip[..self.ip_hdr_len.min(self.ip.len())]
    }

    /// The transport header bytes (empty when absent).
    pub fn l4_header(&self) -> &'a [u8] {
        let s = self.ip_hdr_len.min(self.ip.len());
        &self.ip[s..(s + self.l4_hdr_len).min(self.ip.len())]
    }

    /// Transport header plus payload, as captured.
    pub fn l4_segment(&self) -> &'a [u8] {
        &self.ip[self.ip_hdr_len.min(self.ip.len())..]
    }

    /// The payload after the transport header (empty without one, except
    /// for protocols vxtap does not parse, whose payload starts after IP).
    pub fn payload(&self) -> &'a [u8] {
        if self.is_fragment() || (self.l4_hdr_len == 0 && self.has_parsed_l4_proto()) {
            return &[];
        }
        &self.ip[(self.ip_hdr_len + self.l4_hdr_len).min(self.ip.len())..]
    }

    fn has_parsed_l4_proto(&self) -> bool {
        matches!(
            self.proto,
            proto::TCP | proto::UDP | proto::ICMP | proto::ICMPV6 | proto::SCTP
        )
    }

    /// IPv4 TTL or IPv6 hop limit.
    pub fn ttl(&self) -> u8 {
        if self.version == 4 {
            self.ip[8]
        } else {
            self.ip[7]
        }
    }

    /// IPv4 TOS byte (None for IPv6).
    pub fn tos(&self) -> Option<u8> {
        (self.version == 4).then(|| self.ip[1])
    }

    /// IPv4 identification (None for IPv6).
    pub fn ip_id(&self) -> Option<u16> {
        (self.version == 4).then(|| u16::from_be_bytes([self.ip[4], self.ip[5]]))
    }

    /// IPv4 flag bits (reserved 0x4, DF 0x2, MF 0x1); IPv6: MF only.
    pub fn frag_flags(&self) -> u8 {
        if self.version == 4 {
            self.ip[6] >> 5
        } else {
            self.more_fragments as u8
        }
    }

    fn tcp(&self) -> Option<&'a [u8]> {
        (self.proto == proto::TCP && self.l4_hdr_len >= 20).then(|| self.l4_header())
    }

    fn icmp(&self) -> Option<&'a [u8]> {
        (matches!(self.proto, proto::ICMP | proto::ICMPV6) && self.l4_hdr_len >= 8)
            .then(|| self.l4_header())
    }

    /// TCP flags byte (CWR 0x80 … FIN 0x01).
    pub fn tcp_flags(&self) -> Option<u8> {
        self.tcp().map(|t| t[13])
    }

    /// TCP sequence number.
    pub fn tcp_seq(&self) -> Option<u32> {
        self.tcp()
            .map(|t| u32::from_be_bytes([t[4], t[5], t[6], t[7]]))
    }

    /// TCP acknowledgement number.
    pub fn tcp_ack(&self) -> Option<u32> {
        self.tcp()
            .map(|t| u32::from_be_bytes([t[8], t[9], t[10], t[11]]))
    }

    /// TCP window (unscaled).
    pub fn tcp_window(&self) -> Option<u16> {
        self.tcp().map(|t| u16::from_be_bytes([t[14], t[15]]))
    }

    /// The TCP MSS option's value, when present.
    pub fn tcp_mss(&self) -> Option<u16> {
        let t = self.tcp()?;
        let mut opts = &t[20..];
        while let Some(&kind) = opts.first() {
            match kind {
                0 => return None,
                1 => opts = &opts[1..],
                _ => {
                    let len = *opts.get(1)? as usize;
                    if len < 2 || opts.len() < len {
                        return None;
                    }
                    if kind == 2 && len == 4 {
                        return Some(u16::from_be_bytes([opts[2], opts[3]]));
                    }
                    opts = &opts[len..];
                }
            }
        }
        None
    }

    /// ICMP/ICMPv6 type.
    pub fn icmp_type(&self) -> Option<u8> {
        self.icmp().map(|h| h[0])
    }

    /// ICMP/ICMPv6 code.
    pub fn icmp_code(&self) -> Option<u8> {
        self.icmp().map(|h| h[1])
    }

    /// Identifier of ICMP messages that carry one (echo, timestamp,
    /// information, address mask; ICMPv6 echo).
    pub fn icmp_id_seq(&self) -> Option<(u16, u16)> {
        let h = self.icmp()?;
        let has = if self.proto == proto::ICMP {
            matches!(h[0], 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18)
        } else {
            matches!(h[0], 128 | 129)
        };
        has.then(|| {
            (
                u16::from_be_bytes([h[4], h[5]]),
                u16::from_be_bytes([h[6], h[7]]),
            )
        })
    }

    /// The MTU of an ICMPv6 Packet Too Big message.
    pub fn icmpv6_mtu(&self) -> Option<u32> {
        let h = self.icmp()?;
        (self.proto == proto::ICMPV6 && h[0] == 2)
            .then(|| u32::from_be_bytes([h[4], h[5], h[6], h[7]]))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds an IPv4/TCP packet: flags, payload; ports 1234 → 80, ttl 64.
    pub fn tcp4(flags: u8, payload: &[u8]) -> Vec<u8> {
        let total = 20 + 24 + payload.len();
        let mut p = vec![
            0x45,
            0x00,
            (total >> 8) as u8,
            total as u8,
            0x12,
            0x34,
            0x40,
            0x00,
            64,
            6,
            0,
            0,
            10,
            0,
            0,
            1,
            192,
            0,
            2,
            1,
        ];
        p.extend_from_slice(&[
            0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 2, 0x60, flags, 0x20, 0x00, 0, 0, 0, 0, 2,
            4, 0x05, 0xb4,
        ]);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn ipv4_tcp_fields() {
        let b = tcp4(0x18, b"GET /");
        let v = PacketView::from_ip(&b).unwrap();
        assert_eq!((v.sport, v.dport, v.proto, v.ttl()), (1234, 80, 6, 64));
        assert_eq!(v.payload(), b"GET /");
        assert_eq!(v.tcp_flags(), Some(0x18));
        assert_eq!(v.tcp_mss(), Some(1460));
        assert_eq!(v.tcp_window(), Some(0x2000));
        assert_eq!((v.tcp_seq(), v.tcp_ack()), (Some(1), Some(2)));
        assert_eq!(v.ip_id(), Some(0x1234));
        assert_eq!(v.frag_flags(), 0b010);
        assert_eq!(v.ip_header().len(), 20);
        assert_eq!(v.l4_header().len(), 24);
    }

    #[test]
    fn trailer_dropped_and_truncation_flagged() {
        let mut b = tcp4(0x10, b"ab");
        b.extend_from_slice(&[0, 0, 0, 0]); // Ethernet padding
        assert_eq!(PacketView::from_ip(&b).unwrap().payload(), b"ab");
        let cut = &b[..45];
        let v = PacketView::from_ip(cut).unwrap();
        assert!(v.truncated);
        assert_eq!(v.payload(), b"a");
        assert!(PacketView::from_ip(&b[..19]).is_err());
        assert!(PacketView::from_ip(&[0x50; 30]).is_err());
        // Cut inside the TCP header: no ports, no payload.
        let v = PacketView::from_ip(&b[..30]).unwrap();
        assert_eq!((v.l4_hdr_len, v.sport, v.payload().len()), (0, 0, 0));
    }

    #[test]
    fn ipv6_fragment_header_and_icmpv6() {
        // IPv6 + fragment header (next 58) + ICMPv6 echo request id 7 seq 9.
        let mut b = vec![0x60, 0, 0, 0, 0, 16, 44, 255];
        b.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[58, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[128, 0, 0, 0, 0, 7, 0, 9]);
        let v = PacketView::from_ip(&b).unwrap();
        assert_eq!((v.proto, v.ip_hdr_len, v.ttl()), (58, 48, 255));
        assert!(v.ipv6_frag_header);
        assert_eq!(v.icmp_type(), Some(128));
        assert_eq!(v.icmp_id_seq(), Some((7, 9)));
        assert_eq!(v.icmpv6_mtu(), None);
        assert_eq!(v.tos(), None);
        // Offset 0 and no more fragments: an atomic fragment, parsed on.
        assert!(!v.is_fragment());
        assert_eq!(names(&v), ["ipv6.exthdr_useless_fh"]);
    }

    fn names(v: &PacketView) -> Vec<&'static str> {
        v.events.iter().map(Event::name).collect()
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The eight packets of suricata-verify `decode-too-small` (IP layer,
    /// from `tshark -r input.pcap -x`), with the event Suricata 7.0.10
    /// raises on each (its expected.json: sid 1 ×2, sid 2 ×4, sid 3 ×2).
    #[test]
    fn decode_too_small_capture() {
        let v6 = "fd01 0000 0000 0000 0000 0000 0101 0101 fd02 0000 0000 0000 0000 0000 0202 0202";
        let cases = [
            (
                "4500 0014 0001 0000 4006 74de 0101 0101 0202 0202".to_string(),
                "tcp.pkt_too_small",
                6,
            ),
            (
                "4500 0014 0001 0000 4011 74d3 0101 0101 0202 0202".to_string(),
                "udp.hlen_too_small",
                17,
            ),
            (
                "4500 0018 0001 0000 4011 74cf 0101 0101 0202 0202 8158 0035".to_string(),
                "udp.hlen_too_small",
                17,
            ),
            (
                "4500 0016 0001 0000 402f 74b3 0101 0101 0202 0202 0000".to_string(),
                "gre.pkt_too_small",
                47,
            ),
            (format!("6000 0000 0000 0640 {v6}"), "tcp.pkt_too_small", 6),
            (
                format!("6000 0000 0000 1140 {v6}"),
                "udp.hlen_too_small",
                17,
            ),
            (
                format!("6000 0000 0004 1140 {v6} 8158 0035"),
                "udp.hlen_too_small",
                17,
            ),
            (
                format!("6000 0000 0002 2f40 {v6} 0000"),
                "gre.pkt_too_small",
                47,
            ),
        ];
        for (h, event, proto) in cases {
            let b = hex(&h);
            let v = PacketView::from_ip(&b).unwrap();
            assert_eq!(names(&v), [event], "{h}");
            assert_eq!(
                (v.proto, v.l4_hdr_len, v.sport, v.dport),
                (proto, 0, 0, 0),
                "{h}"
            );
            assert!(v.payload().is_empty() || proto == 47, "{h}");
        }
    }

    /// suricata-verify `ipv6-malformed-fragments-10`, frame 5: two atomic
    /// fragment headers before an ICMPv6 echo. The first is useless, the
    /// second a duplicate (skipped); the echo is parsed.
    #[test]
    fn ipv6_useless_and_duplicate_fragment_headers() {
        let mut b = hex(
            "6000 0000 0018 2c40 fe80 0000 0000 0000 0000 0000 0000 0001 ff02 0000 0000 0000 0000 0000 0000 0001",
        );
        b.extend_from_slice(&hex("2c00 0000 0a00 aaaa 3a01 0000 0a00 bbbb"));
        b.extend_from_slice(&hex("8000 0000 0001 0002"));
        let v = PacketView::from_ip(&b).unwrap();
        assert_eq!(
            names(&v),
            [
                "ipv6.exthdr_dupl_fh",
                "ipv6.exthdr_useless_fh",
                "ipv6.fh_non_zero_reserved_field"
            ]
        );
        assert_eq!((v.proto, v.ip_hdr_len, v.icmp_type()), (58, 56, Some(128)));
    }

    #[test]
    fn which_packets_have_a_flow() {
        assert!(PacketView::from_ip(&tcp4(0x18, b"x")).unwrap().has_flow());
        // decode-too-small: TCP without a header, GRE; then IGMP.
        let no = [
            "4500 0014 0001 0000 4006 74de 0101 0101 0202 0202",
            "4500 0018 0001 0000 402f 74b3 0101 0101 0202 0202 0000 0800",
            "4600 001c 028e 0000 0102 0000 c0a8 6443 e000 0016 9404 0000 2200 0000",
        ];
        for h in no {
            assert!(!PacketView::from_ip(&hex(h)).unwrap().has_flow(), "{h}");
        }
    }

    #[test]
    fn fragments_have_no_transport_layer() {
        // IPv4 first fragment (MF) of a TCP segment: ports are not read.
        let mut b = tcp4(0x18, b"GET / HTTP/1.1");
        b[6] = 0x20;
        let v = PacketView::from_ip(&b).unwrap();
        assert!(v.is_fragment());
        assert_eq!((v.proto, v.l4_hdr_len, v.sport), (6, 0, 0));
        assert!(v.payload().is_empty());
        // IPv6 fragment (offset 8, MF, 7 data bytes: not a multiple of 8).
        let mut b = hex(
            "6000 0000 000f 2c40 fe80 0000 0000 0000 0000 0000 0000 0001 ff02 0000 0000 0000 0000 0000 0000 0001",
        );
        b.extend_from_slice(&hex("0600 0041 0000 0007 0102 0304 0506 07"));
        let v = PacketView::from_ip(&b).unwrap();
        assert_eq!((v.proto, v.ip_hdr_len, v.frag_offset), (44, 40, 8));
        assert!(v.payload().is_empty());
        assert_eq!(names(&v), ["ipv6.frag_invalid_length"]);
    }

    #[test]
    fn extension_header_events() {
        let base =
            "fe80 0000 0000 0000 0000 0000 0000 0001 ff02 0000 0000 0000 0000 0000 0000 0001";
        // Hop-by-hop (PadN 4) → routing type 0 → routing again → no next header.
        let mut b = hex(&format!("6000 0000 0018 0040 {base}"));
        b.extend_from_slice(&hex("2b00 0104 0000 0000"));
        b.extend_from_slice(&hex("2b00 0000 0000 0000"));
        b.extend_from_slice(&hex("3b00 0000 0000 0000"));
        let v = PacketView::from_ip(&b).unwrap();
        assert_eq!(
            names(&v),
            [
                "ipv6.exthdr_dupl_rh",
                "ipv6.rh_type_0",
                "ipv6.hopopts_only_padding"
            ]
        );
        assert_eq!((v.proto, v.ip_hdr_len), (59, 64));
        // A destination options header cut short by the payload length.
        let mut b = hex(&format!("6000 0000 0004 3c40 {base}"));
        b.extend_from_slice(&hex("0601 0000"));
        let v = PacketView::from_ip(&b).unwrap();
        assert_eq!(names(&v), ["ipv6.trunc_exthdr"]);
        assert_eq!(v.l4_hdr_len, 0);
        // ICMPv4 in IPv6; an unknown next header.
        let b = hex(&format!("6000 0000 0000 0140 {base}"));
        assert_eq!(names(&PacketView::from_ip(&b).unwrap()), ["ipv6.icmpv4"]);
        let b = hex(&format!("6000 0000 0000 5940 {base}"));
        assert_eq!(
            names(&PacketView::from_ip(&b).unwrap()),
            ["ipv6.unknown_next_header"]
        );
    }

    #[test]
    fn truncated_capture_raises_trunc_only() {
        // TCP header cut by the capture: ipv4.trunc_pkt, no tcp event.
        let b = tcp4(0x18, b"abcd");
        let v = PacketView::from_ip(&b[..30]).unwrap();
        assert_eq!(names(&v), ["ipv4.trunc_pkt"]);
        // Whole packet, bad TCP option lengths: the option events.
        let mut b = tcp4(0x02, b"");
        b[40] = 3; // the MSS option becomes a 4-byte window scale
        let v = PacketView::from_ip(&b).unwrap();
        assert_eq!(names(&v), ["tcp.opt_invalid_len"]);
        assert_eq!(v.l4_hdr_len, 24);
        // UDP length beyond the IP payload.
        let b =
            hex("4500 0020 0001 0000 4011 0000 0a00 0001 0a00 0002 0035 0035 0020 0000 6162 6364");
        let v = PacketView::from_ip(&b).unwrap();
        assert_eq!(names(&v), ["udp.pkt_too_small"]);
        assert_eq!((v.l4_hdr_len, v.dport), (0, 0));
    }
}
