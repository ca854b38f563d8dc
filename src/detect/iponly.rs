//! An address index for rules without a fast pattern. Emerging Threats
//! ships about a thousand reputation rules (TOR exit nodes, CINS, DROP,
//! compromised hosts), each a list of addresses and little else (a
//! threshold, flowbits to set): evaluating each on every packet, or every
//! new flow direction for the IP-only ones, is a thousand set lookups. Like Suricata's
//! IP-only engine (a radix tree over every IP-only rule's addresses), the
//! index answers "which of them name this address" with one search: rules
//! whose source set is narrow are found by the packet's source, rules whose
//! destination set is narrow by its destination; the few with neither stay
//! in a plain list. The full rule is still evaluated on each candidate.

use super::rule::ranges::RangeSet;
use super::signature::Signature;

/// A set is narrow when it spans at most this share of its address space
/// (IPv4: a /8; IPv6: a /8): indexing a wide set would make every lookup
/// scan it.
const V4_WIDE: u128 = 1 << 24;
const V6_WIDE: u128 = 1 << 120;

/// Inclusive ranges sorted by start, with the running maximum of their
/// ends, so a lookup walks back from the last range starting at or before
/// the address only while an earlier range can still reach it.
#[derive(Debug, Default)]
struct Side {
    starts: Vec<u128>,
    ends: Vec<u128>,
    rules: Vec<u32>,
    max_end: Vec<u128>,
}

impl Side {
    fn build(mut v: Vec<(u128, u128, u32)>) -> Side {
        v.sort_unstable();
        let mut s = Side::default();
        let mut max = 0u128;
        for (lo, hi, r) in v {
            max = max.max(hi);
            s.starts.push(lo);
            s.ends.push(hi);
            s.rules.push(r);
            s.max_end.push(max);
        }
        s
    }

    #[inline]
    fn lookup(&self, a: u128, f: &mut impl FnMut(u32)) {
        let mut j = self.starts.partition_point(|&s| s <= a);
        while j > 0 {
            j -= 1;
            if self.max_end[j] < a {
                break;
            }
            if self.ends[j] >= a {
                f(self.rules[j]);
            }
        }
    }
}

/// Which side of a rule the index holds it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexed {
    /// By its source addresses.
    Src,
    /// By its destination addresses.
    Dst,
    /// Not indexed (both sides wide, or bidirectional).
    No,
}

fn narrow(v4: &RangeSet, v6: &RangeSet) -> bool {
    v4.count() <= V4_WIDE && v6.count() <= V6_WIDE && !(v4.is_empty() && v6.is_empty())
}

/// How a rule is indexed.
pub fn side_of(s: &Signature) -> Indexed {
    if s.bidirectional {
        Indexed::No
    } else if narrow(&s.src.v4, &s.src.v6) {
        Indexed::Src
    } else if narrow(&s.dst.v4, &s.dst.v6) {
        Indexed::Dst
    } else {
        Indexed::No
    }
}

/// Rules held by their source or destination addresses.
#[derive(Debug, Default)]
pub struct IpOnlyIndex {
    src: [Side; 2],
    dst: [Side; 2],
}

impl IpOnlyIndex {
    /// Indexes `(rule index, signature)` pairs by the side [`side_of`] says.
    pub fn build<'a>(rules: impl Iterator<Item = (u32, &'a Signature)>) -> IpOnlyIndex {
        let mut v: [Vec<(u128, u128, u32)>; 4] = Default::default();
        for (i, s) in rules {
            let (set, at) = match side_of(s) {
                Indexed::Src => (&s.src, 0),
                Indexed::Dst => (&s.dst, 2),
                Indexed::No => continue,
            };
            for &(lo, hi) in set.v4.ranges() {
                v[at].push((lo, hi, i));
            }
            for &(lo, hi) in set.v6.ranges() {
                v[at + 1].push((lo, hi, i));
            }
        }
        let [a, b, c, d] = v;
        IpOnlyIndex {
            src: [Side::build(a), Side::build(b)],
            dst: [Side::build(c), Side::build(d)],
        }
    }

    /// Calls `f` with every indexed rule that names `src` (by source) or
    /// `dst` (by destination); a rule may come more than once.
    #[inline]
    pub fn lookup(&self, src: crate::wire::Addr, dst: crate::wire::Addr, f: &mut impl FnMut(u32)) {
        self.src[src.v6 as usize].lookup(src.bits(), f);
        self.dst[dst.v6 as usize].lookup(dst.bits(), f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_finds_every_range_holding_the_address() {
        // A wide range first keeps the running maximum high: the walk
        // must still find it and the narrow ones.
        let s = Side::build(vec![
            (0, 1000, 7),
            (10, 10, 1),
            (10, 20, 2),
            (30, 40, 3),
            (500, 500, 4),
        ]);
        let find = |a| {
            let mut v = Vec::new();
            s.lookup(a, &mut |r| v.push(r));
            v.sort();
            v
        };
        assert_eq!(find(10), [1, 2, 7]);
        assert_eq!(find(15), [2, 7]);
        assert_eq!(find(35), [3, 7]);
        assert_eq!(find(500), [4, 7]);
        assert_eq!(find(1001), Vec::<u32>::new());
        let empty = Side::build(Vec::new());
        empty.lookup(5, &mut |_| panic!("nothing indexed"));
    }
}
