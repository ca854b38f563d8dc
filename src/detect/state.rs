//! Detection state that outlives a packet: per-flow bits and integers
//! ([`FlowDetectState`], owned by the flow table entry), per-host bits
//! ([`HostTable`]) and threshold counters ([`ThresholdTable`]), both owned
//! by the caller (one per worker, or shared behind a lock taken only when
//! a thresholded rule matches). Tables are bounded: when full, new keys
//! are not tracked and are counted in `dropped`.

use hashbrown::HashMap;

use super::keywords::threshold::{Threshold, ThresholdKind, Track};
use crate::wire::Addr;

/// Per-flow detection state.
#[derive(Debug, Clone, Default)]
pub struct FlowDetectState {
    bits: Vec<u64>,
    ints: Vec<Option<u32>>,
    /// IP-only rules were evaluated for [to_server, to_client].
    pub(crate) ip_only_done: [bool; 2],
    /// A `pass` rule matched: the rest of the flow is not inspected.
    pub passed: bool,
    /// Payload inspection is off for the rest of the flow (Suricata's
    /// `FLOW_NOPAYLOAD_INSPECTION`, set by the application layer, e.g. TLS
    /// once encrypted with the default `encryption-handling`): rules that
    /// need a payload ([`crate::detect::Signature::requires_payload`]) are
    /// skipped on its packets and its stream is not inspected; header and
    /// IP-only rules still run.
    pub no_payload_inspection: bool,
}

impl FlowDetectState {
    /// Whether flowbit `id` is set.
    #[inline]
    pub fn bit(&self, id: u32) -> bool {
        self.bits
            .get(id as usize / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// Sets or clears flowbit `id`.
    pub fn set_bit(&mut self, id: u32, on: bool) {
        let w = id as usize / 64;
        if self.bits.len() <= w {
            if !on {
                return;
            }
            self.bits.resize(w + 1, 0);
        }
        if on {
            self.bits[w] |= 1 << (id % 64);
        } else {
            self.bits[w] &= !(1 << (id % 64));
        }
    }

    /// The flowint `id`, when set.
    #[inline]
    pub fn int(&self, id: u32) -> Option<u32> {
        self.ints.get(id as usize).copied().flatten()
    }

    /// Sets flowint `id`.
    pub fn set_int(&mut self, id: u32, v: u32) {
        let i = id as usize;
        if self.ints.len() <= i {
            self.ints.resize(i + 1, None);
        }
        self.ints[i] = Some(v);
    }
}

/// Whose bit a [`HostTable`] entry is: one host (`hostbits`, `xbits`
/// `track ip_src|ip_dst`) or an unordered pair of hosts (`xbits` `track
/// ip_pair`, Suricata's IPPair, whose lookup matches either order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BitOwner {
    /// One address.
    Host(Addr),
    /// Two addresses, lower first (so both directions find the same bit).
    Pair(Addr, Addr),
}

impl BitOwner {
    /// The pair of `a` and `b`, in either order.
    pub fn pair(a: Addr, b: Addr) -> Self {
        if a <= b {
            BitOwner::Pair(a, b)
        } else {
            BitOwner::Pair(b, a)
        }
    }
}

/// Host and IP-pair bits: (owner, bit id) → expiry time (ns).
#[derive(Debug, Clone)]
pub struct HostTable {
    map: HashMap<(BitOwner, u32), u64>,
    cap: usize,
    /// Sets refused because the table was full.
    pub dropped: u64,
}

impl Default for HostTable {
    fn default() -> Self {
        HostTable::new(1 << 20)
    }
}

impl HostTable {
    /// A table holding at most `cap` bits.
    pub fn new(cap: usize) -> Self {
        HostTable {
            map: HashMap::new(),
            cap,
            dropped: 0,
        }
    }

    /// Whether `host` has bit `id` at time `now` (ns).
    pub fn get(&self, host: BitOwner, id: u32, now: u64) -> bool {
        self.map.get(&(host, id)).is_some_and(|&exp| now < exp)
    }

    /// Sets (expiring at `expire_at` ns) or clears a bit at time `now`.
    pub fn set(&mut self, host: BitOwner, id: u32, on: bool, now: u64, expire_at: u64) {
        if !on {
            self.map.remove(&(host, id));
            return;
        }
        if self.map.len() >= self.cap && !self.map.contains_key(&(host, id)) {
            self.prune(now);
            if self.map.len() >= self.cap {
                self.dropped += 1;
                return;
            }
        }
        self.map.insert((host, id), expire_at);
    }

    fn prune(&mut self, now: u64) {
        self.map.retain(|_, &mut exp| exp > now);
    }
}

/// What a threshold counter is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Src(Addr),
    Dst(Addr),
    Rule,
    Both(Addr, Addr),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    first: u64,
    count: u32,
}

/// Threshold and detection_filter counters.
#[derive(Debug, Clone)]
pub struct ThresholdTable {
    map: HashMap<(u32, u32, bool, Key), Entry>,
    cap: usize,
    /// Keys not tracked because the table was full (their matches alert).
    pub dropped: u64,
}

impl Default for ThresholdTable {
    fn default() -> Self {
        ThresholdTable::new(1 << 20)
    }
}

impl ThresholdTable {
    /// A table of at most `cap` counters.
    pub fn new(cap: usize) -> Self {
        ThresholdTable {
            map: HashMap::new(),
            cap,
            dropped: 0,
        }
    }

    /// Counts one match of rule (gid, sid) under `t` at `now` (ns) and says
    /// whether it may alert (Suricata's limit/threshold/both/detection_filter).
    pub fn allow(
        &mut self,
        gid: u32,
        sid: u32,
        t: &Threshold,
        src: Addr,
        dst: Addr,
        now: u64,
    ) -> bool {
        let key = match t.track {
            Track::BySrc => Key::Src(src),
            Track::ByDst => Key::Dst(dst),
            Track::ByRule => Key::Rule,
            Track::ByBoth => Key::Both(src, dst),
        };
        let df = t.kind == ThresholdKind::DetectionFilter;
        let window = t.seconds as u64 * 1_000_000_000;
        let full = self.map.len() >= self.cap;
        let k = (gid, sid, df, key);
        let Some(e) = self.map.get_mut(&k) else {
            if full {
                self.map
                    .retain(|_, e| now.saturating_sub(e.first) < 3600 * 1_000_000_000);
                if self.map.len() >= self.cap {
                    self.dropped += 1;
                    return true;
                }
            }
            self.map.insert(
                k,
                Entry {
                    first: now,
                    count: 1,
                },
            );
            return match t.kind {
                ThresholdKind::Limit => true,
                ThresholdKind::Threshold | ThresholdKind::Both => t.count == 1,
                ThresholdKind::DetectionFilter => t.count == 0,
            };
        };
        if now.saturating_sub(e.first) < window {
            e.count += 1;
            match t.kind {
                ThresholdKind::Limit => e.count <= t.count,
                ThresholdKind::Threshold => {
                    if e.count >= t.count {
                        e.count = 0;
                        true
                    } else {
                        false
                    }
                }
                ThresholdKind::Both => e.count == t.count,
                ThresholdKind::DetectionFilter => e.count > t.count,
            }
        } else {
            e.first = now;
            e.count = 1;
            match t.kind {
                ThresholdKind::Limit => true,
                ThresholdKind::Threshold | ThresholdKind::Both => t.count == 1,
                ThresholdKind::DetectionFilter => t.count == 0,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn t(kind: ThresholdKind, count: u32, seconds: u32) -> Threshold {
        Threshold {
            kind,
            track: Track::BySrc,
            count,
            seconds,
        }
    }

    fn run(th: Threshold, times: &[u64]) -> Vec<bool> {
        let mut tab = ThresholdTable::default();
        let a = Addr::v4([10, 0, 0, 1]);
        let b = Addr::v4([10, 0, 0, 2]);
        times
            .iter()
            .map(|&s| tab.allow(1, 7, &th, a, b, s * S))
            .collect()
    }

    #[test]
    fn limit_threshold_both_detection_filter() {
        let times = [0, 1, 2, 3, 4, 5, 6, 12, 13];
        assert_eq!(
            run(t(ThresholdKind::Limit, 2, 10), &times),
            [true, true, false, false, false, false, false, true, true]
        );
        assert_eq!(
            run(t(ThresholdKind::Threshold, 3, 10), &times),
            [false, false, true, false, false, true, false, false, false]
        );
        assert_eq!(
            run(t(ThresholdKind::Both, 2, 10), &times),
            [false, true, false, false, false, false, false, false, true]
        );
        assert_eq!(
            run(t(ThresholdKind::DetectionFilter, 2, 10), &times),
            [false, false, true, true, true, true, true, false, false]
        );
    }

    #[test]
    fn flow_bits_and_ints() {
        let mut f = FlowDetectState::default();
        assert!(!f.bit(130));
        f.set_bit(130, true);
        assert!(f.bit(130) && !f.bit(129));
        f.set_bit(130, false);
        assert!(!f.bit(130));
        f.set_bit(999, false);
        assert_eq!(f.int(3), None);
        f.set_int(3, 7);
        assert_eq!(f.int(3), Some(7));
    }

    #[test]
    fn host_bits_expire_and_cap() {
        let mut h = HostTable::new(1);
        let a = BitOwner::Host(Addr::v4([1, 1, 1, 1]));
        h.set(a, 0, true, 0, 30 * S);
        assert!(h.get(a, 0, 29 * S) && !h.get(a, 0, 30 * S));
        h.set(BitOwner::Host(Addr::v4([2, 2, 2, 2])), 0, true, S, 60 * S);
        assert_eq!(h.dropped, 1);
        h.set(a, 0, false, 0, 0);
        assert!(!h.get(a, 0, 0));
    }

    #[test]
    fn pair_bits_are_unordered_and_apart_from_host_bits() {
        let mut h = HostTable::default();
        let (a, b) = (Addr::v4([10, 0, 0, 1]), Addr::v4([10, 0, 0, 2]));
        h.set(BitOwner::pair(a, b), 3, true, 0, 10 * S);
        assert!(h.get(BitOwner::pair(b, a), 3, S));
        assert!(!h.get(BitOwner::Host(a), 3, S) && !h.get(BitOwner::Host(b), 3, S));
        assert!(!h.get(BitOwner::pair(a, a), 3, S));
    }
}
