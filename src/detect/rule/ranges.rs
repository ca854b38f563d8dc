//! Sets of integers as sorted, disjoint, inclusive ranges: the shared form
//! of address sets (IPv4 as `u32` values, IPv6 as `u128`) and port sets.
//! Union, difference and complement are exact; membership is a binary search.

/// Sorted, non-overlapping, non-adjacent inclusive ranges within `0..=max`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RangeSet {
    ranges: Vec<(u128, u128)>,
}

impl RangeSet {
    /// The empty set.
    pub fn empty() -> Self {
        RangeSet { ranges: Vec::new() }
    }

    /// Every value in `0..=max`.
    pub fn full(max: u128) -> Self {
        RangeSet {
            ranges: vec![(0, max)],
        }
    }

    /// One inclusive range (`lo <= hi`).
    pub fn range(lo: u128, hi: u128) -> Self {
        debug_assert!(lo <= hi);
        RangeSet {
            ranges: vec![(lo, hi)],
        }
    }

    /// The ranges, sorted and disjoint.
    pub fn ranges(&self) -> &[(u128, u128)] {
        &self.ranges
    }

    /// Whether no value is in the set.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether the set covers all of `0..=max`.
    pub fn is_full(&self, max: u128) -> bool {
        self.ranges.len() == 1 && self.ranges[0] == (0, max)
    }

    /// Number of values, saturating.
    pub fn count(&self) -> u128 {
        self.ranges.iter().fold(0u128, |n, &(lo, hi)| {
            n.saturating_add(hi - lo).saturating_add(1)
        })
    }

    /// Whether `v` is in the set.
    #[inline]
    pub fn contains(&self, v: u128) -> bool {
        // Few ranges in practice: a linear scan beats the branchy search.
        if self.ranges.len() <= 8 {
            return self.ranges.iter().any(|&(lo, hi)| lo <= v && v <= hi);
        }
        let i = self.ranges.partition_point(|&(_, hi)| hi < v);
        i < self.ranges.len() && self.ranges[i].0 <= v
    }

    /// The union of both sets.
    pub fn union(&self, other: &RangeSet) -> RangeSet {
        let mut all: Vec<(u128, u128)> = self.ranges.iter().chain(&other.ranges).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(u128, u128)> = Vec::with_capacity(all.len());
        for (lo, hi) in all {
            match out.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        RangeSet { ranges: out }
    }

    /// `0..=max` minus this set.
    pub fn complement(&self, max: u128) -> RangeSet {
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        let mut next = 0u128;
        let mut done = false;
        for &(lo, hi) in &self.ranges {
            if lo > next {
                out.push((next, lo - 1));
            }
            if hi >= max {
                done = true;
                break;
            }
            next = hi + 1;
        }
        if !done && next <= max {
            out.push((next, max));
        }
        RangeSet { ranges: out }
    }

    /// This set minus `other` (both within `0..=max`).
    pub fn minus(&self, other: &RangeSet, max: u128) -> RangeSet {
        self.intersect(&other.complement(max))
    }

    /// The intersection of both sets.
    pub fn intersect(&self, other: &RangeSet) -> RangeSet {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a_lo, a_hi) = self.ranges[i];
            let (b_lo, b_hi) = other.ranges[j];
            let lo = a_lo.max(b_lo);
            let hi = a_hi.min(b_hi);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a_hi < b_hi {
                i += 1;
            } else {
                j += 1;
            }
        }
        RangeSet { ranges: out }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_merges_adjacent_and_overlapping() {
        let a = RangeSet::range(1, 5).union(&RangeSet::range(6, 8));
        assert_eq!(a.ranges(), &[(1, 8)]);
        let b = a
            .union(&RangeSet::range(3, 20))
            .union(&RangeSet::range(30, 30));
        assert_eq!(b.ranges(), &[(1, 20), (30, 30)]);
        assert!(b.contains(30) && !b.contains(29) && !b.contains(0));
    }

    #[test]
    fn complement_and_minus() {
        let a = RangeSet::range(0, 9).union(&RangeSet::range(20, 65535));
        assert_eq!(a.complement(65535).ranges(), &[(10, 19)]);
        assert!(RangeSet::full(7).complement(7).is_empty());
        assert_eq!(RangeSet::empty().complement(7).ranges(), &[(0, 7)]);
        let m = RangeSet::full(100).minus(&RangeSet::range(50, 50), 100);
        assert_eq!(m.ranges(), &[(0, 49), (51, 100)]);
        let full = RangeSet::full(u128::MAX);
        assert!(full.complement(u128::MAX).is_empty());
        assert_eq!(full.count(), u128::MAX);
    }

    #[test]
    fn contains_many_ranges_uses_search() {
        let mut s = RangeSet::empty();
        for i in 0..20u128 {
            s = s.union(&RangeSet::range(i * 10, i * 10 + 2));
        }
        assert!(s.contains(52) && !s.contains(53) && s.contains(190) && !s.contains(500));
    }
}
