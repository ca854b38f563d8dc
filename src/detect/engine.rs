//! The compiled rule set and its evaluation of one packet or stream chunk.
//!
//! ```text
//! RuleSet (shared, immutable)        DetectCtx (per worker)      FlowDetectState (per flow)
//!   sigs sorted pass → drop/reject     scratch, byte variables,    flowbits, flowints,
//!   → alert; prefilter                 hostbits, thresholds        IP-only done, passed
//! ```
//!
//! [`RuleSet::inspect`] runs the prefilter, then for each candidate rule:
//! protocol, addresses/ports (either way for `<>`), packet conditions
//! (header keywords, dsize, flow, flowbits/flowint/hostbits tests), every
//! buffer's steps; on a match its flowbits/flowint/hostbits changes
//! happen, and an alert is pushed unless `noalert`, a threshold or a
//! detection_filter holds it back. A matching `pass` rule ends inspection
//! of the packet and marks the flow passed (Suricata 7: the rest of the
//! flow is not inspected). IP-only rules (see
//! [`Signature::is_ip_only`]) are evaluated on the first packet of each
//! flow direction only, as Suricata does.

use std::sync::{Arc, Mutex, MutexGuard};

use hashbrown::HashMap;

use super::inspect;
use super::keywords::bits::{BitsCmd, HostDir, IntCmp, IntOp, IntVal};
use super::keywords::buffers::BufferKind;
use super::keywords::flow::{FlowInfo, stream_size_matches};
use super::packet::PacketView;
use super::prefilter::{Prefilter, Scratch};
use super::signature::{Action, PacketMatch, PayloadOn, PostMatch, Proto, Signature};
use super::state::{BitOwner, FlowDetectState, HostTable, ThresholdTable};
use super::tx::Tx;
use crate::applayer::{AppProto, Direction};

/// What is inspected: the packet itself (header rules, packet payload)
/// or a chunk of the reassembled TCP stream in the packet's direction
/// (payload rules only; header conditions still read the packet).
#[derive(Debug, Clone, Copy)]
pub enum Inspection<'a> {
    /// The packet.
    Packet,
    /// A TCP packet whose payload went into its stream, with the chunk of
    /// that direction's stream inspected on this packet, if any. As in
    /// Suricata, stream rules ([`PayloadOn::Stream`]) match the chunk
    /// only, packet rules the packet, and [`PayloadOn::Both`] rules the
    /// chunk, else the packet; header rules run once. One evaluation per
    /// rule, so at most one alert per rule and packet.
    PacketInStream(Option<&'a [u8]>),
    /// Reassembled stream bytes.
    Stream(&'a [u8]),
}

/// What one inspection looks at.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The packet (its headers are read in both inspection kinds).
    pub packet: &'a PacketView<'a>,
    /// What the flow stage knows about its flow.
    pub flow: FlowInfo,
    /// The packet itself, or a stream chunk.
    pub what: Inspection<'a>,
    /// Capture time in ns since the epoch (thresholds, hostbit expiry).
    pub now_ns: u64,
}

/// What one rule evaluation reads.
struct Eval<'a, 'b> {
    p: &'a PacketView<'b>,
    f: &'a FlowInfo,
    stream: bool,
    payload: &'a [u8],
    tx: Option<(Tx<'a>, Direction)>,
    now: u64,
}

/// The result of evaluating one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    NoMatch,
    Match,
    /// A `pass` rule matched: stop.
    Pass,
}

/// One alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// Index of the rule in [`RuleSet::sigs`].
    pub rule: u32,
    /// `gid`.
    pub gid: u32,
    /// `sid`.
    pub sid: u32,
    /// `rev`.
    pub rev: u32,
    /// The rule's action (drop/reject alert like alert in vxtap).
    pub action: Action,
    /// Whether the match was on the stream.
    pub stream: bool,
}

/// Per-worker detection context: scratch buffers, and the host and
/// threshold tables, which every worker of an engine shares (a threshold
/// `by_src` counts the source's matches in all flows, whichever worker
/// holds them). The tables are locked only when a rule that uses them
/// matches, never per packet.
#[derive(Debug, Default)]
pub struct DetectCtx {
    scratch: Scratch,
    vars: Vec<u64>,
    tbuf: [Vec<u8>; 2],
    /// Application-layer buffers composed from several fields.
    abuf: Vec<u8>,
    /// Host bits.
    pub hosts: Arc<Mutex<HostTable>>,
    /// Threshold and detection_filter counters.
    pub thresholds: Arc<Mutex<ThresholdTable>>,
}

impl DetectCtx {
    /// Another worker's context sharing this one's host and threshold tables.
    pub fn sharing(&self) -> DetectCtx {
        DetectCtx {
            hosts: Arc::clone(&self.hosts),
            thresholds: Arc::clone(&self.thresholds),
            ..DetectCtx::default()
        }
    }
}

/// Locks a shared table; a worker that panicked holding it left counters
/// that are still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A compiled, immutable rule set.
pub struct RuleSet {
    /// The rules, pass first, then drop/reject, then alert (load order within).
    pub sigs: Vec<Signature>,
    ip_only: Vec<bool>,
    /// [`Signature::requires_payload`] per rule.
    needs_payload: Vec<bool>,
    /// [`Signature::is_tx`] per rule.
    tx_rule: Vec<bool>,
    /// [`Signature::is_pd_only`] per rule.
    pd_only: Vec<bool>,
    /// [`Signature::tx_dir`] per rule.
    tx_dir: Vec<Option<Direction>>,
    prefilter: Prefilter,
    /// Interned flowbit/hostbit names.
    pub bit_ids: HashMap<String, u32>,
    /// Interned flowint names.
    pub int_ids: HashMap<String, u32>,
    max_vars: usize,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.sigs.len())
            .finish()
    }
}

/// Suricata's default action order: pass, drop, reject, alert.
fn action_rank(a: Action) -> u8 {
    match a {
        Action::Pass => 0,
        Action::Drop => 1,
        Action::Reject | Action::RejectSrc | Action::RejectDst | Action::RejectBoth => 2,
        Action::Alert => 3,
    }
}

/// Like Suricata's signature ordering, rules that only change flowbits or
/// flowints run before rules that change and test them, which run before
/// rules that only test them, so a setter's effect is visible to the
/// readers on the same packet.
fn state_rank(s: &Signature) -> u8 {
    let writes = !s.post.is_empty();
    let reads = s.matches.iter().any(|m| {
        matches!(
            m,
            PacketMatch::Flowbits(_) | PacketMatch::Flowint(_) | PacketMatch::Hostbits(_)
        )
    });
    match (writes, reads) {
        (true, false) => 0,
        (true, true) => 1,
        (false, true) => 2,
        (false, false) => 3,
    }
}

fn intern(map: &mut HashMap<String, u32>, name: &str) -> u32 {
    let n = map.len() as u32;
    *map.entry(name.to_owned()).or_insert(n)
}

impl RuleSet {
    /// Compiles loaded rules: interns state names, orders by action and
    /// builds the prefilter.
    pub fn new(mut sigs: Vec<Signature>) -> RuleSet {
        sigs.sort_by_key(|s| (action_rank(s.action), state_rank(s), s.priority));
        let mut bit_ids = HashMap::new();
        let mut int_ids = HashMap::new();
        for s in &mut sigs {
            for m in &mut s.matches {
                match m {
                    PacketMatch::Flowbits(c) | PacketMatch::Hostbits(c) => {
                        for (n, id) in c.names.iter().zip(c.ids.iter_mut()) {
                            *id = intern(&mut bit_ids, n);
                        }
                    }
                    PacketMatch::Flowint(c) => {
                        c.var.1 = intern(&mut int_ids, &c.var.0);
                        if let IntVal::Var(n, id) = &mut c.value {
                            *id = intern(&mut int_ids, n);
                        }
                    }
                    _ => {}
                }
            }
            for p in &mut s.post {
                match p {
                    PostMatch::Flowbits(o) | PostMatch::Hostbits(o) => {
                        o.id = intern(&mut bit_ids, &o.name)
                    }
                    PostMatch::Flowint(o) => {
                        o.var.1 = intern(&mut int_ids, &o.var.0);
                        if let IntVal::Var(n, id) = &mut o.value {
                            *id = intern(&mut int_ids, n);
                        }
                    }
                }
            }
        }
        let ip_only: Vec<bool> = sigs.iter().map(Signature::is_ip_only).collect();
        let needs_payload = sigs.iter().map(Signature::requires_payload).collect();
        let tx_rule = sigs.iter().map(Signature::is_tx).collect();
        let pd_only = sigs.iter().map(Signature::is_pd_only).collect();
        let tx_dir = sigs.iter().map(Signature::tx_dir).collect();
        let max_vars = sigs.iter().map(|s| s.nvars).max().unwrap_or(0);
        let prefilter = Prefilter::build(&sigs, &ip_only);
        RuleSet {
            sigs,
            ip_only,
            needs_payload,
            tx_rule,
            pd_only,
            tx_dir,
            prefilter,
            bit_ids,
            int_ids,
            max_vars,
        }
    }

    /// Rules with a fast pattern / in the no-pattern groups.
    pub fn prefilter_stats(&self) -> (usize, usize) {
        (self.prefilter.with_pattern, self.prefilter.without_pattern)
    }

    /// Evaluates the rules on one packet (or stream chunk) and appends the
    /// alerts to `out`. Never panics on any input.
    pub fn inspect(
        &self,
        input: &Input,
        flow: &mut FlowDetectState,
        ctx: &mut DetectCtx,
        out: &mut Vec<Alert>,
    ) {
        let (p, flow_info, what, now_ns) = (input.packet, &input.flow, input.what, input.now_ns);
        if flow.passed || (flow.no_payload_inspection && matches!(what, Inspection::Stream(_))) {
            return;
        }
        // The chunk inspected with a packet of a stream; none once payload
        // inspection stopped (encrypted TLS).
        let what = match what {
            Inspection::PacketInStream(Some(_)) if flow.no_payload_inspection => {
                Inspection::PacketInStream(None)
            }
            w => w,
        };
        // Bytes the packet-side and the stream-side payload automata scan.
        let (packet_bytes, stream_bytes, stream) = match what {
            Inspection::Packet => (p.payload(), p.payload(), false),
            Inspection::PacketInStream(chunk) => (p.payload(), chunk.unwrap_or_default(), false),
            Inspection::Stream(b) => (&[][..], b, true),
        };
        let mut scratch = std::mem::take(&mut ctx.scratch);
        let dir = if flow_info.to_server { 0 } else { 1 };
        // IP-only rules: once per flow direction, or on every packet
        // Suricata keeps no flow for.
        let tracked = p.has_flow();
        let ip_only_open = !stream && (!tracked || !flow.ip_only_done[dir]);
        self.prefilter.candidates(
            p,
            packet_bytes,
            stream_bytes,
            ip_only_open,
            &mut scratch,
            self.sigs.len(),
        );
        if ctx.vars.len() < self.max_vars {
            ctx.vars.resize(self.max_vars, 0);
        }
        for &ri in &scratch.candidates {
            let s = &self.sigs[ri as usize];
            if self.tx_rule[ri as usize] {
                continue;
            }
            if self.ip_only[ri as usize] && !ip_only_open {
                continue;
            }
            if !self.applies(s, p, what) {
                continue;
            }
            if s.alproto
                .is_some_and(|a| !a.rule_matches(flow_info.app.flow))
            {
                continue;
            }
            if self.pd_only[ri as usize] && (stream || !flow_info.app.detected_now) {
                continue;
            }
            if flow.no_payload_inspection && self.needs_payload[ri as usize] {
                continue;
            }
            // What the payload steps read: (stream chunk, packet) to try
            // in that order.
            let (first, then) = match what {
                Inspection::Packet => (None, Some(p.payload())),
                Inspection::Stream(b) => (Some(b), None),
                Inspection::PacketInStream(_) if !s.has_payload() => (None, Some(p.payload())),
                Inspection::PacketInStream(chunk) => match s.payload_on {
                    PayloadOn::Packet => (None, Some(p.payload())),
                    PayloadOn::Stream if chunk.is_none() => continue,
                    PayloadOn::Stream => (chunk, None),
                    PayloadOn::Both => (chunk, Some(p.payload())),
                },
            };
            let mut outcome = Outcome::NoMatch;
            for (payload, on_stream) in [(first, true), (then, false)] {
                let Some(payload) = payload else { continue };
                let e = Eval {
                    p,
                    f: flow_info,
                    stream: on_stream,
                    payload,
                    tx: None,
                    now: now_ns,
                };
                outcome = self.eval(ri, &e, flow, ctx, out);
                if outcome != Outcome::NoMatch {
                    break;
                }
            }
            if outcome == Outcome::Pass {
                break;
            }
        }
        if !stream && tracked {
            flow.ip_only_done[dir] = true;
        }
        ctx.scratch = scratch;
    }

    /// Evaluates the transaction rules on one transaction of the packet's
    /// flow, inspected in the packet's direction, and appends the alerts to
    /// `out`. The payload contents of a rule that mixes them with
    /// transaction keywords read `input.what`'s stream bytes (Suricata
    /// inspects the raw stream with the transaction), else the packet's
    /// payload. `matched` holds the rules that already matched this
    /// transaction (each matches a transaction once); the ones matching now
    /// are added. Never panics on any input.
    pub fn inspect_tx(
        &self,
        input: &Input,
        tx: Tx<'_>,
        matched: &mut Vec<u32>,
        flow: &mut FlowDetectState,
        ctx: &mut DetectCtx,
        out: &mut Vec<Alert>,
    ) {
        if flow.passed {
            return;
        }
        let p = input.packet;
        let dir = if input.flow.to_server {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let mut scratch = std::mem::take(&mut ctx.scratch);
        let mut abuf = std::mem::take(&mut ctx.abuf);
        self.prefilter
            .candidates_tx(tx, dir, &mut abuf, &mut scratch, self.sigs.len());
        if ctx.vars.len() < self.max_vars {
            ctx.vars.resize(self.max_vars, 0);
        }
        let what = Eval {
            p,
            f: &input.flow,
            stream: false,
            payload: match input.what {
                Inspection::Stream(b) => b,
                _ => p.payload(),
            },
            tx: Some((tx, dir)),
            now: input.now_ns,
        };
        for &ri in &scratch.candidates {
            let s = &self.sigs[ri as usize];
            if !self.tx_rule[ri as usize]
                || matched.contains(&ri)
                || s.alproto.is_some_and(|a| {
                    // An SMB rule reads DCE/RPC calls of SMB flows only.
                    !a.rule_reads(tx.proto())
                        || (a != tx.proto() && input.flow.app.flow != AppProto::Smb)
                })
                || self.tx_dir[ri as usize].is_some_and(|d| d != dir)
                || !self.applies(s, p, Inspection::Packet)
            {
                continue;
            }
            match self.eval(ri, &what, flow, ctx, out) {
                Outcome::NoMatch => {}
                Outcome::Match => matched.push(ri),
                Outcome::Pass => {
                    matched.push(ri);
                    break;
                }
            }
        }
        ctx.abuf = abuf;
        ctx.scratch = scratch;
    }

    /// Conditions, buffers, effects and alert of one candidate rule.
    fn eval(
        &self,
        ri: u32,
        e: &Eval,
        flow: &mut FlowDetectState,
        ctx: &mut DetectCtx,
        out: &mut Vec<Alert>,
    ) -> Outcome {
        let s = &self.sigs[ri as usize];
        let p = e.p;
        if !self.conditions(s, e, flow, &ctx.hosts) {
            return Outcome::NoMatch;
        }
        if !self.buffers(s, e, ctx) {
            return Outcome::NoMatch;
        }
        self.post(s, p, e.now, flow, &ctx.hosts);
        if s.action == Action::Pass {
            flow.passed = true;
            return Outcome::Pass;
        }
        if s.noalert {
            return Outcome::Match;
        }
        let allowed = [s.threshold, s.detection_filter]
            .iter()
            .flatten()
            .all(|t| lock(&ctx.thresholds).allow(s.gid, s.sid, t, p.src, p.dst, e.now));
        if allowed {
            out.push(Alert {
                rule: ri,
                gid: s.gid,
                sid: s.sid,
                rev: s.rev,
                action: s.action,
                stream: e.stream,
            });
        }
        Outcome::Match
    }

    /// Protocol, inspection kind, addresses and ports.
    fn applies(&self, s: &Signature, p: &PacketView, what: Inspection) -> bool {
        if !s.proto.matches(p.version, p.proto) {
            return false;
        }
        let ok = match what {
            Inspection::Stream(_) => s.has_payload() && !s.requires_packet(),
            Inspection::PacketInStream(chunk) => {
                s.proto != Proto::TcpStream || (chunk.is_some() && s.has_payload())
            }
            Inspection::Packet => s.proto != Proto::TcpStream,
        };
        if !ok {
            return false;
        }
        let fwd = s.src.contains(p.src)
            && s.dst.contains(p.dst)
            && s.sport.contains(p.sport)
            && s.dport.contains(p.dport);
        fwd || (s.bidirectional
            && s.src.contains(p.dst)
            && s.dst.contains(p.src)
            && s.sport.contains(p.dport)
            && s.dport.contains(p.sport))
    }

    fn conditions(
        &self,
        s: &Signature,
        e: &Eval,
        flow: &FlowDetectState,
        hosts: &Mutex<HostTable>,
    ) -> bool {
        let (p, f, stream, now) = (e.p, e.f, e.stream, e.now);
        s.matches.iter().all(|m| match m {
            PacketMatch::Header(h) => h.matches(p),
            PacketMatch::Event(ev) => p.events.contains(*ev),
            PacketMatch::AppProto(m) => m.matches(&f.app, f.to_server),
            // A packet's own event: not again on a stream chunk inspected
            // apart from it (flow end, detect/log flush).
            PacketMatch::AppLayerEvent(ev) => !e.stream && f.app.events.has(*ev as u32),
            PacketMatch::Tx(c) => e.tx.is_some_and(|(tx, dir)| c.matches(tx, dir, e.now)),
            PacketMatch::Dsize(u) => p.l4_hdr_len > 0 && u.matches(p.payload().len() as u64),
            PacketMatch::Flow(fm) => fm.matches(f, stream),
            PacketMatch::FlowAge(u) => u.matches(f.age_secs),
            PacketMatch::StreamSize { side, cmp } => stream_size_matches(*side, cmp, f),
            PacketMatch::Flowbits(c) => {
                let mut states = c.ids.iter().map(|&id| flow.bit(id));
                if c.isset {
                    states.any(|b| b)
                } else {
                    states.any(|b| !b)
                }
            }
            PacketMatch::Hostbits(c) => {
                let host = match c.dir {
                    HostDir::Dst => BitOwner::Host(p.dst),
                    HostDir::Pair => BitOwner::pair(p.src, p.dst),
                    HostDir::Src | HostDir::Both => BitOwner::Host(p.src),
                };
                let hosts = lock(hosts);
                let mut states = c.ids.iter().map(|&id| hosts.get(host, id, now));
                if c.isset {
                    states.any(|b| b)
                } else {
                    states.any(|b| !b)
                }
            }
            PacketMatch::Flowint(c) => {
                let v = flow.int(c.var.1);
                let rhs = match &c.value {
                    IntVal::Lit(x) => Some(*x),
                    IntVal::Var(_, id) => flow.int(*id),
                };
                match (c.cmp, v, rhs) {
                    (IntCmp::IsSet, v, _) => v.is_some(),
                    (IntCmp::IsNotSet, v, _) => v.is_none(),
                    (_, None, _) | (_, _, None) => false,
                    (IntCmp::Eq, Some(a), Some(b)) => a == b,
                    (IntCmp::Ne, Some(a), Some(b)) => a != b,
                    (IntCmp::Lt, Some(a), Some(b)) => a < b,
                    (IntCmp::Le, Some(a), Some(b)) => a <= b,
                    (IntCmp::Gt, Some(a), Some(b)) => a > b,
                    (IntCmp::Ge, Some(a), Some(b)) => a >= b,
                }
            }
        })
    }

    fn buffers(&self, s: &Signature, e: &Eval, ctx: &mut DetectCtx) -> bool {
        let DetectCtx {
            vars, tbuf, abuf, ..
        } = ctx;
        let vars = &mut vars[..s.nvars];
        vars.iter_mut().for_each(|v| *v = 0);
        for list in &s.buffers {
            let mut check = |raw: &[u8]| {
                let buf: &[u8] = if list.transforms.is_empty() {
                    raw
                } else {
                    let [a, b] = &mut *tbuf;
                    a.clear();
                    a.extend_from_slice(raw);
                    for t in &list.transforms {
                        t.apply(a, b);
                        std::mem::swap(a, b);
                    }
                    &tbuf[0]
                };
                inspect::inspect(&list.steps, buf, vars)
            };
            let ok = match list.kind {
                BufferKind::Payload => check(e.payload),
                BufferKind::App(a) => match e.tx {
                    // A buffer of one direction is read there even when
                    // the rule is inspected in the other (the
                    // transaction holds both by then).
                    Some((tx, dir)) => a.fetch(tx, a.dir().unwrap_or(dir), abuf, &mut check),
                    None => false,
                },
                k => k.header_of(e.p).is_some_and(&mut check),
            };
            if !ok {
                return false;
            }
        }
        true
    }

    fn post(
        &self,
        s: &Signature,
        p: &PacketView,
        now: u64,
        flow: &mut FlowDetectState,
        hosts: &Mutex<HostTable>,
    ) {
        for op in &s.post {
            match op {
                PostMatch::Flowbits(o) => {
                    let on = match o.cmd {
                        BitsCmd::Set => true,
                        BitsCmd::Unset => false,
                        BitsCmd::Toggle => !flow.bit(o.id),
                    };
                    flow.set_bit(o.id, on);
                }
                PostMatch::Hostbits(o) => {
                    let targets: &[_] = match o.dir {
                        HostDir::Src => &[BitOwner::Host(p.src)],
                        HostDir::Dst => &[BitOwner::Host(p.dst)],
                        HostDir::Both => &[BitOwner::Host(p.src), BitOwner::Host(p.dst)],
                        HostDir::Pair => &[BitOwner::pair(p.src, p.dst)],
                    };
                    let mut hosts = lock(hosts);
                    for &h in targets {
                        let on = match o.cmd {
                            BitsCmd::Set => true,
                            BitsCmd::Unset => false,
                            BitsCmd::Toggle => !hosts.get(h, o.id, now),
                        };
                        hosts.set(
                            h,
                            o.id,
                            on,
                            now,
                            now.saturating_add(o.expire * 1_000_000_000),
                        );
                    }
                }
                PostMatch::Flowint(o) => {
                    let rhs = match &o.value {
                        IntVal::Lit(x) => Some(*x),
                        IntVal::Var(_, id) => flow.int(*id),
                    };
                    let Some(rhs) = rhs else { continue };
                    let cur = flow.int(o.var.1);
                    // As Suricata 7.0.10 (measured: `flowint:v,notset;
                    // flowint:v,+,5` alerts once per flow and `v,==,5`
                    // holds after it; with `-` it alerts on every packet
                    // and `v,isset` never holds): adding to an unset
                    // variable sets it, subtracting leaves it unset.
                    let new = match (o.op, cur) {
                        (IntOp::Set, _) | (IntOp::Add, None) => Some(rhs),
                        (IntOp::Add, Some(c)) => Some(c.wrapping_add(rhs)),
                        (IntOp::Sub, Some(c)) => Some(c.wrapping_sub(rhs)),
                        (IntOp::Sub, None) => None,
                    };
                    if let Some(v) = new {
                        flow.set_int(o.var.1, v);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::load::Loader;
    use crate::detect::packet::tests::tcp4;
    use crate::detect::rule::vars::RuleVars;

    fn set(rules: &str) -> RuleSet {
        let vars = RuleVars::default();
        let mut l = Loader::new(&vars, None);
        l.add_text(rules, "t.rules");
        let (set, r) = l.finish();
        assert!(r.failed.is_empty() && r.unsupported == 0, "{:?}", r.failed);
        set
    }

    struct Run {
        set: RuleSet,
        ctx: DetectCtx,
        flow: FlowDetectState,
    }

    impl Run {
        fn new(rules: &str) -> Self {
            Run {
                set: set(rules),
                ctx: DetectCtx::default(),
                flow: FlowDetectState::default(),
            }
        }

        fn sids(&mut self, pkt: &[u8], info: FlowInfo, what: Inspection, t: u64) -> Vec<u32> {
            let p = PacketView::from_ip(pkt).unwrap();
            let mut out = Vec::new();
            let input = Input {
                packet: &p,
                flow: info,
                what,
                now_ns: t * 1_000_000_000,
            };
            self.set
                .inspect(&input, &mut self.flow, &mut self.ctx, &mut out);
            out.iter().map(|a| a.sid).collect()
        }
    }

    fn ts() -> FlowInfo {
        FlowInfo {
            to_server: true,
            established: true,
            ..Default::default()
        }
    }

    #[test]
    fn shareable_across_workers() {
        fn shared<T: Send + Sync>() {}
        fn owned<T: Send>() {}
        shared::<RuleSet>();
        owned::<DetectCtx>();
        owned::<FlowDetectState>();
    }

    #[test]
    fn ip_only_rules_fire_once_per_direction() {
        let mut r = Run::new(
            "alert ip any any -> any any (sid:1;)\n\
             alert tcp any any -> any 80 (sid:2;)\n\
             alert tcp any any -> any any (flow:established; sid:3;)\n",
        );
        let pkt = tcp4(0x18, b"GET /");
        assert_eq!(r.sids(&pkt, ts(), Inspection::Packet, 0), [1, 2, 3]);
        assert_eq!(r.sids(&pkt, ts(), Inspection::Packet, 0), [3]);
        let back = FlowInfo {
            to_server: false,
            ..ts()
        };
        assert_eq!(r.sids(&pkt, back, Inspection::Packet, 0), [1, 2, 3]);
    }

    #[test]
    fn ip_only_rules_fire_on_every_flowless_packet() {
        // suricata-verify derived-header-keywords, frames 616 and 620:
        // IGMPv3 reports to 224.0.0.22; Suricata keeps no flow for IGMP.
        let igmp: Vec<u8> = [
            0x46, 0, 0, 0x1c, 0x02, 0x8e, 0, 0, 1, 2, 0, 0, 192, 168, 100, 67, 224, 0, 0, 22, 0x94,
            4, 0, 0, 0x22, 0, 0, 0,
        ]
        .to_vec();
        let mut r = Run::new("alert ip any any -> 224.0.0.0/4 any (sid:28;)\n");
        assert_eq!(r.sids(&igmp, ts(), Inspection::Packet, 0), [28]);
        assert_eq!(r.sids(&igmp, ts(), Inspection::Packet, 1), [28]);
    }

    #[test]
    fn no_payload_inspection_keeps_header_rules() {
        let mut r = Run::new(
            "alert tcp any any -> any any (content:\"EVIL\"; sid:1;)\n\
             alert tcp any any -> any any (dsize:>0; sid:2;)\n\
             alert tcp any any -> any any (dsize:<10; sid:3;)\n\
             alert tcp any any -> any any (flags:PA; sid:4;)\n",
        );
        let pkt = tcp4(0x18, b"EVIL");
        assert_eq!(r.sids(&pkt, ts(), Inspection::Packet, 0), [1, 2, 3, 4]);
        r.flow.no_payload_inspection = true;
        assert_eq!(r.sids(&pkt, ts(), Inspection::Packet, 0), [3, 4]);
        assert!(
            r.sids(&pkt, ts(), Inspection::Stream(b"EVIL"), 0)
                .is_empty()
        );
    }

    #[test]
    fn payload_rules_on_packet_and_stream() {
        let mut r = Run::new(
            "alert tcp any any -> any any (content:\"EVIL\"; sid:1;)\n\
             alert tcp-stream any any -> any any (content:\"EVIL\"; sid:2;)\n\
             alert tcp-pkt any any -> any any (content:\"EVIL\"; sid:3;)\n\
             alert tcp any any -> any any (content:\"EV\"; depth:2; dsize:4; sid:4;)\n",
        );
        let pkt = tcp4(0x18, b"EVIL");
        assert_eq!(r.sids(&pkt, ts(), Inspection::Packet, 0), [1, 3, 4]);
        // The stream chunk holds the same bytes later in the stream.
        assert_eq!(r.sids(&pkt, ts(), Inspection::Stream(b"xxEVIL"), 0), [1, 2]);
        // dsize requires the packet (Suricata's SIG_FLAG_REQUIRE_PACKET):
        // never matched on stream data, even when the chunk is the packet's.
        assert_eq!(r.sids(&pkt, ts(), Inspection::Stream(b"EVIL"), 0), [1, 2]);
        // A packet whose payload went into the stream: only the rules that
        // require the packet match its payload.
        assert_eq!(
            r.sids(&pkt, ts(), Inspection::PacketInStream(None), 0),
            [3, 4]
        );
        // With a stream chunk inspected on the same packet: stream rules
        // read the chunk, packet rules the packet, one evaluation each.
        let chunk = Inspection::PacketInStream(Some(b"..EVIL"));
        assert_eq!(r.sids(&pkt, ts(), chunk, 0), [1, 2, 3, 4]);
        let chunk = Inspection::PacketInStream(Some(b"nothing"));
        assert_eq!(r.sids(&pkt, ts(), chunk, 0), [3, 4]);
    }

    /// Fast patterns anchored near the buffer start are searched only in
    /// their region (the shallow automata): found there, and a rule whose
    /// pattern lies past its region is not matched.
    #[test]
    fn anchored_fast_patterns_are_found_in_their_region() {
        let mut r = Run::new(
            "alert tcp any any -> any any (content:\"ABCD\"; depth:4; sid:1;)\n\
             alert tcp any any -> any any (content:\"WXYZ\"; offset:200; depth:40; sid:2;)\n\
             alert tcp any any -> any any (content:\"LMNO\"; offset:600; depth:10; sid:3;)\n\
             alert tcp any any -> any any (content:\"ABCD\"; sid:4;)\n\
             alert tcp any any -> any any (content:\"QRST\"; startswith; sid:5;)\n",
        );
        let mut payload = vec![b'.'; 700];
        payload[..4].copy_from_slice(b"ABCD");
        payload[210..214].copy_from_slice(b"WXYZ");
        payload[605..609].copy_from_slice(b"LMNO");
        let pkt = tcp4(0x18, &payload);
        assert_eq!(r.sids(&pkt, ts(), Inspection::Packet, 0), [1, 2, 3, 4]);
        // Each pattern moved past its region: only the unanchored rule.
        let mut late = vec![b'.'; 700];
        late[1..5].copy_from_slice(b"ABCD");
        late[237..241].copy_from_slice(b"WXYZ");
        late[607..611].copy_from_slice(b"LMNO");
        let pkt = tcp4(0x18, &late);
        assert_eq!(r.sids(&pkt, ts(), Inspection::Packet, 0), [4]);
        assert_eq!(r.sids(&pkt, ts(), Inspection::Stream(&late), 0), [4]);
        let pkt = tcp4(0x18, b"QRST and more");
        assert_eq!(r.sids(&pkt, ts(), Inspection::Packet, 0), [5]);
    }

    /// Suricata's SigValidate: a TCP rule whose payload content is anchored
    /// (depth, offset, startswith) or that uses stream_size requires the
    /// stream and the packet: the chunk first, else the packet, so it can
    /// alert on a data packet and again on the stream holding its bytes.
    #[test]
    fn anchored_payload_rules_match_packet_and_stream() {
        let mut r = Run::new(
            "alert tcp any any -> any any (content:\"EV\"; depth:2; sid:1;)\n\
             alert tcp any any -> any any (content:\"IL\"; offset:2; sid:2;)\n\
             alert tcp any any -> any any (content:\"EVIL\"; startswith; sid:3;)\n\
             alert tcp any any -> any any (content:!\"POST\"; depth:4; content:\"VIL\"; sid:4;)\n\
             alert tcp any any -> any any (content:\"EVIL\"; sid:5;)\n\
             alert tcp any any -> any any (flow:only_stream; content:\"EV\"; depth:2; sid:6;)\n\
             alert tcp-stream any any -> any any (content:\"EV\"; depth:2; sid:7;)\n\
             alert udp any any -> any any (content:\"EV\"; depth:2; sid:8;)\n",
        );
        let kinds: Vec<_> = r.set.sigs.iter().map(|s| s.payload_on).collect();
        use crate::detect::signature::PayloadOn as O;
        assert_eq!(
            kinds,
            [
                O::Both,
                O::Both,
                O::Both,
                O::Both,
                O::Stream,
                O::Stream,
                O::Stream,
                O::Stream
            ]
        );
        let pkt = tcp4(0x18, b"EVIL");
        // Data packet, its bytes not acknowledged yet: the anchored rules
        // match the packet.
        assert_eq!(
            r.sids(&pkt, ts(), Inspection::PacketInStream(None), 0),
            [1, 2, 3, 4]
        );
        // Later, the stream from its start: every rule but the packet-only.
        assert_eq!(
            r.sids(&pkt, ts(), Inspection::Stream(b"EVIL"), 0),
            [1, 2, 3, 4, 5, 6, 7]
        );
        // A chunk where the bytes are not at its start: the rules anchored
        // there fall back to the packet on a packet (1, 3), and do not
        // match the chunk alone (a flush); offset 2 and the negated
        // content still hold in it.
        let chunk = Inspection::PacketInStream(Some(b"xxEVIL"));
        assert_eq!(r.sids(&pkt, ts(), chunk, 0), [1, 2, 3, 4, 5]);
        assert_eq!(
            r.sids(&pkt, ts(), Inspection::Stream(b"xxEVIL"), 0),
            [2, 4, 5]
        );
    }

    /// Rules without a pattern held by the address index: found by the
    /// packet's source or destination, IP-only ones on a direction's first
    /// packet only, others (a flowbits setter) on every packet.
    #[test]
    fn address_indexed_rules() {
        let mut r = Run::new(
            "alert ip [10.0.0.1,10.9.9.9] any -> any any (msg:\"by src, ip-only\"; sid:1;)\n\
             alert tcp any any -> [192.0.2.1,172.16.0.0/12] any (msg:\"by dst\"; flowbits:set,x; sid:2;)\n\
             alert udp [10.0.0.1] any -> any any (msg:\"other class\"; sid:3;)\n\
             alert ip [203.0.113.0/24] any -> any any (msg:\"not this source\"; sid:4;)\n",
        );
        // tcp4: 10.0.0.1 -> 192.0.2.1. (Flowbit setters run first.)
        let pkt = tcp4(0x18, b"x");
        assert_eq!(r.sids(&pkt, ts(), Inspection::Packet, 0), [2, 1]);
        assert_eq!(r.sids(&pkt, ts(), Inspection::Packet, 0), [2]);
    }

    #[test]
    fn pass_wins_and_passes_the_flow() {
        let mut r = Run::new(
            "alert tcp any any -> any 80 (content:\"GET\"; sid:2;)\n\
             pass tcp any any -> any 80 (content:\"GET\"; sid:1;)\n",
        );
        let pkt = tcp4(0x18, b"GET /");
        assert!(r.sids(&pkt, ts(), Inspection::Packet, 0).is_empty());
        assert!(r.flow.passed);
    }

    #[test]
    fn flowbits_set_then_isset_and_noalert() {
        let mut r = Run::new(
            "alert tcp any any -> any any (content:\"EHLO\"; flowbits:set,helo; flowbits:noalert; sid:1;)\n\
             alert tcp any any -> any any (flowbits:isset,other|helo; content:\"DATA\"; flowbits:unset,helo; sid:2;)\n\
             alert tcp any any -> any any (flowbits:isnotset,helo; content:\"DATA\"; sid:3;)\n",
        );
        assert_eq!(
            r.sids(&tcp4(0x18, b"DATA"), ts(), Inspection::Packet, 0),
            [3]
        );
        assert!(
            r.sids(&tcp4(0x18, b"EHLO x"), ts(), Inspection::Packet, 0)
                .is_empty()
        );
        // sid 2 unsets `helo`; sid 3 runs after it (readers after writers)
        // and sees the bit cleared on the same packet.
        assert_eq!(
            r.sids(&tcp4(0x18, b"DATA"), ts(), Inspection::Packet, 0),
            [2, 3]
        );
        assert_eq!(
            r.sids(&tcp4(0x18, b"DATA"), ts(), Inspection::Packet, 0),
            [3]
        );
    }

    #[test]
    fn flowint_add_on_unset_sets_it_subtract_does_not() {
        // As Suricata 7.0.10 (see `post`): `+` on an unset variable sets
        // it, so `notset` holds once; `-` on an unset one leaves it unset.
        let mut r = Run::new(
            "alert tcp any any -> any any (flowint:c,notset; flowint:c,+,1; sid:2;)\n\
             alert tcp any any -> any any (flowint:e,notset; flowint:e,-,1; sid:5;)\n\
             alert tcp any any -> any any (content:\"x\"; flowint:d,=,5; noalert; sid:3;)\n\
             alert tcp any any -> any any (flowint:d,>,4; flowint:d,-,1; sid:4;)\n",
        );
        let p = tcp4(0x18, b"x");
        // sid 3 (writer) sets d = 5 before sid 4 reads it on the same packet.
        let mut got = r.sids(&p, ts(), Inspection::Packet, 0);
        got.sort_unstable();
        assert_eq!(got, [2, 4, 5]);
        assert_eq!(r.flow.int(*r.set.int_ids.get("d").unwrap()), Some(4));
        assert_eq!(r.flow.int(*r.set.int_ids.get("c").unwrap()), Some(1));
        let q = tcp4(0x18, b"y");
        // d = 4 is not > 4: sid 4 stays silent and d is unchanged.
        assert_eq!(r.sids(&q, ts(), Inspection::Packet, 0), [5]);
        assert_eq!(r.flow.int(*r.set.int_ids.get("d").unwrap()), Some(4));
    }

    #[test]
    fn threshold_limits_alerts() {
        let mut r = Run::new(
            "alert tcp any any -> any any (flags:PA; threshold:type limit, track by_src, count 2, seconds 60; sid:1;)\n\
             alert tcp any any -> any any (flags:PA; detection_filter:track by_dst, count 2, seconds 60; sid:2;)\n",
        );
        let p = tcp4(0x18, b"x");
        let got: Vec<Vec<u32>> = (0..4)
            .map(|t| r.sids(&p, ts(), Inspection::Packet, t))
            .collect();
        assert_eq!(got, [vec![1], vec![1], vec![2], vec![2]]);
    }

    #[test]
    fn bidirectional_and_header_buffers() {
        let mut r = Run::new(
            "alert tcp any 80 <> any any (content:\"GET\"; sid:1;)\n\
             alert tcp any 80 -> any any (content:\"GET\"; sid:2;)\n\
             alert tcp any any -> any any (tcp.hdr; content:\"|02 04 05 b4|\"; offset:20; depth:4; sid:3;)\n\
             alert ip any any -> any any (ipv4.hdr; content:\"|12 34|\"; offset:4; depth:2; sid:4;)\n",
        );
        let p = tcp4(0x18, b"GET /");
        assert_eq!(r.sids(&p, ts(), Inspection::Packet, 0), [1, 3, 4]);
    }

    #[test]
    fn decode_and_stream_events() {
        let mut r = Run::new(
            "alert tcp any any -> any any (decode-event:tcp.pkt_too_small; sid:1;)\n\
             alert tcp any any -> any any (stream-event:suspected_rst_inject; sid:2;)\n",
        );
        // suricata-verify decode-too-small, packet 1: IPv4, TCP, no bytes.
        let empty_tcp = [
            0x45, 0, 0, 20, 0, 1, 0, 0, 64, 6, 0x74, 0xde, 1, 1, 1, 1, 2, 2, 2, 2,
        ];
        assert_eq!(r.sids(&empty_tcp, ts(), Inspection::Packet, 0), [1]);
        let pkt = tcp4(0x18, b"GET /");
        assert!(r.sids(&pkt, ts(), Inspection::Packet, 0).is_empty());
        // An event the stream stage raised, added by the pipeline.
        let mut p = PacketView::from_ip(&pkt).unwrap();
        p.events
            .insert(crate::detect::Event::StreamSuspectedRstInject);
        let mut out = Vec::new();
        let input = Input {
            packet: &p,
            flow: ts(),
            what: Inspection::Packet,
            now_ns: 0,
        };
        r.set.inspect(&input, &mut r.flow, &mut r.ctx, &mut out);
        assert_eq!(out.iter().map(|a| a.sid).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn transforms_feed_content() {
        let mut r = Run::new(
            "alert tcp any any -> any any (tcp.hdr; to_sha256; content:\"|00|\"; sid:1;)\n\
             alert udp any any -> any any (udp.hdr; to_lowercase; content:\"x\"; sid:2;)\n",
        );
        let p = tcp4(0x18, b"x");
        // sha256 of this header contains a zero byte or not: compute the oracle here.
        use sha2::Digest;
        let hdr = PacketView::from_ip(&p).unwrap().l4_header().to_vec();
        let want = sha2::Sha256::digest(&hdr).contains(&0);
        assert_eq!(r.sids(&p, ts(), Inspection::Packet, 0) == [1], want);
    }

    #[test]
    fn transaction_rules_match_each_transaction_once_per_direction() {
        use crate::applayer::http::{HttpTx, Progress};
        let mut r = Run::new(
            "alert http any any -> any any (content:\"/adm\"; http_uri; sid:1;)\n\
             alert http any any -> any any (http.stat_code; content:\"404\"; sid:2;)\n\
             alert dns any any -> any any (dns.query; content:\"x\"; sid:3;)\n\
             alert tcp any any -> any any (content:\"/adm\"; sid:4;)",
        );
        let mut tx = HttpTx::new(0);
        tx.uri = b"/admin".to_vec();
        tx.uri_raw = b"/admin".to_vec();
        tx.request_progress = Progress::Headers;
        let pkt = tcp4(0x10, b"");
        let p = PacketView::from_ip(&pkt).unwrap();
        let mut matched = Vec::new();
        let run = |r: &mut Run, tx: &HttpTx, f: FlowInfo, m: &mut Vec<u32>| {
            let input = Input {
                packet: &p,
                flow: f,
                what: Inspection::Packet,
                now_ns: 0,
            };
            let mut out = Vec::new();
            r.set
                .inspect_tx(&input, Tx::Http(tx), m, &mut r.flow, &mut r.ctx, &mut out);
            out.iter().map(|a| a.sid).collect::<Vec<_>>()
        };
        // Transaction rules never run on packets; packet rules never on
        // transactions.
        assert_eq!(
            r.sids(&tcp4(0x18, b"GET /adm"), ts(), Inspection::Packet, 0),
            [4]
        );
        assert_eq!(run(&mut r, &tx, ts(), &mut matched), [1]);
        // Matched already: no second alert on the same transaction.
        assert!(run(&mut r, &tx, ts(), &mut matched).is_empty());
        // The response side: not ready until its line is parsed.
        let tc = FlowInfo {
            to_server: false,
            ..ts()
        };
        let mut m2 = Vec::new();
        tx.status = b"404".to_vec();
        assert!(run(&mut r, &tx, tc, &mut m2).is_empty());
        tx.response_progress = Progress::Headers;
        assert_eq!(run(&mut r, &tx, tc, &mut m2), [2]);
    }

    #[test]
    fn legacy_modifiers_and_pcre_flags_move_to_their_buffer() {
        let set = set(
            "alert http any any -> any any (content:\"GET\"; http_method; content:\"/a\"; fast_pattern; http_uri; pcre:\"/x$/U\"; sid:1;)",
        );
        let s = &set.sigs[0];
        assert!(s.is_tx() && !s.has_payload(), "{:?}", s.buffers);
        let kinds: Vec<_> = s.buffers.iter().map(|b| b.kind.keyword()).collect();
        assert_eq!(kinds, ["http.method", "http.uri"]);
        assert_eq!(s.buffers[1].steps.len(), 2);
        assert_eq!(s.fast_pattern.as_ref().unwrap().pattern, b"/a");
        assert_eq!(s.alproto, Some(crate::applayer::AppProto::Http));
    }

    /// As Suricata 7.0.10 on bug-5162 (`alert smb|dcerpc|tcp … dce_opnum:12`
    /// each alert on its SMB flow's pipe calls; `alert dcerpc` without
    /// keywords alerts on SMB flows too), and an SMB rule never reads the
    /// DCE/RPC of a DCE/RPC-over-TCP flow.
    #[test]
    fn dcerpc_rules_on_smb_flows() {
        use crate::applayer::dcerpc::{Carrier, DcerpcState};
        use crate::applayer::test_hex as hex;
        let mut r = Run::new(
            "alert tcp any any -> any any (dce_opnum:4; sid:1;)\n\
             alert dcerpc any any -> any any (dce_opnum:4; sid:2;)\n\
             alert smb any any -> any any (dce_opnum:4; sid:3;)\n\
             alert dcerpc any any -> any any (sid:4;)\n\
             alert smb any any -> any any (sid:5;)",
        );
        // dcerpc-issue-7187-01 frame 7: REQUEST opnum 4.
        let mut d = DcerpcState::new(Carrier::Smb);
        d.parse(
            Direction::ToServer,
            &hex("05000003100000001c00000001000000040000000000040002000000"),
        );
        let pkt = tcp4(0x18, b"x");
        let p = PacketView::from_ip(&pkt).unwrap();
        let on = |flow: AppProto| FlowInfo {
            app: crate::detect::FlowApp {
                flow,
                dirs: [flow, flow],
                detected_now: false,
                events: Default::default(),
            },
            ..ts()
        };
        let sids = |r: &mut Run, flow: AppProto| {
            let input = Input {
                packet: &p,
                flow: on(flow),
                what: Inspection::Packet,
                now_ns: 0,
            };
            let mut out = Vec::new();
            r.set.inspect_tx(
                &input,
                Tx::Dcerpc(&d, &d.txs()[0]),
                &mut Vec::new(),
                &mut r.flow,
                &mut r.ctx,
                &mut out,
            );
            r.set.inspect(&input, &mut r.flow, &mut r.ctx, &mut out);
            let mut v: Vec<u32> = out.iter().map(|a| a.sid).collect();
            v.sort_unstable();
            v
        };
        assert_eq!(sids(&mut r, AppProto::Smb), [1, 2, 3, 4, 5]);
        assert_eq!(sids(&mut r, AppProto::Dcerpc), [1, 2, 4]);
        assert!(AppProto::Dcerpc.rule_matches(AppProto::Smb));
        assert!(!AppProto::Smb.rule_matches(AppProto::Dcerpc));
        assert!(AppProto::Smb.rule_reads(AppProto::Dcerpc));
        assert!(!AppProto::Dcerpc.rule_reads(AppProto::Smb));
    }
}
