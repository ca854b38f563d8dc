//! IP defragmentation for the detection stage.
//!
//! Flow records only need a fragment's ports (`dispatch::frag` lends them);
//! detection must see whole datagrams, as Suricata inspects them: a pattern
//! split over two fragments only matches the reassembled packet. This
//! module rebuilds IPv4 and IPv6 datagrams from their fragments:
//!
//! * fragments are kept per (VNI, VLAN ids, family, source, destination,
//!   protocol, identification) in a tracker, in offset order, each with
//!   its bytes, as Suricata 7.0.10's `DefragInsertFrag` keeps them;
//! * overlaps follow Suricata's policies as its stock configuration picks
//!   them: `windows` for IPv4 (its `host-os-policy` maps 0.0.0.0/0 to
//!   windows) and `bsd`, the default, for IPv6 (no IPv6 entry). A new
//!   fragment is compared with those around it and trimmed (its head
//!   dropped), dropped, or wins over them (their head trimmed, or the one
//!   it covers skipped) exactly as Suricata decides; the datagram is then
//!   written fragment by fragment in offset order, so a later offset
//!   overwrites what it was not trimmed of (see [`Policy`]). Counters
//!   `overlap` and `overlap_different_data`, as Suricata's defrag events;
//! * the datagram is complete once its last fragment (MF clear) was seen
//!   and the fragments cover 0 to the largest end without a hole; its
//!   length is that largest end (which may pass the last fragment's, as in
//!   Suricata); a fragment whose length is not a multiple of 8 is kept as
//!   Suricata keeps it;
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

/// How overlapping fragments are resolved: Suricata 7.0.10's policies of
/// those names (`DefragInsertFrag`), for the two its stock configuration
/// uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// A fragment keeps the bytes of one that starts after it; one that
    /// starts at or after an earlier one's start loses the overlap to it.
    Bsd,
    /// The first fragment's bytes win, except over a fragment the new one
    /// covers and passes at both ends, which it replaces; a new fragment
    /// inside an earlier one is dropped.
    Windows,
}

/// Limits; defaults follow Suricata 7's stock configuration where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragConfig {
    /// Seconds a datagram may take to complete (default 60).
    pub timeout_s: u64,
    /// Datagrams in progress at once (default 65,535, Suricata's `defrag.trackers`).
    pub max_trackers: usize,
    /// Fragments accepted per datagram (default 256).
    pub max_fragments: u16,
    /// Overlap policy for IPv4 (default windows: Suricata's stock
    /// `host-os-policy` maps 0.0.0.0/0 to windows).
    pub policy_v4: Policy,
    /// Overlap policy for IPv6 (default bsd, `defrag`'s default policy).
    pub policy_v6: Policy,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            timeout_s: 60,
            max_trackers: 65_535,
            max_fragments: 256,
            policy_v4: Policy::Windows,
            policy_v6: Policy::Bsd,
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
    /// The datagram would exceed 65,535 bytes of payload, or its fragments
    /// would hold more than twice that.
    TooLarge,
    /// The datagram already has `max_fragments` fragments.
    TooManyFragments,
    /// The policy drops it: its bytes are all held already.
    Overlapped,
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

/// One fragment held, as Suricata's `Frag`.
#[derive(Debug, Clone, Copy)]
struct Piece {
    /// Offset of its data in the datagram's payload.
    offset: u32,
    /// Its data's length.
    len: u32,
    /// Where its data is in the tracker's `bytes`.
    at: u32,
    /// Leading bytes not written (another fragment's win).
    ltrim: u32,
    /// Not written at all (a later fragment covered it).
    skip: bool,
}

impl Piece {
    fn end(&self) -> u32 {
        self.offset + self.len
    }
}

/// Most fragment bytes one tracker holds (overlaps included).
const MAX_HELD: usize = 2 * MAX_PAYLOAD;

#[derive(Debug, Default)]
struct Tracker {
    /// The fragments, in offset order (a new one after those of its offset).
    pieces: Vec<Piece>,
    /// Their data, back to back.
    bytes: Vec<u8>,
    /// The first fragment's header, once seen.
    header: Vec<u8>,
    /// IPv6: where the next-header byte naming the fragment header is, and
    /// the protocol the fragment header named.
    v6_next_header: Option<(usize, u8)>,
    /// The last fragment (MF clear) was seen.
    seen_last: bool,
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
        if t.bytes.len() + f.data.len() > MAX_HELD {
            self.stats.dropped += 1;
            return Outcome::Dropped(DropReason::TooLarge);
        }
        let policy = if f.v6_next_header_at.is_some() {
            self.cfg.policy_v6
        } else {
            self.cfg.policy_v4
        };
        let (start, end) = (start as u32, end as u32);
        let (overlap, different) = overlaps(t, start, f.data);
        self.stats.overlaps += overlap as u64;
        self.stats.overlaps_different += different as u64;
        let Some(ltrim) = place(&mut t.pieces, policy, start, end) else {
            self.stats.dropped += 1;
            return Outcome::Dropped(DropReason::Overlapped);
        };
        t.fragments += 1;
        if start == 0 && t.header.is_empty() {
            t.header.extend_from_slice(f.header);
            t.v6_next_header = f.v6_next_header_at.map(|at| (at, f.key.protocol));
        }
        let at = t.pieces.partition_point(|p| p.offset <= start);
        t.pieces.insert(
            at,
            Piece {
                offset: start,
                len: end - start,
                at: t.bytes.len() as u32,
                ltrim,
                skip: false,
            },
        );
        t.bytes.extend_from_slice(f.data);
        t.seen_last |= !f.more;
        let Some(len) = complete_len(t) else {
            return Outcome::Pending;
        };
        let Some(t) = self.trackers.remove(&f.key) else {
            return Outcome::Pending;
        };
        rebuild(&t, len, out);
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
            t.pieces.clear();
            t.bytes.clear();
            t.header.clear();
            t.v6_next_header = None;
            t.seen_last = false;
            t.fragments = 0;
            self.spare.push(t);
        }
    }
}

/// Whether the new fragment `start`, `data` meets bytes already held, and
/// whether any of them differ (Suricata's `overlap` and
/// `overlap_different_data` events).
fn overlaps(t: &Tracker, start: u32, data: &[u8]) -> (bool, bool) {
    let end = start + data.len() as u32;
    let (mut overlap, mut different) = (false, false);
    for p in t.pieces.iter().filter(|p| !p.skip) {
        let (lo, hi) = (start.max(p.offset + p.ltrim), end.min(p.end()));
        if lo < hi {
            overlap = true;
            let held = &t.bytes[(p.at + lo - p.offset) as usize..(p.at + hi - p.offset) as usize];
            different |= held != &data[(lo - start) as usize..(hi - start) as usize];
        }
    }
    (overlap, different)
}

/// Where the new fragment `start..end` goes under `policy`, as Suricata
/// 7.0.10's `DefragInsertFrag`: the leading bytes to trim off it, or
/// `None` to drop it; the fragments held may get their own head trimmed or
/// be skipped. The comparison starts at the fragment before the first one
/// at or after `start` (from the lowest when there is none, or when
/// `start` is 0) and stops at the first rule that decides.
fn place(pieces: &mut [Piece], policy: Policy, start: u32, end: u32) -> Option<u32> {
    let n = pieces.len();
    let first_at = pieces.partition_point(|p| p.offset < start);
    let mut prev = if policy == Policy::Windows || start == 0 || first_at == n || first_at == 0 {
        0
    } else {
        first_at - 1
    };
    let mut ltrim = 0u32;
    while prev < n {
        let next = prev + 1;
        let p = pieces[prev];
        if p.skip {
            prev = next;
            continue;
        }
        match policy {
            Policy::Bsd => {
                if start < p.end() {
                    if p.offset <= start {
                        // The earlier-starting fragment's bytes are kept.
                        if p.end() > end {
                            return None;
                        }
                        ltrim = p.end() - start;
                    } else if end > p.offset + p.ltrim {
                        // This one starts before: it wins the head of `p`.
                        pieces[prev].ltrim = pieces[prev].ltrim.max(end - p.offset);
                    }
                    if next < n && end > pieces[next].offset {
                        pieces[next].ltrim = end - pieces[next].offset;
                    }
                    return Some(ltrim);
                }
            }
            Policy::Windows => {
                let p_start = p.offset + p.ltrim;
                if start >= p_start && end <= p.end() {
                    return None;
                }
                if start < p_start && end > p.end() {
                    pieces[prev].skip = true;
                    return Some(ltrim);
                }
                if start > p_start && start < p.end() {
                    ltrim = ltrim.max(p.end() - start);
                } else if start == p_start && end > p.end() {
                    return Some(ltrim.max(p.end() - start));
                }
            }
        }
        prev = next;
    }
    Some(ltrim)
}

/// The datagram's payload length once it is complete: its last fragment
/// seen, and fragments from 0 to the largest end without a hole (the
/// largest end is the length, as in Suricata's `Defrag4Reassemble`).
fn complete_len(t: &Tracker) -> Option<usize> {
    if !t.seen_last || t.header.is_empty() {
        return None;
    }
    let mut len = 0u32;
    for p in t.pieces.iter().filter(|p| !p.skip) {
        if p.offset > len {
            return None;
        }
        len = len.max(p.end());
    }
    Some(len as usize)
}

/// Writes the whole datagram: the first fragment's header with its length
/// and fragment fields fixed, then the payload of `len` bytes, each
/// fragment's bytes (less its trimmed head) in offset order.
fn rebuild(t: &Tracker, len: usize, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&t.header);
    let hl = out.len();
    out.resize(hl + len, 0);
    for p in t.pieces.iter().filter(|p| !p.skip && p.ltrim < p.len) {
        let (from, to) = ((p.at + p.ltrim) as usize, (p.at + p.len) as usize);
        let at = hl + (p.offset + p.ltrim) as usize;
        out[at..at + (to - from)].copy_from_slice(&t.bytes[from..to]);
    }
    let (header, payload) = out.split_at_mut(hl);
    let payload = &*payload;
    match t.v6_next_header {
        None => {
            // IPv4: total length, flags/offset (keep DF), the checksum as it was.
            if header.len() >= 20 {
                let len = (header.len() + payload.len()).min(u16::MAX as usize) as u16;
                header[2..4].copy_from_slice(&len.to_be_bytes());
                header[6] &= 0x40;
                header[7] = 0;
            }
        }
        Some((at, next)) => {
            // IPv6: the fragment header is gone; the byte that named it now
            // names what it carried, and the payload length covers the
            // extension headers kept plus the data.
            if header.len() >= 40 {
                let pl = (header.len() - 40 + payload.len()).min(u16::MAX as usize) as u16;
                header[4..6].copy_from_slice(&pl.to_be_bytes());
            }
            if let Some(b) = header.get_mut(at) {
                *b = next;
            }
        }
    }
}

#[cfg(test)]
mod tests;
