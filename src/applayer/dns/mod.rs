//! DNS over UDP and TCP: one transaction per message, as Suricata 7 keeps
//! them (a request and its response are two transactions, linked by id).
//!
//! UDP: each datagram is one message. TCP: messages carry a 2-byte length
//! prefix and arrive in any pieces; several may share a segment and one
//! may span many. The unfinished message of each direction is buffered (at
//! most 2 + 65535 bytes). Anomalies become [`DnsEvent`]s on the message's
//! transaction, named as Suricata's `app-layer-event:dns.*`.

pub mod parser;

use super::{Direction, EventSet, Transport};
pub use parser::{Header, Message, NameFlags, ParseError, Query, Record, Soa};

/// Transactions kept until the caller takes them; past this the oldest
/// is dropped and counted (a flood of tiny messages cannot grow memory).
pub const MAX_PENDING_TXS: usize = 256;

/// DNS app-layer events, named as Suricata's `dns-events.rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum DnsEvent {
    /// A message could not be parsed (lengths, labels).
    MalformedData = 0,
    /// A to-server message has QR set.
    NotRequest = 1,
    /// A to-client message has QR clear.
    NotResponse = 2,
    /// The reserved Z flag is set.
    ZFlagSet = 3,
    /// Opcode 7 or above.
    InvalidOpcode = 4,
    /// A name longer than 1025 bytes (cut).
    NameTooLong = 5,
    /// A compression pointer to itself.
    InfiniteLoop = 6,
    /// More than 255 labels/pointers in a name.
    TooManyLabels = 7,
}

impl DnsEvent {
    /// Every event, in bit order.
    pub const ALL: [DnsEvent; 8] = [
        DnsEvent::MalformedData,
        DnsEvent::NotRequest,
        DnsEvent::NotResponse,
        DnsEvent::ZFlagSet,
        DnsEvent::InvalidOpcode,
        DnsEvent::NameTooLong,
        DnsEvent::InfiniteLoop,
        DnsEvent::TooManyLabels,
    ];

    /// The name after `dns.` in `app-layer-event:`.
    pub fn name(self) -> &'static str {
        match self {
            DnsEvent::MalformedData => "malformed_data",
            DnsEvent::NotRequest => "not_request",
            DnsEvent::NotResponse => "not_response",
            DnsEvent::ZFlagSet => "z_flag_set",
            DnsEvent::InvalidOpcode => "invalid_opcode",
            DnsEvent::NameTooLong => "name_too_long",
            DnsEvent::InfiniteLoop => "infinite_loop",
            DnsEvent::TooManyLabels => "too_many_labels",
        }
    }

    /// The event a rule names (older spellings `not_a_request` and
    /// `not_a_response` included).
    pub fn from_name(name: &str) -> Option<DnsEvent> {
        match name {
            "not_a_request" => Some(DnsEvent::NotRequest),
            "not_a_response" => Some(DnsEvent::NotResponse),
            _ => DnsEvent::ALL.into_iter().find(|e| e.name() == name),
        }
    }
}

/// One DNS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsTx {
    /// The direction it travelled.
    pub dir: Direction,
    /// The parsed message; `None` when it was malformed.
    pub message: Option<Message>,
    /// Events raised on it.
    pub events: EventSet,
}

impl DnsTx {
    /// Transaction id (0 for a malformed message).
    pub fn id(&self) -> u16 {
        self.message.as_ref().map_or(0, |m| m.header.id)
    }

    /// The opcode (`dns.opcode`).
    pub fn opcode(&self) -> Option<u8> {
        self.message.as_ref().map(|m| m.header.opcode())
    }

    /// The `dns.query` buffers: one per question's name, requests only
    /// (Suricata 7 inspects `dns.query` on to-server transactions).
    pub fn queries(&self) -> impl Iterator<Item = &[u8]> {
        self.message
            .iter()
            .filter(|m| !m.header.is_response())
            .flat_map(|m| m.queries.iter().map(|q| q.name.as_slice()))
    }

    /// Whether `ev` was raised.
    pub fn has_event(&self, ev: DnsEvent) -> bool {
        self.events.has(ev as u32)
    }
}

/// Counters of one flow's DNS parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DnsStats {
    /// Messages parsed.
    pub messages: u64,
    /// Messages that failed to parse.
    pub malformed: u64,
    /// Transactions dropped because the caller did not take them.
    pub dropped_txs: u64,
    /// Messages with more records than kept.
    pub capped: u64,
}

/// DNS state of one flow.
#[derive(Debug, Clone)]
pub struct DnsState {
    transport: Transport,
    /// TCP: the unfinished message of each direction (prefix included).
    partial: [Vec<u8>; 2],
    /// TCP: a sequence gap was met (either direction, one flag as in
    /// Suricata's `DNSState::gap`): the next data is probed before parsing.
    gap: bool,
    txs: Vec<DnsTx>,
    stats: DnsStats,
}

impl DnsState {
    /// A fresh state.
    pub fn new(transport: Transport) -> Self {
        DnsState {
            transport,
            partial: [Vec::new(), Vec::new()],
            gap: false,
            txs: Vec::new(),
            stats: DnsStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> DnsStats {
        self.stats
    }

    /// Transactions completed since the last [`take_txs`](Self::take_txs).
    pub fn txs(&self) -> &[DnsTx] {
        &self.txs
    }

    /// Hands the completed transactions over (keeps the buffer's capacity).
    pub fn take_txs(&mut self) -> std::vec::Drain<'_, DnsTx> {
        self.txs.drain(..)
    }

    /// Parses bytes of one direction: a datagram's payload (UDP) or the
    /// next reassembled piece of the stream (TCP).
    pub fn parse(&mut self, dir: Direction, data: &[u8]) {
        match self.transport {
            Transport::Udp => self.message(dir, data),
            Transport::Tcp => self.tcp(dir, data),
        }
    }

    /// TCP: bytes of `dir` were lost (a sequence gap). As Suricata 7.0.10's
    /// DNS parser, which accepts gaps: the message in progress is dropped
    /// and the next data is probed (`probe_tcp`); if it does not start like
    /// a DNS message, a response piece is skipped, while a request piece is
    /// parsed anyway (Suricata's request side does not return there).
    pub fn gap(&mut self, dir: Direction) {
        self.gap = true;
        self.partial[dir.index()].clear();
    }

    fn tcp(&mut self, dir: Direction, mut data: &[u8]) {
        let d = dir.index();
        if self.gap && !data.is_empty() {
            if probe_tcp(data) {
                self.gap = false;
            } else if dir == Direction::ToClient {
                return;
            }
        }
        // Finish the buffered message first.
        if !self.partial[d].is_empty() {
            let buf = &mut self.partial[d];
            while buf.len() < 2 && !data.is_empty() {
                buf.push(data[0]);
                data = &data[1..];
            }
            if buf.len() < 2 {
                return;
            }
            let total = 2 + u16::from_be_bytes([buf[0], buf[1]]) as usize;
            let take = (total - buf.len()).min(data.len());
            buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if buf.len() < total {
                return;
            }
            let msg = std::mem::take(buf);
            self.message(dir, &msg[2..]);
            // Keep the allocation for the next partial message.
            self.partial[d] = msg;
            self.partial[d].clear();
        }
        // Whole messages straight from the piece, no copy.
        while data.len() >= 2 {
            let len = u16::from_be_bytes([data[0], data[1]]) as usize;
            if data.len() < 2 + len {
                break;
            }
            self.message(dir, &data[2..2 + len]);
            data = &data[2 + len..];
        }
        self.partial[d].extend_from_slice(data);
    }

    /// Messages met so far, parsed or malformed (TCP: each one triggers
    /// raw stream inspection of its direction in Suricata).
    pub fn messages(&self) -> u64 {
        self.stats.messages + self.stats.malformed
    }

    fn message(&mut self, dir: Direction, msg: &[u8]) {
        let mut events = EventSet::default();
        let message = match parser::parse_message(msg) {
            Ok(m) => {
                self.stats.messages += 1;
                let h = m.header;
                match (dir, h.is_response()) {
                    (Direction::ToServer, true) => events.set(DnsEvent::NotRequest as u32),
                    (Direction::ToClient, false) => events.set(DnsEvent::NotResponse as u32),
                    _ => {}
                }
                if h.z() {
                    events.set(DnsEvent::ZFlagSet as u32);
                }
                if h.opcode() >= 7 {
                    events.set(DnsEvent::InvalidOpcode as u32);
                }
                let f = m.name_flags;
                for (on, ev) in [
                    (f.truncated, DnsEvent::NameTooLong),
                    (f.infinite_loop, DnsEvent::InfiniteLoop),
                    (f.too_many_labels, DnsEvent::TooManyLabels),
                ] {
                    if on {
                        events.set(ev as u32);
                    }
                }
                if m.capped {
                    self.stats.capped += 1;
                }
                Some(m)
            }
            Err(_) => {
                self.stats.malformed += 1;
                events.set(DnsEvent::MalformedData as u32);
                None
            }
        };
        if self.txs.len() >= MAX_PENDING_TXS {
            self.txs.remove(0);
            self.stats.dropped_txs += 1;
        }
        self.txs.push(DnsTx {
            dir,
            message,
            events,
        });
    }
}

#[cfg(test)]
mod tests;

/// Whether TCP data after a gap starts like a DNS message, or is too short
/// to tell (Suricata's `probe_tcp`: `is_dns || is_incomplete`): the length
/// prefix, the header, the whole message when it is all there (a record
/// cut short inside it counts as "incomplete"), then the header's record
/// counts against the length (`probe_header_validity`).
fn probe_tcp(data: &[u8]) -> bool {
    let Some((len, rest)) = data.split_first_chunk::<2>() else {
        return true;
    };
    let len = u16::from_be_bytes(*len) as usize;
    let Ok(h) = parser::Header::parse(rest) else {
        return false;
    };
    if rest.len() >= len {
        match parser::parse_message(&rest[..len]) {
            Ok(_) => {}
            // nom's `Incomplete` inside a whole message: "incomplete".
            Err(parser::ParseError::Truncated) => return true,
            Err(_) => return false,
        }
    }
    let records = h.qdcount as usize + h.ancount as usize + h.nscount as usize + h.arcount as usize;
    !(2 * records > len
        || (records == 0 && len > parser::HEADER_LEN)
        || (!h.is_response() && h.qdcount == 0))
}
