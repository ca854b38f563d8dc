//! Traffic AWS leaves out on purpose: what Traffic Mirroring never copies
//! (`../shared/pcaps/README.md`: ARP, DHCP, the instance metadata service,
//! the Amazon Time Sync Service, Windows activation) and what VPC Flow Logs
//! never record (`../shared/flowlogs/FORMAT.md` §3: the Amazon DNS resolver,
//! the metadata service, Time Sync, DHCP, Windows activation). ARP is not IP
//! and never reaches a flow record. IPv6 equivalents (`fd00:ec2::…`) are
//! included; FORMAT.md marks them likely but unconfirmed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One AWS-internal service recognised by address or port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// DHCP (UDP 67/68, DHCPv6 546/547).
    Dhcp,
    /// Instance metadata service, 169.254.169.254 / fd00:ec2::254.
    Metadata,
    /// Amazon Time Sync Service, 169.254.169.123 / fd00:ec2::123.
    TimeSync,
    /// Amazon DNS resolver, 169.254.169.253 / fd00:ec2::253.
    Resolver,
    /// Windows license activation (KMS), 169.254.169.250/251.
    WindowsActivation,
}

impl Service {
    /// The stable name used in reasons.
    pub const fn name(self) -> &'static str {
        match self {
            Service::Dhcp => "dhcp",
            Service::Metadata => "instance-metadata",
            Service::TimeSync => "time-sync",
            Service::Resolver => "amazon-dns-resolver",
            Service::WindowsActivation => "windows-activation",
        }
    }

    /// Traffic Mirroring does not copy this service's traffic.
    pub const fn never_mirrored(self) -> bool {
        !matches!(self, Service::Resolver)
    }
}

fn service_of_addr(a: IpAddr) -> Option<Service> {
    const V6_EC2: u128 = 0xfd00_0ec2_0000_0000_0000_0000_0000_0000;
    match a {
        IpAddr::V4(v4) if v4.octets()[..3] == [169, 254, 169] => match v4.octets()[3] {
            254 => Some(Service::Metadata),
            123 => Some(Service::TimeSync),
            253 => Some(Service::Resolver),
            250 | 251 => Some(Service::WindowsActivation),
            _ => None,
        },
        IpAddr::V6(v6) => match u128::from(v6) ^ V6_EC2 {
            0x254 => Some(Service::Metadata),
            0x123 => Some(Service::TimeSync),
            0x253 => Some(Service::Resolver),
            _ => None,
        },
        _ => None,
    }
}

/// The AWS-internal service a flow belongs to, if any.
pub fn classify(protocol: u8, src: IpAddr, dst: IpAddr, sport: u16, dport: u16) -> Option<Service> {
    let dhcp_ports =
        |a: u16, b: u16| matches!((a, b), (68, 67) | (67, 68) | (546, 547) | (547, 546));
    if protocol == 17 && dhcp_ports(sport, dport) {
        return Some(Service::Dhcp);
    }
    service_of_addr(dst).or_else(|| service_of_addr(src))
}

/// Addresses used in tests and docs.
pub const METADATA_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
/// See [`METADATA_V4`].
pub const RESOLVER_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x253);

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn services_by_address_and_port() {
        let c = |p, s: &str, d: &str, sp, dp| classify(p, ip(s), ip(d), sp, dp);
        assert_eq!(
            c(17, "0.0.0.0", "255.255.255.255", 68, 67),
            Some(Service::Dhcp)
        );
        assert_eq!(
            c(6, "10.0.0.5", "169.254.169.254", 40000, 80),
            Some(Service::Metadata)
        );
        assert_eq!(
            c(6, "169.254.169.254", "10.0.0.5", 80, 40000),
            Some(Service::Metadata)
        );
        assert_eq!(
            c(17, "10.0.0.5", "169.254.169.123", 123, 123),
            Some(Service::TimeSync)
        );
        assert_eq!(
            c(17, "fd00:ec2::253", "2001:db8::5", 53, 5353),
            Some(Service::Resolver)
        );
        assert_eq!(
            c(6, "10.0.0.5", "169.254.169.250", 4000, 1688),
            Some(Service::WindowsActivation)
        );
        assert_eq!(c(17, "10.0.0.5", "192.0.2.123", 123, 123), None);
        assert_eq!(c(17, "10.0.0.5", "169.254.169.1", 1, 2), None);
        assert!(!Service::Resolver.never_mirrored());
        assert!(Service::Dhcp.never_mirrored());
        assert_eq!(
            service_of_addr(IpAddr::V4(METADATA_V4)),
            Some(Service::Metadata)
        );
        assert_eq!(
            service_of_addr(IpAddr::V6(RESOLVER_V6)),
            Some(Service::Resolver)
        );
    }
}
