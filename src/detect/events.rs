//! Decoder and stream events, named as Suricata 7's `decode-event` and
//! `stream-event` keywords name them, and the bit set a packet carries.
//!
//! * [`Event`]: every event vxtap raises. Most are found by
//!   [`PacketView::from_ip`](super::PacketView::from_ip) while it parses the
//!   IP packet (the checks of Suricata's IPv4/IPv6/TCP/UDP/ICMP/GRE
//!   decoders, see [`super::anomaly`]); the stream events are raised by
//!   reassembly ([`Events::from_stream`]) and [`crate::stream::RstWatch`]
//!   (`stream.suspected_rst_inject`), and added by the pipeline.
//! * [`lookup`]: a rule's event name → the event, "known to Suricata but
//!   not raised by vxtap" (the rule is reported unsupported, never loaded
//!   weakened), or unknown (the rule fails, as in Suricata).
//!
//! Size checks follow the lengths the IP header declares; a packet cut
//! by the capture (or by the mirror session's packet length) raises
//! `ipv4.trunc_pkt`/`ipv6.trunc_pkt` and none of the "too small" events of
//! the layers above, as Suricata stops decoding there.

use crate::stream::StreamEvents;

macro_rules! events {
    ($($var:ident = $name:literal,)*) => {
        /// An event vxtap raises (the Suricata name is [`Event::name`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Event {
            $(
                #[doc = concat!("`", $name, "`")]
                $var,
            )*
        }

        impl Event {
            /// Every event, in bit order.
            pub const ALL: &'static [Event] = &[$(Event::$var),*];

            /// The Suricata name (`ipv6.exthdr_dupl_fh`, `stream.suspected_rst_inject`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Event::$var => $name,)*
                }
            }
        }
    };
}

events! {
    Ipv4TruncPkt = "ipv4.trunc_pkt",
    Ipv4Icmpv6 = "ipv4.icmpv6",
    Ipv6TruncPkt = "ipv6.trunc_pkt",
    Ipv6TruncExthdr = "ipv6.trunc_exthdr",
    Ipv6ExthdrDuplFh = "ipv6.exthdr_dupl_fh",
    Ipv6ExthdrUselessFh = "ipv6.exthdr_useless_fh",
    Ipv6ExthdrDuplRh = "ipv6.exthdr_dupl_rh",
    Ipv6ExthdrDuplHh = "ipv6.exthdr_dupl_hh",
    Ipv6ExthdrDuplDh = "ipv6.exthdr_dupl_dh",
    Ipv6ExthdrDuplAh = "ipv6.exthdr_dupl_ah",
    Ipv6ExthdrAhResNotNull = "ipv6.exthdr_ah_res_not_null",
    Ipv6ExthdrInvalidOptlen = "ipv6.exthdr_invalid_optlen",
    Ipv6RhType0 = "ipv6.rh_type_0",
    Ipv6FhNonZeroReservedField = "ipv6.fh_non_zero_reserved_field",
    Ipv6DataAfterNoneHeader = "ipv6.data_after_none_header",
    Ipv6FragInvalidLength = "ipv6.frag_invalid_length",
    Ipv6UnknownNextHeader = "ipv6.unknown_next_header",
    Ipv6Icmpv4 = "ipv6.icmpv4",
    Ipv6ZeroLenPadn = "ipv6.zero_len_padn",
    Ipv6HopoptsOnlyPadding = "ipv6.hopopts_only_padding",
    Ipv6DstoptsOnlyPadding = "ipv6.dstopts_only_padding",
    Ipv6HopoptsUnknownOpt = "ipv6.hopopts_unknown_opt",
    Ipv6DstoptsUnknownOpt = "ipv6.dstopts_unknown_opt",
    TcpPktTooSmall = "tcp.pkt_too_small",
    TcpHlenTooSmall = "tcp.hlen_too_small",
    TcpInvalidOptlen = "tcp.invalid_optlen",
    TcpOptInvalidLen = "tcp.opt_invalid_len",
    TcpOptDuplicate = "tcp.opt_duplicate",
    UdpPktTooSmall = "udp.pkt_too_small",
    UdpHlenTooSmall = "udp.hlen_too_small",
    UdpLenInvalid = "udp.len_invalid",
    Icmpv4PktTooSmall = "icmpv4.pkt_too_small",
    Icmpv4UnknownType = "icmpv4.unknown_type",
    Icmpv4UnknownCode = "icmpv4.unknown_code",
    Icmpv4Ipv4TruncPkt = "icmpv4.ipv4_trunc_pkt",
    Icmpv4Ipv4UnknownVer = "icmpv4.ipv4_unknown_ver",
    Icmpv6PktTooSmall = "icmpv6.pkt_too_small",
    Icmpv6UnknownType = "icmpv6.unknown_type",
    Icmpv6UnknownCode = "icmpv6.unknown_code",
    Icmpv6UnassignedType = "icmpv6.unassigned_type",
    Icmpv6ExperimentationType = "icmpv6.experimentation_type",
    Icmpv6MldMessageWithInvalidHl = "icmpv6.mld_message_with_invalid_hl",
    Icmpv6Ipv6TruncPkt = "icmpv6.ipv6_trunc_pkt",
    Icmpv6Ipv6UnknownVersion = "icmpv6.ipv6_unknown_version",
    GrePktTooSmall = "gre.pkt_too_small",
    GreWrongVersion = "gre.wrong_version",
    GreVersion0Recur = "gre.version0_recur",
    GreVersion0Flags = "gre.version0_flags",
    GreVersion0HdrTooBig = "gre.version0_hdr_too_big",
    GreVersion1Chksum = "gre.version1_chksum",
    GreVersion1Route = "gre.version1_route",
    GreVersion1Ssr = "gre.version1_ssr",
    GreVersion1Recur = "gre.version1_recur",
    GreVersion1Flags = "gre.version1_flags",
    GreVersion1WrongProtocol = "gre.version1_wrong_protocol",
    GreVersion1NoKey = "gre.version1_no_key",
    GreVersion1HdrTooBig = "gre.version1_hdr_too_big",
    StreamReassemblyOverlapDifferentData = "stream.reassembly_overlap_different_data",
    StreamReassemblyDepthReached = "stream.reassembly_depth_reached",
    StreamReassemblySeqGap = "stream.reassembly_seq_gap",
    StreamSuspectedRstInject = "stream.suspected_rst_inject",
}

/// Event names Suricata 7.0.10 knows (its `decoder-events.rules` and
/// `stream-events.rules`) that vxtap does not raise: link layers a mirror
/// never carries, IPv4 options, defragmentation and the TCP state
/// machine's events. A rule naming one parses but is reported unsupported.
const NOT_RAISED: &[&str] = &[
    "afpacket.trunc_pkt",
    "chdlc.pkt_too_small",
    "dce.pkt_too_small",
    "erspan.header_too_small",
    "erspan.too_many_vlan_layers",
    "erspan.unsupported_version",
    "ethernet.pkt_too_small",
    "gre.version0_malformed_sre_hdr",
    "gre.version1_malformed_sre_hdr",
    "ieee8021ah.header_too_small",
    "ipraw.invalid_ip_version",
    "ipv4.frag_overlap",
    "ipv4.frag_pkt_too_large",
    "ipv4.frag_ignored",
    "ipv4.hlen_too_small",
    "ipv4.iplen_smaller_than_hlen",
    "ipv4.opt_duplicate",
    "ipv4.opt_eol_required",
    "ipv4.opt_invalid",
    "ipv4.opt_invalid_len",
    "ipv4.opt_malformed",
    "ipv4.opt_pad_required",
    "ipv4.opt_unknown",
    "ipv4.pkt_too_small",
    "ipv4.wrong_ip_version",
    "ipv6.exthdr_dupl_eh",
    "ipv6.frag_overlap",
    "ipv6.frag_pkt_too_large",
    "ipv6.frag_ignored",
    "ipv6.ipv4_in_ipv6_too_small",
    "ipv6.ipv4_in_ipv6_wrong_version",
    "ipv6.ipv6_in_ipv6_too_small",
    "ipv6.ipv6_in_ipv6_wrong_version",
    "ipv6.pkt_too_small",
    "ipv6.wrong_ip_version",
    "ltnull.pkt_too_small",
    "ltnull.unsupported_type",
    "mpls.bad_label_implicit_null",
    "mpls.bad_label_reserved",
    "mpls.bad_label_router_alert",
    "mpls.header_too_small",
    "mpls.pkt_too_small",
    "mpls.unknown_payload_type",
    "ppp.ip4_pkt_too_small",
    "ppp.ip6_pkt_too_small",
    "ppp.pkt_too_small",
    "ppp.unsup_proto",
    "ppp.vju_pkt_too_small",
    "ppp.wrong_type",
    "pppoe.malformed_tags",
    "pppoe.pkt_too_small",
    "pppoe.wrong_code",
    "sll.pkt_too_small",
    "too_many_layers",
    "vlan.header_too_small",
    "vlan.too_many_layers",
    "vlan.unknown_type",
    "vntag.header_too_small",
    "vntag.unknown_type",
    "stream.3whs_ack_data_inject",
    "stream.3whs_ack_in_wrong_dir",
    "stream.3whs_async_wrong_seq",
    "stream.3whs_right_seq_wrong_ack_evasion",
    "stream.3whs_syn_flood",
    "stream.3whs_syn_resend_diff_seq_on_syn_recv",
    "stream.3whs_syn_toclient_on_syn_recv",
    "stream.3whs_synack_flood",
    "stream.3whs_synack_in_wrong_direction",
    "stream.3whs_synack_resend_with_diff_seq",
    "stream.3whs_synack_resend_with_different_ack",
    "stream.3whs_synack_tfo_data_ignored",
    "stream.3whs_synack_toserver_on_syn_recv",
    "stream.3whs_synack_with_wrong_ack",
    "stream.3whs_wrong_seq_wrong_ack",
    "stream.4whs_invalid_ack",
    "stream.4whs_synack_with_wrong_ack",
    "stream.4whs_synack_with_wrong_syn",
    "stream.4whs_wrong_seq",
    "stream.closewait_ack_out_of_window",
    "stream.closewait_fin_out_of_window",
    "stream.closewait_invalid_ack",
    "stream.closewait_pkt_before_last_ack",
    "stream.closing_ack_wrong_seq",
    "stream.closing_invalid_ack",
    "stream.est_invalid_ack",
    "stream.est_packet_out_of_window",
    "stream.est_pkt_before_last_ack",
    "stream.est_syn_resend",
    "stream.est_syn_resend_diff_seq",
    "stream.est_syn_toclient",
    "stream.est_synack_resend",
    "stream.est_synack_resend_with_diff_seq",
    "stream.est_synack_resend_with_different_ack",
    "stream.est_synack_toserver",
    "stream.fin1_ack_wrong_seq",
    "stream.fin1_fin_wrong_seq",
    "stream.fin1_invalid_ack",
    "stream.fin2_ack_wrong_seq",
    "stream.fin2_fin_wrong_seq",
    "stream.fin2_invalid_ack",
    "stream.fin_but_no_session",
    "stream.fin_invalid_ack",
    "stream.fin_out_of_window",
    "stream.fin_syn",
    "stream.lastack_ack_wrong_seq",
    "stream.lastack_invalid_ack",
    "stream.pkt_bad_window_update",
    "stream.pkt_broken_ack",
    "stream.pkt_invalid_ack",
    "stream.pkt_invalid_timestamp",
    "stream.pkt_retransmission",
    "stream.pkt_spurious_retransmission",
    "stream.reassembly_segment_before_base_seq",
    "stream.reassembly_urgent_oob_limit_reached",
    "stream.reassembly_no_segment",
    "stream.rst_but_no_session",
    "stream.rst_invalid_ack",
    "stream.shutdown_syn_resend",
    "stream.timewait_ack_wrong_seq",
    "stream.timewait_invalid_ack",
    "stream.wrong_thread",
];

/// What a rule's event name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// An event vxtap raises.
    Raised(Event),
    /// A Suricata event vxtap does not raise (rule unsupported).
    NotRaised,
    /// No such event (rule fails).
    Unknown,
}

/// Looks up a full event name (`ipv4.trunc_pkt`, `stream.suspected_rst_inject`).
pub fn lookup(name: &str) -> Lookup {
    if let Some(&e) = Event::ALL.iter().find(|e| e.name() == name) {
        return Lookup::Raised(e);
    }
    if NOT_RAISED.contains(&name) {
        return Lookup::NotRaised;
    }
    Lookup::Unknown
}

/// The events raised on one packet (a bit per [`Event`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Events(u128);

impl Events {
    /// No event.
    pub const fn empty() -> Self {
        Events(0)
    }

    /// Adds an event.
    #[inline]
    pub fn insert(&mut self, e: Event) {
        self.0 |= 1u128 << e as u8;
    }

    /// Whether an event was raised.
    #[inline]
    pub fn contains(&self, e: Event) -> bool {
        self.0 & (1u128 << e as u8) != 0
    }

    /// Adds every event of `other`.
    #[inline]
    pub fn merge(&mut self, other: Events) {
        self.0 |= other.0;
    }

    /// Whether no event was raised.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The events raised, in bit order.
    pub fn iter(self) -> impl Iterator<Item = Event> {
        Event::ALL
            .iter()
            .copied()
            .filter(move |e| self.contains(*e))
    }

    /// The detection events of what one segment raised in reassembly
    /// (the pipeline adds them to the segment's packet).
    pub fn from_stream(s: StreamEvents) -> Events {
        let mut e = Events::empty();
        for (bit, ev) in [
            (
                StreamEvents::OVERLAP_DIFFERENT_DATA,
                Event::StreamReassemblyOverlapDifferentData,
            ),
            (
                StreamEvents::DEPTH_REACHED,
                Event::StreamReassemblyDepthReached,
            ),
            (StreamEvents::SEQ_GAP, Event::StreamReassemblySeqGap),
        ] {
            if s.has(bit) {
                e.insert(ev);
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_unique_and_fit_the_set() {
        assert!(Event::ALL.len() <= 128);
        let mut seen = std::collections::HashSet::new();
        for e in Event::ALL {
            assert!(seen.insert(e.name()), "duplicate {}", e.name());
            assert!(!NOT_RAISED.contains(&e.name()), "{} listed twice", e.name());
        }
        for n in NOT_RAISED {
            assert!(seen.insert(n), "duplicate {n}");
        }
    }

    /// Every decode/stream event Suricata 7.0.10 ships rules for
    /// (`/etc/suricata/rules/{decoder,stream}-events.rules` of the Debian
    /// package 1:7.0.10-1~bpo12+1, names extracted with
    /// `grep -o 'decode-event:[^;]*'` / `'stream-event:[^;]*'`) is known.
    #[test]
    fn suricata_shipped_event_names_are_known() {
        const SHIPPED: &str = include_str!("testdata/suricata-7.0.10-event-names.txt");
        let mut n = 0;
        for name in SHIPPED.lines().filter(|l| !l.is_empty()) {
            assert_ne!(lookup(name), Lookup::Unknown, "{name}");
            n += 1;
        }
        assert!(n > 150, "{n}");
        assert_eq!(lookup("ipv4.no_such_event"), Lookup::Unknown);
    }

    #[test]
    fn set_and_stream_mapping() {
        let mut e = Events::empty();
        assert!(e.is_empty());
        e.insert(Event::TcpPktTooSmall);
        e.insert(Event::StreamSuspectedRstInject);
        assert!(e.contains(Event::TcpPktTooSmall));
        assert!(!e.contains(Event::UdpPktTooSmall));
        assert_eq!(e.iter().count(), 2);
        let s = StreamEvents(StreamEvents::OVERLAP_DIFFERENT_DATA | StreamEvents::OVERLAP);
        let m = Events::from_stream(s);
        assert_eq!(
            m.iter().collect::<Vec<_>>(),
            [Event::StreamReassemblyOverlapDifferentData]
        );
    }
}
