//! `vxtap serve`: the live appliance (UDP receiver, /metrics, /healthz).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::config::{Config, SessionMap};
use crate::decap::Tunnel;
use crate::metrics::Metrics;
use crate::pipeline::{LiveDetect, LiveOptions, OutputSpec, Sink};
use crate::receive::Listener;
use crate::serve::health::HealthConfig;
use crate::serve::{ServeOptions, Started};

/// Arguments of `vxtap serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration ([serve] listeners, threads, queues, HTTP; sessions; flow; output).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// UDP address receiving VXLAN (repeatable). --vxlan/--geneve replace
    /// both of the config's listener lists.
    #[arg(long = "vxlan")]
    pub vxlan: Vec<SocketAddr>,
    /// UDP address receiving GENEVE (repeatable).
    #[arg(long = "geneve")]
    pub geneve: Vec<SocketAddr>,
    /// Address of /metrics and /healthz. Default: config or 0.0.0.0:9090.
    #[arg(long)]
    pub http: Option<SocketAddr>,
    /// Write the S3 delivery layout under this directory. Default: config's output.dir or `out`.
    #[arg(long, conflicts_with = "stdout")]
    pub out: Option<PathBuf>,
    /// Print the header and records on standard output instead.
    #[arg(long)]
    pub stdout: bool,
    /// Flow worker threads. Default: config, else the available cores.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub workers: Option<u64>,
    /// Sockets and receive threads per listen address. Default: config or 1.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub receive_threads: Option<u64>,
    /// Aggregation interval in seconds, 1-600. Default: config or 600.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub interval: Option<u64>,
    /// Record format (AWS ${field} syntax; `vxtap replay --help-fields`).
    #[arg(long)]
    pub log_format: Option<String>,
    /// IDS rules (Suricata 7 syntax): files or directories, repeatable;
    /// added to the config's [rules] files. SIGHUP reloads them (atomic swap,
    /// no packet waits; a set that fails to load keeps the running one).
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// eve.json for alerts, appended to and reopened on SIGHUP (log
    /// rotation). Default: OUT/eve.json; required with --stdout and rules.
    #[arg(long)]
    pub eve: Option<PathBuf>,
    /// No start-up lines and summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `vxtap serve` until SIGTERM/SIGINT.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let cfg = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let opts = options(&args, &cfg)?;
    let metrics = Metrics::new();
    let quiet = args.quiet;
    let workers = opts.live.workers;
    let sink = opts.live.output.sink.clone();
    let report = crate::serve::run(&opts, &metrics, |s: &Started| {
        if !quiet {
            for l in &s.listeners {
                eprintln!(
                    "vxtap serve: {} listening on {} (udp, {} socket(s), receive buffer {} bytes{})",
                    l.tunnel.label(),
                    l.local,
                    l.sockets,
                    l.receive_buffer,
                    if l.drop_counter {
                        ""
                    } else {
                        ", kernel drops not counted"
                    }
                );
            }
            eprintln!(
                "vxtap serve: http listening on {} (GET /metrics, /healthz)",
                s.http
            );
            eprintln!(
                "vxtap serve: ready: {workers} worker(s), output {}",
                match &sink {
                    Sink::Stdout => "stdout".to_string(),
                    Sink::Dir(d) => d.display().to_string(),
                }
            );
        }
    })?;
    if !quiet {
        let m = &metrics;
        let kernel: u64 = m
            .registry
            .gather()
            .iter()
            .filter(|f| f.name() == "vxtap_kernel_dropped_total")
            .flat_map(|f| {
                f.get_metric()
                    .iter()
                    .map(|x| x.get_counter().value() as u64)
            })
            .sum();
        eprintln!(
            "vxtap serve: stopped: {} datagrams, {} packets to the flow stage, {} dropped (queue_full), {} dropped by the kernel, {} flows, {} records{}, {} alerts",
            report.datagrams,
            Tunnel::ALL
                .iter()
                .map(|t| m.packets.with_label_values(&[t.label()]).get())
                .sum::<u64>(),
            report.queue_full,
            kernel,
            report.flows.flows_created,
            report.records,
            match &sink {
                Sink::Stdout => String::new(),
                Sink::Dir(_) => format!(" in {} file(s)", report.files),
            },
            report.alerts
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Flags over config over defaults.
fn options(args: &ServeArgs, cfg: &Config) -> anyhow::Result<ServeOptions> {
    let sv = &cfg.serve;
    let (vx, gn) = if args.vxlan.is_empty() && args.geneve.is_empty() {
        (sv.vxlan.clone(), sv.geneve.clone())
    } else {
        (args.vxlan.clone(), args.geneve.clone())
    };
    let listeners: Vec<Listener> = vx
        .iter()
        .map(|&addr| Listener {
            tunnel: Tunnel::Vxlan,
            addr,
        })
        .chain(gn.iter().map(|&addr| Listener {
            tunnel: Tunnel::Geneve,
            addr,
        }))
        .collect();
    anyhow::ensure!(
        !listeners.is_empty(),
        "no listen address: give --vxlan/--geneve or serve.vxlan/serve.geneve in the config"
    );
    let mut flow = cfg.flow_config();
    if let Some(i) = args.interval {
        flow.interval = i;
    }
    let format = super::log_format(args.log_format.as_ref(), cfg)?;
    let workers = super::workers(args.workers, cfg);
    let sink = if args.stdout {
        Sink::Stdout
    } else {
        Sink::Dir(
            args.out
                .clone()
                .or(cfg.output.dir.clone())
                .unwrap_or_else(|| PathBuf::from("out")),
        )
    };
    let mut rule_paths = cfg.rules.files.clone();
    rule_paths.extend(args.rules.iter().cloned());
    // Transaction events come from the detection workers: they run
    // (with no rule) when only those are asked for.
    let detect = if rule_paths.is_empty() && !cfg.eve.types().any_tx() {
        None
    } else {
        let eve = match (&args.eve, &sink) {
            (Some(p), _) => p.clone(),
            (None, Sink::Dir(d)) => d.join("eve.json"),
            (None, Sink::Stdout) => {
                anyhow::bail!("rules with --stdout need --eve FILE for the alerts")
            }
        };
        Some(LiveDetect {
            rules: super::rules::load_for_run(&rule_paths, cfg, args.quiet)?,
            ids: cfg.ids_config(),
            eve,
            sessions: SessionMap::new(&cfg.sessions),
        })
    };
    Ok(ServeOptions {
        rule_paths,
        config: cfg.clone(),
        live: LiveOptions {
            listeners,
            receive_threads: args
                .receive_threads
                .map(|n| n as usize)
                .unwrap_or(sv.receive_threads),
            receive_buffer: sv.receive_buffer_bytes,
            workers,
            queue_batches: sv.queue_batches,
            output_queue: sv.output_queue_chunks,
            flow,
            output: OutputSpec {
                sink,
                format,
                sessions: SessionMap::new(&cfg.sessions),
                max_file_bytes: cfg.output.max_file_bytes.unwrap_or(64 << 20),
                output_format: cfg.output.format.unwrap_or_default(),
                hive: cfg.output.hive_partitions.unwrap_or(false),
            },
            max_vni_labels: sv.max_vni_labels,
            detect,
        },
        http: args.http.unwrap_or(sv.http),
        health: HealthConfig {
            stall_after: Duration::from_secs(sv.stall_seconds),
            queue_full_after: Duration::from_secs(sv.queue_full_seconds),
        },
    })
}
