//! The detection stage: runs in each flow worker, after the flow stage,
//! on the packets the reader sent with their bytes.
//!
//! ```text
//! reader: decap ─┬─ packet ────────────────► worker: flow table → flow logs
//!                ├─ outer tunnel packet ───►         └► Ids: detect flows,
//!                └─ fragments, rebuilt ────►            TCP streams, rules → EVE
//! ```
//!
//! Per worker, [`Ids`] keeps its own flow table (keyed like the flow
//! stage's, so both directions meet here), TCP reassembly per direction
//! ([`crate::stream`]) and the rule engine's per-worker context. It follows
//! Suricata 7's IDS behaviour where counts depend on it:
//!
//! * every packet is inspected (header, IP-only and packet-payload rules);
//! * TCP payload that goes into a tracked stream is matched by payload
//!   rules on the stream, not the packet, unless a rule requires the
//!   packet (`dsize`, `flow:no_stream`, `tcp-pkt`) or — anchored contents
//!   (`depth`, `offset`, `startswith`) and `stream_size` — may match both,
//!   the stream chunk inspected with the packet first, else the packet
//!   ([`crate::detect::signature::PayloadOn`]); the stream of a direction
//!   is inspected on that direction's packets once bytes were acknowledged
//!   (at least the chunk size of them, see [`IdsConfig::chunk_size`], or
//!   at once after an HTTP message or TLS record ended in them), when it
//!   sends FIN or RST, when the session turns encrypted ("stream
//!   (detect/log)") and at flow end ("stream (flow timeout)"), each byte
//!   once;
//! * a TCP connection is tracked from its SYN; one picked up midstream is
//!   inspected packet by packet and never `established`, as with
//!   Suricata's default `stream.midstream: false` (configurable);
//! * flows end on their idle timeouts (Suricata's defaults) or when the
//!   table is full (the oldest idle is not searched for: the new flow is
//!   inspected without state and counted).

pub mod app;
pub mod event;
pub mod expect;
pub mod flows;
pub mod reader;
pub mod rules;
pub mod tunnels;

#[cfg(test)]
mod flow_key_tests;

use crossbeam_channel::Sender;

use crate::detect::{Alert, DetectCtx, FlowDetectState, FlowInfo, Input, Inspection, PacketView};
use crate::dispatch::{Carried, Role};
use crate::flow::PacketMeta;
use crate::metrics::Metrics;
use crate::output::eve::{EveEvent, PktSrc};
use crate::output::eve_app::{AppObject, TxBody};
use crate::output::eve_tx::{EveTypes, TxLogging};
use crate::stream::{Budget, StreamConfig};
use crate::wire::transport::proto;

pub use event::EventContext;
pub use flows::{DetectFlow, DetectFlows, DetectKey, FlowTimeouts};
pub use rules::{LoadedRules, RuleHandle};

/// Detection settings shared by the workers.
#[derive(Debug, Clone)]
pub struct IdsConfig {
    /// Reassembly limits per direction.
    pub stream: StreamConfig,
    /// Reassembly memory per worker (bytes).
    pub stream_memcap: usize,
    /// Flows tracked per worker.
    pub max_flows: usize,
    /// Track TCP connections picked up without their SYN.
    pub midstream: bool,
    /// Acknowledged, uninspected stream bytes that trigger an inspection
    /// (Suricata's `stream.reassembly.to{server,client}-chunk-size`,
    /// 2560). Streams whose parser finished a message (an HTTP request or
    /// response, a TLS record) are inspected at once, as Suricata's
    /// parsers trigger raw reassembly.
    pub chunk_size: usize,
    /// Idle timeouts.
    pub timeouts: FlowTimeouts,
    /// EVE event types written (alerts; transaction events are opt-in).
    pub eve_types: EveTypes,
}

impl Default for IdsConfig {
    fn default() -> Self {
        IdsConfig {
            stream: StreamConfig::default(),
            stream_memcap: 256 << 20,
            max_flows: 1 << 20,
            midstream: false,
            chunk_size: 2560,
            timeouts: FlowTimeouts::default(),
            eve_types: EveTypes::default(),
        }
    }
}

/// Counters of one worker's detection stage (plain integers, published by
/// the worker).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdsStats {
    /// Packets inspected.
    pub packets: u64,
    /// Stream chunks inspected.
    pub stream_chunks: u64,
    /// Packets whose IP bytes could not be read.
    pub undecodable: u64,
    /// Flows not tracked because the table was full.
    pub flows_untracked: u64,
    /// Flows created.
    pub flows: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Alerts by severity 1, 2, 3, 4+.
    pub by_severity: [u64; 4],
    /// Stream events raised (overlaps, depth, memcap, …) by
    /// [`crate::stream::StreamEvents::LABELS`] position.
    pub stream_events: [u64; 8],
    /// Application layer.
    pub app: app::AppStats,
}

/// One worker's detection stage.
pub struct Ids {
    rules: RuleHandle,
    cfg: IdsConfig,
    flows: DetectFlows,
    budget: Budget,
    out: Sender<Vec<EveEvent>>,
    /// State for packets inspected outside a flow (fragments).
    flowless: FlowDetectState,
    /// The rules and what inspecting with them produces.
    w: Inspector,
    /// What [`publish`](Self::publish) last added to the registry.
    reported: IdsStats,
    gauges: (i64, i64),
}

/// A worker's rule set, engine context and outputs: everything inspection
/// uses but the flows themselves, so a flow borrowed from the table can be
/// inspected (and flushed) with it.
struct Inspector {
    current: LoadedRules,
    ctx: DetectCtx,
    alerts: Vec<Alert>,
    /// Transaction id and EVE object of the transactions `alerts` matched
    /// (by alert index).
    tx_objects: Vec<(usize, u64, Option<AppObject>)>,
    /// EVE event types written.
    types: EveTypes,
    /// Transaction event bodies logged on the current packet.
    tx_log: Vec<TxBody>,
    events: Vec<EveEvent>,
    /// Buffer of the pseudo packets stream flushes are inspected with.
    pseudo: Vec<u8>,
    stats: IdsStats,
    /// FTP expectations shared by the workers, and the sequence number of
    /// the packet being processed (`u64::MAX` at the end of input).
    expect: expect::ExpectHandle,
    seq: u64,
}

/// Why a flow's streams are inspected to their end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flush {
    /// The flow ends (timeout, end of input): transactions too.
    End,
    /// SSH turned encrypted: Suricata's "detect/log" flush, before payload
    /// inspection stops (TLS has none: see `Ids::packet`).
    DetectLog,
}

impl Ids {
    /// A worker's stage; alerts go to `out` in batches. `ctx` comes from
    /// [`DetectCtx::sharing`] so that every worker counts thresholds and
    /// host bits in the same tables.
    pub fn new(
        rules: RuleHandle,
        cfg: IdsConfig,
        ctx: DetectCtx,
        out: Sender<Vec<EveEvent>>,
    ) -> Self {
        let current = rules.current();
        let types = cfg.eve_types;
        Ids {
            rules,
            flows: DetectFlows::new(cfg.max_flows, cfg.timeouts),
            budget: Budget::new(cfg.stream_memcap),
            cfg,
            out,
            flowless: FlowDetectState::default(),
            w: Inspector {
                current,
                ctx,
                alerts: Vec::new(),
                tx_objects: Vec::new(),
                types,
                tx_log: Vec::new(),
                events: Vec::new(),
                pseudo: Vec::with_capacity(64),
                stats: IdsStats::default(),
                expect: expect::ExpectHandle::default(),
                seq: 0,
            },
            reported: IdsStats::default(),
            gauges: (0, 0),
        }
    }

    /// Shares FTP expectations through `handle` (one store for every
    /// worker) instead of a store of this worker's own.
    pub fn with_expectations(mut self, handle: expect::ExpectHandle) -> Self {
        self.w.expect = handle;
        self
    }

    /// Every packet of this worker numbered below `seq_end` was inspected
    /// (the batch's stamp, [`crate::dispatch::order`]).
    pub fn batch_done(&mut self, seq_end: u64) {
        self.w.expect.progress(seq_end);
    }

    /// Inspects one packet of a batch.
    pub fn packet(&mut self, meta: &PacketMeta, c: Carried, ip: &[u8], outer: &[u8]) {
        let w = &mut self.w;
        let Ok(mut view) = PacketView::from_ip(ip) else {
            w.stats.undecodable += 1;
            return;
        };
        w.stats.packets += 1;
        let ctx = EventContext::new(meta, c, outer);
        // Packets Suricata keeps no flow for (IGMP, GRE, PIM, …, cut
        // transport headers, fragments) are inspected without flow state;
        // the engine's IP-only handling uses the same definition.
        if c.role == Role::DetectNoFlow || !view.has_flow() {
            w.flowless(&mut self.flowless, &view, &ctx, meta);
            return;
        }
        let (key, dir) = meta.key();
        let dkey = flows::DetectKey {
            flow: key,
            layer: c.layer,
        };
        let mut expired = None;
        let got = self
            .flows
            .get_or_insert(&dkey, dir, meta, &mut w.stats, &mut expired);
        let Some(flow) = got else {
            // Table full: inspect without flow state.
            w.flowless(&mut self.flowless, &view, &ctx, meta);
            return;
        };
        if let Some(mut old) = expired {
            // The flow this packet would have joined timed out before it:
            // its end comes first (Suricata's lookup collects it).
            w.flush(&key, &mut old, Flush::End);
            old.release(&mut self.budget);
        }
        flow.account(dir, meta.ts_ns, view.ip.len() as u64);
        let mut in_stream = false;
        if view.proto == proto::TCP && view.l4_hdr_len > 0 {
            let (added, events) =
                flow.tcp_packet(dir, &view, &self.cfg, &mut self.budget, &mut w.stats);
            in_stream = added;
            // Reassembly's events belong to this packet (stream-event rules).
            view.events.merge(events);
        } else {
            flow.other_packet(dir);
        }
        let mut payload_stops = false;
        w.seq = c.seq;
        let at = expect::ExpectAt {
            handle: &w.expect,
            seq: c.seq,
            pair_local: c.pair_local,
            now_ns: meta.ts_ns,
        };
        if flow.app_packet(dir, &view, &mut w.stats.app, at) {
            if flow.app.as_ref().is_some_and(|a| a.is_ssh()) {
                // SSH turned encrypted: what its streams hold is inspected
                // now by Suricata's detect/log pseudo packets, then payload
                // inspection stops.
                w.flush(&key, flow, Flush::DetectLog);
                flow.state.no_payload_inspection = true;
            } else {
                // TLS application data: Suricata flags the flow "no payload
                // inspection" for the packets that follow and disables raw
                // reassembly after one last inspection of this packet's
                // direction, forced whatever its size. No pseudo packets:
                // the other direction's pending bytes are never inspected.
                let adir = flow.app_dir(dir);
                if let Some(a) = flow.app.as_mut() {
                    a.trigger_raw(adir);
                }
                payload_stops = true;
            }
        }
        // Transaction events due on this packet (none unless enabled).
        let mut log_flush = false;
        if w.types.any_tx() {
            let eof = flow.tcp_finished();
            log_flush = log_txs(flow, w.types, &w.current, eof, &mut w.tx_log);
        }
        let info = flow.info(dir, meta.ts_ns);
        w.alerts.clear();
        // The stream of this packet's direction, when enough of it is
        // acknowledged, a parser finished a message in it, or the
        // direction is closing, is inspected with the packet.
        let ready = flow.stream_ready(dir, self.cfg.chunk_size);
        let mut chunk = None;
        let mut blocks_before = false;
        if let (Some(range), Some(tcp)) = (ready, flow.tcp.as_ref()) {
            w.stats.stream_chunks += 1;
            let s = &tcp.streams[dir];
            // Sequence gaps are skipped, never matched: each captured block
            // is inspected (Suricata's raw reassembly calls detection once
            // per block); the last one goes with the packet.
            for block in s.blocks(range) {
                if let Some(prev) = chunk.replace(&s.data()[block]) {
                    let input = Input {
                        packet: &view,
                        flow: info,
                        what: Inspection::Stream(prev),
                        now_ns: meta.ts_ns,
                    };
                    let set = &w.current.set;
                    set.inspect(&input, &mut flow.state, &mut w.ctx, &mut w.alerts);
                    blocks_before = true;
                }
            }
        }
        let input = Input {
            packet: &view,
            flow: info,
            what: if in_stream || chunk.is_some() {
                Inspection::PacketInStream(chunk)
            } else {
                Inspection::Packet
            },
            now_ns: meta.ts_ns,
        };
        let set = &w.current.set;
        set.inspect(&input, &mut flow.state, &mut w.ctx, &mut w.alerts);
        if blocks_before {
            // One evaluation per rule and packet, as over Suricata's blocks.
            dedup_alerts(&mut w.alerts);
        }
        if payload_stops {
            flow.state.no_payload_inspection = true;
        }
        // The transactions of this packet's direction that grew.
        if flow.tx_ready() {
            let input = Input {
                packet: &view,
                what: Inspection::Packet,
                flow: flow.info(dir, meta.ts_ns),
                now_ns: meta.ts_ns,
            };
            w.txs(flow, dir, &input);
        }
        w.push(&view, &ctx, Some((key, &*flow, dir)), ctx.pkt_src());
        if log_flush {
            // As from Suricata's detect/log pseudo packet: no frame number.
            let ctx = EventContext::at(EventContext::flow_end(&key, flow), meta.ts_ns);
            event::push_tx_events(
                &mut w.tx_log,
                &ctx,
                &key,
                flow,
                PktSrc::StreamDetectLog,
                &mut w.events,
            );
        } else {
            let src = ctx.pkt_src();
            event::push_tx_events(&mut w.tx_log, &ctx, &key, flow, src, &mut w.events);
        }
    }

    /// End of a batch: sends the alerts raised, expires idle flows at the
    /// reader's clock, and picks up a reloaded rule set.
    pub fn batch_end(&mut self, clock_ns: u64) {
        if self.flows.due(clock_ns) {
            let expired = self.flows.expire(clock_ns);
            for (key, mut flow) in expired {
                self.w.flush(&key.flow, &mut flow, Flush::End);
                flow.release(&mut self.budget);
            }
        }
        if self.rules.generation() != self.w.current.generation {
            // Flowbits and flowints are interned per rule set: flows
            // start afresh under the new one.
            self.w.current = self.rules.current();
            self.flows.reset_states();
        }
        self.send();
    }

    /// End of input: inspects every flow's uninspected stream bytes and
    /// sends the last alerts.
    pub fn finish(&mut self) {
        // No packet is left: workers waiting for this one go on.
        self.w.seq = u64::MAX;
        self.w.expect.progress(u64::MAX);
        for (key, mut flow) in self.flows.drain() {
            self.w.flush(&key.flow, &mut flow, Flush::End);
            flow.release(&mut self.budget);
        }
        self.send();
    }

    fn send(&mut self) {
        if !self.w.events.is_empty() {
            let batch = std::mem::take(&mut self.w.events);
            // The EVE thread is gone only when its output failed; that
            // error is reported there.
            let _ = self.out.send(batch);
        }
    }

    /// Counters.
    pub fn stats(&self) -> IdsStats {
        self.w.stats
    }

    /// Adds the counters' growth since the last call to the registry and
    /// moves the shared gauges by this worker's change.
    pub fn publish(&mut self, m: &Metrics) {
        let (now, before) = (self.w.stats, self.reported);
        let work = [
            now.packets - before.packets,
            now.stream_chunks - before.stream_chunks,
            now.undecodable - before.undecodable,
            now.flows - before.flows,
            now.flows_untracked - before.flows_untracked,
        ];
        for (label, n) in crate::metrics::DETECT_EVENTS.iter().zip(work) {
            if n > 0 {
                m.detect.with_label_values(&[label]).inc_by(n);
            }
        }
        for (i, sev) in ["1", "2", "3", "4"].iter().enumerate() {
            let n = now.by_severity[i] - before.by_severity[i];
            if n > 0 {
                m.alerts.with_label_values(&[sev]).inc_by(n);
            }
        }
        for (i, label) in crate::stream::StreamEvents::LABELS.iter().enumerate() {
            let n = now.stream_events[i] - before.stream_events[i];
            if n > 0 {
                m.stream_events.with_label_values(&[label]).inc_by(n);
            }
        }
        self.reported = now;
        let g = (self.flows.len() as i64, self.budget.used() as i64);
        m.detect_flows.add(g.0 - self.gauges.0);
        m.stream_bytes.add(g.1 - self.gauges.1);
        self.gauges = g;
    }

    /// Flows tracked now.
    pub fn flows(&self) -> usize {
        self.flows.len()
    }

    /// Reassembly memory in use.
    pub fn stream_bytes(&self) -> usize {
        self.budget.used()
    }
}

impl Inspector {
    /// Inspects what is left of both directions' streams of a flow, on
    /// pseudo packets of each direction; at its end, its transactions too.
    fn flush(&mut self, key: &crate::flow::FlowKey, flow: &mut DetectFlow, why: Flush) {
        if why == Flush::End {
            let at = expect::ExpectAt {
                handle: &self.expect,
                seq: self.seq,
                pair_local: false,
                now_ns: flow.last_ns,
            };
            flow.app_finish(&mut self.stats.app, at);
            if self.types.any_tx() {
                let _ = log_txs(flow, self.types, &self.current, true, &mut self.tx_log);
            }
        }
        self.flush_streams(key, flow, why);
        if why == Flush::End {
            let ctx = EventContext::flow_end(key, flow);
            let src = PktSrc::StreamFlowTimeout;
            event::push_tx_events(&mut self.tx_log, &ctx, key, flow, src, &mut self.events);
        }
    }

    /// [`flush`](Self::flush)'s inspection of the streams (TCP only).
    fn flush_streams(&mut self, key: &crate::flow::FlowKey, flow: &mut DetectFlow, why: Flush) {
        if flow.tcp.is_none() {
            return;
        }
        for dir in [flow.initiator as usize, 1 - flow.initiator as usize] {
            let range = flow.stream_rest(dir);
            let (src, dst) = key.endpoints(dir);
            event::pseudo_tcp(&mut self.pseudo, src, dst);
            let pseudo = std::mem::take(&mut self.pseudo);
            if let Ok(view) = PacketView::from_ip(&pseudo) {
                self.alerts.clear();
                let input = Input {
                    packet: &view,
                    flow: flow.info(dir, flow.last_ns),
                    what: Inspection::Packet,
                    now_ns: flow.last_ns,
                };
                if let (Some(range), Some(tcp)) = (range, flow.tcp.as_ref()) {
                    let s = &tcp.streams[dir];
                    let mut blocks = 0;
                    for block in s.blocks(range) {
                        let input = Input {
                            what: Inspection::Stream(&s.data()[block]),
                            ..input
                        };
                        let set = &self.current.set;
                        set.inspect(&input, &mut flow.state, &mut self.ctx, &mut self.alerts);
                        blocks += 1;
                    }
                    if blocks > 1 {
                        dedup_alerts(&mut self.alerts);
                    }
                    self.stats.stream_chunks += 1;
                }
                if why == Flush::DetectLog {
                    // Suricata 7.0.10 injects its detect/log pseudo packets
                    // when SSH turns encrypted (not TLS): whole packets, so
                    // packet rules (`flow`, `app-layer-protocol`, headers)
                    // match them too, payload inspection already off.
                    let payload = std::mem::replace(&mut flow.state.no_payload_inspection, true);
                    let set = &self.current.set;
                    set.inspect(&input, &mut flow.state, &mut self.ctx, &mut self.alerts);
                    flow.state.no_payload_inspection = payload;
                }
                if why == Flush::End && flow.app.is_some() {
                    self.txs(flow, dir, &input);
                }
                let ctx = EventContext::flow_end(key, flow);
                let src = match why {
                    Flush::End => PktSrc::StreamFlowTimeout,
                    Flush::DetectLog => PktSrc::StreamDetectLog,
                };
                self.push(&view, &ctx, Some((*key, &*flow, dir)), src);
            }
            self.pseudo = pseudo;
        }
    }

    /// Inspects a packet outside any flow (fragments, protocols Suricata
    /// keeps no flow for, a full flow table): fresh state every time.
    fn flowless(
        &mut self,
        state: &mut FlowDetectState,
        view: &PacketView,
        ctx: &EventContext,
        meta: &PacketMeta,
    ) {
        *state = FlowDetectState::default();
        self.alerts.clear();
        let input = Input {
            packet: view,
            flow: FlowInfo::default(),
            what: Inspection::Packet,
            now_ns: meta.ts_ns,
        };
        self.current
            .set
            .inspect(&input, state, &mut self.ctx, &mut self.alerts);
        self.push(view, ctx, None, ctx.pkt_src());
    }

    /// Inspects the transactions of `flow` in key direction `dir` that
    /// grew, with `input`'s packet.
    fn txs(&mut self, flow: &mut DetectFlow, dir: usize, input: &Input) {
        inspect_txs(
            flow,
            dir,
            input,
            &self.current,
            &mut self.ctx,
            &mut self.alerts,
            &mut self.tx_objects,
            &mut self.stats,
        );
    }

    /// Turns the alerts raised into EVE events.
    fn push(
        &mut self,
        view: &PacketView,
        ctx: &EventContext,
        flow: Option<(crate::flow::FlowKey, &DetectFlow, usize)>,
        src: PktSrc,
    ) {
        event::push_events(
            &self.current,
            &mut self.alerts,
            &mut self.tx_objects,
            view,
            ctx,
            flow,
            src,
            self.types.alert,
            &mut self.events,
            &mut self.stats,
        );
    }
}

/// Inspects the transactions of `flow` in key direction `dir` that grew,
/// with `input`'s packet.
#[allow(clippy::too_many_arguments)]
fn inspect_txs(
    flow: &mut DetectFlow,
    dir: usize,
    input: &Input,
    rules: &LoadedRules,
    ctx: &mut DetectCtx,
    alerts: &mut Vec<Alert>,
    objects: &mut Vec<(usize, u64, Option<AppObject>)>,
    stats: &mut IdsStats,
) {
    let adir = flow.app_dir(dir);
    let DetectFlow {
        app, state, tcp, ..
    } = flow;
    // Payload contents of rules mixing them with transaction keywords
    // read the direction's recent stream bytes.
    let input = match tcp.as_ref() {
        Some(t) => {
            let data = t.streams[dir].data();
            // Never into a sequence gap's zeros.
            let after_gap = t.streams[dir].gaps().last().map_or(0, |g| g.end);
            let from = data.len().saturating_sub(TX_STREAM_WINDOW).max(after_gap);
            Input {
                what: Inspection::Stream(&data[from..]),
                ..*input
            }
        }
        None => *input,
    };
    if let Some(app) = app.as_mut() {
        app.inspect(adir, &mut stats.app, |tx_id, tx, matched| {
            let before = alerts.len();
            rules
                .set
                .inspect_tx(&input, tx, matched, state, ctx, alerts);
            // The transaction's EVE object, for each alert it raised.
            for i in before..alerts.len() {
                objects.push((i, tx_id, event::app_object(tx, tx_id, rules.fp)));
            }
        });
    }
}

/// Appends the EVE transaction events due on `flow` now (`eof`: the flow
/// ends) to `out` (see [`app::FlowAppLayer::log_due`]); true when they
/// are written as from a detect/log flush.
fn log_txs(
    flow: &mut DetectFlow,
    types: EveTypes,
    rules: &LoadedRules,
    eof: bool,
    out: &mut Vec<TxBody>,
) -> bool {
    let Some(app) = flow.app.as_mut() else {
        return false;
    };
    let what = TxLogging {
        types,
        fp: rules.fp,
    };
    app.log_due(what, eof, |id, tx| {
        crate::output::eve_tx::tx_bodies(tx, id, what.fp, out)
    })
}

/// Keeps the first alert of each rule (a stream inspected in several
/// blocks, around sequence gaps, evaluates each rule once).
fn dedup_alerts(alerts: &mut Vec<Alert>) {
    let mut i = 0;
    while i < alerts.len() {
        let rule = alerts[i].rule;
        if alerts[..i].iter().any(|a| a.rule == rule) {
            alerts.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Stream bytes (the most recent) that the payload contents of a
/// transaction rule read.
const TX_STREAM_WINDOW: usize = 64 << 10;
