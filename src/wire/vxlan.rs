//! VXLAN (RFC 7348) header view: the header AWS Traffic Mirroring prepends.

use super::WireError;

mod field {
    pub const FLAGS: usize = 0;
    pub const VNI: std::ops::Range<usize> = 4..7;
    pub const RESERVED2: usize = 7;
    pub const HEADER_LEN: usize = 8;
}

/// The I flag: the VNI is valid. AWS always sets it.
pub const FLAG_I: u8 = 0x08;

/// UDP port IANA assigned to VXLAN, where AWS sends mirrored traffic.
pub const DEFAULT_PORT: u16 = 4789;

/// A checked VXLAN header (8 bytes, I flag set).
#[derive(Debug, Clone, Copy)]
pub struct Vxlan<'a> {
    buf: &'a [u8],
}

impl<'a> Vxlan<'a> {
    /// Checks length and the I flag (reserved bits are tolerated: AWS sends
    /// zeros, and a non-zero reserved byte says nothing about the payload).
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, WireError> {
        if buf.len() < field::HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if buf[field::FLAGS] & FLAG_I == 0 {
            return Err(WireError::Malformed);
        }
        Ok(Vxlan { buf })
    }

    /// The 24-bit VNI: the mirror session.
    #[inline]
    pub fn vni(&self) -> u32 {
        let v = &self.buf[field::VNI];
        u32::from_be_bytes([0, v[0], v[1], v[2]])
    }

    /// Whether any reserved bit is set (counted, not rejected).
    pub fn reserved_nonzero(&self) -> bool {
        self.buf[field::FLAGS] & !FLAG_I != 0
            || self.buf[1..4].iter().any(|&b| b != 0)
            || self.buf[field::RESERVED2] != 0
    }

    /// The inner Ethernet frame.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[field::HEADER_LEN..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // VXLAN header of the real AWS mirror capture sv-vxlan-decoder-03_vxlan.pcap (VNI 5569041).
    const AWS: [u8; 8] = [0x08, 0, 0, 0, 0x54, 0xfa, 0x11, 0x00];

    #[test]
    fn aws_header() {
        let v = Vxlan::new_checked(&AWS).unwrap();
        assert_eq!(v.vni(), 5569041);
        assert!(!v.reserved_nonzero());
        assert!(v.payload().is_empty());
    }

    #[test]
    fn malformed() {
        assert_eq!(
            Vxlan::new_checked(&AWS[..7]).unwrap_err(),
            WireError::Truncated
        );
        let mut no_i = AWS;
        no_i[0] = 0;
        assert_eq!(Vxlan::new_checked(&no_i).unwrap_err(), WireError::Malformed);
        let mut rsv = AWS;
        rsv[7] = 1;
        assert!(Vxlan::new_checked(&rsv).unwrap().reserved_nonzero());
    }
}
