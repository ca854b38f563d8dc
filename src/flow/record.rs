//! A finished flow-log record: one direction of one flow in one window.

use crate::decap::Tunnel;
use crate::wire::Addr;
use crate::wire::geneve::GwlbOptions;

/// One direction of a flow, aggregated over one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    /// Window start, Unix seconds (a multiple of the interval).
    pub window: u64,
    /// Mirror session; `None` for packets that were not encapsulated.
    pub vni: Option<u32>,
    /// Outer source of the first packet: the mirrored ENI or the GWLB.
    pub mirror_src: Option<Addr>,
    /// Tunnel kind.
    pub tunnel: Tunnel,
    /// GWLB options of the first packet (GENEVE).
    pub gwlb: GwlbOptions,
    /// Source address.
    pub src: Addr,
    /// Destination address.
    pub dst: Addr,
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Protocol.
    pub protocol: u8,
    /// Packets.
    pub packets: u64,
    /// Sum of IP lengths.
    pub bytes: u64,
    /// First packet, ns since the epoch.
    pub first_ns: u64,
    /// Last packet, ns since the epoch.
    pub last_ns: u64,
    /// AWS tcp-flags OR (TCP only, else 0).
    pub tcp_flags: u8,
    /// Community ID of the flow.
    pub community_id: String,
}

impl FlowRecord {
    /// `start`: Unix seconds of the first packet.
    pub fn start(&self) -> u64 {
        self.first_ns / 1_000_000_000
    }

    /// `end`: Unix seconds of the last packet.
    pub fn end(&self) -> u64 {
        self.last_ns / 1_000_000_000
    }
}

/// Where a flow table puts finished records. A worker sends them on in
/// bounded chunks as they come, so flushing a whole window (or the table at
/// the end) never piles every record up in memory at once.
pub trait RecordSink {
    /// Takes one finished record.
    fn record(&mut self, r: FlowRecord);
}

impl RecordSink for Vec<FlowRecord> {
    #[inline]
    fn record(&mut self, r: FlowRecord) {
        self.push(r);
    }
}
