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

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use crate::flow::PacketMeta;

/// Packets per batch.
pub const BATCH_SIZE: usize = 256;
/// Batches queued per worker.
pub const QUEUE_BATCHES: usize = 64;

/// What a full worker queue does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backpressure {
    /// Wait for the worker (offline: nothing is lost).
    Block,
    /// Drop the batch and count it (live: never stall the socket).
    Drop,
}

/// A batch of packets for one worker.
#[derive(Debug, Default)]
pub struct Batch {
    /// The packets.
    pub packets: Vec<PacketMeta>,
    /// Capture time the reader has reached (ns).
    pub clock_ns: u64,
}

/// The sending side, owned by the reader thread.
pub struct Dispatcher {
    senders: Vec<Sender<Batch>>,
    pending: Vec<Batch>,
    recycle: Receiver<Batch>,
    mode: Backpressure,
    clock_ns: u64,
    /// Packets dropped because a queue was full (live mode).
    pub dropped: u64,
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
        let pending = (0..workers)
            .map(|_| Batch {
                packets: Vec::with_capacity(BATCH_SIZE),
                clock_ns: 0,
            })
            .collect();
        (
            Dispatcher {
                senders,
                pending,
                recycle: rrx,
                mode,
                clock_ns: 0,
                dropped: 0,
            },
            queues,
        )
    }

    /// Another producer into the same worker queues (one per receive
    /// thread), with its own partial batches, clock and drop count.
    pub fn another(&self) -> Dispatcher {
        Dispatcher {
            senders: self.senders.clone(),
            pending: (0..self.senders.len())
                .map(|_| Batch {
                    packets: Vec::with_capacity(BATCH_SIZE),
                    clock_ns: 0,
                })
                .collect(),
            recycle: self.recycle.clone(),
            mode: self.mode,
            clock_ns: 0,
            dropped: 0,
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
        let w = if self.senders.len() == 1 {
            0
        } else {
            self.worker_of(&p)
        };
        self.pending[w].packets.push(p);
        if self.pending[w].packets.len() >= BATCH_SIZE {
            self.send(w);
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
            self.pending[w].packets.clear();
            return;
        }
        let fresh = self.recycle.try_recv().unwrap_or_else(|_| Batch {
            packets: Vec::with_capacity(BATCH_SIZE),
            clock_ns: 0,
        });
        let mut batch = std::mem::replace(&mut self.pending[w], fresh);
        batch.clock_ns = self.clock_ns;
        match self.mode {
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
