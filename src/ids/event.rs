//! Alerts → EVE events: the rule's description, the packet's addresses,
//! the flow so far, the tunnel and the mirror session. Alerts are rare next
//! to packets; building an event allocates, inspecting a packet does not.

use super::{IdsStats, LoadedRules};
use crate::decap::Tunnel;
use crate::detect::{Alert, PacketView, Tx};
use crate::dispatch::{Carried, Decoder};
use crate::flow::{Endpoint, FlowKey, PacketMeta, community_id};
use crate::ids::flows::DetectFlow;
use crate::output::eve::{
    AlertEvent, Direction, EveEvent, FlowSummary, MirrorContext, PktSrc, TunnelInfo,
};
use crate::output::eve_app::{
    AppObject, EveDnsAlert, EveFtpData, EveHttp, EveTls, TxBody, TxEvent,
};
use crate::output::eve_ssh::EveSsh;
use crate::output::eve_tx::Fingerprints;
use crate::wire::Addr;
use crate::wire::geneve::GwlbOptions;
use crate::wire::transport::proto;

impl PktSrc {
    /// Where a packet of this tunnel kind came from.
    pub fn of(t: Tunnel) -> PktSrc {
        match t {
            Tunnel::None => PktSrc::Wire,
            Tunnel::Vxlan => PktSrc::Vxlan,
            Tunnel::Geneve => PktSrc::Geneve,
        }
    }

    /// Where a dispatched packet came from: the decoder that made it (as
    /// Suricata names its pseudo packets), else its mirror tunnel kind.
    pub fn of_packet(t: Tunnel, d: Decoder) -> PktSrc {
        match d {
            Decoder::Capture => PktSrc::of(t),
            Decoder::Gre => PktSrc::Gre,
            Decoder::Ipv4Tunnel => PktSrc::Ipv4Tunnel,
            Decoder::Ipv6Tunnel => PktSrc::Ipv6Tunnel,
            Decoder::Defrag => PktSrc::Defrag,
        }
    }
}

/// What an alert says about where its packet came from.
#[derive(Debug, Clone, Copy)]
pub struct EventContext {
    ts_ns: u64,
    frame: u64,
    vni: Option<u32>,
    mirror_src: Option<Addr>,
    gwlb: GwlbOptions,
    tunnel: Option<TunnelInfo>,
    pkt_src: PktSrc,
}

impl EventContext {
    /// The context of a dispatched packet (`outer`: its tunnel's outer IP
    /// and UDP headers, when carried).
    pub fn new(meta: &PacketMeta, c: Carried, outer: &[u8]) -> Self {
        // Suricata's `tunnel` object describes the root packet of a
        // decoder's pseudo packet: the mirror tunnel's outer packet (depth
        // 1, or 2 for GRE inside it), a GRE packet (depth 1), or the
        // fragment that completed a datagram (depth 0, no ports: Suricata
        // decodes no transport header in fragments).
        let inner_tunnel = matches!(
            c.decoder,
            Decoder::Gre | Decoder::Ipv4Tunnel | Decoder::Ipv6Tunnel
        );
        let (has_root, depth) = match (meta.tunnel, c.decoder) {
            (Tunnel::None, Decoder::Capture) => (false, 0),
            (Tunnel::None, Decoder::Defrag) => (true, 0),
            (Tunnel::None, _) => (true, 1),
            (_, _) if inner_tunnel => (true, 2),
            (_, _) => (true, 1),
        };
        let fragment_root = meta.tunnel == Tunnel::None && c.decoder == Decoder::Defrag;
        let tunnel = has_root
            .then(|| PacketView::from_ip(outer).ok())
            .flatten()
            .map(|o| TunnelInfo {
                src: o.src,
                src_port: if fragment_root { 0 } else { o.sport },
                dst: o.dst,
                dst_port: if fragment_root { 0 } else { o.dport },
                protocol: o.proto,
                depth,
                pcap_cnt: (c.frame > 0).then_some(c.frame),
            });
        EventContext {
            ts_ns: meta.ts_ns,
            frame: c.frame,
            vni: meta.vni,
            mirror_src: meta.mirror_src,
            gwlb: meta.gwlb,
            tunnel,
            pkt_src: PktSrc::of_packet(meta.tunnel, c.decoder),
        }
    }

    /// Where the packet of this context came from (flow-end contexts: the
    /// flow-timeout pseudo packet).
    pub fn pkt_src(&self) -> PktSrc {
        self.pkt_src
    }

    /// `ctx` at another time.
    pub fn at(ctx: EventContext, ts_ns: u64) -> Self {
        EventContext { ts_ns, ..ctx }
    }

    /// The context of a flow-end inspection (no packet).
    pub fn flow_end(key: &FlowKey, flow: &DetectFlow) -> Self {
        EventContext {
            ts_ns: flow.last_ns,
            frame: 0,
            vni: (key.vni != u32::MAX).then_some(key.vni),
            mirror_src: None,
            gwlb: GwlbOptions::default(),
            tunnel: None,
            pkt_src: PktSrc::StreamFlowTimeout,
        }
    }
}

/// Turns the alerts of one inspection into events (and counts them; with
/// `write` false, as when `alert` is not among the EVE types, only counts
/// them).
#[allow(clippy::too_many_arguments)]
pub fn push_events(
    rules: &LoadedRules,
    alerts: &mut Vec<Alert>,
    objects: &mut Vec<(usize, u64, Option<AppObject>)>,
    v: &PacketView<'_>,
    ctx: &EventContext,
    flow: Option<(FlowKey, &DetectFlow, usize)>,
    pkt_src: PktSrc,
    write: bool,
    out: &mut Vec<EveEvent>,
    stats: &mut IdsStats,
) {
    if alerts.is_empty() {
        objects.clear();
        return;
    }
    let icmp = matches!(v.proto, proto::ICMP | proto::ICMPV6)
        .then(|| v.icmp_type().zip(v.icmp_code()))
        .flatten();
    let app_proto = flow
        .and_then(|(_, f, _)| f.app.as_ref())
        .map(|a| a.proto())
        .filter(|p| *p != crate::applayer::AppProto::Unknown)
        .map(|p| p.name());
    let (flow_id, direction, summary) = match flow {
        Some((key, f, dir)) => {
            let c = f.initiator as usize;
            let (client, server): (Endpoint, Endpoint) = key.endpoints(c);
            (
                f.id,
                Some(if dir == c {
                    Direction::ToServer
                } else {
                    Direction::ToClient
                }),
                Some(FlowSummary {
                    pkts_toserver: f.pkts[c],
                    pkts_toclient: f.pkts[1 - c],
                    bytes_toserver: f.bytes[c],
                    bytes_toclient: f.bytes[1 - c],
                    start_ns: f.start_ns,
                    src: client.addr,
                    dst: server.addr,
                    src_port: client.port,
                    dst_port: server.port,
                }),
            )
        }
        None => (0, None, None),
    };
    let community = community_id(v.proto, v.src, v.dst, v.sport, v.dport);
    let mirror = ctx.vni.map(|vni| MirrorContext {
        vni: Some(vni),
        interface_id: None,
        mirror_src: ctx.mirror_src,
        gwlb: ctx.gwlb,
    });
    let mut objects = objects.drain(..).peekable();
    for (i, a) in alerts.drain(..).enumerate() {
        let (tx_id, app) = match objects.next_if(|(at, _, _)| *at == i) {
            Some((_, id, o)) => (Some(id), o),
            None => (None, None),
        };
        let Some(info) = rules.infos.get(a.rule as usize) else {
            continue;
        };
        stats.alerts += 1;
        stats.by_severity[(info.severity.clamp(1, 4) - 1) as usize] += 1;
        if !write {
            continue;
        }
        out.push(EveEvent::Alert(Box::new(AlertEvent {
            ts_ns: ctx.ts_ns,
            flow_id,
            pcap_cnt: (ctx.tunnel.is_none() && ctx.frame > 0).then_some(ctx.frame),
            src: v.src,
            src_port: v.sport,
            dst: v.dst,
            dst_port: v.dport,
            protocol: v.proto,
            icmp,
            alert: info.clone(),
            app_proto,
            tx_id,
            app,
            direction,
            pkt_src,
            flow: summary,
            community_id: Some(community.clone()),
            tunnel: ctx.tunnel,
            mirror: mirror.clone(),
        })));
    }
}

/// Turns the transaction event bodies logged on one packet (or at flow
/// end) into EVE events: Suricata's header for them (the packet's time
/// and frame number, the flow's client as `src` whichever packet it was,
/// `pkt_src`), the flow's Community ID and the mirror context.
pub fn push_tx_events(
    bodies: &mut Vec<TxBody>,
    ctx: &EventContext,
    key: &FlowKey,
    flow: &DetectFlow,
    pkt_src: PktSrc,
    out: &mut Vec<EveEvent>,
) {
    if bodies.is_empty() {
        return;
    }
    let (client, server) = key.endpoints(flow.initiator as usize);
    let community = community_id(
        key.protocol,
        client.addr,
        server.addr,
        client.port,
        server.port,
    );
    let mirror = ctx.vni.map(|vni| MirrorContext {
        vni: Some(vni),
        interface_id: None,
        mirror_src: ctx.mirror_src,
        gwlb: ctx.gwlb,
    });
    for body in bodies.drain(..) {
        out.push(EveEvent::Tx(Box::new(TxEvent {
            ts_ns: ctx.ts_ns,
            flow_id: flow.id,
            pcap_cnt: (ctx.tunnel.is_none() && ctx.frame > 0).then_some(ctx.frame),
            client: client.addr,
            client_port: client.port,
            server: server.addr,
            server_port: server.port,
            protocol: key.protocol,
            pkt_src,
            community_id: Some(community.clone()),
            body,
            mirror: mirror.clone(),
        })));
    }
}

/// The EVE object of a transaction an alert matched (Suricata's
/// `metadata: yes` default: `http`, `dns`, `tls`, `ssh`). JA3 and HASSH
/// are in it when `fp` enables them (Suricata computes them only then:
/// with its stock `auto`, when a loaded rule uses such a keyword).
pub fn app_object(tx: Tx<'_>, tx_id: u64, fp: Fingerprints) -> Option<AppObject> {
    Some(match tx {
        Tx::Http(t) => AppObject::Http(EveHttp::from_tx(t)),
        Tx::Dns(t) => AppObject::Dns(EveDnsAlert::from_tx(t, tx_id)?),
        Tx::Tls(t) => AppObject::Tls(EveTls::from_state(t, fp.ja3)),
        Tx::Ssh(t) => AppObject::Ssh(EveSsh::from_state(t, fp.hassh)?),
        // Suricata 7.0.10's alerts carry no `krb5` object (measured on
        // krb5-kerberoasting with the stock configuration).
        Tx::Krb5(_) => return None,
        // The `smb` object is not built yet; Suricata 7.0.10 writes no
        // `dcerpc` object in alerts on DCE/RPC over TCP (measured on
        // dcerpc-issue-7187-01).
        Tx::Smb(..) | Tx::Dcerpc(..) => return None,
        // Suricata 7.0.10 writes no `ftp` object in alerts; an ftp-data
        // alert carries `ftp_data` (measured on ftp-download-passive).
        Tx::Ftp { .. } => return None,
        Tx::FtpData(d) => AppObject::FtpData(EveFtpData::from_state(d)),
    })
}

/// A minimal IP + TCP header from `src` to `dst` (ACK set, no payload):
/// the packet a flow-end stream inspection reads its addresses, ports and
/// protocol from, as Suricata's flow-timeout pseudo packets.
pub fn pseudo_tcp(buf: &mut Vec<u8>, src: Endpoint, dst: Endpoint) {
    buf.clear();
    let tcp_len = 20u16;
    let (mut s, mut d) = ([0u8; 16], [0u8; 16]);
    let n = src.addr.octets(&mut s);
    dst.addr.octets(&mut d);
    if !src.addr.v6 {
        buf.extend_from_slice(&[0x45, 0]);
        buf.extend_from_slice(&(20 + tcp_len).to_be_bytes());
        buf.extend_from_slice(&[0, 0, 0x40, 0, 64, proto::TCP, 0, 0]);
    } else {
        buf.extend_from_slice(&[0x60, 0, 0, 0]);
        buf.extend_from_slice(&tcp_len.to_be_bytes());
        buf.extend_from_slice(&[proto::TCP, 64]);
    }
    buf.extend_from_slice(&s[..n]);
    buf.extend_from_slice(&d[..n]);
    buf.extend_from_slice(&src.port.to_be_bytes());
    buf.extend_from_slice(&dst.port.to_be_bytes());
    buf.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_packets_parse_with_the_flow_endpoints() {
        let mut buf = Vec::new();
        for (a, b) in [
            (Addr::v4([10, 0, 0, 1]), Addr::v4([10, 0, 0, 2])),
            (Addr::v6([0x20; 16]), Addr::v6([0x30; 16])),
        ] {
            let s = Endpoint {
                addr: a,
                port: 1234,
            };
            let d = Endpoint { addr: b, port: 80 };
            pseudo_tcp(&mut buf, s, d);
            let v = PacketView::from_ip(&buf).unwrap();
            assert_eq!((v.src, v.dst, v.sport, v.dport), (a, b, 1234, 80));
            assert_eq!(
                (v.proto, v.payload().len(), v.tcp_flags()),
                (6, 0, Some(0x10))
            );
        }
    }
}
