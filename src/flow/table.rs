//! The per-worker flow table.
//!
//! One hash lookup per packet into a slab of entries. Each entry holds the
//! two directions' counters for one aggregation window. Records leave the
//! table when a packet of a later window arrives (rollover), when capture
//! time passes the end of the window plus a grace period (window flush),
//! when the table is full (eviction, counted) or at the end of input.
//! Entries themselves are freed after their window is flushed once the
//! flow is closed (TCP FIN both ways or RST) or idle past its protocol's
//! timeout, tracked by per-second timer buckets driven by capture time.
//! No allocation per packet: buckets and the slab grow per flow, not per
//! packet, and are reused.

use std::collections::BTreeMap;

use hashbrown::{HashMap, HashTable};
use rustc_hash::FxBuildHasher;

use super::community_id::community_id;
use super::key::{Endpoint, FlowKey};
use super::record::{FlowRecord, RecordSink};
use crate::decap::Tunnel;
use crate::wire::Addr;
use crate::wire::geneve::GwlbOptions;
use crate::wire::transport::{aws_tcp_flags, proto, tcp_flag};

const NS: u64 = 1_000_000_000;

/// What the flow stage needs of one packet.
#[derive(Debug, Clone, Copy)]
pub struct PacketMeta {
    /// Capture time, ns since the epoch.
    pub ts_ns: u64,
    /// Mirror session.
    pub vni: Option<u32>,
    /// Outer source address.
    pub mirror_src: Option<Addr>,
    /// Tunnel kind.
    pub tunnel: Tunnel,
    /// GWLB options.
    pub gwlb: GwlbOptions,
    /// Inner source.
    pub src: Addr,
    /// Inner destination.
    pub dst: Addr,
    /// Source port (fragments: their datagram's).
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Protocol.
    pub protocol: u8,
    /// IP length (original size).
    pub ip_len: u32,
    /// Raw TCP flags when captured.
    pub tcp_flags: Option<u8>,
    /// ICMP type and code (for the Community ID).
    pub icmp: Option<(u8, u8)>,
}

impl PacketMeta {
    /// The packet's direction-free flow key and its direction in it.
    #[inline]
    pub fn key(&self) -> (FlowKey, usize) {
        FlowKey::of(
            self.vni,
            self.protocol,
            Endpoint {
                addr: self.src,
                port: self.src_port,
            },
            Endpoint {
                addr: self.dst,
                port: self.dst_port,
            },
        )
    }
}

/// Flow-stage settings; every default is documented on its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowConfig {
    /// Aggregation interval in seconds, 1..=600 (AWS: 60 or 600; default 600).
    pub interval: u64,
    /// Most flows per worker table (default 1,000,000); a full table evicts
    /// the oldest flow, emitting its record early (`flows_evicted`).
    pub max_flows: usize,
    /// Seconds of capture time a window stays open after its end for late
    /// (out-of-order) packets and held fragments (default 30).
    pub grace: u64,
    /// Idle timeout of TCP flows, seconds (default 600, Suricata's established).
    pub tcp_timeout: u64,
    /// Idle timeout of UDP flows, seconds (default 300).
    pub udp_timeout: u64,
    /// Idle timeout of ICMP and other protocols, seconds (default 300).
    pub other_timeout: u64,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            interval: 600,
            max_flows: 1_000_000,
            grace: 30,
            tcp_timeout: 600,
            udp_timeout: 300,
            other_timeout: 300,
        }
    }
}

/// Flow-stage counters (plain integers: one table per thread).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowStats {
    /// Flows created.
    pub flows_created: u64,
    /// Flows evicted because the table was full.
    pub flows_evicted: u64,
    /// Flows freed after FIN/RST or idle timeout.
    pub flows_expired: u64,
    /// Records emitted.
    pub records: u64,
    /// Packets older than their flow's open window (time went backwards).
    pub late_packets: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct DirStats {
    packets: u64,
    bytes: u64,
    first_ns: u64,
    last_ns: u64,
    flags: u8,
}

const TCP_FIN_0: u8 = 1;
const TCP_FIN_1: u8 = 2;
const TCP_RST: u8 = 4;

#[derive(Debug, Clone)]
struct Entry {
    /// The flow (also the slab slot's identity).
    key: FlowKey,
    /// Bumped whenever the slot is reused, so stale bucket references are ignored.
    generation: u32,
    /// Whether the slot holds a live flow.
    live: bool,
    /// Window start (s) of the counters; valid when any direction has packets.
    window: u64,
    /// Counters per direction (0: lo → hi).
    dirs: [DirStats; 2],
    /// Outer source address of the flow's first packet.
    mirror_src: Option<Addr>,
    /// Tunnel of the first packet.
    tunnel: Tunnel,
    /// GWLB options of the first packet.
    gwlb: GwlbOptions,
    /// ICMP type/code of the first packet and its direction.
    icmp: Option<(u8, u8, u8)>,
    /// Last packet of any direction, ns.
    last_ns: u64,
    /// TCP close state bits.
    tcp_state: u8,
}

impl Entry {
    #[inline]
    fn has_counters(&self) -> bool {
        self.dirs[0].packets != 0 || self.dirs[1].packets != 0
    }
}

type SlotRef = (u32, u32);

/// A worker's flow table.
#[derive(Debug)]
pub struct FlowTable {
    cfg: FlowConfig,
    /// Slot numbers, found by their entry's key (the key lives once, in
    /// the slot: 4 bytes of index per flow instead of a key copy).
    index: HashTable<u32>,
    slots: Vec<Entry>,
    free: Vec<u32>,
    /// Window start → slots that got counters in that window.
    windows: BTreeMap<u64, Vec<SlotRef>>,
    /// Expiry second → slots parked with no counters.
    timers: BTreeMap<u64, Vec<SlotRef>>,
    /// Spare vectors for the bucket maps (no allocation in steady state).
    spare: Vec<Vec<SlotRef>>,
    /// Records of windows older than their flow's open one (time went backwards).
    late: HashMap<(u64, FlowKey), Entry, FxBuildHasher>,
    clock_ns: u64,
    stats: FlowStats,
}

impl FlowTable {
    /// An empty table.
    pub fn new(cfg: FlowConfig) -> Self {
        FlowTable {
            cfg,
            index: HashTable::with_capacity(cfg.max_flows.min(1 << 16)),
            slots: Vec::new(),
            free: Vec::new(),
            windows: BTreeMap::new(),
            timers: BTreeMap::new(),
            spare: Vec::new(),
            late: HashMap::with_hasher(FxBuildHasher),
            clock_ns: 0,
            stats: FlowStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> FlowStats {
        self.stats
    }

    /// Live flows.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no flow is live.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Accounts one packet; finished records are pushed to `out`.
    #[inline]
    pub fn packet(&mut self, p: &PacketMeta, out: &mut impl RecordSink) {
        let (key, dir) = p.key();
        let window = (p.ts_ns / NS) / self.cfg.interval * self.cfg.interval;
        let hash = key_hash(&key);
        let slots = &self.slots;
        let idx = match self.index.find(hash, |&i| slots[i as usize].key == key) {
            Some(&i) => i,
            None => self.insert(key, hash, p, dir, out),
        };
        let e = &mut self.slots[idx as usize];
        if e.has_counters() && e.window != window {
            if window > e.window {
                // A later window: the open record is complete.
                emit(e, out, &mut self.stats);
            } else {
                // Time went backwards past a window boundary (merged or
                // reordered captures): the packet joins a record of its own
                // window, kept apart so the open record stays whole.
                self.stats.late_packets += 1;
                let late = self.late.entry((window, key)).or_insert_with(|| {
                    let mut l = e.clone();
                    l.window = window;
                    l.dirs = [DirStats::default(); 2];
                    l
                });
                account(late, dir, p);
                return;
            }
        }
        if !e.has_counters() {
            e.window = window;
            let r = (idx, e.generation);
            self.windows
                .entry(window)
                .or_insert_with(|| self.spare.pop().unwrap_or_default())
                .push(r);
        }
        account(e, dir, p);
    }

    fn insert(
        &mut self,
        key: FlowKey,
        hash: u64,
        p: &PacketMeta,
        dir: usize,
        out: &mut impl RecordSink,
    ) -> u32 {
        if self.index.len() >= self.cfg.max_flows {
            self.evict_one(out);
        }
        let icmp = p.icmp.map(|(t, c)| (t, c, dir as u8));
        let idx = match self.free.pop() {
            Some(i) => {
                let e = &mut self.slots[i as usize];
                e.key = key;
                e.generation = e.generation.wrapping_add(1);
                e.live = true;
                e.dirs = [DirStats::default(); 2];
                e.mirror_src = p.mirror_src;
                e.tunnel = p.tunnel;
                e.gwlb = p.gwlb;
                e.icmp = icmp;
                e.last_ns = p.ts_ns;
                e.tcp_state = 0;
                i
            }
            None => {
                self.slots.push(Entry {
                    key,
                    generation: 0,
                    live: true,
                    window: 0,
                    dirs: [DirStats::default(); 2],
                    mirror_src: p.mirror_src,
                    tunnel: p.tunnel,
                    gwlb: p.gwlb,
                    icmp,
                    last_ns: p.ts_ns,
                    tcp_state: 0,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let slots = &self.slots;
        self.index
            .insert_unique(hash, idx, |&i| key_hash(&slots[i as usize].key));
        self.stats.flows_created += 1;
        idx
    }

    /// Frees the oldest flow: an idle one if any is parked, else the one
    /// in the oldest open window (its record leaves early).
    fn evict_one(&mut self, out: &mut impl RecordSink) {
        for map in [0, 1] {
            loop {
                let bucket = if map == 0 {
                    self.timers.first_entry()
                } else {
                    self.windows.first_entry()
                };
                let Some(mut bucket) = bucket else { break };
                let Some((idx, generation)) = bucket.get_mut().pop() else {
                    let v = bucket.remove();
                    self.spare.push(v);
                    continue;
                };
                let e = &mut self.slots[idx as usize];
                if !e.live || e.generation != generation {
                    continue;
                }
                if map == 0 && e.has_counters() {
                    continue; // parked earlier, busy again: it is in a window bucket
                }
                emit(e, out, &mut self.stats);
                self.remove(idx);
                self.stats.flows_evicted += 1;
                return;
            }
        }
    }

    fn remove(&mut self, idx: u32) {
        let e = &mut self.slots[idx as usize];
        e.live = false;
        if let Ok(found) = self.index.find_entry(key_hash(&e.key), |&i| i == idx) {
            found.remove();
        }
        self.free.push(idx);
    }

    fn timeout_of(&self, e: &Entry) -> u64 {
        match e.key.protocol {
            proto::TCP => {
                if e.tcp_state & TCP_RST != 0
                    || e.tcp_state & (TCP_FIN_0 | TCP_FIN_1) == (TCP_FIN_0 | TCP_FIN_1)
                {
                    0
                } else {
                    self.cfg.tcp_timeout
                }
            }
            proto::UDP => self.cfg.udp_timeout,
            _ => self.cfg.other_timeout,
        }
    }

    /// Advances capture time: flushes windows that ended more than the
    /// grace period ago and frees idle flows.
    pub fn advance(&mut self, now_ns: u64, out: &mut impl RecordSink) {
        if now_ns <= self.clock_ns {
            return;
        }
        self.clock_ns = now_ns;
        let now = now_ns / NS;
        while let Some(entry) = self.windows.first_entry() {
            if entry.key() + self.cfg.interval + self.cfg.grace > now {
                break;
            }
            let window = *entry.key();
            let mut list = entry.remove();
            for &(idx, generation) in &list {
                self.flush_slot(idx, generation, window, now, out);
            }
            list.clear();
            self.spare.push(list);
        }
        if !self.late.is_empty() {
            let horizon = self.cfg.interval + self.cfg.grace;
            let stats = &mut self.stats;
            self.late.retain(|(w, _), l| {
                if w + horizon > now {
                    return true;
                }
                emit(l, out, stats);
                false
            });
        }
        while let Some(entry) = self.timers.first_entry() {
            if *entry.key() > now {
                break;
            }
            let mut list = entry.remove();
            for &(idx, generation) in &list {
                let e = &self.slots[idx as usize];
                if e.live && e.generation == generation && !e.has_counters() {
                    let expires = e.last_ns / NS + self.timeout_of(e);
                    if expires <= now {
                        self.remove(idx);
                        self.stats.flows_expired += 1;
                    }
                }
            }
            list.clear();
            self.spare.push(list);
        }
    }

    fn flush_slot(
        &mut self,
        idx: u32,
        generation: u32,
        window: u64,
        now: u64,
        out: &mut impl RecordSink,
    ) {
        let timeout = {
            let e = &self.slots[idx as usize];
            if !e.live || e.generation != generation || !e.has_counters() || e.window != window {
                return;
            }
            self.timeout_of(e)
        };
        let e = &mut self.slots[idx as usize];
        emit(e, out, &mut self.stats);
        let expires = e.last_ns / NS + timeout;
        if expires <= now {
            self.remove(idx);
            self.stats.flows_expired += 1;
        } else {
            let v = self
                .timers
                .entry(expires)
                .or_insert_with(|| self.spare.pop().unwrap_or_default());
            v.push((idx, generation));
        }
    }

    /// End of input: every record still open leaves the table.
    pub fn finish(&mut self, out: &mut impl RecordSink) {
        for (_, mut l) in self.late.drain() {
            emit(&mut l, out, &mut self.stats);
        }
        let windows = std::mem::take(&mut self.windows);
        for (window, list) in windows {
            for (idx, generation) in list {
                let e = &mut self.slots[idx as usize];
                if e.live && e.generation == generation && e.has_counters() && e.window == window {
                    emit(e, out, &mut self.stats);
                }
            }
        }
        self.timers.clear();
        self.index.clear();
        self.slots.clear();
        self.free.clear();
    }
}

/// The index hash of a flow key.
#[inline]
fn key_hash(key: &FlowKey) -> u64 {
    use std::hash::BuildHasher;
    FxBuildHasher.hash_one(key)
}

/// Adds one packet to an entry's direction counters and TCP state.
#[inline]
fn account(e: &mut Entry, dir: usize, p: &PacketMeta) {
    let d = &mut e.dirs[dir];
    if d.packets == 0 {
        d.first_ns = p.ts_ns;
        d.last_ns = p.ts_ns;
    } else {
        d.first_ns = d.first_ns.min(p.ts_ns);
        d.last_ns = d.last_ns.max(p.ts_ns);
    }
    d.packets += 1;
    d.bytes += p.ip_len as u64;
    e.last_ns = e.last_ns.max(p.ts_ns);
    if let Some(raw) = p.tcp_flags {
        d.flags |= aws_tcp_flags(raw);
        if raw & tcp_flag::SYN != 0 && raw & tcp_flag::ACK == 0 && e.tcp_state != 0 {
            // A new SYN on a closed 5-tuple: port reuse, a new connection.
            e.tcp_state = 0;
        }
        if raw & tcp_flag::RST != 0 {
            e.tcp_state |= TCP_RST;
        }
        if raw & tcp_flag::FIN != 0 {
            e.tcp_state |= if dir == 0 { TCP_FIN_0 } else { TCP_FIN_1 };
        }
    }
}

/// Moves an entry's counters out as records (one per direction with packets).
fn emit(e: &mut Entry, out: &mut impl RecordSink, stats: &mut FlowStats) {
    // The Community ID is the same for both directions; compute it once,
    // from the first packet's view for ICMP (type/code are not symmetric).
    let cid = match e.icmp {
        Some((t, c, d)) => {
            let (s, dst) = e.key.endpoints(d as usize);
            community_id(e.key.protocol, s.addr, dst.addr, t as u16, c as u16)
        }
        None => community_id(
            e.key.protocol,
            e.key.lo.addr,
            e.key.hi.addr,
            e.key.lo.port,
            e.key.hi.port,
        ),
    };
    for dir in 0..2 {
        let d = e.dirs[dir];
        if d.packets == 0 {
            continue;
        }
        let (s, t) = e.key.endpoints(dir);
        out.record(FlowRecord {
            window: e.window,
            vni: (e.key.vni != super::key::NO_VNI).then_some(e.key.vni),
            mirror_src: e.mirror_src,
            tunnel: e.tunnel,
            gwlb: e.gwlb,
            src: s.addr,
            dst: t.addr,
            src_port: s.port,
            dst_port: t.port,
            protocol: e.key.protocol,
            packets: d.packets,
            bytes: d.bytes,
            first_ns: d.first_ns,
            last_ns: d.last_ns,
            tcp_flags: if e.key.protocol == proto::TCP {
                d.flags
            } else {
                0
            },
            community_id: cid.clone(),
        });
        stats.records += 1;
    }
    e.dirs = [DirStats::default(); 2];
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
