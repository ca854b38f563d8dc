//! Counters per integer key for `stats`: an open-addressing table that keeps
//! each key beside its counters, so that counting a record for a key costs
//! one cache line (a SwissTable keeps its control bytes apart from its
//! entries: two lines per lookup once the table outgrows the cache). Keys
//! are integers (IPv4 addresses as `u32`, IPv6 as `u128`, protocol and port
//! packed in a `u32`): hashing is one multiplication, no string is hashed.
//!
//! Linear probing, Fibonacci hashing (the high bits of `key × 2⁶⁴/φ`), grown
//! to twice the size at 3/4 load. An entry is in use iff its `records` is
//! not zero (every counted key has at least one record).

use super::stats::Talker;

/// An integer key.
pub trait Key: Copy + Eq + Default {
    /// 64 well-mixed bits of the key.
    fn hash(self) -> u64;
}

/// 2⁶⁴ / φ, odd: multiplying by it spreads keys over the high bits.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

impl Key for u32 {
    #[inline]
    fn hash(self) -> u64 {
        u64::from(self).wrapping_mul(GOLDEN)
    }
}

impl Key for u128 {
    #[inline]
    fn hash(self) -> u64 {
        let folded = (self as u64) ^ ((self >> 64) as u64).wrapping_mul(GOLDEN).rotate_left(29);
        folded.wrapping_mul(GOLDEN)
    }
}

/// Smallest table (entries).
const MIN_SLOTS: usize = 64;

/// Counters per key.
#[derive(Clone, Debug, Default)]
pub struct Counters<K> {
    slots: Vec<(K, Talker)>,
    len: usize,
}

impl<K: Key> Counters<K> {
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no key was counted.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Counts one record for `key`.
    #[inline]
    pub fn add(&mut self, key: K, bytes: u64, packets: u64, reject: bool) {
        self.entry(key).add(bytes, packets, reject);
    }

    /// Adds `t` (counters with at least one record) to `key`'s.
    pub fn merge(&mut self, key: K, t: &Talker) {
        if t.records > 0 {
            self.entry(key).merge(t);
        }
    }

    /// Adds all of `other`'s counters. The table is first made large enough
    /// for both: keys come out of `other` in the order of their hashes, and
    /// inserting them in that order into a smaller table would pile them
    /// up at its start (probe chains growing with every key).
    pub fn absorb(&mut self, other: Counters<K>) {
        if self.len == 0 {
            *self = other;
            return;
        }
        while (self.len + other.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        for (k, t) in other.iter() {
            self.merge(k, t);
        }
    }

    /// The keys and their counters, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (K, &Talker)> {
        self.slots
            .iter()
            .filter(|(_, t)| t.records > 0)
            .map(|(k, t)| (*k, t))
    }

    /// Loads the home slot of `key` (its value is meaningless): done for a
    /// batch of keys before counting them, the cache misses of the batch
    /// overlap instead of coming one after the other.
    #[inline]
    pub fn touch(&self, key: K) -> u64 {
        if self.slots.is_empty() {
            return 0;
        }
        let shift = 64 - self.slots.len().trailing_zeros();
        self.slots
            .get((key.hash() >> shift) as usize)
            .map_or(0, |(_, t)| t.records)
    }

    /// The counters of `key`, inserted as zero if new (the caller then adds
    /// at least one record).
    #[inline]
    fn entry(&mut self, key: K) -> &mut Talker {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let shift = 64 - self.slots.len().trailing_zeros();
        let mut i = (key.hash() >> shift) as usize;
        loop {
            let (k, t) = &self.slots[i];
            if t.records == 0 {
                self.len += 1;
                self.slots[i].0 = key;
                break;
            }
            if *k == key {
                break;
            }
            i = (i + 1) & mask;
        }
        &mut self.slots[i].1
    }

    /// The longest distance of a key from its home slot.
    #[cfg(test)]
    fn longest_probe(&self) -> usize {
        let mask = self.slots.len() - 1;
        let shift = 64 - self.slots.len().trailing_zeros();
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| t.records > 0)
            .map(|(at, (k, _))| at.wrapping_sub((k.hash() >> shift) as usize) & mask)
            .max()
            .unwrap_or(0)
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(
            &mut self.slots,
            vec![(K::default(), Talker::default()); size],
        );
        self.len = 0;
        for (k, t) in old {
            if t.records > 0 {
                *self.entry(k) = t;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Against a std map: many keys (several growths), repeats, key 0.
    #[test]
    fn agrees_with_a_std_map() {
        let mut c = Counters::<u32>::default();
        let mut want: HashMap<u32, Talker> = HashMap::new();
        let mut x = 12345u32;
        for i in 0..50_000u64 {
            // A mix of a few hot keys, sequential keys and scattered ones.
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let key = match i % 3 {
                0 => (i % 7) as u32,
                1 => (i / 3) as u32,
                _ => x,
            };
            let reject = i % 5 == 0;
            c.add(key, i, 1, reject);
            want.entry(key).or_default().add(i, 1, reject);
        }
        assert_eq!(c.len(), want.len());
        let got: HashMap<u32, Talker> = c.iter().map(|(k, t)| (k, *t)).collect();
        assert_eq!(got, want);
        assert!(got.contains_key(&0));
    }

    /// Merging a large table into a small one keeps probe runs short
    /// (keys inserted in hash order into a small table pile up).
    #[test]
    fn absorbing_a_large_table_keeps_probe_runs_short() {
        let mut big = Counters::<u32>::default();
        for k in 0..400_000u32 {
            big.add(k.wrapping_mul(2_654_435_761), 1, 1, false);
        }
        let mut small = Counters::<u32>::default();
        small.add(7, 1, 1, false);
        small.absorb(big.clone());
        assert_eq!(
            small.len(),
            400_001 - usize::from(big.iter().any(|(k, _)| k == 7))
        );
        // Without sizing first, runs of thousands of entries form.
        assert!(small.longest_probe() < 64, "{}", small.longest_probe());
        let mut empty = Counters::<u32>::default();
        empty.absorb(big);
        assert_eq!(empty.len(), 400_000);
    }

    #[test]
    fn merge_adds_and_wide_keys() {
        let mut a = Counters::<u128>::default();
        let mut b = Counters::<u128>::default();
        assert!(a.is_empty());
        a.add(1, 10, 1, false);
        a.add(u128::MAX, 5, 1, true);
        b.add(1 << 64, 7, 2, false);
        b.add(1, 1, 1, true);
        a.absorb(b);
        a.merge(99, &Talker::default());
        let mut got: Vec<(u128, Talker)> = a.iter().map(|(k, t)| (k, *t)).collect();
        got.sort_by_key(|(k, _)| *k);
        let t = |records, bytes, packets, rejects| Talker {
            records,
            bytes,
            packets,
            rejects,
        };
        assert_eq!(
            got,
            vec![
                (1, t(2, 11, 2, 1)),
                (1 << 64, t(1, 7, 2, 0)),
                (u128::MAX, t(1, 5, 1, 1))
            ]
        );
    }
}
