//! Live runtime: UDP listeners → receive threads (decap, dispatch) → the
//! flow workers and output thread replay uses ([`super::stages`]).
//!
//! Differences from replay: worker queues drop and count when full instead
//! of blocking (the socket must never stall), records carry arrival times,
//! the output survives write errors (records lost are counted, the health
//! check reports it, a fresh delivery is tried) and reopens on request
//! (`SIGHUP`). [`Live::shutdown`] stops receiving, drains every socket and
//! queue, flushes every open flow into records and closes files atomically.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::Receiver;

use super::eve_output::{EveReport, spawn_eve_live};
use super::live_metrics::LiveMetrics;
use super::stages::{self, DetectSpec, OnOutputError, OutputHealth, OutputHooks, OutputSpec};
use super::worker::WorkerProbe;
use crate::config::SessionMap;
use crate::decap::Tunnel;
use crate::dispatch::{Backpressure, Batch, Dispatcher};
use crate::flow::{FlowConfig, FlowRecord, FlowStats};
use crate::ids::reader::IdsReader;
use crate::ids::{IdsConfig, RuleHandle};
use crate::metrics::Metrics;
use crate::output::DeliveryError;
use crate::output::eve::{EveError, EveEvent, EveLog};
use crate::receive::{self, Listener, ReceiveError, ReceiveStats, ReceiveThread, VniLabels};

/// Everything the live runtime needs.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Listen addresses with their tunnel kind.
    pub listeners: Vec<Listener>,
    /// Sockets (and receive threads) per listen address.
    pub receive_threads: usize,
    /// Receive buffer asked for each socket, bytes.
    pub receive_buffer: usize,
    /// Flow worker threads (≥ 1).
    pub workers: usize,
    /// Batches (of 256 packets) each worker queue holds.
    pub queue_batches: usize,
    /// Chunks (of up to 1024 records) queued for the output thread.
    pub output_queue: usize,
    /// Flow-stage settings.
    pub flow: FlowConfig,
    /// Output.
    pub output: OutputSpec,
    /// Most VNIs with their own per-VNI series.
    pub max_vni_labels: usize,
    /// Detection, when rules run.
    pub detect: Option<LiveDetect>,
}

/// Detection in the live appliance.
#[derive(Debug, Clone)]
pub struct LiveDetect {
    /// The rule set (replaced on `SIGHUP`).
    pub rules: RuleHandle,
    /// Detection settings.
    pub ids: IdsConfig,
    /// eve.json, appended to.
    pub eve: PathBuf,
    /// Session metadata for the alerts' mirror context.
    pub sessions: SessionMap,
}

/// Why the live runtime could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// A listener could not be opened.
    #[error(transparent)]
    Receive(#[from] ReceiveError),
    /// The output could not be opened (at start) or closed (at the end).
    #[error("output: {0}")]
    Output(#[from] DeliveryError),
    /// A thread could not start or died.
    #[error("{0}")]
    Thread(String),
}

/// A bound listener as started.
#[derive(Debug, Clone)]
pub struct ListenerInfo {
    /// Tunnel kind.
    pub tunnel: Tunnel,
    /// The address bound.
    pub local: SocketAddr,
    /// Sockets on it.
    pub sockets: usize,
    /// Receive buffer per socket (bytes, as the kernel reports it).
    pub receive_buffer: usize,
    /// Whether kernel drops are counted.
    pub drop_counter: bool,
}

/// A read-only view of the running pipeline for `/metrics` and `/healthz`.
#[derive(Clone)]
pub struct LiveProbe {
    queues: Vec<Receiver<Batch>>,
    capacity: usize,
    workers: Vec<WorkerProbe>,
    published_batches: Arc<Vec<AtomicU64>>,
    receivers: Vec<(String, Arc<AtomicBool>)>,
    kernel_dropped: Vec<prometheus::IntCounter>,
    /// Output health (errors, reopen requests).
    pub output: Arc<OutputHealth>,
    /// The registry.
    pub metrics: Metrics,
    /// The live series.
    pub live: LiveMetrics,
    /// The running rule set, when detection runs.
    pub rules: Option<RuleHandle>,
    eve_reopen: Arc<AtomicBool>,
}

/// The state of the pipeline at one instant (input of the health check).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Per worker: batches queued, and batches processed so far.
    pub workers: Vec<(usize, u64)>,
    /// Batches a queue holds.
    pub queue_capacity: usize,
    /// Packets dropped so far because a queue was full.
    pub queue_full_drops: u64,
    /// Datagrams the kernel dropped so far (receive buffers full).
    pub kernel_drops: u64,
    /// Receive threads that stopped (by listener label).
    pub receivers_stopped: Vec<String>,
    /// The output's current error.
    pub output_error: Option<String>,
}

impl LiveProbe {
    /// Reads the current state and refreshes the gauges that are only
    /// sampled (queue depth, worker progress).
    pub fn snapshot(&self) -> Snapshot {
        let mut workers = Vec::with_capacity(self.queues.len());
        for (i, (q, w)) in self.queues.iter().zip(&self.workers).enumerate() {
            let done = w.batches.load(Ordering::Relaxed);
            let label = i.to_string();
            self.live
                .queue_depth
                .with_label_values(&[&label])
                .set(q.len() as i64);
            let before = self.published_batches[i].swap(done, Ordering::Relaxed);
            self.live
                .worker_batches
                .with_label_values(&[&label])
                .inc_by(done.saturating_sub(before));
            workers.push((q.len(), done));
        }
        Snapshot {
            workers,
            queue_capacity: self.capacity,
            queue_full_drops: self
                .metrics
                .dropped
                .with_label_values(&["queue_full"])
                .get(),
            kernel_drops: self.kernel_dropped.iter().map(|c| c.get()).sum(),
            receivers_stopped: self
                .receivers
                .iter()
                .filter(|(_, alive)| !alive.load(Ordering::Relaxed))
                .map(|(l, _)| l.clone())
                .collect(),
            output_error: self.output.current_error(),
        }
    }

    /// Asks the output thread to close every file and open the output
    /// again, and the EVE thread to reopen eve.json (log rotation).
    pub fn reopen(&self) {
        self.output.reopen.store(true, Ordering::Release);
        self.eve_reopen.store(true, Ordering::Release);
    }
}

/// What a live run did.
#[derive(Debug, Default, Clone)]
pub struct LiveReport {
    /// Datagrams received.
    pub datagrams: u64,
    /// Packets dropped because a worker queue was full.
    pub queue_full: u64,
    /// Flow counters summed over workers.
    pub flows: FlowStats,
    /// Records written.
    pub records: u64,
    /// Files completed.
    pub files: u64,
    /// Alerts written to eve.json.
    pub alerts: u64,
}

/// The running pipeline.
pub struct Live {
    stop: Arc<AtomicBool>,
    receivers: Vec<JoinHandle<ReceiveStats>>,
    workers: Vec<JoinHandle<FlowStats>>,
    output: JoinHandle<Result<(u64, u64), DeliveryError>>,
    eve: Option<JoinHandle<Result<EveReport, EveError>>>,
    probe: LiveProbe,
    /// The listeners as bound.
    pub listeners: Vec<ListenerInfo>,
}

/// Clears a receive thread's alive flag when it ends, however it ends.
struct AliveGuard(Arc<AtomicBool>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

impl Live {
    /// Opens the output and every listener (so a bad address or an
    /// unwritable output fails before anything runs), then starts the
    /// output, worker and receive threads.
    pub fn start(opts: &LiveOptions, metrics: &Metrics) -> Result<Live, LiveError> {
        let live = LiveMetrics::register(metrics);
        let delivery = opts.output.open()?;
        let mut bound = Vec::with_capacity(opts.listeners.len());
        for l in &opts.listeners {
            bound.push(receive::bind(
                *l,
                opts.receive_threads,
                opts.receive_buffer,
            )?);
        }
        let eve_log = match &opts.detect {
            Some(d) => Some(EveLog::open(&d.eve).map_err(|e| LiveError::Thread(e.to_string()))?),
            None => None,
        };
        let workers = opts.workers.max(1);
        let (dispatcher, queues) =
            Dispatcher::with_queue(workers, Backpressure::Drop, opts.queue_batches);
        let dispatcher = dispatcher.carry_bytes(opts.detect.is_some());
        let inspect: Vec<Receiver<Batch>> = queues.iter().map(|q| q.rx.clone()).collect();
        live.queue_capacity.set(opts.queue_batches.max(1) as i64);
        let stage = |s: &str| Some(live.stage_seconds.with_label_values(&[s]));
        let probes: Vec<WorkerProbe> = (0..workers)
            .map(|_| WorkerProbe {
                batches: Arc::new(AtomicU64::new(0)),
                queue_wait: stage("queue"),
                process: stage("flow"),
            })
            .collect();
        let health = Arc::new(OutputHealth::default());
        let (rec_tx, rec_rx) =
            crossbeam_channel::bounded::<Vec<FlowRecord>>(opts.output_queue.max(1));
        let thread_err =
            |e: std::io::Error| LiveError::Thread(format!("cannot start a thread: {e}"));
        let output = stages::spawn_output(
            opts.output.clone(),
            delivery,
            rec_rx,
            metrics.clone(),
            OnOutputError::Retry,
            Some(OutputHooks {
                health: health.clone(),
                lost: live.records_lost.clone(),
                errors: live.output_errors.clone(),
                reopens: live.output_reopens.clone(),
                latency: stage("output"),
            }),
        )
        .map_err(thread_err)?;
        let eve_reopen = Arc::new(AtomicBool::new(false));
        let (alert_tx, alert_rx) = crossbeam_channel::bounded::<Vec<EveEvent>>(256);
        let eve = match (eve_log, &opts.detect) {
            (Some(log), Some(d)) => Some(
                spawn_eve_live(
                    log,
                    alert_rx,
                    d.sessions.clone(),
                    metrics.clone(),
                    eve_reopen.clone(),
                )
                .map_err(thread_err)?,
            ),
            _ => None,
        };
        let detect = opts.detect.as_ref().map(|d| {
            metrics
                .rules_loaded
                .set(d.rules.current().set.sigs.len() as i64);
            DetectSpec {
                rules: d.rules.clone(),
                cfg: d.ids.clone(),
                alerts: alert_tx.clone(),
                order: None,
                sequenced: false,
            }
        });
        drop(alert_tx);
        let worker_handles = stages::spawn_workers(
            queues,
            opts.flow,
            &rec_tx,
            metrics,
            &probes,
            detect.as_ref(),
        )
        .map_err(thread_err)?;
        drop(rec_tx);
        drop(detect);

        let stop = Arc::new(AtomicBool::new(false));
        let vnis = Arc::new(VniLabels::new(
            opts.max_vni_labels,
            live.vni_packets.clone(),
            live.vni_bytes.clone(),
        ));
        let mut receivers = Vec::new();
        let mut alive = Vec::new();
        let mut listeners = Vec::new();
        let mut kernel_dropped = Vec::new();
        for b in bound {
            let tunnel = b.listener.tunnel;
            let label = b.local.to_string();
            live.receive_buffer
                .with_label_values(&[tunnel.label(), &label])
                .set(b.receive_buffer as i64);
            listeners.push(ListenerInfo {
                tunnel,
                local: b.local,
                sockets: b.sockets.len(),
                receive_buffer: b.receive_buffer,
                drop_counter: b.drop_counter,
            });
            kernel_dropped.push(live.listener(tunnel.label(), &label).kernel_dropped);
            for (i, socket) in b.sockets.into_iter().enumerate() {
                let flag = Arc::new(AtomicBool::new(true));
                alive.push((format!("{} {label}", tunnel.label()), flag.clone()));
                let t = ReceiveThread {
                    socket,
                    tunnel,
                    dispatcher: dispatcher.another(),
                    counters: live.listener(tunnel.label(), &label),
                    vnis: vnis.clone(),
                    metrics: metrics.clone(),
                    decode_latency: stage("decode"),
                    stop: stop.clone(),
                    ids: opts
                        .detect
                        .as_ref()
                        .map(|_| IdsReader::new(crate::decap::DecapConfig::default())),
                };
                let h = std::thread::Builder::new()
                    .name(format!("vxtap-rx-{}-{i}", tunnel.label()))
                    .spawn(move || {
                        let _guard = AliveGuard(flag);
                        t.run()
                    })
                    .map_err(thread_err)?;
                receivers.push(h);
            }
        }
        // The template dispatcher holds senders too: without it the queues
        // close once every receive thread has finished.
        drop(dispatcher);
        let probe = LiveProbe {
            queues: inspect,
            capacity: opts.queue_batches.max(1),
            published_batches: Arc::new((0..workers).map(|_| AtomicU64::new(0)).collect()),
            workers: probes,
            receivers: alive,
            kernel_dropped,
            output: health,
            metrics: metrics.clone(),
            live,
            rules: opts.detect.as_ref().map(|d| d.rules.clone()),
            eve_reopen,
        };
        Ok(Live {
            stop,
            receivers,
            workers: worker_handles,
            output,
            eve,
            probe,
            listeners,
        })
    }

    /// A view for `/metrics` and `/healthz`.
    pub fn probe(&self) -> LiveProbe {
        self.probe.clone()
    }

    /// Stops receiving, drains sockets and queues, flushes every open flow
    /// into records and closes the output; every datagram received before
    /// the call is accounted for.
    pub fn shutdown(self) -> Result<LiveReport, LiveError> {
        self.stop.store(true, Ordering::Relaxed);
        let mut report = LiveReport::default();
        for h in self.receivers {
            let s = h
                .join()
                .map_err(|_| LiveError::Thread("a receive thread panicked".into()))?;
            report.datagrams += s.datagrams;
            report.queue_full += s.queue_full;
        }
        for h in self.workers {
            let s = h
                .join()
                .map_err(|_| LiveError::Thread("a flow worker panicked".into()))?;
            report.flows.flows_created += s.flows_created;
            report.flows.flows_evicted += s.flows_evicted;
            report.flows.flows_expired += s.flows_expired;
            report.flows.records += s.records;
            report.flows.late_packets += s.late_packets;
        }
        let (records, files) = self
            .output
            .join()
            .map_err(|_| LiveError::Thread("the output thread panicked".into()))??;
        report.records = records;
        report.files = files;
        if let Some(h) = self.eve {
            let r = h
                .join()
                .map_err(|_| LiveError::Thread("the EVE thread panicked".into()))?
                .map_err(|e| LiveError::Thread(format!("alerts: {e}")))?;
            report.alerts = r.alerts;
        }
        self.probe.snapshot();
        Ok(report)
    }
}
