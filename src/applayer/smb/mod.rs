//! SMB over TCP 139/445: NetBIOS session service records (direct TCP uses
//! the same 4-byte framing), SMB1 (AndX chains) and SMB2/3 (compounds
//! via NextCommand), in any pieces per direction. What rules and EVE use,
//! as Suricata 7's `rust/src/smb` keeps it:
//!
//! * one transaction per request/response pair (SMB1 by mid+pid and
//!   command, SMB2 by message id and command; an interim
//!   `STATUS_PENDING` answer does not complete it), with command, status,
//!   session and tree ids;
//! * a TREE_CONNECT's path is `smb.share`, or `smb.named_pipe` when the
//!   server says the tree is IPC (SMB1 service `IPC`, SMB2 share type
//!   pipe) — Suricata's `rs_smb_tx_get_share`/`_named_pipe`;
//! * a CREATE's name; READ/WRITE data of files (not pipes) per file, in
//!   file order whatever order the offsets come in, for `file.data`, one
//!   file transaction per file and direction;
//! * READ/WRITE/IOCTL(FSCTL_PIPE_TRANSCEIVE)/TRANS data of named pipes
//!   handed to a [`DcerpcState`] (`dce_iface`, `dce_opnum`,
//!   `dce_stub_data` on SMB flows).
//!
//! Bounded: records up to [`MAX_RECORD`] are buffered whole; a larger one
//! has its first [`RECORD_HEAD`] bytes parsed and, when it is a READ
//! response or WRITE request, its data streamed to the file without
//! buffering (else it is skipped: `record_overflow`). File data kept up to
//! [`MAX_FILE_DATA`] per file; [`MAX_TXS`] transactions, [`MAX_TABLE`]
//! trees/files/pending requests. Anomalies are [`SmbEvent`]s.

pub mod parser;

use std::collections::HashMap;

use super::dcerpc::{Carrier, DcerpcState};
use super::{Direction, EventSet};
use parser::{smb1_cmd, smb2_cmd};

/// Largest NBSS record buffered whole (a READ/WRITE of 64 KiB plus headers).
pub const MAX_RECORD: usize = 68 * 1024;
/// Bytes of a larger record parsed before its data is streamed.
pub const RECORD_HEAD: usize = 4096;
/// File data kept per file (like HTTP bodies).
pub const MAX_FILE_DATA: usize = 100 * 1024;
/// Out-of-order file chunks held per file waiting for the gap to fill.
pub const MAX_FILE_CHUNKS: usize = 64;
/// Transactions kept until the caller takes them.
pub const MAX_TXS: usize = 1024;
/// Entries per table (trees, open files, outstanding requests).
pub const MAX_TABLE: usize = 4096;
/// Compounded SMB2 messages / AndX commands followed in one record.
pub const MAX_CHAIN: usize = 32;
/// NT status of an interim response.
pub const STATUS_PENDING: u32 = 0x0000_0103;

app_events! {
    /// An SMB anomaly, named as Suricata 7's `smb-events.rules`.
    SmbEvent {
    /// Not raised (Suricata's internal parser errors).
    InternalError => "internal_error",
    /// A record or message that does not parse.
    MalformedData => "malformed_data",
    /// A record too large to buffer that is not file data.
    RecordOverflow => "record_overflow",
    /// Not raised (NTLMSSP is not decoded).
    MalformedNtlmsspRequest => "malformed_ntlmssp_request",
    /// Not raised (NTLMSSP is not decoded).
    MalformedNtlmsspResponse => "malformed_ntlmssp_response",
    /// A second NEGOTIATE request.
    DuplicateNegotiate => "duplicate_negotiate",
    /// Not raised (dialect lists are not decoded).
    NegotiateMalformedDialects => "negotiate_malformed_dialects",
    /// File data overlapping data already seen at that offset.
    FileOverlap => "file_overlap",
    /// A response travelling to the server.
    ResponseToServer => "response_to_server",
    /// A request travelling to the client.
    RequestToClient => "request_to_client",
    /// Not raised (no max size is configured).
    ReadRequestTooLarge => "read_request_too_large",
    /// Not raised (no max size is configured).
    ReadResponseTooLarge => "read_response_too_large",
    /// Not raised (no max size is configured).
    WriteRequestTooLarge => "write_request_too_large",
    /// Not raised (no max size is configured).
    NegotiateMaxReadSizeTooLarge => "negotiate_max_read_size_too_large",
    /// Not raised (no max size is configured).
    NegotiateMaxWriteSizeTooLarge => "negotiate_max_write_size_too_large",
    /// Out-of-order write chunks beyond what is held.
    WriteQueueSizeExceeded => "write_queue_size_exceeded",
    /// Out-of-order write chunks beyond what is held.
    WriteQueueCntExceeded => "write_queue_cnt_exceeded",
    /// Out-of-order read chunks beyond what is held.
    ReadQueueSizeExceeded => "read_queue_size_exceeded",
    /// Out-of-order read chunks beyond what is held.
    ReadQueueCntExceeded => "read_queue_cnt_exceeded",
    /// More untaken transactions than kept.
    TooManyTransactions => "too_many_transactions",
    }
}

/// A command of either dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// SMB1 command code.
    V1(u8),
    /// SMB2 command code.
    V2(u16),
}

impl Command {
    /// Suricata's EVE name (`SMB1_COMMAND_…`, `SMB2_COMMAND_…`).
    pub fn name(self) -> &'static str {
        match self {
            Command::V1(c) => parser::smb1_command_name(c),
            Command::V2(c) => parser::smb2_command_name(c),
        }
    }
}

/// A file id of either dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fid {
    /// SMB1 16-bit fid.
    V1(u16),
    /// SMB2 file id.
    V2(parser::FileId),
}

/// One SMB transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmbTx {
    /// Order of creation within the flow.
    pub id: u64,
    /// The command.
    pub command: Command,
    /// The response's NT status, once answered.
    pub status: Option<u32>,
    /// Session id (SMB1 uid) of the last message.
    pub session_id: u64,
    /// Tree id of the last message.
    pub tree_id: u32,
    /// The request side was seen (or is not expected).
    pub request_done: bool,
    /// The response side was seen (or is not expected).
    pub response_done: bool,
    /// TREE_CONNECT: the path; CREATE: the name.
    name: Option<Vec<u8>>,
    /// TREE_CONNECT: the server said the tree is IPC (named pipes).
    pub is_pipe: Option<bool>,
    /// A file transaction: index into [`SmbState::files`].
    pub file: Option<usize>,
    /// Events raised on it.
    pub events: EventSet,
}

impl SmbTx {
    /// `smb.share`: the path of a TREE_CONNECT to a share that is not
    /// IPC (known once the response arrived).
    pub fn share(&self) -> Option<&[u8]> {
        self.tree_path(false)
    }

    /// `smb.named_pipe`: the path of a TREE_CONNECT to the IPC tree.
    pub fn named_pipe(&self) -> Option<&[u8]> {
        self.tree_path(true)
    }

    fn tree_path(&self, pipe: bool) -> Option<&[u8]> {
        let tree = matches!(
            self.command,
            Command::V1(smb1_cmd::TREE_CONNECT_ANDX) | Command::V2(smb2_cmd::TREE_CONNECT)
        );
        (tree && self.is_pipe == Some(pipe))
            .then_some(self.name.as_deref())
            .flatten()
    }

    /// A CREATE's file or pipe name (EVE `filename`).
    pub fn filename(&self) -> Option<&[u8]> {
        match self.command {
            Command::V1(smb1_cmd::NT_CREATE_ANDX) | Command::V2(smb2_cmd::CREATE) => {
                self.name.as_deref()
            }
            _ => None,
        }
    }

    /// Whether `ev` was raised.
    pub fn has_event(&self, ev: SmbEvent) -> bool {
        self.events.has(ev as u32)
    }

    /// Both sides complete.
    pub fn complete(&self) -> bool {
        self.request_done && self.response_done
    }
}

/// A file read or written over the flow (not a named pipe).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmbFile {
    /// Its name from the CREATE (empty when the open was not seen).
    pub name: Vec<u8>,
    /// The path of its tree (EVE `share` of the file transaction).
    pub share: Vec<u8>,
    /// To server (WRITE) or to client (READ).
    pub dir: Direction,
    /// The file's bytes from offset 0 in file order, at most
    /// [`MAX_FILE_DATA`].
    data: Vec<u8>,
    /// Chunks past a gap: (offset, bytes).
    pending: Vec<(u64, Vec<u8>)>,
    /// Highest end offset seen.
    pub size: u64,
    /// Data past [`MAX_FILE_DATA`] (or a gap never filled) was not kept.
    pub truncated: bool,
    /// The file was closed.
    pub closed: bool,
}

impl SmbFile {
    /// `file.data`: the contiguous bytes from offset 0.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Adds `bytes` at `offset`; `true` when it overlapped data already
    /// seen with different bytes.
    fn add(&mut self, offset: u64, bytes: &[u8]) -> Result<bool, ()> {
        self.size = self.size.max(offset.saturating_add(bytes.len() as u64));
        let have = self.data.len() as u64;
        let mut overlap = false;
        if offset > have {
            if offset >= MAX_FILE_DATA as u64 {
                self.truncated = true;
                return Ok(false);
            }
            let keep = bytes.len().min(MAX_FILE_DATA - offset as usize);
            // A chunk right after the last one held extends it (a large
            // write streamed in pieces is one chunk, whatever the pieces).
            if let Some((o, b)) = self.pending.last_mut()
                && *o + b.len() as u64 == offset
            {
                b.extend_from_slice(&bytes[..keep]);
                return Ok(false);
            }
            if self.pending.len() >= MAX_FILE_CHUNKS {
                self.truncated = true;
                return Err(());
            }
            self.pending.push((offset, bytes[..keep].to_vec()));
            return Ok(false);
        }
        let skip = (have - offset) as usize;
        if skip > 0 {
            let old = &self.data[offset as usize..];
            let n = skip.min(bytes.len());
            overlap = old[..n] != bytes[..n];
        }
        if skip < bytes.len() {
            self.append(&bytes[skip..]);
        }
        // Chunks the new bytes reached.
        while let Some(i) = self
            .pending
            .iter()
            .position(|(o, _)| *o <= self.data.len() as u64)
        {
            let (o, b) = self.pending.swap_remove(i);
            let skip = (self.data.len() as u64 - o) as usize;
            if skip < b.len() {
                self.append(&b[skip..]);
            }
        }
        Ok(overlap)
    }

    fn append(&mut self, b: &[u8]) {
        let room = MAX_FILE_DATA - self.data.len();
        if b.len() > room {
            self.truncated = true;
        }
        self.data.extend_from_slice(&b[..b.len().min(room)]);
    }
}

/// Counters of one flow's SMB parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SmbStats {
    /// NBSS records parsed.
    pub records: u64,
    /// SMB1/SMB2 messages parsed.
    pub messages: u64,
    /// Encrypted (SMB3 transform) or compressed messages skipped.
    pub encrypted: u64,
    /// Messages that did not parse.
    pub malformed: u64,
    /// Transactions dropped because the caller did not take them.
    pub dropped_txs: u64,
    /// Table entries refused at [`MAX_TABLE`].
    pub table_full: u64,
    /// Sequence gaps met (TCP), each followed by a search for the next
    /// record.
    pub gaps: u64,
}

/// Request key: dialect, SMB1 (mid, pid) or SMB2 message id, command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    V1(u16, u16, u8),
    V2(u64, u16),
}

/// What an outstanding request waits for.
#[derive(Debug, Clone, Copy)]
enum Pending {
    /// The transaction with this id.
    Tx(u64),
    /// A READ of a file: its file and offset.
    Read { fid: Fid, offset: u64 },
    /// A response that is consumed without a transaction (file WRITEs).
    Swallow,
}

/// An open file or pipe.
#[derive(Debug, Clone)]
struct Open {
    name: Vec<u8>,
    pipe: bool,
    /// The tree's path.
    share: Vec<u8>,
    /// File per direction, index into `files`.
    file: [Option<usize>; 2],
}

/// Streaming the data of a large record.
#[derive(Debug, Clone, Copy)]
struct Stream {
    fid: Fid,
    offset: u64,
    left: usize,
    /// Record bytes after the data.
    after: usize,
}

#[derive(Debug, Default)]
struct Side {
    /// Unfinished record, NBSS header included.
    buf: Vec<u8>,
    /// Bytes of the current record still to skip.
    skip: usize,
    stream: Option<Stream>,
    /// A sequence gap was met: the next data is searched for the start
    /// of a record (`buf` then holds the last bytes searched).
    gap: bool,
    /// A search since the gap found nothing: the next one waits for 8
    /// bytes (Suricata's `AppLayerResult::incomplete(len - 3, 8)`).
    searched: bool,
}

/// SMB state of one flow.
#[derive(Debug)]
pub struct SmbState {
    sides: [Side; 2],
    txs: Vec<SmbTx>,
    next_tx: u64,
    pending: HashMap<Key, Pending>,
    /// Tree id → (the tree is IPC, its path).
    trees: HashMap<u32, (bool, Vec<u8>)>,
    opens: HashMap<Fid, Open>,
    files: Vec<SmbFile>,
    dcerpc: DcerpcState,
    negotiated: bool,
    /// Every event raised on the flow.
    pub events: EventSet,
    stats: SmbStats,
}

impl Default for SmbState {
    fn default() -> Self {
        Self::new()
    }
}

impl SmbState {
    /// A fresh state.
    pub fn new() -> Self {
        SmbState {
            sides: [Side::default(), Side::default()],
            txs: Vec::new(),
            next_tx: 0,
            pending: HashMap::new(),
            trees: HashMap::new(),
            opens: HashMap::new(),
            files: Vec::new(),
            dcerpc: DcerpcState::new(Carrier::Smb),
            negotiated: false,
            events: EventSet::default(),
            stats: SmbStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> SmbStats {
        self.stats
    }

    /// Transactions held (oldest first).
    pub fn txs(&self) -> &[SmbTx] {
        &self.txs
    }

    /// Removes and returns the transactions whose both sides are complete.
    pub fn take_complete(&mut self) -> Vec<SmbTx> {
        let (done, open): (Vec<_>, Vec<_>) = std::mem::take(&mut self.txs)
            .into_iter()
            .partition(|t| t.complete());
        self.txs = open;
        done
    }

    /// Removes the transactions whose ids are in `ids` (the caller is done
    /// with them; files stay, a later file transaction may index them).
    pub fn remove_txs(&mut self, ids: &[u64]) {
        self.txs.retain(|t| !ids.contains(&t.id));
    }

    /// Files seen (`file.data` per file; a file transaction's `file`
    /// indexes this).
    pub fn files(&self) -> &[SmbFile] {
        &self.files
    }

    /// DCE/RPC carried over the flow's named pipes (`dce_*` keywords).
    pub fn dcerpc(&self) -> &DcerpcState {
        &self.dcerpc
    }

    /// Mutable access to the pipes' DCE/RPC state (to take its
    /// transactions).
    pub fn dcerpc_mut(&mut self) -> &mut DcerpcState {
        &mut self.dcerpc
    }

    /// Whether `ev` was raised on the flow.
    pub fn has_event(&self, ev: SmbEvent) -> bool {
        self.events.has(ev as u32)
    }

    /// The flow ended: open transactions and files are complete.
    pub fn close(&mut self) {
        for t in &mut self.txs {
            t.request_done = true;
            t.response_done = true;
        }
        for f in &mut self.files {
            f.closed = true;
        }
    }

    fn event(&mut self, ev: SmbEvent) {
        self.events.set(ev as u32);
        if let Some(t) = self.txs.last_mut() {
            t.events.set(ev as u32);
        }
    }

    /// TCP: `len` bytes of `dir` were lost (a sequence gap), as Suricata
    /// 7.0.10's SMB parser, which accepts gaps, takes them
    /// (`parse_tcp_data_ts_gap`/`_tc_gap`): they are taken first from the
    /// record being skipped, then from the file data in progress (which
    /// gets a hole); the unfinished record is dropped and the next data is
    /// searched for the start of an SMB record before parsing goes on
    /// ([`record_after_gap`]).
    pub fn gap(&mut self, dir: Direction, len: usize) {
        let side = &mut self.sides[dir.index()];
        let mut left = len;
        while left > 0 {
            if side.skip > 0 {
                let n = side.skip.min(left);
                side.skip -= n;
                left -= n;
            } else if let Some(mut st) = side.stream {
                let n = st.left.min(left);
                st.left -= n;
                st.offset += n as u64;
                left -= n;
                if st.left == 0 {
                    side.skip = st.after;
                    side.stream = None;
                } else {
                    side.stream = Some(st);
                }
            } else {
                break;
            }
        }
        side.buf.clear();
        side.gap = true;
        side.searched = false;
        self.stats.gaps += 1;
    }

    /// Parses the next reassembled bytes of one direction.
    pub fn parse(&mut self, dir: Direction, mut data: &[u8]) {
        let d = dir.index();
        while !data.is_empty() {
            let side = &mut self.sides[d];
            if side.skip > 0 {
                let n = side.skip.min(data.len());
                side.skip -= n;
                data = &data[n..];
                continue;
            }
            if let Some(mut st) = side.stream {
                let n = st.left.min(data.len());
                let chunk = &data[..n];
                data = &data[n..];
                st.left -= n;
                let off = st.offset;
                st.offset += n as u64;
                if st.left == 0 {
                    side.skip = st.after;
                    side.stream = None;
                } else {
                    side.stream = Some(st);
                }
                self.file_data(dir, st.fid, off, chunk);
                continue;
            }
            if side.gap {
                // The bytes kept from the last search come first.
                let kept = std::mem::take(&mut side.buf);
                if side.searched && kept.len() + data.len() < 8 {
                    side.buf = kept;
                    side.buf.extend_from_slice(data);
                    return;
                }
                let joined;
                let hay: &[u8] = if kept.is_empty() {
                    data
                } else {
                    joined = [kept.as_slice(), data].concat();
                    &joined
                };
                match record_after_gap(hay) {
                    Some(at) => {
                        side.gap = false;
                        if at < kept.len() {
                            side.buf.extend_from_slice(&kept[at..]);
                        } else {
                            data = &data[at - kept.len()..];
                        }
                        continue;
                    }
                    None => {
                        // Suricata consumes all but the last 3 bytes (all
                        // of them when fewer than 4 were searched).
                        side.searched = true;
                        let keep = if hay.len() < 4 { hay.len() } else { 3 };
                        side.buf.extend_from_slice(&hay[hay.len() - keep..]);
                        return;
                    }
                }
            }
            // Whole small records straight from the input.
            if side.buf.is_empty()
                && let Some((t, len)) = parser::nbss(data)
                && len <= MAX_RECORD
                && data.len() >= 4 + len
            {
                let rec = &data[4..4 + len];
                data = &data[4 + len..];
                self.record(dir, t, rec);
                continue;
            }
            if side.buf.len() < 4 {
                let n = (4 - side.buf.len()).min(data.len());
                side.buf.extend_from_slice(&data[..n]);
                data = &data[n..];
                if side.buf.len() < 4 {
                    return;
                }
            }
            let Some((t, len)) = parser::nbss(&side.buf) else {
                return;
            };
            let want = 4 + if len <= MAX_RECORD { len } else { RECORD_HEAD };
            let n = (want - side.buf.len()).min(data.len());
            side.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
            if side.buf.len() < want {
                return;
            }
            let buf = std::mem::take(&mut side.buf);
            if len <= MAX_RECORD {
                self.record(dir, t, &buf[4..]);
            } else {
                self.big_record(dir, t, &buf[4..], len);
            }
            self.sides[d].buf = buf;
            self.sides[d].buf.clear();
        }
    }

    /// One whole NBSS record body.
    fn record(&mut self, dir: Direction, t: u8, rec: &[u8]) {
        self.stats.records += 1;
        if t != parser::NBSS_SESSION_MESSAGE || rec.is_empty() {
            return;
        }
        match rec.get(..4) {
            Some(b"\xffSMB") => self.smb1(dir, rec),
            Some(b"\xfeSMB") => {
                let mut off = 0usize;
                for _ in 0..MAX_CHAIN {
                    let Some(msg) = rec.get(off..) else { break };
                    let Some(h) = parser::smb2_header(msg) else {
                        self.malformed();
                        break;
                    };
                    let next = h.next_command as usize;
                    let msg = if next > 0 {
                        msg.get(..next).unwrap_or(msg)
                    } else {
                        msg
                    };
                    self.smb2(dir, h, msg, msg.len());
                    if next == 0 {
                        break;
                    }
                    off += next;
                }
            }
            Some(b"\xfdSMB") | Some(b"\xfcSMB") => self.stats.encrypted += 1,
            _ => self.malformed(),
        }
    }

    /// The head of a record larger than [`MAX_RECORD`]: stream its file
    /// data, or skip it.
    fn big_record(&mut self, dir: Direction, t: u8, head: &[u8], len: usize) {
        let d = dir.index();
        let rest = len - head.len();
        self.sides[d].skip = rest;
        if t != parser::NBSS_SESSION_MESSAGE {
            return;
        }
        self.stats.records += 1;
        // (fid, file offset, data start in the message, data length)
        let found = match head.get(..4) {
            Some(b"\xffSMB") => self.big_smb1(dir, head),
            Some(b"\xfeSMB") => self.big_smb2(dir, head),
            _ => None,
        };
        let Some((fid, offset, start, dlen)) = found else {
            self.event(SmbEvent::RecordOverflow);
            return;
        };
        let in_head = head.len().saturating_sub(start).min(dlen);
        if let Some(b) = head.get(start..start + in_head) {
            self.file_data(dir, fid, offset, b);
        }
        let left = (dlen - in_head).min(rest);
        if left > 0 && start + in_head == head.len() {
            self.sides[d].stream = Some(Stream {
                fid,
                offset: offset + in_head as u64,
                left,
                after: rest - left,
            });
            self.sides[d].skip = 0;
        }
    }

    fn big_smb1(&mut self, dir: Direction, head: &[u8]) -> Option<(Fid, u64, usize, usize)> {
        let h = parser::smb1_header(head)?;
        let b = parser::smb1_block(head, parser::SMB1_HEADER_LEN)?;
        match (dir, h.command) {
            (Direction::ToServer, smb1_cmd::WRITE_ANDX) => {
                let (fid, off, data, len) = parser::smb1_write(head, &b)?;
                let start = data.as_ptr() as usize - head.as_ptr() as usize;
                self.swallow(Key::V1(h.mid, h.pid, h.command));
                Some((Fid::V1(fid), off, start, len))
            }
            (Direction::ToClient, smb1_cmd::READ_ANDX) => {
                let (data, len) = parser::smb1_read_response(head, &b)?;
                let start = data.as_ptr() as usize - head.as_ptr() as usize;
                match self.pending.remove(&Key::V1(h.mid, h.pid, h.command))? {
                    Pending::Read { fid, offset, .. } => Some((fid, offset, start, len)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn big_smb2(&mut self, dir: Direction, head: &[u8]) -> Option<(Fid, u64, usize, usize)> {
        let h = parser::smb2_header(head)?;
        match (dir, h.command) {
            (Direction::ToServer, smb2_cmd::WRITE) => {
                let (fid, off, data, len) = parser::smb2_write(head)?;
                let start = data.as_ptr() as usize - head.as_ptr() as usize;
                self.swallow(Key::V2(h.message_id, h.command));
                Some((Fid::V2(fid), off, start, len))
            }
            (Direction::ToClient, smb2_cmd::READ) => {
                let (data, len) = parser::smb2_read_response(head)?;
                let start = data.as_ptr() as usize - head.as_ptr() as usize;
                match self.pending.remove(&Key::V2(h.message_id, h.command))? {
                    Pending::Read { fid, offset, .. } => Some((fid, offset, start, len)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn malformed(&mut self) {
        self.stats.malformed += 1;
        self.event(SmbEvent::MalformedData);
    }

    fn pend(&mut self, k: Key, p: Pending) {
        if self.pending.len() >= MAX_TABLE && !self.pending.contains_key(&k) {
            self.stats.table_full += 1;
            return;
        }
        self.pending.insert(k, p);
    }

    fn swallow(&mut self, k: Key) {
        self.pend(k, Pending::Swallow);
    }

    fn new_tx(&mut self, command: Command, key: Option<Key>) -> usize {
        if self.txs.len() >= MAX_TXS {
            self.txs.remove(0);
            self.stats.dropped_txs += 1;
            self.event(SmbEvent::TooManyTransactions);
        }
        let id = self.next_tx;
        self.next_tx += 1;
        self.txs.push(SmbTx {
            id,
            command,
            status: None,
            session_id: 0,
            tree_id: 0,
            request_done: false,
            response_done: false,
            name: None,
            is_pipe: None,
            file: None,
            events: EventSet::default(),
        });
        if let Some(k) = key {
            self.pend(k, Pending::Tx(id));
        }
        self.txs.len() - 1
    }

    fn tx_index(&self, id: u64) -> Option<usize> {
        self.txs.iter().position(|t| t.id == id)
    }

    /// The transaction a request opens.
    fn request_tx(&mut self, command: Command, key: Key, session: u64, tree: u32) -> usize {
        let i = self.new_tx(command, Some(key));
        let t = &mut self.txs[i];
        t.request_done = true;
        t.session_id = session;
        t.tree_id = tree;
        i
    }

    /// The transaction a response answers (a new one when none waits).
    fn response_tx(
        &mut self,
        command: Command,
        key: Key,
        status: u32,
        session: u64,
        tree: u32,
    ) -> Option<usize> {
        let i = match self.pending.get(&key).copied() {
            Some(Pending::Tx(id)) => match self.tx_index(id) {
                Some(i) => i,
                None => {
                    self.pending.remove(&key);
                    return None;
                }
            },
            Some(Pending::Swallow) | Some(Pending::Read { .. }) => return None,
            None => {
                let i = self.new_tx(command, None);
                self.txs[i].request_done = true;
                i
            }
        };
        let t = &mut self.txs[i];
        t.status = Some(status);
        t.session_id = session;
        t.tree_id = tree;
        if status != STATUS_PENDING {
            t.response_done = true;
            self.pending.remove(&key);
        }
        Some(i)
    }

    /// Bytes of a file or pipe read or written.
    fn file_data(&mut self, dir: Direction, fid: Fid, offset: u64, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let Some(open) = self.opens.get(&fid) else {
            // An open not seen (the capture started later): decided once,
            // by its first bytes, a pipe (DCE/RPC version 5) or a file
            // without a name.
            if self.opens.len() >= MAX_TABLE {
                self.stats.table_full += 1;
                return;
            }
            self.opens.insert(
                fid,
                Open {
                    name: Vec::new(),
                    pipe: bytes[0] == 5,
                    share: Vec::new(),
                    file: [None, None],
                },
            );
            return self.file_data(dir, fid, offset, bytes);
        };
        if open.pipe {
            self.dcerpc.parse(dir, bytes);
            return;
        }
        let d = dir.index();
        let fi = match open.file[d] {
            Some(fi) => fi,
            None => {
                let name = open.name.clone();
                let share = open.share.clone();
                let fi = self.files.len();
                self.files.push(SmbFile {
                    name,
                    share,
                    dir,
                    data: Vec::new(),
                    pending: Vec::new(),
                    size: 0,
                    truncated: false,
                    closed: false,
                });
                if let Some(o) = self.opens.get_mut(&fid) {
                    o.file[d] = Some(fi);
                }
                let cmd = match (fid, dir) {
                    (Fid::V1(_), Direction::ToServer) => Command::V1(smb1_cmd::WRITE_ANDX),
                    (Fid::V1(_), Direction::ToClient) => Command::V1(smb1_cmd::READ_ANDX),
                    (Fid::V2(_), Direction::ToServer) => Command::V2(smb2_cmd::WRITE),
                    (Fid::V2(_), Direction::ToClient) => Command::V2(smb2_cmd::READ),
                };
                let i = self.new_tx(cmd, None);
                let t = &mut self.txs[i];
                t.file = Some(fi);
                t.request_done = true;
                fi
            }
        };
        match self.files[fi].add(offset, bytes) {
            Ok(true) => self.event(SmbEvent::FileOverlap),
            Ok(false) => {}
            Err(()) => self.event(match dir {
                Direction::ToServer => SmbEvent::WriteQueueCntExceeded,
                Direction::ToClient => SmbEvent::ReadQueueCntExceeded,
            }),
        }
    }

    /// A CLOSE of `fid`: its files and file transactions are complete.
    fn closed(&mut self, fid: Fid) {
        let Some(open) = self.opens.remove(&fid) else {
            return;
        };
        for fi in open.file.into_iter().flatten() {
            self.files[fi].closed = true;
            for t in self.txs.iter_mut().filter(|t| t.file == Some(fi)) {
                t.response_done = true;
            }
        }
    }

    fn opened(&mut self, fid: Fid, name: Vec<u8>, tree: u32) {
        if self.opens.len() >= MAX_TABLE && !self.opens.contains_key(&fid) {
            self.stats.table_full += 1;
            return;
        }
        let (pipe, share) = self.trees.get(&tree).cloned().unwrap_or_default();
        self.opens.insert(
            fid,
            Open {
                name,
                pipe,
                share,
                file: [None, None],
            },
        );
    }

    fn tree(&mut self, tid: u32, pipe: bool, path: Vec<u8>) {
        if self.trees.len() >= MAX_TABLE && !self.trees.contains_key(&tid) {
            self.stats.table_full += 1;
            return;
        }
        self.trees.insert(tid, (pipe, path));
    }

    /// The key of an unanswered SMB1 NEGOTIATE.
    fn smb1_negotiate_pending(&self) -> Option<Key> {
        self.pending
            .keys()
            .find(|k| matches!(k, Key::V1(_, _, smb1_cmd::NEGOTIATE)))
            .copied()
    }

    /// Whether `dir` is wrong for a message; raises the event.
    fn wrong_way(&mut self, dir: Direction, response: bool) -> bool {
        match (dir, response) {
            (Direction::ToServer, true) => self.event(SmbEvent::ResponseToServer),
            (Direction::ToClient, false) => self.event(SmbEvent::RequestToClient),
            _ => return false,
        }
        true
    }

    /// One SMB1 message and its AndX chain.
    fn smb1(&mut self, dir: Direction, msg: &[u8]) {
        let Some(h) = parser::smb1_header(msg) else {
            return self.malformed();
        };
        self.stats.messages += 1;
        if self.wrong_way(dir, h.is_reply()) {
            return;
        }
        let mut cmd = h.command;
        let mut off = parser::SMB1_HEADER_LEN;
        for _ in 0..MAX_CHAIN {
            let Some(b) = parser::smb1_block(msg, off) else {
                // An error response may carry no block at all.
                if !(h.is_reply() && h.status != 0) {
                    self.malformed();
                }
                self.smb1_command(dir, &h, cmd, msg, None);
                return;
            };
            self.smb1_command(dir, &h, cmd, msg, Some(&b));
            let andx = matches!(
                cmd,
                smb1_cmd::SESSION_SETUP_ANDX
                    | smb1_cmd::TREE_CONNECT_ANDX
                    | smb1_cmd::NT_CREATE_ANDX
                    | smb1_cmd::READ_ANDX
                    | smb1_cmd::WRITE_ANDX
                    | 0x24
                    | 0x2d
                    | 0x74
            );
            if !andx {
                return;
            }
            match parser::smb1_andx(b.words) {
                Some((next, next_off)) if next != smb1_cmd::NO_ANDX && next_off > off => {
                    cmd = next;
                    off = next_off;
                }
                _ => return,
            }
        }
    }

    fn smb1_command(
        &mut self,
        dir: Direction,
        h: &parser::Smb1Header,
        cmd: u8,
        msg: &[u8],
        b: Option<&parser::Smb1Block>,
    ) {
        let key = Key::V1(h.mid, h.pid, cmd);
        let session = h.uid as u64;
        let tree = h.tid as u32;
        let command = Command::V1(cmd);
        if dir == Direction::ToServer {
            match (cmd, b) {
                (smb1_cmd::WRITE_ANDX, Some(b)) => {
                    if let Some((fid, off, data, _)) = parser::smb1_write(msg, b) {
                        let fid = Fid::V1(fid);
                        if self.opens.get(&fid).is_some_and(|o| o.pipe) {
                            self.request_tx(command, key, session, tree);
                        } else {
                            self.swallow(key);
                        }
                        self.file_data(dir, fid, off, data);
                        return;
                    }
                }
                (smb1_cmd::READ_ANDX, Some(b)) => {
                    // No transaction of its own (Suricata's
                    // `smb1_create_new_tx`): the file's, or the pipe's
                    // DCE/RPC call, stands for it.
                    if let Some((fid, offset)) = parser::smb1_read_request(b) {
                        let fid = Fid::V1(fid);
                        self.pend(key, Pending::Read { fid, offset });
                        return;
                    }
                }
                (smb1_cmd::CLOSE, Some(b)) => {
                    if let Some(fid) = b.words.get(..2) {
                        self.closed(Fid::V1(u16::from_le_bytes([fid[0], fid[1]])));
                    }
                }
                (smb1_cmd::TRANS, Some(b)) => {
                    if let Some((fid, data)) = parser::smb1_trans_pipe_request(msg, b) {
                        self.request_tx(command, key, session, tree);
                        self.file_data(dir, Fid::V1(fid), 0, data);
                        return;
                    }
                }
                (smb1_cmd::NEGOTIATE, _) => {
                    if self.negotiated {
                        self.event(SmbEvent::DuplicateNegotiate);
                    }
                    self.negotiated = true;
                }
                _ => {}
            }
            let i = self.request_tx(command, key, session, tree);
            match (cmd, b) {
                (smb1_cmd::TREE_CONNECT_ANDX, Some(b)) => {
                    // Suricata keeps an SMB1 path without its first byte
                    // (`\\host\share` becomes `\host\share`).
                    self.txs[i].name = parser::smb1_tree_connect_path(msg, h, b)
                        .map(|p| if p.len() > 1 { p[1..].to_vec() } else { p });
                }
                (smb1_cmd::NT_CREATE_ANDX, Some(b)) => {
                    self.txs[i].name = parser::smb1_create_name(msg, h, b);
                }
                _ => {}
            }
            return;
        }
        // Responses.
        if let (smb1_cmd::READ_ANDX, Some(b)) = (cmd, b)
            && let Some(Pending::Read { fid, offset }) = self.pending.get(&key).copied()
        {
            self.pending.remove(&key);
            if h.status == 0
                && let Some((data, _)) = parser::smb1_read_response(msg, b)
            {
                self.file_data(dir, fid, offset, data);
            }
            return;
        }
        let Some(i) = self.response_tx(command, key, h.status, session, tree) else {
            return;
        };
        let Some(b) = b else { return };
        match cmd {
            smb1_cmd::TREE_CONNECT_ANDX if h.status == 0 => {
                let service = parser::smb1_tree_connect_service(b);
                let pipe = service.starts_with(b"IPC");
                self.txs[i].is_pipe = Some(pipe);
                let path = self.txs[i].name.clone().unwrap_or_default();
                self.tree(tree, pipe, path);
            }
            smb1_cmd::NT_CREATE_ANDX if h.status == 0 => {
                if let Some(fid) = parser::smb1_create_fid(b) {
                    let name = self.txs[i].name.clone().unwrap_or_default();
                    self.opened(Fid::V1(fid), name, tree);
                }
            }
            smb1_cmd::TRANS if h.status == 0 => {
                if let Some(data) = parser::smb1_trans_response(msg, b)
                    && !data.is_empty()
                {
                    self.dcerpc.parse(dir, data);
                }
            }
            _ => {}
        }
    }

    /// One SMB2 message (`msg` ends where the next compounded one starts).
    fn smb2(&mut self, dir: Direction, h: parser::Smb2Header, msg: &[u8], _len: usize) {
        self.stats.messages += 1;
        if self.wrong_way(dir, h.is_response()) {
            return;
        }
        let key = Key::V2(h.message_id, h.command);
        let command = Command::V2(h.command);
        if dir == Direction::ToServer {
            match h.command {
                smb2_cmd::WRITE => {
                    if let Some((fid, off, data, _)) = parser::smb2_write(msg) {
                        let fid = Fid::V2(fid);
                        if self.opens.get(&fid).is_some_and(|o| o.pipe) {
                            self.request_tx(command, key, h.session_id, h.tree_id);
                        } else {
                            self.swallow(key);
                        }
                        self.file_data(dir, fid, off, data);
                        return;
                    }
                    return self.malformed();
                }
                smb2_cmd::READ => {
                    // No transaction of its own (Suricata's
                    // `smb2_create_new_tx`).
                    if let Some((fid, offset)) = parser::smb2_read_request(msg) {
                        let fid = Fid::V2(fid);
                        self.pend(key, Pending::Read { fid, offset });
                        return;
                    }
                    return self.malformed();
                }
                smb2_cmd::GET_INFO | smb2_cmd::SET_INFO => return self.swallow(key),
                smb2_cmd::IOCTL => {
                    if let Some((code, fid, data)) = parser::smb2_ioctl(msg, false)
                        && code == parser::FSCTL_PIPE_TRANSCEIVE
                        && !data.is_empty()
                    {
                        self.dcerpc.parse(dir, data);
                        let _ = fid;
                    }
                }
                smb2_cmd::CLOSE => {
                    if let Some(fid) = msg.get(64 + 8..64 + 24) {
                        let mut f = [0u8; 16];
                        f.copy_from_slice(fid);
                        self.closed(Fid::V2(f));
                    }
                }
                smb2_cmd::NEGOTIATE => {
                    if self.negotiated {
                        self.event(SmbEvent::DuplicateNegotiate);
                    }
                    self.negotiated = true;
                }
                _ => {}
            }
            let i = self.request_tx(command, key, h.session_id, h.tree_id);
            match h.command {
                smb2_cmd::TREE_CONNECT => self.txs[i].name = parser::smb2_tree_connect_path(msg),
                smb2_cmd::CREATE => self.txs[i].name = parser::smb2_create_name(msg),
                _ => {}
            }
            return;
        }
        if h.command == smb2_cmd::READ
            && let Some(Pending::Read { fid, offset }) = self.pending.get(&key).copied()
        {
            if h.status == STATUS_PENDING {
                return;
            }
            self.pending.remove(&key);
            if h.status == 0
                && let Some((data, _)) = parser::smb2_read_response(msg)
            {
                self.file_data(dir, fid, offset, data);
            }
            return;
        }
        // An SMB1 NEGOTIATE offering SMB2 dialects is answered in SMB2.
        let (command, key) = match self.smb1_negotiate_pending() {
            Some(k) if h.command == smb2_cmd::NEGOTIATE && !self.pending.contains_key(&key) => {
                (Command::V1(smb1_cmd::NEGOTIATE), k)
            }
            _ => (command, key),
        };
        let Some(i) = self.response_tx(command, key, h.status, h.session_id, h.tree_id) else {
            return;
        };
        if h.status != 0 {
            return;
        }
        match h.command {
            smb2_cmd::TREE_CONNECT => {
                let pipe = parser::smb2_share_type(msg) == Some(2);
                self.txs[i].is_pipe = Some(pipe);
                let path = self.txs[i].name.clone().unwrap_or_default();
                self.tree(h.tree_id, pipe, path);
            }
            smb2_cmd::CREATE => {
                if let Some(fid) = parser::smb2_create_file_id(msg) {
                    let name = self.txs[i].name.clone().unwrap_or_default();
                    let tree = self.txs[i].tree_id;
                    self.opened(Fid::V2(fid), name, tree);
                }
            }
            smb2_cmd::IOCTL => {
                if let Some((code, _, data)) = parser::smb2_ioctl(msg, true)
                    && code == parser::FSCTL_PIPE_TRANSCEIVE
                    && !data.is_empty()
                {
                    self.dcerpc.parse(dir, data);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;

/// Where an SMB record (its NBSS header) starts in data that follows a
/// sequence gap, as Suricata 7.0.10 finds it (`search_smb_record`, then
/// its caller in `parse_tcp_data_ts`): the first `SMB` preceded by 0xfe,
/// 0xff or 0xfd, itself preceded by an NBSS session-message type 4 bytes
/// earlier when there is room; an `SMB` right at the start of what is left
/// to search ends the search (Suricata's `smb_basic_search` answers 0 for
/// it as for "not found"); a marker less than 4 bytes into the data has
/// no room for its NBSS header and is passed over.
fn record_after_gap(data: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        // `search_smb_record` over `data[from..]`.
        let mut d = from;
        let marker = loop {
            if data.len() - d < 4 {
                return None;
            }
            let index = data[d..].windows(3).position(|w| w == b"SMB").unwrap_or(0);
            if index == 0 {
                return None;
            }
            let m = data[d + index - 1];
            if matches!(m, 0xfd..=0xff)
                && (index < 5 || data[d + index - 5] == parser::NBSS_SESSION_MESSAGE)
            {
                break d + index - 1;
            }
            d += index + 3;
        };
        if marker - from < 4 {
            from = marker + 4;
            continue;
        }
        return Some(marker - 4);
    }
}
