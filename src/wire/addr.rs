//! A compact IP address (IPv4 or IPv6): 17 bytes, byte-aligned, so flow
//! keys and table entries that hold two or three of them stay small.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IPv4 or IPv6 address. The 16 bytes hold the address big-endian (an
/// IPv4 address in the last 4), so the derived order is the numeric one;
/// the family flag keeps `10.0.0.1` and `::a00:1` apart and sorts IPv4
/// first, as the oracle and AWS order records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Addr {
    /// `false` for IPv4.
    pub v6: bool,
    bytes: [u8; 16],
}

impl Addr {
    /// An IPv4 address from its 4 network-order bytes.
    #[inline]
    pub fn v4(b: [u8; 4]) -> Self {
        let mut bytes = [0u8; 16];
        bytes[12..].copy_from_slice(&b);
        Addr { v6: false, bytes }
    }

    /// An IPv6 address from its 16 network-order bytes.
    #[inline]
    pub fn v6(b: [u8; 16]) -> Self {
        Addr { v6: true, bytes: b }
    }

    /// The address as one big-endian number (IPv4: its 32 bits).
    #[inline]
    pub fn bits(&self) -> u128 {
        u128::from_be_bytes(self.bytes)
    }

    /// The standard-library form.
    pub fn to_ip(self) -> IpAddr {
        if self.v6 {
            IpAddr::V6(Ipv6Addr::from(self.bytes))
        } else {
            let mut b = [0u8; 4];
            b.copy_from_slice(&self.bytes[12..]);
            IpAddr::V4(Ipv4Addr::from(b))
        }
    }

    /// Network-order bytes: 4 for IPv4, 16 for IPv6 (for hashing, Community ID).
    pub fn octets(&self, out: &mut [u8; 16]) -> usize {
        if self.v6 {
            *out = self.bytes;
            16
        } else {
            out[..4].copy_from_slice(&self.bytes[12..]);
            4
        }
    }
}

impl From<IpAddr> for Addr {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Addr::v4(a.octets()),
            IpAddr::V6(a) => Addr::v6(a.octets()),
        }
    }
}

impl fmt::Display for Addr {
    /// IPv4 dotted quad; IPv6 in RFC 5952 compressed form, as AWS prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_ip().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_never_collide() {
        assert_ne!(Addr::v4([0, 0, 0, 1]), Addr::v6(1u128.to_be_bytes()));
        assert!(Addr::v4([255, 255, 255, 255]) < Addr::v6([0; 16]));
    }

    #[test]
    fn display_matches_aws_spelling() {
        assert_eq!(Addr::v4([172, 31, 16, 139]).to_string(), "172.31.16.139");
        let v6: Ipv6Addr = "2001:db8:0:0:1:0:0:1".parse().unwrap();
        assert_eq!(Addr::v6(v6.octets()).to_string(), "2001:db8::1:0:0:1");
        let ip: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(Addr::from(ip).to_ip(), ip);
        assert_eq!(Addr::from(ip).bits(), 0x0a01_0203);
    }

    #[test]
    fn compact_and_numerically_ordered() {
        assert_eq!(std::mem::size_of::<Addr>(), 17);
        assert_eq!(std::mem::size_of::<Option<Addr>>(), 17);
        assert!(Addr::v4([9, 255, 255, 255]) < Addr::v4([10, 0, 0, 0]));
        assert!(Addr::v6(1u128.to_be_bytes()) < Addr::v6(256u128.to_be_bytes()));
    }
}
