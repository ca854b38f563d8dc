//! The data connections FTP control channels announced (Suricata's
//! app-layer expectations), shared by every worker: a control flow and
//! its data flows hash to different workers, so the announcement and the
//! flow that fulfils it meet here.
//!
//! Off the per-packet path: an expectation is added when a control
//! channel's RETR/STOR is parsed, and looked up once per direction of a
//! TCP flow, on that direction's first data when protocol detection named
//! nothing (as Suricata's `AppLayerProtoDetectPEGetProto`). An atomic count
//! of the held expectations skips the lookup, and its lock, when none is
//! held.
//!
//! As Suricata 7's `app-layer-expectation.c`: an expectation names the two
//! hosts of the control flow (either order), the data flow's server port
//! and the direction the file travels; a flow takes the newest matching
//! one, and every other one matching it goes too (Suricata's lookup loop
//! removes each match); at most [`MAX_PER_PAIR`] wait per host pair (the
//! oldest goes), and one older than [`TIMEOUT_S`] seconds of capture time
//! is dropped when a lookup of its host pair passes it. The whole store
//! holds at most [`MAX_HELD`]: past it, a new announcement is dropped and
//! counted.
//!
//! Order: each expectation carries the capture sequence number of the
//! packet whose processing announced it, and a lookup made on packet `s`
//! sees only those announced before `s`. In replay, the lookup first waits
//! until every other worker processed every packet before `s`
//! ([`crate::dispatch::order`]), so a data flow finds exactly the
//! expectations a single-threaded pass would have had, whatever worker
//! its control flow is on — unless no packet which could belong to an FTP
//! control channel between the same two hosts went to another worker
//! before it ([`crate::dispatch::gate`]): then nothing another worker adds
//! could match, and it does not wait.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::app::{AppStats, FlowAppLayer};
use crate::applayer::Direction;
use crate::applayer::ftp::FtpExpectation;
use crate::dispatch::order::Order;
use crate::wire::Addr;

/// Expectations waiting per host pair (Suricata's `EXPECTATION_MAX_LEVEL`).
pub const MAX_PER_PAIR: usize = 10;
/// Seconds an expectation waits (Suricata's `EXPECTATION_TIMEOUT`).
pub const TIMEOUT_S: u64 = 30;
/// Expectations held in all; more are dropped and counted.
pub const MAX_HELD: usize = 4096;

const NS: u64 = 1_000_000_000;

/// One announced data connection.
#[derive(Debug, Clone)]
struct Held {
    /// The control flow's hosts, sorted.
    hosts: [Addr; 2],
    /// Capture sequence number of the packet that announced it.
    seq: u64,
    /// Capture time it was announced (ns).
    at_ns: u64,
    exp: FtpExpectation,
}

/// What the store did (metrics and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpectStats {
    /// Expectations announced and held.
    pub added: u64,
    /// Expectations a data flow took.
    pub taken: u64,
    /// Announcements dropped because [`MAX_HELD`] were held.
    pub full: u64,
    /// Expectations removed unused: the oldest of a host pair past
    /// [`MAX_PER_PAIR`], expired ones, matching ones a newer one served.
    pub dropped: u64,
    /// Held now.
    pub held: u64,
}

/// The shared store (one per engine, behind an `Arc`).
#[derive(Debug, Default)]
pub struct Expectations {
    /// Expectations held (read without the lock).
    count: AtomicUsize,
    held: Mutex<Vec<Held>>,
    added: AtomicU64,
    taken: AtomicU64,
    full: AtomicU64,
    dropped: AtomicU64,
}

fn pair(a: Addr, b: Addr) -> [Addr; 2] {
    if a <= b { [a, b] } else { [b, a] }
}

impl Expectations {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether nothing is held (no lock taken).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.count.load(Ordering::Acquire) == 0
    }

    /// Counters.
    pub fn stats(&self) -> ExpectStats {
        ExpectStats {
            added: self.added.load(Ordering::Relaxed),
            taken: self.taken.load(Ordering::Relaxed),
            full: self.full.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            held: self.count.load(Ordering::Relaxed) as u64,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Held>> {
        // A worker that panicked while holding it left a consistent Vec.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A control flow between `a` and `b` announced `exp` while processing
    /// the packet of sequence number `seq`, at capture time `now_ns`.
    pub fn add(&self, a: Addr, b: Addr, exp: FtpExpectation, seq: u64, now_ns: u64) {
        let hosts = pair(a, b);
        let mut held = self.lock();
        if held.len() >= MAX_HELD {
            self.full.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut same = held.iter().filter(|h| h.hosts == hosts);
        if same.nth(MAX_PER_PAIR - 1).is_some()
            && let Some(i) = held.iter().position(|h| h.hosts == hosts)
        {
            // The oldest of the pair goes (entries are kept in order).
            held.remove(i);
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        held.push(Held {
            hosts,
            seq,
            at_ns: now_ns,
            exp,
        });
        self.count.store(held.len(), Ordering::Release);
        self.added.fetch_add(1, Ordering::Relaxed);
    }

    /// The expectation a flow from `client` to `server` port
    /// `server_port` fulfils with its first bytes travelling `dir`, seen
    /// on the packet of sequence number `seq` at capture time `now_ns`:
    /// the newest one announced before that packet (or on it: packets of
    /// unnumbered tests). It is taken, and the other matching ones go with
    /// it; expired ones of the pair go too.
    pub fn take(
        &self,
        client: Addr,
        server: Addr,
        server_port: u16,
        dir: Direction,
        seq: u64,
        now_ns: u64,
    ) -> Option<FtpExpectation> {
        if self.is_empty() {
            return None;
        }
        let hosts = pair(client, server);
        let mut held = self.lock();
        let mut found: Option<FtpExpectation> = None;
        let mut removed = 0u64;
        let now_s = now_ns / NS;
        // Newest first, as Suricata's list (new ones at its head).
        let mut i = held.len();
        while i > 0 {
            i -= 1;
            let h = &held[i];
            if h.hosts != hosts || h.seq > seq {
                continue;
            }
            let matches = h.exp.port == server_port && h.exp.direction == dir;
            let expired = now_s > h.at_ns / NS + TIMEOUT_S;
            if matches {
                let h = held.remove(i);
                if found.is_none() {
                    found = Some(h.exp);
                } else {
                    removed += 1;
                }
            } else if expired {
                held.remove(i);
                removed += 1;
            }
        }
        self.count.store(held.len(), Ordering::Release);
        drop(held);
        self.dropped.fetch_add(removed, Ordering::Relaxed);
        if found.is_some() {
            self.taken.fetch_add(1, Ordering::Relaxed);
        }
        found
    }
}

/// One worker's handle on the store: the store, and in a replay with
/// several workers the capture order and this worker's index in it.
#[derive(Debug, Clone)]
pub struct ExpectHandle {
    store: Arc<Expectations>,
    order: Option<Arc<Order>>,
    worker: usize,
    /// Packets carry one capture sequence (replay: one dispatcher numbers
    /// them). Live, each receive thread numbers its own packets: a lookup
    /// then sees every expectation held.
    sequenced: bool,
}

impl Default for ExpectHandle {
    fn default() -> Self {
        Self::new(Arc::default(), None, 0)
    }
}

impl ExpectHandle {
    /// Worker `worker`'s handle on `store` in a replay; `order` when the
    /// workers must agree on capture order (several workers).
    pub fn new(store: Arc<Expectations>, order: Option<Arc<Order>>, worker: usize) -> Self {
        ExpectHandle {
            store,
            order,
            worker,
            sequenced: true,
        }
    }

    /// A live worker's handle on `store`: packets are not numbered in one
    /// sequence, and no worker waits for another (an expectation announced
    /// by a worker that is behind is missed: see docs/ids.md).
    pub fn live(store: Arc<Expectations>) -> Self {
        ExpectHandle {
            store,
            order: None,
            worker: 0,
            sequenced: false,
        }
    }

    /// The store.
    pub fn store(&self) -> &Expectations {
        &self.store
    }

    /// Every packet of this worker numbered below `seq` was processed.
    pub fn progress(&self, seq: u64) {
        if let Some(o) = &self.order {
            o.progress(self.worker, seq);
        }
    }

    /// A control flow between `a` and `b` announced `exp` on packet `seq`.
    pub fn add(&self, a: Addr, b: Addr, exp: FtpExpectation, seq: u64, now_ns: u64) {
        let seq = if self.sequenced { seq } else { 0 };
        self.store.add(a, b, exp, seq, now_ns);
    }

    /// [`Expectations::take`], after every other worker processed every
    /// packet before `seq` (when ordered, unless the gate shows no other
    /// worker can matter: [`crate::dispatch::order::Order::before_lookup`]):
    /// the answer does not depend on how far the worker of the control
    /// flow got.
    pub fn take(
        &self,
        (client, server, server_port): (Addr, Addr, u16),
        dir: Direction,
        (seq, pair_local): (u64, bool),
        now_ns: u64,
    ) -> Option<FtpExpectation> {
        if let Some(o) = &self.order {
            o.before_lookup(self.worker, (client, server), seq, pair_local);
        }
        let seq = if self.sequenced { seq } else { u64::MAX };
        self.store
            .take(client, server, server_port, dir, seq, now_ns)
    }
}

/// Where a worker is when its flows' application layer runs: the handle,
/// and the packet (sequence number, capture time) being processed.
#[derive(Debug, Clone, Copy)]
pub struct ExpectAt<'a> {
    /// The worker's handle.
    pub handle: &'a ExpectHandle,
    /// The packet's sequence number ([`crate::dispatch::order`]).
    pub seq: u64,
    /// The dispatcher found no possible FTP control channel of the
    /// packet's host pair on another worker before it: a lookup need not
    /// wait ([`crate::dispatch::Carried::pair_local`]; false when unknown).
    pub pair_local: bool,
    /// Its capture time (ns).
    pub now_ns: u64,
}

impl ExpectAt<'_> {
    /// [`FlowAppLayer::stream_expecting`] with this worker's store: a flow
    /// still without protocol on a direction's first data takes the
    /// expectation announced for it, and the data connections an FTP
    /// control flow announced go to the store. `(dir, data, upto)` as
    /// [`FlowAppLayer::stream`].
    pub fn stream(
        &self,
        app: &mut FlowAppLayer,
        (dir, data, upto): (Direction, &[u8], usize),
        opposite: (&[u8], usize),
        stats: &mut AppStats,
    ) {
        let Some((client, server)) = app.hosts() else {
            app.stream_expecting(dir, data, upto, opposite, stats, &mut |_| None);
            return;
        };
        let port = app.server_port();
        let (h, seq, now) = (self.handle, self.seq, self.now_ns);
        let at = (seq, self.pair_local);
        app.stream_expecting(dir, data, upto, opposite, stats, &mut |d| {
            h.take((client, server, port), d, at, now)
        });
        for e in app.take_announced() {
            h.add(client, server, e, seq, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applayer::ftp::FtpCommand;

    fn exp(port: u16, direction: Direction, name: &str) -> FtpExpectation {
        FtpExpectation {
            port,
            addr: None,
            active: false,
            command: FtpCommand::Retr,
            file_name: name.as_bytes().to_vec(),
            direction,
            tx_id: 0,
        }
    }

    // The hosts of ../shared/acceptance/ftp-download-passive.
    const A: [u8; 4] = [172, 23, 0, 3];
    const B: [u8; 4] = [172, 23, 0, 2];
    const TC: Direction = Direction::ToClient;

    #[test]
    fn taken_once_by_hosts_port_direction_and_order() {
        let s = Expectations::new();
        assert!(s.is_empty());
        let (a, b) = (Addr::v4(A), Addr::v4(B));
        s.add(a, b, exp(21008, TC, "index.html"), 35, 0);
        assert!(!s.is_empty());
        // Another port, direction, host; or a packet before the
        // announcement: no.
        assert!(s.take(a, b, 21009, TC, 37, 0).is_none());
        assert!(s.take(a, b, 21008, Direction::ToServer, 37, 0).is_none());
        assert!(
            s.take(a, Addr::v4([1, 2, 3, 4]), 21008, TC, 37, 0)
                .is_none()
        );
        assert!(s.take(a, b, 21008, TC, 34, 0).is_none());
        assert!(s.take(a, b, 21008, TC, 20, 0).is_none());
        // Either order of the hosts; once.
        let got = s.take(b, a, 21008, TC, 37, 0).unwrap();
        assert_eq!(got.file_name, b"index.html");
        assert!(s.take(a, b, 21008, TC, 38, 0).is_none());
        assert!(s.is_empty());
        assert_eq!(
            s.stats(),
            ExpectStats {
                added: 1,
                taken: 1,
                ..ExpectStats::default()
            }
        );
    }

    #[test]
    fn newest_wins_bounded_per_pair_and_expiring() {
        let s = Expectations::new();
        let (a, b) = (Addr::v4(A), Addr::v4(B));
        for i in 0..12u64 {
            s.add(
                a,
                b,
                exp(20000 + i as u16 % 2, TC, &i.to_string()),
                i,
                i * NS,
            );
        }
        // Ten per host pair: the two oldest went.
        assert_eq!(s.stats().held, MAX_PER_PAIR as u64);
        assert_eq!(s.stats().dropped, 2);
        // The newest on port 20001 (11); the other four on it go too.
        let got = s.take(a, b, 20001, TC, 100, 12 * NS).unwrap();
        assert_eq!(got.file_name, b"11");
        assert_eq!(s.stats().held, 5);
        assert_eq!(s.stats().dropped, 6);
        // 30 s after the newest: a lookup of the pair clears them all.
        assert!(s.take(a, b, 1, TC, 100, 42 * NS).is_none());
        assert!(s.is_empty());
        assert_eq!(s.stats().dropped, 11);
    }

    #[test]
    fn full_store_drops_new_announcements() {
        let s = Expectations::new();
        for i in 0..MAX_HELD as u32 + 3 {
            let a = Addr::v4(i.to_be_bytes());
            s.add(a, Addr::v4(B), exp(1, TC, "x"), 0, 0);
        }
        let st = s.stats();
        assert_eq!((st.held, st.full), (MAX_HELD as u64, 3));
        // The last ones were not held, the first ones are.
        let last = Addr::v4((MAX_HELD as u32 + 2).to_be_bytes());
        assert!(s.take(last, Addr::v4(B), 1, TC, 1, 0).is_none());
        assert!(
            s.take(Addr::v4(0u32.to_be_bytes()), Addr::v4(B), 1, TC, 1, 0)
                .is_some()
        );
    }

    #[test]
    fn concurrent_takers_get_each_expectation_once() {
        let s = std::sync::Arc::new(Expectations::new());
        let b = Addr::v4(B);
        // 8 host pairs, each with 4 announcements for its own port; two
        // takers per pair race.
        for p in 0..8u16 {
            let c = Addr::v4([10, 0, 0, p as u8]);
            for k in 0..4 {
                s.add(c, b, exp(p, TC, &format!("{p}-{k}")), k, 0);
            }
        }
        let got: Vec<Option<FtpExpectation>> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..16u16)
                .map(|t| {
                    let s = &s;
                    sc.spawn(move || {
                        let p = t % 8;
                        s.take(Addr::v4([10, 0, 0, p as u8]), b, p, TC, 10, 0)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // Each port served once (the newest, "p-3"), the other taker of
        // the port found nothing; the store is empty.
        let mut names: Vec<Vec<u8>> = got.into_iter().flatten().map(|e| e.file_name).collect();
        names.sort();
        let want: Vec<Vec<u8>> = (0..8).map(|p| format!("{p}-3").into_bytes()).collect();
        assert_eq!(names, want);
        assert!(s.is_empty());
        let st = s.stats();
        assert_eq!((st.taken, st.dropped), (8, 24));
    }
}
