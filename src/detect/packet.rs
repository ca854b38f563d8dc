//! What detection sees of a packet: a zero-copy view over the inner IP
//! packet (as decapsulation hands it over) with the offsets of its headers.
//! [`PacketView::from_ip`] parses IPv4 (options) and IPv6 (extension
//! headers, fragment header) and the TCP/UDP/ICMP/ICMPv6/SCTP header;
//! accessors never panic and return `None` where the packet lacks the field.

use crate::wire::{Addr, WireError};

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
        // TSO packets carry total length 0: take what was captured.
        let (ip, truncated) = if total == 0 {
            (b, false)
        } else if total < ihl {
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
        };
        v.parse_l4();
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
        };
        // Walk extension headers: hop-by-hop 0, routing 43, fragment 44,
        // destination options 60, mobility 135, AH 51.
        let mut next = b[6];
        let mut off = 40usize;
        for _ in 0..16 {
            match next {
                0 | 43 | 60 | 135 => {
                    let Some(h) = ip.get(off..off + 2) else { break };
                    let len = (h[1] as usize + 1) * 8;
                    if ip.len() < off + len {
                        break;
                    }
                    next = h[0];
                    off += len;
                }
                44 => {
                    let Some(h) = ip.get(off..off + 8) else { break };
                    let fo = u16::from_be_bytes([h[2], h[3]]);
                    v.frag_offset = fo >> 3;
                    v.more_fragments = fo & 1 != 0;
                    v.ipv6_frag_header = true;
                    next = h[0];
                    off += 8;
                }
                51 => {
                    let Some(h) = ip.get(off..off + 2) else { break };
                    let len = (h[1] as usize + 2) * 4;
                    if ip.len() < off + len {
                        break;
                    }
                    next = h[0];
                    off += len;
                }
                _ => break,
            }
        }
        v.proto = next;
        v.ip_hdr_len = off;
        v.parse_l4();
        Ok(v)
    }

    fn parse_l4(&mut self) {
        // No fragment's transport header is read, not even the first's:
        // like Suricata, a fragment is an IP packet (ports 0, no payload
        // rules); its datagram is inspected whole once rebuilt.
        if self.frag_offset != 0 || self.more_fragments {
            return;
        }
        let l4 = &self.ip[self.ip_hdr_len.min(self.ip.len())..];
        let need = match self.proto {
            proto::TCP => {
                if l4.len() < 20 {
                    return;
                }
                let hl = ((l4[12] >> 4) as usize) * 4;
                if hl < 20 || l4.len() < hl {
                    return;
                }
                hl
            }
            proto::UDP | proto::ICMP | proto::ICMPV6 => 8,
            proto::SCTP => 12,
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
        if self.l4_hdr_len == 0 && self.has_parsed_l4_proto() {
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
    }
}
