//! The one metrics registry (prometheus crate) that replay prints as its
//! run summary and the live appliance will export on `/metrics`. Hot-path
//! threads count in plain integers and add them here once per batch.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

use crate::decap::{Anomalies, DecapError, Tunnel};

/// All counters of the packet path.
#[derive(Clone)]
pub struct Metrics {
    /// The registry.
    pub registry: Registry,
    /// Frames read from captures.
    pub frames: IntCounter,
    /// Captured bytes of those frames.
    pub frame_bytes: IntCounter,
    /// Packets handed to the flow stage, by tunnel.
    pub packets: IntCounterVec,
    /// Frames dropped by decapsulation, by reason.
    pub decap_errors: IntCounterVec,
    /// Recoverable oddities, by kind (packets still counted).
    pub anomalies: IntCounterVec,
    /// Capture files that stopped early or could not be read, by reason.
    pub capture_errors: IntCounterVec,
    /// Frames of link types vxtap cannot read.
    pub unsupported_linktype: IntCounter,
    /// Non-first fragments, by how their ports were found.
    pub fragments: IntCounterVec,
    /// Packets dropped by dispatch, by reason (live: queue full).
    pub dropped: IntCounterVec,
    /// Flows created / evicted (table full) / expired.
    pub flows: IntCounterVec,
    /// Packets older than their flow's open window.
    pub late_packets: IntCounter,
    /// Live flows.
    pub active_flows: IntGauge,
    /// Records written.
    pub records: IntCounter,
    /// Files completed.
    pub files: IntCounter,
    /// Alerts raised, by severity ("1" … "4", 4 for anything lower).
    pub alerts: IntCounterVec,
    /// Alerts written to eve.json.
    pub alerts_written: IntCounter,
    /// Alerts lost because eve.json could not be written (live).
    pub alerts_lost: IntCounter,
    /// Rule (re)loads by result (`ok`, `failed`).
    pub rule_loads: IntCounterVec,
    /// Rules enforced by the running rule set.
    pub rules_loaded: IntGauge,
    /// Detection work: packets inspected, stream chunks inspected, packets
    /// whose bytes could not be read, flows created, flows untracked
    /// (detection flow table full), outer tunnel packets inspected, packets
    /// inside GRE/ERSPAN inspected.
    pub detect: IntCounterVec,
    /// TCP reassembly events, by Suricata `stream-event` name.
    pub stream_events: IntCounterVec,
    /// IP datagram reassembly for detection: reassembled, overlaps,
    /// overlaps with different data, timeouts, evicted, dropped fragments.
    pub defrag: IntCounterVec,
    /// Flows tracked by detection.
    pub detect_flows: IntGauge,
    /// Bytes held by TCP reassembly.
    pub stream_bytes: IntGauge,
}

/// Labels of [`Metrics::detect`].
pub const DETECT_EVENTS: [&str; 11] = [
    "packets",
    "stream_chunks",
    "undecodable",
    "flows",
    "flows_untracked",
    "outer_packets",
    // Packets inside GRE/ERSPAN and IP-in-IP (detection only).
    "tunnel_inner_packets",
    // Packets in PPPoE sessions / MPLS label stacks (detection only).
    "pppoe_mpls_packets",
    // Replay with several workers: lookups of FTP expectations that waited
    // for the other workers to reach their packet, waits that gave up, and
    // lookups the host-pair gate let go on at once (see dispatch::order,
    // dispatch::gate).
    "order_waits",
    "order_wait_timeouts",
    "order_skips",
];

/// Labels of [`Metrics::defrag`].
pub const DEFRAG_EVENTS: [&str; 6] = [
    "reassembled",
    "overlap",
    "overlap_different_data",
    "timeout",
    "evicted",
    "dropped",
];

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn counter(r: &Registry, name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).expect("valid metric");
    r.register(Box::new(c.clone())).expect("registered once");
    c
}

fn counter_vec(r: &Registry, name: &str, help: &str, label: &str) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), &[label]).expect("valid metric");
    r.register(Box::new(c.clone())).expect("registered once");
    c
}

fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("valid metric");
    r.register(Box::new(g.clone())).expect("registered once");
    g
}

impl Metrics {
    /// A fresh registry with every series registered (zeros included, so
    /// dashboards see them before the first event).
    pub fn new() -> Self {
        let r = Registry::new();
        let m = Metrics {
            frames: counter(&r, "vxtap_frames_total", "Frames read"),
            frame_bytes: counter(
                &r,
                "vxtap_frame_bytes_total",
                "Captured bytes of the frames read",
            ),
            packets: counter_vec(
                &r,
                "vxtap_packets_total",
                "Packets handed to the flow stage",
                "tunnel",
            ),
            decap_errors: counter_vec(
                &r,
                "vxtap_decap_errors_total",
                "Frames dropped by decapsulation",
                "reason",
            ),
            anomalies: counter_vec(
                &r,
                "vxtap_decap_anomalies_total",
                "Recoverable packet anomalies",
                "kind",
            ),
            capture_errors: counter_vec(
                &r,
                "vxtap_capture_errors_total",
                "Captures stopped early",
                "reason",
            ),
            unsupported_linktype: counter(
                &r,
                "vxtap_unsupported_linktype_total",
                "Frames of unsupported link types",
            ),
            fragments: counter_vec(
                &r,
                "vxtap_fragments_total",
                "Non-first IP fragments by port resolution",
                "resolution",
            ),
            dropped: counter_vec(
                &r,
                "vxtap_dispatch_dropped_total",
                "Packets dropped before the flow stage",
                "reason",
            ),
            flows: counter_vec(&r, "vxtap_flows_total", "Flow-table events", "event"),
            late_packets: counter(
                &r,
                "vxtap_late_packets_total",
                "Packets older than their flow's open window",
            ),
            active_flows: {
                let g =
                    IntGauge::new("vxtap_active_flows", "Live flows in all tables").expect("valid");
                r.register(Box::new(g.clone())).expect("registered once");
                g
            },
            records: counter(&r, "vxtap_records_total", "Flow-log records written"),
            files: counter(&r, "vxtap_files_total", "Flow-log files completed"),
            alerts: counter_vec(
                &r,
                "vxtap_alerts_total",
                "Alerts raised, by rule severity",
                "severity",
            ),
            alerts_written: counter(
                &r,
                "vxtap_alerts_written_total",
                "Alerts written to eve.json",
            ),
            alerts_lost: counter(
                &r,
                "vxtap_alerts_lost_total",
                "Alerts lost because eve.json could not be written",
            ),
            rule_loads: counter_vec(
                &r,
                "vxtap_rule_loads_total",
                "Rule set loads and SIGHUP reloads",
                "result",
            ),
            rules_loaded: gauge(
                &r,
                "vxtap_rules_loaded",
                "Rules enforced by the running rule set",
            ),
            detect: counter_vec(&r, "vxtap_detect_total", "Detection-stage work", "event"),
            stream_events: counter_vec(
                &r,
                "vxtap_stream_events_total",
                "TCP reassembly events",
                "event",
            ),
            defrag: counter_vec(
                &r,
                "vxtap_defrag_total",
                "IP datagram reassembly for detection",
                "event",
            ),
            detect_flows: gauge(&r, "vxtap_detect_flows", "Flows tracked by detection"),
            stream_bytes: gauge(&r, "vxtap_stream_bytes", "Bytes held by TCP reassembly"),
            registry: r,
        };
        for e in DecapError::ALL {
            m.decap_errors.with_label_values(&[e.reason()]);
        }
        for l in Anomalies::LABELS {
            m.anomalies.with_label_values(&[l]);
        }
        for t in Tunnel::ALL {
            m.packets.with_label_values(&[t.label()]);
        }
        for f in ["resolved", "unresolved"] {
            m.fragments.with_label_values(&[f]);
        }
        for ev in ["created", "evicted", "expired"] {
            m.flows.with_label_values(&[ev]);
        }
        m.dropped.with_label_values(&["queue_full"]);
        for r in ["ok", "failed"] {
            m.rule_loads.with_label_values(&[r]);
        }
        for sev in ["1", "2", "3", "4"] {
            m.alerts.with_label_values(&[sev]);
        }
        for e in DETECT_EVENTS {
            m.detect.with_label_values(&[e]);
        }
        for e in crate::stream::StreamEvents::LABELS {
            m.stream_events.with_label_values(&[e]);
        }
        for e in DEFRAG_EVENTS {
            m.defrag.with_label_values(&[e]);
        }
        m
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        use prometheus::Encoder;
        let mut buf = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding");
        String::from_utf8(buf).unwrap_or_default()
    }
}
