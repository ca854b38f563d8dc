//! The detection stage's flow table: per flow, its direction, counters,
//! rule state (flowbits, flowints) and, for TCP, the handshake and the
//! reassembled streams of both directions.

use std::ops::Range;

use hashbrown::HashMap;
use hashbrown::hash_map::Entry;
use rustc_hash::FxBuildHasher;

use super::app::{AppStats, FlowAppLayer};
use super::expect::ExpectAt;
use super::{IdsConfig, IdsStats};
use crate::applayer::{Direction as AppDirection, Transport};
use crate::detect::{Event, Events, FlowDetectState, FlowInfo, PacketView};
use crate::flow::{FlowKey, Layer, PacketMeta};
use crate::stream::{Budget, DirStream, RstWatch, Segment, SessionClose};
use crate::wire::transport::proto;

const NS: u64 = 1_000_000_000;

/// TCP flag bits.
const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

/// Idle timeouts in seconds, Suricata 7's stock `flow-timeouts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowTimeouts {
    /// TCP before the handshake completes.
    pub tcp_new: u64,
    /// TCP established.
    pub tcp_established: u64,
    /// TCP after FIN or RST.
    pub tcp_closed: u64,
    /// UDP, ICMP and others before traffic both ways.
    pub new: u64,
    /// UDP, ICMP and others with traffic both ways.
    pub established: u64,
}

impl Default for FlowTimeouts {
    fn default() -> Self {
        FlowTimeouts {
            tcp_new: 60,
            tcp_established: 600,
            tcp_closed: 60,
            new: 30,
            established: 300,
        }
    }
}

/// TCP state of a detection flow.
#[derive(Debug, Default)]
pub struct Tcp {
    /// Reassembly runs: the flow began with a SYN (or midstream is on).
    tracked: bool,
    syn: bool,
    synack: bool,
    /// FIN seen per key direction.
    fin: [bool; 2],
    rst: bool,
    /// Initial sequence number and next sequence number per key direction.
    isn: [Option<u32>; 2],
    next_seq: [u32; 2],
    /// Last acknowledgement number each key direction sent.
    last_ack: [Option<u32>; 2],
    /// Reassembled bytes per key direction.
    pub streams: [DirStream; 2],
    /// Stream bytes inspected per key direction.
    progress: [usize; 2],
    /// Data after an accepted RST (Suricata's `stream.suspected_rst_inject`).
    rst_watch: RstWatch,
    /// The session's closing state (Suricata's TCP state machine).
    close: SessionClose,
    /// The handshake's last ACK was seen: the flow is established from
    /// the next packet on (Suricata marks a packet established before
    /// the stream engine sees it, so the ACK itself is not).
    handshake_done: bool,
}

impl Tcp {
    /// Whether direction `dir` sent FIN and the other side acknowledged it
    /// (that direction's stream ended: Suricata's EOF for it).
    fn fin_acked(&self, dir: usize) -> bool {
        let len = self.streams[dir].data().len();
        self.fin[dir]
            && self.last_ack[1 - dir]
                .and_then(|a| self.streams[dir].offset_of(a))
                .is_some_and(|o| o > len)
    }

    /// The session is closed: an accepted RST, or both FINs acknowledged
    /// (when transaction logging writes what is left; raw inspection
    /// follows [`SessionClose`] instead).
    fn closed(&self) -> bool {
        self.rst
            || (0..2).all(|d| {
                self.fin[d]
                    && self.last_ack[1 - d]
                        .is_some_and(|a| a.wrapping_sub(self.next_seq[d]) as i32 >= 0)
            })
    }

    /// Bytes of direction `dir`'s stream the other side acknowledged.
    fn acked(&self, dir: usize) -> usize {
        let len = self.streams[dir].data().len();
        self.last_ack[1 - dir]
            .and_then(|a| self.streams[dir].offset_of(a))
            .map_or(0, |o| o.min(len))
    }
}

/// One flow as detection sees it.
#[derive(Debug)]
pub struct DetectFlow {
    /// Id shown as `flow_id` in alerts.
    pub id: u64,
    /// The key direction (0 or 1) of the client (flow initiator).
    pub initiator: u8,
    /// First packet (ns).
    pub start_ns: u64,
    /// Last packet (ns).
    pub last_ns: u64,
    /// Packets per key direction.
    pub pkts: [u64; 2],
    /// IP bytes per key direction.
    pub bytes: [u64; 2],
    /// Rule state.
    pub state: FlowDetectState,
    /// TCP tracking.
    pub tcp: Option<Box<Tcp>>,
    /// Application layer (TCP flows tracked from their SYN, UDP flows).
    pub app: Option<Box<FlowAppLayer>>,
    established: bool,
    protocol: u8,
}

/// A detection flow's key: the flow stage's (VNI, protocol, endpoints)
/// and the packet's [`Layer`] (VLAN ids, tunnel depth), as Suricata's flow
/// hash and comparison include them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DetectKey {
    /// VNI and 5-tuple.
    pub flow: FlowKey,
    /// VLAN ids and tunnel depth.
    pub layer: Layer,
}

impl DetectFlow {
    fn new(key: &DetectKey, dir: usize, meta: &PacketMeta) -> Self {
        let mut initiator = dir as u8;
        // A connection first seen at its SYN/ACK was opened by the other end.
        if let Some(f) = meta.tcp_flags
            && f & (SYN | ACK) == SYN | ACK
        {
            initiator = 1 - dir as u8;
        }
        let mut id = key.flow.symmetric_hash() ^ meta.ts_ns.rotate_left(17);
        if key.layer != Layer::default() {
            use std::hash::BuildHasher;
            id ^= FxBuildHasher.hash_one(key.layer).rotate_left(31);
        }
        let id = id & ((1 << 52) - 1);
        DetectFlow {
            id,
            initiator,
            start_ns: meta.ts_ns,
            last_ns: meta.ts_ns,
            pkts: [0; 2],
            bytes: [0; 2],
            state: FlowDetectState::default(),
            tcp: None,
            app: None,
            established: false,
            protocol: key.flow.protocol,
        }
    }

    /// Counts a packet.
    #[inline]
    pub fn account(&mut self, dir: usize, ts_ns: u64, bytes: u64) {
        self.pkts[dir] += 1;
        self.bytes[dir] += bytes;
        self.last_ns = self.last_ns.max(ts_ns);
    }

    /// A non-TCP packet: established once both directions were seen.
    #[inline]
    pub fn other_packet(&mut self, _dir: usize) {
        if self.pkts[0] > 0 && self.pkts[1] > 0 {
            self.established = true;
        }
    }

    /// A TCP packet: handshake, flags, acknowledgements and reassembly.
    /// Returns whether its payload went into the stream, and the stream
    /// events it raised (for `stream-event` rules on this packet).
    pub fn tcp_packet(
        &mut self,
        dir: usize,
        v: &PacketView<'_>,
        cfg: &IdsConfig,
        budget: &mut Budget,
        stats: &mut IdsStats,
    ) -> (bool, Events) {
        let flags = v.tcp_flags().unwrap_or(0);
        let seq = v.tcp_seq().unwrap_or(0);
        let first = self.tcp.is_none();
        let client = dir == self.initiator as usize;
        let t = self.tcp.get_or_insert_with(Box::default);
        if t.handshake_done {
            self.established = true;
        }
        if first {
            t.tracked = (flags & (SYN | ACK) == SYN && client) || cfg.midstream;
        }
        if flags & SYN != 0 {
            if flags & ACK == 0 && client {
                // A new SYN on a connection that was reset or closed: the
                // port pair is reused (Suricata starts a new TCP session),
                // so the old close no longer shortens its timeout.
                if t.rst || (t.fin[0] && t.fin[1]) {
                    t.rst = false;
                    t.fin = [false; 2];
                    t.close.reopen();
                }
                t.syn = true;
            } else if flags & ACK != 0 && !client && t.syn {
                t.synack = true;
            }
            if t.isn[dir].is_none() {
                t.isn[dir] = Some(seq);
                t.next_seq[dir] = seq.wrapping_add(1);
            }
        } else if flags & ACK != 0 && client && t.synack {
            t.handshake_done = true;
        }
        if t.tracked && cfg.midstream && self.pkts[0] > 0 && self.pkts[1] > 0 {
            self.established = true;
        }
        if flags & RST != 0 {
            t.rst = true;
        }
        if flags & FIN != 0 {
            t.fin[dir] = true;
        }
        let mut events = Events::empty();
        if flags & ACK != 0 {
            t.last_ack[dir] = v.tcp_ack();
            // The acknowledgement passes bytes of the other direction the
            // capture never delivered: a sequence gap (capture loss).
            if t.tracked
                && let Some(ack) = t.last_ack[dir]
                && let Some((_, added)) = t.streams[1 - dir].ack_gap(ack, budget)
            {
                count_stream_events(stats, added.events);
                events.merge(Events::from_stream(added.events));
            }
        }
        let payload = v.payload();
        let side = if client { 0 } else { 1 };
        t.close.packet(side, flags, seq, payload.len() as u32);
        if t.rst_watch.packet(side, flags, seq, payload.len() as u32) {
            events.insert(Event::StreamSuspectedRstInject);
        }
        let isn = *t.isn[dir].get_or_insert(seq.wrapping_sub(1));
        let end = seq
            .wrapping_add(payload.len() as u32)
            .wrapping_add((flags & (SYN | FIN) != 0) as u32);
        if (end.wrapping_sub(isn) as i32) > (t.next_seq[dir].wrapping_sub(isn) as i32) {
            t.next_seq[dir] = end;
        }
        if !t.tracked || (payload.is_empty() && flags & SYN == 0) {
            return (false, events);
        }
        let added = t.streams[dir].segment(
            &Segment {
                seq,
                syn: flags & SYN != 0,
                payload,
            },
            &cfg.stream,
            budget,
        );
        count_stream_events(stats, added.events);
        events.merge(Events::from_stream(added.events));
        (!payload.is_empty(), events)
    }

    /// Both directions of a TCP flow ended: each side's FIN was
    /// acknowledged by the other (Suricata's application-layer EOF in both
    /// directions, when its transaction loggers write what is left).
    pub fn tcp_finished(&self) -> bool {
        self.tcp.as_ref().is_some_and(|t| !t.rst && t.closed())
    }

    /// What the rules know of the flow for a packet in key direction `dir`.
    pub fn info(&self, dir: usize, now_ns: u64) -> FlowInfo {
        let client = self.initiator as usize;
        let stream_sizes = self.tcp.as_ref().filter(|t| t.tracked).map(|t| {
            let size = |d: usize| {
                t.isn[d]
                    .map(|isn| t.next_seq[d].wrapping_sub(isn) as u64)
                    .unwrap_or(0)
            };
            (size(client), size(1 - client))
        });
        FlowInfo {
            to_server: dir == client,
            established: self.established,
            age_secs: now_ns.saturating_sub(self.start_ns) / NS,
            stream_sizes,
            app: self.app.as_ref().map(|a| a.info()).unwrap_or_default(),
        }
    }

    /// The application-layer direction of key direction `dir`.
    #[inline]
    pub fn app_dir(&self, dir: usize) -> AppDirection {
        if dir == self.initiator as usize {
            AppDirection::ToServer
        } else {
            AppDirection::ToClient
        }
    }

    /// Whether transactions are inspected on this flow's packets now
    /// (TCP: established, as Suricata's `PKT_STREAM_EST`).
    pub fn tx_ready(&self) -> bool {
        self.app.is_some() && (self.protocol != proto::TCP || self.established)
    }

    /// Feeds the application layer what packet `v` (key direction `dir`)
    /// makes ready: TCP, the other direction's bytes it acknowledges; UDP,
    /// its payload. Payload inspection stops once the session is
    /// encrypted (TLS).
    /// Returns whether the session just turned encrypted (payload
    /// inspection is to stop once its streams are flushed).
    pub fn app_packet(
        &mut self,
        dir: usize,
        v: &PacketView<'_>,
        stats: &mut AppStats,
        at: ExpectAt<'_>,
    ) -> bool {
        let client = dir == self.initiator as usize;
        let (server_port, client_port) = if client {
            (v.dport, v.sport)
        } else {
            (v.sport, v.dport)
        };
        let hosts = if client {
            (v.src, v.dst)
        } else {
            (v.dst, v.src)
        };
        let pkt_dir = if client {
            AppDirection::ToServer
        } else {
            AppDirection::ToClient
        };
        if let Some(a) = self.app.as_mut() {
            a.packet_start(pkt_dir);
        }
        let (tcp, app) = (&self.tcp, &mut self.app);
        let new_app = |transport| {
            let mut a = Box::new(FlowAppLayer::new(transport, server_port, client_port));
            a.set_hosts(hosts.0, hosts.1);
            a.packet_start(pkt_dir);
            a
        };
        match self.protocol {
            proto::TCP => {
                let Some(t) = tcp.as_ref().filter(|t| t.tracked) else {
                    return false;
                };
                let app = app.get_or_insert_with(|| new_app(Transport::Tcp));
                let o = 1 - dir;
                let acked = t.acked(o);
                if acked > 0 {
                    let other = if client {
                        AppDirection::ToClient
                    } else {
                        AppDirection::ToServer
                    };
                    let data = t.streams[o].data();
                    let opposite = (
                        t.streams[dir].data(),
                        before_gap(&t.streams[dir], t.acked(dir)),
                    );
                    feed(at, app, other, &t.streams[o], acked, opposite, stats);
                    if acked >= data.len() && t.fin_acked(o) {
                        app.eof(other);
                    }
                }
            }
            proto::UDP => {
                let app = app.get_or_insert_with(|| new_app(Transport::Udp));
                let d = if client {
                    AppDirection::ToServer
                } else {
                    AppDirection::ToClient
                };
                if app.datagram(d, v.payload(), stats) {
                    // Detection reversed the flow (Suricata's `FlowSwap`):
                    // this packet and the rest of the flow see the other
                    // end as the client; `info`, the EVE flow summary and
                    // `flow_id` follow `initiator` (the id does not change).
                    self.initiator ^= 1;
                }
            }
            _ => return false,
        }
        !self.state.no_payload_inspection && self.app.as_ref().is_some_and(|a| a.encrypted())
    }

    /// Flow end: the application layer gets every byte left.
    pub fn app_finish(&mut self, stats: &mut AppStats, at: ExpectAt<'_>) {
        let (Some(t), Some(app)) = (self.tcp.as_ref(), self.app.as_mut()) else {
            if let Some(app) = self.app.as_mut() {
                app.close();
            }
            return;
        };
        for d in [self.initiator as usize, 1 - self.initiator as usize] {
            let data = t.streams[d].data();
            let ad = if d == self.initiator as usize {
                AppDirection::ToServer
            } else {
                AppDirection::ToClient
            };
            app.finishing(ad);
            let od = t.streams[1 - d].data();
            let opposite = (od, before_gap(&t.streams[1 - d], od.len()));
            feed(at, app, ad, &t.streams[d], data.len(), opposite, stats);
        }
        app.close();
    }

    /// The uninspected stream bytes of direction `dir` that a packet in that
    /// direction should inspect now: the acknowledged ones once `chunk` of
    /// them are waiting, the application layer finished a message in them
    /// (Suricata's raw-reassembly trigger) or the session's state is past
    /// `TIME_WAIT` (the client's FIN, the server's FIN after it, a RST, the
    /// last ACK: [`SessionClose::forces_raw`]). Bytes not acknowledged yet
    /// wait for the flow's end, as in Suricata's IDS mode.
    pub fn stream_ready(&mut self, dir: usize, chunk: usize) -> Option<Range<usize>> {
        let adir = self.app_dir(dir);
        let triggered = self.app.as_ref().is_some_and(|a| a.raw_triggered(adir));
        let t = self.tcp.as_mut().filter(|t| t.tracked)?;
        let len = t.streams[dir].data().len();
        let from = t.progress[dir];
        if len <= from {
            return None;
        }
        let acked = t.last_ack[1 - dir]
            .and_then(|a| t.streams[dir].offset_of(a))
            .map_or(0, |o| o.min(len));
        let to = if acked > from
            && (triggered || t.close.forces_raw() || acked >= from + chunk.max(1))
        {
            acked
        } else {
            return None;
        };
        // Past a sequence gap, Suricata's raw progress stops at the start
        // of the block after it (`StreamReassembleRawDo`), so that block
        // is inspected once more from its start by the next inspection.
        let mut progress = from;
        for b in t.streams[dir].blocks(from..to) {
            progress = if b.start == progress { b.end } else { b.start };
        }
        t.progress[dir] = if progress == from { to } else { progress };
        if let Some(a) = self.app.as_mut() {
            a.clear_raw_trigger(adir);
        }
        Some(from..to)
    }

    /// Every uninspected stream byte of direction `dir` (flow end); gaps
    /// inside are skipped by the caller ([`DirStream::blocks`]).
    pub fn stream_rest(&mut self, dir: usize) -> Option<Range<usize>> {
        let t = self.tcp.as_mut().filter(|t| t.tracked)?;
        let len = t.streams[dir].data().len();
        let from = t.progress[dir];
        if len <= from {
            return None;
        }
        t.progress[dir] = len;
        Some(from..len)
    }

    /// Frees the flow's reassembly memory.
    pub fn release(&mut self, budget: &mut Budget) {
        if let Some(t) = self.tcp.as_mut() {
            for s in &mut t.streams {
                s.release(budget);
            }
        }
    }

    /// Whether the flow is idle past its timeout at `now_ns`, in whole
    /// seconds as Suricata compares them (`timeout_at < sec`): a flow last
    /// seen at 10.9 s with a 30 s timeout is still alive at 40.8 s.
    #[inline]
    fn idle_past(&self, now_ns: u64, t: &FlowTimeouts) -> bool {
        now_ns / NS > self.last_ns / NS + self.timeout_s(t)
    }

    fn timeout_s(&self, t: &FlowTimeouts) -> u64 {
        if self.protocol == proto::TCP {
            match &self.tcp {
                Some(tcp) if tcp.rst || (tcp.fin[0] && tcp.fin[1]) => t.tcp_closed,
                _ if self.established => t.tcp_established,
                _ => t.tcp_new,
            }
        } else if self.established {
            t.established
        } else {
            t.new
        }
    }
}

/// Adds what one segment (or acknowledgement) raised in reassembly to the
/// counters.
fn count_stream_events(stats: &mut IdsStats, ev: crate::stream::StreamEvents) {
    for (i, n) in stats.stream_events.iter_mut().enumerate() {
        *n += ((ev.0 >> i) & 1) as u64;
    }
}

/// Gives the application layer direction `dir`'s stream up to `upto`: the
/// captured bytes, and a gap notice for each sequence gap on the way
/// (Suricata's `STREAM_GAP`); the opposite direction (parsed first when
/// detection starts the parser on `dir`) stops at its first gap.
fn feed(
    at: ExpectAt<'_>,
    app: &mut FlowAppLayer,
    dir: AppDirection,
    stream: &DirStream,
    upto: usize,
    opposite: (&[u8], usize),
    stats: &mut AppStats,
) {
    let data = stream.data();
    let from = app.fed(dir);
    for g in stream.gaps() {
        if g.end <= from {
            continue;
        }
        if g.start >= upto {
            break;
        }
        at.stream(app, (dir, data, g.start), opposite, stats);
        app.gap(dir, g.clone());
    }
    at.stream(app, (dir, data, upto), opposite, stats);
}

/// `upto`, or the start of the stream's first gap when that is before.
fn before_gap(stream: &DirStream, upto: usize) -> usize {
    stream.gaps().first().map_or(upto, |g| g.start.min(upto))
}

/// One worker's detection flows.
pub struct DetectFlows {
    map: HashMap<DetectKey, DetectFlow, FxBuildHasher>,
    cap: usize,
    timeouts: FlowTimeouts,
    /// Next capture second at which to look for idle flows.
    next_check_s: u64,
}

impl DetectFlows {
    /// An empty table of at most `cap` flows.
    pub fn new(cap: usize, timeouts: FlowTimeouts) -> Self {
        DetectFlows {
            map: HashMap::with_hasher(FxBuildHasher),
            cap: cap.max(1),
            timeouts,
            next_check_s: 0,
        }
    }

    /// Flows tracked.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no flow is tracked.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The packet's flow, created when new; `None` when the table is full.
    /// A flow found idle past its timeout at the packet's time is replaced
    /// by a new one and handed back in `expired` (for its end-of-flow
    /// inspection before the packet's): Suricata's flow lookup
    /// (`FlowGetFlowFromHash`) times flows out as it meets them, so the
    /// packet never joins a flow the flow manager had not collected yet.
    #[inline]
    pub fn get_or_insert(
        &mut self,
        key: &DetectKey,
        dir: usize,
        meta: &PacketMeta,
        stats: &mut IdsStats,
        expired: &mut Option<DetectFlow>,
    ) -> Option<&mut DetectFlow> {
        let full = self.map.len() >= self.cap;
        match self.map.entry(*key) {
            Entry::Occupied(o) => {
                let f = o.into_mut();
                if f.idle_past(meta.ts_ns, &self.timeouts) {
                    stats.flows += 1;
                    *expired = Some(std::mem::replace(f, DetectFlow::new(key, dir, meta)));
                }
                Some(f)
            }
            Entry::Vacant(_) if full => {
                stats.flows_untracked += 1;
                None
            }
            Entry::Vacant(v) => {
                stats.flows += 1;
                Some(v.insert(DetectFlow::new(key, dir, meta)))
            }
        }
    }

    /// Whether the capture clock passed the next idle check (once a second).
    #[inline]
    pub fn due(&self, clock_ns: u64) -> bool {
        clock_ns / NS >= self.next_check_s
    }

    /// Removes and returns the flows idle past their timeout at `clock_ns`.
    pub fn expire(&mut self, clock_ns: u64) -> Vec<(DetectKey, DetectFlow)> {
        self.next_check_s = clock_ns / NS + 1;
        let t = self.timeouts;
        let idle: Vec<DetectKey> = self
            .map
            .iter()
            .filter(|(_, f)| f.idle_past(clock_ns, &t))
            .map(|(k, _)| *k)
            .collect();
        idle.into_iter()
            .filter_map(|k| self.map.remove(&k).map(|f| (k, f)))
            .collect()
    }

    /// Removes every flow, oldest first (end of input).
    pub fn drain(&mut self) -> Vec<(DetectKey, DetectFlow)> {
        let mut all: Vec<(DetectKey, DetectFlow)> = self.map.drain().collect();
        all.sort_by_key(|(_, f)| (f.start_ns, f.id));
        all
    }

    /// Clears every flow's rule state (a new rule set interns its
    /// flowbits differently).
    pub fn reset_states(&mut self) {
        for f in self.map.values_mut() {
            f.state = FlowDetectState::default();
        }
    }
}
