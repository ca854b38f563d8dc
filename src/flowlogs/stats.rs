//! Summaries of flow logs: counts, time span, accepted/rejected, top
//! talkers and ports by bytes and by REJECT count, per interface. Each
//! worker fills its own [`Stats`]; they are merged at the end.
//!
//! Memory grows with the number of distinct addresses, ports and interfaces
//! (not with the number of records).
//!
//! The per-address and per-port tables outgrow the caches (one miss per
//! lookup): records are counted in them by batches of [`BATCH`], whose
//! slots are all loaded first so that their misses overlap. Every reader of
//! the tables ([`Stats::merge`], [`Stats::summary`]) sees the batch counted.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::counters::Counters;
use super::record::{Action, LogStatus, Record};

/// Counters of one talker (address, port, interface).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Talker {
    /// Records.
    pub records: u64,
    /// Sum of `bytes`.
    pub bytes: u64,
    /// Sum of `packets`.
    pub packets: u64,
    /// Records with action REJECT.
    pub rejects: u64,
}

impl Talker {
    pub(crate) fn add(&mut self, bytes: u64, packets: u64, reject: bool) {
        self.records += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        self.packets = self.packets.saturating_add(packets);
        self.rejects += u64::from(reject);
    }

    pub(crate) fn merge(&mut self, o: &Self) {
        self.records += o.records;
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.packets = self.packets.saturating_add(o.packets);
        self.rejects += o.rejects;
    }
}

/// Accumulated statistics.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Records seen.
    pub records: u64,
    /// Transit Gateway records among them.
    pub tgw_records: u64,
    /// Sum of `bytes` and `packets` of all records.
    pub total: Talker,
    /// Earliest `start` (seconds).
    pub first_start: Option<u64>,
    /// Latest `end` (seconds).
    pub last_end: Option<u64>,
    /// Records per (action, log-status), indexed by [`action_index`] and
    /// [`status_index`] (`-` or missing at 0).
    by_action_status: [[u64; 4]; 3],
    /// Per source address (IPv4, IPv6).
    sources: Addresses,
    /// Per destination address.
    destinations: Addresses,
    /// Per (protocol, destination port), packed as `protocol << 16 | port`.
    ports: Counters<u32>,
    /// Per interface id (its bytes).
    interfaces: FxHashMap<Box<[u8]>, Talker>,
    /// Records not yet counted in `sources`, `destinations` and `ports`.
    pending: Vec<Pending>,
}

/// Records counted per address and port together (see the module doc).
const BATCH: usize = 32;

/// What one record adds to the per-address and per-port tables.
#[derive(Clone, Copy, Debug)]
struct Pending {
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    /// `protocol << 16 | dstport`.
    port: Option<u32>,
    bytes: u64,
    packets: u64,
    reject: bool,
}

/// Counters per address, IPv4 and IPv6 apart (integer keys).
#[derive(Clone, Debug, Default)]
struct Addresses {
    v4: Counters<u32>,
    v6: Counters<u128>,
}

impl Addresses {
    #[inline]
    fn add(&mut self, a: IpAddr, bytes: u64, packets: u64, reject: bool) {
        match a {
            IpAddr::V4(a) => self.v4.add(u32::from(a), bytes, packets, reject),
            IpAddr::V6(a) => self.v6.add(u128::from(a), bytes, packets, reject),
        }
    }

    #[inline]
    fn touch(&self, a: IpAddr) -> u64 {
        match a {
            IpAddr::V4(a) => self.v4.touch(u32::from(a)),
            IpAddr::V6(a) => self.v6.touch(u128::from(a)),
        }
    }

    fn absorb(&mut self, other: Addresses) {
        self.v4.absorb(other.v4);
        self.v6.absorb(other.v6);
    }

    fn iter(&self) -> impl Iterator<Item = (IpAddr, &Talker)> {
        let v4 = self
            .v4
            .iter()
            .map(|(k, t)| (IpAddr::from(Ipv4Addr::from(k)), t));
        let v6 = self
            .v6
            .iter()
            .map(|(k, t)| (IpAddr::from(Ipv6Addr::from(k)), t));
        v4.chain(v6)
    }
}

const ACTIONS: [Option<Action>; 3] = [None, Some(Action::Accept), Some(Action::Reject)];
const STATUSES: [Option<LogStatus>; 4] = [
    None,
    Some(LogStatus::Ok),
    Some(LogStatus::NoData),
    Some(LogStatus::SkipData),
];

/// Row of an action in [`Stats::by_action_status`] (the order of [`ACTIONS`]).
fn action_index(a: Option<Action>) -> usize {
    match a {
        None => 0,
        Some(Action::Accept) => 1,
        Some(Action::Reject) => 2,
    }
}

/// Column of a log-status (the order of [`STATUSES`]).
fn status_index(s: Option<LogStatus>) -> usize {
    match s {
        None => 0,
        Some(LogStatus::Ok) => 1,
        Some(LogStatus::NoData) => 2,
        Some(LogStatus::SkipData) => 3,
    }
}

impl Stats {
    /// Counts one record.
    pub fn add(&mut self, r: &Record<'_>) {
        self.records += 1;
        if r.schema().is_transit_gateway() {
            self.tgw_records += 1;
        }
        let (bytes, packets) = (r.bytes().unwrap_or(0), r.packets().unwrap_or(0));
        let action = r.action();
        let reject = action == Some(Action::Reject);
        self.total.add(bytes, packets, reject);
        if let Some(s) = r.start() {
            self.first_start = Some(self.first_start.map_or(s, |f| f.min(s)));
        }
        if let Some(e) = r.end() {
            self.last_end = Some(self.last_end.map_or(e, |l| l.max(e)));
        }
        self.by_action_status[action_index(action)][status_index(r.log_status())] += 1;
        self.pending.push(Pending {
            src: r.srcaddr(),
            dst: r.dstaddr(),
            port: match (r.protocol(), r.dstport()) {
                (Some(p), Some(port)) => Some(u32::from(p) << 16 | u32::from(port)),
                _ => None,
            },
            bytes,
            packets,
            reject,
        });
        if self.pending.len() >= BATCH {
            self.count_pending();
        }
        if let Some(eni) = r.interface_bytes() {
            match self.interfaces.get_mut(eni) {
                Some(t) => t.add(bytes, packets, reject),
                None => {
                    let mut t = Talker::default();
                    t.add(bytes, packets, reject);
                    self.interfaces.insert(eni.into(), t);
                }
            }
        }
    }

    /// Counts the pending records in the per-address and per-port tables:
    /// first a load of each one's slots (misses in flight together), then
    /// the counting itself.
    fn count_pending(&mut self) {
        let mut touched = 0u64;
        for p in &self.pending {
            if let Some(a) = p.src {
                touched ^= self.sources.touch(a);
            }
            if let Some(a) = p.dst {
                touched ^= self.destinations.touch(a);
            }
            if let Some(k) = p.port {
                touched ^= self.ports.touch(k);
            }
        }
        std::hint::black_box(touched);
        for p in self.pending.drain(..) {
            if let Some(a) = p.src {
                self.sources.add(a, p.bytes, p.packets, p.reject);
            }
            if let Some(a) = p.dst {
                self.destinations.add(a, p.bytes, p.packets, p.reject);
            }
            if let Some(k) = p.port {
                self.ports.add(k, p.bytes, p.packets, p.reject);
            }
        }
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, mut other: Stats) {
        self.count_pending();
        other.count_pending();
        self.records += other.records;
        self.tgw_records += other.tgw_records;
        self.total.merge(&other.total);
        self.first_start = match (self.first_start, other.first_start) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_end = self.last_end.max(other.last_end);
        for (row, other_row) in self.by_action_status.iter_mut().zip(other.by_action_status) {
            for (n, m) in row.iter_mut().zip(other_row) {
                *n += m;
            }
        }
        self.sources.absorb(other.sources);
        self.destinations.absorb(other.destinations);
        self.ports.absorb(other.ports);
        for (k, v) in other.interfaces {
            self.interfaces.entry(k).or_default().merge(&v);
        }
    }

    /// Records per (action, log-status), `None` for `-` or a missing field.
    pub fn by_action_status(&self) -> BTreeMap<(Option<Action>, Option<LogStatus>), u64> {
        let mut m = BTreeMap::new();
        for (a, row) in ACTIONS.iter().zip(&self.by_action_status) {
            for (s, n) in STATUSES.iter().zip(row) {
                if *n > 0 {
                    m.insert((*a, *s), *n);
                }
            }
        }
        m
    }

    /// The summary with the `top` largest entries of each ranking.
    pub fn summary(&self, top: usize) -> Summary {
        if !self.pending.is_empty() {
            // Not merged since its last records: count them in a copy.
            let mut counted = self.clone();
            counted.count_pending();
            return counted.summary(top);
        }
        let action = |a: Option<Action>| match a {
            Some(Action::Accept) => "ACCEPT",
            Some(Action::Reject) => "REJECT",
            None => "-",
        };
        let status = |s: Option<LogStatus>| match s {
            Some(LogStatus::Ok) => "OK",
            Some(LogStatus::NoData) => "NODATA",
            Some(LogStatus::SkipData) => "SKIPDATA",
            None => "-",
        };
        let by_action_status = self.by_action_status();
        let count = |want: Action| {
            by_action_status
                .iter()
                .filter(|((a, _), _)| *a == Some(want))
                .map(|(_, n)| n)
                .sum()
        };
        let addr = |m: &Addresses, by_rejects: bool| {
            ranked(m.iter(), top, by_rejects)
                .into_iter()
                .map(|(k, t)| Ranked {
                    key: k.to_string(),
                    talker: t,
                })
                .collect()
        };
        let port = |by_rejects: bool| {
            let ports = self
                .ports
                .iter()
                .map(|(k, t)| ((k >> 16) as u8, k as u16, t));
            ranked(ports.map(|(p, port, t)| ((p, port), t)), top, by_rejects)
                .into_iter()
                .map(|((p, port), t)| Ranked {
                    key: format!("{port}/{}", protocol_name(p)),
                    talker: t,
                })
                .collect()
        };
        let interfaces = self
            .interfaces
            .iter()
            .map(|(k, t)| (String::from_utf8_lossy(k), t));
        Summary {
            records: self.records,
            transit_gateway_records: self.tgw_records,
            bytes: self.total.bytes,
            packets: self.total.packets,
            first_start: self.first_start,
            last_end: self.last_end,
            first_start_utc: self.first_start.and_then(utc),
            last_end_utc: self.last_end.and_then(utc),
            accepted: count(Action::Accept),
            rejected: count(Action::Reject),
            by_action_status: by_action_status
                .iter()
                .map(|((a, s), n)| ActionStatus {
                    action: action(*a),
                    log_status: status(*s),
                    records: *n,
                })
                .collect(),
            top_sources_by_bytes: addr(&self.sources, false),
            top_destinations_by_bytes: addr(&self.destinations, false),
            top_ports_by_bytes: port(false),
            top_sources_by_rejects: addr(&self.sources, true),
            top_destinations_by_rejects: addr(&self.destinations, true),
            top_ports_by_rejects: port(true),
            top_interfaces_by_bytes: ranked(interfaces, top, false)
                .into_iter()
                .map(|(k, t)| Ranked {
                    key: k.into_owned(),
                    talker: t,
                })
                .collect(),
            interfaces: self.interfaces.len() as u64,
        }
    }
}

/// The `top` entries by bytes (or by rejects, dropping zero), ties by key.
fn ranked<'a, K: Ord>(
    entries: impl Iterator<Item = (K, &'a Talker)>,
    top: usize,
    by_rejects: bool,
) -> Vec<(K, Talker)> {
    let mut v: Vec<(K, Talker)> = entries
        .filter(|(_, t)| !by_rejects || t.rejects > 0)
        .map(|(k, t)| (k, *t))
        .collect();
    let metric = |t: &Talker| if by_rejects { t.rejects } else { t.bytes };
    let order = |a: &(K, Talker), b: &(K, Talker)| {
        metric(&b.1).cmp(&metric(&a.1)).then_with(|| a.0.cmp(&b.0))
    };
    // Keys are distinct, so the order is total: selecting the first `top`
    // and sorting them gives what sorting everything would.
    if top == 0 {
        return Vec::new();
    }
    if v.len() > top {
        v.select_nth_unstable_by(top - 1, order);
        v.truncate(top);
    }
    v.sort_by(order);
    v
}

fn utc(secs: u64) -> Option<String> {
    let dt = chrono::DateTime::from_timestamp(i64::try_from(secs).ok()?, 0)?;
    Some(dt.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Short name of an IP protocol number.
pub fn protocol_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        58 => "icmpv6".into(),
        n => format!("proto-{n}"),
    }
}

/// One row of a ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ranked {
    /// Address, `port/protocol` or interface id.
    pub key: String,
    /// Its counters.
    #[serde(flatten)]
    pub talker: Talker,
}

/// Records per action and log-status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionStatus {
    /// ACCEPT, REJECT or `-`.
    pub action: &'static str,
    /// OK, NODATA, SKIPDATA or `-`.
    #[serde(rename = "log-status")]
    pub log_status: &'static str,
    /// Records.
    pub records: u64,
}

/// What `vxtap flowlogs stats` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Records read.
    pub records: u64,
    /// Transit Gateway records among them.
    pub transit_gateway_records: u64,
    /// Sum of bytes.
    pub bytes: u64,
    /// Sum of packets.
    pub packets: u64,
    /// Earliest start (Unix seconds).
    pub first_start: Option<u64>,
    /// Latest end (Unix seconds).
    pub last_end: Option<u64>,
    /// Earliest start, UTC.
    pub first_start_utc: Option<String>,
    /// Latest end, UTC.
    pub last_end_utc: Option<String>,
    /// Records with action ACCEPT.
    pub accepted: u64,
    /// Records with action REJECT.
    pub rejected: u64,
    /// Records per action and log-status.
    pub by_action_status: Vec<ActionStatus>,
    /// Sources ranked by bytes.
    pub top_sources_by_bytes: Vec<Ranked>,
    /// Destinations ranked by bytes.
    pub top_destinations_by_bytes: Vec<Ranked>,
    /// Destination ports ranked by bytes.
    pub top_ports_by_bytes: Vec<Ranked>,
    /// Sources ranked by REJECT records.
    pub top_sources_by_rejects: Vec<Ranked>,
    /// Destinations ranked by REJECT records.
    pub top_destinations_by_rejects: Vec<Ranked>,
    /// Destination ports ranked by REJECT records.
    pub top_ports_by_rejects: Vec<Ranked>,
    /// Interfaces ranked by bytes.
    pub top_interfaces_by_bytes: Vec<Ranked>,
    /// Distinct interfaces.
    pub interfaces: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flowlogs::text::{ReadOptions, TextReader};
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn stats_of(text: &str) -> Stats {
        let mut r = TextReader::new(
            Arc::from(PathBuf::from("t")),
            text.as_bytes(),
            false,
            &ReadOptions::default(),
        );
        let mut s = Stats::default();
        while let Some(rec) = r.next_record() {
            s.add(&rec.unwrap());
        }
        s
    }

    #[test]
    fn counts_and_rankings() {
        let a = stats_of(
            "2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 10 1000 100 160 ACCEPT OK\n\
             2 1 eni-a 10.0.0.3 10.0.0.2 1 22 6 1 50 90 150 REJECT OK\n",
        );
        let b = stats_of(
            "2 1 eni-b - - - - - - - 80 200 - NODATA\n2 1 eni-b 10.0.0.3 10.0.0.9 1 3389 6 1 60 95 140 REJECT OK\n",
        );
        let mut s = a;
        s.merge(b);
        let sum = s.summary(10);
        assert_eq!(
            (sum.records, sum.bytes, sum.accepted, sum.rejected),
            (4, 1110, 1, 2)
        );
        assert_eq!((sum.first_start, sum.last_end), (Some(80), Some(200)));
        assert_eq!(sum.top_sources_by_bytes[0].key, "10.0.0.1");
        assert_eq!(sum.top_sources_by_rejects[0].key, "10.0.0.3");
        assert_eq!(sum.top_sources_by_rejects[0].talker.rejects, 2);
        assert_eq!(sum.top_ports_by_bytes[0].key, "22/tcp");
        assert_eq!(sum.top_interfaces_by_bytes[0].key, "eni-a");
        assert_eq!(sum.interfaces, 2);
        assert_eq!(sum.first_start_utc.as_deref(), Some("1970-01-01T00:01:20Z"));
        assert!(sum.by_action_status.contains(&ActionStatus {
            action: "-",
            log_status: "NODATA",
            records: 1
        }));
    }

    /// Counting by batches (any number of records, summary before or after
    /// a merge) gives the per-address and per-port sums a plain map gives.
    #[test]
    fn batched_counting_agrees_with_a_map() {
        let mut text = String::new();
        let mut want_src: HashMap<String, (u64, u64)> = HashMap::new();
        let mut want_port: HashMap<String, u64> = HashMap::new();
        let n = 5 * BATCH + 7;
        for i in 0..n {
            let src = if i % 4 == 0 {
                format!("2001:db8::{:x}", i % 11)
            } else {
                format!("10.0.{}.{}", i % 3, i % 13)
            };
            let port = i % 5;
            let bytes = 100 + i;
            let action = if i % 3 == 0 { "REJECT" } else { "ACCEPT" };
            text += &format!(
                "2 1 eni-{} {src} 10.1.0.{} 1 {port} 6 1 {bytes} 10 20 {action} OK\n",
                i % 2,
                i % 7
            );
            // Keyed by the address's canonical text, as the summary is.
            let key = src.parse::<IpAddr>().map(|a| a.to_string());
            let e = want_src.entry(key.unwrap_or(src)).or_default();
            e.0 += bytes as u64;
            e.1 += u64::from(action == "REJECT");
            *want_port.entry(format!("{port}/tcp")).or_default() += bytes as u64;
        }
        let all = stats_of(&text).summary(1000);
        let mut merged = Stats::default();
        merged.merge(stats_of(&text));
        assert_eq!(merged.summary(1000), all);
        let got: HashMap<String, (u64, u64)> = all
            .top_sources_by_bytes
            .iter()
            .map(|r| (r.key.clone(), (r.talker.bytes, r.talker.rejects)))
            .collect();
        assert_eq!(got, want_src);
        let got: HashMap<String, u64> = all
            .top_ports_by_bytes
            .iter()
            .map(|r| (r.key.clone(), r.talker.bytes))
            .collect();
        assert_eq!(got, want_port);
        assert_eq!(all.records, n as u64);
        let dst_records: u64 = all
            .top_destinations_by_bytes
            .iter()
            .map(|r| r.talker.records)
            .sum();
        assert_eq!(dst_records, n as u64);
    }

    /// Selecting the top entries gives what sorting all of them gives,
    /// ties (equal bytes, equal rejects) broken by key; IPv4 before IPv6.
    #[test]
    fn rankings_match_a_full_sort() {
        let mut entries: Vec<(IpAddr, Talker)> = Vec::new();
        for i in 0..2000u32 {
            let key = if i % 3 == 0 {
                IpAddr::from(Ipv6Addr::from(u128::from(i) << 64))
            } else {
                IpAddr::from(Ipv4Addr::from(i.wrapping_mul(2_654_435_761)))
            };
            let t = Talker {
                records: 1,
                bytes: u64::from(i % 17),
                packets: 1,
                rejects: u64::from(i % 5),
            };
            entries.push((key, t));
        }
        for by_rejects in [false, true] {
            for top in [0, 1, 10, 1999, 2000, 5000] {
                let got = ranked(entries.iter().map(|(k, t)| (*k, t)), top, by_rejects);
                let mut want: Vec<(IpAddr, Talker)> = entries
                    .iter()
                    .filter(|(_, t)| !by_rejects || t.rejects > 0)
                    .copied()
                    .collect();
                let metric = |t: &Talker| if by_rejects { t.rejects } else { t.bytes };
                want.sort_by(|a, b| metric(&b.1).cmp(&metric(&a.1)).then(a.0.cmp(&b.0)));
                want.truncate(top);
                assert_eq!(got, want, "top {top} by_rejects {by_rejects}");
            }
        }
    }
}
