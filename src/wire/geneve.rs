//! GENEVE (RFC 8926) header view and the AWS Gateway Load Balancer options.

use super::{WireError, be16, be32};

mod field {
    pub const VER_OPTLEN: usize = 0;
    pub const PROTOCOL: usize = 2;
    pub const VNI: std::ops::Range<usize> = 4..7;
    pub const HEADER_LEN: usize = 8;
    pub const OPTION_HEADER_LEN: usize = 4;
}

/// UDP port IANA assigned to GENEVE, where a Gateway Load Balancer sends.
pub const DEFAULT_PORT: u16 = 6081;

/// Option class AWS uses for its Gateway Load Balancer TLVs.
pub const AWS_OPTION_CLASS: u16 = 0x0108;
/// AWS option type: GWLB endpoint id (8 bytes).
pub const AWS_GWLBE_ID: u8 = 1;
/// AWS option type: attachment id (8 bytes; zero without a TGW attachment).
pub const AWS_ATTACHMENT_ID: u8 = 2;
/// AWS option type: flow cookie (4 bytes).
pub const AWS_FLOW_COOKIE: u8 = 3;

/// The AWS Gateway Load Balancer options of one packet, when present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct GwlbOptions {
    /// GWLB endpoint id (`vpce-…` in hex).
    pub endpoint_id: Option<u64>,
    /// Transit-gateway attachment id.
    pub attachment_id: Option<u64>,
    /// Flow cookie (the same for both directions of a flow).
    pub flow_cookie: Option<u32>,
}

impl GwlbOptions {
    /// Whether any AWS option was present.
    pub fn is_present(&self) -> bool {
        self.endpoint_id.is_some() || self.attachment_id.is_some() || self.flow_cookie.is_some()
    }
}

/// A checked GENEVE header: version 0, options within the captured bytes.
#[derive(Debug, Clone, Copy)]
pub struct Geneve<'a> {
    buf: &'a [u8],
}

impl<'a> Geneve<'a> {
    /// Checks the fixed header, the version and that the options fit.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, WireError> {
        if buf.len() < field::HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let g = Geneve { buf };
        if buf[field::VER_OPTLEN] >> 6 != 0 {
            return Err(WireError::Malformed);
        }
        if buf.len() < g.header_len() {
            return Err(WireError::Truncated);
        }
        Ok(g)
    }

    /// Header length including options.
    #[inline]
    pub fn header_len(&self) -> usize {
        field::HEADER_LEN + ((self.buf[field::VER_OPTLEN] & 0x3F) as usize) * 4
    }

    /// Protocol type of the payload (0x6558 Ethernet, 0x0800 IPv4, 0x86DD IPv6).
    #[inline]
    pub fn protocol(&self) -> u16 {
        be16(self.buf, field::PROTOCOL)
    }

    /// The 24-bit VNI.
    #[inline]
    pub fn vni(&self) -> u32 {
        let v = &self.buf[field::VNI];
        u32::from_be_bytes([0, v[0], v[1], v[2]])
    }

    /// The options area.
    pub fn options(&self) -> Options<'a> {
        Options {
            rest: &self.buf[field::HEADER_LEN..self.header_len()],
            malformed: false,
        }
    }

    /// The AWS GWLB options, and whether the options area was well formed.
    pub fn gwlb(&self) -> (GwlbOptions, bool) {
        let mut out = GwlbOptions::default();
        let mut opts = self.options();
        for opt in &mut opts {
            if opt.class != AWS_OPTION_CLASS {
                continue;
            }
            match (opt.kind & 0x7F, opt.data.len()) {
                (AWS_GWLBE_ID, 8) => out.endpoint_id = Some(u64::from_be_bytes(arr8(opt.data))),
                (AWS_ATTACHMENT_ID, 8) => {
                    out.attachment_id = Some(u64::from_be_bytes(arr8(opt.data)))
                }
                (AWS_FLOW_COOKIE, 4) => out.flow_cookie = Some(be32(opt.data, 0)),
                _ => {}
            }
        }
        (out, !opts.malformed)
    }

    /// The encapsulated payload.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[self.header_len()..]
    }
}

fn arr8(b: &[u8]) -> [u8; 8] {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    a
}

/// One GENEVE option (TLV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneveOption<'a> {
    /// Option class.
    pub class: u16,
    /// Type (high bit = critical).
    pub kind: u8,
    /// Option data (length × 4 bytes).
    pub data: &'a [u8],
}

/// Iterator over the options; stops (and sets `malformed`) at an option
/// whose length runs past the options area.
#[derive(Debug)]
pub struct Options<'a> {
    rest: &'a [u8],
    /// Set when an option overran the area.
    pub malformed: bool,
}

impl<'a> Iterator for Options<'a> {
    type Item = GeneveOption<'a>;

    fn next(&mut self) -> Option<GeneveOption<'a>> {
        if self.rest.is_empty() || self.malformed {
            return None;
        }
        if self.rest.len() < field::OPTION_HEADER_LEN {
            self.malformed = true;
            return None;
        }
        let len = field::OPTION_HEADER_LEN + ((self.rest[3] & 0x1F) as usize) * 4;
        if self.rest.len() < len {
            self.malformed = true;
            return None;
        }
        let opt = GeneveOption {
            class: be16(self.rest, 0),
            kind: self.rest[2],
            data: &self.rest[field::OPTION_HEADER_LEN..len],
        };
        self.rest = &self.rest[len..];
        Some(opt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // GENEVE header of the real GWLB capture sv-bug-6402-01.pcap: VNI 0,
    // protocol 0x0800, options 0x0108/1 (8 bytes), 0x0108/2 (8 bytes zero),
    // 0x0108/3 (4 bytes); option values here are illustrative.
    const GWLB: [u8; 40] = [
        0x08, 0x00, 0x08, 0x00, 0, 0, 0, 0, //
        0x01, 0x08, 0x01, 0x02, 0x0a, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5, 0x67, 0x89, //
        0x01, 0x08, 0x02, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, //
        0x01, 0x08, 0x03, 0x01, 0x12, 0x34, 0x56, 0x78,
    ];

    #[test]
    fn aws_options() {
        let g = Geneve::new_checked(&GWLB).unwrap();
        assert_eq!(g.header_len(), 40);
        assert_eq!(g.protocol(), 0x0800);
        assert_eq!(g.vni(), 0);
        let (o, ok) = g.gwlb();
        assert!(ok);
        assert_eq!(o.endpoint_id, Some(0x0ab1c2d3e4f56789));
        assert_eq!(o.attachment_id, Some(0));
        assert_eq!(o.flow_cookie, Some(0x12345678));
        assert_eq!(g.options().count(), 3);
    }

    #[test]
    fn malformed_and_truncated() {
        assert_eq!(
            Geneve::new_checked(&GWLB[..39]).unwrap_err(),
            WireError::Truncated
        );
        assert_eq!(
            Geneve::new_checked(&GWLB[..7]).unwrap_err(),
            WireError::Truncated
        );
        let mut v1 = GWLB;
        v1[0] |= 0x40;
        assert_eq!(Geneve::new_checked(&v1).unwrap_err(), WireError::Malformed);
        // An option claiming 31 words inside an 8-byte options area.
        let bad = [
            0x02, 0, 0x65, 0x58, 0, 0, 1, 0, 0x01, 0x08, 0x01, 0x1f, 0, 0, 0, 0,
        ];
        let g = Geneve::new_checked(&bad).unwrap();
        assert_eq!(g.vni(), 1);
        let (o, ok) = g.gwlb();
        assert!(!ok);
        assert!(!o.is_present());
    }
}
