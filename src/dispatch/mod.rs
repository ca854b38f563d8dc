//! Dispatch: decoded packets → worker threads, by a symmetric hash of
//! (VNI, inner 5-tuple) so both directions of a flow meet in one table.
//!
//! Packets travel in batches over bounded crossbeam channels; batch vectors
//! are recycled, so nothing is allocated per packet. Backpressure is a
//! choice: offline replay blocks the reader (no loss); the live receiver
//! drops the batch and counts it (`queue_full`). Each batch carries the
//! reader's capture clock so that every worker's timers advance even when
//! it sees no packets. IP fragments get their datagram's ports here
//! ([`frag`]), before hashing.

pub mod frag;
pub mod gate;
pub mod order;

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, SendTimeoutError, Sender, TrySendError, bounded};

use self::gate::PairGate;
use self::order::Order;

use crate::flow::{Layer, PacketMeta};

/// Packets per batch.
pub const BATCH_SIZE: usize = 256;
/// Batches queued per worker.
pub const QUEUE_BATCHES: usize = 64;
/// How often a dispatcher blocked on a full queue looks whether a worker
/// waits for the others ([`order`]).
const ORDERED_SEND_POLL: Duration = Duration::from_micros(200);

/// What a full worker queue does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backpressure {
    /// Wait for the worker (offline: nothing is lost).
    Block,
    /// Drop the batch and count it (live: never stall the socket).
    Drop,
}

/// What a packet is for, when bytes are carried: the flow stage (flow
/// logs), the detection stage, or both. Detection sees packets the flow
/// stage must not count (the outer packet of a tunnel, a datagram rebuilt
/// from its fragments) and the flow stage counts packets detection sees
/// another way (fragments' ports only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Flow logs only (no bytes).
    #[default]
    Flow,
    /// Flow logs and detection.
    Both,
    /// Detection only, in its flow.
    Detect,
    /// Detection only, outside any flow (an IP fragment: Suricata inspects
    /// fragments as packets without a flow, then the rebuilt datagram).
    DetectNoFlow,
}

impl Role {
    /// Whether the flow stage counts the packet.
    #[inline]
    pub fn flow(self) -> bool {
        matches!(self, Role::Flow | Role::Both)
    }

    /// Whether the detection stage inspects the packet.
    #[inline]
    pub fn detect(self) -> bool {
        !matches!(self, Role::Flow)
    }
}

/// Which decoder made a packet detection inspects, for its alerts'
/// `pkt_src` (Suricata's names: the capture, `gre tunnel`, `ipv4 tunnel`,
/// `ipv6 tunnel`, `defrag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decoder {
    /// The captured (or received) packet, decapsulated from the mirror
    /// tunnel when it came in one.
    #[default]
    Capture,
    /// The packet inside a GRE or ERSPAN packet.
    Gre,
    /// The packet inside an IPv4 packet (6in4, 4in4): `ipv4 tunnel`.
    Ipv4Tunnel,
    /// The packet inside an IPv6 packet (4in6, 6in6): `ipv6 tunnel`.
    Ipv6Tunnel,
    /// A datagram rebuilt from its fragments.
    Defrag,
}

/// What travels with a packet when bytes are carried.
#[derive(Debug, Clone, Copy, Default)]
pub struct Carried {
    /// Where its bytes start in the batch's arena: first the outer
    /// (tunnel) headers, `outer` bytes, then the packet's IP bytes.
    pub at: u32,
    /// Length of the outer headers (0 without a tunnel or when unknown).
    pub outer: u32,
    /// Length of the packet's IP bytes.
    pub len: u32,
    /// What the packet is for.
    pub role: Role,
    /// Frame number in its capture (1-based; 0 live).
    pub frame: u64,
    /// Which decoder made it.
    pub decoder: Decoder,
    /// Position in the dispatcher's sequence of queued packets (0-based,
    /// every worker's packets in one sequence; see [`order`]).
    pub seq: u64,
    /// An FTP expectation lookup on this packet need not wait for the
    /// other workers: no packet of its host pair that could belong to an
    /// FTP control channel went to another worker before it ([`gate`]).
    /// False when unknown (the lookup waits).
    pub pair_local: bool,
    /// Its VLAN ids and tunnel depth (detection's flow key).
    pub layer: Layer,
}

/// The extra things [`Dispatcher::push_carried`] sends with a packet.
#[derive(Debug, Clone, Copy)]
pub struct Carry<'a> {
    /// The packet's IP bytes.
    pub ip: &'a [u8],
    /// The outer IP and UDP headers of its tunnel (empty without one).
    pub outer: &'a [u8],
    /// What the packet is for.
    pub role: Role,
    /// Frame number in its capture.
    pub frame: u64,
    /// Which decoder made it.
    pub decoder: Decoder,
    /// Its VLAN ids and tunnel depth (detection's flow key).
    pub layer: Layer,
}

/// A batch of packets for one worker.
#[derive(Debug, Default)]
pub struct Batch {
    /// The packets.
    pub packets: Vec<PacketMeta>,
    /// Capture time the reader has reached (ns).
    pub clock_ns: u64,
    /// Packets the dispatcher had queued when it sent the batch: every
    /// packet of this worker numbered below it is in this batch or an
    /// earlier one ([`order`]).
    pub seq_end: u64,
    /// The packets' bytes, back to back, when the dispatcher carries
    /// bytes (detection needs them; flow logs do not): one arena per batch,
    /// recycled with it, so carrying bytes allocates nothing per packet.
    pub data: Vec<u8>,
    /// Where each packet's bytes are in `data` and what it is for
    /// (parallel to `packets` when bytes are carried, empty otherwise;
    /// kept out of [`PacketMeta`] so the flow-only path moves no more than
    /// it needs).
    pub spans: Vec<Carried>,
}

impl Batch {
    fn empty() -> Self {
        Batch {
            packets: Vec::with_capacity(BATCH_SIZE),
            clock_ns: 0,
            seq_end: 0,
            data: Vec::new(),
            spans: Vec::new(),
        }
    }

    /// What travelled with packet `i` (the default, flow only, when
    /// nothing was carried).
    #[inline]
    pub fn carried(&self, i: usize) -> Carried {
        self.spans.get(i).copied().unwrap_or_default()
    }

    /// The IP bytes carried for packet `i` (empty when none were).
    #[inline]
    pub fn bytes(&self, i: usize) -> &[u8] {
        let c = self.carried(i);
        let at = c.at as usize + c.outer as usize;
        self.data.get(at..at + c.len as usize).unwrap_or(&[])
    }

    /// The outer (tunnel) headers carried for packet `i` (empty when none).
    #[inline]
    pub fn outer(&self, i: usize) -> &[u8] {
        let c = self.carried(i);
        self.data
            .get(c.at as usize..c.at as usize + c.outer as usize)
            .unwrap_or(&[])
    }

    /// Empties the batch for reuse, keeping its capacity.
    pub fn clear(&mut self) {
        self.packets.clear();
        self.data.clear();
        self.spans.clear();
    }
}

/// The sending side, owned by the reader thread.
pub struct Dispatcher {
    senders: Vec<Sender<Batch>>,
    pending: Vec<Batch>,
    recycle: Receiver<Batch>,
    mode: Backpressure,
    clock_ns: u64,
    /// Whether packets' bytes travel with them ([`Dispatcher::push_with_bytes`]).
    carry_bytes: bool,
    /// Packets dropped because a queue was full (live mode).
    pub dropped: u64,
    /// Packets queued so far (the next packet's sequence number).
    seq: u64,
    /// Capture order shared with the workers (replay with detection and
    /// several workers).
    order: Option<Arc<Order>>,
    /// Which packets' expectation lookups need not wait (with `order`).
    gate: Option<PairGate>,
}

/// The receiving side of one worker.
pub struct WorkerQueue {
    /// Batches to process.
    pub rx: Receiver<Batch>,
    /// Where processed batches go back for reuse.
    pub recycle: Sender<Batch>,
}

impl Dispatcher {
    /// A dispatcher and one queue per worker.
    pub fn new(workers: usize, mode: Backpressure) -> (Self, Vec<WorkerQueue>) {
        Self::with_queue(workers, mode, QUEUE_BATCHES)
    }

    /// A dispatcher and one queue of `queue_batches` batches per worker.
    pub fn with_queue(
        workers: usize,
        mode: Backpressure,
        queue_batches: usize,
    ) -> (Self, Vec<WorkerQueue>) {
        let queue_batches = queue_batches.max(1);
        let (rtx, rrx) = bounded(workers * (queue_batches + 2));
        let mut senders = Vec::with_capacity(workers);
        let mut queues = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (tx, rx) = bounded(queue_batches);
            senders.push(tx);
            queues.push(WorkerQueue {
                rx,
                recycle: rtx.clone(),
            });
        }
        let pending = (0..workers).map(|_| Batch::empty()).collect();
        (
            Dispatcher {
                senders,
                pending,
                recycle: rrx,
                mode,
                clock_ns: 0,
                carry_bytes: false,
                dropped: 0,
                seq: 0,
                order: None,
                gate: None,
            },
            queues,
        )
    }

    /// Another producer into the same worker queues (one per receive
    /// thread), with its own partial batches, clock and drop count.
    pub fn another(&self) -> Dispatcher {
        Dispatcher {
            senders: self.senders.clone(),
            pending: (0..self.senders.len()).map(|_| Batch::empty()).collect(),
            recycle: self.recycle.clone(),
            mode: self.mode,
            clock_ns: 0,
            carry_bytes: self.carry_bytes,
            dropped: 0,
            seq: 0,
            order: None,
            gate: None,
        }
    }

    /// Makes [`push_with_bytes`](Self::push_with_bytes) carry packets' bytes
    /// to the workers (off by default: flow logs need none).
    pub fn carry_bytes(mut self, on: bool) -> Self {
        self.carry_bytes = on;
        self
    }

    /// Shares `order` with the workers: batches carry their sequence stamp,
    /// and a worker waiting for the others gets every partial batch sent
    /// at once (see [`order`]). Blocking mode only (replay).
    pub fn ordered(mut self, order: Arc<Order>) -> Self {
        self.order = Some(order);
        self.gate = Some(PairGate::new());
        self
    }

    /// Whether packets' bytes travel to the workers.
    pub fn carries_bytes(&self) -> bool {
        self.carry_bytes
    }

    /// Queues a packet with its captured IP bytes for the flow stage and
    /// detection (copied into the batch's arena when bytes are carried;
    /// otherwise the same as [`push`](Self::push)).
    #[inline]
    pub fn push_with_bytes(&mut self, p: PacketMeta, bytes: &[u8]) {
        self.push_carried(
            p,
            Carry {
                ip: bytes,
                outer: &[],
                role: Role::Both,
                frame: 0,
                decoder: Decoder::Capture,
                layer: Layer::default(),
            },
        );
    }

    /// Queues a packet with what travels with it. Without carried bytes,
    /// packets for detection only are dropped here (nobody would see them)
    /// and the rest is [`push`](Self::push).
    #[inline]
    pub fn push_carried(&mut self, p: PacketMeta, c: Carry<'_>) {
        if !self.carry_bytes {
            if c.role.flow() {
                self.push(p);
            }
            return;
        }
        let w = self.worker_for(&p);
        let pair_local = match (&mut self.gate, c.role) {
            (Some(g), Role::Both | Role::Detect) => match &self.order {
                Some(o) => g.stamp(&p, c.ip, (w, self.seq), o.pairs()),
                None => false,
            },
            _ => false,
        };
        let b = &mut self.pending[w];
        b.spans.push(Carried {
            at: b.data.len() as u32,
            outer: c.outer.len() as u32,
            len: c.ip.len() as u32,
            role: c.role,
            frame: c.frame,
            decoder: c.decoder,
            seq: self.seq,
            pair_local,
            layer: c.layer,
        });
        b.data.extend_from_slice(c.outer);
        b.data.extend_from_slice(c.ip);
        self.queue(w, p);
    }

    #[inline]
    fn worker_for(&self, p: &PacketMeta) -> usize {
        if self.senders.len() == 1 {
            0
        } else {
            self.worker_of(p)
        }
    }

    /// Worker index of a packet.
    #[inline]
    pub fn worker_of(&self, p: &PacketMeta) -> usize {
        let (key, _) = p.key();
        (key.symmetric_hash() % self.senders.len() as u64) as usize
    }

    /// Queues a packet; sends its worker's batch when full.
    #[inline]
    pub fn push(&mut self, p: PacketMeta) {
        let w = self.worker_for(&p);
        if self.carry_bytes {
            let b = &mut self.pending[w];
            b.spans.push(Carried {
                at: b.data.len() as u32,
                seq: self.seq,
                ..Carried::default()
            });
        }
        self.queue(w, p);
    }

    #[inline]
    fn queue(&mut self, w: usize, p: PacketMeta) {
        self.seq += 1;
        self.pending[w].packets.push(p);
        if self.pending[w].packets.len() >= BATCH_SIZE {
            self.send(w);
        }
        if self.order.as_ref().is_some_and(|o| o.flush_wanted()) {
            self.help_waiters(None);
        }
    }

    /// A worker waits for the others ([`order`]): offers every worker but
    /// `skip` its partial batch (an empty one too, so that an idle worker
    /// publishes its progress) without blocking; once all went, the
    /// request is served.
    fn help_waiters(&mut self, skip: Option<usize>) {
        let Some(order) = self.order.clone() else {
            return;
        };
        let mut all = skip.is_none();
        for v in 0..self.senders.len() {
            if Some(v) == skip {
                continue;
            }
            // Only this thread sends: a queue with room now takes it.
            if self.senders[v].is_full() {
                all = false;
                continue;
            }
            let fresh = self.recycle.try_recv().unwrap_or_else(|_| Batch::empty());
            let mut batch = std::mem::replace(&mut self.pending[v], fresh);
            batch.clock_ns = self.clock_ns;
            batch.seq_end = self.seq;
            // A closed queue: that worker died (its error surfaces at join).
            let _ = self.senders[v].try_send(batch);
        }
        if all {
            order.flushed();
        }
    }

    /// Advances the capture clock; once per new second every worker gets
    /// its partial batch (and so the time).
    #[inline]
    pub fn clock(&mut self, ts_ns: u64) {
        if ts_ns / 1_000_000_000 > self.clock_ns / 1_000_000_000 {
            self.clock_ns = ts_ns;
            for w in 0..self.senders.len() {
                self.send(w);
            }
        } else if ts_ns > self.clock_ns {
            self.clock_ns = ts_ns;
        }
    }

    fn send(&mut self, w: usize) {
        if self.mode == Backpressure::Drop && self.senders[w].is_full() {
            // Drop the packets but keep the batch's vector (no allocation
            // while overloaded).
            self.dropped += self.pending[w].packets.len() as u64;
            self.pending[w].clear();
            return;
        }
        let mut fresh = self.recycle.try_recv().unwrap_or_else(|_| Batch::empty());
        fresh.clear();
        let mut batch = std::mem::replace(&mut self.pending[w], fresh);
        batch.clock_ns = self.clock_ns;
        batch.seq_end = self.seq;
        match self.mode {
            Backpressure::Block if self.order.is_some() => {
                // While this worker's queue is full, the others still get
                // their partial batches when one waits for them.
                loop {
                    match self.senders[w].send_timeout(batch, ORDERED_SEND_POLL) {
                        Ok(()) | Err(SendTimeoutError::Disconnected(_)) => break,
                        Err(SendTimeoutError::Timeout(b)) => {
                            batch = b;
                            if self.order.as_ref().is_some_and(|o| o.flush_wanted()) {
                                self.help_waiters(Some(w));
                            }
                        }
                    }
                }
            }
            Backpressure::Block => {
                // A closed channel means the worker died; its error surfaces at join.
                let _ = self.senders[w].send(batch);
            }
            Backpressure::Drop => match self.senders[w].try_send(batch) {
                Ok(()) => {}
                Err(TrySendError::Full(b)) | Err(TrySendError::Disconnected(b)) => {
                    self.dropped += b.packets.len() as u64;
                }
            },
        }
    }

    /// Sends every partial batch and closes the queues. The last batches
    /// wait for room even in drop mode: at shutdown the workers are
    /// draining, and nothing accepted is lost.
    pub fn finish(mut self) {
        self.mode = Backpressure::Block;
        for w in 0..self.senders.len() {
            if !self.pending[w].packets.is_empty() {
                self.send(w);
            }
        }
    }
}

/// A packet's metadata for tests: hosts, ports, protocol; a VXLAN mirror
/// packet of session 1 otherwise.
#[cfg(test)]
pub(crate) fn test_meta(
    (src, dst): (crate::wire::Addr, crate::wire::Addr),
    (src_port, dst_port): (u16, u16),
    protocol: u8,
) -> PacketMeta {
    PacketMeta {
        ts_ns: 1,
        vni: Some(1),
        mirror_src: None,
        tunnel: crate::decap::Tunnel::Vxlan,
        gwlb: crate::wire::geneve::GwlbOptions::default(),
        src,
        dst,
        src_port,
        dst_port,
        protocol,
        ip_len: 40,
        tcp_flags: None,
        icmp: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Addr;

    fn meta(i: u16) -> PacketMeta {
        test_meta(
            (Addr::v4([10, 0, 0, 1]), Addr::v4([10, 0, 0, 2])),
            (1000 + i, 80),
            6,
        )
    }

    /// Every packet arrives at its flow's worker with exactly its bytes.
    #[test]
    fn bytes_travel_with_their_packets() {
        let (d, queues) = Dispatcher::new(2, Backpressure::Block);
        let mut d = d.carry_bytes(true);
        for i in 0..600u16 {
            let bytes = vec![(i % 251) as u8; (i % 97) as usize];
            d.push_with_bytes(meta(i), &bytes);
        }
        d.finish();
        let mut seen = 0;
        for q in &queues {
            for batch in q.rx.try_iter() {
                for (k, p) in batch.packets.iter().enumerate() {
                    let i = p.src_port - 1000;
                    assert_eq!(
                        batch.bytes(k),
                        &vec![(i % 251) as u8; (i % 97) as usize][..]
                    );
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, 600);
    }

    #[test]
    fn without_carrying_no_bytes_are_copied() {
        let (mut d, queues) = Dispatcher::new(1, Backpressure::Block);
        d.push_with_bytes(meta(1), b"payload");
        d.finish();
        let batch = queues[0].rx.try_recv().unwrap();
        assert!(batch.data.is_empty());
        assert_eq!(batch.bytes(0), b"");
    }

    #[test]
    fn dropped_batches_release_their_bytes() {
        let (d, queues) = Dispatcher::with_queue(1, Backpressure::Drop, 1);
        let mut d = d.carry_bytes(true);
        for i in 0..(3 * BATCH_SIZE) as u16 {
            d.push_with_bytes(meta(i), &[7; 100]);
        }
        assert_eq!(d.dropped, 2 * BATCH_SIZE as u64);
        assert!(d.pending[0].data.is_empty());
        let batch = queues[0].rx.try_recv().unwrap();
        assert_eq!(batch.data.len(), BATCH_SIZE * 100);
    }

    /// Packets are numbered in dispatch order across workers, batches
    /// stamped with how far the numbering got, and a waiting worker's
    /// flush request sends every partial batch (empty ones too).
    #[test]
    fn ordered_batches_carry_sequence_and_flush_on_request() {
        let order = Arc::new(Order::new(2));
        let (d, queues) = Dispatcher::new(2, Backpressure::Block);
        let mut d = d.carry_bytes(true).ordered(order.clone());
        // One flow on each worker.
        let w0 = d.worker_of(&meta(0));
        let other = (1..100).find(|&i| d.worker_of(&meta(i)) != w0).unwrap();
        d.push_with_bytes(meta(0), b"a");
        d.push_with_bytes(meta(other), b"b");
        d.push_with_bytes(meta(0), b"c");
        assert!(
            queues.iter().all(|q| q.rx.is_empty()),
            "partial batches wait"
        );
        // A worker asks (as Order::wait_for does): the next packet queued
        // sends every partial batch.
        std::thread::scope(|s| {
            let o = order.clone();
            let waiter = s.spawn(move || o.wait_for(w0, 2));
            while !order.flush_wanted() {
                std::thread::yield_now();
            }
            d.push_with_bytes(meta(0), b"d");
            assert!(!order.flush_wanted());
            let b0 = queues[w0].rx.try_recv().unwrap();
            let b1 = queues[1 - w0].rx.try_recv().unwrap();
            let seqs = |b: &Batch| b.spans.iter().map(|c| c.seq).collect::<Vec<_>>();
            assert_eq!((seqs(&b0), seqs(&b1)), (vec![0, 2, 3], vec![1]));
            assert_eq!((b0.seq_end, b1.seq_end), (4, 4));
            // The other worker processed its batch: the waiter goes on.
            order.progress(1 - w0, b1.seq_end);
            assert!(waiter.join().unwrap());
        });
    }
}
