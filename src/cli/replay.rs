//! `vxtap replay`: offline replay of captures into flow-log records.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::config::{Config, SessionMap};
use crate::decap::DecapConfig;
use crate::metrics::Metrics;
use crate::output::fields::FIELDS;
use crate::pipeline::{ReplayOptions, ReplayReport, Sink, replay};

/// Arguments of `vxtap replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// pcap/pcapng files and directories (walked recursively); read in the
    /// order of their first packet's timestamp.
    #[arg(required_unless_present = "help_fields")]
    pub inputs: Vec<PathBuf>,
    /// Write the S3 delivery layout (AWSLogs/…/*.log.gz) under this directory.
    #[arg(long, default_value = "out", conflicts_with = "stdout")]
    pub out: PathBuf,
    /// Print the header and records on standard output instead.
    #[arg(long)]
    pub stdout: bool,
    /// Objects written under --out: AWS's gzip text, Parquet in AWS's Parquet
    /// schema, or both. Default: config, else text.
    #[arg(long, value_enum, conflicts_with = "stdout")]
    pub output_format: Option<crate::output::OutputFormat>,
    /// Hive-compatible partitions under --out
    /// (AWSLogs/aws-account-id=…/aws-service=vpcflowlogs/aws-region=…/year=…/month=…/day=…/).
    #[arg(long, conflicts_with = "stdout")]
    pub hive_partitions: bool,
    /// Aggregation interval in seconds, 1-600 (AWS: 60 or 600). Default: config or 600.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub interval: Option<u64>,
    /// Record format as AWS writes it: '${field} ${field} …' (see --help-fields).
    #[arg(long)]
    pub log_format: Option<String>,
    /// TOML configuration: sessions (VNI → AWS metadata), flow table, ports.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Flow worker threads. Default: config, else the available cores.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub workers: Option<u64>,
    /// Most flows per worker; a full table evicts (counted). Default: config or 1,000,000.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_flows: Option<u64>,
    /// UDP port decapsulated as VXLAN (repeatable, replaces 4789).
    #[arg(long = "vxlan-port")]
    pub vxlan_ports: Vec<u16>,
    /// UDP port decapsulated as GENEVE (repeatable, replaces 6081).
    #[arg(long = "geneve-port")]
    pub geneve_ports: Vec<u16>,
    /// Close a delivered file after this many uncompressed bytes.
    #[arg(long)]
    pub max_file_bytes: Option<u64>,
    /// IDS rules (Suricata 7 syntax): files or directories of *.rules,
    /// repeatable; added to the config's `[rules] files`. Alerts go to
    /// eve.json (see --eve). `vxtap rules check` says what loads.
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// Where EVE alerts are written (default: OUT/eve.json; required with
    /// --stdout when rules are given).
    #[arg(long)]
    pub eve: Option<PathBuf>,
    /// EVE event types written to eve.json, comma-separated: alert, http,
    /// dns, tls, ssh (Suricata's eve-log types). Default: config `[eve]
    /// types`, else alert. Transaction events without --rules run
    /// detection with no rule.
    #[arg(long, value_name = "TYPES")]
    pub eve_types: Option<crate::output::eve_tx::EveTypes>,
    /// Track TCP connections picked up without their SYN (Suricata's
    /// stream.midstream). Default: config, else off as in Suricata.
    #[arg(long)]
    pub midstream: bool,
    /// Also write the final metrics (Prometheus text format) to this file.
    #[arg(long)]
    pub metrics_out: Option<PathBuf>,
    /// No run summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// List the fields usable in --log-format and exit.
    #[arg(long)]
    pub help_fields: bool,
}

/// Runs `vxtap replay`.
pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    if args.help_fields {
        for d in FIELDS {
            let v = if d.version == 0 {
                "vxtap".to_string()
            } else {
                format!("v{}", d.version)
            };
            println!("{:<28} {:<6} {}", d.name, v, d.doc);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let cfg = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let mut flow = cfg.flow_config();
    if let Some(i) = args.interval {
        flow.interval = i;
    }
    if let Some(m) = args.max_flows {
        flow.max_flows = m as usize;
    }
    let vx = if args.vxlan_ports.is_empty() {
        cfg.decap.vxlan_ports.clone()
    } else {
        args.vxlan_ports.clone()
    };
    let gn = if args.geneve_ports.is_empty() {
        cfg.decap.geneve_ports.clone()
    } else {
        args.geneve_ports.clone()
    };
    let decap = match DecapConfig::new(&vx, &gn) {
        Ok(d) => d,
        Err(e) => bail!("tunnel ports: {e}"),
    };
    let format = super::log_format(args.log_format.as_ref(), &cfg)?;
    let workers = super::workers(args.workers, &cfg);
    let sink = if args.stdout {
        Sink::Stdout
    } else {
        Sink::Dir(args.out.clone())
    };
    let mut rule_paths = cfg.rules.files.clone();
    rule_paths.extend(args.rules.iter().cloned());
    let mut ids = cfg.ids_config();
    if let Some(t) = args.eve_types {
        ids.eve_types = t;
    }
    // Transaction events come from the detection workers: they run (with
    // no rule) when only those are asked for.
    let rules = if rule_paths.is_empty() && !ids.eve_types.any_tx() {
        None
    } else {
        Some(super::rules::load_for_run(&rule_paths, &cfg, args.quiet)?)
    };
    if args.midstream {
        ids.midstream = true;
    }
    let eve = match (&args.eve, &sink) {
        (Some(p), _) => Some(p.clone()),
        (None, Sink::Dir(d)) => Some(d.join("eve.json")),
        (None, Sink::Stdout) if rules.is_some() => {
            bail!("--rules or --eve-types with --stdout needs --eve FILE for the events")
        }
        (None, Sink::Stdout) => None,
    };
    let opts = ReplayOptions {
        inputs: args.inputs.clone(),
        workers,
        flow,
        decap,
        format,
        sessions: SessionMap::new(&cfg.sessions),
        sink: sink.clone(),
        max_file_bytes: args
            .max_file_bytes
            .or(cfg.output.max_file_bytes)
            .unwrap_or(64 << 20),
        progress: !args.quiet,
        output_format: args.output_format.or(cfg.output.format).unwrap_or_default(),
        hive: args.hive_partitions || cfg.output.hive_partitions.unwrap_or(false),
        rules,
        ids,
        eve,
    };
    let metrics = Metrics::new();
    let report = replay(&opts, &metrics)?;
    for e in &report.capture_errors {
        eprintln!("vxtap: warning: {e}");
    }
    if let Some(p) = &args.metrics_out {
        crate::output::atomic_write(p, metrics.render().as_bytes())
            .with_context(|| format!("writing metrics to {}", p.display()))?;
    }
    if !args.quiet {
        eprint!("{}", summary(&report, &metrics, &sink, workers));
    }
    Ok(if report.capture_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn summary(r: &ReplayReport, m: &Metrics, sink: &Sink, workers: usize) -> String {
    let frames = m.frames.get();
    let secs = r.elapsed.as_secs_f64().max(1e-9);
    let mut s = String::new();
    let tun = |t: &str| m.packets.with_label_values(&[t]).get();
    let (vx, gn, plain) = (tun("vxlan"), tun("geneve"), tun("none"));
    s.push_str(&format!(
        "vxtap replay: {} file(s), {} frames, {} bytes, {:.3} s, {:.0} packets/s, {} worker(s)\n",
        r.files.len(),
        frames,
        m.frame_bytes.get(),
        secs,
        frames as f64 / secs,
        workers
    ));
    s.push_str(&format!(
        "  packets: {vx} vxlan, {gn} geneve, {plain} plain\n"
    ));
    let mut errs: Vec<String> = crate::decap::DecapError::ALL
        .iter()
        .map(|e| {
            (
                e.reason(),
                m.decap_errors.with_label_values(&[e.reason()]).get(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .map(|(l, n)| format!("{l} {n}"))
        .collect();
    let unsupported = m.unsupported_linktype.get();
    if unsupported > 0 {
        errs.push(format!("unsupported_linktype {unsupported}"));
    }
    s.push_str(&format!(
        "  decap errors: {}\n",
        if errs.is_empty() {
            "none".to_string()
        } else {
            errs.join(", ")
        }
    ));
    let anomalies: Vec<String> = crate::decap::Anomalies::LABELS
        .iter()
        .map(|l| (l, m.anomalies.with_label_values(&[*l]).get()))
        .filter(|(_, n)| *n > 0)
        .map(|(l, n)| format!("{l} {n}"))
        .collect();
    if !anomalies.is_empty() {
        s.push_str(&format!(
            "  anomalies (packets kept): {}\n",
            anomalies.join(", ")
        ));
    }
    let fl = |e: &str| m.flows.with_label_values(&[e]).get();
    s.push_str(&format!(
        "  flows: {} created, {} evicted (table full), {} expired; fragments: {} resolved, {} unresolved\n",
        fl("created"),
        fl("evicted"),
        fl("expired"),
        m.fragments.with_label_values(&["resolved"]).get(),
        m.fragments.with_label_values(&["unresolved"]).get()
    ));
    match sink {
        Sink::Stdout => s.push_str(&format!("  records: {} (stdout)\n", r.records)),
        Sink::Dir(d) => s.push_str(&format!(
            "  records: {} in {} file(s) under {}\n",
            r.records,
            r.files_written,
            d.join("AWSLogs").display()
        )),
    }
    if let Some(e) = &r.eve {
        let sev: Vec<String> = ["1", "2", "3", "4"]
            .iter()
            .map(|l| (l, m.alerts.with_label_values(&[*l]).get()))
            .filter(|(_, n)| *n > 0)
            .map(|(l, n)| format!("severity {l}: {n}"))
            .collect();
        let d = |l: &str| m.detect.with_label_values(&[l]).get();
        s.push_str(&format!(
            "  alerts: {} in {}{}\n  detection: {} packets, {} stream chunks, {} flows, {} untracked (table full), {} outer tunnel packets, {} datagrams rebuilt\n",
            e.alerts,
            e.path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            if sev.is_empty() {
                String::new()
            } else {
                format!(" ({})", sev.join(", "))
            },
            d("packets"),
            d("stream_chunks"),
            d("flows"),
            d("flows_untracked"),
            d("outer_packets"),
            m.defrag.with_label_values(&["reassembled"]).get(),
        ));
        if e.tx_events > 0 {
            s.push_str(&format!(
                "  transaction events (http, dns, tls, ssh): {}\n",
                e.tx_events
            ));
        }
    }
    if !r.capture_errors.is_empty() {
        s.push_str(&format!(
            "  capture errors: {} (see warnings above)\n",
            r.capture_errors.len()
        ));
    }
    s
}
