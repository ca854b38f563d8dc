//! Fixed-size aggregates of the report: category counts, histograms of
//! packet/byte deltas and clock offsets, the timeline, and capped top-N
//! counters of REJECTed traffic. Memory does not grow with the input except
//! for the timeline (one row per minute of input time).

use std::collections::BTreeMap;
use std::net::IpAddr;

use hashbrown::HashMap;
use serde::Serialize;

/// Counts of one scope (overall or one interface). AWS records for
/// `matched`, `logged_not_mirrored` and `rejected`; vxtap records for
/// `mirrored_not_logged` and `matched_observed`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// AWS records with an overlapping vxtap record.
    pub matched: u64,
    /// AWS records without.
    pub logged_not_mirrored: u64,
    /// vxtap records without an overlapping AWS record.
    pub mirrored_not_logged: u64,
    /// AWS records with action REJECT (in any category).
    pub rejected: u64,
    /// vxtap records with an overlapping AWS record.
    pub matched_observed: u64,
    /// Groups of overlapping records.
    pub matched_groups: u64,
    /// AWS NODATA records.
    pub nodata: u64,
    /// AWS SKIPDATA records.
    pub skipdata: u64,
}

/// A histogram with fixed bins over a clamped integer range, for percentiles.
#[derive(Debug, Clone)]
pub struct Histogram {
    lo: i64,
    bins: Vec<u64>,
    n: u64,
}

impl Histogram {
    /// Bins for every integer in `lo..=hi`; values outside are clamped.
    pub fn new(lo: i64, hi: i64) -> Self {
        Histogram {
            lo,
            bins: vec![0; (hi - lo + 1) as usize],
            n: 0,
        }
    }

    /// Counts `v`.
    pub fn add(&mut self, v: i64) {
        let i = (v - self.lo).clamp(0, self.bins.len() as i64 - 1) as usize;
        self.bins[i] += 1;
        self.n += 1;
    }

    /// The value at quantile `q` (0..=1), `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<i64> {
        if self.n == 0 {
            return None;
        }
        let want = ((q * self.n as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, b) in self.bins.iter().enumerate() {
            seen += b;
            if seen >= want {
                return Some(self.lo + i as i64);
            }
        }
        None
    }

    /// Values counted.
    pub fn count(&self) -> u64 {
        self.n
    }
}

/// Bucket edges (percent) of the delta distribution shown in reports.
pub const DELTA_EDGES: &[f64] = &[
    -50.0, -10.0, -5.0, -2.0, -1.0, 0.0, 1.0, 2.0, 5.0, 10.0, 50.0,
];

/// Distribution of one delta (vxtap − AWS, percent of AWS's value).
#[derive(Debug, Clone)]
pub struct Delta {
    exact: u64,
    buckets: Vec<u64>,
    /// Per mille, clamped to ±100 %.
    fine: Histogram,
}

impl Default for Delta {
    fn default() -> Self {
        Delta {
            exact: 0,
            buckets: vec![0; DELTA_EDGES.len() + 1],
            fine: Histogram::new(-1000, 1000),
        }
    }
}

/// A delta distribution as written to summary.json.
#[derive(Debug, Clone, Serialize)]
pub struct DeltaSummary {
    /// Groups compared.
    pub groups: u64,
    /// Groups with equal values.
    pub exact: u64,
    /// `[label, count]` per bucket of the signed percent delta.
    pub buckets: Vec<(String, u64)>,
    /// Median, 5th and 95th percentile, percent (±100 % clamp).
    pub p50_pct: Option<f64>,
    /// See `p50_pct`.
    pub p5_pct: Option<f64>,
    /// See `p50_pct`.
    pub p95_pct: Option<f64>,
}

impl Delta {
    /// Counts one group: `observed` against `aws`.
    pub fn add(&mut self, aws: u64, observed: u64) {
        if aws == observed {
            self.exact += 1;
        }
        let pct = if aws == 0 {
            if observed == 0 { 0.0 } else { 100.0 }
        } else {
            (observed as f64 - aws as f64) * 100.0 / aws as f64
        };
        let i = DELTA_EDGES.iter().filter(|&&e| pct > e).count();
        self.buckets[i] += 1;
        self.fine.add((pct * 10.0).round() as i64);
    }

    /// The summary form.
    pub fn summary(&self) -> DeltaSummary {
        let mut buckets = Vec::new();
        for (i, n) in self.buckets.iter().enumerate() {
            let label = match i {
                0 => format!("<= {}%", DELTA_EDGES[0]),
                i if i == DELTA_EDGES.len() => format!("> {}%", DELTA_EDGES[i - 1]),
                i => format!("({}%, {}%]", DELTA_EDGES[i - 1], DELTA_EDGES[i]),
            };
            buckets.push((label, *n));
        }
        let q = |q| self.fine.quantile(q).map(|v| v as f64 / 10.0);
        DeltaSummary {
            groups: self.fine.count(),
            exact: self.exact,
            buckets,
            p50_pct: q(0.5),
            p5_pct: q(0.05),
            p95_pct: q(0.95),
        }
    }
}

/// Counts per time bucket of each category, for the timeline.
#[derive(Debug, Default)]
pub struct Timeline {
    rows: BTreeMap<u64, [u64; 4]>,
}

/// Timeline columns.
#[derive(Debug, Clone, Copy)]
pub enum Lane {
    /// AWS records matched.
    Matched = 0,
    /// AWS records logged, not mirrored.
    LoggedNotMirrored = 1,
    /// vxtap records mirrored, not logged.
    MirroredNotLogged = 2,
    /// AWS REJECT records.
    Rejected = 3,
}

/// The timeline as written to summary.json.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TimelineSummary {
    /// Seconds per bucket.
    pub bucket_s: u64,
    /// `[bucket start, matched, logged_not_mirrored, mirrored_not_logged, rejected]`.
    pub rows: Vec<[u64; 5]>,
}

/// Most rows written; finer timelines are merged into wider buckets.
pub const TIMELINE_ROWS: usize = 400;

impl Timeline {
    /// Counts one record starting at `t` (minute buckets).
    pub fn add(&mut self, t: u64, lane: Lane) {
        self.rows.entry(t / 60 * 60).or_default()[lane as usize] += 1;
    }

    /// Rows with buckets widened (×2, ×5, …) until at most [`TIMELINE_ROWS`].
    pub fn summary(&self) -> TimelineSummary {
        let (Some(first), Some(last)) = (self.rows.keys().next(), self.rows.keys().next_back())
        else {
            return TimelineSummary {
                bucket_s: 60,
                rows: Vec::new(),
            };
        };
        let span = last - first + 60;
        let mut bucket = 60;
        for m in [1u64, 2, 5, 10, 15, 30, 60, 120, 360, 720, 1440, 10080] {
            bucket = 60 * m;
            if span / bucket < TIMELINE_ROWS as u64 {
                break;
            }
        }
        let mut merged: BTreeMap<u64, [u64; 4]> = BTreeMap::new();
        for (t, c) in &self.rows {
            let m = merged.entry(t / bucket * bucket).or_default();
            for i in 0..4 {
                m[i] += c[i];
            }
        }
        TimelineSummary {
            bucket_s: bucket,
            rows: merged
                .into_iter()
                .map(|(t, c)| [t, c[0], c[1], c[2], c[3]])
                .collect(),
        }
    }
}

/// Distinct keys a top-N counter holds; further keys count as "other".
pub const TOP_CAP: usize = 100_000;

/// A capped counter of records and packets per key.
#[derive(Debug)]
pub struct Top<K> {
    map: HashMap<K, (u64, u64)>,
    other: (u64, u64),
}

impl<K> Default for Top<K> {
    fn default() -> Self {
        Top {
            map: HashMap::new(),
            other: (0, 0),
        }
    }
}

/// One row of a top-N list.
#[derive(Debug, Clone, Serialize)]
pub struct TopRow {
    /// The key as text.
    pub key: String,
    /// Records.
    pub records: u64,
    /// Packets.
    pub packets: u64,
}

impl<K: std::hash::Hash + Eq + Clone + Ord + std::fmt::Display> Top<K> {
    /// Counts one record.
    pub fn add(&mut self, k: &K, packets: u64) {
        if let Some(v) = self.map.get_mut(k) {
            v.0 += 1;
            v.1 += packets;
        } else if self.map.len() < TOP_CAP {
            self.map.insert(k.clone(), (1, packets));
        } else {
            self.other.0 += 1;
            self.other.1 += packets;
        }
    }

    /// The `n` keys with most records (ties by key), plus "other" if capped.
    pub fn top(&self, n: usize) -> Vec<TopRow> {
        let mut v: Vec<(&K, &(u64, u64))> = self.map.iter().collect();
        v.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(b.0)));
        let mut rows: Vec<TopRow> = v
            .into_iter()
            .take(n)
            .map(|(k, c)| TopRow {
                key: k.to_string(),
                records: c.0,
                packets: c.1,
            })
            .collect();
        if self.other.0 > 0 {
            rows.push(TopRow {
                key: "other (beyond the counter's capacity)".into(),
                records: self.other.0,
                packets: self.other.1,
            });
        }
        rows
    }
}

/// REJECTed traffic by source, destination port and reason.
#[derive(Debug, Default)]
pub struct Rejects {
    /// By srcaddr.
    pub sources: Top<IpAddr>,
    /// By `protocol/dstport`.
    pub ports: Top<String>,
    /// By v8 reject-reason (`-` when absent).
    pub reasons: Top<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_clamping() {
        let mut h = Histogram::new(-10, 10);
        for v in [-50, 0, 1, 2, 3] {
            h.add(v);
        }
        assert_eq!(h.quantile(0.5), Some(1));
        assert_eq!(h.quantile(0.0), Some(-10));
        assert_eq!(h.quantile(1.0), Some(3));
        assert_eq!(Histogram::new(0, 1).quantile(0.5), None);
    }

    #[test]
    fn delta_buckets() {
        let mut d = Delta::default();
        d.add(100, 100); // exact
        d.add(100, 97); // -3 %
        d.add(1000, 1030); // +3 %
        d.add(0, 5); // from nothing: +100 %
        let s = d.summary();
        assert_eq!(s.groups, 4);
        assert_eq!(s.exact, 1);
        let get = |l: &str| s.buckets.iter().find(|b| b.0 == l).unwrap().1;
        assert_eq!(get("(-1%, 0%]"), 1);
        assert_eq!(get("(-5%, -2%]"), 1);
        assert_eq!(get("(2%, 5%]"), 1);
        assert_eq!(get("> 50%"), 1);
        assert_eq!(s.buckets.iter().map(|b| b.1).sum::<u64>(), 4);
    }

    #[test]
    fn timeline_widens_buckets() {
        let mut t = Timeline::default();
        for m in 0..1000u64 {
            t.add(1_700_000_000 + m * 60, Lane::Matched);
        }
        t.add(1_700_000_000, Lane::Rejected);
        let s = t.summary();
        assert!(s.rows.len() <= TIMELINE_ROWS);
        assert_eq!(s.bucket_s, 300);
        assert_eq!(s.rows.iter().map(|r| r[1]).sum::<u64>(), 1000);
        assert_eq!(s.rows.iter().map(|r| r[4]).sum::<u64>(), 1);
    }

    #[test]
    fn top_is_capped_and_sorted() {
        let mut t: Top<String> = Top::default();
        t.add(&"b".to_string(), 1);
        t.add(&"a".to_string(), 1);
        t.add(&"b".to_string(), 5);
        let rows = t.top(10);
        assert_eq!(rows[0].key, "b");
        assert_eq!((rows[0].records, rows[0].packets), (2, 6));
        assert_eq!(rows[1].key, "a");
    }
}
