//! EVE JSON alerts in Suricata 7's schema, one object per line, so SIEM
//! pipelines that read Suricata's `eve.json` read vxtap's unchanged.
//!
//! Every field keeps Suricata's name, type and spelling (timestamp with
//! microseconds and a `+0000` offset, `proto` as the protocol's name,
//! `alert.action` "allowed" in this passive sensor, the `tunnel` object and
//! `pkt_src` of decapsulated packets). vxtap adds one top-level object,
//! `vxtap`, with the mirror context Suricata cannot know (VNI, the
//! session's interface id, the mirror source, GENEVE/GWLB TLVs); it is
//! described by `docs/eve-vxtap.schema.json` and added to Suricata's schema
//! by the test that validates what this module writes.
//!
//! Alerts are rare next to packets: they are rendered with serde_json on
//! the output thread, never on the packet path.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::wire::Addr;
use crate::wire::geneve::GwlbOptions;
use crate::wire::transport::proto;

/// One alert, as the detection stage hands it to the output thread.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    /// Packet time, ns since the epoch.
    pub ts_ns: u64,
    /// The flow's id: the same for every event of a flow.
    pub flow_id: u64,
    /// Frame number in the capture (replay), for packets without a tunnel;
    /// tunnelled packets carry it in `tunnel.pcap_cnt`, as Suricata 7 does.
    pub pcap_cnt: Option<u64>,
    /// Packet source and destination (the inner packet's).
    pub src: Addr,
    /// Source port (0 for protocols without ports).
    pub src_port: u16,
    /// Destination address.
    pub dst: Addr,
    /// Destination port.
    pub dst_port: u16,
    /// IP protocol number.
    pub protocol: u8,
    /// ICMP type and code, for ICMP and ICMPv6.
    pub icmp: Option<(u8, u8)>,
    /// The rule that matched.
    pub alert: AlertInfo,
    /// Application protocol of the flow, once known.
    pub app_proto: Option<&'static str>,
    /// The application-layer object (`http`, `dns`, `tls`) of the
    /// transaction an alert matched (alerts on transactions only, as
    /// Suricata).
    pub app: Option<super::eve_app::AppObject>,
    /// The id of the transaction an alert matched.
    pub tx_id: Option<u64>,
    /// Direction of the packet in its flow.
    pub direction: Option<Direction>,
    /// Where the inspected bytes came from.
    pub pkt_src: PktSrc,
    /// The flow so far.
    pub flow: Option<FlowSummary>,
    /// Community ID v1 of the flow.
    pub community_id: Option<String>,
    /// The outer packet, when the alert is on a decapsulated one.
    pub tunnel: Option<TunnelInfo>,
    /// vxtap's mirror context.
    pub mirror: Option<MirrorContext>,
}

/// One EVE line as the detection stage hands it to the output thread: an
/// alert or (opt-in, `[eve] types`) a transaction event. Boxed: events
/// are rare next to packets and travel in batches.
#[derive(Debug, Clone, PartialEq)]
pub enum EveEvent {
    /// `event_type: "alert"`.
    Alert(Box<AlertEvent>),
    /// `event_type` `http`, `dns`, `tls`, `ssh`.
    Tx(Box<super::eve_app::TxEvent>),
}

impl EveEvent {
    /// The mirror context, for the output thread to complete.
    pub fn mirror_mut(&mut self) -> Option<&mut MirrorContext> {
        match self {
            EveEvent::Alert(a) => a.mirror.as_mut(),
            EveEvent::Tx(t) => t.mirror.as_mut(),
        }
    }
}

impl EveEvent {
    /// `alerts` or `tx_events`, whichever counts this event.
    fn counter<'a>(&self, alerts: &'a mut u64, tx_events: &'a mut u64) -> &'a mut u64 {
        match self {
            EveEvent::Alert(_) => alerts,
            EveEvent::Tx(_) => tx_events,
        }
    }
}

impl Serialize for EveEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            EveEvent::Alert(a) => a.serialize(s),
            EveEvent::Tx(t) => t.serialize(s),
        }
    }
}

/// The matching rule's identity, shared by every alert it raises.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertInfo {
    /// Generator id (1 for rules).
    pub gid: u32,
    /// Signature id.
    pub signature_id: u32,
    /// Revision.
    pub rev: u32,
    /// The rule's `msg`.
    pub signature: Arc<str>,
    /// Classification description (`classtype`), "" when none.
    pub category: Arc<str>,
    /// Priority: the classtype's or the rule's `priority` (default 3).
    pub severity: u8,
    /// `metadata` key/value pairs, values grouped per key in rule order.
    pub metadata: Arc<[(String, Vec<String>)]>,
}

/// Direction of a packet in its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the flow's initiator.
    ToServer,
    /// Towards the initiator.
    ToClient,
}

/// Where the inspected data came from (`pkt_src`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PktSrc {
    /// A captured packet.
    Wire,
    /// Decapsulated from VXLAN.
    Vxlan,
    /// Decapsulated from GENEVE.
    Geneve,
    /// The packet inside GRE or ERSPAN (`gre tunnel`).
    Gre,
    /// The packet inside an IPv4 packet (`ipv4 tunnel`).
    Ipv4Tunnel,
    /// The packet inside an IPv6 packet (`ipv6 tunnel`).
    Ipv6Tunnel,
    /// A datagram rebuilt from its fragments (`defrag`).
    Defrag,
    /// Reassembled stream data, inspected at flow end.
    StreamFlowTimeout,
    /// Reassembled stream data, inspected when the application layer
    /// stopped payload inspection (an encrypted session).
    StreamDetectLog,
}

impl PktSrc {
    pub(crate) fn label(self) -> &'static str {
        match self {
            PktSrc::Wire => "wire/pcap",
            PktSrc::Vxlan => "vxlan encapsulation",
            PktSrc::Geneve => "geneve encapsulation",
            PktSrc::Gre => "gre tunnel",
            PktSrc::Ipv4Tunnel => "ipv4 tunnel",
            PktSrc::Ipv6Tunnel => "ipv6 tunnel",
            PktSrc::Defrag => "defrag",
            PktSrc::StreamFlowTimeout => "stream (flow timeout)",
            PktSrc::StreamDetectLog => "stream (detect/log)",
        }
    }
}

/// Counters of the alert's flow when it fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowSummary {
    /// Packets from the initiator.
    pub pkts_toserver: u64,
    /// Packets towards the initiator.
    pub pkts_toclient: u64,
    /// Bytes from the initiator.
    pub bytes_toserver: u64,
    /// Bytes towards the initiator.
    pub bytes_toclient: u64,
    /// First packet, ns since the epoch.
    pub start_ns: u64,
    /// The initiator.
    pub src: Addr,
    /// The responder.
    pub dst: Addr,
    /// Initiator's port.
    pub src_port: u16,
    /// Responder's port.
    pub dst_port: u16,
}

/// The outer (tunnel) packet of a decapsulated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TunnelInfo {
    /// Outer source.
    pub src: Addr,
    /// Outer source port.
    pub src_port: u16,
    /// Outer destination.
    pub dst: Addr,
    /// Outer destination port.
    pub dst_port: u16,
    /// Outer protocol.
    pub protocol: u8,
    /// Tunnel depth (1: the mirror tunnel).
    pub depth: u8,
    /// Frame number of the outer packet.
    pub pcap_cnt: Option<u64>,
}

/// The mirror session an alert's packet came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorContext {
    /// VNI of the mirror session.
    pub vni: Option<u32>,
    /// The mirrored interface (from the session config).
    pub interface_id: Option<Arc<str>>,
    /// The mirror source: the ENI's address (VXLAN) or the GWLB's.
    pub mirror_src: Option<Addr>,
    /// GENEVE TLVs of AWS's Gateway Load Balancer.
    pub gwlb: GwlbOptions,
}

/// Suricata's timestamp format: `2019-06-27T14:01:10.047299+0000`.
pub fn eve_timestamp(ts_ns: u64) -> String {
    let t: DateTime<Utc> = DateTime::from_timestamp(
        (ts_ns / 1_000_000_000) as i64,
        (ts_ns % 1_000_000_000) as u32,
    )
    .unwrap_or_default();
    t.format("%Y-%m-%dT%H:%M:%S%.6f+0000").to_string()
}

/// The protocol name Suricata writes in `proto`.
pub fn proto_name(p: u8) -> std::borrow::Cow<'static, str> {
    // Suricata 7.0.10's names (IANA keywords): IP-in-IP and IPv6-Frag as
    // its alerts write them for tunnel and fragment roots
    // (tests/data/ids/decoders), the other IPv6 headers from the same list.
    let name = match p {
        0 => "HOPOPT",
        proto::ICMP => "ICMP",
        2 => "IGMP",
        proto::IPIP => "IP-in-IP",
        proto::TCP => "TCP",
        proto::UDP => "UDP",
        proto::IPV6 => "IPv6",
        43 => "IPv6-Route",
        44 => "IPv6-Frag",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        proto::ICMPV6 => "IPv6-ICMP",
        59 => "IPv6-NoNxt",
        60 => "IPv6-Opts",
        103 => "PIM",
        112 => "VRRP",
        proto::SCTP => "SCTP",
        136 => "UDPLite",
        _ => return std::borrow::Cow::Owned(p.to_string()),
    };
    std::borrow::Cow::Borrowed(name)
}

pub(crate) struct Ip(pub(crate) Addr);

impl Serialize for Ip {
    /// IPv4 dotted; IPv6 as Suricata writes it: eight groups of four hex
    /// digits, never compressed (`2001:0db8:0000:…`), so SIEM joins on
    /// Suricata's address strings keep working.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !self.0.v6 {
            return s.collect_str(&self.0);
        }
        let mut b = [0u8; 16];
        self.0.octets(&mut b);
        let mut out = String::with_capacity(39);
        for (i, g) in b.chunks_exact(2).enumerate() {
            if i > 0 {
                out.push(':');
            }
            out.push_str(&format!("{:02x}{:02x}", g[0], g[1]));
        }
        s.serialize_str(&out)
    }
}

/// `alert.metadata`: `{"key": ["v1", "v2"]}`.
struct Metadata<'a>(&'a [(String, Vec<String>)]);

impl Serialize for Metadata<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl AlertEvent {
    /// The EVE JSON object (for inspection; [`EveFile`] streams the same
    /// keys in Suricata's order).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

impl Serialize for AlertEvent {
    /// Suricata's key order: timestamp, flow_id, pcap_cnt, event_type,
    /// addresses, proto, pkt_src, alert, tunnel, app_proto, direction, flow.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let has_ports = !matches!(self.protocol, proto::ICMP | proto::ICMPV6);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("timestamp", &eve_timestamp(self.ts_ns))?;
        m.serialize_entry("flow_id", &self.flow_id)?;
        if let Some(n) = self.pcap_cnt {
            m.serialize_entry("pcap_cnt", &n)?;
        }
        m.serialize_entry("event_type", "alert")?;
        m.serialize_entry("src_ip", &Ip(self.src))?;
        if has_ports {
            m.serialize_entry("src_port", &self.src_port)?;
        }
        m.serialize_entry("dest_ip", &Ip(self.dst))?;
        if has_ports {
            m.serialize_entry("dest_port", &self.dst_port)?;
        }
        m.serialize_entry("proto", &proto_name(self.protocol))?;
        if let Some((t, c)) = self.icmp {
            m.serialize_entry("icmp_type", &t)?;
            m.serialize_entry("icmp_code", &c)?;
        }
        if let Some(cid) = &self.community_id {
            m.serialize_entry("community_id", cid)?;
        }
        m.serialize_entry("pkt_src", self.pkt_src.label())?;
        if let Some(id) = self.tx_id {
            m.serialize_entry("tx_id", &id)?;
        }
        m.serialize_entry("alert", &self.alert)?;
        if let Some(t) = &self.tunnel {
            m.serialize_entry("tunnel", t)?;
        }
        if let Some(o) = &self.app {
            m.serialize_entry(o.key(), o)?;
        }
        if let Some(ap) = self.app_proto {
            m.serialize_entry("app_proto", ap)?;
        }
        if let Some(d) = self.direction {
            let d = match d {
                Direction::ToServer => "to_server",
                Direction::ToClient => "to_client",
            };
            m.serialize_entry("direction", d)?;
        }
        if let Some(f) = &self.flow {
            m.serialize_entry("flow", f)?;
        }
        if let Some(v) = &self.mirror {
            m.serialize_entry("vxtap", v)?;
        }
        m.end()
    }
}

impl Serialize for AlertInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("action", "allowed")?;
        m.serialize_entry("gid", &self.gid)?;
        m.serialize_entry("signature_id", &self.signature_id)?;
        m.serialize_entry("rev", &self.rev)?;
        m.serialize_entry("signature", &*self.signature)?;
        m.serialize_entry("category", &*self.category)?;
        m.serialize_entry("severity", &self.severity)?;
        if !self.metadata.is_empty() {
            m.serialize_entry("metadata", &Metadata(&self.metadata))?;
        }
        m.end()
    }
}

impl Serialize for TunnelInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("src_ip", &Ip(self.src))?;
        m.serialize_entry("src_port", &self.src_port)?;
        m.serialize_entry("dest_ip", &Ip(self.dst))?;
        m.serialize_entry("dest_port", &self.dst_port)?;
        m.serialize_entry("proto", &proto_name(self.protocol))?;
        m.serialize_entry("depth", &self.depth)?;
        if let Some(n) = self.pcap_cnt {
            m.serialize_entry("pcap_cnt", &n)?;
        }
        m.serialize_entry("pkt_src", "wire/pcap")?;
        m.end()
    }
}

impl Serialize for FlowSummary {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("pkts_toserver", &self.pkts_toserver)?;
        m.serialize_entry("pkts_toclient", &self.pkts_toclient)?;
        m.serialize_entry("bytes_toserver", &self.bytes_toserver)?;
        m.serialize_entry("bytes_toclient", &self.bytes_toclient)?;
        m.serialize_entry("start", &eve_timestamp(self.start_ns))?;
        m.serialize_entry("src_ip", &Ip(self.src))?;
        m.serialize_entry("dest_ip", &Ip(self.dst))?;
        m.serialize_entry("src_port", &self.src_port)?;
        m.serialize_entry("dest_port", &self.dst_port)?;
        m.end()
    }
}

impl Serialize for MirrorContext {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(vni) = self.vni {
            m.serialize_entry("vni", &vni)?;
        }
        if let Some(i) = &self.interface_id {
            m.serialize_entry("interface_id", &**i)?;
        }
        if let Some(a) = self.mirror_src {
            m.serialize_entry("mirror_src", &Ip(a))?;
        }
        if let Some(e) = self.gwlb.endpoint_id {
            m.serialize_entry("gwlb_endpoint_id", &format!("{e:016x}"))?;
        }
        if let Some(e) = self.gwlb.attachment_id {
            m.serialize_entry("gwlb_attachment_id", &format!("{e:016x}"))?;
        }
        if let Some(c) = self.gwlb.flow_cookie {
            m.serialize_entry("gwlb_flow_cookie", &format!("{c:08x}"))?;
        }
        m.end()
    }
}

/// Why writing `eve.json` failed.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source} (check that the output directory is writable and has space)")]
pub struct EveError {
    /// The file.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// Renders one event as a JSON line into `line` (reused) and writes it
/// whole to `out`.
fn write_line<E: Serialize>(
    out: &mut BufWriter<File>,
    line: &mut Vec<u8>,
    event: &E,
) -> std::io::Result<()> {
    line.clear();
    serde_json::to_writer(&mut *line, event).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(line)
}

/// `eve.json` under an output directory, written under a temporary name
/// and renamed into place when closed, so a reader never sees half a run.
pub struct EveFile {
    tmp: PathBuf,
    path: PathBuf,
    out: BufWriter<File>,
    line: Vec<u8>,
    alerts: u64,
    tx_events: u64,
}

impl EveFile {
    /// Creates `dir/eve.json` (as `dir/.eve.json.tmp` until [`close`](Self::close)).
    pub fn create(dir: &Path) -> Result<Self, EveError> {
        Self::create_at(&dir.join("eve.json"))
    }

    /// Creates the file `path` (as `.NAME.tmp` beside it until
    /// [`close`](Self::close)), creating its directory if needed.
    pub fn create_at(path: &Path) -> Result<Self, EveError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "eve.json".into());
        let path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let err = |source| EveError {
            path: tmp.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(err)?;
        let file = File::create(&tmp).map_err(err)?;
        Ok(EveFile {
            tmp,
            path,
            out: BufWriter::with_capacity(1 << 16, file),
            line: Vec::with_capacity(1024),
            alerts: 0,
            tx_events: 0,
        })
    }

    /// Appends one alert.
    pub fn write(&mut self, event: &AlertEvent) -> Result<(), EveError> {
        write_line(&mut self.out, &mut self.line, event).map_err(|e| self.io(e))?;
        self.alerts += 1;
        Ok(())
    }

    /// Appends one event (alert or transaction event).
    pub fn write_event(&mut self, event: &EveEvent) -> Result<(), EveError> {
        write_line(&mut self.out, &mut self.line, event).map_err(|e| self.io(e))?;
        *event.counter(&mut self.alerts, &mut self.tx_events) += 1;
        Ok(())
    }

    /// Alerts written.
    pub fn alerts(&self) -> u64 {
        self.alerts
    }

    /// Transaction events written.
    pub fn tx_events(&self) -> u64 {
        self.tx_events
    }

    /// Flushes, syncs and renames the file into place.
    pub fn close(self) -> Result<PathBuf, EveError> {
        let EveFile { tmp, path, out, .. } = self;
        let err = |source| EveError {
            path: tmp.clone(),
            source,
        };
        let file = out.into_inner().map_err(|e| err(e.into_error()))?;
        file.sync_all().map_err(err)?;
        std::fs::rename(&tmp, &path).map_err(|source| EveError {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    fn io(&self, source: std::io::Error) -> EveError {
        EveError {
            path: self.tmp.clone(),
            source,
        }
    }
}

/// `eve.json` of a live appliance: appended line by line and flushed after
/// every batch of alerts, so a SIEM shipper tailing it sees alerts within
/// moments; [`reopen`](Self::reopen) (on `SIGHUP`) lets log rotation move
/// the file away and starts a new one at the same path. Every line is
/// written whole by one `write` of the buffer, never interleaved.
pub struct EveLog {
    path: PathBuf,
    out: BufWriter<File>,
    line: Vec<u8>,
    alerts: u64,
    tx_events: u64,
}

impl EveLog {
    /// Opens `path` for appending, creating it and its directory.
    pub fn open(path: &Path) -> Result<Self, EveError> {
        let err = |source| EveError {
            path: path.to_path_buf(),
            source,
        };
        if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(d).map_err(err)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        Ok(EveLog {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 16, file),
            line: Vec::with_capacity(1024),
            alerts: 0,
            tx_events: 0,
        })
    }

    /// Appends one alert (buffered until [`flush`](Self::flush)).
    pub fn write(&mut self, event: &AlertEvent) -> Result<(), EveError> {
        write_line(&mut self.out, &mut self.line, event).map_err(|e| self.io(e))?;
        self.alerts += 1;
        Ok(())
    }

    /// Appends one event, alert or transaction event (buffered until
    /// [`flush`](Self::flush)).
    pub fn write_event(&mut self, event: &EveEvent) -> Result<(), EveError> {
        write_line(&mut self.out, &mut self.line, event).map_err(|e| self.io(e))?;
        *event.counter(&mut self.alerts, &mut self.tx_events) += 1;
        Ok(())
    }

    /// Hands the buffered lines to the file.
    pub fn flush(&mut self) -> Result<(), EveError> {
        self.out.flush().map_err(|e| self.io(e))
    }

    /// Flushes, then opens the path again (after rotation it is a new file).
    pub fn reopen(&mut self) -> Result<(), EveError> {
        self.flush()?;
        let (alerts, tx_events) = (self.alerts, self.tx_events);
        *self = EveLog::open(&self.path)?;
        self.alerts = alerts;
        self.tx_events = tx_events;
        Ok(())
    }

    /// Flushes and syncs the file (shutdown).
    pub fn close(mut self) -> Result<PathBuf, EveError> {
        self.flush()?;
        self.out.get_ref().sync_all().map_err(|e| self.io(e))?;
        Ok(self.path)
    }

    /// Alerts written since the start.
    pub fn alerts(&self) -> u64 {
        self.alerts
    }

    /// Transaction events written since the start.
    pub fn tx_events(&self) -> u64 {
        self.tx_events
    }

    fn io(&self, source: std::io::Error) -> EveError {
        EveError {
            path: self.path.clone(),
            source,
        }
    }
}

#[cfg(test)]
#[path = "eve/tests.rs"]
mod tests;
