//! The stages every runtime shares: turning a decoded packet into flow-stage
//! input (fragment ports, per-reader counters), the flow worker threads and
//! the output thread. Replay feeds them from capture files, the live
//! receiver from sockets; what happens after decapsulation is the same code.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use prometheus::{Histogram, IntCounter};

use super::worker::WorkerProbe;
use crate::config::SessionMap;
use crate::decap::{Anomalies, DecapError, Frag, Packet, Tunnel};
use crate::dispatch::frag::FragTracker;
use crate::dispatch::{Carry, Decoder, Dispatcher, Role, WorkerQueue};
use crate::flow::{FlowConfig, FlowRecord, FlowStats};
use crate::ids::expect::ExpectHandle;
use crate::ids::reader::{IdsReader, Source, meta_of, outer_headers};
use crate::ids::{Ids, IdsConfig, RuleHandle};
use crate::metrics::Metrics;
use crate::output::eve::EveEvent;
use crate::output::{Delivery, DeliveryError, LogFormat, OutputFormat, StdoutSink};

/// Where records go.
#[derive(Debug, Clone)]
pub enum Sink {
    /// Header + records on standard output.
    Stdout,
    /// The S3 delivery layout under a directory.
    Dir(PathBuf),
}

/// What the output stage needs to (re)create its delivery.
#[derive(Debug, Clone)]
pub struct OutputSpec {
    /// Output.
    pub sink: Sink,
    /// Record format.
    pub format: LogFormat,
    /// Session metadata.
    pub sessions: SessionMap,
    /// Size at which a delivered file is closed early.
    pub max_file_bytes: u64,
    /// Objects written under a directory (text, Parquet, both).
    pub output_format: OutputFormat,
    /// Hive-compatible partition directories under a directory.
    pub hive: bool,
}

impl OutputSpec {
    /// A fresh delivery; fails when the output cannot be written.
    pub fn open(&self) -> Result<Box<dyn Delivery>, DeliveryError> {
        Ok(match &self.sink {
            Sink::Stdout => Box::new(StdoutSink::new(self.format.clone(), self.sessions.clone())),
            Sink::Dir(dir) => crate::output::open_dir(
                dir,
                &self.format,
                &self.sessions,
                self.max_file_bytes,
                self.output_format,
                self.hive,
            )?,
        })
    }
}

/// Per-reader counters, kept in plain integers and added to the registry
/// once per file (replay) or per publish period (live).
#[derive(Default)]
pub(crate) struct ReaderCounts {
    pub frames: u64,
    pub bytes: u64,
    pub errors: [u64; DecapError::ALL.len()],
    pub anomalies: [u64; Anomalies::LABELS.len()],
    pub tunnels: [u64; Tunnel::ALL.len()],
    pub unsupported: u64,
}

impl ReaderCounts {
    /// Adds the counts to the registry and starts again from zero.
    pub fn publish(&mut self, m: &Metrics) {
        m.frames.inc_by(self.frames);
        m.frame_bytes.inc_by(self.bytes);
        for (e, n) in DecapError::ALL.iter().zip(self.errors) {
            if n > 0 {
                m.decap_errors.with_label_values(&[e.reason()]).inc_by(n);
            }
        }
        for (l, n) in Anomalies::LABELS.iter().zip(self.anomalies) {
            if n > 0 {
                m.anomalies.with_label_values(&[*l]).inc_by(n);
            }
        }
        for (t, n) in Tunnel::ALL.iter().zip(self.tunnels) {
            if n > 0 {
                m.packets.with_label_values(&[t.label()]).inc_by(n);
            }
        }
        m.unsupported_linktype.inc_by(self.unsupported);
        *self = ReaderCounts::default();
    }

    /// Counts a decoded packet and hands it to dispatch (fragments through
    /// the tracker, which gives later fragments their datagram's ports).
    /// With detection (`ids`), the packet's bytes travel with it, and the
    /// reader adds what detection sees besides (tunnel outer packets,
    /// fragments and rebuilt datagrams).
    #[inline]
    pub fn packet(
        &mut self,
        p: &Packet<'_>,
        ts_ns: u64,
        frags: &mut FragTracker,
        dispatcher: &mut Dispatcher,
        ids: Option<(&mut IdsReader, Source<'_>)>,
    ) {
        self.tunnels[p.tunnel as usize] += 1;
        if p.anomalies.0 != 0 {
            for (i, n) in self.anomalies.iter_mut().enumerate() {
                *n += ((p.anomalies.0 >> i) & 1) as u64;
            }
        }
        let meta = meta_of(p, ts_ns);
        let (role, frame, outer) = match ids {
            Some((r, src)) => (
                r.packet(p, &meta, src, dispatcher),
                src.frame,
                outer_headers(p, src),
            ),
            None => (Role::Both, 0, &[][..]),
        };
        match p.frag {
            Frag::None => dispatcher.push_carried(
                meta,
                Carry {
                    ip: p.ip,
                    outer,
                    role,
                    frame,
                    decoder: Decoder::Capture,
                    layer: crate::ids::reader::captured(p),
                },
            ),
            Frag::First { id } => {
                dispatcher.push(meta);
                frags.first(&meta, id, &mut |m| dispatcher.push(m));
            }
            Frag::Later { id } => frags.later(meta, id, &mut |m| dispatcher.push(m)),
        }
    }
}

/// Adds a detection reader's counts (outer packets, defragmentation) to
/// the registry; `reported` holds what was added before.
pub(crate) fn publish_ids_reader(m: &Metrics, r: &IdsReader, reported: &mut [u64; 9]) {
    let d = r.defrag_stats();
    let now = [
        d.reassembled,
        d.overlaps,
        d.overlaps_different,
        d.timeouts,
        d.evicted,
        d.dropped,
        r.outer_packets,
        r.tunnel_packets,
        r.carried_packets,
    ];
    for (i, label) in crate::metrics::DEFRAG_EVENTS.iter().enumerate() {
        m.defrag
            .with_label_values(&[label])
            .inc_by(now[i] - reported[i]);
    }
    m.detect
        .with_label_values(&["outer_packets"])
        .inc_by(now[6] - reported[6]);
    m.detect
        .with_label_values(&["tunnel_inner_packets"])
        .inc_by(now[7] - reported[7]);
    m.detect
        .with_label_values(&["pppoe_mpls_packets"])
        .inc_by(now[8] - reported[8]);
    *reported = now;
}

/// Adds a fragment tracker's resolution counts to the registry.
pub(crate) fn publish_fragments(m: &Metrics, frags: &mut FragTracker) {
    m.fragments
        .with_label_values(&["resolved"])
        .inc_by(std::mem::take(&mut frags.resolved));
    m.fragments
        .with_label_values(&["unresolved"])
        .inc_by(std::mem::take(&mut frags.unresolved));
}

/// What each worker's detection stage is made of.
#[derive(Clone)]
pub(crate) struct DetectSpec {
    pub rules: RuleHandle,
    pub cfg: IdsConfig,
    pub alerts: Sender<Vec<EveEvent>>,
    /// Capture order shared with the dispatcher (replay with several
    /// workers: an FTP data flow's lookup waits for the other workers);
    /// `None` live, where packets are numbered per receive thread.
    pub order: Option<Arc<crate::dispatch::order::Order>>,
    /// Whether one dispatcher numbers every packet (replay).
    pub sequenced: bool,
}

/// Starts one flow worker thread per queue (each with its detection stage
/// when `detect` is given).
pub(crate) fn spawn_workers(
    queues: Vec<WorkerQueue>,
    cfg: FlowConfig,
    records: &Sender<Vec<FlowRecord>>,
    metrics: &Metrics,
    probes: &[WorkerProbe],
    detect: Option<&DetectSpec>,
) -> std::io::Result<Vec<JoinHandle<FlowStats>>> {
    let mut handles = Vec::with_capacity(queues.len());
    let workers = queues.len().max(1);
    let shared = crate::detect::DetectCtx::default();
    let expectations = Arc::new(crate::ids::expect::Expectations::new());
    for (i, q) in queues.into_iter().enumerate() {
        let tx = records.clone();
        let m = metrics.clone();
        let probe = probes.get(i).cloned().unwrap_or_default();
        let ids = detect.map(|d| {
            let mut c = d.cfg.clone();
            // The configured limits are for the whole engine.
            c.stream_memcap = (c.stream_memcap / workers).max(1 << 20);
            c.max_flows = (c.max_flows / workers).max(1024);
            let handle = if d.sequenced {
                ExpectHandle::new(expectations.clone(), d.order.clone(), i)
            } else {
                ExpectHandle::live(expectations.clone())
            };
            Ids::new(d.rules.clone(), c, shared.sharing(), d.alerts.clone())
                .with_expectations(handle)
        });
        handles.push(
            std::thread::Builder::new()
                .name(format!("vxtap-flow-{i}"))
                .spawn(move || super::worker::run(q, cfg, tx, m, probe, ids))?,
        );
    }
    Ok(handles)
}

/// What the output thread does when a write fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnOutputError {
    /// Stop and return the error (offline: the run fails).
    Fail,
    /// Count the records lost, report the error through [`OutputHealth`]
    /// and open a fresh delivery for the next records (live: keep running).
    Retry,
}

/// The output thread's state as the health check and `SIGHUP` see it.
#[derive(Debug, Default)]
pub struct OutputHealth {
    /// Set by `SIGHUP`: close every file and open the output again.
    pub reopen: AtomicBool,
    /// The last write error while it lasts (`None` once writing works again).
    pub error: std::sync::Mutex<Option<String>>,
}

impl OutputHealth {
    fn set_error(&self, e: Option<String>) {
        if let Ok(mut g) = self.error.lock() {
            *g = e;
        }
    }

    /// The current error, if any.
    pub fn current_error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|g| g.clone())
    }
}

/// Live-only hooks of the output thread.
#[derive(Clone)]
pub(crate) struct OutputHooks {
    pub health: Arc<OutputHealth>,
    pub lost: IntCounter,
    pub errors: IntCounter,
    pub reopens: IntCounter,
    pub latency: Option<Histogram>,
}

/// How often an idle live output checks that it can still write.
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// Starts the output thread: records in, files (or stdout) out. `first` is
/// the delivery opened before any packet was read, so an unwritable output
/// fails the start.
pub(crate) fn spawn_output(
    spec: OutputSpec,
    first: Box<dyn Delivery>,
    rx: Receiver<Vec<FlowRecord>>,
    metrics: Metrics,
    mode: OnOutputError,
    hooks: Option<OutputHooks>,
) -> std::io::Result<JoinHandle<Result<(u64, u64), DeliveryError>>> {
    std::thread::Builder::new()
        .name("vxtap-output".into())
        .spawn(move || output_loop(spec, first, rx, metrics, mode, hooks))
}

/// Records and files written by one delivery, already added to the registry.
#[derive(Default)]
struct Written {
    records: u64,
    files: u64,
}

impl Written {
    fn publish(&mut self, d: &dyn Delivery, m: &Metrics, totals: &mut (u64, u64)) {
        m.records.inc_by(d.records() - self.records);
        m.files.inc_by(d.files() - self.files);
        totals.0 += d.records() - self.records;
        totals.1 += d.files() - self.files;
        self.records = d.records();
        self.files = d.files();
    }
}

fn output_loop(
    spec: OutputSpec,
    first: Box<dyn Delivery>,
    rx: Receiver<Vec<FlowRecord>>,
    metrics: Metrics,
    mode: OnOutputError,
    hooks: Option<OutputHooks>,
) -> Result<(u64, u64), DeliveryError> {
    let mut delivery = Some(first);
    let mut written = Written::default();
    let mut totals = (0u64, 0u64);
    let mut last_probe = Instant::now();
    let mut sampled = 0u32;
    loop {
        let batch = match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(b) => Some(b),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if let Some(h) = &hooks {
            if h.health.reopen.swap(false, Ordering::AcqRel) {
                // SIGHUP: complete every open file, then write to fresh ones.
                if let Some(mut d) = delivery.take() {
                    let r = d.finish();
                    written.publish(d.as_ref(), &metrics, &mut totals);
                    if let Err(e) = r {
                        h.errors.inc();
                        h.health.set_error(Some(e.to_string()));
                    }
                }
                written = Written::default();
                h.reopens.inc();
            }
            if delivery.is_none() || (batch.is_none() && last_probe.elapsed() >= PROBE_EVERY) {
                last_probe = Instant::now();
                reopen_or_probe(&spec, &mut delivery, &mut written, h);
            }
        }
        let Some(batch) = batch else { continue };
        let Some(d) = delivery.as_mut() else {
            if let Some(h) = &hooks {
                h.lost.inc_by(batch.len() as u64);
            }
            continue;
        };
        sampled = sampled.wrapping_add(1);
        let timer = hooks
            .as_ref()
            .and_then(|h| h.latency.as_ref())
            .filter(|_| sampled.is_multiple_of(16))
            .map(|h| (h, Instant::now()));
        let res = d.write(&batch);
        if let Some((h, t)) = timer {
            h.observe(t.elapsed().as_secs_f64());
        }
        written.publish(d.as_ref(), &metrics, &mut totals);
        if let Err(e) = res {
            match (mode, &hooks) {
                (OnOutputError::Retry, Some(h)) => {
                    h.errors.inc();
                    h.lost.inc_by(batch.len() as u64);
                    h.health.set_error(Some(e.to_string()));
                    // Whatever that delivery held is unreliable now: drop it
                    // (its temporary files stay unrenamed) and start afresh.
                    delivery = None;
                    written = Written::default();
                }
                _ => return Err(e),
            }
        }
    }
    if let Some(mut d) = delivery {
        let r = d.finish();
        written.publish(d.as_ref(), &metrics, &mut totals);
        r?;
    }
    Ok(totals)
}

/// Live output housekeeping: reopen a dropped delivery, or check that an
/// idle output directory is still writable, and keep the health state true.
fn reopen_or_probe(
    spec: &OutputSpec,
    delivery: &mut Option<Box<dyn Delivery>>,
    written: &mut Written,
    h: &OutputHooks,
) {
    if delivery.is_none() {
        match spec.open() {
            Ok(d) => {
                *delivery = Some(d);
                *written = Written::default();
                h.health.set_error(None);
            }
            Err(e) => h.health.set_error(Some(e.to_string())),
        }
        return;
    }
    if let Sink::Dir(dir) = &spec.sink {
        let probe = dir.join(".vxtap-write-test.tmp");
        match std::fs::File::create(&probe).and_then(|_| std::fs::remove_file(&probe)) {
            Ok(()) => h.health.set_error(None),
            Err(e) => h.health.set_error(Some(format!("{}: {e}", dir.display()))),
        }
    }
}
