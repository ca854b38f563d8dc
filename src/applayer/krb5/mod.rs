//! Kerberos 5 over UDP (one message per datagram) and TCP (each message
//! after a 4-byte record mark, in any pieces), as Suricata 7 keeps it: a
//! transaction per AS-REQ, TGS-REQ, AS-REP, TGS-REP and KRB-ERROR (an
//! error reports the type of the request before it as its
//! `krb5_msg_type`; an AP-REQ only sets that type). Each transaction is
//! inspected in the direction it travelled, as Suricata 7.0.10's
//! (measured: its EVE shows the TGS-REQ of krb5-kerberoasting as
//! transaction 0 and the TGS-REP as 1).
//!
//! Messages are read with a small bounded DER walker (`der.rs`) over the
//! fixed RFC 4120 structure: no recursion driven by the input, names cut
//! at [`parser::MAX_COMPONENTS`] components. A message whose first DER
//! header does not read raises `malformed_data` (on the latest
//! transaction, as Suricata sets it) and stops the parser for the flow; a
//! reply whose enc-part etype is weak raises `weak_encryption`. A TCP
//! record longer than [`MAX_RECORD`] stops the flow (Suricata's 100000
//! byte reassembly cap).

pub mod der;
pub mod parser;

use super::{Direction, EventSet, Transport};
pub use parser::{Message, Principal};

/// Longest TCP record reassembled.
pub const MAX_RECORD: usize = 100_000;
/// Transactions kept until the caller takes them; past this the oldest
/// is dropped and counted.
pub const MAX_PENDING_TXS: usize = 256;

app_events! {
    /// A Kerberos anomaly, named as Suricata's `kerberos-events.rules`.
    Krb5Event {
        /// A message whose DER header does not read.
        MalformedData => "malformed_data",
        /// A reply encrypted with a weak or deprecated etype.
        WeakEncryption => "weak_encryption",
    }
}

/// One AS-REQ, TGS-REQ, AS-REP, TGS-REP or KRB-ERROR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Krb5Tx {
    /// Position in the flow (0 first).
    pub id: u64,
    /// The direction it travelled.
    pub dir: Direction,
    /// Suricata's message type: the message's (10, 11, 12, 13); for an
    /// error, the type of the request before it (10, 12, 14, or 0 when
    /// none).
    pub msg_type: u32,
    /// The decoded message (`message.tag` is the wire type, 30 for errors).
    pub message: Message,
    /// Events raised on it.
    pub events: EventSet,
}

impl Krb5Tx {
    /// `krb5_msg_type`.
    pub fn msg_type(&self) -> u32 {
        self.msg_type
    }

    /// `krb5_err_code`: the error code of a KRB-ERROR.
    pub fn error_code(&self) -> Option<i64> {
        self.message.error_code
    }

    /// `krb5.cname` / `krb5_cname`: each component of the client name.
    pub fn cnames(&self) -> impl Iterator<Item = &[u8]> {
        self.message
            .cname
            .iter()
            .flat_map(|p| p.components.iter().map(Vec::as_slice))
    }

    /// `krb5.sname` / `krb5_sname`: each component of the server name.
    pub fn snames(&self) -> impl Iterator<Item = &[u8]> {
        self.message
            .sname
            .iter()
            .flat_map(|p| p.components.iter().map(Vec::as_slice))
    }

    /// The realm (EVE `krb5.realm`).
    pub fn realm(&self) -> Option<&[u8]> {
        self.message.realm.as_deref()
    }

    /// `krb5.ticket_encryption`: the ticket's enc-part etype (replies).
    pub fn ticket_encryption(&self) -> Option<i64> {
        self.message.ticket_etype
    }

    /// Whether the ticket's etype is weak (`krb5.ticket_encryption: weak`).
    pub fn ticket_weak(&self) -> Option<bool> {
        self.message.ticket_etype.map(parser::is_weak)
    }

    /// The reply's enc-part etype (EVE `krb5.encryption`).
    pub fn encryption(&self) -> Option<i64> {
        self.message.etype
    }

    /// Whether `ev` was raised.
    pub fn has_event(&self, ev: Krb5Event) -> bool {
        self.events.has(ev as u32)
    }
}

/// Counters of one flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Krb5Stats {
    /// Messages whose APPLICATION tag was read.
    pub messages: u64,
    /// Messages of a known type whose structure did not decode (no
    /// transaction, no event, as in Suricata).
    pub undecoded: u64,
    /// Transactions dropped because the caller did not take them.
    pub dropped_txs: u64,
}

/// The Kerberos state of one flow.
#[derive(Debug)]
pub struct Krb5State {
    transport: Transport,
    /// TCP: each direction's unfinished record (mark included).
    partial: [Vec<u8>; 2],
    /// The last request's type (Suricata's `req_id`).
    req_id: u32,
    txs: Vec<Krb5Tx>,
    next_id: u64,
    failed: bool,
    stats: Krb5Stats,
}

impl Krb5State {
    /// A fresh state.
    pub fn new(transport: Transport) -> Self {
        Krb5State {
            transport,
            partial: [Vec::new(), Vec::new()],
            req_id: 0,
            txs: Vec::new(),
            next_id: 0,
            failed: false,
            stats: Krb5Stats::default(),
        }
    }

    /// Transactions since the last [`take_txs`](Self::take_txs).
    pub fn txs(&self) -> &[Krb5Tx] {
        &self.txs
    }

    /// Hands the transactions over.
    pub fn take_txs(&mut self) -> std::vec::Drain<'_, Krb5Tx> {
        self.txs.drain(..)
    }

    /// The transport it was made for.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Counters.
    pub fn stats(&self) -> Krb5Stats {
        self.stats
    }

    /// The parser stopped (malformed message, oversized TCP record).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Parses a datagram's payload (UDP) or the next reassembled piece of
    /// one direction (TCP).
    pub fn parse(&mut self, dir: Direction, data: &[u8]) {
        if self.failed {
            return;
        }
        match self.transport {
            Transport::Udp => self.message(dir, data),
            Transport::Tcp => self.tcp(dir, data),
        }
    }

    fn tcp(&mut self, dir: Direction, mut data: &[u8]) {
        let d = dir.index();
        while !data.is_empty() && !self.failed {
            let buf = &mut self.partial[d];
            if buf.len() < 4 {
                let n = (4 - buf.len()).min(data.len());
                buf.extend_from_slice(&data[..n]);
                data = &data[n..];
                if buf.len() < 4 {
                    return;
                }
            }
            let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
            if len > MAX_RECORD {
                self.failed = true;
                self.partial[d] = Vec::new();
                return;
            }
            let buf = &mut self.partial[d];
            // The whole record straight from `data` when it is all there.
            if buf.len() == 4 && data.len() >= len {
                buf.clear();
                let (rec, rest) = data.split_at(len);
                data = rest;
                self.message(dir, rec);
                continue;
            }
            let n = (4 + len - buf.len()).min(data.len());
            buf.extend_from_slice(&data[..n]);
            data = &data[n..];
            if buf.len() == 4 + len {
                let rec = std::mem::take(&mut self.partial[d]);
                self.message(dir, &rec[4..]);
                self.partial[d] = rec;
                self.partial[d].clear();
            }
        }
    }

    fn push(&mut self, dir: Direction, msg_type: u32, message: Message) {
        if self.txs.len() >= MAX_PENDING_TXS {
            self.txs.remove(0);
            self.stats.dropped_txs += 1;
        }
        let mut events = EventSet::default();
        if message.etype.is_some_and(parser::is_weak) {
            events.set(Krb5Event::WeakEncryption as u32);
        }
        self.txs.push(Krb5Tx {
            id: self.next_id,
            dir,
            msg_type,
            message,
            events,
        });
        self.next_id += 1;
    }

    fn message(&mut self, dir: Direction, msg: &[u8]) {
        let tag = match parser::message_tag(msg) {
            Ok(Some(t)) => t,
            Ok(None) => return,
            Err(_) => {
                if let Some(tx) = self.txs.last_mut() {
                    tx.events.set(Krb5Event::MalformedData as u32);
                }
                self.failed = true;
                return;
            }
        };
        self.stats.messages += 1;
        match tag {
            parser::AS_REQ | parser::TGS_REQ => {
                match parser::parse(msg) {
                    Some(m) => self.push(dir, tag, m),
                    None => self.stats.undecoded += 1,
                }
                self.req_id = tag;
            }
            parser::AP_REQ => self.req_id = tag,
            parser::AP_REP => self.req_id = 0,
            parser::AS_REP | parser::TGS_REP | parser::KRB_ERROR => {
                match parser::parse(msg) {
                    Some(m) => {
                        let t = if tag == parser::KRB_ERROR {
                            self.req_id
                        } else {
                            tag
                        };
                        self.push(dir, t, m);
                    }
                    None => self.stats.undecoded += 1,
                }
                self.req_id = 0;
            }
            _ => {}
        }
    }
}

/// krb5-kerberoasting's TGS exchange (hex from tshark, see the files'
/// headers), for the tests here and in detection.
#[cfg(test)]
pub(crate) mod testdata {
    use super::{Direction, Krb5State, Krb5Tx, Transport};

    fn stream(text: &str) -> Vec<u8> {
        let hex: String = text.lines().filter(|l| !l.starts_with('#')).collect();
        crate::applayer::test_hex(&hex)
    }

    /// The client's bytes (record mark + TGS-REQ).
    pub fn req() -> Vec<u8> {
        stream(include_str!("testdata/kerberoasting-tgs-req.hex"))
    }

    /// The server's bytes (record mark + TGS-REP).
    pub fn rep() -> Vec<u8> {
        stream(include_str!("testdata/kerberoasting-tgs-rep.hex"))
    }

    /// Both as transactions: the TGS-REQ (to server), the TGS-REP.
    pub fn txs() -> Vec<Krb5Tx> {
        let mut s = Krb5State::new(Transport::Tcp);
        s.parse(Direction::ToServer, &req());
        s.parse(Direction::ToClient, &rep());
        s.take_txs().collect()
    }
}

#[cfg(test)]
mod tests;
