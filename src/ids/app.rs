//! The application layer of one detection flow: protocol detection, the
//! parser the detected protocol names, and which transactions were
//! inspected how far (so each is inspected again only when it grew, and
//! each rule matches a transaction once).
//!
//! Timing follows Suricata 7 in IDS mode: a TCP direction's bytes reach
//! the parser once the other side acknowledged them (on that side's
//! packet), and a packet inspects the transactions of its own direction;
//! so a request is parsed when the server acknowledges it and inspected on
//! the client's next packet. UDP datagrams are parsed and inspected on
//! their own packet. At flow end everything left is parsed and inspected.

use std::ops::Range;

use crate::applayer::dcerpc::{Carrier, DcerpcState};
use crate::applayer::dns::{DnsState, DnsTx};
use crate::applayer::ftp::{FtpDataState, FtpExpectation, FtpState};
use crate::applayer::http::Progress;
use crate::applayer::http::{HttpConfig, HttpState};
use crate::applayer::krb5::{Krb5State, Krb5Tx};
use crate::applayer::probe::DetectEvent;
use crate::applayer::smb::SmbState;
use crate::applayer::ssh::{SshProgress, SshState};
use crate::applayer::tls::TlsState;
use crate::applayer::{AppProto, Direction, EventSet, Prober, Transport};
use crate::detect::{FlowApp, Tx};
use crate::output::eve_tx::TxLogging;
use crate::wire::Addr;

/// DNS messages waiting for a packet of their direction, per flow.
const MAX_PENDING_DNS: usize = 256;
/// Kerberos messages waiting for a packet of their direction, per flow.
const MAX_PENDING_KRB5: usize = 256;
/// Data connections an FTP control flow announced during one packet that
/// wait for the caller to hand them to the shared store.
const MAX_ANNOUNCED: usize = 64;

/// Marks of DCE/RPC calls over an SMB flow's named pipes: their ids with
/// this bit, apart from the SMB transactions' own.
const DCE_ON_SMB: u64 = 1 << 62;

/// The parser of a flow.
#[derive(Debug, Default)]
enum Parser {
    /// None (yet, or none for this protocol).
    #[default]
    None,
    Http(Box<HttpState>),
    Dns(Box<DnsState>),
    Tls(Box<TlsState>),
    Ssh(Box<SshState>),
    Krb5(Box<Krb5State>),
    Smb(Box<SmbState>),
    Dcerpc(Box<DcerpcState>),
    Ftp(Box<FtpState>),
    FtpData(Box<FtpDataState>),
}

/// Inspection progress of one transaction.
#[derive(Debug)]
struct Mark {
    id: u64,
    /// [`Tx::stamp`] at the last inspection, per direction.
    stamp: [Option<u64>; 2],
    /// Rules that matched it, per direction (as Suricata's per-direction
    /// detect state, a rule that reads both sides, e.g. `http.header` or
    /// `ssl_version`, matches once in each).
    matched: [Vec<u32>; 2],
}

/// Counters of the application layer (per worker).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppStats {
    /// Transactions inspected (each time one grew).
    pub tx_inspections: u64,
    /// DNS messages dropped unseen because too many were waiting.
    pub dns_dropped: u64,
    /// Kerberos messages dropped unseen because too many were waiting.
    pub krb5_dropped: u64,
    /// FTP data connections announced beyond [`MAX_ANNOUNCED`] in one
    /// packet (dropped).
    pub ftp_announced_dropped: u64,
    /// Flows an FTP expectation made `ftp-data`.
    pub ftp_data_flows: u64,
}

/// One flow's application layer.
#[derive(Debug)]
pub struct FlowAppLayer {
    transport: Transport,
    prober: Prober,
    parser: Parser,
    /// Bytes of each direction (to-server, to-client) given to the parser.
    fed: [usize; 2],
    marks: Vec<Mark>,
    /// DNS messages with their transaction id (Suricata counts one per
    /// message in the flow) and whether the message was logged.
    dns: Vec<(u64, DnsTx, bool)>,
    /// HTTP transactions logged (EVE `http` events) and still held.
    http_logged: Vec<u64>,
    /// The TLS or SSH session was logged (EVE `tls` / `ssh` event).
    session_logged: bool,
    dns_ids: u64,
    /// Kerberos messages waiting for a packet of their direction (each is
    /// inspected in the direction it travelled, as Suricata 7's
    /// per-direction transactions).
    krb5: Vec<Krb5Tx>,
    /// The current packet carries a "detection done" mark (Suricata's
    /// `PKT_PROTO_DETECT_TS_DONE`/`TC_DONE`).
    detected_now: bool,
    /// The current packet's direction.
    pkt_dir: Direction,
    /// Detection of a direction finished on a packet of the other
    /// direction: the mark goes to the next packet of that direction
    /// (Suricata's `FlagPacketFlow` and `FLOW_PROTO_DETECT_TS/TC_DONE`,
    /// moved to the next packet of the direction by `FlowHandlePacketUpdate`).
    detect_pending: [bool; 2],
    /// UDP: datagrams per direction that carried the detection mark.
    udp_marked: [u8; 2],
    /// UDP: protocol detection reversed the flow.
    reversed: bool,
    /// Protocol-detection events ([`DetectEvent`]) raised while processing
    /// the current packet (Suricata keeps them in the packet).
    pkt_events: EventSet,
    /// Those raised so far in the flow (each is raised once).
    flow_events: EventSet,
    /// At the flow's end: the TLS events as they were before the
    /// to-client rest was parsed, which the to-server flow-end inspection
    /// sees (Suricata parses each direction's rest on that direction's
    /// pseudo packet, to-server first).
    eof_server_view: Option<EventSet>,
    /// The parser finished a message of a direction (an HTTP request or
    /// response, a TLS record) whose stream bytes were not inspected since
    /// (Suricata's `AppLayerParserTriggerRawStreamReassembly`).
    raw_trigger: [bool; 2],
    /// The direction whose stream bytes reached the application layer
    /// first (Suricata's `data_first_seen_dir`).
    first_data: Option<Direction>,
    /// An FTP control channel's expectation made the flow `ftp-data`
    /// (over what the prober says).
    ftp_data: bool,
    /// The expectations were looked up for a direction (Suricata's
    /// `FLOW_IS_PE_DONE`: once, on its first data).
    pe_done: [bool; 2],
    /// FTP control: data connections announced, for the caller to share.
    announced: Vec<FtpExpectation>,
    /// FTP control: the flow's client, when IPv4 (`ftpbounce`).
    client_v4: Option<std::net::Ipv4Addr>,
    /// The flow's client and server (FTP expectations name them).
    hosts: Option<(Addr, Addr)>,
    /// The server's port.
    server_port: u16,
    /// A sequence gap stopped a parser that does not accept gaps: nothing
    /// more is parsed on the flow.
    gap_stopped: bool,
}

impl FlowAppLayer {
    /// The application layer of a flow whose server listens on
    /// `server_port`.
    pub fn new(transport: Transport, server_port: u16, client_port: u16) -> Self {
        FlowAppLayer {
            transport,
            prober: Prober::new(transport, server_port, client_port),
            parser: Parser::None,
            fed: [0; 2],
            marks: Vec::new(),
            dns: Vec::new(),
            http_logged: Vec::new(),
            session_logged: false,
            dns_ids: 0,
            krb5: Vec::new(),
            detected_now: false,
            pkt_dir: Direction::ToServer,
            detect_pending: [false; 2],
            udp_marked: [0; 2],
            reversed: false,
            pkt_events: EventSet::default(),
            flow_events: EventSet::default(),
            eof_server_view: None,
            raw_trigger: [false; 2],
            first_data: None,
            ftp_data: false,
            pe_done: [false; 2],
            announced: Vec::new(),
            client_v4: None,
            hosts: None,
            server_port,
            gap_stopped: false,
        }
    }

    /// The flow's client and server addresses (FTP expectations name them;
    /// `ftpbounce` compares a PORT command's address with the client's).
    pub fn set_hosts(&mut self, client: Addr, server: Addr) {
        self.hosts = Some((client, server));
        self.client_v4 = match client.to_ip() {
            std::net::IpAddr::V4(a) => Some(a),
            std::net::IpAddr::V6(_) => None,
        };
    }

    /// The flow's client and server, when known.
    pub fn hosts(&self) -> Option<(Addr, Addr)> {
        self.hosts
    }

    /// The server's port.
    pub fn server_port(&self) -> u16 {
        self.server_port
    }

    /// The protocol detected, for rules and EVE.
    pub fn info(&self) -> FlowApp {
        if self.ftp_data {
            // Suricata sets both directions' protocol from the expectation.
            return FlowApp {
                flow: AppProto::FtpData,
                dirs: [AppProto::FtpData; 2],
                detected_now: self.detected_now,
                events: self.pkt_events,
            };
        }
        FlowApp {
            flow: self.prober.proto(),
            dirs: [
                self.prober.detected(Direction::ToServer),
                self.prober.detected(Direction::ToClient),
            ],
            detected_now: self.detected_now,
            events: self.pkt_events,
        }
    }

    /// The flow's protocol.
    pub fn proto(&self) -> AppProto {
        if self.ftp_data {
            return AppProto::FtpData;
        }
        self.prober.proto()
    }

    /// FTP control: the data connections announced since the last call
    /// (the caller adds them to the shared store).
    pub fn take_announced(&mut self) -> std::vec::Drain<'_, FtpExpectation> {
        self.announced.drain(..)
    }

    /// An FTP control channel announced this flow: it is `ftp-data` in
    /// both directions, its file parsed from the stream start on.
    fn expect_ftp_data(&mut self, exp: &FtpExpectation, stats: &mut AppStats) {
        self.ftp_data = true;
        self.detected_now = true;
        self.parser = Parser::FtpData(Box::new(FtpDataState::new(exp)));
        stats.ftp_data_flows += 1;
    }

    /// A direction's stream ended (its FIN acknowledged) and every byte of
    /// it was parsed: an ftp-data file travelling that way is complete.
    pub fn eof(&mut self, dir: Direction) {
        if let Parser::FtpData(d) = &mut self.parser
            && d.direction() == dir
        {
            d.close();
        }
    }

    /// Whether payload inspection stops from here on, as Suricata 7.0.10
    /// decides it: TLS once an application-data record was parsed in
    /// either direction (its `SSL_AL_FLAG_HANDSHAKE_DONE` and
    /// `APP_LAYER_PARSER_NO_INSPECTION_PAYLOAD`, default
    /// `encryption-handling`), SSH after both sides' NEWKEYS.
    pub fn encrypted(&self) -> bool {
        match &self.parser {
            Parser::Tls(t) => t.handshake_done(),
            Parser::Ssh(s) => s.encrypted(),
            _ => false,
        }
    }

    /// Makes `dir`'s stream inspected on its next packet whatever its
    /// size (Suricata's `STREAMTCP_STREAM_FLAG_NEW_RAW_DISABLED`: the last
    /// raw inspection before raw reassembly is disabled).
    pub fn trigger_raw(&mut self, dir: Direction) {
        self.raw_trigger[dir.index()] = true;
    }

    /// Whether the flow's parser is SSH's.
    pub fn is_ssh(&self) -> bool {
        matches!(self.parser, Parser::Ssh(_))
    }

    /// Whether the parser finished a message of `dir` since its stream was
    /// last inspected: the stream is inspected on the next packet of `dir`
    /// without waiting for a full chunk.
    pub fn raw_triggered(&self, dir: Direction) -> bool {
        self.raw_trigger[dir.index()]
    }

    /// `dir`'s stream was inspected.
    pub fn clear_raw_trigger(&mut self, dir: Direction) {
        self.raw_trigger[dir.index()] = false;
    }

    /// Bytes of direction `dir`'s stream given to the application layer so
    /// far (parsed, or skipped as a gap).
    pub fn fed(&self, dir: Direction) -> usize {
        self.fed[dir.index()]
    }

    /// TCP: the bytes `range` of direction `dir`'s stream were lost by the
    /// capture (a sequence gap the receiver acknowledged; Suricata's
    /// `STREAM_GAP`). Detection of that direction ends there (a gap before
    /// the protocol was named fails it). HTTP/1 skips the gap as libhtp
    /// does; DNS resynchronises on the next message
    /// ([`DnsState::gap`]) and SMB on the next record ([`SmbState::gap`]);
    /// the other parsers stop parsing the flow, as Suricata does for
    /// parsers without `APP_LAYER_PARSER_OPT_ACCEPT_GAPS` (TLS, SSH, FTP,
    /// …: the parser errs and the flow's application layer is disabled).
    /// DCE/RPC over TCP stops too: Suricata raises nothing after a gap on
    /// the captures of `tests/ids_parser_gaps.rs` either.
    pub fn gap(&mut self, dir: Direction, range: Range<usize>) {
        let d = dir.index();
        if range.end <= self.fed[d] {
            return;
        }
        let len = range.end - self.fed[d].max(range.start);
        self.fed[d] = range.end;
        if !self.ftp_data && !self.prober.dir_done(dir) {
            self.prober.gap(dir);
            self.start_parser();
        }
        match &mut self.parser {
            Parser::None => {}
            Parser::Http(h) => {
                let before = h.completed(dir);
                h.gap(dir, len);
                self.raw_trigger[d] |= h.completed(dir) > before;
            }
            Parser::Dns(s) => s.gap(dir),
            Parser::Smb(s) => s.gap(dir, len),
            _ => self.gap_stopped = true,
        }
    }

    /// TCP: `data` is direction `dir`'s reassembled stream from its start,
    /// of which the first `upto` bytes may be parsed now.
    pub fn stream(&mut self, dir: Direction, data: &[u8], upto: usize, stats: &mut AppStats) {
        self.stream_expecting(dir, data, upto, (&[], 0), stats, &mut |_| None);
    }

    /// [`stream`](Self::stream), looking up an FTP expectation with
    /// `expected(dir)` on the direction's first data when detection named
    /// no protocol on it (as Suricata, once per direction): when one
    /// matches, the flow is `ftp-data`. `opposite` is the other
    /// direction's stream and how much of it may be parsed: when detection
    /// on `dir` starts the parser and the other direction's bytes came
    /// first, those are parsed first (Suricata's
    /// `TCPProtoDetectTriggerOpposingSide`): a request whose own detection
    /// failed (an unknown method such as `SUBSCRIBE`) is still parsed before
    /// the response that named the protocol, so the two match.
    pub fn stream_expecting(
        &mut self,
        dir: Direction,
        data: &[u8],
        upto: usize,
        opposite: (&[u8], usize),
        stats: &mut AppStats,
        expected: &mut dyn FnMut(Direction) -> Option<FtpExpectation>,
    ) {
        let upto = upto.min(data.len());
        if upto > 0 && self.first_data.is_none() {
            self.first_data = Some(dir);
        }
        if !self.ftp_data && !self.prober.dir_done(dir) {
            self.prober.feed(dir, &data[..upto]);
            if self.prober.dir_done(dir) {
                // TCP: a direction's bytes are detected on the packet of
                // the other direction that acknowledges them; the mark is
                // for the next packet of the direction itself.
                if dir == self.pkt_dir {
                    self.detected_now = true;
                } else {
                    self.detect_pending[dir.index()] = true;
                }
            }
            if self.prober.mismatch() {
                self.detect_event(DetectEvent::MismatchProtocolBothDirections);
            }
            if self.prober.only_one_direction() {
                self.detect_event(DetectEvent::DetectProtocolOnlyOneDirection);
            }
        }
        let d = dir.index();
        if upto > 0 && !self.pe_done[d] {
            self.pe_done[d] = true;
            let named = !matches!(
                self.prober.detected(dir),
                AppProto::Unknown | AppProto::Failed
            );
            if !named
                && !self.ftp_data
                && matches!(self.parser, Parser::None)
                && let Some(e) = expected(dir)
            {
                self.expect_ftp_data(&e, stats);
            }
        }
        let started = matches!(self.parser, Parser::None);
        self.start_parser();
        let started = started && !matches!(self.parser, Parser::None);
        if started && self.first_data == Some(dir.flip()) {
            let o = dir.flip().index();
            let (odata, oupto) = (opposite.0, opposite.1.min(opposite.0.len()));
            if oupto > self.fed[o] {
                let piece = &odata[self.fed[o]..oupto];
                self.fed[o] = oupto;
                self.parse(dir.flip(), piece, stats);
            }
        }
        if matches!(self.parser, Parser::None) || upto <= self.fed[d] {
            return;
        }
        let piece = &data[self.fed[d]..upto];
        self.fed[d] = upto;
        self.parse(dir, piece, stats);
    }

    /// The flow ends and direction `dir`'s rest is parsed next (to-server,
    /// then to-client): the to-server flow-end inspection keeps seeing the
    /// TLS events raised before the to-client rest.
    pub fn finishing(&mut self, dir: Direction) {
        if let (Direction::ToClient, Parser::Tls(t)) = (dir, &self.parser) {
            self.eof_server_view = Some(t.events);
        }
    }

    /// UDP: one datagram's payload in direction `dir`. Returns true when
    /// protocol detection reversed the flow on it (a DNS answer opening
    /// the flow towards port 53, see [`Prober::take_reversal`]): the
    /// datagram travels in the other direction from now on, and the
    /// caller swaps the flow's client and server.
    pub fn datagram(&mut self, dir: Direction, payload: &[u8], stats: &mut AppStats) -> bool {
        if payload.is_empty() {
            return false;
        }
        let mut dir = dir;
        let mut reversed = false;
        if !self.prober.decided() {
            self.prober.feed(dir, payload);
            if self.prober.take_reversal() {
                reversed = true;
                self.reversed = true;
                dir = self.reverse(dir);
            }
        }
        // UDP settles both directions at once. As Suricata 7.0.10 does
        // (measured on the acceptance case derived-app-layer-protocol-b),
        // each direction's first datagram carries the "detection done"
        // mark, and when detection failed its second one too (Suricata
        // tries that direction once more).
        // A reversed flow (Suricata flags both directions' detection done
        // on the swapped packet, then moves the flow's flags to the next
        // packet of each direction) marks its to-client side twice
        // (measured on tests/data/ids/probe dns-answer-then-query).
        let marks = if self.prober.proto() == AppProto::Failed
            || (self.reversed && dir == Direction::ToClient)
        {
            2
        } else {
            1
        };
        let m = &mut self.udp_marked[dir.index()];
        if self.prober.decided() && *m < marks {
            *m += 1;
            self.detected_now = true;
        }
        self.start_parser();
        self.parse(dir, payload, stats);
        reversed
    }

    /// Swaps client and server before any parser ran (Suricata's
    /// `FlowSwap` after UDP protocol detection): hosts, server port and
    /// the current packet's direction, which is returned.
    fn reverse(&mut self, dir: Direction) -> Direction {
        if let Some((client, server)) = self.hosts {
            self.set_hosts(server, client);
        }
        self.server_port = self.prober.server_port();
        self.detect_pending.swap(0, 1);
        self.udp_marked.swap(0, 1);
        self.pkt_dir = dir.flip();
        self.pkt_dir
    }

    /// A new packet travelling in `dir`: it carries the "detection done"
    /// mark of its direction if detection finished for it on an earlier
    /// packet of the other direction; no detection event yet.
    pub fn packet_start(&mut self, dir: Direction) {
        self.pkt_dir = dir;
        self.detected_now = std::mem::take(&mut self.detect_pending[dir.index()]);
        self.pkt_events = EventSet::default();
    }

    /// Raises a protocol-detection event on the current packet, once per
    /// flow (Suricata settles a direction's detection once: the condition
    /// is met on one packet only).
    fn detect_event(&mut self, ev: DetectEvent) {
        if !self.flow_events.has(ev as u32) {
            self.flow_events.set(ev as u32);
            self.pkt_events.set(ev as u32);
        }
    }

    /// The flow ends: bodies framed by the connection close complete.
    pub fn close(&mut self) {
        match &mut self.parser {
            Parser::Http(h) => h.close(),
            Parser::Smb(s) => s.close(),
            Parser::FtpData(d) => d.close(),
            _ => {}
        }
    }

    fn start_parser(&mut self) {
        if !matches!(self.parser, Parser::None) {
            return;
        }
        self.parser = match self.prober.proto() {
            AppProto::Http => Parser::Http(Box::new(HttpState::new(HttpConfig::default()))),
            AppProto::Dns => Parser::Dns(Box::new(DnsState::new(self.transport))),
            AppProto::Tls => Parser::Tls(Box::default()),
            AppProto::Ssh => Parser::Ssh(Box::default()),
            AppProto::Krb5 => Parser::Krb5(Box::new(Krb5State::new(self.transport))),
            AppProto::Smb => Parser::Smb(Box::default()),
            AppProto::Dcerpc => Parser::Dcerpc(Box::new(DcerpcState::new(Carrier::Tcp))),
            AppProto::Ftp => Parser::Ftp(Box::default()),
            _ => Parser::None,
        };
    }

    fn parse(&mut self, dir: Direction, bytes: &[u8], stats: &mut AppStats) {
        if self.gap_stopped {
            return;
        }
        match &mut self.parser {
            Parser::None => {}
            // Suricata's HTTP and TLS parsers trigger raw stream inspection
            // at the end of each request/response and record; the others
            // leave it to the chunk size.
            Parser::Http(h) => {
                let before = h.completed(dir);
                h.parse(dir, bytes);
                self.raw_trigger[dir.index()] |= h.completed(dir) > before;
            }
            Parser::Tls(t) => {
                let before = t.records(dir);
                t.parse(dir, bytes);
                self.raw_trigger[dir.index()] |= t.records(dir) > before;
            }
            Parser::Ssh(t) => t.parse(dir, bytes),
            Parser::Krb5(k) => {
                k.parse(dir, bytes);
                for tx in k.take_txs() {
                    if self.krb5.len() >= MAX_PENDING_KRB5 {
                        self.krb5.remove(0);
                        stats.krb5_dropped += 1;
                    }
                    self.krb5.push(tx);
                }
            }
            Parser::Smb(t) => t.parse(dir, bytes),
            Parser::Dcerpc(t) => t.parse(dir, bytes),
            Parser::Ftp(f) => {
                f.parse(dir, bytes);
                for e in f.take_expectations() {
                    if self.announced.len() >= MAX_ANNOUNCED {
                        stats.ftp_announced_dropped += 1;
                    } else {
                        self.announced.push(e);
                    }
                }
            }
            Parser::FtpData(f) => f.parse(dir, bytes),
            Parser::Dns(d) => {
                let before = d.messages();
                d.parse(dir, bytes);
                // Over TCP, each message triggers raw inspection of its
                // direction (Suricata 7's DNS parser).
                self.raw_trigger[dir.index()] |=
                    self.transport == Transport::Tcp && d.messages() > before;
                for tx in d.take_txs() {
                    if self.dns.len() >= MAX_PENDING_DNS {
                        self.dns.remove(0);
                        stats.dns_dropped += 1;
                    }
                    // Suricata numbers only the messages it keeps as
                    // transactions.
                    let id = self.dns_ids;
                    if crate::output::eve_app::dns_logged(&tx) {
                        self.dns_ids += 1;
                    }
                    self.dns.push((id, tx, false));
                }
            }
        }
    }

    /// Calls `inspect` (with Suricata's transaction id) on each transaction whose direction-`dir` side grew
    /// since it was last inspected, with the rules that already matched it
    /// (to be extended with those that match now). Transactions done in
    /// both directions are then released.
    pub fn inspect(
        &mut self,
        dir: Direction,
        stats: &mut AppStats,
        mut inspect: impl FnMut(u64, Tx<'_>, &mut Vec<u32>),
    ) {
        let d = dir.index();
        let FlowAppLayer {
            parser,
            marks,
            dns,
            http_logged,
            krb5,
            client_v4,
            eof_server_view,
            ..
        } = self;
        match parser {
            Parser::None => {}
            Parser::Ftp(f) => {
                let bounce = client_v4.is_some_and(|c| f.ftpbounce(c));
                for t in f.txs() {
                    let tx = Tx::Ftp { tx: t, bounce };
                    visit(marks, t.id, tx, d, dir, stats, &mut inspect);
                }
                // Release what is answered and was inspected both ways.
                let bounce_of = |t| Tx::Ftp { tx: t, bounce };
                let gone: Vec<u64> = f
                    .txs()
                    .iter()
                    .filter(|t| t.done && inspected(marks, t.id, bounce_of(t)))
                    .map(|t| t.id)
                    .collect();
                if !gone.is_empty() {
                    marks.retain(|m| !gone.contains(&m.id));
                    f.remove_txs(&gone);
                }
            }
            // The file's direction only: Suricata 7 inspects the transaction
            // in the direction its parser updates (ftp-download-passive:
            // `ftpdata_command` without a direction alerts once, to client).
            Parser::FtpData(f) => {
                if f.direction() == dir {
                    visit(marks, 0, Tx::FtpData(f), d, dir, stats, &mut inspect);
                }
            }
            Parser::Dns(_) => {
                let mut matched = Vec::new();
                dns.retain(|(id, tx, _)| {
                    if tx.dir != dir {
                        return true;
                    }
                    matched.clear();
                    stats.tx_inspections += 1;
                    inspect(*id, Tx::Dns(tx), &mut matched);
                    false
                });
            }
            Parser::Tls(t) => {
                let held = match (dir, *eof_server_view) {
                    (Direction::ToServer, Some(v)) => Some(std::mem::replace(&mut t.events, v)),
                    _ => None,
                };
                visit(marks, 0, Tx::Tls(t), d, dir, stats, &mut inspect);
                if let Some(events) = held {
                    t.events = events;
                }
            }
            Parser::Krb5(_) => {
                let mut matched = Vec::new();
                krb5.retain(|tx| {
                    if tx.dir != dir {
                        return true;
                    }
                    matched.clear();
                    stats.tx_inspections += 1;
                    inspect(tx.id, Tx::Krb5(tx), &mut matched);
                    false
                });
            }
            Parser::Ssh(t) => {
                let tx = Tx::Ssh(t);
                visit(marks, 0, tx, d, dir, stats, &mut inspect);
            }
            Parser::Smb(s) => {
                for t in s.txs() {
                    visit(marks, t.id, Tx::Smb(s, t), d, dir, stats, &mut inspect);
                }
                let pipes = s.dcerpc();
                for t in pipes.txs() {
                    let tx = Tx::Dcerpc(pipes, t);
                    visit(marks, DCE_ON_SMB | t.id, tx, d, dir, stats, &mut inspect);
                }
                // Release what is complete and was inspected both ways.
                let gone: Vec<u64> = s
                    .txs()
                    .iter()
                    .filter(|t| t.complete() && inspected(marks, t.id, Tx::Smb(s, t)))
                    .map(|t| t.id)
                    .collect();
                let pipes_gone: Vec<u64> = pipes
                    .txs()
                    .iter()
                    .filter(|t| {
                        t.complete() && inspected(marks, DCE_ON_SMB | t.id, Tx::Dcerpc(pipes, t))
                    })
                    .map(|t| t.id)
                    .collect();
                if !gone.is_empty() || !pipes_gone.is_empty() {
                    marks.retain(|m| {
                        !(gone.contains(&m.id)
                            || (m.id & DCE_ON_SMB != 0
                                && pipes_gone.contains(&(m.id & !DCE_ON_SMB))))
                    });
                    s.remove_txs(&gone);
                    s.dcerpc_mut().remove_txs(&pipes_gone);
                }
            }
            Parser::Dcerpc(s) => {
                for t in s.txs() {
                    visit(marks, t.id, Tx::Dcerpc(s, t), d, dir, stats, &mut inspect);
                }
                let gone: Vec<u64> = s
                    .txs()
                    .iter()
                    .filter(|t| t.complete() && inspected(marks, t.id, Tx::Dcerpc(s, t)))
                    .map(|t| t.id)
                    .collect();
                if !gone.is_empty() {
                    marks.retain(|m| !gone.contains(&m.id));
                    s.remove_txs(&gone);
                }
            }
            Parser::Http(h) => {
                for t in h.txs() {
                    visit(marks, t.id, Tx::Http(t), d, dir, stats, &mut inspect);
                }
                let done = |t: &crate::applayer::http::HttpTx| inspected(marks, t.id, Tx::Http(t));
                let gone = h.take_complete_if(done);
                if !gone.is_empty() {
                    marks.retain(|m| !gone.iter().any(|t| t.id == m.id));
                    http_logged.retain(|id| !gone.iter().any(|t| t.id == *id));
                }
            }
        }
    }
}

impl FlowAppLayer {
    /// Calls `log` (with Suricata's transaction id) once for each
    /// transaction Suricata's EVE logger of its protocol writes now, when
    /// `what` logs that protocol: an HTTP transaction once request and
    /// response are complete, a DNS message once parsed, the TLS session
    /// once the server's first flight is parsed (ServerHelloDone) or the
    /// handshake is done (application data seen), the SSH session
    /// once both banners are parsed and neither side went further (with
    /// HASSH enabled: once both sides sent NEWKEYS) — Suricata's tx
    /// logger conditions. At `eof` (the flow ends) everything not logged
    /// yet is. Call after the packet's bytes were parsed and before
    /// [`inspect`](Self::inspect), which releases what it inspected.
    ///
    /// Returns true when what was logged is due to the end of inspection
    /// of the session (SSH with HASSH, both sides past NEWKEYS): Suricata
    /// writes it from a detect/log pseudo packet then.
    pub fn log_due(
        &mut self,
        what: TxLogging,
        eof: bool,
        mut log: impl FnMut(u64, Tx<'_>),
    ) -> bool {
        let FlowAppLayer {
            parser,
            dns,
            http_logged,
            session_logged,
            ..
        } = self;
        match parser {
            Parser::None => {}
            Parser::Http(h) if what.logs(AppProto::Http) => {
                for t in h.txs() {
                    let complete = t.request_progress == Progress::Complete
                        && t.response_progress == Progress::Complete;
                    if (complete || eof) && !http_logged.contains(&t.id) {
                        http_logged.push(t.id);
                        log(t.id, Tx::Http(t));
                    }
                }
            }
            Parser::Dns(_) if what.logs(AppProto::Dns) => {
                for (id, tx, logged) in dns.iter_mut().filter(|e| !e.2) {
                    *logged = true;
                    log(*id, Tx::Dns(tx));
                }
            }
            Parser::Tls(t)
                if what.logs(AppProto::Tls)
                    && !*session_logged
                    && (eof || t.server_hello_done() || t.handshake_done()) =>
            {
                *session_logged = true;
                log(0, Tx::Tls(t));
            }
            Parser::Ssh(t) if what.logs(AppProto::Ssh) => {
                let want = if what.fp.hassh {
                    SshProgress::Finished
                } else {
                    SshProgress::BannerDone
                };
                let due = [Direction::ToServer, Direction::ToClient]
                    .iter()
                    .all(|&d| t.progress(d) == want);
                if !*session_logged && (eof || due) {
                    *session_logged = true;
                    log(0, Tx::Ssh(t));
                    return due && what.fp.hassh && !eof;
                }
            }
            _ => {}
        }
        false
    }
}

/// Whether transaction `tx` (mark id `id`) was inspected in both
/// directions as it is now.
fn inspected(marks: &[Mark], id: u64, tx: Tx<'_>) -> bool {
    marks.binary_search_by_key(&id, |m| m.id).is_ok_and(|i| {
        [Direction::ToServer, Direction::ToClient]
            .iter()
            .all(|&x| marks[i].stamp[x.index()] == Some(tx.stamp(x)))
    })
}

/// Inspects transaction `tx` (id `id`) in direction `dir` when its stamp
/// changed.
fn visit(
    marks: &mut Vec<Mark>,
    id: u64,
    tx: Tx<'_>,
    d: usize,
    dir: Direction,
    stats: &mut AppStats,
    inspect: &mut impl FnMut(u64, Tx<'_>, &mut Vec<u32>),
) {
    let stamp = tx.stamp(dir);
    // Marks stay sorted by id (transactions are visited in id order, so a
    // new one is almost always pushed at the end): a flow holding many
    // transactions costs a binary search per transaction, not a scan.
    let i = match marks.binary_search_by_key(&id, |m| m.id) {
        Ok(i) => i,
        Err(i) => {
            marks.insert(
                i,
                Mark {
                    id,
                    stamp: [None; 2],
                    matched: [Vec::new(), Vec::new()],
                },
            );
            i
        }
    };
    let m = &mut marks[i];
    if m.stamp[d] == Some(stamp) {
        return;
    }
    m.stamp[d] = Some(stamp);
    stats.tx_inspections += 1;
    // The transaction id EVE reports (a pipe's call: its own id).
    inspect(id & !DCE_ON_SMB, tx, &mut m.matched[d]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_request_parsed_and_inspected_once_per_growth() {
        let mut a = FlowAppLayer::new(Transport::Tcp, 80, 40000);
        let mut st = AppStats::default();
        let req = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
        a.stream(Direction::ToServer, req, req.len(), &mut st);
        assert_eq!(a.proto(), AppProto::Http);
        let mut seen = Vec::new();
        a.inspect(Direction::ToServer, &mut st, |_, tx, m| {
            if let Tx::Http(t) = tx {
                seen.push(t.uri.clone());
            }
            m.push(7);
        });
        assert_eq!(seen, [b"/x".to_vec()]);
        // Nothing grew: not inspected again.
        a.inspect(Direction::ToServer, &mut st, |_, _, _| {
            panic!("inspected twice")
        });
        // The response completes the transaction; inspected to client,
        // then released with its mark.
        let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        a.stream(Direction::ToClient, resp, resp.len(), &mut st);
        let mut n = 0;
        a.inspect(Direction::ToClient, &mut st, |_, _, m| {
            assert!(m.is_empty(), "matched per direction");
            n += 1;
        });
        assert_eq!(n, 1);
        assert!(a.marks.is_empty());
    }

    #[test]
    fn transactions_are_logged_once_when_due() {
        let mut a = FlowAppLayer::new(Transport::Tcp, 80, 40000);
        let mut st = AppStats::default();
        let http = TxLogging {
            types: "http".parse().unwrap(),
            ..TxLogging::default()
        };
        let req = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
        a.stream(Direction::ToServer, req, req.len(), &mut st);
        let mut logged = Vec::new();
        a.log_due(http, false, |id, _| logged.push(id));
        assert!(logged.is_empty(), "the response is still to come");
        let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        a.stream(Direction::ToClient, resp, resp.len(), &mut st);
        // Not logged while its type is off.
        a.log_due(TxLogging::default(), true, |_, _| panic!("off"));
        a.log_due(http, false, |id, _| logged.push(id));
        a.log_due(http, true, |id, _| logged.push(id));
        assert_eq!(logged, [0]);
        // A request without response is logged at the end of the flow.
        let req2 = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\n\r\n";
        a.stream(Direction::ToServer, req2, req2.len(), &mut st);
        a.log_due(http, false, |id, _| logged.push(id));
        a.log_due(http, true, |id, _| logged.push(id));
        assert_eq!(logged, [0, 1]);
    }

    #[test]
    fn bytes_wait_for_the_parser_and_are_fed_once() {
        let mut a = FlowAppLayer::new(Transport::Tcp, 8080, 40000);
        let mut st = AppStats::default();
        let req = b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
        // Half acknowledged, then all.
        a.stream(Direction::ToServer, req, 10, &mut st);
        a.stream(Direction::ToServer, req, req.len(), &mut st);
        a.stream(Direction::ToServer, req, req.len(), &mut st);
        let mut uris = Vec::new();
        a.inspect(Direction::ToServer, &mut st, |_, tx, _| {
            if let Tx::Http(t) = tx {
                uris.push(t.uri.clone());
            }
        });
        assert_eq!(uris, [b"/a".to_vec(), b"/b".to_vec()]);
    }

    #[test]
    fn dns_messages_inspected_in_their_direction() {
        let mut a = FlowAppLayer::new(Transport::Udp, 53, 5353);
        let mut st = AppStats::default();
        // Standard query for "a.b" type A.
        let q = [
            0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 1, b'b', 0, 0, 1, 0, 1,
        ];
        a.datagram(Direction::ToServer, &q, &mut st);
        assert_eq!(a.proto(), AppProto::Dns);
        a.inspect(Direction::ToClient, &mut st, |_, _, _| {
            panic!("wrong direction")
        });
        let mut names = Vec::new();
        a.inspect(Direction::ToServer, &mut st, |_, tx, _| {
            if let Tx::Dns(t) = tx {
                names.extend(t.queries().map(<[u8]>::to_vec));
            }
        });
        assert_eq!(names, [b"a.b".to_vec()]);
        a.inspect(Direction::ToServer, &mut st, |_, _, _| {
            panic!("inspected twice")
        });
    }

    /// What each inspection in `dir` saw: (tx id, protocol, named pipe).
    fn seen(a: &mut FlowAppLayer, dir: Direction) -> Vec<(u64, AppProto, Option<Vec<u8>>)> {
        let mut st = AppStats::default();
        let mut v = Vec::new();
        a.inspect(dir, &mut st, |id, tx, _| {
            let pipe = match tx {
                Tx::Smb(_, t) => t.named_pipe().map(<[u8]>::to_vec),
                _ => None,
            };
            v.push((id, tx.proto(), pipe));
        });
        v
    }

    #[test]
    fn smb_tree_connect_inspected_as_it_grows_then_released() {
        use crate::applayer::test_hex as hex;
        // ../shared/acceptance/smb-named-pipe-ascii/input.pcap frames 11
        // and 12: SMB1 TREE_CONNECT_ANDX of \\127.0.0.1\IPC$ and its answer.
        let req = hex(
            "00000043ff534d427500000000184348000000000000000000000000ffff64060010030004ff0000000c0001001800005c5c3132372e302e302e315c49504324003f3f3f3f3f00",
        );
        let resp = hex(
            "00000036ff534d427500000000984348000000000000000000000000010864060010030007ff0036000100ffff1f00ffff1f0005004950430000",
        );
        let mut a = FlowAppLayer::new(Transport::Tcp, 445, 40000);
        let mut st = AppStats::default();
        a.stream(Direction::ToServer, &req, req.len(), &mut st);
        assert_eq!(a.proto(), AppProto::Smb);
        // The request alone: no tree type known yet.
        assert_eq!(
            seen(&mut a, Direction::ToServer),
            [(0, AppProto::Smb, None)]
        );
        a.stream(Direction::ToClient, &resp, resp.len(), &mut st);
        let pipe = br"\127.0.0.1\IPC$".to_vec();
        let known = [(0, AppProto::Smb, Some(pipe))];
        assert_eq!(seen(&mut a, Direction::ToClient), known);
        // Inspected again to server now the server said the tree is IPC
        // (Suricata's alert of this case is to server, after the answer).
        assert_eq!(seen(&mut a, Direction::ToServer), known);
        // Complete and inspected both ways as it is: released.
        assert!(seen(&mut a, Direction::ToClient).is_empty());
        assert!(a.marks.is_empty());
        assert!(matches!(&a.parser, Parser::Smb(s) if s.txs().is_empty()));
    }

    #[test]
    fn dcerpc_calls_over_tcp_inspected_and_released() {
        use crate::applayer::test_hex as hex;
        // ../shared/acceptance/dcerpc-issue-7187-01/input.pcap frames 4,
        // 6, 7, 8: BIND, BIND_ACK, REQUEST opnum 4, RESPONSE.
        let ts = [
            hex("05000b03100000007400000001000000d016d016000000000200000000000100aa622b5d0aee954a91aeb064fdb471fc01000000045d888aeb1cc9119fe808002b1048600200000001000100aa622b5d0aee954a91aeb064fdb471fc010000002c1cb76c12984045030000000000000001000000"),
            hex("05000003100000001c00000001000000040000000000040002000000"),
        ]
        .concat();
        let tc = [
            hex("05000c03100000005400000001000000d016d0163230343605003939373836000200000000000000045d888aeb1cc9119fe808002b10486002000000030003000000000000000000000000000000000000000000"),
            hex("050002031000000024000000010000000c000000000000000400000010000000c0e14a00"),
        ]
        .concat();
        let mut a = FlowAppLayer::new(Transport::Tcp, 4592, 52320);
        let mut st = AppStats::default();
        a.stream(Direction::ToServer, &ts, ts.len(), &mut st);
        assert_eq!(a.proto(), AppProto::Dcerpc);
        assert_eq!(
            seen(&mut a, Direction::ToServer),
            [(0, AppProto::Dcerpc, None), (1, AppProto::Dcerpc, None)]
        );
        a.stream(Direction::ToClient, &tc, tc.len(), &mut st);
        assert_eq!(seen(&mut a, Direction::ToClient).len(), 2);
        assert_eq!(seen(&mut a, Direction::ToServer).len(), 2);
        assert!(seen(&mut a, Direction::ToClient).is_empty());
        assert!(a.marks.is_empty());
        assert!(matches!(&a.parser, Parser::Dcerpc(s) if s.txs().is_empty()));
    }

    #[test]
    fn ftp_retr_announces_the_data_flow_that_carries_its_file() {
        use Direction::{ToClient, ToServer};
        // ../shared/acceptance/ftp-download-passive/input.pcap frames 29,
        // 30 and 34 (control) and 36 (the data connection's file).
        let ts = b"PASV\r\nRETR index.html\r\n";
        let tc = b"227 Entering Passive Mode (172,23,0,2,82,16).\r\n";
        let file = b"uid=0(root) gid=0(root) groups=0(root)\n";
        let mut st = AppStats::default();
        let mut ctl = FlowAppLayer::new(Transport::Tcp, 21, 41790);
        ctl.stream(ToServer, ts, 6, &mut st);
        ctl.stream(ToClient, tc, tc.len(), &mut st);
        assert_eq!(ctl.proto(), AppProto::Ftp);
        assert_eq!(ctl.take_announced().count(), 0, "no RETR yet");
        ctl.stream(ToServer, ts, ts.len(), &mut st);
        let exp: Vec<FtpExpectation> = ctl.take_announced().collect();
        assert_eq!(exp.len(), 1);
        assert_eq!((exp[0].port, exp[0].direction), (21008, ToClient));
        assert_eq!(exp[0].file_name, b"index.html");
        // Both control transactions inspected to server, with ftpbounce
        // false (no PORT).
        let mut cmds = Vec::new();
        ctl.inspect(ToServer, &mut st, |_, tx, _| {
            if let Tx::Ftp { tx, bounce } = tx {
                assert!(!bounce);
                cmds.push(tx.command);
            }
        });
        use crate::applayer::ftp::FtpCommand;
        assert_eq!(cmds, [FtpCommand::Pasv, FtpCommand::Retr]);

        // The data flow: no probe names its bytes; the lookup, once per
        // direction, makes it ftp-data both ways.
        let mut data = FlowAppLayer::new(Transport::Tcp, 21008, 46274);
        let mut asked = Vec::new();
        data.stream_expecting(ToClient, file, file.len(), (&[], 0), &mut st, &mut |d| {
            asked.push(d);
            Some(exp[0].clone())
        });
        assert_eq!(asked, [ToClient]);
        assert_eq!(data.proto(), AppProto::FtpData);
        assert_eq!(data.info().dirs, [AppProto::FtpData; 2]);
        assert_eq!(st.ftp_data_flows, 1);
        data.stream_expecting(ToClient, file, file.len(), (&[], 0), &mut st, &mut |_| {
            panic!("looked up twice")
        });
        // Its one transaction, to client only; file.data waits for the
        // file's end (its direction's FIN acknowledged).
        data.inspect(ToServer, &mut st, |_, _, _| panic!("wrong direction"));
        let mut closed = Vec::new();
        data.inspect(ToClient, &mut st, |id, tx, _| {
            assert_eq!(id, 0);
            if let Tx::FtpData(f) = tx {
                assert_eq!(f.file_data(), Some(&file[..]));
                closed.push(f.closed());
            }
        });
        data.eof(ToClient);
        data.inspect(ToClient, &mut st, |_, tx, _| {
            if let Tx::FtpData(f) = tx {
                closed.push(f.closed());
            }
        });
        assert_eq!(closed, [false, true]);
    }

    #[test]
    fn a_flow_a_probe_named_never_looks_for_an_expectation() {
        let mut st = AppStats::default();
        let mut a = FlowAppLayer::new(Transport::Tcp, 21008, 46274);
        let req = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
        a.stream_expecting(
            Direction::ToServer,
            req,
            req.len(),
            (&[], 0),
            &mut st,
            &mut |_| panic!("looked up"),
        );
        assert_eq!(a.proto(), AppProto::Http);
        // Nothing acknowledged yet: no first data, no lookup.
        let mut b = FlowAppLayer::new(Transport::Tcp, 21008, 46274);
        b.stream_expecting(
            Direction::ToClient,
            b"uid",
            0,
            (&[], 0),
            &mut st,
            &mut |_| panic!("looked up"),
        );
        assert_eq!(b.proto(), AppProto::Unknown);
    }

    fn events(a: &FlowAppLayer) -> Vec<&'static str> {
        DetectEvent::ALL
            .iter()
            .filter(|e| a.info().events.has(**e as u32))
            .map(|e| e.name())
            .collect()
    }

    #[test]
    fn detection_events_on_their_packet_once() {
        // As zeek-tls_ssl-to-http-server.pcap: a TLS client, an HTTP
        // server (Suricata: the mismatch on the packet acknowledging the
        // server's bytes).
        let mut st = AppStats::default();
        let mut a = FlowAppLayer::new(Transport::Tcp, 443, 40000);
        let hello = [0x16, 3, 1, 0, 4, 1, 0, 0, 0];
        a.packet_start(Direction::ToClient);
        a.stream(Direction::ToServer, &hello, hello.len(), &mut st);
        assert!(events(&a).is_empty());
        let resp = b"HTTP/1.1 400 Bad Request\r\n\r\n";
        a.packet_start(Direction::ToServer);
        a.stream(Direction::ToClient, resp, resp.len(), &mut st);
        assert_eq!(events(&a), ["applayer_mismatch_protocol_both_directions"]);
        a.packet_start(Direction::ToServer);
        assert!(events(&a).is_empty(), "a packet's events");
        // As zeek-http_methods.pcap: a request no pattern knows, an HTTP
        // response: one direction only.
        let mut a = FlowAppLayer::new(Transport::Tcp, 80, 40000);
        let req = b"OPTIONSHTTP/1.1\nHost: www.google.com\n\n";
        a.packet_start(Direction::ToClient);
        a.stream(Direction::ToServer, req, req.len(), &mut st);
        assert!(events(&a).is_empty());
        a.packet_start(Direction::ToServer);
        a.stream(Direction::ToClient, resp, resp.len(), &mut st);
        assert_eq!(events(&a), ["applayer_detect_protocol_only_one_direction"]);
        a.packet_start(Direction::ToServer);
        a.stream(Direction::ToClient, resp, resp.len(), &mut st);
        assert!(events(&a).is_empty(), "once per flow");
    }
}
