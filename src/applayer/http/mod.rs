//! HTTP/1.x: requests and responses parsed incrementally from the two
//! reassembled directions of a flow into transactions (one request and its
//! response), as libhtp 0.5 does for Suricata 7.
//!
//! * pipelining: requests queue up; each response answers the oldest
//!   request without one; a response with no request left is its own
//!   transaction with `unable_to_match_response_to_request`;
//! * 1xx responses are interim (100 Continue then the real response);
//!   2xx to CONNECT and 101 switch both directions to a tunnel (no more
//!   parsing);
//! * bodies: Content-Length, chunked (any split, trailers), until close;
//!   responses decompressed (gzip, deflate) through [`body::Decoder`];
//!   each body kept up to its configured limit (`http.request_body`,
//!   `http.response_body`/`file.data`), the rest counted;
//! * bounded: a line over `field_limit` stops the direction, at most
//!   `max_headers` headers per message, `max_txs` transactions queued,
//!   decompression stops at `decompress_limit`.
//!
//! Every anomaly is an [`HttpEvent`] on its transaction.

pub mod body;
pub mod events;
pub mod tx;
pub mod uri;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use memchr::memchr;

use super::Direction;
use body::{Coding, Decoder};
pub use events::HttpEvent;
pub use tx::{Header, HttpTx, Progress};

/// libhtp's `HTTP09_MAX_JUNK_LEN`: more bytes than this after a request
/// line without protocol make it a request with headers.
const HTTP09_MAX_JUNK_LEN: usize = 16;

/// Limits; defaults follow Suricata 7's stock `suricata.yaml` and libhtp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpConfig {
    /// Request body bytes kept per transaction (`request-body-limit`, 100 KiB).
    pub request_body_limit: usize,
    /// Response body bytes kept, after decompression (`response-body-limit`, 100 KiB).
    pub response_body_limit: usize,
    /// Longest request/status line or header line (libhtp's hard field
    /// limit, 18000 bytes).
    pub field_limit: usize,
    /// Headers per message.
    pub max_headers: usize,
    /// Transactions queued per flow before the oldest complete one is dropped.
    pub max_txs: usize,
    /// Decompressed bytes produced per body before stopping (libhtp's
    /// compression bomb limit, 1 MiB).
    pub decompress_limit: u64,
    /// Output/input ratio over which that stop is a bomb (libhtp: 2048).
    pub bomb_ratio: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            request_body_limit: 100 * 1024,
            response_body_limit: 100 * 1024,
            field_limit: 18000,
            max_headers: 1024,
            max_txs: 512,
            decompress_limit: 1 << 20,
            bomb_ratio: 2048,
        }
    }
}

/// How the current body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Content-Length: bytes left.
    Length(u64),
    /// Waiting for a chunk-size line.
    ChunkSize,
    /// Inside a chunk: bytes left.
    ChunkData(u64),
    /// The CRLF after a chunk's data.
    ChunkEnd,
    /// Trailer lines after the last chunk.
    Trailers,
    /// Everything until the connection closes.
    UntilClose,
}

/// Where one direction's parser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Expecting a request or status line.
    Line,
    /// Reading header lines.
    Headers,
    /// Reading a body.
    Body(Framing),
    /// Request side, after a request: libhtp's `REQ_FINALIZE`, which reads
    /// the next line of the same data and takes it as more body (with
    /// `request_body_unexpected`) unless it starts with a known method.
    Finalize,
    /// CONNECT/upgrade succeeded, or the direction broke: nothing parsed.
    Stopped,
}

/// One direction's parser.
#[derive(Debug)]
struct Side {
    phase: Phase,
    /// Bytes of an unfinished line (bounded by the field limit).
    pending: Vec<u8>,
    /// Id of the transaction this side fills.
    tx: Option<u64>,
    /// The response decompressor of the current body.
    decoder: Option<Decoder>,
    /// Response side: holding a status line until its request arrives.
    waiting: bool,
    /// After a sequence gap: lines are skipped until one starts a message
    /// (a known method, a status line).
    resync: bool,
    /// Response side, after a gap where a response was to start: the first
    /// skipped line ends the waiting request's response.
    resync_ends: bool,
}

impl Side {
    fn new() -> Self {
        Side {
            phase: Phase::Line,
            pending: Vec::new(),
            tx: None,
            decoder: None,
            waiting: false,
            resync: false,
            resync_ends: false,
        }
    }
}

/// Counters of one flow's HTTP parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HttpStats {
    /// Requests seen.
    pub requests: u64,
    /// Responses seen (interim ones excluded).
    pub responses: u64,
    /// Body bytes past the kept limit (both directions).
    pub body_bytes_dropped: u64,
    /// Transactions dropped from a full queue.
    pub dropped_txs: u64,
}

/// HTTP state of one flow.
#[derive(Debug)]
pub struct HttpState {
    cfg: HttpConfig,
    sides: [Side; 2],
    txs: VecDeque<HttpTx>,
    /// Id of `txs[0]`.
    base: u64,
    /// Id the next response answers.
    next_response: u64,
    stats: HttpStats,
    /// Messages completed per direction (requests, responses).
    completed: [u64; 2],
    /// The last request completed (what `Phase::Finalize` extends).
    last_request: Option<u64>,
}

/// Result of reading one line from the input.
enum Line<'a> {
    /// A whole line, without its terminator, and the bytes consumed.
    Full(&'a [u8], usize),
    /// No terminator yet.
    Partial,
}

impl HttpState {
    /// A fresh state.
    pub fn new(cfg: HttpConfig) -> Self {
        HttpState {
            cfg,
            sides: [Side::new(), Side::new()],
            txs: VecDeque::new(),
            base: 0,
            next_response: 0,
            stats: HttpStats::default(),
            completed: [0; 2],
            last_request: None,
        }
    }

    /// Messages of `dir` parsed to their end (requests to the server,
    /// responses to the client).
    pub fn completed(&self, dir: Direction) -> u64 {
        self.completed[dir.index()]
    }

    /// Counters.
    pub fn stats(&self) -> HttpStats {
        self.stats
    }

    /// The transactions still held, oldest first (complete or in progress).
    pub fn txs(&self) -> impl Iterator<Item = &HttpTx> {
        self.txs.iter()
    }

    /// A transaction by id.
    pub fn tx(&self, id: u64) -> Option<&HttpTx> {
        id.checked_sub(self.base)
            .and_then(|i| self.txs.get(i as usize))
    }

    /// Removes and returns the oldest transactions whose request and
    /// response are both complete (call after inspecting them).
    pub fn take_complete(&mut self) -> Vec<HttpTx> {
        self.take_complete_if(|_| true)
    }

    /// As [`take_complete`](Self::take_complete), stopping at the first
    /// transaction `done` says is still needed (not inspected yet).
    pub fn take_complete_if(&mut self, done: impl Fn(&HttpTx) -> bool) -> Vec<HttpTx> {
        let mut out = Vec::new();
        while let Some(t) = self.txs.front() {
            let busy = self.sides.iter().any(|s| s.tx == Some(t.id));
            if t.request_progress != Progress::Complete
                || t.response_progress != Progress::Complete
                || busy
                || !done(t)
            {
                break;
            }
            if let Some(t) = self.txs.pop_front() {
                self.base += 1;
                out.push(t);
            }
        }
        out
    }

    /// Parses the next reassembled bytes of one direction.
    pub fn parse(&mut self, dir: Direction, data: &[u8]) {
        self.parse_dir(dir, data);
        if dir == Direction::ToServer && self.sides[1].waiting {
            self.sides[1].waiting = false;
            self.parse_dir(Direction::ToClient, &[]);
        }
    }

    fn parse_dir(&mut self, dir: Direction, data: &[u8]) {
        let d = dir.index();
        if self.sides[d].pending.is_empty() {
            let used = self.run(dir, data);
            self.keep(d, &data[used..]);
        } else {
            let mut buf = std::mem::take(&mut self.sides[d].pending);
            buf.extend_from_slice(data);
            let used = self.run(dir, &buf);
            buf.drain(..used);
            // The unfinished rest goes back (its allocation reused).
            self.sides[d].pending = buf;
            self.bound_pending(d);
        }
    }

    fn keep(&mut self, d: usize, rest: &[u8]) {
        if !rest.is_empty() {
            self.sides[d].pending.extend_from_slice(rest);
            self.bound_pending(d);
        }
    }

    /// An unfinished line longer than the field limit stops the direction.
    fn bound_pending(&mut self, d: usize) {
        if self.sides[d].pending.len() > self.cfg.field_limit {
            let ev = if d == 0 {
                HttpEvent::RequestFieldTooLong
            } else {
                HttpEvent::ResponseFieldTooLong
            };
            self.event_on_side(d, ev);
            self.sides[d].pending = Vec::new();
            self.sides[d].phase = Phase::Stopped;
        }
    }

    fn event_on_side(&mut self, d: usize, ev: HttpEvent) {
        let id = self.sides[d].tx.or(if self.txs.is_empty() {
            None
        } else {
            Some(self.base + self.txs.len() as u64 - 1)
        });
        if let Some(t) = id.and_then(|id| self.tx_mut(id)) {
            t.events.set(ev as u32);
        }
    }

    fn tx_mut(&mut self, id: u64) -> Option<&mut HttpTx> {
        id.checked_sub(self.base)
            .and_then(|i| self.txs.get_mut(i as usize))
    }

    /// Runs the state machine over `input`; returns the bytes consumed
    /// (the rest is an unfinished line).
    fn run(&mut self, dir: Direction, input: &[u8]) -> usize {
        let d = dir.index();
        let mut pos = 0;
        loop {
            let rest = &input[pos..];
            if rest.is_empty() {
                // libhtp finalizes a request at once when no byte follows it.
                if self.sides[d].phase == Phase::Finalize {
                    self.sides[d].phase = Phase::Line;
                }
                return pos;
            }
            match self.sides[d].phase {
                Phase::Stopped => return input.len(),
                Phase::Finalize => {
                    let Line::Full(_, used) = read_line(rest) else {
                        return pos;
                    };
                    if self.finalize_line(&rest[..used]) {
                        pos += used;
                    } else {
                        self.sides[d].phase = Phase::Line;
                    }
                }
                Phase::Line
                    if dir == Direction::ToClient
                        && self.sides[1].tx.is_none()
                        && self.tx(self.next_response).is_none()
                        && !self.sides[0].pending.is_empty()
                        && rest.len() <= self.cfg.field_limit =>
                {
                    // A response before its request finished arriving
                    // (captures reorder directions): wait for the request
                    // side, which re-runs this side when it has parsed.
                    self.sides[1].waiting = true;
                    return pos;
                }
                Phase::Line
                | Phase::Headers
                | Phase::Body(Framing::ChunkSize)
                | Phase::Body(Framing::ChunkEnd)
                | Phase::Body(Framing::Trailers) => {
                    let Line::Full(line, used) = read_line(rest) else {
                        return pos;
                    };
                    pos += used;
                    self.line(dir, line, &rest[..used], &rest[used..]);
                }
                Phase::Body(Framing::Length(left)) | Phase::Body(Framing::ChunkData(left)) => {
                    let n = (left.min(rest.len() as u64)) as usize;
                    self.body(dir, &rest[..n]);
                    pos += n;
                    let left = left - n as u64;
                    let chunked = matches!(self.sides[d].phase, Phase::Body(Framing::ChunkData(_)));
                    self.sides[d].phase = match (chunked, left) {
                        (true, 0) => Phase::Body(Framing::ChunkEnd),
                        (true, l) => Phase::Body(Framing::ChunkData(l)),
                        (false, 0) => {
                            self.message_done(dir);
                            self.sides[d].phase
                        }
                        (false, l) => Phase::Body(Framing::Length(l)),
                    };
                }
                Phase::Body(Framing::UntilClose) => {
                    self.body(dir, rest);
                    return input.len();
                }
            }
        }
    }

    /// One complete line in the current phase; `raw` includes its
    /// terminator, `after` is the rest of the data at hand.
    fn line(&mut self, dir: Direction, line: &[u8], raw: &[u8], after: &[u8]) {
        let d = dir.index();
        match self.sides[d].phase {
            Phase::Line => match dir {
                Direction::ToServer => self.request_line(line, after),
                Direction::ToClient => self.status_line(line, raw, after),
            },
            Phase::Headers => self.header_line(dir, line, raw),
            Phase::Body(Framing::ChunkSize) => {
                self.count_framing(dir, raw);
                self.chunk_size(dir, line)
            }
            Phase::Body(Framing::ChunkEnd) => {
                // The CRLF after chunk data; anything else is tolerated.
                self.count_framing(dir, raw);
                self.sides[d].phase = Phase::Body(Framing::ChunkSize);
            }
            Phase::Body(Framing::Trailers) => {
                if line.is_empty() {
                    self.message_done(dir);
                } else if let Some(id) = self.sides[d].tx
                    && let Some(t) = self.tx_mut(id)
                {
                    let (name, value) = split_header(line);
                    let h = Header {
                        name: name.to_vec(),
                        value: value.to_vec(),
                    };
                    t.headers_mut(dir).push(h);
                }
            }
            _ => {}
        }
    }

    fn new_tx(&mut self) -> u64 {
        if self.txs.len() >= self.cfg.max_txs {
            // Drop the oldest; a side still filling it loses it too.
            self.txs.pop_front();
            self.base += 1;
            self.stats.dropped_txs += 1;
            let base = self.base;
            for s in &mut self.sides {
                if s.tx.is_some_and(|id| id < base) {
                    s.tx = None;
                }
            }
            self.next_response = self.next_response.max(self.base);
        }
        let id = self.base + self.txs.len() as u64;
        self.txs.push_back(HttpTx::new(id));
        id
    }

    fn request_line(&mut self, line: &[u8], after: &[u8]) {
        // libhtp skips empty lines between requests.
        if line.iter().all(|c| c.is_ascii_whitespace()) {
            return;
        }
        if self.sides[0].resync {
            if !tx::known_method(tx::parse_request_line(line).method) {
                return;
            }
            self.sides[0].resync = false;
        }
        let id = self.new_tx();
        self.stats.requests += 1;
        self.sides[0].tx = Some(id);
        let Some(t) = self.tx_mut(id) else { return };
        let p = tx::parse_request_line(line);
        t.request_line = line.to_vec();
        t.method = p.method.to_vec();
        t.uri_raw = p.uri.to_vec();
        t.protocol = p.protocol.to_vec();
        t.request_progress = Progress::Headers;
        if p.leading_ws {
            t.events.set(HttpEvent::RequestLineLeadingWhitespace as u32);
        }
        if p.method_delim {
            t.events.set(HttpEvent::MethodDelimNonCompliant as u32);
        }
        if p.uri_delim {
            t.events.set(HttpEvent::UriDelimNonCompliant as u32);
        }
        // libhtp takes a line without protocol, or with an unknown method
        // and an invalid protocol, as HTTP/0.9 -- unless the data after it
        // holds more than 16 bytes or anything but whitespace
        // (`htp_connp_REQ_PROTOCOL`: "missing protocol", headers follow;
        // Suricata 7.0.10 raises no event for it).
        let known = tx::known_method(p.method);
        let invalid_proto =
            !p.protocol_raw.is_empty() && tx::protocol_number(p.protocol_raw).is_none();
        let mut http09 = p.protocol_raw.is_empty() || (!known && invalid_proto);
        if http09 && (after.len() > HTTP09_MAX_JUNK_LEN || !after.iter().all(|c| tx::is_space(*c)))
        {
            http09 = false;
        }

        let connect = p.method.eq_ignore_ascii_case(b"CONNECT");
        let mut flags = uri::DecodeFlags::default();
        t.uri = uri::normalize(p.uri, connect, &mut flags);
        if flags.double_encoded {
            t.events.set(HttpEvent::DoubleEncodedUri as u32);
        }
        if http09 {
            // No headers, no body; the response has no status line.
            t.http09 = true;
            self.message_done(Direction::ToServer);
            return;
        }
        self.sides[0].phase = Phase::Headers;
    }

    /// One line after a finished request, in the same data
    /// (`htp_connp_REQ_FINALIZE`); `raw` includes its terminator. Returns
    /// false when it starts with a known method: a request line, parsed as
    /// such.
    fn finalize_line(&mut self, raw: &[u8]) -> bool {
        let start = raw
            .iter()
            .position(|c| !tx::is_space(*c))
            .unwrap_or(raw.len());
        let end = raw[start..]
            .iter()
            .position(|c| tx::is_space(*c))
            .map_or(raw.len(), |i| start + i);
        let whitespace = end <= start;
        if !whitespace && tx::known_method(&raw[start..end]) {
            return false;
        }
        let limit = self.cfg.request_body_limit;
        if let Some(t) = self.last_request.and_then(|id| self.tx_mut(id)) {
            if !whitespace {
                t.events.set(HttpEvent::RequestBodyUnexpected as u32);
            }
            t.request_body_len += raw.len() as u64;
            let room = limit.saturating_sub(t.request_body.len());
            t.request_body
                .extend_from_slice(&raw[..raw.len().min(room)]);
        }
        true
    }

    fn status_line(&mut self, line: &[u8], raw: &[u8], after: &[u8]) {
        if line.iter().all(|c| c.is_ascii_whitespace()) {
            return;
        }
        if self.sides[1].resync {
            if !tx::looks_like_status_line(line) {
                // The rest of a response whose start was lost: the request
                // waiting for it gets a response without status line
                // (Suricata logs it at the gap), later lines are skipped.
                if std::mem::take(&mut self.sides[1].resync_ends)
                    && self.sides[1].tx.is_none()
                    && self.tx(self.next_response).is_some_and(|t| {
                        t.response_progress == Progress::Line
                            && t.request_progress == Progress::Complete
                    })
                {
                    let id = self.response_tx();
                    self.sides[1].tx = Some(id);
                    self.message_done(Direction::ToClient);
                }
                return;
            }
            self.sides[1].resync = false;
            self.sides[1].resync_ends = false;
        }
        let id = self.response_tx();
        self.sides[1].tx = Some(id);
        let Some(t) = self.tx_mut(id) else { return };
        if t.http09 || !tx::looks_like_status_line(line) {
            // libhtp: no status line after an HTTP/0.9 request; and a line
            // not starting with "http" is skipped when the next one starts
            // with 'H' (or it is at most 2 bytes), else it begins a body
            // that lasts until the connection closes. No event either way.
            if !t.http09 && after.len() >= 2 && (after[0] == b'H' || line.len() <= 2) {
                return;
            }
            t.response_progress = Progress::Body;
            self.sides[1].phase = Phase::Body(Framing::UntilClose);
            self.body(Direction::ToClient, raw);
            return;
        }
        let p = tx::parse_status_line(line);
        if tx::protocol_number(p.protocol).is_none() {
            t.events.set(HttpEvent::ResponseInvalidProtocol as u32);
        }
        t.response_line = line.to_vec();
        t.response_protocol = p.protocol.to_vec();
        t.status = p.status.to_vec();
        t.status_msg = p.message.to_vec();
        t.status_code = p.code;
        t.response_headers.clear();
        t.response_headers_raw.clear();
        if p.code.is_none() {
            t.events.set(HttpEvent::ResponseInvalidStatus as u32);
        }
        t.response_progress = Progress::Headers;
        self.sides[1].phase = Phase::Headers;
    }

    /// The transaction a response starting now belongs to: the one in
    /// progress (after an interim 1xx), else the next request's, else a new
    /// one with `unable_to_match_response_to_request`.
    fn response_tx(&mut self) -> u64 {
        if let Some(id) = self.sides[1].tx {
            return id;
        }
        let id = self.next_response;
        self.next_response += 1;
        if self.tx(id).is_none() || id < self.base {
            let id = self.new_tx();
            self.next_response = id + 1;
            if let Some(t) = self.tx_mut(id) {
                t.events
                    .set(HttpEvent::UnableToMatchResponseToRequest as u32);
                t.request_progress = Progress::Complete;
            }
            id
        } else {
            id
        }
    }

    /// A sequence gap: `len` bytes of direction `dir` the capture lost
    /// (libhtp's data chunk without data). A body of known length or a
    /// chunk's data takes them as missing body bytes; anywhere else the
    /// message in progress ends and the direction skips lines until one
    /// starts the next message (a known method, a status line). Where a
    /// response was to start, no transaction is made for the gap itself: a
    /// status line after it answers the waiting request (a whole response
    /// lost with its request leaves no transaction), other lines end that
    /// request's response without status. Measured on Suricata 7.0.10's
    /// EVE `http` events of zeek-http_1000-requests-one-dropped-response and
    /// zeek-http_zero-length-bodies-with-drops.
    pub fn gap(&mut self, dir: Direction, len: usize) {
        let d = dir.index();
        self.sides[d].pending.clear();
        let mut len = len as u64;
        match self.sides[d].phase {
            Phase::Stopped | Phase::Body(Framing::UntilClose) => return,
            Phase::Body(Framing::Length(left)) => {
                let n = left.min(len);
                len -= n;
                if left > n {
                    self.sides[d].phase = Phase::Body(Framing::Length(left - n));
                    return;
                }
                self.message_done(dir);
            }
            Phase::Body(Framing::ChunkData(left)) => {
                let n = left.min(len);
                len -= n;
                self.sides[d].phase = if left > n {
                    Phase::Body(Framing::ChunkData(left - n))
                } else {
                    Phase::Body(Framing::ChunkEnd)
                };
            }
            _ => {}
        }
        if len == 0 {
            return;
        }
        match dir {
            Direction::ToServer => {
                if self.sides[0].tx.is_some() {
                    self.message_done(dir);
                }
                self.sides[0].phase = Phase::Line;
            }
            Direction::ToClient => {
                if self.sides[1].tx.is_some() {
                    self.message_done(dir);
                } else {
                    self.sides[1].resync_ends = true;
                }
                self.sides[1].phase = Phase::Line;
            }
        }
        self.sides[d].resync = true;
    }

    fn header_line(&mut self, dir: Direction, line: &[u8], raw: &[u8]) {
        let d = dir.index();
        let Some(id) = self.sides[d].tx else {
            self.sides[d].phase = Phase::Line;
            return;
        };
        let cfg = self.cfg;
        let Some(t) = self.tx_mut(id) else { return };
        let raw_buf = t.headers_raw_mut(dir);
        if raw_buf.len() + raw.len() <= tx::MAX_RAW_HEADERS {
            raw_buf.extend_from_slice(raw);
        }
        // libhtp: an empty line ends the headers, and so does a line of a
        // single space or tab ended by a bare LF.
        if line.is_empty() || (raw.len() == 2 && matches!(raw[0], b' ' | b'\t') && raw[1] == b'\n')
        {
            self.headers_done(dir);
            return;
        }
        let req = dir == Direction::ToServer;
        let pick = |a: HttpEvent, b: HttpEvent| if req { a } else { b };
        if matches!(line[0], b' ' | b'\t') {
            match t.headers_mut(dir).last_mut() {
                Some(h) => {
                    h.value.extend_from_slice(line);
                    let v = uri::trim(&h.value).to_vec();
                    h.value = v;
                }
                None => t.events.set(pick(
                    HttpEvent::InvalidRequestFieldFolding,
                    HttpEvent::InvalidResponseFieldFolding,
                ) as u32),
            }
            return;
        }
        if t.headers(dir).len() >= cfg.max_headers {
            t.events.set(pick(
                HttpEvent::RequestTooManyHeaders,
                HttpEvent::ResponseTooManyHeaders,
            ) as u32);
            return;
        }
        let colon = memchr(b':', line);
        let (name, value) = split_header(line);
        if colon.is_none() {
            t.events.set(pick(
                HttpEvent::RequestFieldMissingColon,
                HttpEvent::ResponseFieldMissingColon,
            ) as u32);
        } else if name.is_empty()
            || name.last().is_some_and(|c| matches!(c, b' ' | b'\t'))
            || !name.iter().all(|c| tx::is_token(*c))
        {
            t.events.set(pick(
                HttpEvent::RequestHeaderInvalid,
                HttpEvent::ResponseHeaderInvalid,
            ) as u32);
        }
        let name = uri::trim(name);
        let headers = t.headers_mut(dir);
        if let Some(h) = headers
            .iter_mut()
            .find(|h| h.name.eq_ignore_ascii_case(name))
        {
            let cl = name.eq_ignore_ascii_case(b"content-length");
            let same = h.value == value;
            if !(cl && same) {
                h.value.extend_from_slice(b", ");
                h.value.extend_from_slice(value);
            }
            // No `*_header_repetition` here: libhtp 0.5.50 logs a repeated
            // header as "Repetition for header", a message Suricata 7.0.10
            // maps to no event (measured: 2 and 100 repetitions raise none).
            if cl && !same {
                t.events.set(pick(
                    HttpEvent::DuplicateContentLengthFieldInRequest,
                    HttpEvent::DuplicateContentLengthFieldInResponse,
                ) as u32);
            }
        } else {
            headers.push(Header {
                name: name.to_vec(),
                value: value.to_vec(),
            });
        }
    }

    /// The end of a header block: decide the body framing.
    fn headers_done(&mut self, dir: Direction) {
        let d = dir.index();
        let Some(id) = self.sides[d].tx else { return };
        let cfg = self.cfg;
        let Some(t) = self.tx_mut(id) else { return };
        let req = dir == Direction::ToServer;
        let pick = |a: HttpEvent, b: HttpEvent| if req { a } else { b };
        let te = t.header(dir, b"transfer-encoding").map(<[u8]>::to_vec);
        let cl = t.header(dir, b"content-length").map(<[u8]>::to_vec);
        let chunked = te.as_deref().is_some_and(|v| {
            if req {
                v.split(|c| *c == b',')
                    .any(|p| uri::trim(p).eq_ignore_ascii_case(b"chunked"))
            } else {
                // libhtp, responses: "chunked" anywhere in the value, and
                // anything more than exactly that is abnormal.
                v.windows(7).any(|w| w.eq_ignore_ascii_case(b"chunked"))
            }
        });
        if !req
            && chunked
            && !te
                .as_deref()
                .is_some_and(|v| v.eq_ignore_ascii_case(b"chunked"))
        {
            t.events
                .set(HttpEvent::ResponseAbnormalTransferEncoding as u32);
        }
        if req && te.is_some() && !chunked {
            // libhtp returns an error here: Suricata parses nothing more of
            // the flow, in either direction (measured: a pipelined request
            // and the responses after it are not seen).
            t.events
                .set(HttpEvent::InvalidTransferEncodingValueInRequest as u32);
            for s in &mut self.sides {
                s.phase = Phase::Stopped;
                s.pending = Vec::new();
            }
            return;
        }
        let length = cl.as_deref().map(|v| {
            let v = uri::trim(v.split(|c| *c == b',').next().unwrap_or(v));
            std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
        });
        if let Some(None) = length {
            t.events.set(pick(
                HttpEvent::InvalidContentLengthFieldInRequest,
                HttpEvent::InvalidContentLengthFieldInResponse,
            ) as u32);
        }
        let length = length.flatten();
        if req {
            t.request_progress = Progress::Body;
            if t.protocol.eq_ignore_ascii_case(b"HTTP/1.1") && t.header(dir, b"host").is_none() {
                t.events.set(HttpEvent::MissingHostHeader as u32);
            }
            if let Some(a) = t.header(dir, b"authorization") {
                let a = uri::trim(a);
                let known = [&b"basic"[..], b"digest", b"bearer"]
                    .iter()
                    .any(|s| a.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s)));
                if !known {
                    t.events.set(HttpEvent::RequestAuthUnrecognized as u32);
                }
            }
            t.check_host();
            self.sides[d].phase = if chunked {
                Phase::Body(Framing::ChunkSize)
            } else {
                match length {
                    Some(n) if n > 0 => Phase::Body(Framing::Length(n)),
                    _ => {
                        self.message_done(dir);
                        return;
                    }
                }
            };
            return;
        }
        // Response.
        let code = t.status_code.unwrap_or(0);
        if (100..200).contains(&code) && code != 101 {
            // Interim: the real response follows for the same request.
            if t.interim.len() < tx::MAX_INTERIM {
                t.interim.push(code);
            }
            if code == 100 {
                if t.seen_100 {
                    t.events.set(HttpEvent::Continue100AlreadySeen as u32);
                }
                t.seen_100 = true;
            }
            t.response_progress = Progress::Line;
            self.sides[d].phase = Phase::Line;
            return;
        }
        let connect = t.method.eq_ignore_ascii_case(b"CONNECT");
        if code == 101 || (connect && (200..300).contains(&code)) {
            t.response_progress = Progress::Complete;
            self.sides[1].tx = None;
            for s in &mut self.sides {
                s.phase = Phase::Stopped;
                s.pending = Vec::new();
            }
            return;
        }
        t.response_progress = Progress::Body;
        let no_body = t.method.eq_ignore_ascii_case(b"HEAD") || code == 204 || code == 304;
        // libhtp compares the response's own protocol: 0.9, 1.0 or invalid.
        if chunked && tx::protocol_number(&t.response_protocol).is_none_or(|n| n < 11) {
            t.events.set(HttpEvent::ResponseChunkedOldProto as u32);
        }
        let ce = t.header(dir, b"content-encoding").map(<[u8]>::to_vec);
        if let Some(ce) = ce {
            let layers = ce
                .split(|c| *c == b',')
                .filter(|p| !uri::trim(p).is_empty())
                .count();
            if layers > 2 {
                t.events.set(HttpEvent::TooManyEncodingLayers as u32);
            }
            match Coding::from_header(&ce) {
                Some(c) => {
                    self.sides[d].decoder =
                        Some(Decoder::new(c, cfg.decompress_limit, cfg.bomb_ratio))
                }
                None => {
                    let identity = uri::trim(&ce).eq_ignore_ascii_case(b"identity");
                    if !identity && let Some(t) = self.tx_mut(id) {
                        t.events.set(HttpEvent::AbnormalCeHeader as u32);
                    }
                }
            }
        }
        self.sides[d].phase = if no_body {
            self.message_done(dir);
            return;
        } else if chunked {
            Phase::Body(Framing::ChunkSize)
        } else {
            match length {
                Some(0) => {
                    self.message_done(dir);
                    return;
                }
                Some(n) => Phase::Body(Framing::Length(n)),
                None => Phase::Body(Framing::UntilClose),
            }
        };
    }

    /// Chunk-size lines and the line ends after chunk data of a response:
    /// libhtp counts them in `response_message_len` (EVE `http.length`).
    fn count_framing(&mut self, dir: Direction, raw: &[u8]) {
        if dir == Direction::ToClient
            && let Some(id) = self.sides[dir.index()].tx
            && let Some(t) = self.tx_mut(id)
        {
            t.response_framing_len += raw.len() as u64;
        }
    }

    fn chunk_size(&mut self, dir: Direction, line: &[u8]) {
        let d = dir.index();
        let req = dir == Direction::ToServer;
        let (size, ext) = tx::parse_chunk_size(line);
        match size {
            Some(0) => self.sides[d].phase = Phase::Body(Framing::Trailers),
            Some(n) => self.sides[d].phase = Phase::Body(Framing::ChunkData(n)),
            None if line.iter().all(|c| c.is_ascii_whitespace()) => {
                // Stray empty line before a chunk size: skip it.
            }
            None => {
                self.event_on_side(
                    d,
                    if req {
                        HttpEvent::InvalidRequestChunkLen
                    } else {
                        HttpEvent::InvalidResponseChunkLen
                    },
                );
                // libhtp gives up on chunking: the rest is body.
                self.sides[d].phase = Phase::Body(Framing::UntilClose);
            }
        }
        if ext && req {
            self.event_on_side(d, HttpEvent::RequestChunkExtension);
        }
    }

    /// Body bytes of the current message of `dir` (after de-chunking).
    fn body(&mut self, dir: Direction, data: &[u8]) {
        let d = dir.index();
        let Some(id) = self.sides[d].tx else { return };
        let limit = match dir {
            Direction::ToServer => self.cfg.request_body_limit,
            Direction::ToClient => self.cfg.response_body_limit,
        };
        let mut decoder = self.sides[d].decoder.take();
        let mut dropped = 0u64;
        if let Some(t) = self.tx_mut(id) {
            let mut keep = |b: &[u8], t: &mut HttpTx| {
                let body = t.body_mut(dir);
                let room = limit.saturating_sub(body.len());
                body.extend_from_slice(&b[..b.len().min(room)]);
                dropped += b.len().saturating_sub(room) as u64;
            };
            *t.body_len_mut(dir) += data.len() as u64;
            match decoder.as_mut() {
                Some(dec) if dec.active() => {
                    let mut out: Vec<u8> = Vec::new();
                    dec.feed(data, &mut |b| out.extend_from_slice(b));
                    keep(&out, t);
                    if dec.end.bomb {
                        t.events.set(HttpEvent::CompressionBomb as u32);
                    }
                    if dec.end.failed {
                        t.events.set(HttpEvent::GzipDecompressionFailed as u32);
                    }
                }
                Some(_) => {}
                None => keep(data, t),
            }
        }
        self.stats.body_bytes_dropped += dropped;
        self.sides[d].decoder = decoder;
    }

    /// The current message of `dir` is complete.
    fn message_done(&mut self, dir: Direction) {
        let d = dir.index();
        if let Some(id) = self.sides[d].tx.take()
            && let Some(t) = self.tx_mut(id)
        {
            match dir {
                Direction::ToServer => t.request_progress = Progress::Complete,
                Direction::ToClient => t.response_progress = Progress::Complete,
            }
            if dir == Direction::ToClient {
                self.stats.responses += 1;
            } else {
                self.last_request = Some(id);
            }
            self.completed[d] += 1;
        }
        self.sides[d].decoder = None;
        self.sides[d].phase = match dir {
            Direction::ToServer => Phase::Finalize,
            Direction::ToClient => Phase::Line,
        };
    }

    /// The connection closed: bodies framed by the close are complete.
    pub fn close(&mut self) {
        for dir in [Direction::ToServer, Direction::ToClient] {
            if self.sides[dir.index()].phase == Phase::Body(Framing::UntilClose) {
                self.message_done(dir);
            }
        }
    }
}

/// Reads one line ending in LF (CR before it stripped).
fn read_line(input: &[u8]) -> Line<'_> {
    match memchr(b'\n', input) {
        Some(i) => {
            let mut line = &input[..i];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            Line::Full(line, i + 1)
        }
        None => Line::Partial,
    }
}

/// `name: value` with the value's surrounding whitespace trimmed; a line
/// without a colon is all name.
fn split_header(line: &[u8]) -> (&[u8], &[u8]) {
    match memchr(b':', line) {
        Some(i) => (&line[..i], uri::trim(&line[i + 1..])),
        None => (line, &[]),
    }
}
