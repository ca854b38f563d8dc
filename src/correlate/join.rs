//! The streaming join of AWS's records with vxtap's.
//!
//! Records of both logs are grouped by [`FlowKey`]. An AWS record and a
//! vxtap record *overlap* when their `[start, end]` intervals, widened by
//! the tolerance, intersect: `a.start <= o.end + tol && o.start <= a.end + tol`
//! (AWS windows are up to 10 minutes long and its clock and vxtap's can
//! differ). A record with at least one overlapping record of the other log
//! is matched; matched records connected by overlaps form one *group*, whose
//! packet and byte sums are compared. The rule is pairwise, so the SQL in
//! `deploy/athena/` (an `EXISTS` over the same condition) gives the same
//! categories.
//!
//! Memory: records are read in the time order of their objects (S3 keys name
//! a 5-minute slot); whenever the newest `end` seen (`hwm`) moves on, groups
//! whose every record ended before `hwm - lateness - tolerance` are decided
//! and dropped, so what is held is the keys of one lateness horizon. A record
//! that arrives after its time was decided is counted as late (it may be
//! reported unmatched when it had a partner); inputs without slot names are
//! held whole and decided at the end.

use hashbrown::HashMap;

use super::model::{Entry, FlowKey, Side};
use crate::flowlogs::LogStatus;

/// Least seconds of input time between two sweeps of the held keys (a
/// sweep walks every held key; it runs every quarter of the lateness).
pub const SWEEP_STEP: u64 = 60;

/// What the join decides, handed to the report.
pub trait Outcome {
    /// A group of overlapping records of both logs.
    fn matched(&mut self, key: &FlowKey, aws: &[&Entry], observed: &[&Entry]);
    /// An AWS record without overlapping vxtap record.
    fn logged_not_mirrored(&mut self, key: &FlowKey, e: &Entry);
    /// A vxtap record without overlapping AWS record; `window` is the status
    /// of an AWS NODATA/SKIPDATA record of the interface covering it.
    fn mirrored_not_logged(&mut self, key: &FlowKey, e: &Entry, window: Option<LogStatus>);
}

/// A NODATA/SKIPDATA record: the interface's window without (all) records.
#[derive(Debug, Clone, Copy)]
struct StatusWindow {
    start: u64,
    end: u64,
    status: LogStatus,
}

/// The join state.
pub struct Join {
    tolerance: u64,
    lateness: u64,
    streaming: bool,
    map: HashMap<FlowKey, Vec<Entry>>,
    windows: HashMap<u32, Vec<StatusWindow>>,
    hwm: u64,
    last_sweep: u64,
    cutoff: u64,
    held: usize,
    /// Records that arrived after their time had been decided.
    pub late: u64,
    /// Most keys held at once.
    pub peak_keys: usize,
    /// Most records held at once.
    pub peak_records: usize,
}

fn overlaps(a: &Entry, b: &Entry, tol: u64) -> bool {
    a.start <= b.end.saturating_add(tol) && b.start <= a.end.saturating_add(tol)
}

impl Join {
    /// A join with `tolerance` seconds of clock slack; with `streaming`, groups
    /// are decided once the input is `lateness` seconds past them.
    pub fn new(tolerance: u64, lateness: u64, streaming: bool) -> Self {
        Join {
            tolerance,
            lateness,
            streaming,
            map: HashMap::new(),
            windows: HashMap::new(),
            hwm: 0,
            last_sweep: 0,
            cutoff: 0,
            held: 0,
            late: 0,
            peak_keys: 0,
            peak_records: 0,
        }
    }

    /// Adds a record (OK status) of either log.
    pub fn add(&mut self, key: FlowKey, e: Entry, out: &mut impl Outcome) {
        if self.cutoff > 0 && e.start.saturating_add(self.tolerance) < self.cutoff {
            self.late += 1;
        }
        self.hwm = self.hwm.max(e.end);
        self.map.entry(key).or_default().push(e);
        self.held += 1;
        self.peak_records = self.peak_records.max(self.held);
        self.peak_keys = self.peak_keys.max(self.map.len());
        if self.streaming && self.hwm >= self.last_sweep + SWEEP_STEP.max(self.lateness / 4) {
            self.last_sweep = self.hwm;
            let cutoff = self
                .hwm
                .saturating_sub(self.lateness)
                .saturating_sub(self.tolerance);
            if cutoff > self.cutoff {
                self.sweep(cutoff, out);
            }
        }
    }

    /// Adds an AWS NODATA/SKIPDATA record of interface `iface`.
    pub fn add_window(&mut self, iface: u32, start: u64, end: u64, status: LogStatus) {
        self.windows
            .entry(iface)
            .or_default()
            .push(StatusWindow { start, end, status });
    }

    /// Decides everything still held.
    pub fn finish(&mut self, out: &mut impl Outcome) {
        self.sweep(u64::MAX, out);
    }

    /// Decides the groups whose records all ended before `cutoff`.
    fn sweep(&mut self, cutoff: u64, out: &mut impl Outcome) {
        self.cutoff = cutoff;
        let tol = self.tolerance;
        let windows = &self.windows;
        let mut decided = 0;
        self.map.retain(|key, entries| {
            decided += decide(key, entries, cutoff, tol, windows, out);
            !entries.is_empty()
        });
        self.held -= decided;
        // A window can still explain records that start up to `tol` after it.
        for w in self.windows.values_mut() {
            w.retain(|w| w.end.saturating_add(2 * tol) >= cutoff);
        }
        self.windows.retain(|_, w| !w.is_empty());
    }
}

/// Decides the groups of one key that ended before `cutoff`, leaving the
/// others in `entries`; returns how many records were decided.
fn decide(
    key: &FlowKey,
    entries: &mut Vec<Entry>,
    cutoff: u64,
    tol: u64,
    windows: &HashMap<u32, Vec<StatusWindow>>,
    out: &mut impl Outcome,
) -> usize {
    // Every group ends at or after its records' earliest end: when all of
    // them end after the cutoff, nothing can be decided (the common case
    // while a sweep walks the held keys), and a lone record needs no grouping.
    if entries.iter().all(|e| e.end >= cutoff) {
        return 0;
    }
    if entries.len() == 1 {
        unmatched(key, &entries[0], tol, windows, out);
        entries.clear();
        return 1;
    }
    entries.sort_by_key(|e| (e.start, e.end));
    let n = entries.len();
    // Union-find over cross-log overlaps; sorted by start, a later record
    // overlaps an earlier one iff it starts before the earlier one's end + tol.
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            if entries[j].start > entries[i].end.saturating_add(tol) {
                break;
            }
            if entries[i].side != entries[j].side && overlaps(&entries[i], &entries[j], tol) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    // Per group: latest end and which logs it holds.
    let mut groups: HashMap<usize, (u64, bool, bool)> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        let r = root(&mut parent, i);
        let g = groups.entry(r).or_insert((0, false, false));
        g.0 = g.0.max(e.end);
        match e.side {
            Side::Aws => g.1 = true,
            Side::Observed => g.2 = true,
        }
    }
    let mut keep = vec![false; n];
    let mut decided = 0;
    let mut roots: Vec<usize> = groups.keys().copied().collect();
    roots.sort_unstable();
    for r in roots {
        let (max_end, aws, obs) = groups[&r];
        let members: Vec<usize> = (0..n).filter(|&i| root(&mut parent, i) == r).collect();
        if max_end >= cutoff {
            for i in members {
                keep[i] = true;
            }
            continue;
        }
        decided += members.len();
        if aws && obs {
            let a: Vec<&Entry> = members
                .iter()
                .map(|&i| &entries[i])
                .filter(|e| e.side == Side::Aws)
                .collect();
            let o: Vec<&Entry> = members
                .iter()
                .map(|&i| &entries[i])
                .filter(|e| e.side == Side::Observed)
                .collect();
            out.matched(key, &a, &o);
        } else {
            for i in members {
                unmatched(key, &entries[i], tol, windows, out);
            }
        }
    }
    if decided > 0 {
        let mut i = 0;
        entries.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
    decided
}

/// Hands an unmatched record to the report, with the status window of its
/// interface that covers it, if any.
fn unmatched(
    key: &FlowKey,
    e: &Entry,
    tol: u64,
    windows: &HashMap<u32, Vec<StatusWindow>>,
    out: &mut impl Outcome,
) {
    match e.side {
        Side::Aws => out.logged_not_mirrored(key, e),
        Side::Observed => {
            let w = (key.iface != 0)
                .then(|| windows.get(&key.iface))
                .flatten()
                .and_then(|ws| {
                    ws.iter().find(|w| {
                        w.start <= e.end.saturating_add(tol) && e.start <= w.end.saturating_add(tol)
                    })
                })
                .map(|w| w.status);
            out.mirrored_not_logged(key, e, w)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        matched: Vec<(usize, usize, u64)>,
        lnm: Vec<u64>,
        mnl: Vec<(u64, Option<LogStatus>)>,
    }

    impl Outcome for Collect {
        fn matched(&mut self, _: &FlowKey, a: &[&Entry], o: &[&Entry]) {
            self.matched.push((a.len(), o.len(), a[0].start));
        }
        fn logged_not_mirrored(&mut self, _: &FlowKey, e: &Entry) {
            self.lnm.push(e.start);
        }
        fn mirrored_not_logged(&mut self, _: &FlowKey, e: &Entry, w: Option<LogStatus>) {
            self.mnl.push((e.start, w));
        }
    }

    fn key(iface: u32) -> FlowKey {
        FlowKey {
            iface,
            protocol: 6,
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            sport: 1,
            dport: 2,
        }
    }

    fn e(side: Side, start: u64, end: u64) -> Entry {
        Entry {
            side,
            start,
            end,
            packets: 1,
            bytes: 1,
            action: None,
            reject_reason: None,
            ingress: None,
            file: 0,
            line: 0,
        }
    }

    #[test]
    fn overlap_with_tolerance_is_pairwise() {
        let mut j = Join::new(60, 900, false);
        let mut c = Collect::default();
        // A clock 30 s apart still matches.
        j.add(key(1), e(Side::Aws, 1030, 1089), &mut c);
        j.add(key(1), e(Side::Observed, 1000, 1059), &mut c);
        // Two AWS windows overlapping one long vxtap window: one group.
        j.add(key(2), e(Side::Aws, 1000, 1059), &mut c);
        j.add(key(2), e(Side::Aws, 1060, 1119), &mut c);
        j.add(key(2), e(Side::Observed, 1000, 1119), &mut c);
        // AWS records overlapping each other but no vxtap record stay unmatched:
        // overlaps link only records of different logs.
        j.add(key(3), e(Side::Aws, 1000, 1100), &mut c);
        j.add(key(3), e(Side::Observed, 1161, 1200), &mut c);
        j.add(key(3), e(Side::Aws, 1150, 1300), &mut c);
        j.add(key(3), e(Side::Aws, 5000, 5001), &mut c);
        j.finish(&mut c);
        c.matched.sort();
        assert_eq!(c.matched, vec![(1, 1, 1030), (1, 1, 1150), (2, 1, 1000)]);
        c.lnm.sort();
        assert_eq!(c.lnm, vec![1000, 5000]);
        assert!(c.mnl.is_empty());
    }

    #[test]
    fn status_windows_explain_unlogged_records() {
        let mut j = Join::new(60, 900, false);
        let mut c = Collect::default();
        j.add_window(1, 1000, 1599, LogStatus::NoData);
        j.add(key(1), e(Side::Observed, 1100, 1200), &mut c);
        j.add(key(2), e(Side::Observed, 1100, 1200), &mut c);
        j.add(key(1), e(Side::Observed, 1700, 1800), &mut c);
        j.finish(&mut c);
        c.mnl.sort_by_key(|m| (m.0, m.1.is_none()));
        assert_eq!(
            c.mnl,
            vec![(1100, Some(LogStatus::NoData)), (1100, None), (1700, None)]
        );
    }

    #[test]
    fn streaming_decides_old_groups_and_counts_late_records() {
        let mut j = Join::new(60, 900, true);
        let mut c = Collect::default();
        for t in 0..100u64 {
            let s = 100_000 + t * 60;
            j.add(key(t as u32 % 3), e(Side::Aws, s, s + 59), &mut c);
            j.add(key(t as u32 % 3), e(Side::Observed, s + 5, s + 50), &mut c);
        }
        // Held: only the lateness horizon, not all 200 records.
        assert!(j.peak_records < 60, "{}", j.peak_records);
        j.add(key(7), e(Side::Aws, 100_000, 100_010), &mut c);
        assert_eq!(j.late, 1);
        j.finish(&mut c);
        assert_eq!(c.matched.len() + c.lnm.len(), 101);
    }
}
