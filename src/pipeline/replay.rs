//! Offline replay: captures → decap → dispatch → flow workers → output.
//!
//! The calling thread reads and decodes (zero-copy from the reader's
//! buffer) and dispatches; `workers` threads own the flow tables; one
//! thread renders and delivers records. Queues block the reader when full,
//! so nothing is lost offline.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::eve_output::{EveReport, spawn_eve};
pub use super::stages::Sink;
use super::stages::{self, DetectSpec, OnOutputError, OutputSpec, ReaderCounts};
use crate::capture::{CaptureError, CaptureFile, expand_inputs};
use crate::config::SessionMap;
use crate::decap::{self, DecapConfig};
use crate::dispatch::frag::FragTracker;
use crate::dispatch::{Backpressure, Dispatcher};
use crate::flow::{FlowConfig, FlowRecord};
use crate::ids::reader::{IdsReader, Source};
use crate::ids::{IdsConfig, RuleHandle};
use crate::metrics::Metrics;
use crate::output::eve::{EveError, EveEvent, EveFile};
use crate::output::{DeliveryError, LogFormat, OutputFormat};

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
    /// IDS rules, when detection runs.
    pub rules: Option<RuleHandle>,
    /// Detection settings.
    pub ids: IdsConfig,
    /// Where EVE alerts go (required with `rules`).
    pub eve: Option<PathBuf>,
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
    /// eve.json could not be written.
    #[error("alerts: {0}")]
    Eve(#[from] EveError),
    /// Rules were given without a place for their alerts.
    #[error("rules need an EVE output: give --out DIR or --eve FILE")]
    NoEve,
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
    /// Alerts written, and where.
    pub eve: Option<EveReport>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Replays the inputs; counters go to `metrics`.
pub fn replay(opts: &ReplayOptions, metrics: &Metrics) -> Result<ReplayReport, ReplayError> {
    let started = Instant::now();
    // Fail on an unwritable output before reading any packet.
    let spec = OutputSpec {
        sink: opts.sink.clone(),
        format: opts.format.clone(),
        sessions: opts.sessions.clone(),
        max_file_bytes: opts.max_file_bytes,
        output_format: opts.output_format,
        hive: opts.hive,
    };
    let delivery = spec.open()?;
    let eve_file = match (&opts.rules, &opts.eve) {
        (None, _) => None,
        (Some(_), None) => return Err(ReplayError::NoEve),
        (Some(_), Some(p)) => Some(EveFile::create_at(p)?),
    };
    let files = expand_inputs(&opts.inputs)?;
    let workers = opts.workers.max(1);
    let (dispatcher, queues) = Dispatcher::new(workers, Backpressure::Block);
    let mut dispatcher = dispatcher.carry_bytes(opts.rules.is_some());
    // Several workers with detection agree on capture order where a flow's
    // protocol depends on another worker's flow (FTP data connections).
    let order = (opts.rules.is_some() && workers > 1)
        .then(|| std::sync::Arc::new(crate::dispatch::order::Order::new(workers)));
    if let Some(o) = &order {
        dispatcher = dispatcher.ordered(o.clone());
    }
    let (rec_tx, rec_rx) = crossbeam_channel::bounded::<Vec<FlowRecord>>(64);
    let (alert_tx, alert_rx) = crossbeam_channel::bounded::<Vec<EveEvent>>(64);
    let eve = match eve_file {
        Some(f) => Some(
            spawn_eve(f, alert_rx, opts.sessions.clone(), metrics.clone())
                .map_err(|e| ReplayError::Worker(e.to_string()))?,
        ),
        None => None,
    };
    let detect = opts.rules.as_ref().map(|rules| DetectSpec {
        rules: rules.clone(),
        cfg: opts.ids.clone(),
        alerts: alert_tx.clone(),
        order: order.clone(),
        sequenced: true,
    });
    drop(alert_tx);
    let mut ids_reader = opts
        .rules
        .as_ref()
        .map(|_| IdsReader::new(opts.decap.clone()));
    let mut ids_reported = [0u64; 9];

    let mut report = ReplayReport {
        files: files.clone(),
        ..ReplayReport::default()
    };
    let output = stages::spawn_output(
        spec,
        delivery,
        rec_rx,
        metrics.clone(),
        OnOutputError::Fail,
        None,
    )
    .map_err(|e| ReplayError::Worker(e.to_string()))?;
    let handles = stages::spawn_workers(queues, opts.flow, &rec_tx, metrics, &[], detect.as_ref())
        .map_err(|e| ReplayError::Worker(e.to_string()))?;
    drop(rec_tx);
    drop(detect);

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
        let mut frame_no = 0u64;
        let res = cap.for_each(|frame| {
            frame_no += 1;
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
            match decap::decode_frame(decap_cfg, link, frame.data, frame.orig_len) {
                Ok(p) => {
                    let ids = ids_reader
                        .as_mut()
                        .map(|r| (r, Source::of_frame(frame_no, link, frame.data)));
                    counts.packet(&p, frame.ts_ns, &mut frags, &mut dispatcher, ids);
                }
                Err(e) => {
                    counts.errors[e.index()] += 1;
                    if let (decap::DecapError::NonIp, Some(r)) = (e, ids_reader.as_mut()) {
                        let ts = frame.ts_ns;
                        r.non_ip_frame(
                            link,
                            frame.data,
                            frame.orig_len,
                            ts,
                            frame_no,
                            &mut dispatcher,
                        );
                    }
                }
            }
            if let Some(r) = ids_reader.as_mut() {
                r.tick(frame.ts_ns);
            }
            frags.tick(frame.ts_ns, &mut |p| dispatcher.push(p));
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
        if let Some(r) = &ids_reader {
            stages::publish_ids_reader(metrics, r, &mut ids_reported);
        }
    }
    frags.finish(&mut |p| dispatcher.push(p));
    stages::publish_fragments(metrics, &mut frags);
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
    if let Some(o) = &order {
        metrics
            .detect
            .with_label_values(&["order_waits"])
            .inc_by(o.waits());
        metrics
            .detect
            .with_label_values(&["order_wait_timeouts"])
            .inc_by(o.timeouts());
        metrics
            .detect
            .with_label_values(&["order_skips"])
            .inc_by(o.skips());
    }
    let (records, files_written) = output
        .join()
        .map_err(|_| ReplayError::Worker("output thread panicked".into()))??;
    if let Some(h) = eve {
        report.eve = Some(
            h.join()
                .map_err(|_| ReplayError::Worker("EVE thread panicked".into()))??,
        );
    }
    report.records = records;
    report.files_written = files_written;
    report.elapsed = started.elapsed();
    Ok(report)
}
