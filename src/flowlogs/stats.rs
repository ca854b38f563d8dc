//! Summaries of flow logs: counts, time span, accepted/rejected, top
//! talkers and ports by bytes and by REJECT count, per interface. Each
//! worker fills its own [`Stats`]; they are merged at the end.
//!
//! Memory grows with the number of distinct addresses, ports and interfaces
//! (not with the number of records).

use std::collections::BTreeMap;
use std::hash::Hash;
use std::net::IpAddr;

use rustc_hash::FxHashMap;
use serde::Serialize;

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
    fn add(&mut self, bytes: u64, packets: u64, reject: bool) {
        self.records += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        self.packets = self.packets.saturating_add(packets);
        self.rejects += u64::from(reject);
    }

    fn merge(&mut self, o: &Self) {
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
    /// Records per (action, log-status); `-`/missing as `None`.
    pub by_action_status: BTreeMap<(Option<Action>, Option<LogStatus>), u64>,
    /// Per source address.
    pub sources: FxHashMap<IpAddr, Talker>,
    /// Per destination address.
    pub destinations: FxHashMap<IpAddr, Talker>,
    /// Per (protocol, destination port).
    pub ports: FxHashMap<(u8, u16), Talker>,
    /// Per interface id.
    pub interfaces: FxHashMap<Box<str>, Talker>,
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
        *self
            .by_action_status
            .entry((action, r.log_status()))
            .or_default() += 1;
        if let Some(a) = r.srcaddr() {
            bump(&mut self.sources, a, bytes, packets, reject);
        }
        if let Some(a) = r.dstaddr() {
            bump(&mut self.destinations, a, bytes, packets, reject);
        }
        if let (Some(p), Some(port)) = (r.protocol(), r.dstport()) {
            bump(&mut self.ports, (p, port), bytes, packets, reject);
        }
        if let Some(eni) = r.interface_id() {
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

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: Stats) {
        self.records += other.records;
        self.tgw_records += other.tgw_records;
        self.total.merge(&other.total);
        self.first_start = match (self.first_start, other.first_start) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_end = self.last_end.max(other.last_end);
        for (k, v) in other.by_action_status {
            *self.by_action_status.entry(k).or_default() += v;
        }
        merge_map(&mut self.sources, other.sources);
        merge_map(&mut self.destinations, other.destinations);
        merge_map(&mut self.ports, other.ports);
        merge_map(&mut self.interfaces, other.interfaces);
    }

    /// The summary with the `top` largest entries of each ranking.
    pub fn summary(&self, top: usize) -> Summary {
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
        let count = |want: Action| {
            self.by_action_status
                .iter()
                .filter(|((a, _), _)| *a == Some(want))
                .map(|(_, n)| n)
                .sum()
        };
        let addr = |m: &FxHashMap<IpAddr, Talker>, by_rejects: bool| {
            ranked(m, top, by_rejects)
                .into_iter()
                .map(|(k, t)| Ranked {
                    key: k.to_string(),
                    talker: t,
                })
                .collect()
        };
        let port = |by_rejects: bool| {
            ranked(&self.ports, top, by_rejects)
                .into_iter()
                .map(|((p, port), t)| Ranked {
                    key: format!("{port}/{}", protocol_name(p)),
                    talker: t,
                })
                .collect()
        };
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
            by_action_status: self
                .by_action_status
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
            top_interfaces_by_bytes: ranked(&self.interfaces, top, false)
                .into_iter()
                .map(|(k, t)| Ranked {
                    key: k.to_string(),
                    talker: t,
                })
                .collect(),
            interfaces: self.interfaces.len() as u64,
        }
    }
}

/// Counts a record for `key`: a lookup, and an insertion only for a new key.
#[inline]
fn bump<K: Eq + Hash>(
    m: &mut FxHashMap<K, Talker>,
    key: K,
    bytes: u64,
    packets: u64,
    reject: bool,
) {
    match m.get_mut(&key) {
        Some(t) => t.add(bytes, packets, reject),
        None => {
            let mut t = Talker::default();
            t.add(bytes, packets, reject);
            m.insert(key, t);
        }
    }
}

fn merge_map<K: Eq + Hash>(into: &mut FxHashMap<K, Talker>, from: FxHashMap<K, Talker>) {
    for (k, v) in from {
        into.entry(k).or_default().merge(&v);
    }
}

/// The `top` entries by bytes (or by rejects, dropping zero), ties by key.
fn ranked<K: Ord + Clone>(
    m: &FxHashMap<K, Talker>,
    top: usize,
    by_rejects: bool,
) -> Vec<(K, Talker)> {
    let mut v: Vec<(K, Talker)> = m
        .iter()
        .filter(|(_, t)| !by_rejects || t.rejects > 0)
        .map(|(k, t)| (k.clone(), *t))
        .collect();
    let metric = |t: &Talker| if by_rejects { t.rejects } else { t.bytes };
    v.sort_by(|a, b| metric(&b.1).cmp(&metric(&a.1)).then_with(|| a.0.cmp(&b.0)));
    v.truncate(top);
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
}
