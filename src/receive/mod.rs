//! Live receiver: UDP datagrams of AWS Traffic Mirroring (VXLAN, 4789) or
//! a Gateway Load Balancer (GENEVE, 6081) → decap → dispatch.
//!
//! One plain thread per socket receives batches with `recvmmsg(2)` into a
//! buffer it owns and reuses ([`sys::RecvBatch`]); each payload is decoded
//! in place ([`crate::decap::decode_datagram`], the sender's address as the
//! mirror source) and only the small [`crate::flow::PacketMeta`] is queued:
//! nothing is allocated or locked per datagram. Worker queues never block
//! the socket: a full queue drops and counts (`queue_full`). Arrival time
//! is read once per batch. Counters are kept in plain integers and added
//! to the registry every [`PUBLISH_EVERY`].

pub mod socket;
pub mod sys;

use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hashbrown::HashMap;
use prometheus::{Histogram, IntCounter, IntCounterVec};
use rustc_hash::FxBuildHasher;

pub use socket::{BoundListener, Listener, ReceiveError, bind};

use crate::decap::{Tunnel, decode_datagram};
use crate::dispatch::Dispatcher;
use crate::dispatch::frag::FragTracker;
use crate::ids::reader::{IdsReader, Source};
use crate::metrics::Metrics;
use crate::pipeline::stages::{ReaderCounts, publish_fragments, publish_ids_reader};
use crate::wire::Addr;

/// Datagrams per `recvmmsg` call.
pub const RECV_BATCH: usize = 64;
/// How often a receive thread adds its counters to the registry.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(100);
/// Pause after a batch that emptied the socket (see [`ReceiveThread::run`]).
/// At most this much latency is added, far below any flow-log interval;
/// the socket's receive buffer holds what arrives meanwhile (at 1 Mpps,
/// 1000 datagrams).
pub const COALESCE: Duration = Duration::from_millis(1);
/// Receive batches between two latency samples.
const SAMPLE_EVERY: u64 = 16;

/// Wall-clock time, ns since the Unix epoch (live records carry arrival times).
pub fn wall_clock_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// One listener's counters (registry handles, looked up once).
#[derive(Clone)]
pub struct ListenerCounters {
    /// Datagrams received.
    pub datagrams: IntCounter,
    /// Bytes received (UDP payload, as sent).
    pub bytes: IntCounter,
    /// Datagrams larger than a receive slot, cut (still decoded).
    pub truncated: IntCounter,
    /// Datagrams the kernel dropped for lack of receive-buffer space.
    pub kernel_dropped: IntCounter,
    /// Receive calls that failed (other than timeouts).
    pub errors: IntCounter,
}

/// Per-VNI packet and byte counters with a bounded label set: the first
/// `cap` VNIs seen get their own series, later ones count under `other`.
pub struct VniLabels {
    cap: usize,
    admitted: std::sync::Mutex<hashbrown::HashSet<u32>>,
    packets: IntCounterVec,
    bytes: IntCounterVec,
}

impl VniLabels {
    /// Label value of VNIs past the cap.
    pub const OTHER: &'static str = "other";

    /// Series `packets{vni}` and `bytes{vni}`, at most `cap` VNIs + `other`.
    pub fn new(cap: usize, packets: IntCounterVec, bytes: IntCounterVec) -> Self {
        packets.with_label_values(&[Self::OTHER]);
        bytes.with_label_values(&[Self::OTHER]);
        VniLabels {
            cap,
            admitted: Default::default(),
            packets,
            bytes,
        }
    }

    /// The counters of `vni`, or of `other` when the label set is full.
    /// Called once per new VNI per receive thread (threads cache the handles).
    fn handles(&self, vni: Option<u32>) -> (IntCounter, IntCounter) {
        let admitted = vni.filter(|v| {
            let mut set = self.admitted.lock().unwrap_or_else(|e| e.into_inner());
            set.contains(v) || (set.len() < self.cap && set.insert(*v))
        });
        let label = admitted.map_or_else(|| Self::OTHER.to_string(), |v| v.to_string());
        (
            self.packets.with_label_values(&[&label]),
            self.bytes.with_label_values(&[&label]),
        )
    }
}

/// A receive thread's local per-VNI counts.
struct VniCounts {
    /// VNI → slot in `slots` (at most the label cap + 1 entries).
    index: HashMap<Option<u32>, usize, FxBuildHasher>,
    slots: Vec<(IntCounter, IntCounter, u64, u64)>,
    other: Option<usize>,
    cap: usize,
}

impl VniCounts {
    fn new(cap: usize) -> Self {
        VniCounts {
            index: HashMap::with_hasher(FxBuildHasher),
            slots: Vec::new(),
            other: None,
            cap,
        }
    }

    #[inline]
    fn count(&mut self, labels: &VniLabels, vni: Option<u32>, bytes: usize) {
        let slot = match self.index.get(&vni) {
            Some(&s) => s,
            None if self.index.len() <= self.cap => {
                let (p, b) = labels.handles(vni);
                let s = self.slots.len();
                self.slots.push((p, b, 0, 0));
                self.index.insert(vni, s);
                s
            }
            None => *self.other.get_or_insert_with(|| {
                let (p, b) = labels.handles(None);
                self.slots.push((p, b, 0, 0));
                self.slots.len() - 1
            }),
        };
        let s = &mut self.slots[slot];
        s.2 += 1;
        s.3 += bytes as u64;
    }

    fn publish(&mut self) {
        for s in &mut self.slots {
            if s.2 > 0 {
                s.0.inc_by(std::mem::take(&mut s.2));
                s.1.inc_by(std::mem::take(&mut s.3));
            }
        }
    }
}

/// Everything one receive thread needs.
pub struct ReceiveThread {
    /// Its socket.
    pub socket: socket2::Socket,
    /// What the socket's datagrams carry.
    pub tunnel: Tunnel,
    /// Its producer into the worker queues.
    pub dispatcher: Dispatcher,
    /// Its listener's counters.
    pub counters: ListenerCounters,
    /// Shared per-VNI series.
    pub vnis: Arc<VniLabels>,
    /// The registry (decap errors, packets by tunnel, drops).
    pub metrics: Metrics,
    /// Sampled seconds spent decoding and dispatching one receive batch.
    pub decode_latency: Option<Histogram>,
    /// Set to stop: the thread drains what the socket holds and returns.
    pub stop: Arc<AtomicBool>,
    /// Detection's reader side (fragments rebuilt, GRE looked through),
    /// when rules run.
    pub ids: Option<IdsReader>,
}

/// What a receive thread did.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReceiveStats {
    /// Datagrams received.
    pub datagrams: u64,
    /// Packets dropped because a worker queue was full.
    pub queue_full: u64,
}

#[derive(Default)]
struct LocalCounts {
    datagrams: u64,
    bytes: u64,
    truncated: u64,
    errors: u64,
    kernel_seen: Option<u32>,
    kernel_published: u32,
    dropped_published: u64,
    ids_reported: [u64; 9],
}

impl ReceiveThread {
    /// Receives until the stop flag is set and the socket is empty.
    pub fn run(mut self) -> ReceiveStats {
        let mut batch = sys::RecvBatch::new(RECV_BATCH);
        let mut counts = ReaderCounts::default();
        let mut local = LocalCounts::default();
        let mut vnis = VniCounts::new(self.vnis.cap);
        let mut frags = FragTracker::default();
        let mut last_publish = Instant::now();
        let mut batches = 0u64;
        let mut total = 0u64;
        loop {
            let stopping = self.stop.load(Ordering::Relaxed);
            let res = batch.recv(self.socket.as_fd(), !stopping);
            let now = wall_clock_ns();
            match res {
                Ok(n) => {
                    batches += 1;
                    let sample = self
                        .decode_latency
                        .as_ref()
                        .filter(|_| batches.is_multiple_of(SAMPLE_EVERY))
                        .map(|h| (h, Instant::now()));
                    for i in 0..n {
                        let len = batch.received_len(i);
                        local.datagrams += 1;
                        local.bytes += len as u64;
                        local.truncated += batch.truncated(i) as u64;
                        if let Some(d) = batch.kernel_drops(i) {
                            local.kernel_seen = Some(d);
                        }
                        counts.frames += 1;
                        counts.bytes += len as u64;
                        let Some(from) = batch.source(i) else {
                            local.errors += 1;
                            continue;
                        };
                        let src = Addr::from(from.ip().to_canonical());
                        match decode_datagram(self.tunnel, batch.payload(i), src) {
                            Ok(p) => {
                                vnis.count(&self.vnis, p.vni, len);
                                let ids = self.ids.as_mut().map(|r| (r, Source::default()));
                                counts.packet(&p, now, &mut frags, &mut self.dispatcher, ids);
                            }
                            Err(e) => counts.errors[e.index()] += 1,
                        }
                    }
                    total += n as u64;
                    if let Some((h, t)) = sample {
                        h.observe(t.elapsed().as_secs_f64());
                    }
                    if n < RECV_BATCH && !stopping {
                        // The socket is empty: let datagrams gather rather
                        // than sleep and wake for every few of them (on a
                        // busy host each wake-up costs more CPU than
                        // decoding dozens of datagrams).
                        std::thread::sleep(COALESCE);
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) =>
                {
                    if stopping {
                        break;
                    }
                }
                Err(_) => {
                    local.errors += 1;
                    if stopping {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            frags.tick(now, &mut |p| self.dispatcher.push(p));
            if let Some(r) = self.ids.as_mut() {
                r.tick(now);
            }
            self.dispatcher.clock(now);
            if last_publish.elapsed() >= PUBLISH_EVERY {
                last_publish = Instant::now();
                self.publish(&mut counts, &mut local, &mut vnis, &mut frags);
            }
        }
        frags.finish(&mut |p| self.dispatcher.push(p));
        self.publish(&mut counts, &mut local, &mut vnis, &mut frags);
        let queue_full = self.dispatcher.dropped;
        self.dispatcher.finish();
        ReceiveStats {
            datagrams: total,
            queue_full,
        }
    }

    fn publish(
        &self,
        counts: &mut ReaderCounts,
        local: &mut LocalCounts,
        vnis: &mut VniCounts,
        frags: &mut FragTracker,
    ) {
        let c = &self.counters;
        c.datagrams.inc_by(std::mem::take(&mut local.datagrams));
        c.bytes.inc_by(std::mem::take(&mut local.bytes));
        c.truncated.inc_by(std::mem::take(&mut local.truncated));
        c.errors.inc_by(std::mem::take(&mut local.errors));
        if let Some(k) = local.kernel_seen {
            c.kernel_dropped
                .inc_by(k.wrapping_sub(local.kernel_published) as u64);
            local.kernel_published = k;
        }
        counts.publish(&self.metrics);
        vnis.publish();
        publish_fragments(&self.metrics, frags);
        if let Some(r) = &self.ids {
            publish_ids_reader(&self.metrics, r, &mut local.ids_reported);
        }
        let d = self.dispatcher.dropped;
        self.metrics
            .dropped
            .with_label_values(&["queue_full"])
            .inc_by(d - local.dropped_published);
        local.dropped_published = d;
    }
}
