//! A flow worker thread: batches in, records out.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crossbeam_channel::Sender;
use prometheus::Histogram;

use crate::dispatch::WorkerQueue;
use crate::flow::{FlowConfig, FlowRecord, FlowStats, FlowTable, RecordSink};
use crate::ids::Ids;
use crate::metrics::Metrics;

/// Records per message to the output thread.
const RECORD_BATCH: usize = 1024;

/// Sends records to the output thread in chunks of [`RECORD_BATCH`]; the
/// bounded channel blocks when output falls behind, so at most a few
/// chunks of records exist at once however many flows a flush ends.
struct ChunkSender {
    buf: Vec<FlowRecord>,
    tx: Sender<Vec<FlowRecord>>,
    /// The output thread is gone (its error is reported there).
    closed: bool,
}

impl ChunkSender {
    fn flush(&mut self) {
        if self.buf.is_empty() || self.closed {
            self.buf.clear();
            return;
        }
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(RECORD_BATCH));
        self.closed = self.tx.send(full).is_err();
    }
}

impl RecordSink for ChunkSender {
    #[inline]
    fn record(&mut self, r: FlowRecord) {
        self.buf.push(r);
        if self.buf.len() >= RECORD_BATCH {
            self.flush();
        }
    }
}

/// Batches between two latency samples (sampling keeps the clock reads
/// and histogram updates off nearly every batch).
const SAMPLE_EVERY: u64 = 16;

/// What a worker shows the outside: its progress (the health check's
/// stall detection) and, live, sampled stage latencies.
#[derive(Clone, Default)]
pub struct WorkerProbe {
    /// Batches processed so far.
    pub batches: Arc<AtomicU64>,
    /// Seconds a batch waited from its last packet's arrival to its worker
    /// (live only: batches carry wall-clock arrival times there).
    pub queue_wait: Option<Histogram>,
    /// Seconds a worker spent on one batch.
    pub process: Option<Histogram>,
}

/// Runs one worker until its queue closes; returns its flow counters.
/// With `ids`, packets carried for detection are inspected after the flow
/// stage has counted them.
pub fn run(
    queue: WorkerQueue,
    cfg: FlowConfig,
    records: Sender<Vec<FlowRecord>>,
    metrics: Metrics,
    probe: WorkerProbe,
    mut ids: Option<Ids>,
) -> FlowStats {
    let mut table = FlowTable::new(cfg);
    let mut out = ChunkSender {
        buf: Vec::with_capacity(RECORD_BATCH),
        tx: records,
        closed: false,
    };
    let mut reported = FlowStats::default();
    let mut live = 0;
    let mut batches = 0u64;
    for mut batch in queue.rx.iter() {
        let sample = batches.is_multiple_of(SAMPLE_EVERY)
            && (probe.queue_wait.is_some() || probe.process.is_some());
        let started = sample.then(Instant::now);
        if let (true, Some(h)) = (sample, &probe.queue_wait) {
            let now = crate::receive::wall_clock_ns();
            h.observe(now.saturating_sub(batch.clock_ns) as f64 / 1e9);
        }
        match ids.as_mut() {
            None => {
                for p in &batch.packets {
                    table.packet(p, &mut out);
                }
            }
            Some(ids) => {
                for (i, p) in batch.packets.iter().enumerate() {
                    let c = batch.carried(i);
                    if c.role.flow() {
                        table.packet(p, &mut out);
                    }
                    if c.role.detect() {
                        ids.packet(p, c, batch.bytes(i), batch.outer(i));
                    }
                }
                ids.batch_end(batch.clock_ns);
                ids.batch_done(batch.seq_end);
            }
        }
        table.advance(batch.clock_ns, &mut out);
        if let (Some(t), Some(h)) = (started, &probe.process) {
            h.observe(t.elapsed().as_secs_f64());
        }
        // A partial batch means the input slowed down: deliver what is
        // ready instead of holding it for a full chunk.
        let partial = batch.packets.len() < crate::dispatch::BATCH_SIZE;
        if partial {
            out.flush();
        }
        if out.closed {
            break;
        }
        batch.clear();
        let _ = queue.recycle.try_send(batch);
        batches += 1;
        probe.batches.store(batches, Ordering::Relaxed);
        // Every 256 batches, and on the partial batches of a clock tick (a
        // live appliance at a low rate sees mostly those).
        if batches.is_multiple_of(256) || partial {
            reported = publish(&metrics, table.stats(), reported);
            live = publish_live(&metrics, table.len(), live);
            if let Some(ids) = ids.as_mut() {
                ids.publish(&metrics);
            }
        }
    }
    if let Some(ids) = ids.as_mut() {
        ids.finish();
        ids.publish(&metrics);
    }
    table.finish(&mut out);
    out.flush();
    let stats = table.stats();
    publish(&metrics, stats, reported);
    publish_live(&metrics, 0, live);
    stats
}

/// Adds the counters' growth since the last call to the registry.
fn publish(m: &Metrics, now: FlowStats, before: FlowStats) -> FlowStats {
    m.flows
        .with_label_values(&["created"])
        .inc_by(now.flows_created - before.flows_created);
    m.flows
        .with_label_values(&["evicted"])
        .inc_by(now.flows_evicted - before.flows_evicted);
    m.flows
        .with_label_values(&["expired"])
        .inc_by(now.flows_expired - before.flows_expired);
    m.late_packets
        .inc_by(now.late_packets - before.late_packets);
    now
}

/// Moves the shared live-flows gauge by this worker's change since its last call.
fn publish_live(m: &Metrics, now: usize, before: usize) -> usize {
    m.active_flows.add(now as i64 - before as i64);
    now
}
