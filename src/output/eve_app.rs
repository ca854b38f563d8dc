//! EVE application-layer objects in Suricata 7.0.10's schema: the `http`,
//! `dns` and `tls` objects Suricata writes in alerts (eve `alert` type,
//! `metadata: yes`, its default) and in transaction events (`event_type`
//! `http`, `dns`, `tls`), with Suricata's key order, its spelling of every
//! value and its rules for absent keys, built from `crate::applayer`'s
//! parser types.
//!
//! Each object is an owned value taken from the parser state when the alert
//! fires or the transaction is logged (the state moves on afterwards) and
//! serialises with serde like [`super::eve::AlertEvent`], so an alert
//! embeds one with `m.serialize_entry(obj.key(), &obj)` and a transaction
//! event writes it under the same key. Building one copies a few short
//! strings: alerts and logged transactions are rare next to packets, and
//! this runs on the output side, never per packet.
//!
//! Strings from the wire are written as Suricata's JsonBuilder writes them
//! (`set_string_from_bytes`): valid UTF-8 as is, anything else byte by
//! byte with bytes ≥ 0x80 as the four characters `\xNN`
//! ([`eve_string`]). Checked key by key against Suricata 7.0.10's own
//! output by `tests/eve_app.rs`.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::applayer::Direction;
use crate::applayer::dns::{DnsTx, Header as DnsHeader, Record};
use crate::applayer::http::{HttpTx, Progress, uri};
use crate::applayer::tls::TlsState;
use crate::output::eve::{Ip, MirrorContext, PktSrc, eve_timestamp, proto_name};
use crate::wire::Addr;

/// Bytes as Suricata's `set_string_from_bytes` writes them: UTF-8 when they
/// are, else ASCII kept and every byte ≥ 0x80 spelled `\xNN` (lower-case).
pub fn eve_string(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            let mut out = String::with_capacity(b.len() + 8);
            for &c in b {
                if c < 0x80 {
                    out.push(c as char);
                } else {
                    out.push_str(&format!("\\x{c:02x}"));
                }
            }
            Cow::Owned(out)
        }
    }
}

/// Serialises bytes with [`eve_string`].
struct Bytes<'a>(&'a [u8]);

/// An HTTP field from the wire, as Suricata's C loggers hand it to
/// `jb_set_string_from_bytes`, which writes nothing for an empty value.
fn http_bytes(v: &Option<Vec<u8>>) -> Option<Bytes<'_>> {
    v.as_deref().filter(|b| !b.is_empty()).map(Bytes)
}

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&eve_string(self.0))
    }
}

/// A C string as Suricata hands it to `jb_set_string`: cut at the first NUL
/// and written only when it is UTF-8 (the call fails otherwise and the key
/// is left out).
fn c_string(b: &[u8]) -> Option<&str> {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    std::str::from_utf8(&b[..end]).ok()
}

/// C's `strtoul(s, NULL, 10)`: leading whitespace, an optional sign, then
/// digits up to the first other byte; 0 when there are none.
fn strtoul(s: &[u8]) -> u64 {
    let mut i = s
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .unwrap_or(s.len());
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut v: u64 = 0;
    for c in &s[i..] {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add(u64::from(c - b'0'));
    }
    if neg { v.wrapping_neg() } else { v }
}

/// The object an alert carries, by its app-layer protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppObject {
    /// `http`.
    Http(EveHttp),
    /// `dns` (the alert form).
    Dns(EveDnsAlert),
    /// `tls`.
    Tls(EveTls),
    /// `ssh`.
    Ssh(super::eve_ssh::EveSsh),
    /// `ftp_data`.
    FtpData(EveFtpData),
}

impl AppObject {
    /// The key Suricata writes it under.
    pub fn key(&self) -> &'static str {
        match self {
            AppObject::Http(_) => "http",
            AppObject::Dns(_) => "dns",
            AppObject::Tls(_) => "tls",
            AppObject::Ssh(_) => "ssh",
            AppObject::FtpData(_) => "ftp_data",
        }
    }
}

impl Serialize for AppObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AppObject::Http(o) => o.serialize(s),
            AppObject::Dns(o) => o.serialize(s),
            AppObject::Tls(o) => o.serialize(s),
            AppObject::Ssh(o) => o.serialize(s),
            AppObject::FtpData(o) => o.serialize(s),
        }
    }
}

// ---------------------------------------------------------------- FTP-DATA

/// The `ftp_data` object of an alert on an ftp-data flow, as Suricata 7's
/// `EveFTPDataAddMetadata` writes it: the file name, then the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EveFtpData {
    /// The RETR/STOR argument.
    pub filename: Vec<u8>,
    /// `RETR` or `STOR`.
    pub command: Option<&'static str>,
}

impl EveFtpData {
    /// The object of a data flow's state.
    pub fn from_state(d: &crate::applayer::ftp::FtpDataState) -> Self {
        use crate::applayer::ftp::FtpCommand;
        EveFtpData {
            filename: d.file_name().to_vec(),
            command: match d.command() {
                FtpCommand::Retr => Some("RETR"),
                FtpCommand::Stor => Some("STOR"),
                _ => None,
            },
        }
    }
}

impl Serialize for EveFtpData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if !self.filename.is_empty() {
            m.serialize_entry("filename", &Bytes(&self.filename))?;
        }
        if let Some(c) = self.command {
            m.serialize_entry("command", c)?;
        }
        m.end()
    }
}

// ---------------------------------------------------------------- HTTP

/// `http.content_range`: the response's Content-Range header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentRange {
    /// The header value as sent.
    pub raw: Vec<u8>,
    /// First byte, last byte and complete length, when the value parses
    /// (each written only when known).
    pub parsed: Option<(Option<u64>, Option<u64>, Option<u64>)>,
}

/// Suricata's Content-Range parser: spaces, a unit up to the next space,
/// spaces, then `*/SIZE` or `START-END/SIZE` (SIZE may be `*`); trailing
/// bytes ignored.
fn parse_content_range(v: &[u8]) -> Option<(Option<u64>, Option<u64>, Option<u64>)> {
    let skip_sp = |b: &[u8]| -> usize { b.iter().position(|c| *c != b' ').unwrap_or(b.len()) };
    let mut r = &v[skip_sp(v)..];
    r = &r[r.iter().position(|c| *c == b' ').unwrap_or(r.len())..];
    r = &r[skip_sp(r)..];
    fn digits(b: &[u8]) -> Option<(u64, &[u8])> {
        let n = b
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(b.len());
        if n == 0 {
            return None;
        }
        let v = std::str::from_utf8(&b[..n]).ok()?.parse::<i64>().ok()?;
        Some((v as u64, &b[n..]))
    }
    if let Some(rest) = r.strip_prefix(b"*/") {
        let (size, _) = digits(rest)?;
        return Some((None, None, Some(size)));
    }
    let (start, rest) = digits(r)?;
    let rest = rest.strip_prefix(b"-")?;
    let (end, rest) = digits(rest)?;
    let rest = rest.strip_prefix(b"/")?;
    let size = if rest.first() == Some(&b'*') {
        None
    } else {
        Some(digits(rest)?.0)
    };
    Some((Some(start), Some(end), size))
}

/// The `http` object of an alert or an `event_type: "http"` event (the two
/// are the same with the stock `extended: yes`, no `custom` fields and no
/// header dumps).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EveHttp {
    /// `hostname`: the URI's host when absolute, else the Host header's,
    /// lower case, without port.
    pub hostname: Option<Vec<u8>>,
    /// `http_port`: the port given with that host, when valid.
    pub http_port: Option<u16>,
    /// `url`: the request target as sent.
    pub url: Option<Vec<u8>>,
    /// `http_user_agent`.
    pub http_user_agent: Option<Vec<u8>>,
    /// `xff`: the request's X-Forwarded-For header (Suricata writes it
    /// whenever the header is there).
    pub xff: Option<Vec<u8>>,
    /// `http_content_type`: the response's Content-Type up to `;`.
    pub http_content_type: Option<String>,
    /// `content_range`.
    pub content_range: Option<ContentRange>,
    /// `http_refer`: the Referer header.
    pub http_refer: Option<Vec<u8>>,
    /// `http_method`.
    pub http_method: Option<Vec<u8>>,
    /// `protocol` of the request line (absent for HTTP/0.9).
    pub protocol: Option<Vec<u8>>,
    /// `status`: once the status line is seen, its code as `strtoul` reads
    /// it.
    pub status: Option<u64>,
    /// `redirect`: the Location header, written with the status.
    pub redirect: Option<Vec<u8>>,
    /// `length`: response body bytes as sent (chunk framing included,
    /// before decompression), libhtp's `response_message_len`.
    pub length: u64,
}

/// A port as libhtp accepts it: digits (surrounding whitespace allowed),
/// 1 to 65535.
fn port_number(p: &[u8]) -> Option<u16> {
    let p = uri::trim(p);
    if p.is_empty() || !p.iter().all(u8::is_ascii_digit) || p.len() > 5 {
        return None;
    }
    let v: u32 = std::str::from_utf8(p).ok()?.parse().ok()?;
    (1..=65535).contains(&v).then_some(v as u16)
}

impl EveHttp {
    /// The object for `tx` as it stands.
    pub fn from_tx(tx: &HttpTx) -> Self {
        let req = tx.request_progress > Progress::Line;
        let resp = tx.response_progress > Progress::Line;
        let rq = |name: &[u8]| tx.header(Direction::ToServer, name).map(<[u8]>::to_vec);
        let rs = |name: &[u8]| tx.header(Direction::ToClient, name);
        let connect = tx.method.eq_ignore_ascii_case(b"CONNECT");
        let u = uri::split(&tx.uri_raw, connect);
        let http_port = if u.host.is_some() {
            u.port.and_then(port_number)
        } else {
            tx.header(Direction::ToServer, b"host")
                .and_then(|h| uri::host_port(uri::trim(h)).1)
                .and_then(port_number)
        };
        let http_content_type = rs(b"content-type").and_then(|v| {
            let v = &v[..v.iter().position(|c| *c == b';').unwrap_or(v.len())];
            c_string(v).map(str::to_owned)
        });
        let content_range = rs(b"content-range").map(|v| ContentRange {
            raw: v.to_vec(),
            parsed: parse_content_range(v),
        });
        EveHttp {
            hostname: if req { tx.host() } else { None },
            http_port: if req { http_port } else { None },
            url: req.then(|| tx.uri_raw.clone()),
            http_user_agent: rq(b"user-agent"),
            xff: rq(b"x-forwarded-for"),
            http_content_type,
            content_range,
            http_refer: rq(b"referer"),
            http_method: req.then(|| tx.method.clone()),
            protocol: (req && !tx.protocol.is_empty()).then(|| tx.protocol.clone()),
            status: resp.then(|| strtoul(&tx.status)),
            redirect: if resp {
                rs(b"location").map(<[u8]>::to_vec)
            } else {
                None
            },
            length: tx.response_message_len(),
        }
    }
}

impl Serialize for EveHttp {
    /// Suricata's order: EveHttpLogJSONBasic (hostname, http_port, url,
    /// http_user_agent, xff, http_content_type, content_range) then
    /// EveHttpLogJSONExtended (http_refer, http_method, protocol, status,
    /// redirect, length).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(v) = http_bytes(&self.hostname) {
            m.serialize_entry("hostname", &v)?;
        }
        if let Some(p) = self.http_port {
            m.serialize_entry("http_port", &p)?;
        }
        if let Some(v) = http_bytes(&self.url) {
            m.serialize_entry("url", &v)?;
        }
        if let Some(v) = http_bytes(&self.http_user_agent) {
            m.serialize_entry("http_user_agent", &v)?;
        }
        if let Some(v) = http_bytes(&self.xff) {
            m.serialize_entry("xff", &v)?;
        }
        if let Some(v) = &self.http_content_type {
            m.serialize_entry("http_content_type", v)?;
        }
        if let Some(cr) = &self.content_range {
            m.serialize_entry("content_range", cr)?;
        }
        if let Some(v) = http_bytes(&self.http_refer) {
            m.serialize_entry("http_refer", &v)?;
        }
        if let Some(v) = http_bytes(&self.http_method) {
            m.serialize_entry("http_method", &v)?;
        }
        if let Some(v) = http_bytes(&self.protocol) {
            m.serialize_entry("protocol", &v)?;
        }
        if let Some(st) = self.status {
            m.serialize_entry("status", &st)?;
            if let Some(v) = http_bytes(&self.redirect) {
                m.serialize_entry("redirect", &v)?;
            }
        }
        m.serialize_entry("length", &self.length)?;
        m.end()
    }
}

impl Serialize for ContentRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if !self.raw.is_empty() {
            m.serialize_entry("raw", &Bytes(&self.raw))?;
        }
        if let Some((start, end, size)) = self.parsed {
            for (k, v) in [("start", start), ("end", end), ("size", size)] {
                if let Some(v) = v {
                    m.serialize_entry(k, &v)?;
                }
            }
        }
        m.end()
    }
}

// ---------------------------------------------------------------- DNS

/// Suricata's name of a record type (`dns_rrtype_string`, its spellings
/// kept, `NSAPPT` and `CDSNKEY` included); unknown types as their number.
pub fn dns_rrtype(t: u16) -> Cow<'static, str> {
    let s = match t {
        1 => "A",
        2 => "NS",
        3 => "ND",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAPPT",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        55 => "HIP",
        59 => "CDS",
        60 => "CDSNKEY",
        65 => "HTTPS",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        _ => return Cow::Owned(t.to_string()),
    };
    Cow::Borrowed(s)
}

/// Suricata's name of a response code (`dns_rcode_string`).
pub fn dns_rcode(flags: u16) -> Cow<'static, str> {
    let s = match flags & 0xf {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        _ => return Cow::Owned((flags & 0xf).to_string()),
    };
    Cow::Borrowed(s)
}

/// An address as Suricata's `dns_print_addr`: dotted IPv4, IPv6 as eight
/// uncompressed groups, "" for any other length.
fn dns_addr(b: &[u8]) -> String {
    match b.len() {
        4 => format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]),
        16 => b
            .chunks_exact(2)
            .map(|g| format!("{:02x}{:02x}", g[0], g[1]))
            .collect::<Vec<_>>()
            .join(":"),
        _ => String::new(),
    }
}

/// What Suricata logs of one record's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsRData {
    /// A/AAAA: the address text (`rdata`).
    Addr(String),
    /// A name or a string (CNAME, NS, PTR, MX's exchange, one TXT string,
    /// NULL's bytes): `rdata`.
    Text(Vec<u8>),
    /// `soa` object.
    Soa {
        /// Primary server.
        mname: Vec<u8>,
        /// Responsible mailbox.
        rname: Vec<u8>,
        /// serial, refresh, retry, expire, minimum.
        numbers: [u32; 5],
    },
    /// `sshfp` object.
    Sshfp {
        /// Algorithm.
        algo: u8,
        /// Fingerprint type.
        fp_type: u8,
        /// Fingerprint bytes.
        fingerprint: Vec<u8>,
    },
    /// `srv` object.
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// Target.
        name: Vec<u8>,
    },
    /// Another type: nothing beyond name, type and TTL.
    None,
}

/// One entry of `answers` / `authorities` (a TXT record with several
/// strings is one entry per string, as Suricata writes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EveDnsRecord {
    /// Owner name.
    pub rrname: Vec<u8>,
    /// Type.
    pub rrtype: u16,
    /// TTL.
    pub ttl: u32,
    /// Data.
    pub data: DnsRData,
}

/// Decodes a record's data as Suricata 7's `dns_parse_rdata` does: the
/// entries it logs, or `Err` when Suricata's parser rejects the record
/// (and with it the whole message).
fn record_entries(r: &Record) -> Result<Vec<EveDnsRecord>, ()> {
    let entry = |data| EveDnsRecord {
        rrname: r.name.clone(),
        rrtype: r.rrtype,
        ttl: r.ttl,
        data,
    };
    let d = &r.rdata;
    let name = || r.rdata_name.clone().ok_or(());
    let data = match r.rrtype {
        1 | 28 => DnsRData::Addr(dns_addr(d)),
        2 | 5 | 12 | 15 => DnsRData::Text(name()?),
        6 => {
            let soa = r.soa.as_ref().ok_or(())?;
            DnsRData::Soa {
                mname: name()?,
                rname: soa.rname.clone(),
                numbers: soa.numbers,
            }
        }
        10 => DnsRData::Text(d.clone()),
        16 => {
            let mut out = Vec::new();
            let mut i = 0;
            while i < d.len() {
                let n = d[i] as usize;
                let s = d.get(i + 1..i + 1 + n).ok_or(())?;
                out.push(entry(DnsRData::Text(s.to_vec())));
                i += 1 + n;
            }
            return Ok(out);
        }
        33 => {
            if d.len() < 6 {
                return Err(());
            }
            let w = |i: usize| u16::from_be_bytes([d[i], d[i + 1]]);
            DnsRData::Srv {
                priority: w(0),
                weight: w(2),
                port: w(4),
                name: name()?,
            }
        }
        44 => {
            if d.len() < 2 {
                return Err(());
            }
            DnsRData::Sshfp {
                algo: d[0],
                fp_type: d[1],
                fingerprint: d[2..].to_vec(),
            }
        }
        _ => DnsRData::None,
    };
    Ok(vec![entry(data)])
}

/// Whether Suricata 7 keeps this message as a transaction (and logs it):
/// it parsed, its QR bit fits its direction (Suricata drops a to-server
/// response and a to-client request, raising `not_request` /
/// `not_response`), and every answer and authority record's data parses
/// as Suricata's record parser requires (a CNAME without a name fails the
/// whole response there). Transaction ids (`tx_id`) count the kept ones.
pub fn dns_logged(tx: &DnsTx) -> bool {
    let Some(m) = &tx.message else { return false };
    let resp = m.header.is_response();
    match tx.dir {
        Direction::ToServer => !resp,
        Direction::ToClient => {
            resp && m
                .answers
                .iter()
                .chain(&m.authorities)
                .all(|r| record_entries(r).is_ok())
        }
    }
}

/// One query of a request: an `event_type: "dns"` event's object (with
/// `version`) or an item of the alert's `query` array (without).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EveDnsQuery {
    /// Message id.
    pub id: u16,
    /// Query name.
    pub rrname: Vec<u8>,
    /// The name was cut at 1025 bytes.
    pub rrname_truncated: bool,
    /// Query type.
    pub rrtype: u16,
    /// Suricata's transaction id.
    pub tx_id: u64,
    /// Z flag.
    pub z: bool,
    /// Opcode.
    pub opcode: u8,
    /// Write `version: 2` first (the event form).
    pub version: bool,
}

impl Serialize for EveDnsQuery {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if self.version {
            m.serialize_entry("version", &2)?;
        }
        m.serialize_entry("type", "query")?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("rrname", &Bytes(&self.rrname))?;
        if self.rrname_truncated {
            m.serialize_entry("rrname_truncated", &true)?;
        }
        m.serialize_entry("rrtype", &dns_rrtype(self.rrtype))?;
        m.serialize_entry("tx_id", &self.tx_id)?;
        if self.z {
            m.serialize_entry("z", &true)?;
        }
        m.serialize_entry("opcode", &self.opcode)?;
        m.end()
    }
}

/// The `type: "answer"` object of a response (an event's `dns`, or inside
/// an alert's `dns.answer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EveDnsAnswer {
    /// Header (id, flags).
    pub header: DnsHeader,
    /// First question's name and type.
    pub query: Option<(Vec<u8>, u16, bool)>,
    /// Answer records as logged (`answers`, and `grouped` by type).
    pub answers: Vec<EveDnsRecord>,
    /// Authority records (`authorities`).
    pub authorities: Vec<EveDnsRecord>,
    /// Which answer formats to write.
    pub formats: DnsFormats,
}

/// The eve `dns` logger's `formats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DnsFormats {
    /// `detailed`: the `answers` array.
    pub detailed: bool,
    /// `grouped`: answers by type.
    pub grouped: bool,
}

impl DnsFormats {
    /// The stock `formats: [detailed, grouped]`.
    pub const ALL: DnsFormats = DnsFormats {
        detailed: true,
        grouped: true,
    };
    /// What Suricata 7's alert writes inside `dns.answer`: neither.
    pub const NONE: DnsFormats = DnsFormats {
        detailed: false,
        grouped: false,
    };
}

fn query_truncated(m: &crate::applayer::dns::Message, name: &[u8]) -> bool {
    m.name_flags.truncated && name.len() >= crate::applayer::dns::parser::MAX_NAME_LEN
}

/// The `event_type: "dns"` objects of a request: one per question (none
/// for a response or a message Suricata does not keep). `tx_id` is
/// Suricata's transaction id of the message (see [`dns_logged`]).
pub fn dns_query_events(tx: &DnsTx, tx_id: u64) -> Vec<EveDnsQuery> {
    dns_queries(tx, tx_id, true)
}

fn dns_queries(tx: &DnsTx, tx_id: u64, version: bool) -> Vec<EveDnsQuery> {
    let Some(m) = tx
        .message
        .as_ref()
        .filter(|_| tx.dir == Direction::ToServer)
    else {
        return Vec::new();
    };
    if !dns_logged(tx) {
        return Vec::new();
    }
    m.queries
        .iter()
        .map(|q| EveDnsQuery {
            id: m.header.id,
            rrname: q.name.clone(),
            rrname_truncated: query_truncated(m, &q.name),
            rrtype: q.rrtype,
            tx_id,
            z: m.header.z(),
            opcode: m.header.opcode(),
            version,
        })
        .collect()
}

/// The `event_type: "dns"` object of a response (`type: "answer"`), or
/// `None` for a request, a message Suricata does not keep, or a response
/// without a question (Suricata logs none of those).
pub fn dns_answer_event(tx: &DnsTx, formats: DnsFormats) -> Option<EveDnsAnswer> {
    let m = tx.message.as_ref()?;
    if tx.dir != Direction::ToClient || !dns_logged(tx) || m.queries.is_empty() {
        return None;
    }
    let entries = |rs: &[Record]| -> Vec<EveDnsRecord> {
        rs.iter()
            .flat_map(|r| record_entries(r).unwrap_or_default())
            .collect()
    };
    Some(EveDnsAnswer {
        header: m.header,
        query: m
            .queries
            .first()
            .map(|q| (q.name.clone(), q.rrtype, query_truncated(m, &q.name))),
        answers: entries(&m.answers),
        authorities: entries(&m.authorities),
        formats,
    })
}

struct Records<'a>(&'a [EveDnsRecord]);

impl Serialize for Records<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for r in self.0 {
            seq.serialize_element(r)?;
        }
        seq.end()
    }
}

impl Serialize for EveDnsRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("rrname", &Bytes(&self.rrname))?;
        m.serialize_entry("rrtype", &dns_rrtype(self.rrtype))?;
        m.serialize_entry("ttl", &self.ttl)?;
        match &self.data {
            DnsRData::Addr(a) => m.serialize_entry("rdata", a)?,
            DnsRData::Text(t) => m.serialize_entry("rdata", &Bytes(t))?,
            DnsRData::Soa { .. } => m.serialize_entry("soa", &RDataObject(&self.data))?,
            DnsRData::Sshfp { .. } => m.serialize_entry("sshfp", &RDataObject(&self.data))?,
            DnsRData::Srv { .. } => m.serialize_entry("srv", &RDataObject(&self.data))?,
            DnsRData::None => {}
        }
        m.end()
    }
}

/// The object form of SOA, SSHFP and SRV data.
struct RDataObject<'a>(&'a DnsRData);

impl Serialize for RDataObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self.0 {
            DnsRData::Soa {
                mname,
                rname,
                numbers,
            } => {
                m.serialize_entry("mname", &Bytes(mname))?;
                m.serialize_entry("rname", &Bytes(rname))?;
                for (k, v) in ["serial", "refresh", "retry", "expire", "minimum"]
                    .iter()
                    .zip(numbers)
                {
                    m.serialize_entry(k, v)?;
                }
            }
            DnsRData::Sshfp {
                algo,
                fp_type,
                fingerprint,
            } => {
                let hex: Vec<String> = fingerprint.iter().map(|b| format!("{b:02x}")).collect();
                m.serialize_entry("fingerprint", &hex.join(":"))?;
                m.serialize_entry("algo", algo)?;
                m.serialize_entry("type", fp_type)?;
            }
            DnsRData::Srv {
                priority,
                weight,
                port,
                name,
            } => {
                m.serialize_entry("priority", priority)?;
                m.serialize_entry("weight", weight)?;
                m.serialize_entry("port", port)?;
                m.serialize_entry("name", &Bytes(name))?;
            }
            _ => {}
        }
        m.end()
    }
}

/// `grouped`: the answers' data by type, types sorted by name (Suricata
/// fills it from a hash map, so its order changes from run to run; sorted
/// is one of its orders and stays the same).
struct Grouped<'a>(&'a [EveDnsRecord]);

impl Serialize for Grouped<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut types: Vec<u16> = Vec::new();
        for r in self.0 {
            if !matches!(r.data, DnsRData::None) && !types.contains(&r.rrtype) {
                types.push(r.rrtype);
            }
        }
        types.sort_by_key(|t| dns_rrtype(*t));
        let mut m = s.serialize_map(Some(types.len()))?;
        for t in types {
            m.serialize_entry(&dns_rrtype(t), &GroupOf(self.0, t))?;
        }
        m.end()
    }
}

struct GroupOf<'a>(&'a [EveDnsRecord], u16);

impl Serialize for GroupOf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for r in self.0.iter().filter(|r| r.rrtype == self.1) {
            match &r.data {
                DnsRData::Addr(a) => seq.serialize_element(a)?,
                DnsRData::Text(t) => seq.serialize_element(&Bytes(t))?,
                DnsRData::None => {}
                d => seq.serialize_element(&RDataObject(d))?,
            }
        }
        seq.end()
    }
}

impl Serialize for EveDnsAnswer {
    /// Suricata's order: version, type, id, flags (hex), qr, aa, tc, rd,
    /// ra, z (only when set), opcode, rrname, rrtype (first question),
    /// rcode, answers, grouped, authorities.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.header.flags;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("version", &2)?;
        m.serialize_entry("type", "answer")?;
        m.serialize_entry("id", &self.header.id)?;
        m.serialize_entry("flags", &format!("{f:x}"))?;
        for (bit, k) in [
            (0x8000, "qr"),
            (0x0400, "aa"),
            (0x0200, "tc"),
            (0x0100, "rd"),
            (0x0080, "ra"),
            (0x0040, "z"),
        ] {
            if f & bit != 0 {
                m.serialize_entry(k, &true)?;
            }
        }
        m.serialize_entry("opcode", &self.header.opcode())?;
        if let Some((name, rrtype, truncated)) = &self.query {
            m.serialize_entry("rrname", &Bytes(name))?;
            if *truncated {
                m.serialize_entry("rrname_truncated", &true)?;
            }
            m.serialize_entry("rrtype", &dns_rrtype(*rrtype))?;
        }
        m.serialize_entry("rcode", &dns_rcode(f))?;
        if !self.answers.is_empty() {
            if self.formats.detailed {
                m.serialize_entry("answers", &Records(&self.answers))?;
            }
            if self.formats.grouped {
                m.serialize_entry("grouped", &Grouped(&self.answers))?;
            }
        }
        if !self.authorities.is_empty() {
            m.serialize_entry("authorities", &Records(&self.authorities))?;
        }
        m.end()
    }
}

/// The record types Suricata 7's alert logger knows
/// (`dns_log_rrtype_enabled` with every type bit set but not the "all"
/// value the eve `dns` logger uses): questions of other types are left out
/// of an alert's `query`, and a response whose questions are all of other
/// types gets no `answer`.
fn alert_type_known(t: u16) -> bool {
    matches!(t, 1..=30 | 33..=39 | 41..=52 | 55 | 59 | 60 | 99 | 249 | 250 | 254..=256)
}

/// The `dns` object of an alert on a DNS transaction (Suricata 7's form):
/// `{"version": 2, "query": [...]}` for a request, `{"version": 2,
/// "answer": {...}}` for a response (the answer object without `answers`
/// and `grouped`), `{"version": 2}` when no question is of a type the alert
/// logger knows ([`alert_type_known`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EveDnsAlert {
    /// A request's questions.
    Query(Vec<EveDnsQuery>),
    /// A response.
    Answer(EveDnsAnswer),
    /// Nothing beyond the version.
    Empty,
}

impl EveDnsAlert {
    /// The object for the transaction `tx` (Suricata's id `tx_id`), or
    /// `None` when Suricata keeps no transaction for the message.
    pub fn from_tx(tx: &DnsTx, tx_id: u64) -> Option<Self> {
        if !dns_logged(tx) {
            return None;
        }
        let known = tx
            .message
            .as_ref()
            .is_some_and(|m| m.queries.iter().any(|q| alert_type_known(q.rrtype)));
        Some(match tx.dir {
            Direction::ToServer => {
                let mut q = dns_queries(tx, tx_id, false);
                q.retain(|q| alert_type_known(q.rrtype));
                if q.is_empty() {
                    EveDnsAlert::Empty
                } else {
                    EveDnsAlert::Query(q)
                }
            }
            Direction::ToClient => match dns_answer_event(tx, DnsFormats::NONE) {
                Some(a) if known => EveDnsAlert::Answer(a),
                _ => EveDnsAlert::Empty,
            },
        })
    }
}

impl Serialize for EveDnsAlert {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("version", &2)?;
        match self {
            EveDnsAlert::Query(q) => m.serialize_entry("query", q)?,
            EveDnsAlert::Answer(a) => m.serialize_entry("answer", a)?,
            EveDnsAlert::Empty => {}
        }
        m.end()
    }
}

// ---------------------------------------------------------------- TLS

/// Suricata's `SSLVersionToString`.
pub fn tls_version_string(v: u16) -> Cow<'static, str> {
    let s = match v {
        0x0002 => "SSLv2",
        0x0300 => "SSLv3",
        0x0301 => "TLSv1",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        // Drafts: 16 and later by number, earlier ones together.
        0x7f10..=0x7fff => return Cow::Owned(format!("TLS 1.3 draft-{}", v & 0xff)),
        0x7f01..=0x7f0f => "TLS 1.3 draft-<16",
        _ => "UNDETERMINED",
    };
    Cow::Borrowed(s)
}

/// The `tls` object of an alert or an `event_type: "tls"` event (stock
/// `extended: yes`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EveTls {
    /// Leaf certificate subject.
    pub subject: Option<String>,
    /// Leaf certificate issuer.
    pub issuerdn: Option<String>,
    /// `session_resumed: true`: the ServerHello repeated the client's
    /// session id, no certificate was seen and the version is below 1.3.
    pub session_resumed: bool,
    /// Leaf serial.
    pub serial: Option<String>,
    /// Leaf SHA-1 fingerprint.
    pub fingerprint: Option<String>,
    /// SNI.
    pub sni: Option<String>,
    /// The version (ServerHello's, or the server's record version before
    /// it).
    pub version: u16,
    /// notBefore (seconds), when not 0.
    pub notbefore: Option<i64>,
    /// notAfter (seconds), when not 0.
    pub notafter: Option<i64>,
    /// JA3 hash and string (when JA3 is enabled).
    pub ja3: Option<(String, String)>,
    /// JA3S hash and string.
    pub ja3s: Option<(String, String)>,
}

/// What Suricata's `SSL_AL_FLAG_LOG_WITHOUT_CERT` means: the ServerHello
/// chose TLS 1.3 (or a 1.3 draft), so no certificate will be seen.
fn tls13(state: &TlsState) -> bool {
    state.server_hello.as_ref().is_some_and(|h| {
        h.version == 0x0304
            || h.version >> 8 == 0x7f
            || h.supported_versions
                .first()
                .is_some_and(|v| *v == 0x0304 || *v >> 8 == 0x7f)
    })
}

/// Suricata's `SSL_AL_FLAG_SESSION_RESUMED`: both hellos carry the same
/// non-empty session id.
fn resumed(state: &TlsState) -> bool {
    match (&state.client_hello, &state.server_hello) {
        (Some(c), Some(s)) => !s.session_id.is_empty() && c.session_id == s.session_id,
        _ => false,
    }
}

/// Whether Suricata writes an `event_type: "tls"` event for this flow: a
/// leaf certificate with subject and issuer, a resumed session (logged by
/// the stock `session-resumption` default), or TLS 1.3. Suricata writes it
/// once, when the handshake is done.
pub fn tls_event_due(state: &TlsState) -> bool {
    state.leaf().is_some() || resumed(state) || tls13(state)
}

impl EveTls {
    /// The object for `state` as it stands; `ja3` when JA3 fingerprints
    /// are enabled (Suricata computes them only then: the stock `auto`
    /// when a rule uses a ja3 keyword).
    pub fn from_state(state: &TlsState, ja3: bool) -> Self {
        let leaf = state.leaf();
        let version = match &state.server_hello {
            Some(h) => h.supported_versions.first().copied().unwrap_or(h.version),
            None => state.server_record_version.unwrap_or(0),
        };
        let nonzero = |t: i64| (t != 0).then_some(t);
        EveTls {
            subject: leaf.map(|c| c.subject.clone()),
            issuerdn: leaf.map(|c| c.issuer.clone()),
            session_resumed: resumed(state)
                && leaf.is_none()
                && state.server_hello.is_some()
                && !tls13(state),
            serial: leaf.map(|c| c.serial.clone()),
            fingerprint: leaf.map(|c| c.fingerprint.clone()),
            sni: state.sni().and_then(c_string).map(str::to_owned),
            version,
            notbefore: leaf.and_then(|c| nonzero(c.not_before)),
            notafter: leaf.and_then(|c| nonzero(c.not_after)),
            ja3: if ja3 {
                state.ja3_hash().zip(state.ja3())
            } else {
                None
            },
            ja3s: if ja3 {
                state.ja3s_hash().zip(state.ja3s())
            } else {
                None
            },
        }
    }
}

/// Suricata's `CreateUtcIsoTimeString` of whole seconds.
fn iso_seconds(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

struct Ja3<'a>(&'a (String, String));

impl Serialize for Ja3<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("hash", &self.0.0)?;
        m.serialize_entry("string", &self.0.1)?;
        m.end()
    }
}

impl Serialize for EveTls {
    /// Suricata's `JsonTlsLogJSONExtended` order: subject, issuerdn,
    /// session_resumed, serial, fingerprint, sni, version, notbefore,
    /// notafter, ja3, ja3s.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(v) = &self.subject {
            m.serialize_entry("subject", v)?;
        }
        if let Some(v) = &self.issuerdn {
            m.serialize_entry("issuerdn", v)?;
        }
        if self.session_resumed {
            m.serialize_entry("session_resumed", &true)?;
        }
        if let Some(v) = &self.serial {
            m.serialize_entry("serial", v)?;
        }
        if let Some(v) = &self.fingerprint {
            m.serialize_entry("fingerprint", v)?;
        }
        if let Some(v) = &self.sni {
            m.serialize_entry("sni", v)?;
        }
        m.serialize_entry("version", &tls_version_string(self.version))?;
        if let Some(t) = self.notbefore {
            m.serialize_entry("notbefore", &iso_seconds(t))?;
        }
        if let Some(t) = self.notafter {
            m.serialize_entry("notafter", &iso_seconds(t))?;
        }
        if let Some(j) = &self.ja3 {
            m.serialize_entry("ja3", &Ja3(j))?;
        }
        if let Some(j) = &self.ja3s {
            m.serialize_entry("ja3s", &Ja3(j))?;
        }
        m.end()
    }
}

// ---------------------------------------------------------------- events

/// What an `event_type` http/dns/tls event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxBody {
    /// `event_type: "http"`, with the transaction id (written at the top
    /// level, before `http`).
    Http {
        /// Suricata's `tx_id`.
        tx_id: u64,
        /// The object.
        http: EveHttp,
    },
    /// `event_type: "dns"`, one question of a request.
    DnsQuery(EveDnsQuery),
    /// `event_type: "dns"`, a response.
    DnsAnswer(EveDnsAnswer),
    /// `event_type: "tls"`.
    Tls(EveTls),
    /// `event_type: "ssh"`, with the transaction id (written at the top
    /// level, before `ssh`).
    Ssh {
        /// Suricata's `tx_id` (0: one session per flow).
        tx_id: u64,
        /// The object.
        ssh: super::eve_ssh::EveSsh,
    },
}

impl TxBody {
    /// The `event_type` (and object key) of the event.
    pub fn key(&self) -> &'static str {
        match self {
            TxBody::Http { .. } => "http",
            TxBody::DnsQuery(_) | TxBody::DnsAnswer(_) => "dns",
            TxBody::Tls(_) => "tls",
            TxBody::Ssh { .. } => "ssh",
        }
    }
}

/// One transaction event line, in Suricata 7.0.10's key order: timestamp,
/// flow_id, pcap_cnt, event_type, src_ip, src_port, dest_ip, dest_port,
/// proto, pkt_src, community_id, tx_id (http, ssh), the object; then vxtap's
/// `vxtap` object as in alerts. Addresses are the flow's (client as
/// `src`), whichever packet completed the transaction (Suricata's
/// `LOG_DIR_FLOW`).
#[derive(Debug, Clone, PartialEq)]
pub struct TxEvent {
    /// Packet time, ns since the epoch.
    pub ts_ns: u64,
    /// The flow's id (the same as its alerts').
    pub flow_id: u64,
    /// Frame number of a packet without a tunnel (replay); `None` for
    /// decapsulated packets and at flow end, as Suricata writes it.
    pub pcap_cnt: Option<u64>,
    /// The client.
    pub client: Addr,
    /// Client port.
    pub client_port: u16,
    /// The server.
    pub server: Addr,
    /// Server port.
    pub server_port: u16,
    /// IP protocol number.
    pub protocol: u8,
    /// Where the packet came from (`stream (flow timeout)` at flow end).
    pub pkt_src: PktSrc,
    /// Community ID v1 of the flow.
    pub community_id: Option<String>,
    /// The event.
    pub body: TxBody,
    /// vxtap's mirror context.
    pub mirror: Option<MirrorContext>,
}

impl Serialize for TxEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let key = self.body.key();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("timestamp", &eve_timestamp(self.ts_ns))?;
        m.serialize_entry("flow_id", &self.flow_id)?;
        if let Some(n) = self.pcap_cnt {
            m.serialize_entry("pcap_cnt", &n)?;
        }
        m.serialize_entry("event_type", key)?;
        m.serialize_entry("src_ip", &Ip(self.client))?;
        m.serialize_entry("src_port", &self.client_port)?;
        m.serialize_entry("dest_ip", &Ip(self.server))?;
        m.serialize_entry("dest_port", &self.server_port)?;
        m.serialize_entry("proto", &proto_name(self.protocol))?;
        m.serialize_entry("pkt_src", self.pkt_src.label())?;
        if let Some(c) = &self.community_id {
            m.serialize_entry("community_id", c)?;
        }
        match &self.body {
            TxBody::Http { tx_id, http } => {
                m.serialize_entry("tx_id", tx_id)?;
                m.serialize_entry("http", http)?;
            }
            TxBody::DnsQuery(q) => m.serialize_entry("dns", q)?,
            TxBody::DnsAnswer(a) => m.serialize_entry("dns", a)?,
            TxBody::Tls(t) => m.serialize_entry("tls", t)?,
            TxBody::Ssh { tx_id, ssh } => {
                m.serialize_entry("tx_id", tx_id)?;
                m.serialize_entry("ssh", ssh)?;
            }
        }
        if let Some(v) = &self.mirror {
            m.serialize_entry("vxtap", v)?;
        }
        m.end()
    }
}

#[cfg(test)]
#[path = "eve_app/tests.rs"]
mod tests;
