//! IPv4 header view: addresses, total length, protocol, fragments, options skipped.

use super::{Addr, WireError, be16};

mod field {
    pub const VER_IHL: usize = 0;
    pub const TOTAL_LEN: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLAGS_FRAG: usize = 6;
    pub const PROTOCOL: usize = 9;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
    pub const HEADER_LEN: usize = 20;
}

const MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1FFF;

/// A checked view of an IPv4 header (at least 20 bytes, version 4, IHL ≥ 5).
#[derive(Debug, Clone, Copy)]
pub struct Ipv4<'a> {
    buf: &'a [u8],
}

impl<'a> Ipv4<'a> {
    /// Checks the fixed header; options may still be cut short (see [`Ipv4::options_complete`]).
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, WireError> {
        if buf.len() < field::HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let v = Ipv4 { buf };
        if buf[field::VER_IHL] >> 4 != 4 || v.header_len() < field::HEADER_LEN {
            return Err(WireError::Malformed);
        }
        let total = v.total_len() as usize;
        // A zero total length is what TSO captures carry; anything else below
        // the header length is a bogus header.
        if total != 0 && total < v.header_len() {
            return Err(WireError::Malformed);
        }
        Ok(v)
    }

    /// Header length in bytes (IHL × 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        ((self.buf[field::VER_IHL] & 0x0F) as usize) * 4
    }

    /// The total-length field (the original size, even when the capture is cut).
    #[inline]
    pub fn total_len(&self) -> u16 {
        be16(self.buf, field::TOTAL_LEN)
    }

    /// Identification (for fragment matching).
    #[inline]
    pub fn ident(&self) -> u16 {
        be16(self.buf, field::IDENT)
    }

    /// Fragment offset in 8-byte units.
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        be16(self.buf, field::FLAGS_FRAG) & OFFSET_MASK
    }

    /// More-fragments flag.
    #[inline]
    pub fn more_fragments(&self) -> bool {
        be16(self.buf, field::FLAGS_FRAG) & MF != 0
    }

    /// The protocol field.
    #[inline]
    pub fn protocol(&self) -> u8 {
        self.buf[field::PROTOCOL]
    }

    /// Source address.
    #[inline]
    pub fn src(&self) -> Addr {
        let s = field::SRC;
        Addr::v4([
            self.buf[s],
            self.buf[s + 1],
            self.buf[s + 2],
            self.buf[s + 3],
        ])
    }

    /// Destination address.
    #[inline]
    pub fn dst(&self) -> Addr {
        let d = field::DST;
        Addr::v4([
            self.buf[d],
            self.buf[d + 1],
            self.buf[d + 2],
            self.buf[d + 3],
        ])
    }

    /// Whether the captured bytes hold the whole header, options included.
    #[inline]
    pub fn options_complete(&self) -> bool {
        self.buf.len() >= self.header_len()
    }

    /// The captured payload, bounded by the total length (drops Ethernet
    /// padding) and by what was captured (truncated mirror packets).
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        let hl = self.header_len();
        let total = self.total_len() as usize;
        let end = if total == 0 {
            self.buf.len()
        } else {
            total.min(self.buf.len())
        };
        if end <= hl { &[] } else { &self.buf[hl..end] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // First 20 bytes of an IPv4/UDP DNS query (sv-vxlan-decoder-03_vxlan.pcap, inner packet).
    const HDR: [u8; 20] = [
        0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 172, 31, 0, 238,
        172, 31, 0, 2,
    ];

    #[test]
    fn deconstruct() {
        let v = Ipv4::new_checked(&HDR).unwrap();
        assert_eq!(v.header_len(), 20);
        assert_eq!(v.total_len(), 60);
        assert_eq!(v.protocol(), 17);
        assert_eq!(v.src(), Addr::v4([172, 31, 0, 238]));
        assert_eq!(v.dst(), Addr::v4([172, 31, 0, 2]));
        assert!(!v.more_fragments());
        assert_eq!(v.frag_offset(), 0);
        assert!(v.payload().is_empty());
    }

    #[test]
    fn impossible_lengths() {
        assert_eq!(
            Ipv4::new_checked(&HDR[..19]).unwrap_err(),
            WireError::Truncated
        );
        let mut bad = HDR;
        bad[0] = 0x44; // IHL 4
        assert_eq!(Ipv4::new_checked(&bad).unwrap_err(), WireError::Malformed);
        let mut bad = HDR;
        bad[3] = 10; // total length 10 < 20
        assert_eq!(Ipv4::new_checked(&bad).unwrap_err(), WireError::Malformed);
        let mut v6 = HDR;
        v6[0] = 0x65;
        assert_eq!(Ipv4::new_checked(&v6).unwrap_err(), WireError::Malformed);
    }

    #[test]
    fn options_cut_and_payload_bounds() {
        let mut h = HDR.to_vec();
        h[0] = 0x46; // 24-byte header, options not captured
        let v = Ipv4::new_checked(&h).unwrap();
        assert!(!v.options_complete());
        assert!(v.payload().is_empty());
        // Ethernet padding after the total length is not payload.
        let mut p = HDR.to_vec();
        p[3] = 22;
        p.extend_from_slice(&[1, 2, 0, 0, 0, 0]);
        assert_eq!(Ipv4::new_checked(&p).unwrap().payload(), &[1, 2]);
    }

    #[test]
    fn fragment_fields() {
        let mut h = HDR;
        h[6] = 0x20; // MF
        h[7] = 0x00;
        let v = Ipv4::new_checked(&h).unwrap();
        assert!(v.more_fragments());
        h[6] = 0x00;
        h[7] = 0xb9; // offset 185
        assert_eq!(Ipv4::new_checked(&h).unwrap().frag_offset(), 185);
    }
}
