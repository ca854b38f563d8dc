//! Capture order across workers, for the rare decision that depends on
//! another worker's flows (an FTP data connection whose control channel
//! hashed elsewhere, see [`crate::ids::expect`]).
//!
//! The dispatcher numbers the packets it queues (one sequence for all
//! workers) and stamps each batch with the sequence reached when it was
//! sent; a worker that finished a batch has processed every packet of its
//! own numbered below that stamp and publishes it in `done`. A worker that
//! needs everything before its packet `s` processed ([`Order::wait_for`])
//! publishes `s` as its own progress, asks the dispatcher to send every
//! partial batch at once (`flush`, also empty batches, so that idle workers
//! move their progress), and waits until every other worker's progress
//! reached `s`.
//!
//! No deadlock: the waiter with the lowest `s` is waited for by no one
//! (every other waiter published a higher progress), every other worker
//! eventually gets its batches (the dispatcher keeps offering them without
//! blocking while a flush is asked, even while it waits for room in a
//! full queue), and a worker whose queue closed publishes `u64::MAX`. A
//! wait longer than [`MAX_WAIT`] (a bug, or a worker stuck elsewhere) gives
//! up and is counted.
//!
//! Only lookups that could find an expectation another worker announces
//! wait: the dispatcher stamps every packet whose host pair had no
//! possible FTP control channel on another worker ([`super::gate`]), and
//! a lookup on such a packet goes on at once ([`Order::skipped`]).
//!
//! Nothing here runs per packet on the workers; the dispatcher reads one
//! relaxed atomic per packet queued.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::gate::ArmedPairs;
use crate::wire::Addr;
use std::time::{Duration, Instant};

/// Longest wait before giving up (counted in [`Order::timeouts`]).
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// Shared by the dispatcher and the workers of one replay.
#[derive(Debug)]
pub struct Order {
    /// Per worker: every packet of its numbered below this was processed.
    done: Vec<AtomicU64>,
    /// A worker waits: the dispatcher is to send every partial batch.
    flush: AtomicBool,
    /// Waits that had to wait (the others were behind).
    waits: AtomicU64,
    /// Waits that gave up after [`MAX_WAIT`].
    timeouts: AtomicU64,
    /// Lookups that did not wait: their host pair was not armed before
    /// them, or the dispatcher's host-pair gate found their packet local
    /// ([`super::gate`]).
    skips: AtomicU64,
    /// The host pairs that may carry an FTP control channel, and since
    /// which packet.
    pairs: ArmedPairs,
}

impl Order {
    /// Order for `workers` workers.
    pub fn new(workers: usize) -> Self {
        Order {
            done: (0..workers.max(1)).map(|_| AtomicU64::new(0)).collect(),
            flush: AtomicBool::new(false),
            waits: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            skips: AtomicU64::new(0),
            pairs: ArmedPairs::new(),
        }
    }

    /// Workers ordered.
    pub fn workers(&self) -> usize {
        self.done.len()
    }

    /// Worker `w` processed every packet of its numbered below `seq`.
    #[inline]
    pub fn progress(&self, w: usize, seq: u64) {
        if let Some(d) = self.done.get(w) {
            d.fetch_max(seq, Ordering::AcqRel);
        }
    }

    /// Whether a worker waits for the dispatcher's partial batches.
    #[inline]
    pub fn flush_wanted(&self) -> bool {
        self.flush.load(Ordering::Relaxed)
    }

    /// The dispatcher sent every partial batch.
    pub fn flushed(&self) {
        self.flush.store(false, Ordering::Relaxed);
    }

    fn others_reached(&self, w: usize, seq: u64) -> bool {
        self.done
            .iter()
            .enumerate()
            .all(|(i, d)| i == w || d.load(Ordering::Acquire) >= seq)
    }

    /// Worker `w`, about to process its packet `seq`, waits until every
    /// other worker processed every packet numbered below `seq`. Returns
    /// false when it gave up after [`MAX_WAIT`].
    pub fn wait_for(&self, w: usize, seq: u64) -> bool {
        self.progress(w, seq);
        if self.others_reached(w, seq) {
            return true;
        }
        self.waits.fetch_add(1, Ordering::Relaxed);
        // Once is enough: every packet before `seq` was queued already, so
        // the next flush sends every batch holding one.
        self.flush.store(true, Ordering::Relaxed);
        let start = Instant::now();
        let mut spins = 0u32;
        while !self.others_reached(w, seq) {
            if spins < 64 {
                spins += 1;
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_micros(50));
            }
            if start.elapsed() > MAX_WAIT {
                self.timeouts.fetch_add(1, Ordering::Relaxed);
                return false;
            }
        }
        true
    }

    /// The host pairs armed so far (the dispatcher arms them).
    pub fn pairs(&self) -> &ArmedPairs {
        &self.pairs
    }

    /// Worker `w` looks up an expectation of hosts `a`, `b` at sequence
    /// number `seq`; `local` when the dispatcher stamped the packet local
    /// to `w` ([`super::gate`]). Waits as [`Order::wait_for`] unless the
    /// pair was not armed by `seq` or the packet is local: then no other
    /// worker can add an expectation the lookup sees, and it goes on.
    pub fn before_lookup(&self, w: usize, (a, b): (Addr, Addr), seq: u64, local: bool) {
        if local || !self.pairs.armed_by(a, b, seq) {
            self.skips.fetch_add(1, Ordering::Relaxed);
        } else {
            self.wait_for(w, seq);
        }
    }

    /// Lookups that did not wait ([`Order::skipped`]).
    pub fn skips(&self) -> u64 {
        self.skips.load(Ordering::Relaxed)
    }

    /// Waits that had to wait for other workers.
    pub fn waits(&self) -> u64 {
        self.waits.load(Ordering::Relaxed)
    }

    /// Waits that gave up.
    pub fn timeouts(&self) -> u64 {
        self.timeouts.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_until_every_other_worker_passed() {
        let o = std::sync::Arc::new(Order::new(3));
        o.progress(1, 10);
        let o2 = o.clone();
        let waiter = std::thread::spawn(move || o2.wait_for(0, 7));
        // Worker 2 is behind: the waiter asks for a flush and waits.
        while !o.flush_wanted() {
            std::thread::yield_now();
        }
        assert!(!waiter.is_finished());
        o.progress(2, 8);
        assert!(waiter.join().unwrap());
        assert_eq!(o.waits(), 1);
        // The waiter published its own progress.
        assert!(o.others_reached(1, 7));
        // Nobody behind: no wait.
        assert!(o.wait_for(2, 7));
        assert_eq!(o.waits(), 1);
    }

    #[test]
    fn lookups_wait_only_on_armed_pairs_not_local() {
        let o = std::sync::Arc::new(Order::new(2));
        let (a, b) = (Addr::v4([10, 0, 0, 1]), Addr::v4([10, 0, 0, 2]));
        // Worker 1 is behind (progress 0). Unarmed pair, or a local
        // packet: no wait.
        o.before_lookup(0, (a, b), 5, false);
        o.before_lookup(0, (a, b), 5, true);
        assert_eq!((o.skips(), o.waits()), (2, 0));
        // The dispatcher arms the pair on packet 3 (an FTP greeting).
        let meta = super::super::test_meta((b, a), (21, 40000), 6);
        let mut ip = vec![0u8; 40];
        ip[0] = 0x45;
        ip[9] = 6;
        ip[32] = 0x50;
        ip.extend_from_slice(b"220 (x)\r\n");
        let mut gate = super::super::gate::PairGate::new();
        gate.stamp(&meta, &ip, (1, 3), o.pairs());
        // A lookup before packet 3 still goes on; one after it waits for
        // worker 1.
        o.before_lookup(0, (a, b), 2, false);
        assert_eq!(o.skips(), 3);
        let o2 = o.clone();
        let waiter = std::thread::spawn(move || o2.before_lookup(0, (b, a), 5, false));
        while !o.flush_wanted() {
            std::thread::yield_now();
        }
        o.progress(1, 5);
        waiter.join().unwrap();
        assert_eq!((o.skips(), o.waits()), (3, 1));
    }

    #[test]
    fn the_lowest_waiter_goes_first() {
        // Workers 0 and 1 wait at once (at 5 and 9); worker 2 is behind.
        let o = std::sync::Arc::new(Order::new(3));
        let (a, b) = (o.clone(), o.clone());
        let w0 = std::thread::spawn(move || a.wait_for(0, 5));
        let w1 = std::thread::spawn(move || b.wait_for(1, 9));
        o.progress(2, 6);
        // Worker 0 (at 5) passes: 1 published 9, 2 reached 6.
        assert!(w0.join().unwrap());
        assert!(!w1.is_finished());
        o.progress(0, 10);
        o.progress(2, u64::MAX);
        assert!(w1.join().unwrap());
        assert_eq!(o.timeouts(), 0);
    }
}
