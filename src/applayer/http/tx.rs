//! One HTTP transaction (a request and its response) and the buffers rules
//! inspect in it, built as Suricata 7 builds them from libhtp's fields.

use super::uri;
use super::{Direction, HttpEvent};
use crate::applayer::EventSet;

/// Raw header bytes kept per message (the parsed headers are kept whole).
pub const MAX_RAW_HEADERS: usize = 64 * 1024;

/// Interim responses remembered per transaction.
pub const MAX_INTERIM: usize = 8;

/// How far one side of a transaction has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Progress {
    /// Nothing yet.
    #[default]
    Line,
    /// Line seen, reading headers.
    Headers,
    /// Headers complete, reading the body.
    Body,
    /// Done.
    Complete,
}

/// One header (repeated headers merged with `, ` as libhtp does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Name as sent.
    pub name: Vec<u8>,
    /// Value, surrounding whitespace trimmed.
    pub value: Vec<u8>,
}

/// A request and its response.
#[derive(Debug, Clone, Default)]
pub struct HttpTx {
    /// Id within the flow, from 0.
    pub id: u64,
    /// `http.request_line` (without CRLF).
    pub request_line: Vec<u8>,
    /// `http.method`.
    pub method: Vec<u8>,
    /// `http.uri.raw`: the request target as sent.
    pub uri_raw: Vec<u8>,
    /// `http.uri`: normalised (see [`uri`]).
    pub uri: Vec<u8>,
    /// `http.protocol` of the request.
    pub protocol: Vec<u8>,
    /// Request headers in order of first appearance.
    pub request_headers: Vec<Header>,
    /// The request's header lines as received, terminators and the final
    /// empty line included (`http.header.raw`), at most [`MAX_RAW_HEADERS`].
    pub request_headers_raw: Vec<u8>,
    /// `http.request_body`: de-chunked, up to the configured limit.
    pub request_body: Vec<u8>,
    /// Request body bytes seen (de-chunked).
    pub request_body_len: u64,
    /// `http.response_line`.
    pub response_line: Vec<u8>,
    /// Protocol of the status line.
    pub response_protocol: Vec<u8>,
    /// `http.stat_code` as text.
    pub status: Vec<u8>,
    /// Status code when it is three digits.
    pub status_code: Option<u16>,
    /// `http.stat_msg`.
    pub status_msg: Vec<u8>,
    /// Response headers.
    pub response_headers: Vec<Header>,
    /// Response header lines as received (`http.header.raw` to client).
    pub response_headers_raw: Vec<u8>,
    /// `http.response_body` / `file.data`: de-chunked and decompressed, up
    /// to the configured limit.
    pub response_body: Vec<u8>,
    /// Response body bytes seen on the wire (de-chunked, compressed).
    pub response_body_len: u64,
    /// Chunked framing of the response: its chunk-size lines and the line
    /// ends after each chunk's data (trailers not included).
    pub response_framing_len: u64,
    /// Request side progress.
    pub request_progress: Progress,
    /// Response side progress.
    pub response_progress: Progress,
    /// A 100 Continue was seen.
    pub seen_100: bool,
    /// The request is HTTP/0.9 (no protocol and no header line after it):
    /// its response has no status line.
    pub http09: bool,
    /// Status codes of interim (1xx) responses before the final one, at
    /// most [`MAX_INTERIM`].
    pub interim: Vec<u16>,
    /// Events raised.
    pub events: EventSet,
}

impl HttpTx {
    /// An empty transaction.
    pub fn new(id: u64) -> Self {
        HttpTx {
            id,
            ..Self::default()
        }
    }

    /// libhtp's `response_message_len` (EVE `http.length`): the response
    /// body's bytes as they travelled, chunked framing included (its
    /// trailers not), before decompression.
    pub fn response_message_len(&self) -> u64 {
        self.response_body_len + self.response_framing_len
    }

    /// Whether `ev` was raised.
    pub fn has_event(&self, ev: HttpEvent) -> bool {
        self.events.has(ev as u32)
    }

    /// The headers of one side.
    pub fn headers(&self, dir: Direction) -> &[Header] {
        match dir {
            Direction::ToServer => &self.request_headers,
            Direction::ToClient => &self.response_headers,
        }
    }

    pub(super) fn headers_mut(&mut self, dir: Direction) -> &mut Vec<Header> {
        match dir {
            Direction::ToServer => &mut self.request_headers,
            Direction::ToClient => &mut self.response_headers,
        }
    }

    pub(super) fn headers_raw_mut(&mut self, dir: Direction) -> &mut Vec<u8> {
        match dir {
            Direction::ToServer => &mut self.request_headers_raw,
            Direction::ToClient => &mut self.response_headers_raw,
        }
    }

    pub(super) fn body_mut(&mut self, dir: Direction) -> &mut Vec<u8> {
        match dir {
            Direction::ToServer => &mut self.request_body,
            Direction::ToClient => &mut self.response_body,
        }
    }

    pub(super) fn body_len_mut(&mut self, dir: Direction) -> &mut u64 {
        match dir {
            Direction::ToServer => &mut self.request_body_len,
            Direction::ToClient => &mut self.response_body_len,
        }
    }

    /// A header's value by name, any case (`http.user_agent` is
    /// `header(ToServer, b"user-agent")`, `http.cookie`, `http.accept`,
    /// `http.referer`, `http.content_type`, `http.content_len`,
    /// `http.connection`, `http.location`, `http.server` likewise).
    pub fn header(&self, dir: Direction, name: &[u8]) -> Option<&[u8]> {
        self.headers(dir)
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_slice())
    }

    /// `http.header`: `Name: value\r\n` per header, the cookie header
    /// (`Cookie` to server, `Set-Cookie` to client) left out as Suricata
    /// does (it has its own buffer).
    pub fn header_buffer(&self, dir: Direction) -> Vec<u8> {
        let mut out = Vec::new();
        self.header_buffer_into(dir, &mut out);
        out
    }

    /// [`header_buffer`](Self::header_buffer) into a reused buffer.
    pub fn header_buffer_into(&self, dir: Direction, out: &mut Vec<u8>) {
        out.clear();
        let skip: &[u8] = match dir {
            Direction::ToServer => b"cookie",
            Direction::ToClient => b"set-cookie",
        };
        for h in self.headers(dir) {
            if h.name.eq_ignore_ascii_case(skip) {
                continue;
            }
            out.extend_from_slice(&h.name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(&h.value);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// `http.header_names`: `\r\n`, then each name followed by `\r\n`, then
    /// a final `\r\n`.
    pub fn header_names(&self, dir: Direction) -> Vec<u8> {
        let mut out = Vec::new();
        self.header_names_into(dir, &mut out);
        out
    }

    /// [`header_names`](Self::header_names) into a reused buffer.
    pub fn header_names_into(&self, dir: Direction, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(b"\r\n");
        for h in self.headers(dir) {
            out.extend_from_slice(&h.name);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }

    /// `http.request_header` / `http.response_header`: one `Name: value`
    /// buffer per header.
    pub fn header_lines(&self, dir: Direction) -> impl Iterator<Item = Vec<u8>> + '_ {
        self.headers(dir).iter().map(|h| {
            let mut v = h.name.clone();
            v.extend_from_slice(b": ");
            v.extend_from_slice(&h.value);
            v
        })
    }

    /// `http.header.raw`.
    pub fn headers_raw(&self, dir: Direction) -> &[u8] {
        match dir {
            Direction::ToServer => &self.request_headers_raw,
            Direction::ToClient => &self.response_headers_raw,
        }
    }

    /// `http.start`: the request or status line, CRLF, and the raw headers
    /// (final empty line included).
    pub fn start(&self, dir: Direction) -> Vec<u8> {
        let mut out = Vec::new();
        self.start_into(dir, &mut out);
        out
    }

    /// [`start`](Self::start) into a reused buffer.
    pub fn start_into(&self, dir: Direction, out: &mut Vec<u8>) {
        let line = match dir {
            Direction::ToServer => &self.request_line,
            Direction::ToClient => &self.response_line,
        };
        out.clear();
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.headers_raw(dir));
    }

    /// `http.host`: the URI's host when absolute, else the Host header's;
    /// lower case, port and trailing dots removed.
    pub fn host(&self) -> Option<Vec<u8>> {
        let connect = self.method.eq_ignore_ascii_case(b"CONNECT");
        let u = uri::split(&self.uri_raw, connect);
        u.host
            .or(self.header(Direction::ToServer, b"host"))
            .map(uri::normalize_host)
    }

    /// `http.host.raw`: the URI's host when absolute, else the Host
    /// header's value as sent.
    pub fn host_raw(&self) -> Option<&[u8]> {
        let connect = self.method.eq_ignore_ascii_case(b"CONNECT");
        uri::split(&self.uri_raw, connect)
            .host
            .or(self.header(Direction::ToServer, b"host"))
    }

    /// Host checks after the request headers (libhtp's).
    pub(super) fn check_host(&mut self) {
        let connect = self.method.eq_ignore_ascii_case(b"CONNECT");
        let u = uri::split(&self.uri_raw, connect);
        let header = self
            .header(Direction::ToServer, b"host")
            .map(<[u8]>::to_vec);
        let mut ev = Vec::new();
        for (h, port, bad) in [
            (u.host, u.port, HttpEvent::RequestUriHostInvalid),
            (
                header.as_deref(),
                header.as_deref().and_then(|h| uri::host_port(h).1),
                HttpEvent::RequestHeaderHostInvalid,
            ),
        ] {
            let Some(h) = h else { continue };
            let (name, _) = uri::host_port(uri::trim(h));
            if !valid_hostname(name) {
                ev.push(bad);
            }
            if let Some(p) = port
                && !p.is_empty()
                && std::str::from_utf8(p)
                    .ok()
                    .and_then(|s| s.parse::<u16>().ok())
                    .is_none()
            {
                ev.push(HttpEvent::InvalidAuthorityPort);
            }
        }
        if let (Some(a), Some(b)) = (u.host, header.as_deref())
            && uri::normalize_host(a) != uri::normalize_host(b)
        {
            ev.push(HttpEvent::HostHeaderAmbiguous);
        }
        for e in ev {
            self.events.set(e as u32);
        }
    }
}

/// libhtp's host name check: labels of letters, digits, `-` and `_`, or an
/// IPv6 literal in brackets.
fn valid_hostname(h: &[u8]) -> bool {
    if h.is_empty() {
        return false;
    }
    if h[0] == b'[' {
        return h.last() == Some(&b']');
    }
    let h = h.strip_suffix(b".").unwrap_or(h);
    h.split(|c| *c == b'.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
    })
}

/// An RFC 7230 token character.
pub fn is_token(c: u8) -> bool {
    c.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&c)
}

/// The parts of a request line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLine<'a> {
    /// Method.
    pub method: &'a [u8],
    /// Request target.
    pub uri: &'a [u8],
    /// Protocol, trimmed (empty for HTTP/0.9).
    pub protocol: &'a [u8],
    /// Protocol exactly as it ends the line (libhtp parses this one).
    pub protocol_raw: &'a [u8],
    /// Whitespace before the method was skipped.
    pub leading_ws: bool,
    /// Whitespace other than SP between method and target (libhtp:
    /// "non-compliant delimiter between Method and URI").
    pub method_delim: bool,
    /// Whitespace other than SP inside or ending the target (libhtp: "URI
    /// contains non-compliant delimiter").
    pub uri_delim: bool,
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\x0b' | b'\x0c' | b'\r')
}

/// libhtp's `htp_is_space` (C `isspace`).
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Splits a request line as libhtp 0.5's `htp_parse_request_line_generic_ex`:
/// the method up to the first whitespace; the target up to the next SP
/// (other whitespace inside it is kept, and flagged; only when no SP
/// follows does any whitespace end it); the rest the protocol.
pub fn parse_request_line(line: &[u8]) -> RequestLine<'_> {
    let len = line.len();
    let mut pos = 0;
    while pos < len && is_space(line[pos]) {
        pos += 1;
    }
    let leading_ws = pos > 0;
    let mstart = pos;
    while pos < len && !is_space(line[pos]) {
        pos += 1;
    }
    let method = &line[mstart..pos];
    let mut method_delim = false;
    while pos < len && is_space(line[pos]) {
        method_delim |= line[pos] != b' ';
        pos += 1;
    }
    let start = pos;
    let mut uri_delim = false;
    while pos < len && line[pos] != b' ' {
        uri_delim |= is_space(line[pos]);
        pos += 1;
    }
    if uri_delim && pos == len {
        pos = start;
        while pos < len && !is_space(line[pos]) {
            pos += 1;
        }
    }
    let uri = &line[start..pos];
    while pos < len && is_space(line[pos]) {
        pos += 1;
    }
    let protocol_raw = &line[pos..];
    RequestLine {
        method,
        uri,
        protocol: trim_ws(protocol_raw),
        protocol_raw,
        leading_ws,
        method_delim,
        uri_delim,
    }
}

/// libhtp's `htp_parse_protocol`: `HTTP/0.9`, `HTTP/1.0` or `HTTP/1.1`
/// exactly (9, 10, 11); anything else is invalid (`None`).
pub fn protocol_number(p: &[u8]) -> Option<u8> {
    match p {
        b"HTTP/0.9" => Some(9),
        b"HTTP/1.0" => Some(10),
        b"HTTP/1.1" => Some(11),
        _ => None,
    }
}

/// The methods libhtp 0.5 knows (`htp_convert_method_to_number`,
/// case-sensitive); others are `HTP_M_UNKNOWN`.
pub fn known_method(m: &[u8]) -> bool {
    const KNOWN: &[&[u8]] = &[
        b"GET",
        b"PUT",
        b"POST",
        b"DELETE",
        b"CONNECT",
        b"OPTIONS",
        b"TRACE",
        b"PATCH",
        b"PROPFIND",
        b"PROPPATCH",
        b"MKCOL",
        b"COPY",
        b"MOVE",
        b"LOCK",
        b"UNLOCK",
        b"VERSION-CONTROL",
        b"CHECKOUT",
        b"UNCHECKOUT",
        b"CHECKIN",
        b"UPDATE",
        b"LABEL",
        b"REPORT",
        b"MKWORKSPACE",
        b"MKACTIVITY",
        b"BASELINE-CONTROL",
        b"MERGE",
        b"INVALID",
        b"HEAD",
    ];
    KNOWN.contains(&m)
}

/// libhtp's `htp_treat_response_line_as_body` inverted: after leading
/// whitespace and NULs the line starts with `http` (any case).
pub fn looks_like_status_line(line: &[u8]) -> bool {
    let pos = line
        .iter()
        .position(|c| !is_space(*c) && *c != 0)
        .unwrap_or(line.len());
    line.get(pos..pos + 4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"http"))
}

fn trim_ws(s: &[u8]) -> &[u8] {
    let a = s.iter().position(|c| !is_ws(*c)).unwrap_or(s.len());
    let b = s.iter().rposition(|c| !is_ws(*c)).map_or(a, |i| i + 1);
    &s[a..b]
}

/// The parts of a status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusLine<'a> {
    /// Protocol.
    pub protocol: &'a [u8],
    /// Whether the line starts like `HTTP/`.
    pub protocol_ok: bool,
    /// Status code text.
    pub status: &'a [u8],
    /// Three-digit status code.
    pub code: Option<u16>,
    /// Reason phrase.
    pub message: &'a [u8],
}

/// Splits a status line.
pub fn parse_status_line(line: &[u8]) -> StatusLine<'_> {
    let l = trim_ws(line);
    let p_end = l.iter().position(|c| is_ws(*c)).unwrap_or(l.len());
    let protocol = &l[..p_end];
    let rest = trim_ws(&l[p_end..]);
    let s_end = rest.iter().position(|c| is_ws(*c)).unwrap_or(rest.len());
    let status = &rest[..s_end];
    let message = trim_ws(&rest[s_end..]);
    let code = (status.len() == 3 && status.iter().all(u8::is_ascii_digit)).then(|| {
        status
            .iter()
            .fold(0u16, |a, c| a * 10 + u16::from(c - b'0'))
    });
    StatusLine {
        protocol,
        protocol_ok: protocol.len() >= 5 && protocol[..5].eq_ignore_ascii_case(b"HTTP/"),
        status,
        code,
        message,
    }
}

/// A chunk-size line: the size (hex, whitespace allowed around it) and
/// whether it carried an extension. `None` when not a valid size.
pub fn parse_chunk_size(line: &[u8]) -> (Option<u64>, bool) {
    let (num, ext) = match line.iter().position(|c| *c == b';') {
        Some(i) => (&line[..i], true),
        None => (line, false),
    };
    let num = trim_ws(num);
    if num.is_empty() || num.len() > 16 {
        return (None, ext);
    }
    let mut v = 0u64;
    for c in num {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return (None, ext),
        };
        v = v << 4 | u64::from(d);
    }
    // libhtp rejects sizes that do not fit a signed 64-bit integer.
    if v > i64::MAX as u64 {
        return (None, ext);
    }
    (Some(v), ext)
}
