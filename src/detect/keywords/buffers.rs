//! Buffers a rule can inspect: the packet payload (also the reassembled
//! stream) and the header buffers (`ipv4.hdr`, `tcp.hdr`, …). Sticky buffer
//! keywords select where the following content keywords apply.

use super::Builder;
use super::app::AppBuf;
use crate::detect::packet::{PacketView, proto};

/// A buffer vxtap produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BufferKind {
    /// The packet payload (or, on stream inspection, the stream chunk).
    Payload,
    /// `ipv4.hdr`: the IPv4 header with options.
    Ipv4Hdr,
    /// `ipv6.hdr`: the IPv6 header with extension headers.
    Ipv6Hdr,
    /// `tcp.hdr`: the TCP header with options.
    TcpHdr,
    /// `udp.hdr`: the 8-byte UDP header.
    UdpHdr,
    /// `icmpv4.hdr`.
    Icmpv4Hdr,
    /// `icmpv6.hdr`.
    Icmpv6Hdr,
    /// An application-layer buffer, read from a transaction.
    App(AppBuf),
}

impl BufferKind {
    /// Every kind, in prefilter order.
    pub const ALL: [BufferKind; 7] = [
        BufferKind::Payload,
        BufferKind::Ipv4Hdr,
        BufferKind::Ipv6Hdr,
        BufferKind::TcpHdr,
        BufferKind::UdpHdr,
        BufferKind::Icmpv4Hdr,
        BufferKind::Icmpv6Hdr,
    ];

    /// Kinds before the application-layer ones.
    pub const PACKET_KINDS: usize = 7;

    /// Every kind's dense index is below this.
    pub const COUNT: usize = Self::PACKET_KINDS + AppBuf::ALL.len();

    /// Dense index (packet kinds first, then [`AppBuf`] order).
    pub fn index(self) -> usize {
        match self {
            BufferKind::Payload => 0,
            BufferKind::Ipv4Hdr => 1,
            BufferKind::Ipv6Hdr => 2,
            BufferKind::TcpHdr => 3,
            BufferKind::UdpHdr => 4,
            BufferKind::Icmpv4Hdr => 5,
            BufferKind::Icmpv6Hdr => 6,
            BufferKind::App(a) => Self::PACKET_KINDS + a.index(),
        }
    }

    /// The application-layer buffer, if this is one.
    pub fn app(self) -> Option<AppBuf> {
        match self {
            BufferKind::App(a) => Some(a),
            _ => None,
        }
    }

    /// The sticky-buffer keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            BufferKind::Payload => "pkt_data",
            BufferKind::Ipv4Hdr => "ipv4.hdr",
            BufferKind::Ipv6Hdr => "ipv6.hdr",
            BufferKind::TcpHdr => "tcp.hdr",
            BufferKind::UdpHdr => "udp.hdr",
            BufferKind::Icmpv4Hdr => "icmpv4.hdr",
            BufferKind::Icmpv6Hdr => "icmpv6.hdr",
            BufferKind::App(a) => a.keyword(),
        }
    }

    fn from_keyword(k: &str) -> Option<BufferKind> {
        BufferKind::ALL
            .into_iter()
            .find(|b| b.keyword() == k)
            .or_else(|| AppBuf::from_keyword(k).map(BufferKind::App))
    }

    /// The header buffer of `p` (None when the packet has no such header).
    /// The payload is supplied by the caller (packet or stream).
    pub fn header_of<'a>(self, p: &PacketView<'a>) -> Option<&'a [u8]> {
        match self {
            BufferKind::Payload | BufferKind::App(_) => None,
            BufferKind::Ipv4Hdr => (p.version == 4).then(|| p.ip_header()),
            BufferKind::Ipv6Hdr => (p.version == 6).then(|| p.ip_header()),
            BufferKind::TcpHdr => {
                (p.proto == proto::TCP && p.l4_hdr_len > 0).then(|| p.l4_header())
            }
            BufferKind::UdpHdr => {
                (p.proto == proto::UDP && p.l4_hdr_len > 0).then(|| p.l4_header())
            }
            BufferKind::Icmpv4Hdr => {
                (p.proto == proto::ICMP && p.l4_hdr_len > 0).then(|| p.l4_header())
            }
            BufferKind::Icmpv6Hdr => {
                (p.proto == proto::ICMPV6 && p.l4_hdr_len > 0).then(|| p.l4_header())
            }
        }
    }
}

/// `pkt_data`: back to the packet payload.
pub fn pkt_data(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    no_value(v)?;
    b.select(BufferKind::Payload)
}

/// A header sticky buffer (`tcp.hdr`, …).
pub fn sticky(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    no_value(v)?;
    let kind = BufferKind::from_keyword(name).ok_or_else(|| format!("not a buffer: {name}"))?;
    b.select(kind)
}

/// A legacy content modifier (`http_uri`, …): moves the previous content
/// to its application-layer buffer.
pub fn modifier(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    no_value(v)?;
    let buf = AppBuf::from_modifier(name).ok_or_else(|| format!("not a modifier: {name}"))?;
    b.move_last_to(BufferKind::App(buf), name)
}

/// An application-layer sticky buffer vxtap does not produce yet.
pub fn unsupported_buffer(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    no_value(v)?;
    b.select_unsupported()
}

fn no_value(v: Option<&str>) -> Result<(), String> {
    match v {
        Some(x) if !x.is_empty() => Err(format!("a sticky buffer takes no value (got `{x}`)")),
        _ => Ok(()),
    }
}
