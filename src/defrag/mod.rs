//! IP defragmentation for the detection stage.
//!
//! Flow records only need a fragment's ports (`dispatch::frag` lends them);
//! detection must see whole datagrams, as Suricata inspects them: a pattern
//! split over two fragments only matches the reassembled packet. This
//! module rebuilds IPv4 and IPv6 datagrams from their fragments:
//!
//! * fragments are kept per (VNI, family, source, destination, protocol,
//!   identification) in a tracker whose buffer grows to the datagram's
//!   size (at most 65,535 bytes of payload);
//! * overlaps follow the BSD policy, Suricata's default (`defrag.policy`):
//!   bytes already written win, unless the new fragment starts before the
//!   fragment that wrote them (events `overlap` and
//!   `overlap_different_data`, as Suricata's defrag events);
//! * the rebuilt packet is the first fragment's header with lengths and
//!   fragment fields fixed (IPv4: total length, MF and offset cleared;
//!   IPv6: payload length, the fragment header removed and its next header
//!   put in its place), then the reassembled payload;
//! * memory is bounded: at most `max_trackers` datagrams in progress (the
//!   oldest is dropped, counted), `max_fragments` per datagram, and a
//!   timeout (Suricata's `defrag.timeout`, 60 s) after which an incomplete
//!   datagram is dropped.

use std::collections::VecDeque;

mod parse;

use hashbrown::HashMap;
use rustc_hash::FxBuildHasher;

use crate::wire::Addr;

/// Largest reassembled payload (the IPv4 total-length field's range).
pub const MAX_PAYLOAD: usize = 65_535;
const BLOCK: usize = 8;

/// Limits; defaults follow Suricata 7's stock configuration where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragConfig {
    /// Seconds a datagram may take to complete (default 60).
    pub timeout_s: u64,
    /// Datagrams in progress at once (default 65,535, Suricata's `defrag.trackers`).
    pub max_trackers: usize,
    /// Fragments accepted per datagram (default 256).
    pub max_fragments: u16,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            timeout_s: 60,
            max_trackers: 65_535,
            max_fragments: 256,
        }
    }
}

/// Which datagram a fragment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DefragKey {
    /// Mirror session (fragments of different sessions never mix).
    pub vni: Option<u32>,
    /// VLAN ids of the fragments' frames (Suricata's defrag tracker
    /// compares them too, under `vlan.use-for-tracking`).
    pub vlan_ids: crate::wire::ethernet::VlanIds,
    /// Source address.
    pub src: Addr,
    /// Destination address.
    pub dst: Addr,
    /// Protocol (IPv4) or the fragment header's next header (IPv6).
    pub protocol: u8,
    /// Identification.
    pub id: u32,
}

/// One fragment, as the decoder sees it.
#[derive(Debug, Clone, Copy)]
pub struct Fragment<'a> {
    /// Its datagram.
    pub key: DefragKey,
    /// Capture time, ns.
    pub ts_ns: u64,
    /// Offset of its data in the datagram's payload, bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
    /// The fragment's data (after the IP header; IPv6: after the fragment
    /// header).
    pub data: &'a [u8],
    /// The header to rebuild the datagram with (IPv4: the IP header with
    /// options; IPv6: the fixed header and the extension headers before
    /// the fragment header). Only the first fragment's is used.
    pub header: &'a [u8],
    /// IPv6: index in `header` of the next-header byte that names the
    /// fragment header (6 when the fragment header follows the fixed one).
    pub v6_next_header_at: Option<usize>,
}

/// What adding a fragment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Kept; the datagram is not complete yet.
    Pending,
    /// The datagram is complete: the rebuilt packet is in the output buffer.
    Complete,
    /// Not kept, for the reason given.
    Dropped(DropReason),
}

/// Why a fragment was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The datagram would exceed 65,535 bytes of payload.
    TooLarge,
    /// The datagram already has `max_fragments` fragments.
    TooManyFragments,
    /// A non-last fragment whose length is not a multiple of 8.
    Misaligned,
}

/// Defragmentation counters (plain integers: one instance per worker).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefragStats {
    /// Datagrams rebuilt.
    pub reassembled: u64,
    /// Fragments that overlapped bytes already held.
    pub overlaps: u64,
    /// Overlaps with different bytes (evasion attempts).
    pub overlaps_different: u64,
    /// Datagrams dropped incomplete at their timeout.
    pub timeouts: u64,
    /// Datagrams dropped incomplete because the tracker table was full.
    pub evicted: u64,
    /// Fragments dropped (too large, too many, misaligned).
    pub dropped: u64,
}

#[derive(Debug, Default)]
struct Tracker {
    /// Payload bytes by offset.
    data: Vec<u8>,
    /// Per 8-byte block: 0 when empty, else 1 + the block index where the
    /// fragment that wrote it started (BSD: a later fragment wins a block
    /// only when it starts before that).
    owner: Vec<u16>,
    /// The first fragment's header, once seen.
    header: Vec<u8>,
    /// IPv6: where the next-header byte naming the fragment header is, and
    /// the protocol the fragment header named.
    v6_next_header: Option<(usize, u8)>,
    /// Payload length, once the last fragment is seen.
    total: Option<usize>,
    fragments: u16,
    /// Bumped on reuse, so stale queue entries are ignored.
    generation: u32,
}

/// The datagrams in progress of one worker.
#[derive(Debug)]
pub struct Defrag {
    cfg: DefragConfig,
    trackers: HashMap<DefragKey, Tracker, FxBuildHasher>,
    /// Arrival order (key, generation) for timeouts and eviction.
    order: VecDeque<(DefragKey, u32, u64)>,
    spare: Vec<Tracker>,
    generation: u32,
    stats: DefragStats,
}

impl Defrag {
    /// No datagram in progress.
    pub fn new(cfg: DefragConfig) -> Self {
        Defrag {
            cfg,
            trackers: HashMap::with_hasher(FxBuildHasher),
            order: VecDeque::new(),
            spare: Vec::new(),
            generation: 0,
            stats: DefragStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> DefragStats {
        self.stats
    }

    /// Datagrams in progress.
    pub fn in_progress(&self) -> usize {
        self.trackers.len()
    }

    /// Adds a fragment; on [`Outcome::Complete`] `out` holds the rebuilt packet.
    pub fn fragment(&mut self, f: &Fragment<'_>, out: &mut Vec<u8>) -> Outcome {
        self.expire(f.ts_ns);
        let start = f.offset as usize;
        let end = start + f.data.len();
        if end > MAX_PAYLOAD {
            return self.drop_fragment(DropReason::TooLarge);
        }
        if f.more && !f.data.len().is_multiple_of(BLOCK) {
            return self.drop_fragment(DropReason::Misaligned);
        }
        if !self.trackers.contains_key(&f.key) {
            if self.trackers.len() >= self.cfg.max_trackers {
                self.evict_oldest();
            }
            let mut t = self.spare.pop().unwrap_or_default();
            self.generation = self.generation.wrapping_add(1);
            t.generation = self.generation;
            self.order.push_back((f.key, t.generation, f.ts_ns));
            self.trackers.insert(f.key, t);
        }
        let Some(t) = self.trackers.get_mut(&f.key) else {
            return Outcome::Pending;
        };
        if t.fragments >= self.cfg.max_fragments {
            self.stats.dropped += 1;
            return Outcome::Dropped(DropReason::TooManyFragments);
        }
        t.fragments += 1;
        if start == 0 && t.header.is_empty() {
            t.header.extend_from_slice(f.header);
            t.v6_next_header = f.v6_next_header_at.map(|at| (at, f.key.protocol));
        }
        if !f.more {
            t.total = Some(end);
        }
        let blocks = end.div_ceil(BLOCK);
        if t.data.len() < end {
            t.data.resize(end, 0);
        }
        if t.owner.len() < blocks {
            t.owner.resize(blocks, 0);
        }
        let me = (start / BLOCK) as u16 + 1;
        let (mut overlap, mut different) = (false, false);
        for b in start / BLOCK..blocks {
            let lo = (b * BLOCK).max(start);
            let hi = ((b + 1) * BLOCK).min(end);
            let new = &f.data[lo - start..hi - start];
            let owner = t.owner[b];
            if owner == 0 || me < owner {
                if owner != 0 {
                    overlap = true;
                    different |= t.data[lo..hi] != *new;
                }
                t.data[lo..hi].copy_from_slice(new);
                t.owner[b] = me;
            } else {
                overlap = true;
                different |= t.data[lo..hi] != *new;
            }
        }
        self.stats.overlaps += overlap as u64;
        self.stats.overlaps_different += different as u64;
        let complete = match t.total {
            Some(total) => {
                !t.header.is_empty()
                    && t.owner.len() >= total.div_ceil(BLOCK)
                    && t.owner[..total.div_ceil(BLOCK)].iter().all(|&o| o != 0)
            }
            None => false,
        };
        if !complete {
            return Outcome::Pending;
        }
        let Some(t) = self.trackers.remove(&f.key) else {
            return Outcome::Pending;
        };
        rebuild(&t, out);
        self.stats.reassembled += 1;
        self.recycle(t);
        Outcome::Complete
    }

    /// Drops datagrams older than the timeout at capture time `now_ns`.
    pub fn expire(&mut self, now_ns: u64) {
        let timeout = self.cfg.timeout_s.saturating_mul(1_000_000_000);
        while let Some(&(key, generation, first)) = self.order.front() {
            if first.saturating_add(timeout) > now_ns {
                break;
            }
            self.order.pop_front();
            if self.discard(key, generation) {
                self.stats.timeouts += 1;
            }
        }
    }

    fn evict_oldest(&mut self) {
        while let Some((key, generation, _)) = self.order.pop_front() {
            if self.discard(key, generation) {
                self.stats.evicted += 1;
                return;
            }
        }
    }

    /// Drops the datagram in progress under `key` if it is still the one
    /// queued with `generation` (not completed and reused since).
    fn discard(&mut self, key: DefragKey, generation: u32) -> bool {
        if self
            .trackers
            .get(&key)
            .is_none_or(|t| t.generation != generation)
        {
            return false;
        }
        if let Some(t) = self.trackers.remove(&key) {
            self.recycle(t);
        }
        true
    }

    fn drop_fragment(&mut self, why: DropReason) -> Outcome {
        self.stats.dropped += 1;
        Outcome::Dropped(why)
    }

    fn recycle(&mut self, mut t: Tracker) {
        if self.spare.len() < 64 {
            t.data.clear();
            t.owner.clear();
            t.header.clear();
            t.v6_next_header = None;
            t.total = None;
            t.fragments = 0;
            self.spare.push(t);
        }
    }
}

/// Writes the whole datagram: the first fragment's header with its length
/// and fragment fields fixed, then the payload.
fn rebuild(t: &Tracker, out: &mut Vec<u8>) {
    let total = t.total.unwrap_or(t.data.len());
    out.clear();
    out.extend_from_slice(&t.header);
    let payload = &t.data[..total];
    match t.v6_next_header {
        None => {
            // IPv4: total length, flags/offset (keep DF), the checksum as it was.
            if out.len() >= 20 {
                let len = (out.len() + payload.len()).min(u16::MAX as usize) as u16;
                out[2..4].copy_from_slice(&len.to_be_bytes());
                out[6] &= 0x40;
                out[7] = 0;
            }
        }
        Some((at, next)) => {
            // IPv6: the fragment header is gone; the byte that named it now
            // names what it carried, and the payload length covers the
            // extension headers kept plus the data.
            if out.len() >= 40 {
                let pl = (out.len() - 40 + payload.len()).min(u16::MAX as usize) as u16;
                out[4..6].copy_from_slice(&pl.to_be_bytes());
            }
            if let Some(b) = out.get_mut(at) {
                *b = next;
            }
        }
    }
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests;
