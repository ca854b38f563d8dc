//! DCE/RPC connection-oriented (over TCP, and over SMB named pipes): PDUs
//! framed by their `frag_length` in whatever pieces the stream delivers,
//! BIND/ALTER_CONTEXT and their acks (the interfaces a flow uses and which
//! the server accepted), REQUEST/RESPONSE fragments reassembled into
//! transactions, as Suricata 7's `rust/src/dcerpc` keeps them:
//!
//! * one transaction per call: a BIND (its ack completes it), or a
//!   REQUEST (its fragments until `PFC_LAST_FRAG`) and the RESPONSE with
//!   the same `call_id`; a later call reusing a finished call's `call_id`
//!   is a new transaction (Suricata issue 7187);
//! * `dce_stub_data` is the concatenated stub of the call's fragments per
//!   direction; over TCP a RESPONSE's stub starts right after the common
//!   header (Suricata 7 includes the 8-byte response header; its EVE
//!   `stub_data_size` shows it), over SMB after the response header;
//! * `dce_iface` matches an interface the last BIND_ACK accepted, with the
//!   request's context id, as Suricata's `match_backuuid` does.
//!
//! A PDU of a type Suricata's TCP parser does not handle (FAULT, AUTH3,
//! BIND_NAK, …), a bad version or a body that does not parse stops the
//! flow's parsing, as Suricata's parser error does. Suricata 7 has no
//! DCE/RPC app-layer events; problems are counted in [`DcerpcStats`].
//! Bounded: a PDU is at most 65535 bytes (its `frag_length`), stub data
//! at most [`MAX_STUB`] per direction of a call, [`MAX_TXS`] transactions.

pub mod parser;

use super::Direction;
use parser::{HEADER_LEN, Header, PFC_FIRST_FRAG, PFC_LAST_FRAG, ptype};

/// Stub data kept per direction of one call (Suricata caps its DCE/RPC
/// buffers at 1 MiB).
pub const MAX_STUB: usize = 1024 * 1024;
/// Transactions kept until the caller takes them; past this the oldest is
/// dropped and counted.
pub const MAX_TXS: usize = 1024;

/// What carries the PDUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// DCE/RPC directly over TCP (app_proto `dcerpc`).
    Tcp,
    /// The data of READ/WRITE/IOCTL on an SMB named pipe.
    Smb,
}

/// An interface of the last BIND / ALTER_CONTEXT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interface {
    /// The context id the client gave it.
    pub ctxid: u16,
    /// Interface UUID, canonical byte order.
    pub uuid: [u8; 16],
    /// Major version.
    pub version: u16,
    /// Minor version.
    pub version_minor: u16,
    /// The server's answer (`None` until the ack): 0 accepted.
    pub ack_result: Option<u16>,
    /// The ack's reason.
    pub ack_reason: u16,
    /// The BIND PDU had `PFC_FIRST_FRAG` (`dce_iface` without `any_frag`
    /// only matches such interfaces).
    pub first_frag: bool,
}

/// One call (or bind) of a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcerpcTx {
    /// Order of creation within the flow.
    pub id: u64,
    /// `call_id`.
    pub call_id: u32,
    /// PDU type of the client side (REQUEST, BIND, ALTER_CONTEXT).
    pub req_cmd: u8,
    /// PDU type of the server side (RESPONSE, BIND_ACK, …).
    pub resp_cmd: u8,
    /// The request's context id.
    pub ctxid: u16,
    /// The request's operation number (valid when `request_seen`).
    pub opnum: u16,
    /// A REQUEST PDU was parsed for this call.
    pub request_seen: bool,
    /// Fragments seen, to server and to client.
    pub frag_cnt: [u16; 2],
    /// Integers of the PDU that opened the call are little endian.
    pub little_endian: bool,
    /// The client side is complete (last fragment, or the BIND).
    pub req_done: bool,
    /// The server side is complete.
    pub resp_done: bool,
    /// Stub bytes beyond [`MAX_STUB`] were dropped, per direction.
    pub stub_truncated: [bool; 2],
    /// A BIND / ALTER_CONTEXT: its interfaces, with the ack's results once
    /// the ack arrived (EVE `interfaces`).
    pub interfaces: Vec<Interface>,
    stub: [Vec<u8>; 2],
}

impl DcerpcTx {
    fn new(id: u64, call_id: u32, little_endian: bool) -> Self {
        DcerpcTx {
            id,
            call_id,
            req_cmd: ptype::REQUEST,
            resp_cmd: ptype::RESPONSE,
            ctxid: 0,
            opnum: 0,
            request_seen: false,
            frag_cnt: [0, 0],
            little_endian,
            req_done: false,
            resp_done: false,
            stub_truncated: [false, false],
            interfaces: Vec::new(),
            stub: [Vec::new(), Vec::new()],
        }
    }

    /// `dce_opnum`: the request's operation number, once a REQUEST was
    /// seen (Suricata's `first_request_seen`).
    pub fn opnum(&self) -> Option<u16> {
        self.request_seen.then_some(self.opnum)
    }

    /// `dce_stub_data` of one direction (request stub to server, response
    /// stub to client); `None` when that side carried none.
    pub fn stub_data(&self, dir: Direction) -> Option<&[u8]> {
        let s = &self.stub[dir.index()];
        (!s.is_empty()).then_some(s.as_slice())
    }

    /// The EVE name of a PDU type (`REQUEST`, `BINDACK`, …).
    pub fn type_name(t: u8) -> &'static str {
        match t {
            ptype::REQUEST => "REQUEST",
            ptype::RESPONSE => "RESPONSE",
            ptype::FAULT => "FAULT",
            ptype::BIND => "BIND",
            ptype::BIND_ACK => "BINDACK",
            ptype::BIND_NAK => "BINDNAK",
            ptype::ALTER_CONTEXT => "ALTER_CONTEXT",
            ptype::ALTER_CONTEXT_RESP => "ALTER_CONTEXT_RESP",
            ptype::AUTH3 => "AUTH3",
            _ => "UNKNOWN",
        }
    }

    /// EVE `request`.
    pub fn request_name(&self) -> &'static str {
        Self::type_name(self.req_cmd)
    }

    /// EVE `response`: `UNREPLIED` until the server side was seen.
    pub fn response_name(&self) -> &'static str {
        if self.resp_done || self.frag_cnt[1] > 0 {
            Self::type_name(self.resp_cmd)
        } else {
            "UNREPLIED"
        }
    }

    /// Whether this is a call (REQUEST/RESPONSE), not a bind.
    pub fn is_call(&self) -> bool {
        self.req_cmd == ptype::REQUEST || self.resp_cmd == ptype::RESPONSE
    }

    /// Both sides complete.
    pub fn complete(&self) -> bool {
        self.req_done && self.resp_done
    }

    fn push_stub(&mut self, dir: Direction, data: &[u8]) {
        let d = dir.index();
        let room = MAX_STUB.saturating_sub(self.stub[d].len());
        if data.len() > room {
            self.stub_truncated[d] = true;
        }
        self.stub[d].extend_from_slice(&data[..data.len().min(room)]);
    }
}

/// Counters of one flow's DCE/RPC parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DcerpcStats {
    /// PDUs parsed.
    pub pdus: u64,
    /// PDUs that stopped the parser (bad version, unhandled type, body
    /// that does not parse).
    pub errors: u64,
    /// Transactions dropped because the caller did not take them.
    pub dropped_txs: u64,
}

/// DCE/RPC state of one flow (or of one SMB flow's named pipes).
#[derive(Debug, Clone)]
pub struct DcerpcState {
    carrier: Carrier,
    /// Unfinished PDU per direction.
    partial: [Vec<u8>; 2],
    txs: Vec<DcerpcTx>,
    next_id: u64,
    /// Interfaces of the last BIND / ALTER_CONTEXT, with their results.
    bind: Vec<Interface>,
    /// Whether a BIND was seen (an ack without one changes nothing).
    bound: bool,
    /// Interfaces the last ack accepted.
    accepted: Vec<Interface>,
    failed: bool,
    stats: DcerpcStats,
}

impl Default for DcerpcState {
    fn default() -> Self {
        Self::new(Carrier::Tcp)
    }
}

impl DcerpcState {
    /// A fresh state for PDUs carried by `carrier`.
    pub fn new(carrier: Carrier) -> Self {
        DcerpcState {
            carrier,
            partial: [Vec::new(), Vec::new()],
            txs: Vec::new(),
            next_id: 0,
            bind: Vec::new(),
            bound: false,
            accepted: Vec::new(),
            failed: false,
            stats: DcerpcStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> DcerpcStats {
        self.stats
    }

    /// Whether a PDU stopped the parser (Suricata's parser error).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Transactions held (oldest first).
    pub fn txs(&self) -> &[DcerpcTx] {
        &self.txs
    }

    /// Removes and returns the transactions whose both sides are complete.
    pub fn take_complete(&mut self) -> Vec<DcerpcTx> {
        let (done, open): (Vec<_>, Vec<_>) = std::mem::take(&mut self.txs)
            .into_iter()
            .partition(|t| t.complete());
        self.txs = open;
        done
    }

    /// Removes the transactions whose ids are in `ids` (the caller is done
    /// with them).
    pub fn remove_txs(&mut self, ids: &[u64]) {
        self.txs.retain(|t| !ids.contains(&t.id));
    }

    /// Interfaces of the last BIND / ALTER_CONTEXT (EVE `interfaces`).
    pub fn interfaces(&self) -> &[Interface] {
        &self.bind
    }

    /// Interfaces the last BIND_ACK / ALTER_CONTEXT_RESP accepted.
    pub fn accepted(&self) -> &[Interface] {
        &self.accepted
    }

    /// `dce_iface:<uuid>[,<version test>][,any_frag]` on `tx`: a call whose
    /// context id is that of an accepted interface with this UUID, whose
    /// major version passes `version_ok`; without `any_frag` the BIND
    /// must have been a first fragment (over TCP; Suricata's SMB path does
    /// not look at it).
    pub fn iface_matches(
        &self,
        tx: &DcerpcTx,
        uuid: &[u8; 16],
        version_ok: impl Fn(u16) -> bool,
        any_frag: bool,
    ) -> bool {
        if !tx.request_seen || !tx.is_call() {
            return false;
        }
        self.accepted.iter().any(|i| {
            (any_frag || i.first_frag || self.carrier == Carrier::Smb)
                && i.ack_result == Some(0)
                && &i.uuid == uuid
                && i.ctxid == tx.ctxid
                && version_ok(i.version)
        })
    }

    /// Parses the next bytes of one direction (a TCP piece, or one SMB
    /// message's pipe data).
    pub fn parse(&mut self, dir: Direction, mut data: &[u8]) {
        let d = dir.index();
        while !data.is_empty() && !self.failed {
            if self.partial[d].is_empty() {
                // Whole PDUs straight from the input, no copy.
                match parser::header(data) {
                    Some(h) if (h.frag_len as usize) <= data.len() => {
                        let n = (h.frag_len as usize).max(HEADER_LEN);
                        if self.check(h) {
                            self.pdu(h, &data[..h.frag_len as usize]);
                        }
                        data = &data[n..];
                        continue;
                    }
                    _ => {}
                }
            }
            let buf = &mut self.partial[d];
            if buf.len() < HEADER_LEN {
                let n = (HEADER_LEN - buf.len()).min(data.len());
                buf.extend_from_slice(&data[..n]);
                data = &data[n..];
                if buf.len() < HEADER_LEN {
                    return;
                }
            }
            let Some(h) = parser::header(buf) else { return };
            if !self.check(h) {
                return;
            }
            let buf = &mut self.partial[d];
            let need = h.frag_len as usize - buf.len();
            let n = need.min(data.len());
            buf.extend_from_slice(&data[..n]);
            data = &data[n..];
            if buf.len() < h.frag_len as usize {
                return;
            }
            let pdu = std::mem::take(buf);
            self.pdu(h, &pdu);
            self.partial[d] = pdu;
            self.partial[d].clear();
        }
    }

    /// Whether a header can start a PDU; stops the parser if not.
    fn check(&mut self, h: Header) -> bool {
        if h.version != 5 || h.version_minor > 1 || (h.frag_len as usize) < HEADER_LEN {
            self.fail();
            return false;
        }
        true
    }

    fn fail(&mut self) {
        self.failed = true;
        self.stats.errors += 1;
        self.partial = [Vec::new(), Vec::new()];
    }

    fn push_tx(&mut self, tx: DcerpcTx) -> usize {
        if self.txs.len() >= MAX_TXS {
            self.txs.remove(0);
            self.stats.dropped_txs += 1;
        }
        self.txs.push(tx);
        self.txs.len() - 1
    }

    fn new_tx(&mut self, h: Header) -> usize {
        let tx = DcerpcTx::new(self.next_id, h.call_id, h.little_endian());
        self.next_id += 1;
        self.push_tx(tx)
    }

    /// The open transaction this PDU continues, else a new one.
    fn tx_for(&mut self, h: Header, dir: Direction) -> usize {
        let found = self.txs.iter().position(|t| {
            t.call_id == h.call_id
                && match dir {
                    Direction::ToServer => !t.req_done && t.resp_cmd == resp_type_for(h.ptype),
                    Direction::ToClient => !t.resp_done && t.req_cmd == req_type_for(h.ptype),
                }
        });
        found.unwrap_or_else(|| self.new_tx(h))
    }

    /// One whole PDU (`pdu`: `frag_length` bytes, header included).
    fn pdu(&mut self, h: Header, pdu: &[u8]) {
        self.stats.pdus += 1;
        let body = &pdu[HEADER_LEN..];
        let le = h.little_endian();
        match h.ptype {
            ptype::BIND | ptype::ALTER_CONTEXT => {
                let (items, ok) = parser::bind(body, le);
                if !ok {
                    return self.fail();
                }
                self.bound = true;
                self.bind = items
                    .into_iter()
                    .map(|i| Interface {
                        ctxid: i.ctxid,
                        uuid: i.uuid,
                        version: i.version,
                        version_minor: i.version_minor,
                        ack_result: None,
                        ack_reason: 0,
                        first_frag: h.flags & PFC_FIRST_FRAG != 0,
                    })
                    .collect();
                let i = self.new_tx(h);
                let tx = &mut self.txs[i];
                tx.req_cmd = h.ptype;
                tx.req_done = true;
                tx.frag_cnt[0] = 1;
                tx.interfaces.clone_from(&self.bind);
            }
            ptype::BIND_ACK | ptype::ALTER_CONTEXT_RESP => {
                let Some(results) = parser::bind_ack(body, le) else {
                    return self.fail();
                };
                if self.bound {
                    self.accepted.clear();
                    for (iface, r) in self.bind.iter_mut().zip(&results) {
                        iface.ack_result = Some(r.result);
                        iface.ack_reason = r.reason;
                        if r.result == 0 {
                            self.accepted.push(*iface);
                        }
                    }
                }
                let i = self.tx_for(h, Direction::ToClient);
                let tx = &mut self.txs[i];
                tx.resp_cmd = h.ptype;
                tx.resp_done = true;
                tx.frag_cnt[1] = 1;
                if self.bound && !tx.interfaces.is_empty() {
                    tx.interfaces.clone_from(&self.bind);
                }
            }
            ptype::REQUEST => {
                let Some(req) = parser::request(body, le, h.flags) else {
                    return self.fail();
                };
                let i = self.tx_for(h, Direction::ToServer);
                let tx = &mut self.txs[i];
                tx.req_cmd = h.ptype;
                tx.ctxid = req.ctxid;
                tx.opnum = req.opnum;
                tx.request_seen = true;
                tx.frag_cnt[0] = tx.frag_cnt[0].saturating_add(1);
                tx.push_stub(Direction::ToServer, &body[req.stub_offset..]);
                if h.flags & PFC_LAST_FRAG != 0 {
                    tx.req_done = true;
                }
            }
            ptype::RESPONSE => {
                let skip = match self.carrier {
                    Carrier::Tcp => 0,
                    Carrier::Smb => parser::RESPONSE_HEADER_LEN,
                };
                if body.len() < parser::RESPONSE_HEADER_LEN {
                    return self.fail();
                }
                let i = self.tx_for(h, Direction::ToClient);
                let tx = &mut self.txs[i];
                tx.resp_cmd = h.ptype;
                tx.frag_cnt[1] = tx.frag_cnt[1].saturating_add(1);
                tx.push_stub(Direction::ToClient, &body[skip..]);
                if h.flags & PFC_LAST_FRAG != 0 {
                    tx.resp_done = true;
                }
            }
            _ if self.carrier == Carrier::Smb => {}
            _ => self.fail(),
        }
    }
}

/// The server PDU type answering a client PDU type.
fn resp_type_for(t: u8) -> u8 {
    match t {
        ptype::REQUEST => ptype::RESPONSE,
        ptype::BIND => ptype::BIND_ACK,
        ptype::ALTER_CONTEXT => ptype::ALTER_CONTEXT_RESP,
        _ => u8::MAX,
    }
}

/// The client PDU type a server PDU type answers.
fn req_type_for(t: u8) -> u8 {
    match t {
        ptype::RESPONSE => ptype::REQUEST,
        ptype::BIND_ACK => ptype::BIND,
        ptype::ALTER_CONTEXT_RESP => ptype::ALTER_CONTEXT,
        _ => u8::MAX,
    }
}

#[cfg(test)]
mod tests;
