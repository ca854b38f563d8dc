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
//! * The packet inside GRE / ERSPAN ([`super::tunnels`]) or IP-in-IP, as its
//!   own flow, the GRE packet itself being inspected without a flow.
//! * Packets in PPPoE sessions and MPLS label stacks
//!   ([`decap::decode_carried`]), which the flow stage counts as non-IP as
//!   VPC Flow Logs would: detection only, in flows of their own.

use crate::decap::{self, DecapConfig, Frag, Packet, Tunnel};
use crate::defrag::{Defrag, DefragConfig, DefragStats, Fragment, Outcome};
use crate::detect::PacketView;
use crate::dispatch::{Carry, Decoder, Dispatcher, Role};
use crate::flow::{Layer, PacketMeta};
use crate::wire::ethernet::{VlanIds, append_vlan_ids};
use crate::wire::link::LinkType;

/// IP protocol number of GRE.
const GRE: u8 = 47;
/// IP protocol numbers of IPv4 and IPv6 carried in IP.
const IPIP: u8 = crate::wire::transport::proto::IPIP;
const IPV6_IN_IP: u8 = 41;

/// Whether detection looks through the payload of an IP protocol.
fn is_tunnel(protocol: u8) -> bool {
    matches!(protocol, GRE | IPIP | IPV6_IN_IP)
}

/// Where a decoded packet came from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Source<'a> {
    /// Frame number in its capture (1-based; 0 for datagrams).
    pub frame: u64,
    /// The outermost IP packet of the frame (empty for datagrams, whose
    /// outer headers the kernel removed).
    pub outer_ip: &'a [u8],
    /// The VLAN ids of the captured frame's own tags (the outer packet's
    /// when the frame is a mirror tunnel packet).
    pub vlan_ids: VlanIds,
}

impl<'a> Source<'a> {
    /// The outermost IP packet of a captured frame, read with `link`.
    pub fn of_frame(frame: u64, link: LinkType, data: &'a [u8]) -> Source<'a> {
        match crate::wire::link::parse(link, data) {
            Ok(l2) => Source {
                frame,
                outer_ip: l2.payload,
                vlan_ids: l2.vlan_ids,
            },
            Err(_) => Source {
                frame,
                ..Source::default()
            },
        }
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
    /// Packets inside GRE (or ERSPAN) and IP-in-IP sent to detection.
    pub tunnel_packets: u64,
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
            tunnel_packets: 0,
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
            if is_tunnel(p.protocol)
                && self.through_tunnel(p, meta, src, dispatcher, TunnelFrom::wire(p, src))
            {
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
                decoder: Decoder::Capture,
                layer: captured(p),
            },
        );
        if let Some(mut f) = Fragment::from_ip(p.vni, meta.ts_ns, p.ip) {
            f.key.vlan_ids = p.vlan_ids;
            self.defragment(p, &f, meta, src, outer_hdr, dispatcher);
        }
        Role::Flow
    }

    /// Adds fragment `f` (of captured packet `p`) to its datagram; once
    /// whole, sends the datagram to detection, in its flow at the
    /// fragments' layer (Suricata's rebuilt packet keeps its fragments'
    /// VLAN ids and recursion level).
    fn defragment(
        &mut self,
        p: &Packet<'_>,
        f: &Fragment<'_>,
        meta: &PacketMeta,
        src: Source<'_>,
        outer_hdr: &[u8],
        dispatcher: &mut Dispatcher,
    ) {
        if self.defrag.fragment(f, &mut self.rebuilt) == Outcome::Complete {
            // Taken out for the datagram's lifetime (through_gre needs
            // `self`), and put back, capacity kept, below.
            let rebuilt = std::mem::take(&mut self.rebuilt);
            match decap::decode(&self.decap, LinkType::Raw, &rebuilt) {
                Ok(whole) if matches!(whole.frag, Frag::None) => {
                    let m = inner_meta(&whole, meta);
                    // A GRE datagram (an ERSPAN session whose packets
                    // outgrew the MTU): detection looks through it as
                    // through any GRE packet.
                    // The datagram's root is the fragment that completed it.
                    let root = if p.tunnel == Tunnel::None {
                        root_headers(p, 0)
                    } else {
                        outer_hdr
                    };
                    let from = TunnelFrom {
                        decoder: Decoder::Defrag,
                        outer: root,
                        root,
                        depth: 0,
                        vlan_ids: p.vlan_ids,
                    };
                    if is_tunnel(whole.protocol)
                        && self.through_tunnel(&whole, &m, src, dispatcher, from)
                    {
                        self.rebuilt = rebuilt;
                        return;
                    }
                    dispatcher.push_carried(
                        m,
                        Carry {
                            ip: whole.ip,
                            // Suricata's alert names the root packet: the
                            // mirror tunnel's, else the completing fragment.
                            outer: root,
                            role: Role::Detect,
                            frame: src.frame,
                            decoder: Decoder::Defrag,
                            layer: captured(p),
                        },
                    );
                }
                _ => self.rebuilt_undecodable += 1,
            }
            self.rebuilt = rebuilt;
        }
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
            vlan_ids: p.vlan_ids,
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
                    decoder: Decoder::Capture,
                    layer: captured(&p),
                },
            );
        }
        true
    }

    /// A GRE or IP-in-IP packet whose payload detection looks through: the GRE packet
    /// is inspected without a flow (Suricata keeps none for GRE) and the
    /// packet inside as its own flow, recursively (a few levels). Returns
    /// whether the GRE payload was decoded.
    fn through_tunnel(
        &mut self,
        p: &Packet<'_>,
        meta: &PacketMeta,
        src: Source<'_>,
        d: &mut Dispatcher,
        from: TunnelFrom<'_>,
    ) -> bool {
        const MAX_DEPTH: usize = 3;
        let Some((link, frame, decoder, erspan_vlan)) = tunnel_payload(p) else {
            return false;
        };
        let Ok(inner) = decap::decode(&self.decap, link, frame) else {
            return false;
        };
        let carry = |ip, outer, role, decoder, layer| Carry {
            ip,
            outer,
            role,
            frame: src.frame,
            decoder,
            layer,
        };
        // The tunnel packet itself: in its flow where Suricata keeps one
        // (IP-in-IP), flowless otherwise (GRE): `PacketView::has_flow`.
        let layer = Layer {
            vlan_ids: from.vlan_ids,
            depth: from.depth as u8,
        };
        d.push_carried(
            *meta,
            carry(p.ip, from.outer, Role::Detect, from.decoder, layer),
        );
        let m = inner_meta(&inner, meta);
        self.tunnel_packets += 1;
        // The packet inside is a packet of its own: its VLAN ids are the
        // ERSPAN header's, then its frame's tags, none of the carrier's
        // (Suricata's tunnel packets start without VLAN layers).
        let vlan_ids = if erspan_vlan == 0 {
            inner.vlan_ids
        } else {
            append_vlan_ids([erspan_vlan, 0, 0], 1, &inner.vlan_ids)
        };
        let nested = TunnelFrom {
            decoder,
            outer: from.root,
            root: from.root,
            depth: from.depth + 1,
            vlan_ids,
        };
        if is_tunnel(inner.protocol)
            && from.depth < MAX_DEPTH
            && matches!(inner.frag, Frag::None)
            && self.through_tunnel(&inner, &m, src, d, nested)
        {
            return true;
        }
        let role = if matches!(inner.frag, Frag::None) {
            Role::Detect
        } else {
            Role::DetectNoFlow
        };
        let layer = Layer {
            vlan_ids,
            depth: nested.depth as u8,
        };
        d.push_carried(m, carry(inner.ip, from.root, role, decoder, layer));
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
                decoder: Decoder::Capture,
                layer: Layer {
                    vlan_ids: src.vlan_ids,
                    depth: 0,
                },
            },
        );
    }
}

/// The detection layer of a captured packet (or one rebuilt from captured
/// fragments): its frame's VLAN ids, no tunnel below the mirror's.
pub fn captured(p: &Packet<'_>) -> Layer {
    Layer {
        vlan_ids: p.vlan_ids,
        depth: 0,
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

/// How a tunnel packet (GRE, IP-in-IP) detection looks through was decoded.
#[derive(Clone, Copy)]
struct TunnelFrom<'a> {
    /// The decoder that made the tunnel packet itself.
    decoder: Decoder,
    /// The root headers of the tunnel packet itself (for its own alerts).
    outer: &'a [u8],
    /// The root headers the packets inside it name in their alerts: the
    /// captured packet (Suricata's root), or the mirror tunnel's.
    root: &'a [u8],
    /// Tunnel layers looked through above this one.
    depth: usize,
    /// The tunnel packet's own VLAN ids.
    vlan_ids: VlanIds,
}

impl<'a> TunnelFrom<'a> {
    /// A tunnel packet as captured (decapsulated from the mirror tunnel, if any).
    fn wire(p: &Packet<'a>, src: Source<'a>) -> Self {
        let outer = outer_headers(p, src);
        TunnelFrom {
            decoder: Decoder::Capture,
            outer,
            root: if p.tunnel == Tunnel::None {
                root_headers(p, if p.protocol == GRE { 4 } else { 0 })
            } else {
                outer
            },
            depth: 0,
            vlan_ids: p.vlan_ids,
        }
    }
}

/// What a tunnel packet carries: the link type to read it with, its bytes,
/// and the decoder Suricata names for it (`gre tunnel`; `ipv4 tunnel` /
/// `ipv6 tunnel` after the carrying IP version). `None` for GRE versions
/// and protocols not looked through, and cut headers.
fn tunnel_payload<'a>(p: &Packet<'a>) -> Option<(LinkType, &'a [u8], Decoder, u16)> {
    let l4 = p.ip.get(p.l4_offset as usize..)?;
    let by_version = if p.ip.first()? >> 4 == 4 {
        Decoder::Ipv4Tunnel
    } else {
        Decoder::Ipv6Tunnel
    };
    match p.protocol {
        GRE => super::tunnels::gre_inner_vlan(l4).map(|(l, f, v)| (l, f, Decoder::Gre, v)),
        IPIP => Some((LinkType::Ipv4, l4, by_version, 0)),
        IPV6_IN_IP => Some((LinkType::Ipv6, l4, by_version, 0)),
        _ => None,
    }
}

/// The IP header of `p` and `l4` bytes after it (as many as were
/// captured): what an alert's `tunnel` object needs of a root packet.
fn root_headers<'a>(p: &Packet<'a>, l4: usize) -> &'a [u8] {
    &p.ip[..(p.l4_offset as usize + l4).min(p.ip.len())]
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
