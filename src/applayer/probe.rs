//! Protocol detection: which application protocol a flow speaks, decided
//! from the first bytes of each direction (pattern probes) and, for
//! protocols without a fixed opening, from the ports plus a structural
//! check (probing parsers), as Suricata's `app-layer-detect-proto.c` does.
//!
//! * TCP: each direction is probed on the reassembled bytes it has so far
//!   (call again when more arrive). The first direction that names a
//!   protocol sets the flow's protocol; the other direction inherits it
//!   unless it names another one (counted as a mismatch). When both
//!   directions have seen enough bytes to rule out every pattern and every
//!   port probe, the flow is `failed`.
//! * UDP: the first datagram with payload decides; no match is `failed`.
//!
//! Probes look at most [`MAX_PROBE_BYTES`] bytes of a direction; nothing
//! is copied and nothing allocates.

use super::Direction;

app_events! {
    /// An event of protocol detection itself, raised on the packet whose
    /// processing found it (Suricata's `app_layer_event_pkt_table`, matched
    /// by `app-layer-event:applayer_*` without a protocol prefix).
    DetectEvent {
        /// Both directions named protocols and they differ.
        MismatchProtocolBothDirections => "applayer_mismatch_protocol_both_directions",
        /// The protocol needs its first bytes from the client, and the
        /// server spoke first (not raised by vxtap: see docs/ids.md).
        WrongDirectionFirstData => "applayer_wrong_direction_first_data",
        /// One direction's detection failed while the other's named a
        /// protocol.
        DetectProtocolOnlyOneDirection => "applayer_detect_protocol_only_one_direction",
        /// Detection gave up on a very unbalanced flow (not raised by
        /// vxtap: see docs/ids.md).
        ProtoDetectionSkipped => "applayer_proto_detection_skipped",
        /// STARTTLS not followed by TLS (not raised: vxtap follows no
        /// protocol upgrade).
        NoTlsAfterStarttls => "applayer_no_tls_after_starttls",
        /// Another protocol than the upgrade announced (not raised).
        UnexpectedProtocol => "applayer_unexpected_protocol",
    }
}

impl DetectEvent {
    /// Whether vxtap raises it (the others load as unsupported).
    pub fn raised(self) -> bool {
        matches!(
            self,
            DetectEvent::MismatchProtocolBothDirections
                | DetectEvent::DetectProtocolOnlyOneDirection
        )
    }
}

/// Bytes of a direction after which detection gives up on it (Suricata
/// stops pattern and probing detection well before this; the cap only
/// bounds work on hostile streams that keep saying "need more").
pub const MAX_PROBE_BYTES: usize = 4096;

/// Transport protocol of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// TCP: probes run on the reassembled stream.
    Tcp,
    /// UDP: probes run on each datagram.
    Udp,
}

macro_rules! app_protos {
    ($($(#[$doc:meta])* $v:ident => $name:literal,)*) => {
        /// An application protocol, named as Suricata's `app_proto` strings
        /// (EVE `app_proto`, rule headers, `app-layer-protocol:`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum AppProto {
            /// Not decided yet.
            #[default]
            Unknown,
            $($(#[$doc])* $v,)*
        }

        impl AppProto {
            /// Every protocol with a name, `Unknown` excepted.
            pub const ALL: &'static [AppProto] = &[$(AppProto::$v,)*];

            /// Suricata's name (`"unknown"` while undecided).
            pub fn name(self) -> &'static str {
                match self {
                    AppProto::Unknown => "unknown",
                    $(AppProto::$v => $name,)*
                }
            }

            /// The protocol Suricata calls `name` (rule header, EVE).
            pub fn from_name(name: &str) -> Option<AppProto> {
                match name {
                    "unknown" => Some(AppProto::Unknown),
                    // Suricata 7 accepts http1 as the HTTP/1 parser's name.
                    "http1" => Some(AppProto::Http),
                    $($name => Some(AppProto::$v),)*
                    _ => None,
                }
            }
        }
    };
}

app_protos! {
    /// Detection ran out of options: no parser for this flow.
    Failed => "failed",
    /// HTTP/1.x.
    Http => "http",
    /// HTTP/2 (detected by its preface only).
    Http2 => "http2",
    /// TLS and SSL.
    Tls => "tls",
    /// DNS over UDP or TCP.
    Dns => "dns",
    /// SSH.
    Ssh => "ssh",
    /// SMB 1/2/3 (over NetBIOS session or direct TCP).
    Smb => "smb",
    /// DCE/RPC over TCP.
    Dcerpc => "dcerpc",
    /// FTP control channel.
    Ftp => "ftp",
    /// FTP data channel (announced by the control channel, never probed).
    FtpData => "ftp-data",
    /// SMTP.
    Smtp => "smtp",
    /// IMAP.
    Imap => "imap",
    /// Kerberos 5.
    Krb5 => "krb5",
    /// NTP.
    Ntp => "ntp",
    /// DHCP.
    Dhcp => "dhcp",
    /// SNMP.
    Snmp => "snmp",
    /// TFTP.
    Tftp => "tftp",
    /// SIP.
    Sip => "sip",
    /// RDP.
    Rdp => "rdp",
    /// MQTT.
    Mqtt => "mqtt",
    /// Modbus.
    Modbus => "modbus",
    /// NFS.
    Nfs => "nfs",
    /// IKE / IKEv2.
    Ike => "ike",
    /// RFB (VNC).
    Rfb => "rfb",
    /// Telnet.
    Telnet => "telnet",
    /// PostgreSQL.
    Pgsql => "pgsql",
    /// QUIC.
    Quic => "quic",
    /// DNP3.
    Dnp3 => "dnp3",
    /// EtherNet/IP.
    Enip => "enip",
    /// IRC.
    Irc => "irc",
    /// Jabber / XMPP.
    Jabber => "jabber",
    /// BitTorrent DHT.
    BittorrentDht => "bittorrent-dht",
}

impl AppProto {
    /// Whether a rule for protocol `self` (its header's, or the one its
    /// keywords read) applies to a flow whose protocol is `flow`: the same
    /// protocol, or `dcerpc` on an `smb` flow (Suricata runs DCE/RPC over
    /// SMB named pipes and its `AppProtoEquals` lets `dcerpc` rules match
    /// SMB flows).
    pub fn rule_matches(self, flow: AppProto) -> bool {
        self == flow || (self == AppProto::Dcerpc && flow == AppProto::Smb)
    }

    /// Whether a transaction rule for protocol `self` reads transactions of
    /// protocol `tx`: its own, and an SMB rule the DCE/RPC calls of its
    /// named pipes (`alert smb … dce_opnum:…`).
    pub fn rule_reads(self, tx: AppProto) -> bool {
        self == tx || (self == AppProto::Smb && tx == AppProto::Dcerpc)
    }
}

/// What a probe concluded from the bytes it saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The bytes open this protocol.
    Is(AppProto),
    /// Too few bytes to tell.
    NeedMore,
    /// No probe matches, and no more bytes would change that.
    NotThis,
}

/// HTTP request methods Suricata's pattern set knows (followed by a space
/// or a tab; case-insensitive).
const HTTP_METHODS: &[&[u8]] = &[
    b"GET",
    b"PUT",
    b"POST",
    b"HEAD",
    b"TRACE",
    b"OPTIONS",
    b"CONNECT",
    b"DELETE",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"CHECKOUT",
    b"UNCHECKOUT",
    b"CHECKIN",
    b"UPDATE",
    b"LABEL",
    b"REPORT",
    b"MKWORKSPACE",
    b"MKACTIVITY",
    b"MERGE",
    b"INVALID",
    b"VERSION-CONTROL",
    b"BASELINE-CONTROL",
];

/// FTP client commands Suricata detects FTP by (case-insensitive).
const FTP_TO_SERVER: &[&[u8]] = &[b"USER ", b"PASS ", b"PORT ", b"FEAT", b"EPSV", b"PASV"];
/// The FTP server greeting Suricata detects FTP by (case-insensitive).
const FTP_TO_CLIENT: &[u8] = b"220 (";

/// Whether a TCP segment whose payload is `data` could open a stream that
/// [`tcp_patterns`] names FTP, in either direction: `data` starts with
/// one of the FTP patterns, or is a non-empty beginning of one (the rest
/// may follow in the next segment). The dispatcher's gate for FTP
/// expectation lookups ([`crate::dispatch::gate`]) uses it to know which
/// host pairs may carry an FTP control channel.
pub fn may_open_ftp(data: &[u8]) -> bool {
    !data.is_empty()
        && FTP_TO_SERVER
            .iter()
            .chain(std::iter::once(&FTP_TO_CLIENT))
            .any(|p| prefix(data, p, true) != Verdict::NotThis)
}

/// SMTP client openings (case-insensitive).
const SMTP_TO_SERVER: &[&[u8]] = &[b"EHLO", b"HELO"];

/// The HTTP/2 client connection preface.
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Result of matching one fixed pattern at offset 0.
fn prefix(data: &[u8], pat: &[u8], nocase: bool) -> Verdict {
    let n = data.len().min(pat.len());
    let same = if nocase {
        data[..n].eq_ignore_ascii_case(&pat[..n])
    } else {
        data[..n] == pat[..n]
    };
    match (same, n == pat.len()) {
        (false, _) => Verdict::NotThis,
        (true, true) => Verdict::Is(AppProto::Unknown),
        (true, false) => Verdict::NeedMore,
    }
}

/// Folds verdicts: a match wins, then "need more", then "not this".
#[derive(Default)]
struct Fold {
    found: Option<AppProto>,
    more: bool,
}

impl Fold {
    fn add(&mut self, v: Verdict, proto: AppProto) {
        match v {
            Verdict::Is(p) if self.found.is_none() => {
                self.found = Some(if p == AppProto::Unknown { proto } else { p })
            }
            Verdict::NeedMore => self.more = true,
            _ => {}
        }
    }

    fn verdict(&self) -> Verdict {
        match (self.found, self.more) {
            (Some(p), _) => Verdict::Is(p),
            (None, true) => Verdict::NeedMore,
            (None, false) => Verdict::NotThis,
        }
    }
}

/// Content patterns for a TCP direction (Suricata's pattern matcher stage).
pub fn tcp_patterns(dir: Direction, data: &[u8]) -> Verdict {
    let mut f = Fold::default();
    if data.is_empty() {
        return Verdict::NeedMore;
    }
    // SSH banner, both directions.
    f.add(prefix(data, b"SSH-", false), AppProto::Ssh);
    // SMB over NetBIOS session service: 4-byte header, then the magic.
    for magic in [b"\xffSMB", b"\xfeSMB", b"\xfdSMB"] {
        // NBSS message types: 0 session message, 0x81 request, 0x85 keepalive.
        let v = if !matches!(data[0], 0 | 0x81 | 0x85) {
            Verdict::NotThis
        } else if data.len() < 4 {
            Verdict::NeedMore
        } else {
            prefix(&data[4..], magic, false)
        };
        f.add(v, AppProto::Smb);
    }
    f.add(tls_record(dir, data), AppProto::Tls);
    f.add(dcerpc(data), AppProto::Dcerpc);
    match dir {
        Direction::ToServer => {
            f.add(http_method(data), AppProto::Http);
            f.add(prefix(data, HTTP2_PREFACE, false), AppProto::Http2);
            for p in FTP_TO_SERVER {
                f.add(prefix(data, p, true), AppProto::Ftp);
            }
            for p in SMTP_TO_SERVER {
                f.add(prefix(data, p, true), AppProto::Smtp);
            }
        }
        Direction::ToClient => {
            f.add(prefix(data, b"HTTP/", true), AppProto::Http);
            f.add(prefix(data, FTP_TO_CLIENT, true), AppProto::Ftp);
        }
    }
    f.verdict()
}

/// An HTTP method followed by a space or tab.
fn http_method(data: &[u8]) -> Verdict {
    let mut f = Fold::default();
    for m in HTTP_METHODS {
        let v = match prefix(data, m, true) {
            Verdict::Is(_) => match data.get(m.len()) {
                None => Verdict::NeedMore,
                Some(b' ' | b'\t') => Verdict::Is(AppProto::Http),
                Some(_) => Verdict::NotThis,
            },
            other => other,
        };
        f.add(v, AppProto::Http);
    }
    f.verdict()
}

/// A TLS record header (content type, major version 3, minor 0..=4) or an
/// SSLv2 ClientHello (to server) / ServerHello (to client).
fn tls_record(dir: Direction, data: &[u8]) -> Verdict {
    let types: &[u8] = match dir {
        Direction::ToServer => &[0x16, 0x01],
        Direction::ToClient => &[0x16, 0x15, 0x17],
    };
    if !types.contains(&data[0]) {
        return sslv2(dir, data);
    }
    match data.get(1..3) {
        None if data.len() == 1 || data[1] == 3 => Verdict::NeedMore,
        Some([3, minor]) if *minor <= 4 => Verdict::Is(AppProto::Tls),
        _ => sslv2(dir, data),
    }
}

/// SSLv2 record with a 2-byte header (high bit set): a ClientHello
/// (message type 1) with SSL version 2 or 3.x, to the server only.
/// Suricata 7 registers no to-client SSLv2 pattern (its `|00 02|`
/// ServerHello pattern is compiled out), so an SSLv2 ServerHello fails
/// detection (zeek-tls_ssl-v2.pcap: `applayer_detect_protocol_only_one_direction`).
fn sslv2(dir: Direction, data: &[u8]) -> Verdict {
    if data[0] & 0x80 == 0 || dir == Direction::ToClient {
        return Verdict::NotThis;
    }
    let Some(&[_, _, msg, major, minor]) = data.get(..5) else {
        return Verdict::NeedMore;
    };
    let version_ok = (major == 0 && minor == 2) || (major == 3 && minor <= 4);
    if msg == 1 && version_ok {
        Verdict::Is(AppProto::Tls)
    } else {
        Verdict::NotThis
    }
}

/// DCE/RPC connection-oriented PDU, as Suricata 7.0.10 detects it in
/// either direction: the pattern `|05 00|` at offset 0 (version 5, minor
/// 0), then its probing parser on the 16-byte header: the data
/// representation's first byte has no bits but the integer and character
/// flags (`& 0xee == 0`) and its float byte is at most 3. A header short of
/// 16 bytes, or one whose data representation does not fit, leaves the
/// direction undecided (measured with `suricata -r` on the crafted sessions
/// `dce-bad-drep*` and `dce-socks5` of tests/data/ids/probe: no
/// `applayer_detect_protocol_only_one_direction`, `app_proto` unknown when
/// nothing else names the flow). The packet type and fragment length are
/// not checked (`dce-odd-type`: type 30, fragment length 4, is DCE/RPC).
fn dcerpc(data: &[u8]) -> Verdict {
    if let v @ (Verdict::NotThis | Verdict::NeedMore) = prefix(data, b"\x05\x00", false) {
        return v;
    }
    match data.get(4..6) {
        Some(&[drep0, drep1]) if data.len() >= 16 && drep0 & 0xee == 0 && drep1 <= 3 => {
            Verdict::Is(AppProto::Dcerpc)
        }
        _ => Verdict::NeedMore,
    }
}

/// Port-based probing parsers: a structural check for protocols whose
/// first bytes carry no fixed pattern. `port` is either of the flow's
/// ports (server port first).
pub fn port_probe(t: Transport, dir: Direction, ports: [u16; 2], data: &[u8]) -> Verdict {
    let mut f = Fold::default();
    let on = |p: u16| ports.contains(&p);
    // Suricata registers the UDP DNS probe on the destination port only
    // (`AppLayerProtoDetectPPRegister(.., STREAM_TOSERVER, ..)`): a flow
    // whose first datagram is an answer *from* port 53 stays undetected
    // (`app_proto: failed`, measured on zeek-dns-edns-ecs.pcap).
    let dns_port = match (t, dir) {
        (Transport::Udp, Direction::ToServer) => ports[0] == 53,
        (Transport::Udp, Direction::ToClient) => ports[1] == 53,
        (Transport::Tcp, _) => on(53),
    };
    if dns_port {
        let msg = match t {
            Transport::Tcp => match data.get(..2) {
                None => {
                    f.add(Verdict::NeedMore, AppProto::Dns);
                    None
                }
                Some(l) => Some((&data[2..], u16::from_be_bytes([l[0], l[1]]) as usize)),
            },
            Transport::Udp => Some((data, data.len())),
        };
        if let Some((msg, len)) = msg {
            f.add(dns_probe(msg, len), AppProto::Dns);
        }
    }
    if on(88) {
        let body = match t {
            Transport::Tcp => data.get(4..),
            Transport::Udp => Some(data),
        };
        f.add(
            match body.and_then(|b| b.first()) {
                None => Verdict::NeedMore,
                // KRB-AS-REQ 10, AS-REP 11, TGS-REQ 12, TGS-REP 13,
                // AP-REQ 14, AP-REP 15, KRB-ERROR 30: ASN.1 application tags.
                Some(0x6a..=0x6f | 0x7e) => Verdict::Is(AppProto::Krb5),
                Some(_) => Verdict::NotThis,
            },
            AppProto::Krb5,
        );
    }
    if t == Transport::Tcp && (on(139) || on(445)) {
        f.add(
            match data.first() {
                None => Verdict::NeedMore,
                Some(0 | 0x81 | 0x82 | 0x83 | 0x84 | 0x85) => Verdict::Is(AppProto::Smb),
                Some(_) => Verdict::NotThis,
            },
            AppProto::Smb,
        );
    }
    if t == Transport::Udp && on(123) {
        // NTP: version 1..=4 in bits 3..5 and a 48-byte header.
        let ok = data.len() >= 48 && matches!((data[0] >> 3) & 7, 1..=4);
        f.add(ok_or_not(ok, AppProto::Ntp), AppProto::Ntp);
    }
    if t == Transport::Udp && (on(67) || on(68)) {
        let ok =
            data.len() >= 240 && matches!(data[0], 1 | 2) && data[236..240] == [99, 130, 83, 99];
        f.add(ok_or_not(ok, AppProto::Dhcp), AppProto::Dhcp);
    }
    if t == Transport::Udp && on(69) {
        let ok = data.len() >= 4 && data[0] == 0 && matches!(data[1], 1..=5);
        f.add(ok_or_not(ok, AppProto::Tftp), AppProto::Tftp);
    }
    if t == Transport::Udp && (on(161) || on(162)) {
        // SNMP: an ASN.1 SEQUENCE.
        f.add(
            ok_or_not(data.first() == Some(&0x30), AppProto::Snmp),
            AppProto::Snmp,
        );
    }
    if on(5060) || on(5061) {
        let v = match dir {
            Direction::ToServer => {
                let mut g = Fold::default();
                for m in [
                    &b"INVITE"[..],
                    b"REGISTER",
                    b"OPTIONS",
                    b"ACK",
                    b"BYE",
                    b"CANCEL",
                ] {
                    g.add(prefix(data, m, false), AppProto::Sip);
                }
                g.verdict()
            }
            Direction::ToClient => prefix(data, b"SIP/2.0", false),
        };
        f.add(v, AppProto::Sip);
    }
    if t == Transport::Udp && (on(500) || on(4500)) {
        f.add(ok_or_not(data.len() >= 28, AppProto::Ike), AppProto::Ike);
    }
    f.verdict()
}

fn ok_or_not(ok: bool, p: AppProto) -> Verdict {
    if ok { Verdict::Is(p) } else { Verdict::NotThis }
}

/// Suricata's DNS probe: the header parses and the record counts fit the
/// message (each record at least 2 bytes). `len` is the message length
/// (the TCP length prefix, or the datagram's length).
fn dns_probe(msg: &[u8], len: usize) -> Verdict {
    const HEADER: usize = 12;
    if len < HEADER {
        return Verdict::NotThis;
    }
    let Some(h) = msg.get(..HEADER) else {
        return Verdict::NeedMore;
    };
    let count = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]) as usize;
    let min = HEADER + 2 * (count(4) + count(6) + count(8) + count(10));
    if min > len {
        return Verdict::NotThis;
    }
    // A complete request must parse through its questions.
    if msg.len() >= len && h[2] & 0x80 == 0 {
        let mut off = HEADER;
        for _ in 0..count(4) {
            match super::dns::parser::skip_name(&msg[..len], off) {
                Some(o) if o + 4 <= len => off = o + 4,
                _ => return Verdict::NotThis,
            }
        }
    }
    Verdict::Is(AppProto::Dns)
}

/// The direction a DNS message travels by its header: an answer (QR bit
/// set) to the client, a query to the server (Suricata's `rs_dns_probe`
/// `rdir`). Only called on a message the DNS probe accepted (12 bytes at
/// least).
fn dns_direction(msg: &[u8]) -> Direction {
    match msg.get(2) {
        Some(f) if f & 0x80 != 0 => Direction::ToClient,
        _ => Direction::ToServer,
    }
}

/// One direction's detection progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct DirProbe {
    /// What this direction's own bytes named.
    proto: AppProto,
    /// No probe can match any more.
    done: bool,
}

/// Protocol detection for one flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prober {
    transport: Transport,
    /// Server port, client port.
    ports: [u16; 2],
    dirs: [DirProbe; 2],
    flow: AppProto,
    /// Both directions named protocols and they differ (Suricata's
    /// `applayer_mismatch_protocol_both_directions`).
    mismatch: bool,
    /// The last [`Prober::feed`] found the datagram travelling against the
    /// protocol's direction: the flow is to be reversed (see
    /// [`Prober::take_reversal`]).
    reversal: bool,
}

impl Prober {
    /// Detection for a flow whose server listens on `server_port`.
    pub fn new(transport: Transport, server_port: u16, client_port: u16) -> Self {
        Prober {
            transport,
            ports: [server_port, client_port],
            dirs: [DirProbe::default(); 2],
            flow: AppProto::Unknown,
            mismatch: false,
            reversal: false,
        }
    }

    /// Whether the datagram just fed named its protocol travelling the
    /// wrong way, and the flow is reversed: Suricata's UDP DNS probe gives
    /// a message's own direction (`rdir`: an answer goes to the client, a
    /// query to the server), and when it differs from the packet's,
    /// `AppLayerHandleUdp` swaps the packet and the flow (`PacketSwap`,
    /// `FlowSwap`: the answer's sender becomes the server). The prober has
    /// swapped its own view (ports, directions) already; the caller swaps
    /// the flow's and goes on with the datagram in the other direction.
    /// Returns true once per reversal. TCP flows are never reversed here:
    /// Suricata reverses a TCP flow only when it was picked up midstream,
    /// which vxtap's application layer never is.
    pub fn take_reversal(&mut self) -> bool {
        std::mem::take(&mut self.reversal)
    }

    /// The flow's protocol (`Unknown` while undecided, `Failed` when no
    /// probe can match).
    pub fn proto(&self) -> AppProto {
        self.flow
    }

    /// The protocol of one direction: its own detection, or the flow's once
    /// decided.
    pub fn proto_of(&self, dir: Direction) -> AppProto {
        match self.dirs[dir.index()].proto {
            AppProto::Unknown => self.flow,
            p => p,
        }
    }

    /// The protocol detection settled for one direction, as Suricata's
    /// `alproto_ts`/`alproto_tc`: `Unknown` while that direction is still
    /// being probed; once done, what its bytes named, else the flow's
    /// (`Failed` when nothing matched anywhere). UDP decides both
    /// directions at once.
    pub fn detected(&self, dir: Direction) -> AppProto {
        let d = self.dirs[dir.index()];
        match self.transport {
            Transport::Udp => self.flow,
            Transport::Tcp if d.proto != AppProto::Unknown => d.proto,
            Transport::Tcp if d.done => match self.flow {
                AppProto::Unknown => AppProto::Failed,
                f => f,
            },
            Transport::Tcp => AppProto::Unknown,
        }
    }

    /// Whether detection is over for direction `dir`.
    pub fn dir_done(&self, dir: Direction) -> bool {
        self.detected(dir) != AppProto::Unknown
    }

    /// The server's port (the flow's, after any reversal).
    pub fn server_port(&self) -> u16 {
        self.ports[0]
    }

    /// Whether the two directions named different protocols.
    pub fn mismatch(&self) -> bool {
        self.mismatch
    }

    /// TCP: one direction's detection failed (nothing its bytes could
    /// still open) while the other's bytes named a protocol: Suricata's
    /// condition for `applayer_detect_protocol_only_one_direction`.
    pub fn only_one_direction(&self) -> bool {
        let [a, b] = self.dirs;
        let failed = |d: DirProbe| d.done && d.proto == AppProto::Unknown;
        let named = |d: DirProbe| !matches!(d.proto, AppProto::Unknown | AppProto::Failed);
        self.transport == Transport::Tcp && ((failed(a) && named(b)) || (failed(b) && named(a)))
    }

    /// Whether detection is over for the flow.
    pub fn decided(&self) -> bool {
        self.flow != AppProto::Unknown
    }

    /// TCP: a sequence gap in direction `dir` before its detection ended:
    /// that direction's detection is over without a protocol (Suricata's
    /// gap in `TCPProtoDetect`); the flow fails when the other direction
    /// is done and named none either.
    pub fn gap(&mut self, dir: Direction) {
        let d = &mut self.dirs[dir.index()];
        if d.done {
            return;
        }
        d.done = true;
        if self.flow == AppProto::Unknown && self.dirs[dir.flip().index()].done {
            self.flow = AppProto::Failed;
        }
    }

    /// Probes one direction. TCP: `data` is that direction's reassembled
    /// bytes from the stream's start (as much as has arrived; call again
    /// with more). UDP: `data` is one datagram's payload. Returns the
    /// flow's protocol after this call.
    pub fn feed(&mut self, dir: Direction, data: &[u8]) -> AppProto {
        let d = self.dirs[dir.index()];
        if d.done || data.is_empty() {
            return self.flow;
        }
        let data = &data[..data.len().min(MAX_PROBE_BYTES)];
        let v = match self.transport {
            Transport::Tcp => {
                let mut f = Fold::default();
                f.add(tcp_patterns(dir, data), AppProto::Unknown);
                f.add(
                    port_probe(self.transport, dir, self.ports, data),
                    AppProto::Unknown,
                );
                f.verdict()
            }
            Transport::Udp => port_probe(self.transport, dir, self.ports, data),
        };
        let dir = match v {
            Verdict::Is(AppProto::Dns)
                if self.transport == Transport::Udp && dns_direction(data) != dir =>
            {
                self.ports.swap(0, 1);
                self.dirs.swap(0, 1);
                self.reversal = true;
                dir.flip()
            }
            _ => dir,
        };
        let d = &mut self.dirs[dir.index()];
        match v {
            Verdict::Is(p) => {
                d.proto = p;
                d.done = true;
                match self.flow {
                    AppProto::Unknown | AppProto::Failed => self.flow = p,
                    f if f != p => self.mismatch = true,
                    _ => {}
                }
            }
            Verdict::NeedMore if data.len() < MAX_PROBE_BYTES => {}
            _ => {
                d.done = true;
                let other = self.dirs[dir.flip().index()];
                let udp = self.transport == Transport::Udp;
                if self.flow == AppProto::Unknown && (udp || other.done) {
                    self.flow = AppProto::Failed;
                }
            }
        }
        self.flow
    }
}

#[cfg(test)]
mod tests;
