//! Offline replay: captures → decap → dispatch → flow workers → output.
//!
//! The calling thread reads and decodes (zero-copy from the reader's
//! buffer) and dispatches; `workers` threads own the flow tables; one
//! thread renders and delivers records. Queues block the reader when full,
//! so nothing is lost offline.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::capture::{CaptureError, CaptureFile, expand_inputs};
use crate::config::SessionMap;
use crate::decap::{self, Anomalies, DecapConfig, DecapError, Frag, Tunnel};
use crate::dispatch::frag::FragTracker;
use crate::dispatch::{Backpressure, Dispatcher};
use crate::flow::{FlowConfig, FlowRecord, PacketMeta};
use crate::metrics::Metrics;
use crate::output::{Delivery, DeliveryError, LogFormat, OutputFormat, StdoutSink};
use crate::wire::transport::proto;

/// Where records go.
#[derive(Debug, Clone)]
pub enum Sink {
    /// Header + records on standard output.
    Stdout,
    /// The S3 delivery layout under a directory.
    Dir(PathBuf),
}

/// Everything `replay` needs.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Files and directories.
    pub inputs: Vec<PathBuf>,
    /// Flow worker threads (≥ 1).
    pub workers: usize,
    /// Flow-stage settings.
    pub flow: FlowConfig,
    /// Tunnel ports.
    pub decap: DecapConfig,
    /// Record format.
    pub format: LogFormat,
    /// Session metadata.
    pub sessions: SessionMap,
    /// Output.
    pub sink: Sink,
    /// Size at which a delivered file is closed early.
    pub max_file_bytes: u64,
    /// Objects written under a directory sink (text, Parquet, both).
    pub output_format: OutputFormat,
    /// Hive-compatible partition directories under a directory sink.
    pub hive: bool,
    /// Show a progress bar (only honoured on a terminal).
    pub progress: bool,
}

/// Why replay failed as a whole (per-file capture errors are in the report).
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// An input could not be listed.
    #[error(transparent)]
    Input(#[from] CaptureError),
    /// The output could not be written.
    #[error("output: {0}")]
    Output(#[from] DeliveryError),
    /// A worker thread died.
    #[error("a flow worker thread failed: {0}")]
    Worker(String),
}

/// What a run did.
#[derive(Debug, Default)]
pub struct ReplayReport {
    /// Captures read.
    pub files: Vec<PathBuf>,
    /// Captures that stopped early or could not be read.
    pub capture_errors: Vec<CaptureError>,
    /// Records written.
    pub records: u64,
    /// Files delivered.
    pub files_written: u64,
    /// Wall time.
    pub elapsed: Duration,
}

#[derive(Default)]
struct ReaderCounts {
    frames: u64,
    bytes: u64,
    errors: [u64; DecapError::ALL.len()],
    anomalies: [u64; Anomalies::LABELS.len()],
    tunnels: [u64; Tunnel::ALL.len()],
    unsupported: u64,
}

impl ReaderCounts {
    fn publish(&mut self, m: &Metrics) {
        m.frames.inc_by(self.frames);
        m.frame_bytes.inc_by(self.bytes);
        for (e, n) in DecapError::ALL.iter().zip(self.errors) {
            m.decap_errors.with_label_values(&[e.reason()]).inc_by(n);
        }
        for (l, n) in Anomalies::LABELS.iter().zip(self.anomalies) {
            m.anomalies.with_label_values(&[*l]).inc_by(n);
        }
        for (t, n) in Tunnel::ALL.iter().zip(self.tunnels) {
            m.packets.with_label_values(&[t.label()]).inc_by(n);
        }
        m.unsupported_linktype.inc_by(self.unsupported);
        *self = ReaderCounts::default();
    }
}

/// Replays the inputs; counters go to `metrics`.
pub fn replay(opts: &ReplayOptions, metrics: &Metrics) -> Result<ReplayReport, ReplayError> {
    let started = Instant::now();
    // Fail on an unwritable output before reading any packet.
    let mut delivery: Box<dyn Delivery> = match &opts.sink {
        Sink::Stdout => Box::new(StdoutSink::new(opts.format.clone(), opts.sessions.clone())),
        Sink::Dir(dir) => crate::output::open_dir(
            dir,
            &opts.format,
            &opts.sessions,
            opts.max_file_bytes,
            opts.output_format,
            opts.hive,
        )?,
    };
    let files = expand_inputs(&opts.inputs)?;
    let workers = opts.workers.max(1);
    let (mut dispatcher, queues) = Dispatcher::new(workers, Backpressure::Block);
    let (rec_tx, rec_rx) = crossbeam_channel::bounded::<Vec<FlowRecord>>(64);

    let mut report = ReplayReport {
        files: files.clone(),
        ..ReplayReport::default()
    };
    let output_metrics = metrics.clone();
    let output = std::thread::Builder::new()
        .name("vxtap-output".into())
        .spawn(move || -> Result<Box<dyn Delivery>, DeliveryError> {
            let mut written = 0;
            let mut files = 0;
            for batch in rec_rx.iter() {
                delivery.write(&batch)?;
                output_metrics.records.inc_by(delivery.records() - written);
                output_metrics.files.inc_by(delivery.files() - files);
                written = delivery.records();
                files = delivery.files();
            }
            delivery.finish()?;
            output_metrics.records.inc_by(delivery.records() - written);
            output_metrics.files.inc_by(delivery.files() - files);
            Ok(delivery)
        })
        .map_err(|e| ReplayError::Worker(e.to_string()))?;
    let mut handles = Vec::new();
    for (i, q) in queues.into_iter().enumerate() {
        let tx = rec_tx.clone();
        let cfg = opts.flow;
        let m = metrics.clone();
        let h = std::thread::Builder::new()
            .name(format!("vxtap-flow-{i}"))
            .spawn(move || super::worker::run(q, cfg, tx, m))
            .map_err(|e| ReplayError::Worker(e.to_string()))?;
        handles.push(h);
    }
    drop(rec_tx);

    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = (opts.progress
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
        && total_bytes > 64 << 20)
        .then(|| {
            let b = indicatif::ProgressBar::new(total_bytes);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });

    let mut counts = ReaderCounts::default();
    let mut frags = FragTracker::default();
    let mut done_bytes = 0u64;
    for path in &files {
        let mut cap = match CaptureFile::open(path) {
            Ok(c) => c,
            Err(e) => {
                metrics
                    .capture_errors
                    .with_label_values(&[e.reason()])
                    .inc();
                report.capture_errors.push(e);
                continue;
            }
        };
        let decap_cfg = &opts.decap;
        let res = cap.for_each(|frame| {
            counts.frames += 1;
            counts.bytes += frame.data.len() as u64;
            if let (Some(b), true) = (&bar, counts.frames.is_multiple_of(65536)) {
                b.set_position(done_bytes);
            }
            let link = match frame.link {
                Ok(l) => l,
                Err(_) => {
                    counts.unsupported += 1;
                    return true;
                }
            };
            let mut emit = |p: PacketMeta| dispatcher.push(p);
            match decap::decode_frame(decap_cfg, link, frame.data, frame.orig_len) {
                Ok(p) => {
                    counts.tunnels[p.tunnel as usize] += 1;
                    if p.anomalies.0 != 0 {
                        for (i, n) in counts.anomalies.iter_mut().enumerate() {
                            *n += ((p.anomalies.0 >> i) & 1) as u64;
                        }
                    }
                    let icmp = if (p.protocol == proto::ICMP || p.protocol == proto::ICMPV6)
                        && !matches!(p.frag, Frag::Later { .. })
                    {
                        let l4 = &p.ip[p.l4_offset as usize..];
                        (l4.len() >= 2).then(|| (l4[0], l4[1]))
                    } else {
                        None
                    };
                    let meta = PacketMeta {
                        ts_ns: frame.ts_ns,
                        vni: p.vni,
                        mirror_src: p.mirror_src,
                        tunnel: p.tunnel,
                        gwlb: p.gwlb,
                        src: p.src,
                        dst: p.dst,
                        src_port: p.src_port,
                        dst_port: p.dst_port,
                        protocol: p.protocol,
                        ip_len: p.ip_len,
                        tcp_flags: p.tcp_flags,
                        icmp,
                    };
                    match p.frag {
                        Frag::None => emit(meta),
                        Frag::First { id } => {
                            emit(meta);
                            frags.first(&meta, id, &mut emit);
                        }
                        Frag::Later { id } => frags.later(meta, id, &mut emit),
                    }
                }
                Err(e) => counts.errors[e.index()] += 1,
            }
            frags.tick(frame.ts_ns, &mut emit);
            dispatcher.clock(frame.ts_ns);
            true
        });
        done_bytes += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if let Err(e) = res {
            metrics
                .capture_errors
                .with_label_values(&[e.reason()])
                .inc();
            report.capture_errors.push(e);
        }
        counts.publish(metrics);
    }
    frags.finish(&mut |p| dispatcher.push(p));
    metrics
        .fragments
        .with_label_values(&["resolved"])
        .inc_by(frags.resolved);
    metrics
        .fragments
        .with_label_values(&["unresolved"])
        .inc_by(frags.unresolved);
    metrics
        .dropped
        .with_label_values(&["queue_full"])
        .inc_by(dispatcher.dropped);
    dispatcher.finish();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for h in handles {
        h.join()
            .map_err(|_| ReplayError::Worker("panicked".into()))?;
    }
    let delivery = output
        .join()
        .map_err(|_| ReplayError::Worker("output thread panicked".into()))??;
    report.records = delivery.records();
    report.files_written = delivery.files();
    report.elapsed = started.elapsed();
    Ok(report)
}
