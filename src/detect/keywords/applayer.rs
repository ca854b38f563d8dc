//! Application-layer keywords that are not buffers: the flow's protocol
//! (`app-layer-protocol`, read per packet like Suricata's packet match)
//! and conditions on a transaction (`app-layer-event`, `urilen`,
//! `dns.opcode`, `ssl_version`, `ssl_state`, `tls.version`,
//! `tls.subject`, `tls.issuerdn`, `tls.fingerprint`,
//! `tls.cert_chain_len`, `tls_cert_notbefore`/`notafter`/`expired`/`valid`,
//! `krb5_msg_type`, `krb5_err_code`, `krb5.ticket_encryption`,
//! `dce_iface`, `dce_opnum`, `ftpdata_command`, `ftpbounce`).
//! Buffers (`http.uri`, …) are in [`super::app`].

use super::Builder;
use super::validity::Validity;
use crate::applayer::dcerpc::parser::parse_uuid;
use crate::applayer::dns::DnsEvent;
use crate::applayer::ftp::{FtpCommand, FtpEvent};
use crate::applayer::http::{HttpEvent, Progress};
use crate::applayer::krb5::{Krb5Event, parser::is_weak};
use crate::applayer::probe::DetectEvent;
use crate::applayer::smb::SmbEvent;
use crate::applayer::ssh::SshEvent;
use crate::applayer::tls::{SslState, SslVersions, TlsEvent, TlsState};
use crate::applayer::{AppProto, Direction};
use crate::detect::rule::lexer::{unescape, unquote};
use crate::detect::signature::PacketMatch;
use crate::detect::tx::Tx;
use crate::detect::uint::Uint;

/// `app-layer-protocol:[!]proto[,mode]`, checked against the packet's
/// direction (Suricata 7's default `direction` mode), or the flow's
/// protocol with `final`/`either`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppProtoMatch {
    /// The protocol named (`failed` included).
    pub proto: AppProto,
    /// `!`.
    pub negated: bool,
    /// Which protocol is compared.
    pub mode: ProtoMode,
}

/// `app-layer-protocol` modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtoMode {
    /// The protocol detected in the packet's direction (default).
    Direction,
    /// The flow's protocol.
    Final,
    /// Either direction's.
    Either,
    /// The to-server direction's.
    ToServer,
    /// The to-client direction's.
    ToClient,
}

/// What the application layer knows of a flow, per packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlowApp {
    /// The flow's protocol (the first direction decided).
    pub flow: AppProto,
    /// Per direction [to-server, to-client] (`Unknown` while that
    /// direction is still being probed).
    pub dirs: [AppProto; 2],
    /// Detection finished for a direction on this packet: the packet
    /// protocol-detection-only rules are evaluated on.
    pub detected_now: bool,
    /// Protocol-detection events raised on this packet
    /// ([`DetectEvent`](crate::applayer::probe::DetectEvent) bits).
    pub events: crate::applayer::EventSet,
}

fn same(rule: AppProto, seen: AppProto) -> bool {
    rule == seen
}

impl AppProtoMatch {
    /// Whether the flow's protocol satisfies the keyword for a packet
    /// travelling to the server (`to_server`) or not. An undecided protocol
    /// matches nothing, negated or not.
    pub fn matches(&self, app: &FlowApp, to_server: bool) -> bool {
        let check = |p: AppProto| p != AppProto::Unknown && same(self.proto, p) != self.negated;
        match self.mode {
            ProtoMode::Direction => check(app.dirs[if to_server { 0 } else { 1 }]),
            ProtoMode::Final => check(app.flow),
            ProtoMode::Either => check(app.dirs[0]) || check(app.dirs[1]),
            ProtoMode::ToServer => check(app.dirs[0]),
            ProtoMode::ToClient => check(app.dirs[1]),
        }
    }
}

/// `app-layer-protocol`.
pub fn app_layer_protocol(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("needs a value")?;
    let (name, mode) = match s.split_once(',') {
        Some((n, m)) => (n.trim(), m.trim()),
        None => (s, "direction"),
    };
    let (negated, name) = match name.strip_prefix('!') {
        Some(n) => (true, n.trim()),
        None => (false, name),
    };
    let proto = AppProto::from_name(name)
        .filter(|p| *p != AppProto::Unknown)
        .ok_or_else(|| format!("unknown protocol `{name}`"))?;
    let mode = match mode {
        "direction" => ProtoMode::Direction,
        "final" => ProtoMode::Final,
        "either" => ProtoMode::Either,
        "to_server" => ProtoMode::ToServer,
        "to_client" => ProtoMode::ToClient,
        m => return Err(format!("unknown mode `{m}`")),
    };
    b.sig.matches.push(PacketMatch::AppProto(AppProtoMatch {
        proto,
        negated,
        mode,
    }));
    Ok(())
}

/// A condition on one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxCond {
    /// `app-layer-event:<proto>.<name>`: the parser raised this event on
    /// the transaction (TLS: on the session).
    Event {
        /// Protocol.
        proto: AppProto,
        /// The event's bit in that protocol's event set.
        bit: u32,
    },
    /// `urilen`: the URI's length (normalised, or `raw`).
    Urilen {
        /// Comparison.
        cmp: Uint,
        /// `raw`.
        raw: bool,
    },
    /// `dns.opcode:[!]N`.
    DnsOpcode {
        /// Opcode.
        op: u8,
        /// `!`.
        negated: bool,
    },
    /// `ssl_version`: per version, listed and negated (Suricata's
    /// matching: the inspected side's version is listed, XOR its `!`).
    SslVersion {
        /// Versions listed (`SslVersions` bits).
        listed: u8,
        /// Versions listed with `!`.
        negated: u8,
    },
    /// `ssl_state`: any listed handshake step was seen by the latest
    /// parse of the session (or, with `!`, was not), as Suricata's
    /// `current_flags`.
    SslState {
        /// Steps listed (`SslState` bits).
        listed: u8,
        /// Steps listed with `!`.
        negated: u8,
    },
    /// `tls.version`: the negotiated version.
    TlsVersion(u16),
    /// `tls.subject`, `tls.issuerdn`: substring of the leaf's subject or
    /// issuer (`!`: not).
    CertField {
        /// Issuer (else subject).
        issuer: bool,
        /// Substring.
        needle: Vec<u8>,
        /// `!`.
        negated: bool,
    },
    /// `tls.fingerprint`: the leaf's SHA-1, case-insensitively.
    Fingerprint(String),
    /// `tls.cert_chain_len`.
    ChainLen(Uint),
    /// `dce_iface:<uuid>[,<version>][,any_frag]`: a DCE/RPC call on an
    /// interface the server accepted with this UUID (and major version).
    DceIface {
        /// Interface UUID, canonical byte order.
        uuid: [u8; 16],
        /// Condition on the interface's major version.
        version: Option<Uint>,
        /// `any_frag`: also when the BIND was not a first fragment.
        any_frag: bool,
    },
    /// `dce_opnum:N[-M][,…]`: the call's operation number is one of these
    /// inclusive ranges.
    DceOpnum(Vec<(u16, u16)>),
    /// `krb5_msg_type:N`: the Kerberos message type (an error reports the
    /// request's).
    Krb5MsgType(u8),
    /// `krb5_err_code:N`: a KRB-ERROR with this code.
    Krb5ErrCode(i32),
    /// `krb5.ticket_encryption`: the reply's ticket etype.
    Krb5TicketEnc(EtypeMatch),
    /// `tls_cert_notbefore`, `tls_cert_notafter`, `tls_cert_expired`,
    /// `tls_cert_valid` (see [`super::validity`]).
    CertValidity(Validity),
    /// `ftpdata_command:retr|stor`: the control command that announced the
    /// ftp-data flow.
    FtpDataCommand(FtpCommand),
    /// `ftpbounce`: the control channel's last command is a PORT naming a
    /// host other than the client (Suricata's `detect-ftpbounce.c`).
    FtpBounce,
}

/// What `krb5.ticket_encryption` asks of a ticket's etype (Suricata 7's
/// `DetectKrb5TicketEncryptionData`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtypeMatch {
    /// `weak` (true) or `!weak` (false): whether the etype is weak.
    Weak(bool),
    /// Any of these etypes (names or numbers, negative ones included).
    List(Vec<i64>),
}

impl EtypeMatch {
    /// Whether `etype` satisfies it.
    pub fn matches(&self, etype: i64) -> bool {
        match self {
            EtypeMatch::Weak(w) => is_weak(etype) == *w,
            EtypeMatch::List(l) => l.contains(&etype),
        }
    }
}

impl TxCond {
    /// The protocol whose transactions it reads.
    pub fn proto(&self) -> AppProto {
        match self {
            TxCond::Event { proto, .. } => *proto,
            TxCond::Urilen { .. } => AppProto::Http,
            TxCond::DnsOpcode { .. } => AppProto::Dns,
            TxCond::Krb5MsgType(_) | TxCond::Krb5ErrCode(_) | TxCond::Krb5TicketEnc(_) => {
                AppProto::Krb5
            }
            TxCond::DceIface { .. } | TxCond::DceOpnum(_) => AppProto::Dcerpc,
            TxCond::FtpDataCommand(_) => AppProto::FtpData,
            TxCond::FtpBounce => AppProto::Ftp,
            _ => AppProto::Tls,
        }
    }

    /// The direction it is read in (`None`: either).
    pub fn dir(&self) -> Option<Direction> {
        match self {
            TxCond::Urilen { .. } | TxCond::DnsOpcode { .. } | TxCond::FtpBounce => {
                Some(Direction::ToServer)
            }
            TxCond::CertField { .. }
            | TxCond::Fingerprint(_)
            | TxCond::ChainLen(_)
            | TxCond::Krb5TicketEnc(_)
            | TxCond::CertValidity(_) => Some(Direction::ToClient),
            _ => None,
        }
    }

    /// Whether `tx`, inspected in direction `dir` with the flow's clock at
    /// `now_ns` (ns since the epoch), satisfies it.
    pub fn matches(&self, tx: Tx<'_>, dir: Direction, now_ns: u64) -> bool {
        if self.dir().is_some_and(|d| d != dir) {
            return false;
        }
        match (self, tx) {
            (TxCond::Event { proto, bit }, tx) if tx.proto() == *proto => match tx {
                Tx::Http(t) => t.events.has(*bit),
                Tx::Dns(t) => t.events.has(*bit),
                Tx::Tls(t) => t.events.has(*bit),
                Tx::Ssh(t) => t.events.has(*bit),
                Tx::Krb5(t) => t.events.has(*bit),
                Tx::Smb(_, t) => t.events.has(*bit),
                Tx::Ftp { tx, .. } => tx.events.has(*bit),
                // Suricata 7 has no DCE/RPC or ftp-data events.
                Tx::Dcerpc(..) | Tx::FtpData(_) => false,
            },
            (TxCond::FtpDataCommand(c), Tx::FtpData(d)) => d.command() == *c,
            (TxCond::FtpBounce, Tx::Ftp { bounce, .. }) => bounce,
            (TxCond::Krb5MsgType(m), Tx::Krb5(t)) => t.msg_type() == u32::from(*m),
            (TxCond::Krb5ErrCode(c), Tx::Krb5(t)) => t.error_code() == Some(i64::from(*c)),
            (TxCond::Krb5TicketEnc(e), Tx::Krb5(t)) => {
                t.ticket_encryption().is_some_and(|x| e.matches(x))
            }
            (TxCond::Urilen { cmp, raw }, Tx::Http(t)) => {
                t.request_progress >= Progress::Headers
                    && !t.uri_raw.is_empty()
                    && cmp.matches(if *raw { t.uri_raw.len() } else { t.uri.len() } as u64)
            }
            (TxCond::DnsOpcode { op, negated }, Tx::Dns(t)) => {
                t.dir == dir && t.opcode().is_some_and(|o| (o == *op) != *negated)
            }
            (TxCond::SslVersion { listed, negated }, Tx::Tls(t)) => {
                let bit = side_version(t, dir).map_or(0, ssl_version_bit);
                bit != 0 && ((listed & bit != 0) != (negated & bit != 0))
            }
            (TxCond::SslState { listed, negated }, Tx::Tls(t)) => {
                let seen = t.current.0;
                let plain = listed & !negated;
                (plain != 0 && seen & plain != 0) || (negated & !seen) != 0
            }
            (TxCond::TlsVersion(v), Tx::Tls(t)) => side_version(t, dir) == Some(*v),
            (
                TxCond::CertField {
                    issuer,
                    needle,
                    negated,
                },
                Tx::Tls(t),
            ) => t.leaf().is_some_and(|c| {
                let hay = if *issuer { &c.issuer } else { &c.subject };
                memchr::memmem::find(hay.as_bytes(), needle).is_some() != *negated
            }),
            (TxCond::Fingerprint(fp), Tx::Tls(t)) => t
                .leaf()
                .is_some_and(|c| c.fingerprint.eq_ignore_ascii_case(fp)),
            (TxCond::ChainLen(u), Tx::Tls(t)) => {
                !t.certs_der.is_empty() && u.matches(t.certs_der.len() as u64)
            }
            (
                TxCond::DceIface {
                    uuid,
                    version,
                    any_frag,
                },
                Tx::Dcerpc(s, t),
            ) => s.iface_matches(
                t,
                uuid,
                |v| version.is_none_or(|u| u.matches(u64::from(v))),
                *any_frag,
            ),
            (TxCond::DceOpnum(ranges), Tx::Dcerpc(_, t)) => t
                .opnum()
                .is_some_and(|o| ranges.iter().any(|&(a, b)| a <= o && o <= b)),
            (TxCond::CertValidity(v), Tx::Tls(t)) => t.leaf().is_some_and(|c| {
                v.matches(c.not_before, c.not_after, (now_ns / 1_000_000_000) as i64)
            }),
            _ => false,
        }
    }
}

/// The version one side of a TLS session speaks, as Suricata reads it for
/// `ssl_version` and `tls.version`: the client's hello version (SSLv2 for
/// an SSLv2 hello), the server's negotiated version.
fn side_version(t: &TlsState, dir: Direction) -> Option<u16> {
    match dir {
        Direction::ToServer => t
            .sslv2_client_version
            .map(|_| 0x0002)
            .or(t.client_hello.as_ref().map(|h| h.version)),
        Direction::ToClient => t.version(),
    }
}

/// The `SslVersions` bit of a protocol version number.
pub fn ssl_version_bit(v: u16) -> u8 {
    match v {
        0x0002 => SslVersions::SSLV2,
        0x0300 => SslVersions::SSLV3,
        0x0301 => SslVersions::TLS10,
        0x0302 => SslVersions::TLS11,
        0x0303 => SslVersions::TLS12,
        0x0304 => SslVersions::TLS13,
        _ => 0,
    }
}

fn push(b: &mut Builder, c: TxCond) {
    b.sig.matches.push(PacketMatch::Tx(c));
}

/// `app-layer-event:<proto>.<name>`.
pub fn app_layer_event(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let s = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("needs a value")?;
    // `applayer_*`: protocol detection's own events, on the packet.
    // Events vxtap does not raise (yet) are valid Suricata: reported
    // unsupported, never failed.
    let Some((proto, ev)) = s.split_once('.') else {
        match DetectEvent::from_name(s) {
            Some(e) if e.raised() => b.sig.matches.push(PacketMatch::AppLayerEvent(e)),
            Some(_) => b.mark_unsupported(&format!("{name}:{s}")),
            None => return Err(format!("unknown event `{s}`")),
        }
        return Ok(());
    };
    let found = match proto {
        "http" | "http1" => HttpEvent::from_name(ev).map(|e| (AppProto::Http, e as u32)),
        "dns" => DnsEvent::from_name(ev).map(|e| (AppProto::Dns, e as u32)),
        "tls" => TlsEvent::from_name(ev).map(|e| (AppProto::Tls, e as u32)),
        "ssh" => SshEvent::from_name(ev).map(|e| (AppProto::Ssh, e as u32)),
        "krb5" => Krb5Event::from_name(ev).map(|e| (AppProto::Krb5, e as u32)),
        "smb" => SmbEvent::from_name(ev).map(|e| (AppProto::Smb, e as u32)),
        "ftp" => FtpEvent::from_name(ev).map(|e| (AppProto::Ftp, e as u32)),
        _ => None,
    };
    let Some((proto, bit)) = found else {
        b.mark_unsupported(&format!("{name}:{s}"));
        return Ok(());
    };
    push(b, TxCond::Event { proto, bit });
    Ok(())
}

/// `ftpdata_command:retr|stor` (Suricata's regex: the word alone,
/// lower-case, blanks around it).
pub fn ftpdata_command(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let c = match v.map(|s| s.trim_matches(|c: char| c.is_ascii_whitespace())) {
        Some("retr") => FtpCommand::Retr,
        Some("stor") => FtpCommand::Stor,
        Some(o) => return Err(format!("`{o}` is neither `retr` nor `stor`")),
        None => return Err("needs `retr` or `stor`".into()),
    };
    push(b, TxCond::FtpDataCommand(c));
    Ok(())
}

/// `ftpbounce` (no value).
pub fn ftpbounce(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    if v.is_some_and(|s| !s.trim().is_empty()) {
        return Err("takes no value".into());
    }
    push(b, TxCond::FtpBounce);
    Ok(())
}

/// `urilen:<uint>[,norm|raw]`.
pub fn urilen(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("needs a value")?;
    let (n, raw) = match s.split_once(',') {
        Some((n, "raw")) => (n, true),
        Some((n, "norm")) => (n, false),
        Some((_, o)) => return Err(format!("unknown option `{o}`")),
        None => (s, false),
    };
    let cmp = Uint::parse(n.trim(), u16::MAX as u64)?;
    push(b, TxCond::Urilen { cmp, raw });
    Ok(())
}

/// `dns.opcode:[!]N`.
pub fn dns_opcode(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("needs a value")?;
    let (negated, n) = match s.strip_prefix('!') {
        Some(n) => (true, n.trim()),
        None => (false, s),
    };
    let op: u8 = n
        .parse()
        .ok()
        .filter(|o| *o <= 15)
        .ok_or_else(|| format!("`{n}` is not an opcode (0-15)"))?;
    push(b, TxCond::DnsOpcode { op, negated });
    Ok(())
}

/// Parses a `,` or `|` separated list of `[!]word` into (listed, negated)
/// bit masks.
fn word_list(s: &str, sep: char, bit: impl Fn(&str) -> Option<u8>) -> Result<(u8, u8), String> {
    let (mut listed, mut negated) = (0u8, 0u8);
    for w in s.split(sep).map(str::trim) {
        let (neg, w) = match w.strip_prefix('!') {
            Some(w) => (true, w.trim()),
            None => (false, w),
        };
        let x = bit(w).ok_or_else(|| format!("unknown value `{w}`"))?;
        listed |= x;
        if neg {
            negated |= x;
        }
    }
    Ok((listed, negated))
}

/// `ssl_version:v[,v…]` (`sslv2 sslv3 tls1.0 tls1.1 tls1.2 tls1.3`, `!`).
pub fn ssl_version(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("needs a value")?;
    let (listed, negated) = word_list(s, ',', |w| {
        Some(match w.to_ascii_lowercase().as_str() {
            "sslv2" => SslVersions::SSLV2,
            "sslv3" => SslVersions::SSLV3,
            "tls1.0" => SslVersions::TLS10,
            "tls1.1" => SslVersions::TLS11,
            "tls1.2" => SslVersions::TLS12,
            "tls1.3" => SslVersions::TLS13,
            _ => return None,
        })
    })?;
    push(b, TxCond::SslVersion { listed, negated });
    Ok(())
}

/// `ssl_state:s[|s…]` (`client_hello server_hello client_keyx
/// server_keyx unknown`, `!`).
pub fn ssl_state(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("needs a value")?;
    let (listed, negated) = word_list(s, '|', |w| {
        Some(match w {
            "client_hello" => SslState::CLIENT_HELLO,
            "server_hello" => SslState::SERVER_HELLO,
            "client_keyx" => SslState::CLIENT_KEYX,
            "server_keyx" => SslState::SERVER_KEYX,
            "unknown" => SslState::UNKNOWN,
            _ => return None,
        })
    })?;
    push(b, TxCond::SslState { listed, negated });
    Ok(())
}

/// `tls.version:1.2` (or `1.0 1.1 1.3 ssl3`, or a hex number).
pub fn tls_version(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("needs a value")?;
    let ver = match s {
        "1.0" => 0x0301,
        "1.1" => 0x0302,
        "1.2" => 0x0303,
        "1.3" => 0x0304,
        "ssl3" | "3.0" => 0x0300,
        h => h
            .strip_prefix("0x")
            .and_then(|x| u16::from_str_radix(x, 16).ok())
            .ok_or_else(|| format!("unknown version `{h}`"))?,
    };
    push(b, TxCond::TlsVersion(ver));
    Ok(())
}

/// `tls.subject` / `tls.issuerdn:[!]"text"`.
pub fn cert_field(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let s = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("needs a value")?;
    let (negated, s) = match s.strip_prefix('!') {
        Some(r) => (true, r.trim_start()),
        None => (false, s),
    };
    let needle = unescape(unquote(s, false)?).into_bytes();
    push(
        b,
        TxCond::CertField {
            issuer: name == "tls.issuerdn",
            needle,
            negated,
        },
    );
    Ok(())
}

/// `tls.fingerprint:"aa:bb:…"`.
pub fn fingerprint(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("needs a value")?;
    push(b, TxCond::Fingerprint(unescape(unquote(s, false)?)));
    Ok(())
}

/// `tls.cert_chain_len:<uint>`.
pub fn chain_len(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let u = Uint::parse(v.ok_or("needs a value")?.trim(), u32::MAX as u64)?;
    push(b, TxCond::ChainLen(u));
    Ok(())
}

/// The number Suricata 7's `krb5_msg_type` / `krb5_err_code` take: 1 to 3
/// decimal digits (its regex copies the value into a 4-byte buffer, so a
/// longer or quoted value fails), at most `max`.
fn krb5_number(v: Option<&str>, max: u32) -> Result<u32, String> {
    let s = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("needs a value")?;
    if s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{s}` is not a number of 1 to 3 digits"));
    }
    let n: u32 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if n > max {
        return Err(format!("{n} is over {max}"));
    }
    Ok(n)
}

/// `krb5_msg_type:N` (0-255).
pub fn krb5_msg_type(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let n = krb5_number(v, u8::MAX as u32)?;
    push(b, TxCond::Krb5MsgType(n as u8));
    Ok(())
}

/// `krb5_err_code:N` (0-999).
pub fn krb5_err_code(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let n = krb5_number(v, 999)?;
    push(b, TxCond::Krb5ErrCode(n as i32));
    Ok(())
}

/// A Kerberos etype as `krb5.ticket_encryption` names it (Suricata 7's
/// names, case-sensitive) or an `i32`.
fn etype_value(w: &str) -> Option<i64> {
    Some(match w {
        "des-cbc-crc" => 1,
        "des-cbc-md4" => 2,
        "des-cbc-md5" => 3,
        "des3-cbc-md5" => 5,
        "des3-cbc-sha1" => 7,
        "dsaWithSHA1-CmsOID" => 9,
        "md5WithRSAEncryption-CmsOID" => 10,
        "sha1WithRSAEncryption-CmsOID" => 11,
        "rc2CBC-EnvOID" => 12,
        "rsaEncryption-EnvOID" => 13,
        "rsaES-OAEP-ENV-OID" => 14,
        "des-ede3-cbc-Env-OID" => 15,
        "des3-cbc-sha1-kd" => 16,
        "aes128-cts-hmac-sha1-96" => 17,
        "aes256-cts-hmac-sha1-96" => 18,
        "aes128-cts-hmac-sha256-128" => 19,
        "aes256-cts-hmac-sha384-192" => 20,
        "rc4-hmac" => 23,
        "rc4-hmac-exp" => 24,
        "camellia128-cts-cmac" => 25,
        "camellia256-cts-cmac" => 26,
        "subkey-keymaterial" => 65,
        "rc4-md4" => -128,
        "rc4-plain2" => -129,
        "rc4-lm" => -130,
        "rc4-sha" => -131,
        "des-plain" => -132,
        "rc4-hmac-OLD" => -133,
        "rc4-plain-OLD" => -134,
        "rc4-hmac-OLD-exp" => -135,
        "rc4-plain-OLD-exp" => -136,
        "rc4-plain" => -140,
        "rc4-plain-exp" => -141,
        n => i64::from(n.parse::<i32>().ok()?),
    })
}

/// Parses `krb5.ticket_encryption`'s value as Suricata 7 does: `weak` or
/// `!weak`, else a list of etypes (names or numbers) separated by spaces
/// and/or commas; anything left over is an error.
pub fn parse_etype_match(s: &str) -> Result<EtypeMatch, String> {
    let t = s.trim_start_matches(' ');
    let rest_ok = |r: &str| r.bytes().all(|b| b == b' ');
    for (prefix, weak) in [("!weak", false), ("weak", true)] {
        if let Some(r) = t.strip_prefix(prefix) {
            return if rest_ok(r) {
                Ok(EtypeMatch::Weak(weak))
            } else {
                Err(format!("unexpected `{}` after `{prefix}`", r.trim()))
            };
        }
    }
    let mut list = Vec::new();
    let mut r = t;
    loop {
        r = r.trim_start_matches(' ');
        let end = r
            .find(|c: char| !(c.is_alphanumeric() || c == '-'))
            .unwrap_or(r.len());
        if end == 0 {
            break;
        }
        let w = &r[..end];
        list.push(etype_value(w).ok_or_else(|| format!("`{w}` is not an encryption type"))?);
        r = r[end..].trim_start_matches(' ');
        r = r.strip_prefix(',').unwrap_or(r);
    }
    if list.is_empty() {
        return Err(format!("`{s}` names no encryption type"));
    }
    if !rest_ok(r) {
        return Err(format!("unexpected `{r}`"));
    }
    Ok(EtypeMatch::List(list))
}

/// `krb5.ticket_encryption:[!]weak` or a list of etypes.
pub fn krb5_ticket_encryption(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = v.filter(|s| !s.trim().is_empty()).ok_or("needs a value")?;
    let m = parse_etype_match(s)?;
    push(b, TxCond::Krb5TicketEnc(m));
    Ok(())
}

/// `dce_iface:<uuid>[,<version>][,any_frag]` (`dcerpc.iface`): the UUID
/// dashed or not (optionally after `urn:uuid:`), a version condition with
/// the integer syntax (`2`, `>1`, `<=3`, `!2`, `1-3`), `any_frag` last, as
/// Suricata 7.0.10 reads it.
pub fn dce_iface(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("needs an interface UUID")?;
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let uuid = parse_uuid(parts[0]).ok_or_else(|| {
        format!(
            "`{}` is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
            parts[0]
        )
    })?;
    let version = |t: &str| {
        if t.starts_with('&') {
            return Err(format!("`{t}`: a version takes no bit mask"));
        }
        Uint::parse(t, u64::from(u16::MAX)).map(Some)
    };
    let (version, any_frag) = match parts[1..] {
        [] => (None, false),
        ["any_frag"] => (None, true),
        [v] => (version(v)?, false),
        [v, "any_frag"] => (version(v)?, true),
        _ => {
            return Err(format!("`{s}`: expected <uuid>[,<version>][,any_frag]"));
        }
    };
    push(
        b,
        TxCond::DceIface {
            uuid,
            version,
            any_frag,
        },
    );
    Ok(())
}

/// `dce_opnum:N[-M][,…]` (`dcerpc.opnum`): operation numbers and
/// inclusive ranges (decimal, 0-65535, `A-B` with A ≤ B), as Suricata 7.0.10
/// reads them.
pub fn dce_opnum(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("needs operation numbers")?;
    let num = |t: &str| {
        t.parse::<u16>()
            .map_err(|_| format!("`{t}` is not an operation number (0-65535)"))
    };
    let mut ranges = Vec::new();
    for item in s.split(',') {
        let range = match item.split('-').collect::<Vec<_>>()[..] {
            [n] => {
                let n = num(n)?;
                (n, n)
            }
            [a, z] => {
                let (a, z) = (num(a)?, num(z)?);
                if a > z {
                    return Err(format!("`{item}`: the range ends before it starts"));
                }
                (a, z)
            }
            _ => return Err(format!("`{item}` is not N or N-M")),
        };
        ranges.push(range);
    }
    push(b, TxCond::DceOpnum(ranges));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_proto_per_direction() {
        let app = FlowApp {
            flow: AppProto::Http,
            dirs: [AppProto::Http, AppProto::Unknown],
            detected_now: false,
            events: Default::default(),
        };
        let m = |proto, negated, mode| AppProtoMatch {
            proto,
            negated,
            mode,
        };
        assert!(m(AppProto::Http, false, ProtoMode::Direction).matches(&app, true));
        // Undecided in this direction: nothing matches, negated or not.
        assert!(!m(AppProto::Http, false, ProtoMode::Direction).matches(&app, false));
        assert!(!m(AppProto::Dns, true, ProtoMode::Direction).matches(&app, false));
        assert!(m(AppProto::Dns, true, ProtoMode::Direction).matches(&app, true));
        assert!(m(AppProto::Http, false, ProtoMode::Final).matches(&app, false));
    }

    #[test]
    fn ssl_state_any_listed() {
        let mut t = TlsState::new();
        t.current = SslState(SslState::CLIENT_HELLO);
        let c = |listed, negated| TxCond::SslState { listed, negated };
        let tx = Tx::Tls(&t);
        assert!(
            c(SslState::CLIENT_HELLO | SslState::SERVER_HELLO, 0).matches(
                tx,
                Direction::ToServer,
                0
            )
        );
        assert!(!c(SslState::SERVER_HELLO, 0).matches(tx, Direction::ToServer, 0));
        assert!(c(SslState::SERVER_HELLO, SslState::SERVER_HELLO).matches(
            tx,
            Direction::ToServer,
            0
        ));
        assert!(!c(SslState::CLIENT_HELLO, SslState::CLIENT_HELLO).matches(
            tx,
            Direction::ToServer,
            0
        ));
    }

    #[test]
    fn krb5_ticket_encryption_values() {
        let l = |v: &[i64]| Ok(EtypeMatch::List(v.to_vec()));
        assert_eq!(parse_etype_match("weak"), Ok(EtypeMatch::Weak(true)));
        assert_eq!(parse_etype_match(" weak  "), Ok(EtypeMatch::Weak(true)));
        assert_eq!(parse_etype_match("!weak"), Ok(EtypeMatch::Weak(false)));
        assert_eq!(parse_etype_match("23"), l(&[23]));
        assert_eq!(parse_etype_match("rc4-hmac"), l(&[23]));
        // Suricata's own unit test value.
        assert_eq!(
            parse_etype_match(" des-cbc-crc , -128,2 257"),
            l(&[1, -128, 2, 257])
        );
        assert_eq!(parse_etype_match("rc4-hmac-OLD, 18,"), l(&[-133, 18]));
        for bad in [
            "",
            "weakest",
            "! weak",
            "!23",
            "RC4-HMAC",
            "rc4",
            "23,,18",
            "23;",
            "weak,23",
            "99999999999",
        ] {
            assert!(parse_etype_match(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn krb5_conditions_on_real_messages() {
        let txs = crate::applayer::krb5::testdata::txs();
        let (q, p) = (Tx::Krb5(&txs[0]), Tx::Krb5(&txs[1]));
        let (ts, tc) = (Direction::ToServer, Direction::ToClient);
        let enc = |s: &str| TxCond::Krb5TicketEnc(parse_etype_match(s).unwrap());
        // The acceptance case's three rules (ticket etype 23, rc4-hmac).
        for v in ["weak", "23", "rc4-hmac", "18 23"] {
            assert!(enc(v).matches(p, tc, 0), "{v}");
            // A request has no ticket; tickets are read to client only.
            assert!(
                !enc(v).matches(q, ts, 0) && !enc(v).matches(p, ts, 0),
                "{v}"
            );
        }
        for v in ["!weak", "18", "aes256-cts-hmac-sha1-96"] {
            assert!(!enc(v).matches(p, tc, 0), "{v}");
        }
        assert!(TxCond::Krb5MsgType(12).matches(q, ts, 0));
        assert!(TxCond::Krb5MsgType(13).matches(p, tc, 0));
        assert!(!TxCond::Krb5MsgType(12).matches(p, tc, 0));
        // No error in this exchange.
        assert!(!TxCond::Krb5ErrCode(0).matches(p, tc, 0));
    }

    #[test]
    fn krb5_numbers_as_suricata_reads_them() {
        assert_eq!(krb5_number(Some(" 13 "), 255), Ok(13));
        assert_eq!(krb5_number(Some("255"), 255), Ok(255));
        for bad in [
            None,
            Some(""),
            Some("256"),
            Some("1000"),
            Some("\"10\""),
            Some("-1"),
            Some("1a"),
        ] {
            assert!(krb5_number(bad, 255).is_err(), "{bad:?}");
        }
        assert_eq!(krb5_number(Some("999"), 999), Ok(999));
    }

    fn conds(opts: &str) -> Result<Vec<TxCond>, String> {
        use crate::detect::error::Location;
        use crate::detect::rule::parse::{Parsed, parse_rule};
        let text = format!("alert tcp any any -> any any ({opts} sid:1;)");
        let loc = Location {
            file: "t.rules".into(),
            line: 1,
        };
        match parse_rule(&text, &Default::default(), loc) {
            Ok(Parsed::Loaded(s)) => Ok(s
                .matches
                .iter()
                .filter_map(|m| match m {
                    PacketMatch::Tx(c) => Some(c.clone()),
                    _ => None,
                })
                .collect()),
            Ok(_) => Err("unsupported".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    const IFACE: &str = "5d2b62aa-ee0a-4a95-91ae-b064fdb471fc";

    #[test]
    fn dce_iface_values() {
        let uuid = parse_uuid(IFACE).unwrap();
        let one = |v: &str| match conds(&format!("dce_iface:{v};")) {
            Ok(c) => match &c[..] {
                [
                    TxCond::DceIface {
                        uuid: u,
                        version,
                        any_frag,
                    },
                ] => {
                    assert_eq!(u, &uuid, "{v}");
                    (*version, *any_frag)
                }
                other => panic!("{v}: {other:?}"),
            },
            Err(e) => panic!("{v}: {e}"),
        };
        assert_eq!(one(IFACE), (None, false));
        assert_eq!(one(&IFACE.to_uppercase()), (None, false));
        assert_eq!(one(&IFACE.replace('-', "")), (None, false));
        assert_eq!(one(&format!("urn:uuid:{IFACE}")), (None, false));
        assert_eq!(one(&format!("{IFACE},any_frag")), (None, true));
        let gt1 = Uint::parse(">1", 65535).unwrap();
        assert_eq!(one(&format!("{IFACE},>1")), (Some(gt1), false));
        assert_eq!(one(&format!("{IFACE}, >1 ,any_frag")), (Some(gt1), true));
        let (v, _) = one(&format!("{IFACE},!2"));
        assert!(v.unwrap().matches(1) && !v.unwrap().matches(2));
        let (v, _) = one(&format!("{IFACE},2"));
        assert!(v.unwrap().matches(2) && !v.unwrap().matches(3));
        // Refused by Suricata 7.0.10 too.
        for bad in [
            "",
            "{5d2b62aa-ee0a-4a95-91ae-b064fdb471fc}",
            "5d2b62aa-ee0a-4a95-91ae-b064fdb471f",
            "5d2b62a-aee0a-4a95-91ae-b064fdb471fc",
            "5d2b62aa-ee0a-4a95-91ae-b064fdb471fc,any_frag,>1",
            "5d2b62aa-ee0a-4a95-91ae-b064fdb471fc,any_frag,any_frag",
            "5d2b62aa-ee0a-4a95-91ae-b064fdb471fc,<0",
            "5d2b62aa-ee0a-4a95-91ae-b064fdb471fc,>65535",
            "5d2b62aa-ee0a-4a95-91ae-b064fdb471fc,&1=1",
        ] {
            assert!(conds(&format!("dce_iface:{bad};")).is_err(), "{bad}");
        }
        assert!(conds("dce_iface;").is_err());
    }

    #[test]
    fn dce_opnum_values() {
        let ranges = |v: &str| match conds(&format!("dce_opnum:{v};")).as_deref() {
            Ok([TxCond::DceOpnum(r)]) => r.clone(),
            other => panic!("{v}: {other:?}"),
        };
        assert_eq!(ranges("12"), [(12, 12)]);
        assert_eq!(ranges("12,15"), [(12, 12), (15, 15)]);
        assert_eq!(ranges("10-12,15,20-30"), [(10, 12), (15, 15), (20, 30)]);
        assert_eq!(ranges("12-12"), [(12, 12)]);
        assert_eq!(ranges("0-65535"), [(0, 65535)]);
        assert_eq!(ranges("+12"), [(12, 12)]);
        assert_eq!(
            conds("dcerpc.opnum:3;").unwrap(),
            [TxCond::DceOpnum(vec![(3, 3)])]
        );
        // Refused by Suricata 7.0.10 too (no negation, no hex, no spaces).
        for bad in [
            "!12", "12-10", "70000", "12 , 15", "12-", "-12", "1-2-3", "12,", "0x10",
        ] {
            assert!(conds(&format!("dce_opnum:{bad};")).is_err(), "{bad}");
        }
        assert!(conds("dce_opnum:;").is_err());
    }

    #[test]
    fn dce_conditions_on_a_real_session() {
        use crate::applayer::dcerpc::{Carrier, DcerpcState};
        use crate::applayer::test_hex as hex;
        // ../shared/acceptance/dcerpc-issue-7187-01/input.pcap frames 4, 6,
        // 7 (TCP payloads): BIND of two contexts, the BIND_ACK accepting
        // the first (5d2b62aa…, version 1.0), REQUEST opnum 4.
        let mut s = DcerpcState::new(Carrier::Tcp);
        s.parse(Direction::ToServer, &hex("05000b03100000007400000001000000d016d016000000000200000000000100aa622b5d0aee954a91aeb064fdb471fc01000000045d888aeb1cc9119fe808002b1048600200000001000100aa622b5d0aee954a91aeb064fdb471fc010000002c1cb76c12984045030000000000000001000000"));
        s.parse(Direction::ToClient, &hex("05000c03100000005400000001000000d016d0163230343605003939373836000200000000000000045d888aeb1cc9119fe808002b10486002000000030003000000000000000000000000000000000000000000"));
        s.parse(
            Direction::ToServer,
            &hex("05000003100000001c00000001000000040000000000040002000000"),
        );
        let (bind, call) = (Tx::Dcerpc(&s, &s.txs()[0]), Tx::Dcerpc(&s, &s.txs()[1]));
        let m = |opts: &str, tx: Tx<'_>| {
            let c = conds(opts).unwrap();
            [Direction::ToServer, Direction::ToClient]
                .map(|d| c.iter().all(|c| c.matches(tx, d, 0)))
        };
        assert_eq!(m(&format!("dce_iface:{IFACE};"), call), [true, true]);
        assert_eq!(m(&format!("dce_iface:{IFACE};"), bind), [false, false]);
        assert_eq!(m(&format!("dce_iface:{IFACE},=1;"), call), [true; 2]);
        assert_eq!(m(&format!("dce_iface:{IFACE},>1;"), call), [false; 2]);
        assert_eq!(m(&format!("dce_iface:{IFACE},!2;"), call), [true; 2]);
        // The second context (6cb71c2c-…) was refused by the server.
        assert_eq!(
            m(
                "dce_iface:6cb71c2c-9812-4540-0300-000000000000,any_frag;",
                call
            ),
            [false; 2]
        );
        assert_eq!(m("dce_opnum:4;", call), [true; 2]);
        assert_eq!(m("dce_opnum:3-5;", call), [true; 2]);
        assert_eq!(m("dce_opnum:0-3,5-9;", call), [false; 2]);
        assert_eq!(m("dce_opnum:0-65535;", bind), [false; 2]);
        // Not a condition other transactions satisfy.
        let ssh = crate::applayer::ssh::SshState::new();
        assert_eq!(m("dce_opnum:0-65535;", Tx::Ssh(&ssh)), [false; 2]);
    }

    #[test]
    fn smb_events_on_the_transaction() {
        use crate::applayer::smb::SmbState;
        use crate::applayer::test_hex as hex;
        let c = conds("app-layer-event:smb.request_to_client;").unwrap();
        let bit = crate::applayer::smb::SmbEvent::RequestToClient as u32;
        assert_eq!(
            c,
            [TxCond::Event {
                proto: AppProto::Smb,
                bit
            }]
        );
        // ../shared/acceptance/smb-named-pipe-ascii frame 11 (a TREE_CONNECT
        // request), then the same request seen going to the client: the
        // event lands on the flow's latest transaction.
        let req = hex(
            "00000043ff534d427500000000184348000000000000000000000000ffff64060010030004ff0000000c0001001800005c5c3132372e302e302e315c49504324003f3f3f3f3f00",
        );
        let mut s = SmbState::new();
        s.parse(Direction::ToServer, &req);
        assert!(!c[0].matches(Tx::Smb(&s, &s.txs()[0]), Direction::ToServer, 0));
        s.parse(Direction::ToClient, &req);
        let tx = Tx::Smb(&s, &s.txs()[0]);
        assert!(c[0].matches(tx, Direction::ToClient, 0));
        let other = conds("app-layer-event:smb.malformed_data;").unwrap();
        assert!(!other[0].matches(tx, Direction::ToClient, 0));
        // An SMB event name that does not exist: reported unsupported.
        assert_eq!(
            conds("app-layer-event:smb.no_such_event;"),
            Err("unsupported".into())
        );
    }

    #[test]
    fn ftpdata_command_and_ftpbounce_parse_as_suricata() {
        assert_eq!(
            conds("ftpdata_command:retr;"),
            Ok(vec![TxCond::FtpDataCommand(FtpCommand::Retr)])
        );
        assert_eq!(
            conds("ftpdata_command: stor ;"),
            Ok(vec![TxCond::FtpDataCommand(FtpCommand::Stor)])
        );
        for bad in [
            "ftpdata_command:RETR;",
            "ftpdata_command;",
            "ftpdata_command:list;",
        ] {
            assert!(conds(bad).is_err(), "{bad}");
        }
        assert_eq!(conds("ftpbounce;"), Ok(vec![TxCond::FtpBounce]));
        assert!(conds("ftpbounce:1;").is_err());
        assert_eq!(
            conds("app-layer-event:ftp.request_command_too_long;"),
            Ok(vec![TxCond::Event {
                proto: AppProto::Ftp,
                bit: FtpEvent::RequestCommandTooLong as u32
            }])
        );
    }

    #[test]
    fn ftpbounce_reads_the_control_channel_to_server() {
        use crate::applayer::ftp::FtpState;
        // A PORT naming 10.0.0.9 from client 10.0.0.1 (detect-ftpbounce.c's
        // check), and one naming the client itself.
        let client = std::net::Ipv4Addr::new(10, 0, 0, 1);
        for (line, bounce) in [
            (&b"PORT 10,0,0,9,4,1\r\n"[..], true),
            (&b"PORT 10,0,0,1,4,1\r\n"[..], false),
        ] {
            let mut f = FtpState::new();
            f.parse(Direction::ToServer, line);
            let tx = Tx::Ftp {
                tx: &f.txs()[0],
                bounce: f.ftpbounce(client),
            };
            assert_eq!(
                TxCond::FtpBounce.matches(tx, Direction::ToServer, 0),
                bounce
            );
            assert!(!TxCond::FtpBounce.matches(tx, Direction::ToClient, 0));
        }
    }
}
