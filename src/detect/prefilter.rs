//! The prefilter: which rules are worth evaluating for a packet. One
//! Aho-Corasick automaton per buffer kind over the rules' fast patterns
//! (case-insensitive, so one automaton serves nocase and exact contents;
//! the full evaluation confirms). Rules without a usable pattern are
//! grouped by transport protocol and, when they name few destination
//! ports, by port, so they are not evaluated on every packet.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use hashbrown::HashMap;

use super::keywords::buffers::BufferKind;
use super::packet::{PacketView, proto};
use super::signature::{Proto, Signature};

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

struct Automaton {
    ac: AhoCorasick,
    /// Pattern index → rules.
    rules: Vec<Vec<u32>>,
    /// Offset of this automaton's patterns in the shared seen-marks.
    base: usize,
}

/// Per-kind automata and the no-pattern groups.
pub struct Prefilter {
    automata: Vec<Option<Automaton>>,
    groups: Vec<Group>,
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
    /// Builds the automata and groups for `sigs` (indices are positions).
    pub fn build(sigs: &[Signature]) -> Prefilter {
        let mut pats: Vec<Patterns> = (0..BufferKind::ALL.len())
            .map(|_| Default::default())
            .collect();
        let mut groups: Vec<Group> = (0..CLASSES).map(|_| Group::default()).collect();
        let (mut with, mut without) = (0, 0);
        for (i, s) in sigs.iter().enumerate() {
            let i = i as u32;
            if let Some(fp) = &s.fast_pattern {
                let kind = s.buffers[fp.list].kind.index();
                let (list, index, rules) = &mut pats[kind];
                let key = fp.pattern.to_ascii_lowercase();
                let n = *index.entry(key.clone()).or_insert_with(|| {
                    list.push(key);
                    rules.push(Vec::new());
                    list.len() - 1
                });
                rules[n].push(i);
                with += 1;
                continue;
            }
            without += 1;
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
        let automata = pats
            .into_iter()
            .map(|(list, _, rules)| {
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
                Some(Automaton { ac, rules, base })
            })
            .collect();
        Prefilter {
            automata,
            groups,
            with_pattern: with,
            without_pattern: without,
            patterns,
        }
    }

    /// Collects into `s.candidates` (sorted, unique) the rules worth
    /// evaluating for packet `p` whose payload buffer is `payload`.
    pub fn candidates(&self, p: &PacketView, payload: &[u8], s: &mut Scratch, nrules: usize) {
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
        let epoch = s.epoch;
        for kind in BufferKind::ALL {
            let Some(a) = &self.automata[kind.index()] else {
                continue;
            };
            let buf = match kind {
                BufferKind::Payload => payload,
                k => match k.header_of(p) {
                    Some(b) => b,
                    None => continue,
                },
            };
            if buf.is_empty() {
                continue;
            }
            for m in a.ac.find_overlapping_iter(buf) {
                let pi = m.pattern().as_usize();
                let mark = &mut s.seen_pat[a.base + pi];
                if *mark == epoch {
                    continue;
                }
                *mark = epoch;
                for &r in &a.rules[pi] {
                    if s.seen_rule[r as usize] != epoch {
                        s.seen_rule[r as usize] = epoch;
                        s.candidates.push(r);
                    }
                }
            }
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
        s.candidates.sort_unstable();
    }
}
