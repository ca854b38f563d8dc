//! IPv6 header view and the extension-header walk (hop-by-hop, routing,
//! fragment, destination options), as far as the captured bytes go.

use super::{Addr, WireError, be16, be32};

mod field {
    pub const PAYLOAD_LEN: usize = 4;
    pub const NEXT_HEADER: usize = 6;
    pub const SRC: std::ops::Range<usize> = 8..24;
    pub const DST: std::ops::Range<usize> = 24..40;
    pub const HEADER_LEN: usize = 40;
    pub const FRAG_HEADER_LEN: usize = 8;
    /// Option type of the Jumbo Payload option (RFC 2675).
    pub const OPT_JUMBO: u8 = 0xC2;
    /// Option type of Pad1, the one option without a length byte.
    pub const OPT_PAD1: u8 = 0;
}

/// Extension headers that are walked to find the transport protocol.
pub mod nh {
    /// Hop-by-hop options.
    pub const HOP_BY_HOP: u8 = 0;
    /// Routing header.
    pub const ROUTING: u8 = 43;
    /// Fragment header.
    pub const FRAGMENT: u8 = 44;
    /// Destination options.
    pub const DEST_OPTS: u8 = 60;
}

/// Most extension headers walked (bounds work on hostile input).
pub const MAX_EXT_HEADERS: usize = 16;

/// A checked view of the fixed IPv6 header (40 bytes, version 6).
#[derive(Debug, Clone, Copy)]
pub struct Ipv6<'a> {
    buf: &'a [u8],
}

/// What the extension-header walk found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtWalk<'a> {
    /// The protocol after the last walked header (the transport, or the
    /// header the walk stopped at when it was cut short).
    pub protocol: u8,
    /// Fragment header fields, if one was walked: (identification, offset, more).
    pub fragment: Option<(u32, u16, bool)>,
    /// The transport bytes captured (empty when the walk was cut short or
    /// this is a non-first fragment).
    pub transport: &'a [u8],
    /// Whether the walk stopped inside a truncated extension header.
    pub cut: bool,
    /// Whether an options header (hop-by-hop or destination options) held
    /// options that run past its end (walked over by its length anyway).
    pub bad_option: bool,
}

/// Whether the TLV-encoded options of a hop-by-hop or destination-options
/// header (`header` = the whole header, its 2 first bytes included) fit it.
fn options_fit(header: &[u8]) -> bool {
    let mut i = 2;
    while i < header.len() {
        if header[i] == field::OPT_PAD1 {
            i += 1;
            continue;
        }
        if i + 2 > header.len() {
            return false;
        }
        i += 2 + header[i + 1] as usize;
    }
    i == header.len()
}

/// The Jumbo Payload length, when `after_fixed` starts with a hop-by-hop
/// header carrying that option.
fn jumbo_len(after_fixed: &[u8]) -> Option<u32> {
    let len = (*after_fixed.get(1)? as usize + 1) * 8;
    let header = after_fixed.get(..len)?;
    let mut i = 2;
    while i + 2 <= header.len() {
        match header[i] {
            field::OPT_PAD1 => i += 1,
            field::OPT_JUMBO if header[i + 1] == 4 && i + 6 <= header.len() => {
                return Some(be32(header, i + 2));
            }
            _ => i += 2 + header[i + 1] as usize,
        }
    }
    None
}

impl<'a> Ipv6<'a> {
    /// Checks the fixed header.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, WireError> {
        if buf.len() < field::HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if buf[0] >> 4 != 6 {
            return Err(WireError::Malformed);
        }
        Ok(Ipv6 { buf })
    }

    /// The payload-length field.
    #[inline]
    pub fn payload_len(&self) -> u16 {
        be16(self.buf, field::PAYLOAD_LEN)
    }

    /// The next-header field of the fixed header.
    #[inline]
    pub fn next_header(&self) -> u8 {
        self.buf[field::NEXT_HEADER]
    }

    /// Source address.
    #[inline]
    pub fn src(&self) -> Addr {
        let mut b = [0u8; 16];
        b.copy_from_slice(&self.buf[field::SRC]);
        Addr::v6(b)
    }

    /// Destination address.
    #[inline]
    pub fn dst(&self) -> Addr {
        let mut b = [0u8; 16];
        b.copy_from_slice(&self.buf[field::DST]);
        Addr::v6(b)
    }

    /// The payload length: the header's field, or for a jumbogram (field 0
    /// behind a hop-by-hop Jumbo Payload option) the option's length.
    #[inline]
    fn payload_len_full(&self) -> u32 {
        match self.payload_len() {
            0 if self.next_header() == nh::HOP_BY_HOP => {
                jumbo_len(&self.buf[field::HEADER_LEN..]).unwrap_or(0)
            }
            n => n as u32,
        }
    }

    /// The original packet length: 40 + payload length.
    #[inline]
    pub fn packet_len(&self) -> u32 {
        (field::HEADER_LEN as u32).saturating_add(self.payload_len_full())
    }

    /// Captured bytes after the fixed header, bounded by the payload length.
    /// A zero payload length outside a jumbogram means an empty payload.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        let rest = &self.buf[field::HEADER_LEN..];
        let pl = self.payload_len_full() as usize;
        &rest[..pl.min(rest.len())]
    }

    /// Walks the extension headers.
    pub fn walk(&self) -> ExtWalk<'a> {
        // What the walk has found so far; returned as it stands wherever it
        // stops. Until a transport is reached it says "cut, no transport".
        let mut w = ExtWalk {
            protocol: self.next_header(),
            fragment: None,
            transport: &[],
            cut: true,
            bad_option: false,
        };
        let mut rest = self.payload();
        for _ in 0..MAX_EXT_HEADERS {
            match w.protocol {
                nh::HOP_BY_HOP | nh::ROUTING | nh::DEST_OPTS => {
                    if rest.len() < 2 {
                        return w;
                    }
                    let len = (rest[1] as usize + 1) * 8;
                    if rest.len() < len {
                        // Cut short: the next-header byte is readable, the
                        // transport is not.
                        w.protocol = rest[0];
                        return w;
                    }
                    // Options that do not fit their header are counted, but
                    // the header's length still says where the next one
                    // starts (as the Linux flow dissector and Suricata walk).
                    if w.protocol != nh::ROUTING && !options_fit(&rest[..len]) {
                        w.bad_option = true;
                    }
                    w.protocol = rest[0];
                    rest = &rest[len..];
                }
                nh::FRAGMENT => {
                    if rest.len() < field::FRAG_HEADER_LEN {
                        return w;
                    }
                    let off_m = be16(rest, 2);
                    let offset = off_m >> 3;
                    w.fragment = Some((be32(rest, 4), offset, off_m & 1 != 0));
                    w.protocol = rest[0];
                    rest = &rest[field::FRAG_HEADER_LEN..];
                    if offset != 0 {
                        // A later fragment: what follows is not a header.
                        w.cut = false;
                        return w;
                    }
                }
                _ => {
                    w.transport = rest;
                    w.cut = false;
                    return w;
                }
            }
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut h = vec![0x60, 0, 0, 0];
        h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        h.extend_from_slice(&[next, 64]);
        h.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        h.extend_from_slice(&[0; 11]);
        h.push(1);
        h.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        h.extend_from_slice(&[0; 11]);
        h.push(2);
        h.extend_from_slice(payload);
        h
    }

    #[test]
    fn hop_by_hop_then_icmpv6() {
        // Router-alert hop-by-hop header (8 bytes) then ICMPv6, as in MLD reports.
        let p = header(0, &[58, 0, 5, 2, 0, 0, 1, 0, 143, 0, 0, 0]);
        let v = Ipv6::new_checked(&p).unwrap();
        let w = v.walk();
        assert_eq!(w.protocol, 58);
        assert_eq!(w.transport, &[143, 0, 0, 0]);
        assert_eq!(v.packet_len(), 52);
        assert_eq!(v.src().to_string(), "2001:db8::1");
    }

    #[test]
    fn fragments() {
        // First fragment of UDP: offset 0, M=1, id 0xdeadbeef.
        let p = header(
            44,
            &[17, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 0, 53, 0x30, 0x39],
        );
        let w = Ipv6::new_checked(&p).unwrap().walk();
        assert_eq!(w.protocol, 17);
        assert_eq!(w.fragment, Some((0xdeadbeef, 0, true)));
        assert_eq!(w.transport, &[0, 53, 0x30, 0x39]);
        // Later fragment: offset 185.
        let p = header(44, &[17, 0, 0x05, 0xc8, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
        let w = Ipv6::new_checked(&p).unwrap().walk();
        assert_eq!(w.fragment, Some((0xdeadbeef, 185, false)));
        assert!(w.transport.is_empty());
    }

    #[test]
    fn cut_extension_header() {
        let mut p = header(60, &[6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        p.truncate(40 + 10);
        let w = Ipv6::new_checked(&p).unwrap().walk();
        assert!(w.cut);
        assert_eq!(w.protocol, 6, "the cut header's next-header byte");
        assert_eq!(
            Ipv6::new_checked(&p[..39]).unwrap_err(),
            WireError::Truncated
        );
    }

    #[test]
    fn extension_loop_is_bounded() {
        // 20 destination-options headers chained: the walk gives up, no panic.
        let mut pl = Vec::new();
        for _ in 0..20 {
            pl.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]);
        }
        let p = header(60, &pl);
        assert!(Ipv6::new_checked(&p).unwrap().walk().cut);
    }
}
