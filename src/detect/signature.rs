//! A parsed, fully enforced rule: header, the conditions on the packet,
//! the ordered inspection steps per buffer, and what a match does.

use std::sync::Arc;

use super::error::Location;
use super::events::Event;
use super::keywords::applayer::{AppProtoMatch, TxCond};
use super::keywords::base64::Base64Decode;
use super::keywords::bits::{BitsCond, BitsOp, FlowintCond, FlowintOp};
use super::keywords::buffers::BufferKind;
use super::keywords::byte::{ByteExtract, ByteJump, ByteMath, ByteTest};
use super::keywords::content::Content;
use super::keywords::flow::FlowMatch;
use super::keywords::header::HeaderMatch;
use super::keywords::pcre::Pcre;
use super::keywords::threshold::Threshold;
use super::keywords::transforms::Transform;
use super::rule::address::IpSet;
use super::rule::port::PortSet;
use super::uint::Uint;
use crate::applayer::{AppProto, Direction};

/// The rule action. vxtap is a passive sensor: `drop` and the `reject`
/// forms cannot stop a packet, so they alert exactly like `alert` (the
/// EVE `action` field still names the rule's action).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Stop inspecting this packet (and the rest of its flow); no alert.
    Pass,
    /// Alert (would drop inline; here: alert).
    Drop,
    /// Alert (would reset inline; here: alert).
    Reject,
    /// As `reject`.
    RejectSrc,
    /// As `reject`.
    RejectDst,
    /// As `reject`.
    RejectBoth,
    /// Alert.
    Alert,
}

impl Action {
    /// Parses an action word.
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "alert" => Action::Alert,
            "pass" => Action::Pass,
            "drop" => Action::Drop,
            "reject" => Action::Reject,
            "rejectsrc" => Action::RejectSrc,
            "rejectdst" => Action::RejectDst,
            "rejectboth" => Action::RejectBoth,
            _ => return None,
        })
    }

    /// The word as written in rules.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Alert => "alert",
            Action::Pass => "pass",
            Action::Drop => "drop",
            Action::Reject => "reject",
            Action::RejectSrc => "rejectsrc",
            Action::RejectDst => "rejectdst",
            Action::RejectBoth => "rejectboth",
        }
    }
}

/// The rule protocol (header field 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proto {
    /// `ip`: any IP packet.
    Ip,
    /// `ipv4`/`ip4`.
    Ipv4,
    /// `ipv6`/`ip6`.
    Ipv6,
    /// `tcp`: packets and reassembled stream.
    Tcp,
    /// `tcp-pkt`: packets only.
    TcpPkt,
    /// `tcp-stream`: reassembled stream only.
    TcpStream,
    /// `udp`.
    Udp,
    /// `icmp`: ICMP and ICMPv6 (as Suricata).
    Icmp,
    /// `icmpv4`.
    Icmpv4,
    /// `icmpv6`.
    Icmpv6,
    /// `sctp`.
    Sctp,
    /// `pkthdr`: any packet, for decoder events.
    Pkthdr,
    /// An application-layer protocol (`http`, `dns`, …): TCP or UDP
    /// flows whose detected protocol is this one ([`Signature::alproto`]).
    App(String),
}

/// Application-layer protocol names Suricata 7 accepts in a rule header.
pub const APP_PROTOS: &[&str] = &[
    "http",
    "http1",
    "http2",
    "ftp",
    "ftp-data",
    "smb",
    "dcerpc",
    "dns",
    "tls",
    "ssh",
    "smtp",
    "imap",
    "pop3",
    "modbus",
    "dnp3",
    "enip",
    "nfs",
    "ntp",
    "tftp",
    "ike",
    "ikev2",
    "krb5",
    "dhcp",
    "snmp",
    "sip",
    "rfb",
    "mqtt",
    "rdp",
    "quic",
    "bittorrent-dht",
    "pgsql",
    "telnet",
    "websocket",
    "ldap",
    "template",
    "failed",
];

impl Proto {
    /// Parses a protocol word.
    pub fn parse(s: &str) -> Option<Proto> {
        let s = s.to_ascii_lowercase();
        Some(match s.as_str() {
            "ip" => Proto::Ip,
            "ipv4" | "ip4" => Proto::Ipv4,
            "ipv6" | "ip6" => Proto::Ipv6,
            "tcp" => Proto::Tcp,
            "tcp-pkt" => Proto::TcpPkt,
            "tcp-stream" => Proto::TcpStream,
            "udp" => Proto::Udp,
            "icmp" => Proto::Icmp,
            "icmpv4" => Proto::Icmpv4,
            "icmpv6" => Proto::Icmpv6,
            "sctp" => Proto::Sctp,
            "pkthdr" => Proto::Pkthdr,
            a if APP_PROTOS.contains(&a) => Proto::App(s),
            _ => return None,
        })
    }

    /// Whether a packet of IP version `v` and transport `p` can match.
    #[inline]
    pub fn matches(&self, v: u8, p: u8) -> bool {
        use super::packet::proto as P;
        match self {
            Proto::Ip | Proto::Pkthdr => true,
            Proto::Ipv4 => v == 4,
            Proto::Ipv6 => v == 6,
            Proto::Tcp | Proto::TcpPkt | Proto::TcpStream => p == P::TCP,
            Proto::Udp => p == P::UDP,
            Proto::Icmp => p == P::ICMP || p == P::ICMPV6,
            Proto::Icmpv4 => p == P::ICMP,
            Proto::Icmpv6 => p == P::ICMPV6,
            Proto::Sctp => p == P::SCTP,
            Proto::App(_) => p == P::TCP || p == P::UDP,
        }
    }

    /// Whether this protocol has ports.
    pub fn has_ports(&self) -> bool {
        matches!(
            self,
            Proto::Tcp
                | Proto::TcpPkt
                | Proto::TcpStream
                | Proto::Udp
                | Proto::Sctp
                | Proto::App(_)
        )
    }
}

/// A value known when the rule is parsed, or read from a byte variable
/// (`byte_extract`/`byte_math` result) at inspection time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Val {
    /// A literal.
    Lit(i64),
    /// Index of a byte variable of the rule.
    Var(usize),
}

impl Val {
    /// The value, reading variables from `vars`.
    #[inline]
    pub fn get(self, vars: &[u64]) -> i64 {
        match self {
            Val::Lit(v) => v,
            Val::Var(i) => vars.get(i).copied().unwrap_or(0) as i64,
        }
    }
}

/// One inspection step of a buffer, in rule order.
#[derive(Debug, Clone)]
pub enum Step {
    /// `content` with its modifiers.
    Content(Box<Content>),
    /// `pcre`.
    Pcre(Box<Pcre>),
    /// `isdataat`.
    IsDataAt {
        /// Position (literal or variable).
        at: Val,
        /// `relative`.
        relative: bool,
        /// `!`.
        negated: bool,
    },
    /// `byte_test`.
    ByteTest(ByteTest),
    /// `byte_jump`.
    ByteJump(ByteJump),
    /// `byte_extract`.
    ByteExtract(ByteExtract),
    /// `byte_math`.
    ByteMath(ByteMath),
    /// `bsize`: the buffer's length.
    Bsize(Uint),
    /// `base64_decode`, carrying the rule's `base64_data` steps.
    Base64Decode(Box<Base64Decode>),
}

impl Step {
    /// Whether this step is anchored on the previous match (so a failure
    /// here is worth retrying the previous step at its next occurrence).
    pub fn is_relative(&self) -> bool {
        match self {
            Step::Content(c) => c.distance.is_some() || c.within.is_some(),
            Step::Pcre(p) => p.relative,
            Step::IsDataAt { relative, .. } => *relative,
            Step::ByteTest(b) => b.relative,
            Step::ByteJump(b) => b.relative,
            Step::ByteExtract(b) => b.relative,
            Step::ByteMath(b) => b.relative,
            // Suricata sets no DETECT_CONTENT_RELATIVE_NEXT for it: a
            // failed decode does not retry the previous content.
            Step::Bsize(_) | Step::Base64Decode(_) => false,
        }
    }
}

/// The steps of one buffer (sticky buffer or the packet payload).
#[derive(Debug, Clone)]
pub struct BufferList {
    /// Which buffer.
    pub kind: BufferKind,
    /// Transforms applied to the buffer before inspection, in order.
    pub transforms: Vec<Transform>,
    /// The steps in rule order.
    pub steps: Vec<Step>,
}

/// A condition on the packet or flow, evaluated before buffers.
#[derive(Debug, Clone)]
pub enum PacketMatch {
    /// A header keyword.
    Header(HeaderMatch),
    /// `dsize`: the packet payload length.
    Dsize(Uint),
    /// `flow`.
    Flow(FlowMatch),
    /// `flow.age` in seconds.
    FlowAge(Uint),
    /// `stream_size`.
    StreamSize {
        /// 0 server, 1 client, 2 both, 3 either.
        side: u8,
        /// The comparison.
        cmp: Uint,
    },
    /// `flowbits` condition (isset/isnotset).
    Flowbits(BitsCond),
    /// `hostbits` condition.
    Hostbits(BitsCond),
    /// `flowint` condition.
    Flowint(FlowintCond),
    /// `decode-event`/`stream-event`: the packet raised this event.
    Event(Event),
    /// `app-layer-protocol`: the flow's application protocol.
    AppProto(AppProtoMatch),
    /// `app-layer-event:applayer_*`: protocol detection raised this event
    /// on the packet.
    AppLayerEvent(crate::applayer::probe::DetectEvent),
    /// A condition on the inspected transaction (`urilen`, `ssl_state`,
    /// `app-layer-event`, …): makes the rule a transaction rule.
    Tx(TxCond),
}

/// What a matching rule changes, after every condition held.
#[derive(Debug, Clone)]
pub enum PostMatch {
    /// `flowbits` set/unset/toggle.
    Flowbits(BitsOp),
    /// `hostbits` set/unset/toggle.
    Hostbits(BitsOp),
    /// `flowint` set/add/subtract.
    Flowint(FlowintOp),
}

/// The fast pattern chosen for the prefilter.
#[derive(Debug, Clone)]
pub struct FastPattern {
    /// The buffer list index in [`Signature::buffers`].
    pub list: usize,
    /// The (possibly chopped) pattern bytes.
    pub pattern: Vec<u8>,
    /// When the content is anchored to its buffer's start (`depth` with a
    /// literal `offset` or none, `startswith`; not relative): the end of
    /// the buffer region a match lies in, so the prefilter need not scan
    /// past it.
    pub end: Option<usize>,
}

/// A loaded rule, every keyword of which vxtap enforces.
#[derive(Debug, Clone)]
pub struct Signature {
    /// Where it was read.
    pub location: Location,
    /// Action.
    pub action: Action,
    /// Protocol.
    pub proto: Proto,
    /// Source addresses.
    pub src: IpSet,
    /// Source ports.
    pub sport: PortSet,
    /// Destination addresses.
    pub dst: IpSet,
    /// Destination ports.
    pub dport: PortSet,
    /// `<>`: either direction matches.
    pub bidirectional: bool,
    /// `gid` (default 1).
    pub gid: u32,
    /// `sid`.
    pub sid: u32,
    /// `rev` (default 0).
    pub rev: u32,
    /// `msg`.
    pub msg: Arc<str>,
    /// `classtype`.
    pub classtype: Option<Arc<str>>,
    /// The classtype's description from classification.config (EVE
    /// `alert.category`), when a classification file was loaded.
    pub category: Option<Arc<str>>,
    /// Explicit `priority`, else the classtype's, else 3.
    pub priority: u8,
    /// Whether `priority` was given explicitly.
    pub priority_explicit: bool,
    /// `reference` entries (system, id).
    pub references: Vec<(String, String)>,
    /// `metadata` entries as written (`key value`).
    pub metadata: Vec<String>,
    /// `target:src_ip|dest_ip`.
    pub target: Option<String>,
    /// `noalert` (or `flowbits:noalert`).
    pub noalert: bool,
    /// The application protocol the flow must have: the rule header's
    /// (`alert http …`), or the one its transaction keywords read.
    pub alproto: Option<AppProto>,
    /// Packet and flow conditions.
    pub matches: Vec<PacketMatch>,
    /// Buffers and their steps.
    pub buffers: Vec<BufferList>,
    /// Effects on a full match.
    pub post: Vec<PostMatch>,
    /// `threshold`.
    pub threshold: Option<Threshold>,
    /// `detection_filter`.
    pub detection_filter: Option<Threshold>,
    /// The prefilter pattern.
    pub fast_pattern: Option<FastPattern>,
    /// Number of byte variables (`byte_extract`, `byte_math`).
    pub nvars: usize,
    /// Flowbit/hostbit names used (interned by the rule set).
    pub bit_names: Vec<String>,
    /// Flowint names used (interned by the rule set).
    pub int_names: Vec<String>,
    /// Where payload steps match on a TCP flow (set once the rule is
    /// complete, see [`PayloadOn::of`]).
    pub payload_on: PayloadOn,
}

/// Where a rule's payload steps are matched on a TCP flow: Suricata's
/// `SIG_FLAG_REQUIRE_STREAM` / `SIG_FLAG_REQUIRE_PACKET` pair. Outside a
/// tracked stream (UDP, untracked TCP) every payload rule reads the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadOn {
    /// The reassembled stream; a packet whose payload went into the
    /// stream is not matched on its own.
    #[default]
    Stream,
    /// The packet only: `dsize`, `flow:no_stream`, `tcp-pkt`, and every
    /// header keyword but the checksum ones (`ttl`, `tos`, `id`,
    /// `ip_proto`, `sameip`, `ipopts`, `fragbits`, `fragoffset`, `flags`,
    /// `window`, `seq`, `ack`, `tcp.mss`, the ICMP ones) and `flow.age`,
    /// whose setup sets Suricata's `SIG_FLAG_REQUIRE_PACKET`.
    Packet,
    /// The stream chunk inspected with the packet first, else the packet
    /// itself: a rule that may match TCP with a payload `content` anchored
    /// by `depth`/`offset`/`startswith`, or with `stream_size`, and neither
    /// of the above nor `flow:only_stream`/`tcp-stream` (Suricata's
    /// `SigValidate` "pkt vs stream vs depth/offset"). Such a rule can
    /// alert on a data packet and again when the stream holding the same
    /// bytes is inspected, as Suricata does.
    Both,
}

impl PayloadOn {
    /// Decides it for a complete rule.
    pub fn of(s: &Signature) -> PayloadOn {
        // Suricata 7.0.10, checked with a content only the reassembled
        // stream holds (`tcp-fastopen-07`'s "d2d3"; for `sameip` and
        // `ipopts` a "GET" split over two segments of a written capture):
        // next to `ttl`, `tos`, `id`, `ip_proto`, `sameip`, `ipopts`,
        // `fragbits`, `fragoffset`, `flags`, `window`, `seq`, `ack`,
        // `tcp.mss` or `flow.age` it never alerts; next to
        // `tcpv4-csum`/`ipv4-csum`, `flowbits`, `stream_size`, `flow` it does
        // (see the parser's `payload_on_follows_require_packet` test).
        let packet = s.proto == Proto::TcpPkt
            || s.matches.iter().any(|m| match m {
                PacketMatch::Dsize(_) | PacketMatch::FlowAge(_) => true,
                PacketMatch::Header(h) => !matches!(h, HeaderMatch::Checksum(..)),
                PacketMatch::Flow(f) => f.stream == Some(false),
                _ => false,
            });
        if packet {
            return PayloadOn::Packet;
        }
        let stream_only = s.proto == Proto::TcpStream
            || s.matches
                .iter()
                .any(|m| matches!(m, PacketMatch::Flow(f) if f.stream == Some(true)));
        let tcp = s.proto.matches(4, super::packet::proto::TCP)
            || s.proto.matches(6, super::packet::proto::TCP);
        let payload = s.buffers.iter().filter(|b| b.kind == BufferKind::Payload);
        let anchored = payload.clone().any(|b| {
            b.steps.iter().any(|st| {
                matches!(st, Step::Content(c)
                    if c.depth.is_some() || c.offset.is_some() || c.startswith)
            })
        });
        let stream_size = s
            .matches
            .iter()
            .any(|m| matches!(m, PacketMatch::StreamSize { .. }));
        let has_steps = payload.clone().any(|b| !b.steps.is_empty());
        if tcp && !stream_only && has_steps && (anchored || stream_size) {
            PayloadOn::Both
        } else {
            PayloadOn::Stream
        }
    }
}

impl Signature {
    /// Whether the rule inspects the packet payload (and so the stream).
    pub fn has_payload(&self) -> bool {
        self.buffers.iter().any(|b| b.kind == BufferKind::Payload)
    }

    /// Whether the rule needs a payload (Suricata's
    /// `SIG_MASK_REQUIRE_PAYLOAD`): content/pcre/byte steps on the payload,
    /// or a `dsize` that asks for one (`>`, `>=`, `!=`, ranges, `=` N > 0;
    /// `<`, `<=` and `=0` do not).
    pub fn requires_payload(&self) -> bool {
        use super::uint::UintMode as M;
        self.buffers
            .iter()
            .any(|b| b.kind == BufferKind::Payload && !b.steps.is_empty())
            || self.matches.iter().any(|m| match m {
                PacketMatch::Dsize(u) => match u.mode {
                    M::Gt | M::Ge | M::Ne | M::Range => true,
                    M::Eq => u.a > 0,
                    _ => false,
                },
                _ => false,
            })
    }

    /// Whether payload matching needs the packet itself rather than the
    /// reassembled stream (Suricata's `SIG_FLAG_REQUIRE_PACKET` without
    /// `SIG_FLAG_REQUIRE_STREAM`: see [`PayloadOn::Packet`]).
    #[inline]
    pub fn requires_packet(&self) -> bool {
        self.payload_on == PayloadOn::Packet
    }

    /// Whether payload steps may match the packet of a TCP stream too
    /// (Suricata's `SIG_FLAG_REQUIRE_PACKET`, alone or with
    /// `SIG_FLAG_REQUIRE_STREAM`: see [`PayloadOn`]).
    #[inline]
    pub fn matches_packet_in_stream(&self) -> bool {
        self.payload_on != PayloadOn::Stream
    }

    /// Suricata's protocol-detection-only class: `app-layer-protocol` and
    /// nothing else but the header (and flowbits it sets), without a
    /// protocol in the header. Evaluated only on the packet where a
    /// direction's protocol detection finished.
    pub fn is_pd_only(&self) -> bool {
        self.alproto.is_none()
            && self.buffers.is_empty()
            && self
                .matches
                .iter()
                .any(|m| matches!(m, PacketMatch::AppProto(_)))
            && self
                .matches
                .iter()
                .all(|m| matches!(m, PacketMatch::AppProto(_)))
            && self
                .post
                .iter()
                .all(|p| matches!(p, PostMatch::Flowbits(_)))
    }

    /// Whether the rule reads a transaction (an application-layer buffer or
    /// condition): it is evaluated on transactions only.
    pub fn is_tx(&self) -> bool {
        self.buffers.iter().any(|b| b.kind.app().is_some())
            || self.matches.iter().any(|m| matches!(m, PacketMatch::Tx(_)))
    }

    /// (direction, protocol) of every transaction element the rule reads.
    fn tx_parts(&self) -> impl Iterator<Item = (Option<Direction>, AppProto)> + '_ {
        self.buffers
            .iter()
            .filter_map(|b| b.kind.app().map(|a| (a.dir(), a.proto())))
            .chain(self.matches.iter().filter_map(|m| match m {
                PacketMatch::Tx(c) => Some((c.dir(), c.proto())),
                _ => None,
            }))
    }

    /// The direction a transaction rule is inspected in: to-client when it
    /// reads anything of the response (the request is in the same
    /// transaction by then), to-server when it reads only the request,
    /// `None` (either) when its buffers exist both ways (`http.header`).
    pub fn tx_dir(&self) -> Option<Direction> {
        let (mut ts, mut tc) = (false, false);
        for (d, _) in self.tx_parts() {
            match d {
                Some(Direction::ToServer) => ts = true,
                Some(Direction::ToClient) => tc = true,
                None => {}
            }
        }
        match (ts, tc) {
            (_, true) => Some(Direction::ToClient),
            (true, false) => Some(Direction::ToServer),
            _ => None,
        }
    }

    /// The protocol the transaction keywords read, when they agree.
    pub fn tx_proto(&self) -> Result<Option<AppProto>, (AppProto, AppProto)> {
        let mut found: Option<AppProto> = None;
        let protos = self.tx_parts().map(|(_, p)| p);
        for p in protos {
            match found {
                // `smb.*` and `dce_*` together: an SMB rule (Suricata
                // accepts it; no one transaction satisfies both).
                Some(f)
                    if matches!(
                        (f, p),
                        (AppProto::Smb, AppProto::Dcerpc) | (AppProto::Dcerpc, AppProto::Smb)
                    ) =>
                {
                    found = Some(AppProto::Smb)
                }
                Some(f) if f != p => return Err((f, p)),
                _ => found = Some(p),
            }
        }
        Ok(found)
    }

    /// The first keyword that ties the rule to the packet itself, as
    /// Suricata 7's `SIG_FLAG_REQUIRE_PACKET` setters (measured with
    /// 7.0.10: dsize, the IP/TCP/ICMP header keywords but `icmp_seq`,
    /// `ip_proto` and the checksums, header buffers, `flow:no_stream`,
    /// `flow.age`, `tcp-pkt`).
    pub fn packet_specific(&self) -> Option<&'static str> {
        if self.proto == Proto::TcpPkt {
            return Some("tcp-pkt");
        }
        let header = |h: &HeaderMatch| match h {
            HeaderMatch::Ttl(_) => Some("ttl"),
            HeaderMatch::Tos { .. } => Some("tos"),
            HeaderMatch::Id(_) => Some("id"),
            HeaderMatch::SameIp => Some("sameip"),
            HeaderMatch::FragBits { .. } => Some("fragbits"),
            HeaderMatch::FragOffset(_) => Some("fragoffset"),
            HeaderMatch::Flags { .. } => Some("flags"),
            HeaderMatch::Window { .. } => Some("window"),
            HeaderMatch::Seq(_) => Some("seq"),
            HeaderMatch::Ack(_) => Some("ack"),
            HeaderMatch::TcpMss(_) => Some("tcp.mss"),
            HeaderMatch::Itype(_) => Some("itype"),
            HeaderMatch::Icode(_) => Some("icode"),
            HeaderMatch::IcmpId(_) => Some("icmp_id"),
            HeaderMatch::Icmpv6Mtu(_) => Some("icmpv6.mtu"),
            HeaderMatch::IpOpts(_) => Some("ipopts"),
            HeaderMatch::IcmpSeq(_) | HeaderMatch::IpProto(_) | HeaderMatch::Checksum(..) => None,
        };
        self.matches
            .iter()
            .find_map(|m| match m {
                PacketMatch::Dsize(_) => Some("dsize"),
                PacketMatch::FlowAge(_) => Some("flow.age"),
                PacketMatch::Flow(f) if f.stream == Some(false) => Some("flow:no_stream"),
                PacketMatch::Header(h) => header(h),
                _ => None,
            })
            .or_else(|| {
                self.buffers.iter().find_map(|b| {
                    (b.kind != BufferKind::Payload && b.kind.app().is_none())
                        .then(|| b.kind.keyword())
                })
            })
    }

    /// Suricata's IP-only class: nothing but addresses, ports and protocol
    /// (plus `ip_proto` and thresholds). Such rules are evaluated on the
    /// first packet of each direction of a flow only.
    pub fn is_ip_only(&self) -> bool {
        self.alproto.is_none()
            && self.buffers.is_empty()
            && self.post.is_empty()
            && self
                .matches
                .iter()
                .all(|m| matches!(m, PacketMatch::Header(HeaderMatch::IpProto(_))))
            && !matches!(self.proto, Proto::TcpStream | Proto::Pkthdr)
    }
}
