//! What decapsulation produces: the decoded packet, its anomalies, its errors.

use crate::wire::ethernet::VlanIds;
use crate::wire::geneve::GwlbOptions;
use crate::wire::{Addr, WireError};

/// The mirror tunnel a packet arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tunnel {
    /// Not encapsulated (plain capture).
    None,
    /// VXLAN (AWS Traffic Mirroring).
    Vxlan,
    /// GENEVE (AWS Gateway Load Balancer).
    Geneve,
}

impl Tunnel {
    /// Every tunnel kind, in discriminant order (an index for per-kind counters).
    pub const ALL: [Tunnel; 3] = [Tunnel::None, Tunnel::Vxlan, Tunnel::Geneve];

    /// Metric label.
    pub fn label(self) -> &'static str {
        match self {
            Tunnel::None => "none",
            Tunnel::Vxlan => "vxlan",
            Tunnel::Geneve => "geneve",
        }
    }
}

/// IP fragment position of the inner packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frag {
    /// Not a fragment (or an atomic fragment).
    None,
    /// First fragment (offset 0, more fragments): carries the ports.
    First {
        /// IP identification.
        id: u32,
    },
    /// A later fragment: no transport header; ports come from its datagram.
    Later {
        /// IP identification.
        id: u32,
    },
}

/// A decoded packet: session context plus the inner flow fields. Borrowed
/// from the frame; nothing is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Tunnel kind.
    pub tunnel: Tunnel,
    /// VNI of the mirror tunnel (the session); `None` when not encapsulated.
    pub vni: Option<u32>,
    /// Outer source address: the mirrored ENI (VXLAN) or the GWLB (GENEVE).
    pub mirror_src: Option<Addr>,
    /// AWS GWLB options (GENEVE only).
    pub gwlb: GwlbOptions,
    /// Inner source address.
    pub src: Addr,
    /// Inner destination address.
    pub dst: Addr,
    /// Transport protocol (after IPv6 extension headers).
    pub protocol: u8,
    /// Source port (0 without ports).
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Raw TCP flags byte when captured.
    pub tcp_flags: Option<u8>,
    /// Original IP length: IPv4 total length, IPv6 40 + payload length.
    pub ip_len: u32,
    /// Fragment position.
    pub frag: Frag,
    /// The captured inner IP packet (bounded by its IP length).
    pub ip: &'a [u8],
    /// Offset of the transport header in `ip`.
    pub l4_offset: u16,
    /// Recoverable oddities met on the way.
    pub anomalies: Anomalies,
    /// The VLAN ids of the frame the packet came in: the mirror tunnel's
    /// inner frame, else the captured frame (detection's flow key, as
    /// Suricata's `vlan.use-for-tracking`; the flow stage ignores them).
    pub vlan_ids: VlanIds,
}

/// Oddities that do not stop a packet from being counted (bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Anomalies(pub u16);

impl Anomalies {
    /// The inner packet was cut by the capture or the session packet length.
    pub const CAPTURE_TRUNCATED: u16 = 1 << 0;
    /// IPv4 options or an IPv6 extension header were cut short.
    pub const IP_OPTIONS_TRUNCATED: u16 = 1 << 1;
    /// The transport header is cut before its ports (ports 0).
    pub const TRANSPORT_TRUNCATED: u16 = 1 << 2;
    /// VXLAN reserved bits set (AWS sends zeros).
    pub const VXLAN_RESERVED_NONZERO: u16 = 1 << 3;
    /// UDP to a VXLAN port without the I flag: taken as plain UDP.
    pub const VXLAN_NO_I_FLAG: u16 = 1 << 4;
    /// GENEVE options overran their area.
    pub const GENEVE_OPTIONS_MALFORMED: u16 = 1 << 5;
    /// UDP to a GENEVE port with another version: taken as plain UDP.
    pub const GENEVE_BAD_VERSION: u16 = 1 << 6;
    /// An IPv6 option ran past its extension header: the walk stopped there.
    pub const IPV6_OPTION_MALFORMED: u16 = 1 << 7;

    /// Counter labels, in bit order.
    pub const LABELS: [&'static str; 8] = [
        "capture_truncated",
        "ip_options_truncated",
        "transport_truncated",
        "vxlan_reserved_nonzero",
        "vxlan_no_i_flag",
        "geneve_options_malformed",
        "geneve_bad_version",
        "ipv6_option_malformed",
    ];

    /// Sets a bit.
    #[inline]
    pub fn set(&mut self, bit: u16) {
        self.0 |= bit;
    }

    /// Whether a bit is set.
    #[inline]
    pub fn has(&self, bit: u16) -> bool {
        self.0 & bit != 0
    }
}

/// Why a frame produced no packet. `reason()` is the metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DecapError {
    /// The link header is cut short.
    #[error("link header truncated")]
    LinkTruncated,
    /// The link header is invalid (unknown family, bad version nibble).
    #[error("link header malformed")]
    LinkMalformed,
    /// Not IP (ARP, LLDP, …).
    #[error("not an IP packet")]
    NonIp,
    /// The VXLAN/GENEVE header is cut short.
    #[error("tunnel header truncated")]
    TunnelTruncated,
    /// The inner Ethernet header is cut short.
    #[error("inner Ethernet header truncated")]
    InnerLinkTruncated,
    /// The tunnel carries something other than IP (ARP, …).
    #[error("tunnel payload is not IP")]
    NonIpInTunnel,
    /// The IP header is cut short (no addresses or length).
    #[error("IP header truncated")]
    IpTruncated,
    /// The IP header is invalid (version, header or total length).
    #[error("IP header malformed")]
    IpMalformed,
    /// A datagram on a tunnel socket without a valid header of that
    /// tunnel (VXLAN without the I flag, another GENEVE version).
    #[error("tunnel header malformed")]
    TunnelMalformed,
}

impl DecapError {
    /// Every variant, for registering counters up front.
    pub const ALL: [DecapError; 9] = [
        DecapError::LinkTruncated,
        DecapError::LinkMalformed,
        DecapError::NonIp,
        DecapError::TunnelTruncated,
        DecapError::InnerLinkTruncated,
        DecapError::NonIpInTunnel,
        DecapError::IpTruncated,
        DecapError::IpMalformed,
        DecapError::TunnelMalformed,
    ];

    /// A stable snake_case label for metrics and the run summary.
    pub fn reason(&self) -> &'static str {
        match self {
            DecapError::LinkTruncated => "link_truncated",
            DecapError::LinkMalformed => "link_malformed",
            DecapError::NonIp => "non_ip",
            DecapError::TunnelTruncated => "tunnel_truncated",
            DecapError::InnerLinkTruncated => "inner_link_truncated",
            DecapError::NonIpInTunnel => "non_ip_in_tunnel",
            DecapError::IpTruncated => "ip_header_truncated",
            DecapError::IpMalformed => "ip_header_malformed",
            DecapError::TunnelMalformed => "tunnel_malformed",
        }
    }

    /// Index in [`DecapError::ALL`].
    pub fn index(&self) -> usize {
        *self as usize
    }

    /// An IP header error. The outer header of a tunnel packet cannot be
    /// told from a plain packet's own header before it parses, so both
    /// count as the packet's IP header.
    pub(super) fn ip(e: WireError) -> Self {
        match e {
            WireError::Truncated => DecapError::IpTruncated,
            WireError::Malformed => DecapError::IpMalformed,
        }
    }
}
