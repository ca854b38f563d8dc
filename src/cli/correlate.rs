//! `vxtap correlate`: AWS's flow logs against vxtap's records; a terminal
//! summary, and the report directory (summary.json, one JSON-lines file per
//! category, eve-enriched.json, index.html). Exit code 1 when input lines
//! were bad or records had to be left out (all located in errors.jsonl /
//! summary.json), 2 on usage, config or output errors.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use crate::config::Config;
use crate::correlate::report::Summary;
use crate::correlate::{self, DEFAULT_LATENESS, DEFAULT_TOLERANCE, Options};
use crate::flowlogs::Schema;

/// Arguments of `vxtap correlate`.
#[derive(Debug, clap::Args)]
pub struct CorrelateArgs {
    /// AWS's VPC Flow Logs: files or directories (S3 `AWSLogs/` trees, Hive
    /// prefixes, Parquet, gzip, CloudWatch exports). Repeatable.
    #[arg(long, required = true, num_args = 1..)]
    pub flowlogs: Vec<PathBuf>,
    /// vxtap's output (`replay`/`serve --out`): text or Parquet objects. Repeatable.
    #[arg(long, required = true, num_args = 1..)]
    pub observed: Vec<PathBuf>,
    /// EVE file (Suricata or vxtap's IDS); its alerts are written to
    /// REPORT/eve-enriched.json with an `aws` object.
    #[arg(long)]
    pub eve: Option<PathBuf>,
    /// Sessions (VNI → interface-id and metadata) and `[[mirror-filter]]`s.
    /// With a config the join keys on interfaces; without, on the other keys alone.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Report directory.
    #[arg(long, default_value = "report")]
    pub report: PathBuf,
    /// Seconds two records' windows may miss each other and still overlap (clock skew).
    #[arg(long, default_value_t = DEFAULT_TOLERANCE)]
    pub tolerance: u64,
    /// Seconds behind the newest record after which a flow is decided
    /// (streaming; raise it if records arrive out of order).
    #[arg(long, default_value_t = DEFAULT_LATENESS)]
    pub lateness: u64,
    /// Format of header-less AWS input (CloudWatch Logs).
    #[arg(long)]
    pub format: Option<String>,
    /// Repair CRLF line endings, tabs or runs of spaces, blank lines and a
    /// byte order mark in AWS input instead of skipping such lines (counted
    /// in the report's `inputs.repaired`).
    #[arg(long)]
    pub lenient: bool,
    /// Bad lines printed on stderr (all are in REPORT/errors.jsonl).
    #[arg(long, default_value_t = 20)]
    pub max_errors: usize,
    /// No terminal summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `vxtap correlate`.
pub fn run(args: CorrelateArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(p) => Some(Config::load(p)?),
        None => None,
    };
    let aws_format = match &args.format {
        Some(f) => Some(Arc::new(
            Schema::from_format_string(f, false).map_err(|e| anyhow::anyhow!("--format: {e}"))?,
        )),
        None => None,
    };
    let opts = Options {
        flowlogs: args.flowlogs.clone(),
        observed: args.observed.clone(),
        eve: args.eve.clone(),
        config,
        report: args.report.clone(),
        tolerance: args.tolerance,
        lateness: args.lateness,
        aws_format,
        aws_lenient: args.lenient,
        max_errors_shown: args.max_errors,
    };
    let out = correlate::run(&opts).context("vxtap correlate")?;
    for e in &out.errors_shown {
        eprintln!("vxtap: {e}");
    }
    if !args.quiet {
        print!("{}", terminal(&out.summary));
        println!("report: {}", args.report.display());
    }
    Ok(if out.problems > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The terminal summary: counts, reasons, interfaces, deltas, REJECTs.
pub fn terminal(s: &Summary) -> String {
    let table = || {
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED);
        t
    };
    let c = &s.counts;
    let mut o = String::new();
    let mut t = table();
    t.set_header(vec!["category", "records", "of"]);
    t.add_row(vec![
        "matched".to_string(),
        c.matched.to_string(),
        format!(
            "AWS ({} vxtap, {} groups)",
            c.matched_observed, c.matched_groups
        ),
    ]);
    t.add_row(vec![
        "logged, not mirrored".to_string(),
        c.logged_not_mirrored.to_string(),
        "AWS".into(),
    ]);
    t.add_row(vec![
        "mirrored, not logged".to_string(),
        c.mirrored_not_logged.to_string(),
        "vxtap".into(),
    ]);
    t.add_row(vec![
        "REJECT".to_string(),
        c.rejected.to_string(),
        "AWS".into(),
    ]);
    t.add_row(vec![
        "NODATA / SKIPDATA".to_string(),
        format!("{} / {}", c.nodata, c.skipdata),
        "AWS".into(),
    ]);
    o.push_str(&format!("{t}\n"));
    let mut t = table();
    t.set_header(vec!["category", "reason", "records"]);
    for (cat, rs) in [
        ("logged, not mirrored", &s.logged_not_mirrored_reasons),
        ("mirrored, not logged", &s.mirrored_not_logged_reasons),
    ] {
        for (r, n) in rs {
            t.add_row(vec![cat.to_string(), r.clone(), n.to_string()]);
        }
    }
    if !t.is_empty() {
        o.push_str(&format!("{t}\n"));
    }
    let mut t = table();
    t.set_header(vec![
        "interface",
        "vpc",
        "instance",
        "matched",
        "logged, not mirrored",
        "mirrored, not logged",
        "REJECT",
    ]);
    for (name, i) in &s.interfaces {
        t.add_row(vec![
            name.clone(),
            i.vpc_id.clone().unwrap_or_else(|| "-".into()),
            i.instance_id.clone().unwrap_or_else(|| "-".into()),
            i.counts.matched.to_string(),
            i.counts.logged_not_mirrored.to_string(),
            i.counts.mirrored_not_logged.to_string(),
            i.counts.rejected.to_string(),
        ]);
    }
    o.push_str(&format!("{t}\n"));
    let d = &s.deltas;
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:+.1} %"));
    o.push_str(&format!(
        "matched groups: {}; bytes equal in {}, median delta {} (5th {} / 95th {}); packets equal in {}; clock offset vxtap-AWS median {} s\n",
        d.bytes.groups,
        d.bytes.exact,
        f(d.bytes.p50_pct),
        f(d.bytes.p5_pct),
        f(d.bytes.p95_pct),
        d.packets.exact,
        d.clock_offset_s.0.map_or("-".into(), |v| v.to_string())
    ));
    if !s.rejects.sources.is_empty() {
        let mut t = table();
        t.set_header(vec!["REJECTed source", "records", "packets"]);
        for r in s.rejects.sources.iter().take(10) {
            t.add_row(vec![
                r.key.clone(),
                r.records.to_string(),
                r.packets.to_string(),
            ]);
        }
        o.push_str(&format!("{t}\n"));
    }
    if let Some(e) = &s.eve {
        o.push_str(&format!(
            "EVE: {} alerts, {} enriched with AWS metadata, {} bad lines\n",
            e.alerts, e.enriched, e.errors
        ));
    }
    let i = &s.inputs;
    o.push_str(&format!(
        "inputs: {} AWS objects ({} records), {} vxtap objects ({} records); {} bad lines, {} left out, {} late\n",
        i.aws_files,
        i.aws_records,
        i.observed_files,
        i.observed_records,
        i.errors.values().sum::<u64>(),
        i.skipped.values().sum::<u64>(),
        i.late_records
    ));
    for w in &s.warnings {
        o.push_str(&format!("warning: {w}\n"));
    }
    o
}
