//! Decapsulation: a captured frame → the mirror session it belongs to and
//! the inner packet's flow fields.
//!
//! Only the mirror level is stripped: the first VXLAN (UDP 4789 or
//! configured ports) or GENEVE (UDP 6081) header after the outer IP/UDP.
//! Whatever is inside stays as it is (a VXLAN packet the mirrored instance
//! sent itself is a UDP/4789 flow, as AWS logs it). Frames without a
//! tunnel are used as they are, so plain captures work too.
//!
//! Truncated packets are normal (a session's packet length cuts the inner
//! frame): lengths come from the inner IP header, what is missing is simply
//! not parsed, and checksums are never validated. Every malformed or
//! unsupported frame comes back as a [`DecapError`] whose `reason()` is a
//! counter label; recoverable oddities are flagged in [`Anomalies`].

mod fast;
mod packet;

pub use packet::{Anomalies, DecapError, Frag, Packet, Tunnel};

use crate::wire::ethernet::{self, VlanIds, ethertype};
use crate::wire::geneve::{self, Geneve, GwlbOptions};
use crate::wire::ipv4::Ipv4;
use crate::wire::ipv6::Ipv6;
use crate::wire::link::{self, LinkType};
use crate::wire::transport::{self, proto};
use crate::wire::vxlan::{self, Vxlan};
use crate::wire::{Addr, WireError};

/// Most tunnel ports of each kind (like Suricata's 4-port limit, kept small
/// so the check is a few compares).
pub const MAX_TUNNEL_PORTS: usize = 4;

/// Which UDP ports carry the mirror tunnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecapConfig {
    vxlan: [u16; MAX_TUNNEL_PORTS],
    geneve: [u16; MAX_TUNNEL_PORTS],
}

impl Default for DecapConfig {
    fn default() -> Self {
        DecapConfig::new(&[vxlan::DEFAULT_PORT], &[geneve::DEFAULT_PORT]).expect("defaults fit")
    }
}

impl DecapConfig {
    /// Up to [`MAX_TUNNEL_PORTS`] ports of each kind; port 0 is not allowed.
    pub fn new(vxlan_ports: &[u16], geneve_ports: &[u16]) -> Result<Self, String> {
        let mut cfg = DecapConfig {
            vxlan: [0; 4],
            geneve: [0; 4],
        };
        for (name, src, dst) in [
            ("VXLAN", vxlan_ports, &mut cfg.vxlan),
            ("GENEVE", geneve_ports, &mut cfg.geneve),
        ] {
            if src.len() > MAX_TUNNEL_PORTS {
                return Err(format!(
                    "at most {MAX_TUNNEL_PORTS} {name} ports, got {}",
                    src.len()
                ));
            }
            if src.contains(&0) {
                return Err(format!("{name} port 0 is not a valid port"));
            }
            dst[..src.len()].copy_from_slice(src);
        }
        Ok(cfg)
    }

    #[inline]
    fn is_vxlan(&self, p: u16) -> bool {
        p != 0 && self.vxlan.contains(&p)
    }

    #[inline]
    fn is_geneve(&self, p: u16) -> bool {
        p != 0 && self.geneve.contains(&p)
    }
}

/// Decodes one frame captured whole (its on-wire length is its length).
pub fn decode<'a>(
    cfg: &DecapConfig,
    link: LinkType,
    frame: &'a [u8],
) -> Result<Packet<'a>, DecapError> {
    decode_frame(cfg, link, frame, frame.len() as u32)
}

/// Decodes one captured frame whose on-wire length was `orig_len` (the
/// capture may have kept fewer bytes). The on-wire length matters only for
/// IPv4 headers with a zero total length (TSO/LRO captures), whose length
/// is then what the frame had on the wire after the headers before it.
///
/// Frames of the shape AWS Traffic Mirroring sends almost always (Ethernet
/// / IPv4 / UDP / VXLAN / Ethernet / IPv4, no tags or options) take a fast
/// path that reads fixed offsets; every other frame, and any frame the fast
/// path is unsure of, goes through [`decode_general`], with the same result.
#[inline(always)]
pub fn decode_frame<'a>(
    cfg: &DecapConfig,
    link: LinkType,
    frame: &'a [u8],
    orig_len: u32,
) -> Result<Packet<'a>, DecapError> {
    if link == LinkType::Ethernet
        && let Some(p) = fast::vxlan_ipv4(cfg, frame)
    {
        return Ok(p);
    }
    decode_general(cfg, link, frame, orig_len)
}

/// [`decode_frame`] without its fast path: the general decoder, for every
/// shape. It gives the same result as [`decode_frame`] for every input
/// (the fast path's tests and the fuzz target compare the two).
#[inline(never)]
pub fn decode_general<'a>(
    cfg: &DecapConfig,
    link: LinkType,
    frame: &'a [u8],
    orig_len: u32,
) -> Result<Packet<'a>, DecapError> {
    let l2 = link::parse(link, frame).map_err(link_error)?;
    let mut anomalies = Anomalies::default();
    let uncaptured = orig_len.saturating_sub(frame.len() as u32);
    let outer = ip_layer(l2.ethertype, l2.payload, uncaptured, &mut anomalies, false)?;

    // The mirror tunnel may itself travel in IP-in-IP (4in4, 6in4, …)
    // between the mirror source and the target: look through up to
    // MAX_IP_IN_IP such layers. If no tunnel is found behind them, the
    // packet is the outermost IP packet, as it would be without them.
    let mut carrier = outer;
    let mut carrier_anomalies = anomalies;
    for _ in 0..MAX_IP_IN_IP {
        let et = match carrier.protocol {
            proto::IPIP => ethertype::IPV4,
            proto::IPV6 => ethertype::IPV6,
            _ => break,
        };
        if matches!(carrier.frag, Frag::Later { .. }) {
            break;
        }
        match ip_layer(
            et,
            carrier.l4,
            carrier.uncaptured(),
            &mut carrier_anomalies,
            false,
        ) {
            Ok(l) => carrier = l,
            Err(_) => break,
        }
    }
    match mirror_tunnel(cfg, &carrier, &mut carrier_anomalies)? {
        Some(inner) => Ok(inner),
        None => {
            // Why the UDP packet was not taken as a tunnel, if it nearly was.
            anomalies.set(
                carrier_anomalies.0 & (Anomalies::VXLAN_NO_I_FLAG | Anomalies::GENEVE_BAD_VERSION),
            );
            Ok(Packet {
                vlan_ids: l2.vlan_ids,
                ..outer.into_packet(Tunnel::None, None, None, GwlbOptions::default(), anomalies)
            })
        }
    }
}

/// The decap error of a link layer (Ethernet, VLAN tags, carriers) that
/// did not parse.
fn link_error(e: WireError) -> DecapError {
    match e {
        WireError::Truncated => DecapError::LinkTruncated,
        WireError::Malformed => DecapError::LinkMalformed,
    }
}

/// Decodes a frame that [`decode_frame`] calls [`DecapError::NonIp`]
/// because its IP packet travels in a PPPoE session or an MPLS label
/// stack. Detection looks through those as Suricata does
/// ([`ethernet::through_carriers`]); the flow stage does not (VPC Flow
/// Logs have no such frames, and the flow-log oracle counts them as
/// non-IP), so the packet decoded here is for detection only.
/// [`DecapError::NonIp`] when the frame has no such carrier or what it
/// carries is not IP.
pub fn decode_carried<'a>(
    cfg: &DecapConfig,
    link: LinkType,
    frame: &'a [u8],
    orig_len: u32,
) -> Result<Packet<'a>, DecapError> {
    let l2 = link::parse(link, frame).map_err(link_error)?;
    let inner = ethernet::through_carriers(l2)
        .ok_or(DecapError::NonIp)?
        .map_err(link_error)?;
    let ip_link = match inner.ethertype {
        ethertype::IPV4 => LinkType::Ipv4,
        ethertype::IPV6 => LinkType::Ipv6,
        _ => return Err(DecapError::NonIp),
    };
    let headers = (frame.len() - inner.payload.len()) as u32;
    let p = decode_general(
        cfg,
        ip_link,
        inner.payload,
        orig_len.saturating_sub(headers),
    )?;
    Ok(match p.tunnel {
        Tunnel::None => Packet {
            vlan_ids: inner.vlan_ids,
            ..p
        },
        _ => p,
    })
}

/// Most IP-in-IP layers looked through before the mirror tunnel.
const MAX_IP_IN_IP: usize = 2;

/// The mirror tunnel's inner packet, when `outer` carries VXLAN or GENEVE
/// on a configured port; `None` when it is not a tunnel packet at all.
fn mirror_tunnel<'a>(
    cfg: &DecapConfig,
    outer: &IpLayer<'a>,
    anomalies: &mut Anomalies,
) -> Result<Option<Packet<'a>>, DecapError> {
    // A tunnel only behind a UDP header whose port says so, and never in a
    // later fragment (no UDP header there).
    if outer.protocol == proto::UDP && !matches!(outer.frag, Frag::Later { .. }) {
        let udp = outer.l4;
        if udp.len() >= 8 {
            let (sp, dp) = (crate::wire::be16(udp, 0), crate::wire::be16(udp, 2));
            let body = &udp[8..];
            if cfg.is_vxlan(dp) || cfg.is_vxlan(sp) {
                return vxlan_payload(body, outer.uncaptured(), outer.src, anomalies);
            } else if cfg.is_geneve(dp) || cfg.is_geneve(sp) {
                return geneve_payload(body, outer.uncaptured(), outer.src, anomalies);
            }
        }
    }
    Ok(None)
}

/// The mirror tunnel payload of a captured frame, as a tunnel socket would
/// receive it: the tunnel kind, the outer source address and the outer UDP
/// payload (VXLAN or GENEVE header first). `None` for frames without a
/// tunnel port (plain packets, non-IP, later fragments, cut headers, mirror
/// tunnels inside IP-in-IP). `vxtap send` replays captures with it.
pub fn tunnel_payload<'a>(
    cfg: &DecapConfig,
    link: LinkType,
    frame: &'a [u8],
) -> Option<(Tunnel, Addr, &'a [u8])> {
    let l2 = link::parse(link, frame).ok()?;
    let outer = ip_layer(
        l2.ethertype,
        l2.payload,
        0,
        &mut Anomalies::default(),
        false,
    )
    .ok()?;
    if outer.protocol != proto::UDP || matches!(outer.frag, Frag::Later { .. }) {
        return None;
    }
    let udp = outer.l4;
    if udp.len() < 8 {
        return None;
    }
    let (sp, dp) = (crate::wire::be16(udp, 0), crate::wire::be16(udp, 2));
    let tunnel = if cfg.is_vxlan(dp) || cfg.is_vxlan(sp) {
        Tunnel::Vxlan
    } else if cfg.is_geneve(dp) || cfg.is_geneve(sp) {
        Tunnel::Geneve
    } else {
        return None;
    };
    Some((tunnel, outer.src, &udp[8..]))
}

/// Decodes one UDP datagram's payload received on a tunnel socket: the
/// kernel already stripped the outer Ethernet/IP/UDP, so the payload starts
/// with the VXLAN or GENEVE header of the listener's `tunnel` kind, and the
/// datagram's source address plays the outer source address's part
/// (session lookup, flow-direction). A payload that is not a valid header
/// of that kind is an error ([`DecapError::TunnelMalformed`]), not a plain
/// UDP packet as in a capture, since nothing else arrives on that port.
pub fn decode_datagram(
    tunnel: Tunnel,
    payload: &[u8],
    mirror_src: Addr,
) -> Result<Packet<'_>, DecapError> {
    let mut anomalies = Anomalies::default();
    let p = match tunnel {
        Tunnel::Vxlan => vxlan_payload(payload, 0, mirror_src, &mut anomalies)?,
        Tunnel::Geneve => geneve_payload(payload, 0, mirror_src, &mut anomalies)?,
        Tunnel::None => None,
    };
    p.ok_or(DecapError::TunnelMalformed)
}

/// A VXLAN header and what it carries; `None` (anomaly set) when the I
/// flag is missing, so the caller decides what the packet is.
/// `uncaptured`: bytes of the carrying packet that were not captured.
fn vxlan_payload<'a>(
    body: &'a [u8],
    uncaptured: u32,
    mirror_src: Addr,
    anomalies: &mut Anomalies,
) -> Result<Option<Packet<'a>>, DecapError> {
    match Vxlan::new_checked(body) {
        Ok(vx) => {
            if vx.reserved_nonzero() {
                anomalies.set(Anomalies::VXLAN_RESERVED_NONZERO);
            }
            let inner =
                ethernet::parse(vx.payload()).map_err(|_| DecapError::InnerLinkTruncated)?;
            inner_packet(
                inner.ethertype,
                inner.payload,
                uncaptured,
                Tunnel::Vxlan,
                vx.vni(),
                mirror_src,
                GwlbOptions::default(),
                *anomalies,
            )
            .map(|p| {
                Some(Packet {
                    vlan_ids: inner.vlan_ids,
                    ..p
                })
            })
        }
        Err(WireError::Truncated) => Err(DecapError::TunnelTruncated),
        // No I flag: not a VXLAN packet after all.
        Err(WireError::Malformed) => {
            anomalies.set(Anomalies::VXLAN_NO_I_FLAG);
            Ok(None)
        }
    }
}

/// A GENEVE header and what it carries; `None` (anomaly set) for another
/// version.
fn geneve_payload<'a>(
    body: &'a [u8],
    uncaptured: u32,
    mirror_src: Addr,
    anomalies: &mut Anomalies,
) -> Result<Option<Packet<'a>>, DecapError> {
    match Geneve::new_checked(body) {
        Ok(g) => {
            let (gwlb, ok) = g.gwlb();
            if !ok {
                anomalies.set(Anomalies::GENEVE_OPTIONS_MALFORMED);
            }
            let (et, payload, vlan_ids) = match g.protocol() {
                ethertype::TEB => {
                    let l2 =
                        ethernet::parse(g.payload()).map_err(|_| DecapError::InnerLinkTruncated)?;
                    (l2.ethertype, l2.payload, l2.vlan_ids)
                }
                other => (other, g.payload(), VlanIds::default()),
            };
            inner_packet(
                et,
                payload,
                uncaptured,
                Tunnel::Geneve,
                g.vni(),
                mirror_src,
                gwlb,
                *anomalies,
            )
            .map(|p| Some(Packet { vlan_ids, ..p }))
        }
        Err(WireError::Truncated) => Err(DecapError::TunnelTruncated),
        Err(WireError::Malformed) => {
            anomalies.set(Anomalies::GENEVE_BAD_VERSION);
            Ok(None)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn inner_packet<'a>(
    ethertype: u16,
    payload: &'a [u8],
    uncaptured: u32,
    tunnel: Tunnel,
    vni: u32,
    mirror_src: Addr,
    gwlb: GwlbOptions,
    mut anomalies: Anomalies,
) -> Result<Packet<'a>, DecapError> {
    let ip = ip_layer(ethertype, payload, uncaptured, &mut anomalies, true)?;
    Ok(ip.into_packet(tunnel, Some(vni), Some(mirror_src), gwlb, anomalies))
}

/// The IP layer of one level (outer or inner).
#[derive(Clone, Copy)]
struct IpLayer<'a> {
    src: Addr,
    dst: Addr,
    protocol: u8,
    ip_len: u32,
    frag: Frag,
    ip: &'a [u8],
    l4: &'a [u8],
}

impl<'a> IpLayer<'a> {
    /// Bytes of this IP packet that were on the wire but not captured (what
    /// a tunnel inside it misses at its end).
    fn uncaptured(&self) -> u32 {
        self.ip_len.saturating_sub(self.ip.len() as u32)
    }

    #[inline(always)]
    fn into_packet(
        self,
        tunnel: Tunnel,
        vni: Option<u32>,
        mirror_src: Option<Addr>,
        gwlb: GwlbOptions,
        mut anomalies: Anomalies,
    ) -> Packet<'a> {
        let ports = if matches!(self.frag, Frag::Later { .. }) {
            transport::Ports::default()
        } else {
            let p = transport::ports(self.protocol, self.l4);
            if transport::has_ports(self.protocol)
                && self.l4.len() < transport::ports_need(self.protocol)
            {
                anomalies.set(Anomalies::TRANSPORT_TRUNCATED);
            }
            p
        };
        Packet {
            tunnel,
            vni,
            mirror_src,
            gwlb,
            src: self.src,
            dst: self.dst,
            protocol: self.protocol,
            src_port: ports.src,
            dst_port: ports.dst,
            tcp_flags: ports.tcp_flags,
            ip_len: self.ip_len,
            frag: self.frag,
            ip: self.ip,
            l4_offset: (self.ip.len() - self.l4.len().min(self.ip.len())) as u16,
            anomalies,
            vlan_ids: VlanIds::default(),
        }
    }
}

/// `uncaptured`: bytes that followed `bytes` on the wire but were not
/// captured.
fn ip_layer<'a>(
    ethertype: u16,
    bytes: &'a [u8],
    uncaptured: u32,
    anomalies: &mut Anomalies,
    inner: bool,
) -> Result<IpLayer<'a>, DecapError> {
    match ethertype {
        ethertype::IPV4 => {
            let v4 = Ipv4::new_checked(bytes).map_err(DecapError::ip)?;
            if !v4.options_complete() {
                // The header itself is cut: no trustworthy flow (tshark skips it too).
                return Err(DecapError::IpTruncated);
            }
            // A zero total length (TSO/LRO captures): everything that
            // followed the IP header's start on the wire.
            let total = match v4.total_len() as u32 {
                0 => (bytes.len() as u32).saturating_add(uncaptured),
                n => n,
            };
            if total as usize > bytes.len() {
                anomalies.set(Anomalies::CAPTURE_TRUNCATED);
            }
            let frag = if v4.frag_offset() != 0 {
                Frag::Later {
                    id: v4.ident() as u32,
                }
            } else if v4.more_fragments() {
                Frag::First {
                    id: v4.ident() as u32,
                }
            } else {
                Frag::None
            };
            let end = (total as usize).min(bytes.len());
            Ok(IpLayer {
                src: v4.src(),
                dst: v4.dst(),
                protocol: v4.protocol(),
                ip_len: total,
                frag,
                ip: &bytes[..end],
                l4: v4.payload(),
            })
        }
        ethertype::IPV6 => {
            let v6 = Ipv6::new_checked(bytes).map_err(DecapError::ip)?;
            let w = v6.walk();
            if w.cut {
                anomalies.set(Anomalies::IP_OPTIONS_TRUNCATED);
            }
            if w.bad_option {
                anomalies.set(Anomalies::IPV6_OPTION_MALFORMED);
            }
            let len = v6.packet_len();
            if len as usize > bytes.len() {
                anomalies.set(Anomalies::CAPTURE_TRUNCATED);
            }
            let frag = match w.fragment {
                Some((id, 0, true)) => Frag::First { id },
                Some((id, off, _)) if off != 0 => Frag::Later { id },
                _ => Frag::None,
            };
            let end = (len as usize).min(bytes.len());
            Ok(IpLayer {
                src: v6.src(),
                dst: v6.dst(),
                protocol: w.protocol,
                ip_len: len,
                frag,
                ip: &bytes[..end],
                l4: w.transport,
            })
        }
        _ if inner => Err(DecapError::NonIpInTunnel),
        _ => Err(DecapError::NonIp),
    }
}

#[cfg(test)]
mod datagram_tests;
#[cfg(test)]
mod tests;
