//! FTP control channel, and the `ftp-data` state of the data connections
//! it announces, as Suricata 7 keeps them.
//!
//! Control channel: lines end at LF (a CR before it is dropped); a line is
//! kept up to [`MAX_LINE_LEN`] bytes, a longer one is cut there, raises
//! `request_command_too_long` / `response_command_too_long` and the rest
//! of it is skipped. One transaction per request whose first word is an
//! FTP command; replies go to the oldest transaction still open (the last
//! one when all are answered, a new `Unknown` one when there is none, as
//! for the greeting); a `1xx` reply keeps it open.
//!
//! Data connections: PORT/EPRT (on their reply) and 227 PASV / 229 EPSV
//! replies set the dynamic port; RETR and STOR then announce an
//! [`FtpExpectation`]: the next TCP flow between the control flow's two
//! hosts whose server port is that port is `ftp-data`, parsed by
//! [`FtpDataState`] (`data.rs`). As in Suricata 7, only RETR and STOR
//! announce one (a LIST or NLST data connection stays without app layer),
//! and RETR/STOR with no dynamic port negotiated stops the parser.

pub mod data;
pub mod parser;

use std::net::{IpAddr, Ipv4Addr};

use super::{Direction, EventSet};
pub use data::FtpDataState;
pub use parser::FtpCommand;

/// Longest control line kept (Suricata's `ftp.max-line-length` default).
pub const MAX_LINE_LEN: usize = 4096;
/// Transactions kept until the caller takes them; past this the oldest
/// is dropped and counted.
pub const MAX_PENDING_TXS: usize = 256;
/// Reply lines kept per transaction (more are counted, not kept).
pub const MAX_REPLIES: usize = 64;

app_events! {
    /// An FTP anomaly, named as Suricata's `ftp-events.rules`.
    FtpEvent {
        /// A request line longer than [`MAX_LINE_LEN`].
        RequestCommandTooLong => "request_command_too_long",
        /// A reply line longer than [`MAX_LINE_LEN`].
        ResponseCommandTooLong => "response_command_too_long",
    }
}

/// One command and its replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpTx {
    /// Position in the flow (0 for the first transaction).
    pub id: u64,
    /// The command (`Unknown` for replies without a request).
    pub command: FtpCommand,
    /// The request line without its end of line (empty without request).
    pub request: Vec<u8>,
    /// The reply lines, in order, without their ends of line.
    pub replies: Vec<Vec<u8>>,
    /// A final (non-1xx) reply arrived.
    pub done: bool,
    /// The data port this transaction negotiated (PORT/EPRT/PASV/EPSV) or
    /// used (RETR/STOR).
    pub dyn_port: Option<u16>,
    /// Active mode (PORT/EPRT): the server connects to the client.
    pub active: bool,
    /// Events raised on it.
    pub events: EventSet,
}

impl FtpTx {
    fn new(id: u64, command: FtpCommand) -> Self {
        FtpTx {
            id,
            command,
            request: Vec::new(),
            replies: Vec::new(),
            done: false,
            dyn_port: None,
            active: false,
            events: EventSet::default(),
        }
    }

    /// The request line (EVE `ftp.command` + `command_data`).
    pub fn request_line(&self) -> Option<&[u8]> {
        (!self.request.is_empty()).then_some(self.request.as_slice())
    }

    /// The command's arguments (EVE `ftp.command_data`).
    pub fn command_data(&self) -> Option<&[u8]> {
        let a = parser::args(&self.request);
        (!a.is_empty()).then_some(a)
    }

    /// The reply lines (EVE `ftp.reply`, with their codes).
    pub fn replies(&self) -> impl Iterator<Item = &[u8]> {
        self.replies.iter().map(Vec::as_slice)
    }

    /// The reply codes (EVE `ftp.completion_code`), of the lines that
    /// start with three digits.
    pub fn completion_codes(&self) -> impl Iterator<Item = &[u8]> {
        self.replies.iter().filter_map(|r| parser::reply_code(r))
    }

    /// Whether `ev` was raised.
    pub fn has_event(&self, ev: FtpEvent) -> bool {
        self.events.has(ev as u32)
    }
}

/// A data connection the control channel announced (RETR or STOR after a
/// dynamic port): the pipeline marks the matching flow `ftp-data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpExpectation {
    /// The data flow's server port (Suricata matches on it and on the
    /// control flow's two addresses).
    pub port: u16,
    /// The address the PASV/PORT/EPRT text named, when it named one
    /// (informational: Suricata does not match on it).
    pub addr: Option<IpAddr>,
    /// Active mode: the FTP server opens the data connection.
    pub active: bool,
    /// RETR or STOR (`ftpdata_command`).
    pub command: FtpCommand,
    /// The file name: the command's argument (`file.name`).
    pub file_name: Vec<u8>,
    /// Which way the file travels on the *data* flow: RETR to client in
    /// passive mode, to server in active mode; STOR the other way.
    pub direction: Direction,
    /// The control transaction that announced it.
    pub tx_id: u64,
}

/// Counters of one control flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FtpStats {
    /// Request lines with a known command.
    pub requests: u64,
    /// Request lines whose first word is no command (no transaction).
    pub unknown_requests: u64,
    /// Reply lines.
    pub replies: u64,
    /// Transactions dropped because the caller did not take them.
    pub dropped_txs: u64,
}

/// Line assembly of one direction.
#[derive(Debug, Default)]
struct Lines {
    /// The unfinished line (at most `MAX_LINE_LEN` bytes).
    buf: Vec<u8>,
    /// The line overflowed: skipping to its LF.
    skipping: bool,
}

impl Lines {
    /// Feeds bytes; calls `line(bytes, truncated)` for each line ended (or
    /// cut at the cap).
    fn feed(&mut self, mut data: &[u8], mut line: impl FnMut(&[u8], bool)) {
        while !data.is_empty() {
            let lf = memchr::memchr(b'\n', data);
            if self.skipping {
                match lf {
                    Some(i) => {
                        self.skipping = false;
                        data = &data[i + 1..];
                        continue;
                    }
                    None => return,
                }
            }
            let end = lf.unwrap_or(data.len());
            let room = MAX_LINE_LEN - self.buf.len();
            if end >= room {
                // At the cap: cut, and skip the rest of the line.
                self.buf.extend_from_slice(&data[..room]);
                let l = std::mem::take(&mut self.buf);
                line(&l, true);
                self.buf = l;
                self.buf.clear();
                self.skipping = true;
                data = &data[room..];
                continue;
            }
            match lf {
                None => {
                    self.buf.extend_from_slice(data);
                    return;
                }
                Some(i) => {
                    let whole = if self.buf.is_empty() {
                        &data[..i]
                    } else {
                        self.buf.extend_from_slice(&data[..i]);
                        &self.buf[..]
                    };
                    let l = whole.strip_suffix(b"\r").unwrap_or(whole);
                    line(l, false);
                    self.buf.clear();
                    data = &data[i + 1..];
                }
            }
        }
    }
}

/// The FTP control state of one flow.
#[derive(Debug, Default)]
pub struct FtpState {
    lines: [Lines; 2],
    txs: Vec<FtpTx>,
    next_id: u64,
    /// Index in `txs` of the latest request's transaction.
    curr: Option<usize>,
    /// The latest request's command (what a reply answers).
    command: Option<FtpCommand>,
    /// The last PORT/EPRT request line (`ftpbounce`).
    port_line: Vec<u8>,
    /// Negotiated data port and mode.
    dyn_port: Option<u16>,
    dyn_addr: Option<IpAddr>,
    active: bool,
    expectations: Vec<FtpExpectation>,
    /// `234` to AUTH TLS: the rest is TLS.
    tls_upgrade: bool,
    /// RETR/STOR without a negotiated port: the parser stopped.
    failed: bool,
    stats: FtpStats,
}

impl FtpState {
    /// A fresh state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counters.
    pub fn stats(&self) -> FtpStats {
        self.stats
    }

    /// The transactions held (request order).
    pub fn txs(&self) -> &[FtpTx] {
        &self.txs
    }

    /// Removes and returns the answered transactions (a reply line that
    /// comes after its transaction was taken opens an `Unknown` one).
    pub fn take_done(&mut self) -> Vec<FtpTx> {
        let (done, open): (Vec<FtpTx>, Vec<FtpTx>) = std::mem::take(&mut self.txs)
            .into_iter()
            .partition(|t| t.done);
        self.txs = open;
        self.curr = None;
        done
    }

    /// Removes the transactions with these ids, except the latest one
    /// (reply lines after its final one still join it).
    pub fn remove_txs(&mut self, ids: &[u64]) {
        let last = self.txs.last().map(|t| t.id);
        let curr = self.curr.and_then(|i| self.txs.get(i)).map(|t| t.id);
        self.txs
            .retain(|t| Some(t.id) == last || !ids.contains(&t.id));
        // The latest request's transaction stays current (it may have gone:
        // replies then start from the oldest one held).
        self.curr = curr.and_then(|c| self.txs.iter().position(|t| t.id == c));
    }

    /// Data connections announced since the last call (RETR/STOR).
    pub fn take_expectations(&mut self) -> std::vec::Drain<'_, FtpExpectation> {
        self.expectations.drain(..)
    }

    /// The data port negotiated and not yet used, its announced address
    /// and whether it is active mode.
    pub fn data_channel(&self) -> Option<(Option<IpAddr>, u16, bool)> {
        self.dyn_port.map(|p| (self.dyn_addr, p, self.active))
    }

    /// The last PORT/EPRT request line (`ftpbounce` inspects it).
    pub fn port_line(&self) -> Option<&[u8]> {
        (!self.port_line.is_empty()).then_some(self.port_line.as_slice())
    }

    /// `ftpbounce`: the last command was PORT and it names an IPv4 address
    /// other than the client's (`client`: the control flow's client), as
    /// Suricata's `detect-ftpbounce.c` checks.
    pub fn ftpbounce(&self, client: Ipv4Addr) -> bool {
        self.command == Some(FtpCommand::Port)
            && parser::port_request(&self.port_line).is_some_and(|(a, _)| a != client)
    }

    /// The server accepted AUTH TLS (234): the rest of the flow is TLS.
    pub fn tls_upgrade(&self) -> bool {
        self.tls_upgrade
    }

    /// The parser stopped (RETR/STOR without a data port, as Suricata's
    /// parser error).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Parses the next reassembled bytes of one direction.
    pub fn parse(&mut self, dir: Direction, data: &[u8]) {
        if self.failed || self.tls_upgrade {
            return;
        }
        let mut lines = std::mem::take(&mut self.lines[dir.index()]);
        lines.feed(data, |l, truncated| {
            if self.failed || self.tls_upgrade {
                return;
            }
            match dir {
                Direction::ToServer => self.request(l, truncated),
                Direction::ToClient => self.reply(l, truncated),
            }
        });
        self.lines[dir.index()] = lines;
    }

    fn push_tx(&mut self, command: FtpCommand) -> usize {
        if self.txs.len() >= MAX_PENDING_TXS {
            self.txs.remove(0);
            self.stats.dropped_txs += 1;
        }
        self.txs.push(FtpTx::new(self.next_id, command));
        self.next_id += 1;
        self.txs.len() - 1
    }

    fn request(&mut self, line: &[u8], truncated: bool) {
        let Some(cmd) = parser::command(line) else {
            self.stats.unknown_requests += 1;
            self.command = None;
            return;
        };
        self.stats.requests += 1;
        self.command = Some(cmd);
        let i = self.push_tx(cmd);
        self.curr = Some(i);
        let tx = &mut self.txs[i];
        tx.request = line.to_vec();
        if truncated {
            tx.events.set(FtpEvent::RequestCommandTooLong as u32);
        }
        match cmd {
            FtpCommand::Port | FtpCommand::Eprt => self.port_line = line.to_vec(),
            FtpCommand::Retr | FtpCommand::Stor => {
                let Some(port) = self.dyn_port.filter(|_| line.len() >= 6) else {
                    self.failed = true;
                    return;
                };
                // The file travels to the client for a passive RETR and an
                // active STOR (on the data flow), else to the server.
                let to_client = (cmd == FtpCommand::Retr) != self.active;
                tx.dyn_port = Some(port);
                tx.active = self.active;
                self.expectations.push(FtpExpectation {
                    port,
                    addr: self.dyn_addr,
                    active: self.active,
                    command: cmd,
                    file_name: line[5..].to_vec(),
                    direction: if to_client {
                        Direction::ToClient
                    } else {
                        Direction::ToServer
                    },
                    tx_id: tx.id,
                });
                self.dyn_port = None;
                self.dyn_addr = None;
                self.active = false;
            }
            _ => {}
        }
    }

    fn reply(&mut self, line: &[u8], truncated: bool) {
        self.stats.replies += 1;
        let start = self.curr.unwrap_or(0);
        let i = match self
            .txs
            .get(start..)
            .and_then(|t| t.iter().position(|t| !t.done))
        {
            Some(p) => start + p,
            None if !self.txs.is_empty() => self.txs.len() - 1,
            None => self.push_tx(FtpCommand::Unknown),
        };
        self.curr = Some(i);
        let mut set = None;
        match self.command {
            Some(FtpCommand::AuthTls) if line.starts_with(b"234 ") => self.tls_upgrade = true,
            Some(FtpCommand::Port) => {
                set = parser::port_request(&self.port_line).map(|(a, p)| (Some(a.into()), p, true))
            }
            Some(FtpCommand::Eprt) => {
                set = parser::eprt_request(&self.port_line).map(|(a, p)| (a, p, true))
            }
            Some(FtpCommand::Pasv) if line.starts_with(b"227 ") => {
                set = parser::pasv_reply(line).map(|(a, p)| (Some(a.into()), p, false))
            }
            Some(FtpCommand::Epsv) if line.starts_with(b"229 ") => {
                set = parser::epsv_reply(line).map(|p| (None, p, false))
            }
            _ => {}
        }
        let tx = &mut self.txs[i];
        if let Some((addr, port, active)) = set.filter(|s| s.1 != 0) {
            self.dyn_port = Some(port);
            self.dyn_addr = addr;
            self.active = active;
            tx.dyn_port = Some(port);
            tx.active = active;
        }
        if truncated {
            tx.events.set(FtpEvent::ResponseCommandTooLong as u32);
        }
        if !line.is_empty() && tx.replies.len() < MAX_REPLIES {
            tx.replies.push(line.to_vec());
        }
        if !parser::is_preliminary(line) {
            tx.done = true;
        }
    }
}

#[cfg(test)]
mod tests;
