//! The reader side of detection: what the capture (or receive) thread
//! sends to the workers beyond the flow stage's packets.
//!
//! * The outer packet of a tunnel, as its own UDP flow (rules on port 4789
//!   see it, as in Suricata, which inspects the tunnel packet and then the
//!   packet inside it). Only its headers travel: like Suricata, which
//!   turns payload inspection off on a tunnel's outer packet, header rules
//!   match it and payload rules never do (its payload is the inner packet,
//!   inspected on its own).
//! * Each IP fragment, inspected as a packet outside any flow, and the
//!   datagram rebuilt from them ([`crate::defrag`]), inspected in its flow.
//!   Rebuilding happens here, before dispatch, because a datagram's later
//!   fragments carry no ports and so cannot find their flow's worker.
//! * The packet inside GRE / ERSPAN ([`super::tunnels`]), as its own flow,
//!   the GRE packet itself being inspected without a flow.
//! * Packets in PPPoE sessions and MPLS label stacks
//!   ([`decap::decode_carried`]), which the flow stage counts as non-IP as
//!   VPC Flow Logs would: detection only, in flows of their own.

use crate::decap::{self, DecapConfig, Frag, Packet, Tunnel};
use crate::defrag::{Defrag, DefragConfig, DefragStats, Fragment, Outcome};
use crate::detect::PacketView;
use crate::dispatch::{Carry, Dispatcher, Role};
use crate::flow::PacketMeta;
use crate::wire::link::LinkType;

/// IP protocol number of GRE.
const GRE: u8 = 47;

/// Where a decoded packet came from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Source<'a> {
    /// Frame number in its capture (1-based; 0 for datagrams).
    pub frame: u64,
    /// The outermost IP packet of the frame (empty for datagrams, whose
    /// outer headers the kernel removed).
    pub outer_ip: &'a [u8],
}

impl<'a> Source<'a> {
    /// The outermost IP packet of a captured frame, read with `link`.
    pub fn of_frame(frame: u64, link: LinkType, data: &'a [u8]) -> Source<'a> {
        let outer_ip = crate::wire::link::parse(link, data)
            .map(|l2| l2.payload)
            .unwrap_or(&[]);
        Source { frame, outer_ip }
    }
}

/// Per-reader detection state: IP defragmentation and counters.
#[derive(Debug)]
pub struct IdsReader {
    defrag: Defrag,
    rebuilt: Vec<u8>,
    decap: DecapConfig,
    /// Outer tunnel packets sent to detection.
    pub outer_packets: u64,
    /// Datagrams rebuilt whose bytes could not be decoded again.
    pub rebuilt_undecodable: u64,
    /// Packets inside GRE (or ERSPAN) sent to detection.
    pub gre_packets: u64,
    /// Packets in PPPoE sessions or MPLS label stacks sent to detection.
    pub carried_packets: u64,
    /// The outer packet's headers as sent to detection.
    outer_buf: Vec<u8>,
}

impl IdsReader {
    /// A reader with Suricata's default defragmentation limits.
    pub fn new(decap: DecapConfig) -> Self {
        IdsReader {
            defrag: Defrag::new(DefragConfig::default()),
            rebuilt: Vec::with_capacity(2048),
            decap,
            outer_packets: 0,
            rebuilt_undecodable: 0,
            gre_packets: 0,
            carried_packets: 0,
            outer_buf: Vec::with_capacity(128),
        }
    }

    /// Defragmentation counters so far.
    pub fn defrag_stats(&self) -> DefragStats {
        self.defrag.stats()
    }

    /// Sends what detection needs of a decoded packet besides the flow
    /// stage's copy, which the caller sends (`meta`, with `role` telling
    /// whether detection sees that copy too). Returns the role the caller's
    /// own copy should have.
    pub fn packet(
        &mut self,
        p: &Packet<'_>,
        meta: &PacketMeta,
        src: Source<'_>,
        dispatcher: &mut Dispatcher,
    ) -> Role {
        if p.tunnel != Tunnel::None && !src.outer_ip.is_empty() {
            self.outer(meta, src, dispatcher);
        }
        if matches!(p.frag, Frag::None) {
            if p.protocol == GRE && self.through_gre(p, meta, src, dispatcher, 0) {
                return Role::Flow;
            }
            return Role::Both;
        }
        // A fragment: inspected alone, then (once whole) as its datagram.
        let outer_hdr = outer_headers(p, src);
        dispatcher.push_carried(
            *meta,
            Carry {
                ip: p.ip,
                outer: outer_hdr,
                role: Role::DetectNoFlow,
                frame: src.frame,
            },
        );
        if let Some(f) = Fragment::from_ip(p.vni, meta.ts_ns, p.ip)
            && self.defrag.fragment(&f, &mut self.rebuilt) == Outcome::Complete
        {
            match decap::decode(&self.decap, LinkType::Raw, &self.rebuilt) {
                Ok(whole) if matches!(whole.frag, Frag::None) => {
                    let m = inner_meta(&whole, meta);
                    dispatcher.push_carried(
                        m,
                        Carry {
                            ip: whole.ip,
                            outer: outer_hdr,
                            role: Role::Detect,
                            frame: src.frame,
                        },
                    );
                }
                _ => self.rebuilt_undecodable += 1,
            }
        }
        Role::Flow
    }

    /// A frame the flow stage counted as non-IP (`decode_frame` said
    /// [`decap::DecapError::NonIp`]): when an IP packet travels in it
    /// through a PPPoE session or an MPLS label stack, detection inspects
    /// it (as Suricata, whose decoders walk those) and the flow stage never
    /// sees it. Returns whether the frame carried an IP packet.
    pub fn non_ip_frame(
        &mut self,
        link: LinkType,
        data: &[u8],
        orig_len: u32,
        ts_ns: u64,
        frame: u64,
        d: &mut Dispatcher,
    ) -> bool {
        let Ok(p) = decap::decode_carried(&self.decap, link, data, orig_len) else {
            return false;
        };
        self.carried_packets += 1;
        let meta = meta_of(&p, ts_ns);
        // The carried packet's own tunnel (if any) has no outer packet to
        // inspect here: the carrier is not IP.
        let src = Source {
            frame,
            outer_ip: &[],
        };
        let role = self.packet(&p, &meta, src, d);
        if role.detect() && matches!(p.frag, Frag::None) {
            d.push_carried(
                meta,
                Carry {
                    ip: p.ip,
                    outer: &[],
                    role: Role::Detect,
                    frame,
                },
            );
        }
        true
    }

    /// A GRE packet whose payload detection looks through: the GRE packet
    /// is inspected without a flow (Suricata keeps none for GRE) and the
    /// packet inside as its own flow, recursively (a few levels). Returns
    /// whether the GRE payload was decoded.
    fn through_gre(
        &mut self,
        p: &Packet<'_>,
        meta: &PacketMeta,
        src: Source<'_>,
        d: &mut Dispatcher,
        depth: usize,
    ) -> bool {
        const MAX_DEPTH: usize = 3;
        let Some((link, frame)) =
            p.ip.get(p.l4_offset as usize..)
                .and_then(super::tunnels::gre_inner)
        else {
            return false;
        };
        let Ok(inner) = decap::decode(&self.decap, link, frame) else {
            return false;
        };
        let outer_hdr = outer_headers(p, src);
        let carry = |ip, role| Carry {
            ip,
            outer: outer_hdr,
            role,
            frame: src.frame,
        };
        d.push_carried(*meta, carry(p.ip, Role::DetectNoFlow));
        let m = inner_meta(&inner, meta);
        self.gre_packets += 1;
        if inner.protocol == GRE
            && depth < MAX_DEPTH
            && matches!(inner.frag, Frag::None)
            && self.through_gre(&inner, &m, src, d, depth + 1)
        {
            return true;
        }
        let role = if matches!(inner.frag, Frag::None) {
            Role::Detect
        } else {
            Role::DetectNoFlow
        };
        d.push_carried(m, carry(inner.ip, role));
        true
    }

    /// Drops datagrams that stayed incomplete past their timeout.
    pub fn tick(&mut self, now_ns: u64) {
        self.defrag.expire(now_ns);
    }

    /// The tunnel packet itself, as a UDP packet of its own flow.
    fn outer(&mut self, inner: &PacketMeta, src: Source<'_>, d: &mut Dispatcher) {
        let Ok(v) = PacketView::from_ip(src.outer_ip) else {
            return;
        };
        let meta = PacketMeta {
            ts_ns: inner.ts_ns,
            vni: None,
            mirror_src: None,
            tunnel: Tunnel::None,
            gwlb: Default::default(),
            src: v.src,
            dst: v.dst,
            src_port: v.sport,
            dst_port: v.dport,
            protocol: v.proto,
            ip_len: v.ip.len() as u32,
            tcp_flags: None,
            icmp: None,
        };
        self.outer_packets += 1;
        let headers = (v.ip_hdr_len + v.l4_hdr_len).min(v.ip.len());
        // Only the headers travel; their length fields are set to what
        // travels, so the copy is a whole packet without payload and
        // detection sees no truncation (no `ipv4.trunc_pkt` event on every
        // tunnel packet). Checksums are never validated.
        self.outer_buf.clear();
        self.outer_buf.extend_from_slice(&v.ip[..headers]);
        let b = &mut self.outer_buf;
        if v.version == 4 && b.len() >= 4 {
            b[2..4].copy_from_slice(&(headers as u16).to_be_bytes());
        } else if v.version == 6 && b.len() >= 6 {
            b[4..6].copy_from_slice(&(headers.saturating_sub(40) as u16).to_be_bytes());
        }
        if v.proto == crate::wire::transport::proto::UDP && v.l4_hdr_len == 8 {
            let at = v.ip_hdr_len;
            b[at + 4..at + 6].copy_from_slice(&8u16.to_be_bytes());
        }
        d.push_carried(
            meta,
            Carry {
                ip: &self.outer_buf,
                outer: &[],
                role: Role::Detect,
                frame: src.frame,
            },
        );
    }
}

/// The outer IP and UDP headers of a tunnel packet (what an alert's
/// `tunnel` object describes); empty without a tunnel.
pub fn outer_headers<'a>(p: &Packet<'_>, src: Source<'a>) -> &'a [u8] {
    if p.tunnel == Tunnel::None {
        return &[];
    }
    match PacketView::from_ip(src.outer_ip) {
        Ok(v) if v.l4_hdr_len > 0 => {
            let n = (v.ip_hdr_len + v.l4_hdr_len).min(src.outer_ip.len());
            &src.outer_ip[..n]
        }
        _ => &[],
    }
}

/// The view of a packet decoded from within `outer`'s packet (a rebuilt
/// datagram, the packet inside GRE): its own addresses and ports, the
/// mirror session of the packet it came from.
fn inner_meta(p: &Packet<'_>, outer: &PacketMeta) -> PacketMeta {
    PacketMeta {
        vni: outer.vni,
        mirror_src: outer.mirror_src,
        tunnel: outer.tunnel,
        gwlb: outer.gwlb,
        ..meta_of(p, outer.ts_ns)
    }
}

/// The flow stage's view of a decoded packet.
pub fn meta_of(p: &Packet<'_>, ts_ns: u64) -> PacketMeta {
    use crate::wire::transport::proto;
    let icmp = if (p.protocol == proto::ICMP || p.protocol == proto::ICMPV6)
        && !matches!(p.frag, Frag::Later { .. })
    {
        let l4 = p.ip.get(p.l4_offset as usize..).unwrap_or(&[]);
        (l4.len() >= 2).then(|| (l4[0], l4[1]))
    } else {
        None
    };
    PacketMeta {
        ts_ns,
        vni: p.vni,
        mirror_src: p.mirror_src,
        tunnel: p.tunnel,
        gwlb: p.gwlb,
        src: p.src,
        dst: p.dst,
        src_port: p.src_port,
        dst_port: p.dst_port,
        protocol: p.protocol,
        ip_len: p.ip_len,
        tcp_flags: p.tcp_flags,
        icmp,
    }
}
