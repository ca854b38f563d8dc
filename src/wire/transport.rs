//! Transport headers: the ports of TCP, UDP and SCTP, and TCP's flags.

use super::be16;

/// IANA protocol numbers used on the flow path.
pub mod proto {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// IPv4 in IP (RFC 2003).
    pub const IPIP: u8 = 4;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// IPv6 in IP (6in4, RFC 4213).
    pub const IPV6: u8 = 41;
    /// GRE (RFC 2784).
    pub const GRE: u8 = 47;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// SCTP.
    pub const SCTP: u8 = 132;
}

/// TCP flag bits (byte 13 of the header).
pub mod tcp_flag {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

mod field {
    pub const PORTS_LEN: usize = 4;
    pub const TCP_DATA_OFFSET: usize = 12;
    pub const TCP_FLAGS: usize = 13;
    /// TCP flags are trusted once the header is captured through the window
    /// field (as tshark reports them): a 13- or 14-byte stub is too little
    /// to tell a header from noise.
    pub const TCP_FLAGS_NEED: usize = 16;
    /// SCTP's common header: ports, verification tag and checksum.
    pub const SCTP_COMMON_LEN: usize = 12;
}

/// What the flow path needs from a transport header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ports {
    /// Source port (0 for protocols without ports).
    pub src: u16,
    /// Destination port.
    pub dst: u16,
    /// The raw TCP flags byte, when the header reaches it.
    pub tcp_flags: Option<u8>,
}

/// Whether `protocol` carries 16-bit source/destination ports first.
#[inline]
pub fn has_ports(protocol: u8) -> bool {
    matches!(protocol, proto::TCP | proto::UDP | proto::SCTP)
}

/// The captured bytes a header of `protocol` needs before its ports are read.
#[inline]
pub fn ports_need(protocol: u8) -> usize {
    if protocol == proto::SCTP {
        field::SCTP_COMMON_LEN
    } else {
        field::PORTS_LEN
    }
}

/// Reads ports (and TCP flags) from the captured transport bytes. Protocols
/// without ports, and headers cut before their ports (SCTP: before the end
/// of its 12-byte common header), give ports 0. TCP flags need 16 captured
/// bytes and a data offset of at least 5 words; otherwise they are absent.
#[inline]
pub fn ports(protocol: u8, l4: &[u8]) -> Ports {
    if !has_ports(protocol) || l4.len() < ports_need(protocol) {
        return Ports::default();
    }
    let tcp_flags = if protocol == proto::TCP
        && l4.len() >= field::TCP_FLAGS_NEED
        && l4[field::TCP_DATA_OFFSET] >> 4 >= 5
    {
        Some(l4[field::TCP_FLAGS])
    } else {
        None
    };
    Ports {
        src: be16(l4, 0),
        dst: be16(l4, 2),
        tcp_flags,
    }
}

/// AWS's `tcp-flags` contribution of one packet: FIN 1, SYN 2, RST 4, and
/// 18 (SYN|ACK as AWS reports it) for a SYN-ACK; other bits are ignored.
#[inline]
pub fn aws_tcp_flags(raw: u8) -> u8 {
    let mut f = raw & (tcp_flag::FIN | tcp_flag::RST);
    if raw & tcp_flag::SYN != 0 {
        f |= if raw & tcp_flag::ACK != 0 {
            18
        } else {
            tcp_flag::SYN
        };
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_ports_and_flags() {
        // TCP SYN-ACK header head from port 80 to 55079.
        let h = [
            0x00, 0x50, 0xd7, 0x27, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x12, 0xff, 0xff,
        ];
        let p = ports(proto::TCP, &h);
        assert_eq!((p.src, p.dst, p.tcp_flags), (80, 55079, Some(0x12)));
        assert_eq!(aws_tcp_flags(0x12), 18);
        // Cut before the window ends: ports but no flags, even with the
        // flags byte captured.
        assert_eq!(ports(proto::TCP, &h[..15]).tcp_flags, None);
        assert_eq!(ports(proto::TCP, &h[..15]).dst, 55079);
        assert_eq!(ports(proto::TCP, &h[..3]), Ports::default());
        // A data offset below 5 words is no TCP header: no flags.
        let mut bad = h;
        bad[12] = 0x30;
        assert_eq!(ports(proto::TCP, &bad).tcp_flags, None);
    }

    #[test]
    fn aws_flag_mapping() {
        assert_eq!(aws_tcp_flags(0x02), 2);
        assert_eq!(aws_tcp_flags(0x11), 1);
        assert_eq!(aws_tcp_flags(0x14), 4);
        assert_eq!(aws_tcp_flags(0x18), 0); // PSH|ACK
        assert_eq!(aws_tcp_flags(0x17), 1 | 4 | 18);
    }

    #[test]
    fn portless_protocols() {
        assert_eq!(ports(proto::ICMP, &[8, 0, 1, 2, 3, 4]), Ports::default());
        let sctp = [0, 1, 0, 2, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0];
        assert_eq!(ports(proto::SCTP, &sctp).dst, 2);
        // SCTP ports only with the whole common header.
        assert_eq!(ports(proto::SCTP, &sctp[..11]), Ports::default());
        assert_eq!(ports(proto::UDP, &sctp[..4]).dst, 2);
    }
}
