//! TLS and SSL: records reassembled across segments and handshake messages
//! across records, per direction; the ClientHello and ServerHello (SNI,
//! versions, ALPN, extensions, JA3/JA3S), the server's certificates, and
//! the handshake state, as Suricata 7 keeps one TLS state per flow.
//!
//! Bounded: records over 2^14+2048 bytes raise `invalid_record_length`
//! and stop the direction; a handshake message is reassembled up to
//! [`MAX_HANDSHAKE`] bytes; at most [`MAX_CERTS`] certificates are kept.
//! After ChangeCipherSpec a direction's records are encrypted and only
//! counted. Every anomaly is a [`TlsEvent`].

pub mod cert;
pub mod parser;

use md5::{Digest, Md5};

use super::{Direction, EventSet};
pub use cert::Cert;
use parser::{Hello, content, hs};

/// Largest handshake message reassembled (certificate chains included).
pub const MAX_HANDSHAKE: usize = 256 * 1024;
/// Certificates kept from the server's chain.
pub const MAX_CERTS: usize = 16;
/// Suricata's `SSL_RECORD_MINIMUM_LENGTH`: one parse call may walk at most
/// `max(bytes / 6, 1)` records before `too_many_records_in_packet`.
pub const MIN_RECORD_LEN: usize = 6;
/// Heartbeat request (RFC 6520).
const HB_REQUEST: u8 = 1;
/// Heartbeat response.
const HB_RESPONSE: u8 = 2;
/// Least padding of a heartbeat message (RFC 6520 section 4).
const HB_MIN_PADDING: usize = 16;

app_events! {
    /// A TLS anomaly, named as Suricata's `tls-events.rules`.
    TlsEvent {
        /// A record header that is not TLS (type or version).
        InvalidTlsHeader => "invalid_tls_header",
        /// A record type outside 20..=24.
        InvalidRecordType => "invalid_record_type",
        /// A record version other than 3.x.
        InvalidRecordVersion => "invalid_record_version",
        /// A record longer than allowed.
        InvalidRecordLength => "invalid_record_length",
        /// A handshake message that does not parse.
        InvalidHandshakeMessage => "invalid_handshake_message",
        /// A handshake message longer than the cap.
        HandshakeInvalidLength => "handshake_invalid_length",
        /// A malformed SSLv2 header.
        InvalidSslv2Header => "invalid_sslv2_header",
        /// A certificate that is not valid DER.
        CertificateInvalidDer => "certificate_invalid_der",
        /// A certificate over the size cap.
        CertificateInvalidLength => "certificate_invalid_length",
        /// A certificate list that does not parse.
        InvalidCertificate => "invalid_certificate",
        /// An SNI entry of another name type.
        InvalidSniType => "invalid_sni_type",
        /// An SNI length that does not fit.
        InvalidSniLength => "invalid_sni_length",
        /// Several server_name extensions.
        MultipleSniExtensions => "multiple_sni_extensions",
        /// Named by Suricata 7's table but never raised by it: rules load
        /// and never match (vxtap likewise).
        HeartbeatMessage => "heartbeat_message",
        /// An SSLv2 ERROR message (Suricata 7 raises it for nothing else:
        /// TLS alert records are not events).
        ErrorMessageEncountered => "error_message_encountered",
        /// A heartbeat record of a bad type, with too little padding, or a
        /// second request in flight.
        InvalidHeartbeatMessage => "invalid_heartbeat_message",
        /// A heartbeat request whose payload length exceeds its record
        /// (Heartbleed).
        OverflowHeartbeatMessage => "overflow_heartbeat_message",
        /// An encrypted heartbeat response longer than its request.
        DataleakHeartbeatMismatch => "dataleak_heartbeat_mismatch",
        /// A record Suricata's parser cannot walk: a handshake record under
        /// 4 bytes, a message header cut by the record's end, an SSLv2
        /// record of length 0.
        InvalidSslRecord => "invalid_ssl_record",
        /// More records in one parse call than its bytes allow.
        TooManyRecordsInPacket => "too_many_records_in_packet",
        /// The leaf certificate's version is invalid (x509 decoder).
        CertificateInvalidVersion => "certificate_invalid_version",
        /// Its serial is invalid.
        CertificateInvalidSerial => "certificate_invalid_serial",
        /// An algorithm identifier is invalid.
        CertificateInvalidAlgorithmidentifier => "certificate_invalid_algorithmidentifier",
        /// A name is invalid.
        CertificateInvalidX509name => "certificate_invalid_x509name",
        /// A date is invalid.
        CertificateInvalidDate => "certificate_invalid_date",
        /// The extensions are invalid.
        CertificateInvalidExtensions => "certificate_invalid_extensions",
    }
}

/// Handshake steps seen (Suricata's `ssl_state` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SslState(pub u8);

impl SslState {
    /// ClientHello seen.
    pub const CLIENT_HELLO: u8 = 1;
    /// ServerHello seen.
    pub const SERVER_HELLO: u8 = 2;
    /// ClientKeyExchange seen.
    pub const CLIENT_KEYX: u8 = 4;
    /// ServerKeyExchange seen.
    pub const SERVER_KEYX: u8 = 8;
    /// A handshake message of another type.
    pub const UNKNOWN: u8 = 16;
}

/// SSL/TLS versions seen (Suricata's `ssl_version` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SslVersions(pub u8);

impl SslVersions {
    /// SSLv2.
    pub const SSLV2: u8 = 1;
    /// SSLv3.
    pub const SSLV3: u8 = 2;
    /// TLS 1.0.
    pub const TLS10: u8 = 4;
    /// TLS 1.1.
    pub const TLS11: u8 = 8;
    /// TLS 1.2.
    pub const TLS12: u8 = 16;
    /// TLS 1.3.
    pub const TLS13: u8 = 32;

    fn bit(v: u16) -> u8 {
        match v {
            0x0002 => Self::SSLV2,
            0x0300 => Self::SSLV3,
            0x0301 => Self::TLS10,
            0x0302 => Self::TLS11,
            0x0303 => Self::TLS12,
            0x0304 => Self::TLS13,
            _ => 0,
        }
    }
}

/// One direction's record and handshake reassembly.
#[derive(Debug, Default)]
struct Side {
    /// Unfinished record (header included).
    record: Vec<u8>,
    /// Unfinished handshake message (header included).
    handshake: Vec<u8>,
    /// ChangeCipherSpec seen: later records are encrypted.
    encrypted: bool,
    /// Records seen.
    records: u64,
    /// The record being filled is SSLv2 (its first byte has one of the
    /// top two bits set, as Suricata decides at each record start).
    sslv2: bool,
}

impl Side {
    /// Header length of the record being filled: 5 (TLS), 2 or 3
    /// (SSLv2; the 3-byte form has a padding byte); the SSLv2 header is
    /// counted with its message type byte.
    fn header_len(&self, first: u8) -> usize {
        match self.sslv2 {
            false => parser::RECORD_HEADER_LEN,
            true if first & 0x80 != 0 => 3,
            true => 4,
        }
    }

    /// SSLv2: the record length field (it counts the message type byte),
    /// once the header is in.
    fn sslv2_len(&self) -> Option<usize> {
        let r = &self.record;
        let b = r.get(..2)?;
        let mask = if b[0] & 0x80 != 0 { 0x7f } else { 0x3f };
        Some(((b[0] & mask) as usize) << 8 | b[1] as usize)
    }

    /// Bytes of the whole record being filled, once its header is in.
    fn total_len(&self) -> Option<usize> {
        let hdr = self.header_len(*self.record.first()?);
        if self.record.len() < hdr {
            return None;
        }
        if self.sslv2 {
            self.sslv2_len().map(|n| hdr - 1 + n)
        } else {
            parser::record_header(&self.record).map(|h| parser::RECORD_HEADER_LEN + h.len)
        }
    }
}

/// Heartbeat exchange state (Suricata's `SSL_AL_FLAG_HB_*` flags and
/// `hb_record_len`).
#[derive(Debug, Default, Clone, Copy)]
struct Heartbeat {
    /// A heartbeat is in flight.
    inflight: bool,
    /// The server sent it.
    server_init: bool,
    /// The client sent it.
    client_init: bool,
    /// Length of the encrypted request in flight.
    record_len: usize,
}

/// The TLS state of one flow.
#[derive(Debug, Default)]
pub struct TlsState {
    sides: [Side; 2],
    /// The ClientHello.
    pub client_hello: Option<Hello>,
    /// The ServerHello.
    pub server_hello: Option<Hello>,
    /// The SSLv2 ClientHello's version, when the client spoke SSLv2.
    pub sslv2_client_version: Option<u16>,
    /// DER of the server's certificates, leaf first (`tls.certs`).
    pub certs_der: Vec<Vec<u8>>,
    /// The certificates that decode, in chain order (`leaf()` is the
    /// first only when the leaf itself decoded).
    pub certs: Vec<Cert>,
    /// The leaf certificate did not decode (an event says why).
    leaf_failed: bool,
    /// The version field of the last record header the server sent before
    /// its ServerHello was parsed (what Suricata reports as the version
    /// until the ServerHello is complete).
    pub server_record_version: Option<u16>,
    /// Handshake steps seen (`ssl_state`).
    pub state: SslState,
    /// Handshake steps seen by the latest [`parse`](Self::parse) call
    /// (Suricata's `current_flags`, which `ssl_state` reads).
    pub current: SslState,
    /// Versions seen (`ssl_version`).
    pub versions: SslVersions,
    /// Events.
    pub events: EventSet,
    /// Application data was seen (Suricata's `SSL_AL_FLAG_HANDSHAKE_DONE`,
    /// when its `tls` event is logged).
    handshake_done: bool,
    /// The server's ServerHelloDone was parsed.
    server_hello_done: bool,
    /// A ChangeCipherSpec was seen in either direction (Suricata's
    /// flow-wide `SSL_AL_FLAG_CHANGE_CIPHER_SPEC`).
    ccs: bool,
    /// Heartbeat exchange state.
    heartbeat: Heartbeat,
    /// A parser error ended parsing of the flow (both directions).
    failed: bool,
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl TlsState {
    /// A fresh state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `ev` was raised.
    pub fn has_event(&self, ev: TlsEvent) -> bool {
        self.events.has(ev as u32)
    }

    fn event(&mut self, ev: TlsEvent) {
        self.events.set(ev as u32);
    }

    /// Records parsed so far in direction `dir` (grows as the session
    /// progresses; detection re-inspects the session when it does).
    pub fn records(&self, dir: Direction) -> u64 {
        self.sides[dir.index()].records
    }

    /// Both sides sent ChangeCipherSpec (or the TLS 1.3 equivalent): what
    /// follows is encrypted application data, which Suricata's default
    /// `encryption-handling` leaves out of payload inspection.
    pub fn encrypted(&self) -> bool {
        self.sides.iter().all(|s| s.encrypted)
    }

    /// The handshake is over: an application-data record was seen in
    /// either direction (not 0-RTT early data before the ServerHello), as
    /// Suricata's `SSL_AL_FLAG_HANDSHAKE_DONE`.
    pub fn handshake_done(&self) -> bool {
        self.handshake_done
    }

    /// The server's ServerHelloDone was parsed (its first flight, with
    /// its certificate, is complete).
    pub fn server_hello_done(&self) -> bool {
        self.server_hello_done
    }

    /// `tls.sni`: the first server_name of the ClientHello.
    pub fn sni(&self) -> Option<&[u8]> {
        self.client_hello
            .as_ref()
            .and_then(|h| h.sni.first())
            .map(Vec::as_slice)
    }

    /// The negotiated version: ServerHello's supported_versions when
    /// present (TLS 1.3), else its version field.
    pub fn version(&self) -> Option<u16> {
        self.server_hello
            .as_ref()
            .map(|h| h.supported_versions.first().copied().unwrap_or(h.version))
    }

    /// The version as EVE writes it (`TLS 1.2`, `SSLv3`, `UNDETERMINED`).
    pub fn version_string(&self) -> &'static str {
        match self.version() {
            Some(0x0002) => "SSLv2",
            Some(0x0300) => "SSLv3",
            Some(0x0301) => "TLSv1",
            Some(0x0302) => "TLS 1.1",
            Some(0x0303) => "TLS 1.2",
            Some(0x0304) => "TLS 1.3",
            _ => "UNDETERMINED",
        }
    }

    /// `ja3.string`.
    pub fn ja3(&self) -> Option<String> {
        self.client_hello
            .as_ref()
            .map(|h| parser::ja3_string(h, true))
    }

    /// `ja3.hash`: MD5 of the JA3 string, lower-case hex.
    pub fn ja3_hash(&self) -> Option<String> {
        self.ja3().map(|s| md5_hex(&s))
    }

    /// `ja3s.string`.
    pub fn ja3s(&self) -> Option<String> {
        self.server_hello
            .as_ref()
            .map(|h| parser::ja3_string(h, false))
    }

    /// `ja3s.hash`.
    pub fn ja3s_hash(&self) -> Option<String> {
        self.ja3s().map(|s| md5_hex(&s))
    }

    /// The leaf certificate (`tls.cert_subject`, `tls.cert_issuer`,
    /// `tls.cert_serial`, `tls.cert_fingerprint`, validity).
    pub fn leaf(&self) -> Option<&Cert> {
        self.certs.first().filter(|_| !self.leaf_failed)
    }

    fn step(&mut self, s: u8) {
        self.state.0 |= s;
        self.current.0 |= s;
    }

    /// Parses the next reassembled bytes of one direction, as Suricata
    /// 7's `SSLDecode` does one call: record by record, SSLv2 framing
    /// decided at each record's first byte, at most `max(len / 6, 1)`
    /// records (else `too_many_records_in_packet`); an error ends parsing
    /// of the whole flow (Suricata disables the flow's app layer).
    pub fn parse(&mut self, dir: Direction, mut data: &[u8]) {
        self.current = SslState::default();
        let d = dir.index();
        let max_records = (data.len() / MIN_RECORD_LEN).max(1);
        let mut counter = 0usize;
        while !data.is_empty() && !self.failed {
            if counter > max_records {
                self.sides[d].record.clear();
                self.fail(TlsEvent::TooManyRecordsInPacket);
                return;
            }
            counter += 1;
            let side = &mut self.sides[d];
            if side.record.is_empty() {
                side.sslv2 = data[0] & 0xc0 != 0;
            }
            // Fill the record header, then the record.
            let hdr = side.header_len(side.record.first().copied().unwrap_or(data[0]));
            let have = side.record.len();
            let need = if have < hdr {
                hdr - have
            } else {
                side.total_len().unwrap_or(hdr).saturating_sub(have)
            };
            let n = need.min(data.len());
            side.record.extend_from_slice(&data[..n]);
            data = &data[n..];
            if side.sslv2 {
                let (Some(len), Some(total)) = (side.sslv2_len(), side.total_len()) else {
                    continue;
                };
                if len == 0 {
                    self.event(TlsEvent::InvalidSslv2Header);
                    self.fail(TlsEvent::InvalidSslRecord);
                    return;
                }
                if self.sides[d].record.len() < total {
                    continue;
                }
                let rec = std::mem::take(&mut self.sides[d].record);
                self.sslv2(dir, rec[hdr - 1], &rec[hdr..]);
                self.sides[d].record = rec;
                self.sides[d].record.clear();
                continue;
            }
            if self.sides[d].record.len() == parser::RECORD_HEADER_LEN && n > 0 {
                let Some(h) = parser::record_header(&self.sides[d].record) else {
                    continue;
                };
                if dir == Direction::ToClient && self.server_hello.is_none() {
                    self.server_record_version = Some(h.version);
                }
                if h.content_type == content::APPLICATION_DATA {
                    self.application_data();
                }
                if let Some(ev) = Self::check_header(h) {
                    self.sides[d].record.clear();
                    self.fail(ev);
                    return;
                }
            }
            let side = &self.sides[d];
            let Some(h) = parser::record_header(&side.record) else {
                continue;
            };
            if side.record.len() < parser::RECORD_HEADER_LEN + h.len {
                continue;
            }
            let rec = std::mem::take(&mut self.sides[d].record);
            self.record(dir, h, &rec[parser::RECORD_HEADER_LEN..]);
            self.sides[d].record = rec;
            self.sides[d].record.clear();
        }
    }

    /// Raises `ev` and stops parsing the flow, both directions (Suricata's
    /// parser error, after which the app layer is off for the flow).
    fn fail(&mut self, ev: TlsEvent) {
        self.event(ev);
        self.failed = true;
    }

    /// An application-data record header: the handshake is over (as
    /// Suricata decides on the header, before the record's bytes), unless
    /// it is TLS 1.3 0-RTT data (the ClientHello's early_data extension,
    /// 42) before the ServerHello.
    fn application_data(&mut self) {
        let early = self
            .client_hello
            .as_ref()
            .is_some_and(|h| h.extensions.contains(&42));
        if !early || self.server_hello.is_some() {
            self.handshake_done = true;
        }
    }

    fn check_header(h: parser::RecordHeader) -> Option<TlsEvent> {
        if !(content::CHANGE_CIPHER_SPEC..=content::HEARTBEAT).contains(&h.content_type) {
            return Some(TlsEvent::InvalidRecordType);
        }
        if h.version >> 8 != 3 {
            return Some(TlsEvent::InvalidRecordVersion);
        }
        if h.len > parser::MAX_RECORD_LEN {
            return Some(TlsEvent::InvalidRecordLength);
        }
        None
    }

    /// A whole SSLv2 record (`msg_type` then the rest of the message): an
    /// ERROR message raises `error_message_encountered` (the only place
    /// Suricata 7 raises it), a ClientHello (client) is decoded for its
    /// version, a ServerHello is a handshake step.
    fn sslv2(&mut self, dir: Direction, msg_type: u8, rest: &[u8]) {
        self.versions.0 |= SslVersions::SSLV2;
        match msg_type {
            parser::sslv2::ERROR => self.event(TlsEvent::ErrorMessageEncountered),
            parser::sslv2::CLIENT_HELLO => {
                self.step(SslState::CLIENT_HELLO);
                if dir == Direction::ToServer
                    && self.sslv2_client_version.is_none()
                    && let Ok((v, _)) = parser::sslv2_client_hello_body(rest)
                {
                    self.sslv2_client_version = Some(v);
                }
            }
            parser::sslv2::SERVER_HELLO => self.step(SslState::SERVER_HELLO),
            _ => {}
        }
    }

    fn record(&mut self, dir: Direction, h: parser::RecordHeader, body: &[u8]) {
        let d = dir.index();
        self.sides[d].records += 1;
        self.versions.0 |= SslVersions::bit(h.version);
        match h.content_type {
            content::CHANGE_CIPHER_SPEC => {
                self.sides[d].encrypted = true;
                self.ccs = true;
            }
            content::HEARTBEAT => self.heartbeat(dir, body),
            content::HANDSHAKE if self.ccs && !self.tls13_middlebox_ccs() => {}
            content::HANDSHAKE if body.len() < 4 => {
                self.fail(TlsEvent::InvalidSslRecord);
            }
            content::HANDSHAKE => self.handshake_bytes(dir, body),
            _ => {}
        }
    }

    /// A ChangeCipherSpec seen while the client offered TLS 1.3 and no
    /// ServerHello came yet: only middlebox compatibility (RFC 8446 D.4),
    /// handshake records are still parsed (Suricata's exception).
    fn tls13_middlebox_ccs(&self) -> bool {
        self.server_hello.is_none()
            && self.client_hello.as_ref().is_some_and(|h| {
                h.supported_versions.first().copied().unwrap_or(h.version) > 0x0303
            })
    }

    /// A whole heartbeat record (RFC 6520), checked as Suricata 7's
    /// `SSLv3ParseHeartbeatProtocol`: a request whose payload length does
    /// not fit the record (Heartbleed), too little padding, a bad type, or
    /// a second request in flight are events that end parsing; once
    /// encrypted, a response longer than its request is a data leak.
    fn heartbeat(&mut self, dir: Direction, body: &[u8]) {
        if body.len() < 3 {
            return;
        }
        let record_len = body.len();
        let hb = &mut self.heartbeat;
        if !self.ccs && !matches!(body[0], HB_REQUEST | HB_RESPONSE) {
            self.fail(TlsEvent::InvalidHeartbeatMessage);
            return;
        }
        let to_client = dir == Direction::ToClient;
        if !hb.inflight {
            hb.inflight = true;
            hb.server_init = to_client;
            hb.client_init = !to_client;
            if self.ccs {
                hb.record_len = record_len;
                return;
            }
            let payload = u16::from_be_bytes([body[1], body[2]]) as usize;
            if payload + 3 > record_len {
                self.fail(TlsEvent::OverflowHeartbeatMessage);
            } else if record_len - payload - 3 < HB_MIN_PADDING {
                self.fail(TlsEvent::InvalidHeartbeatMessage);
            }
        } else if (to_client && hb.server_init) || (!to_client && hb.client_init) {
            self.fail(TlsEvent::InvalidHeartbeatMessage);
        } else {
            *hb = Heartbeat {
                record_len: hb.record_len,
                ..Heartbeat::default()
            };
            let request = std::mem::take(&mut hb.record_len);
            if self.ccs && request > 0 && request < record_len {
                self.fail(TlsEvent::DataleakHeartbeatMismatch);
            }
        }
    }

    /// Handshake bytes of one record, as Suricata 7 walks them: a message
    /// longer than what the record holds is buffered across records; a
    /// message header cut by the record's end is `invalid_ssl_record`; a
    /// message type Suricata does not know is `invalid_handshake_message`
    /// and skipped.
    fn handshake_bytes(&mut self, dir: Direction, mut body: &[u8]) {
        let d = dir.index();
        while !body.is_empty() {
            let buf = &mut self.sides[d].handshake;
            if !buf.is_empty() {
                let len = (buf[1] as usize) << 16 | (buf[2] as usize) << 8 | buf[3] as usize;
                let n = (4 + len - buf.len()).min(body.len());
                buf.extend_from_slice(&body[..n]);
                body = &body[n..];
                if buf.len() == 4 + len {
                    let msg = std::mem::take(&mut self.sides[d].handshake);
                    self.handshake(dir, msg[0], &msg[4..]);
                }
                continue;
            }
            if body.len() < 4 {
                self.event(TlsEvent::InvalidSslRecord);
                self.fail(TlsEvent::InvalidHandshakeMessage);
                return;
            }
            let kind = body[0];
            let len = (body[1] as usize) << 16 | (body[2] as usize) << 8 | body[3] as usize;
            if !hs::known(kind) {
                body = &body[(4 + len).min(body.len())..];
                self.event(TlsEvent::InvalidHandshakeMessage);
                continue;
            }
            if len > MAX_HANDSHAKE {
                self.fail(TlsEvent::HandshakeInvalidLength);
                return;
            }
            if 4 + len > body.len() {
                buf.extend_from_slice(body);
                return;
            }
            self.handshake(dir, kind, &body[4..4 + len]);
            body = &body[4 + len..];
        }
    }

    fn handshake(&mut self, dir: Direction, kind: u8, body: &[u8]) {
        match (kind, dir) {
            (hs::CLIENT_HELLO, Direction::ToServer) => {
                self.step(SslState::CLIENT_HELLO);
                match parser::client_hello(body) {
                    Ok(h) => {
                        for (on, ev) in [
                            (h.sni_invalid_type, TlsEvent::InvalidSniType),
                            (h.sni_invalid_length, TlsEvent::InvalidSniLength),
                            (h.multiple_sni, TlsEvent::MultipleSniExtensions),
                        ] {
                            if on {
                                self.event(ev);
                            }
                        }
                        self.versions.0 |= SslVersions::bit(h.version);
                        if self.client_hello.is_none() {
                            self.client_hello = Some(h);
                        }
                    }
                    // Suricata's hello decoder: a field that does not fit
                    // is `handshake_invalid_length`, and parsing goes on.
                    Err(_) => self.event(TlsEvent::HandshakeInvalidLength),
                }
            }
            (hs::SERVER_HELLO, Direction::ToClient) => {
                self.step(SslState::SERVER_HELLO);
                match parser::server_hello(body) {
                    Ok(h) => {
                        self.versions.0 |= SslVersions::bit(h.version);
                        for v in &h.supported_versions {
                            self.versions.0 |= SslVersions::bit(*v);
                        }
                        let tls13 = h.supported_versions.contains(&0x0304);
                        if self.server_hello.is_none() {
                            self.server_hello = Some(h);
                        }
                        // TLS 1.3: everything after the ServerHello is encrypted.
                        if tls13 {
                            self.sides[1].encrypted = true;
                        }
                    }
                    Err(_) => self.event(TlsEvent::HandshakeInvalidLength),
                }
            }
            (hs::CERTIFICATE, Direction::ToClient) if self.certs_der.is_empty() => {
                self.certificates(body)
            }
            (hs::CLIENT_KEY_EXCHANGE, _) => self.step(SslState::CLIENT_KEYX),
            (hs::SERVER_KEY_EXCHANGE, _) => self.step(SslState::SERVER_KEYX),
            (hs::SERVER_HELLO_DONE, Direction::ToClient) => self.server_hello_done = true,
            (hs::CERTIFICATE | hs::CERTIFICATE_REQUEST | hs::SERVER_HELLO_DONE, _) => {}
            _ => self.step(SslState::UNKNOWN),
        }
    }
}

impl TlsState {
    /// The server's Certificate message, walked as Suricata 7's
    /// `TlsDecodeHSCertificate`: every certificate is kept for `tls.certs`;
    /// the leaf's decoding error is the matching `certificate_invalid_*`
    /// event (Suricata decodes no other: theirs raise nothing; a leaf
    /// that failed leaves no leaf fields); a list cut short is
    /// `invalid_certificate` (what came before it is kept).
    fn certificates(&mut self, body: &[u8]) {
        let mut r = parser::Reader::new(body);
        let Ok(list) = r.vec24() else {
            return;
        };
        let mut list = parser::Reader::new(list);
        while !list.is_empty() {
            let Ok(der) = list.vec24() else {
                self.event(TlsEvent::InvalidCertificate);
                return;
            };
            if self.certs_der.len() >= MAX_CERTS {
                continue;
            }
            match cert::decode(der) {
                Ok(c) => self.certs.push(c),
                Err(e) if self.certs_der.is_empty() => {
                    self.leaf_failed = true;
                    self.event(e.event());
                }
                Err(_) => {}
            }
            self.certs_der.push(der.to_vec());
        }
    }
}

#[cfg(test)]
mod tests;
