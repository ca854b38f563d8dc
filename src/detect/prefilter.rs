//! The prefilter: which rules are worth evaluating for a packet. One
//! Aho-Corasick automaton per buffer kind over the rules' fast patterns
//! (case-insensitive, so one automaton serves nocase and exact contents;
//! the full evaluation confirms). Rules without a usable pattern are
//! grouped by transport protocol and, when they name few destination
//! ports, by port, so they are not evaluated on every packet.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use hashbrown::HashMap;

use super::iponly::{self, Indexed, IpOnlyIndex};
use super::keywords::app::AppBuf;
use super::keywords::buffers::BufferKind;
use super::packet::{PacketView, proto};
use super::signature::{PayloadOn, Proto, Signature};
use super::tx::Tx;
use crate::applayer::{AppProto, Direction};

/// Transport classes for the no-pattern groups.
const CLASSES: usize = 6;

fn class_of(p: u8) -> usize {
    match p {
        proto::TCP => 0,
        proto::UDP => 1,
        proto::ICMP => 2,
        proto::ICMPV6 => 3,
        proto::SCTP => 4,
        _ => 5,
    }
}

fn classes_of(p: &Proto) -> &'static [usize] {
    match p {
        Proto::Tcp | Proto::TcpPkt | Proto::TcpStream => &[0],
        Proto::Udp => &[1],
        Proto::Icmp => &[2, 3],
        Proto::Icmpv4 => &[2],
        Proto::Icmpv6 => &[3],
        Proto::Sctp => &[4],
        _ => &[0, 1, 2, 3, 4, 5],
    }
}

/// Destination ports listed per rule at most this many to be bucketed.
const MAX_BUCKET_PORTS: usize = 16;

#[derive(Default)]
struct Group {
    any_port: Vec<u32>,
    by_dport: HashMap<u16, Vec<u32>>,
}

/// Per buffer kind while building: patterns, pattern → index, index → rules.
type Patterns = (Vec<Vec<u8>>, HashMap<Vec<u8>, usize>, Vec<Vec<u32>>);

/// Prefix lengths the shallow payload automata scan: a fast pattern
/// anchored to end within one of them (`depth`, `startswith`) is searched
/// only there, so the many anchored rules of a rule set do not cost a scan
/// of every payload byte.
const SHALLOW: [usize; 2] = [32, 256];

/// The shallow automaton a pattern ending by `end` belongs to, if any.
fn shallow_bucket(end: Option<usize>) -> Option<usize> {
    end.and_then(|e| SHALLOW.iter().position(|&l| e <= l))
}

struct Automaton {
    ac: AhoCorasick,
    /// Only the first `limit` bytes of a buffer are scanned.
    limit: usize,
    /// Pattern index → rules.
    rules: Vec<Vec<u32>>,
    /// Offset of this automaton's patterns in the shared seen-marks.
    base: usize,
}

/// Per-kind automata and the no-pattern groups.
pub struct Prefilter {
    automata: Vec<Option<Automaton>>,
    /// Payload fast patterns of the rules that may match a packet of a TCP
    /// stream ([`PayloadOn::Packet`] and [`PayloadOn::Both`]); the payload
    /// automaton in `automata` holds those that may match the stream
    /// ([`PayloadOn::Stream`] and `Both`). A packet of a stream is scanned
    /// by this one, its stream chunk by the other, so each automaton only
    /// reads bytes its rules can match.
    packet_payload: Option<Automaton>,
    /// Payload patterns anchored near the start ([`SHALLOW`]): stream
    /// side, then packet side.
    shallow: [Vec<Automaton>; 2],
    /// Per rule, the transport classes it can match (bit per class): a
    /// pattern hit in a packet of another class is not a candidate.
    rule_classes: Vec<u8>,
    groups: Vec<Group>,
    /// IP-only rules (evaluated on a flow direction's first packet only):
    /// indexed by address, and per class those the index cannot hold.
    ip_only: IpOnlyIndex,
    ip_only_other: Vec<Vec<u32>>,
    /// Other rules without a fast pattern whose source or destination is a
    /// narrow address set (reputation lists that also set flowbits):
    /// indexed by address, looked up on every packet.
    by_addr: IpOnlyIndex,
    /// Transaction rules without an application-layer fast pattern, by
    /// protocol.
    tx_no_pattern: Vec<(AppProto, Vec<u32>)>,
    /// Rules with a fast pattern.
    pub with_pattern: usize,
    /// Rules in the no-pattern groups.
    pub without_pattern: usize,
    patterns: usize,
}

/// Reusable buffers for candidate collection (one per worker).
#[derive(Debug, Default)]
pub struct Scratch {
    seen_rule: Vec<u32>,
    seen_pat: Vec<u32>,
    epoch: u32,
    /// The candidates of the last call, sorted.
    pub candidates: Vec<u32>,
}

impl Prefilter {
    /// Builds the automata and groups for `sigs` (indices are positions);
    /// `ip_only[i]` says whether rule `i` is an IP-only rule.
    pub fn build(sigs: &[Signature], ip_only: &[bool]) -> Prefilter {
        let mut pats: Vec<Patterns> = (0..BufferKind::COUNT).map(|_| Default::default()).collect();
        let mut packet_pats: Patterns = Default::default();
        // [side][bucket]: 0 stream, 1 packet.
        let mut shallow_pats: [[Patterns; SHALLOW.len()]; 2] = Default::default();
        let mut groups: Vec<Group> = (0..CLASSES).map(|_| Group::default()).collect();
        let mut ip_only_other: Vec<Vec<u32>> = vec![Vec::new(); CLASSES];
        let (mut with, mut without) = (0, 0);
        let rule_classes = sigs
            .iter()
            .map(|s| classes_of(&s.proto).iter().fold(0u8, |m, &c| m | (1 << c)))
            .collect();
        let mut tx_no_pattern: Vec<(AppProto, Vec<u32>)> = Vec::new();
        for (i, s) in sigs.iter().enumerate() {
            let i = i as u32;
            if s.is_tx() {
                // Transaction rules: by their application-layer fast
                // pattern, else listed under their protocol.
                match &s.fast_pattern {
                    Some(fp) if s.buffers[fp.list].kind.app().is_some() => {}
                    _ => {
                        let proto = s.alproto.unwrap_or_default();
                        match tx_no_pattern.iter_mut().find(|(p, _)| *p == proto) {
                            Some((_, l)) => l.push(i),
                            None => tx_no_pattern.push((proto, vec![i])),
                        }
                        without += 1;
                        continue;
                    }
                }
            }
            if let Some(fp) = &s.fast_pattern {
                let kind = s.buffers[fp.list].kind;
                let key = fp.pattern.to_ascii_lowercase();
                let add = |(list, index, rules): &mut Patterns| {
                    let n = *index.entry(key.clone()).or_insert_with(|| {
                        list.push(key.clone());
                        rules.push(Vec::new());
                        list.len() - 1
                    });
                    rules[n].push(i);
                };
                if kind == BufferKind::Payload {
                    let sides = match s.payload_on {
                        PayloadOn::Stream => [true, false],
                        PayloadOn::Packet => [false, true],
                        PayloadOn::Both => [true, true],
                    };
                    for (side, _) in sides.iter().enumerate().filter(|(_, on)| **on) {
                        match (shallow_bucket(fp.end), side) {
                            (Some(b), _) => add(&mut shallow_pats[side][b]),
                            (None, 0) => add(&mut pats[kind.index()]),
                            (None, _) => add(&mut packet_pats),
                        }
                    }
                } else {
                    add(&mut pats[kind.index()]);
                }
                with += 1;
                continue;
            }
            without += 1;
            let indexed = iponly::side_of(s) != Indexed::No;
            if ip_only.get(i as usize).copied().unwrap_or(false) {
                if !indexed {
                    for &c in classes_of(&s.proto) {
                        ip_only_other[c].push(i);
                    }
                }
                continue;
            }
            if indexed {
                continue;
            }
            let ports = if s.bidirectional || !s.proto.has_ports() {
                None
            } else {
                s.dport.few(MAX_BUCKET_PORTS)
            };
            for &c in classes_of(&s.proto) {
                match &ports {
                    Some(ps) if c != 5 => {
                        for &p in ps {
                            groups[c].by_dport.entry(p).or_default().push(i);
                        }
                    }
                    _ => groups[c].any_port.push(i),
                }
            }
        }
        let mut patterns = 0;
        let mut automaton = |(list, _, rules): Patterns, limit: usize| {
            if list.is_empty() {
                return None;
            }
            let ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&list)
                .ok()?;
            let base = patterns;
            patterns += list.len();
            Some(Automaton {
                ac,
                limit,
                rules,
                base,
            })
        };
        let automata = pats.into_iter().map(|p| automaton(p, usize::MAX)).collect();
        let packet_payload = automaton(packet_pats, usize::MAX);
        let shallow = shallow_pats.map(|side| {
            side.into_iter()
                .zip(SHALLOW)
                .filter_map(|(p, limit)| automaton(p, limit))
                .collect()
        });
        let no_pattern = |want_ip_only: bool| {
            sigs.iter()
                .enumerate()
                .filter(move |(i, s)| {
                    s.fast_pattern.is_none()
                        && !s.is_tx()
                        && ip_only.get(*i).copied().unwrap_or(false) == want_ip_only
                })
                .map(|(i, s)| (i as u32, s))
        };
        let by_addr = IpOnlyIndex::build(no_pattern(false));
        let ip_only = IpOnlyIndex::build(no_pattern(true));
        Prefilter {
            tx_no_pattern,
            by_addr,
            ip_only,
            ip_only_other,
            automata,
            packet_payload,
            shallow,
            rule_classes,
            groups,
            with_pattern: with,
            without_pattern: without,
            patterns,
        }
    }

    /// Clears the candidates and starts a new epoch of seen-marks.
    fn begin(&self, s: &mut Scratch, nrules: usize) {
        s.candidates.clear();
        s.epoch = s.epoch.wrapping_add(1);
        if s.epoch == 0 {
            s.seen_rule.iter_mut().for_each(|x| *x = 0);
            s.seen_pat.iter_mut().for_each(|x| *x = 0);
            s.epoch = 1;
        }
        if s.seen_rule.len() < nrules {
            s.seen_rule.resize(nrules, 0);
        }
        if s.seen_pat.len() < self.patterns {
            s.seen_pat.resize(self.patterns, 0);
        }
    }

    /// Collects into `s.candidates` (sorted, unique) the transaction rules
    /// worth evaluating on `tx` inspected in direction `dir`: those whose
    /// fast pattern is in one of its buffers, and those of its protocol
    /// without one. `abuf` holds composed buffers.
    pub fn candidates_tx(
        &self,
        tx: Tx<'_>,
        dir: Direction,
        abuf: &mut Vec<u8>,
        s: &mut Scratch,
        nrules: usize,
    ) {
        self.begin(s, nrules);
        let epoch = s.epoch;
        for &a in AppBuf::ALL {
            let Some(au) = &self.automata[BufferKind::App(a).index()] else {
                continue;
            };
            a.fetch(tx, a.dir().unwrap_or(dir), abuf, &mut |buf| {
                self.hits(au, buf, None, s);
                false
            });
        }
        for (proto, rules) in &self.tx_no_pattern {
            if proto.rule_reads(tx.proto()) {
                for &r in rules {
                    if s.seen_rule[r as usize] != epoch {
                        s.seen_rule[r as usize] = epoch;
                        s.candidates.push(r);
                    }
                }
            }
        }
        s.candidates.sort_unstable();
    }

    /// Adds to `s.candidates` the rules of the patterns `a` finds in the
    /// first `a.limit` bytes of `buf` (each pattern and rule once per
    /// call of [`begin`](Self::begin)), of transport `class` when given.
    fn hits(&self, a: &Automaton, buf: &[u8], class: Option<u8>, s: &mut Scratch) {
        let buf = &buf[..buf.len().min(a.limit)];
        if buf.is_empty() {
            return;
        }
        let epoch = s.epoch;
        for m in a.ac.find_overlapping_iter(buf) {
            let pi = m.pattern().as_usize();
            let mark = &mut s.seen_pat[a.base + pi];
            if *mark == epoch {
                continue;
            }
            *mark = epoch;
            for &r in &a.rules[pi] {
                if s.seen_rule[r as usize] != epoch
                    && class.is_none_or(|c| self.rule_classes[r as usize] & c != 0)
                {
                    s.seen_rule[r as usize] = epoch;
                    s.candidates.push(r);
                }
            }
        }
    }

    /// Collects into `s.candidates` (sorted, unique) the rules worth
    /// evaluating for packet `p`: payload rules whose pattern is in
    /// `packet` (bytes rules that may match a stream's packet can see) or
    /// in `stream` (bytes the stream rules can see; for a packet outside
    /// any stream both are its payload); IP-only rules only when
    /// `ip_only_open` (the first packet of its flow direction).
    pub fn candidates(
        &self,
        p: &PacketView,
        packet: &[u8],
        stream: &[u8],
        ip_only_open: bool,
        s: &mut Scratch,
        nrules: usize,
    ) {
        self.begin(s, nrules);
        let epoch = s.epoch;
        let class = 1u8 << class_of(p.proto);
        let scan = |a: &Automaton, buf: &[u8], s: &mut Scratch| self.hits(a, buf, Some(class), s);
        for kind in BufferKind::ALL {
            let Some(a) = &self.automata[kind.index()] else {
                continue;
            };
            let buf = match kind {
                BufferKind::Payload => stream,
                k => match k.header_of(p) {
                    Some(b) => b,
                    None => continue,
                },
            };
            if !buf.is_empty() {
                scan(a, buf, s);
            }
        }
        if let Some(a) = &self.packet_payload
            && !packet.is_empty()
        {
            scan(a, packet, s);
        }
        for (a, buf) in self.shallow[0].iter().map(|a| (a, stream)) {
            scan(a, buf, s);
        }
        for (a, buf) in self.shallow[1].iter().map(|a| (a, packet)) {
            scan(a, buf, s);
        }
        let group = &self.groups[class_of(p.proto)];
        let push = |list: &[u32], s: &mut Scratch| {
            for &r in list {
                if s.seen_rule[r as usize] != epoch {
                    s.seen_rule[r as usize] = epoch;
                    s.candidates.push(r);
                }
            }
        };
        push(&group.any_port, s);
        if let Some(l) = group.by_dport.get(&p.dport) {
            push(l, s);
        }
        let mut found = |r: u32| {
            if s.seen_rule[r as usize] != epoch && self.rule_classes[r as usize] & class != 0 {
                s.seen_rule[r as usize] = epoch;
                s.candidates.push(r);
            }
        };
        self.by_addr.lookup(p.src, p.dst, &mut found);
        if ip_only_open {
            self.ip_only.lookup(p.src, p.dst, &mut found);
            push(&self.ip_only_other[class_of(p.proto)], s);
        }
        s.candidates.sort_unstable();
    }
}
