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
        /// An alert record was seen.
        ErrorMessageEncountered => "error_message_encountered",
        /// A heartbeat record was seen.
        HeartbeatMessage => "heartbeat_message",
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
    /// Broken beyond repair: bytes ignored.
    stopped: bool,
    /// Records seen.
    records: u64,
    /// The first bytes decided SSLv2 framing (the 2-byte header).
    sslv2_checked: bool,
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
    /// The decoded certificates (same order; a failed one is absent and
    /// raises an event).
    pub certs: Vec<Cert>,
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
        self.certs.first()
    }

    fn step(&mut self, s: u8) {
        self.state.0 |= s;
        self.current.0 |= s;
    }

    /// Parses the next reassembled bytes of one direction.
    pub fn parse(&mut self, dir: Direction, mut data: &[u8]) {
        self.current = SslState::default();
        let d = dir.index();
        while !data.is_empty() && !self.sides[d].stopped {
            // SSLv2 framing is only possible for the first record.
            if !self.sides[d].sslv2_checked && self.sides[d].record.is_empty() {
                self.sides[d].sslv2_checked = true;
                if data[0] & 0x80 != 0 {
                    self.sslv2(dir, data);
                    return;
                }
            }
            let side = &mut self.sides[d];
            // Fill the record header, then the record.
            let have = side.record.len();
            let need = if have < parser::RECORD_HEADER_LEN {
                parser::RECORD_HEADER_LEN - have
            } else {
                let h = parser::record_header(&side.record).map_or(0, |h| h.len);
                parser::RECORD_HEADER_LEN + h - have
            };
            let n = need.min(data.len());
            side.record.extend_from_slice(&data[..n]);
            data = &data[n..];
            if side.record.len() == parser::RECORD_HEADER_LEN {
                let Some(h) = parser::record_header(&side.record) else {
                    continue;
                };
                if dir == Direction::ToClient && self.server_hello.is_none() {
                    self.server_record_version = Some(h.version);
                }
                if h.content_type == content::APPLICATION_DATA {
                    self.application_data();
                }
                if let Some(ev) = Self::check_header(h) {
                    self.event(ev);
                    self.sides[d].stopped = true;
                    self.sides[d].record = Vec::new();
                    return;
                }
                if h.len > 0 {
                    continue;
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

    /// An SSLv2 record at the start of a direction: a ClientHello
    /// (client) is decoded for its version; either way the direction's
    /// later records may be TLS (the upgrade), so the record is skipped.
    fn sslv2(&mut self, dir: Direction, data: &[u8]) {
        let d = dir.index();
        let Some(&[a, b]) = data.get(..2) else {
            self.event(TlsEvent::InvalidSslv2Header);
            self.sides[d].stopped = true;
            return;
        };
        let len = ((a & 0x7f) as usize) << 8 | b as usize;
        let Some(msg) = data.get(2..2 + len) else {
            // A split SSLv2 hello: not reassembled (rare, legacy).
            self.sides[d].stopped = true;
            return;
        };
        self.versions.0 |= SslVersions::SSLV2;
        if dir == Direction::ToServer {
            match parser::sslv2_client_hello(msg) {
                Ok((v, _)) => {
                    self.sslv2_client_version = Some(v);
                    self.step(SslState::CLIENT_HELLO);
                }
                Err(_) => self.event(TlsEvent::InvalidSslv2Header),
            }
        }
        let rest = &data[2 + len..];
        if !rest.is_empty() {
            self.parse(dir, rest);
        }
    }

    fn record(&mut self, dir: Direction, h: parser::RecordHeader, body: &[u8]) {
        let d = dir.index();
        self.sides[d].records += 1;
        self.versions.0 |= SslVersions::bit(h.version);
        match h.content_type {
            content::CHANGE_CIPHER_SPEC => self.sides[d].encrypted = true,
            content::ALERT => self.event(TlsEvent::ErrorMessageEncountered),
            content::HEARTBEAT => self.event(TlsEvent::HeartbeatMessage),
            content::HANDSHAKE if !self.sides[d].encrypted => self.handshake_bytes(dir, body),
            _ => {}
        }
    }

    /// Handshake bytes of one record: messages may span records and one
    /// record may hold several.
    fn handshake_bytes(&mut self, dir: Direction, mut body: &[u8]) {
        let d = dir.index();
        while !body.is_empty() {
            let buf = &mut self.sides[d].handshake;
            let need = if buf.len() < 4 {
                4 - buf.len()
            } else {
                let len = (buf[1] as usize) << 16 | (buf[2] as usize) << 8 | buf[3] as usize;
                4 + len - buf.len()
            };
            let n = need.min(body.len());
            buf.extend_from_slice(&body[..n]);
            body = &body[n..];
            if buf.len() < 4 {
                return;
            }
            let len = (buf[1] as usize) << 16 | (buf[2] as usize) << 8 | buf[3] as usize;
            if len > MAX_HANDSHAKE {
                self.event(TlsEvent::HandshakeInvalidLength);
                self.sides[d].handshake = Vec::new();
                self.sides[d].stopped = true;
                return;
            }
            if buf.len() < 4 + len {
                continue;
            }
            let msg = std::mem::take(&mut self.sides[d].handshake);
            self.handshake(dir, msg[0], &msg[4..]);
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
                    Err(_) => self.event(TlsEvent::InvalidHandshakeMessage),
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
                    Err(_) => self.event(TlsEvent::InvalidHandshakeMessage),
                }
            }
            (hs::CERTIFICATE, Direction::ToClient) if self.certs_der.is_empty() => {
                match parser::certificates(body) {
                    Ok(list) => {
                        for der in list.into_iter().take(MAX_CERTS) {
                            match cert::decode(der) {
                                Ok(c) => self.certs.push(c),
                                Err(cert::CertError::TooLong) => {
                                    self.event(TlsEvent::CertificateInvalidLength)
                                }
                                Err(cert::CertError::InvalidDer) => {
                                    self.event(TlsEvent::CertificateInvalidDer)
                                }
                            }
                            self.certs_der.push(der.to_vec());
                        }
                    }
                    Err(_) => self.event(TlsEvent::InvalidCertificate),
                }
            }
            (hs::CLIENT_KEY_EXCHANGE, _) => self.step(SslState::CLIENT_KEYX),
            (hs::SERVER_KEY_EXCHANGE, _) => self.step(SslState::SERVER_KEYX),
            (hs::SERVER_HELLO_DONE, Direction::ToClient) => self.server_hello_done = true,
            (hs::CERTIFICATE | hs::CERTIFICATE_REQUEST | hs::SERVER_HELLO_DONE, _) => {}
            _ => self.step(SslState::UNKNOWN),
        }
    }
}

#[cfg(test)]
mod tests;
