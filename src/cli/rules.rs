//! `vxtap rules check PATH... [--json]`: load rule files and directories
//! as the IDS would and report what loads (every keyword enforced), what
//! is unsupported (by keyword, with counts), what fails (file:line and
//! why), and the load time. Exit code 1 when a rule failed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::detect::load::{LoadOptions, LoadReport, load_paths};

/// Arguments of `vxtap rules`.
#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// The `rules` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Load rules and report loaded / unsupported (by keyword) / failed (with file:line), and load time.
    Check(CheckArgs),
}

/// Arguments of `vxtap rules check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Rule files and directories (walked for `*.rules`).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// vxtap TOML config whose `[rules.vars]` overrides $HOME_NET, $HTTP_PORTS, ….
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// classification.config (default: one found in or beside the first path that has it).
    #[arg(long)]
    pub classification: Option<PathBuf>,
    /// reference.config (default: found like --classification).
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// Write the rules that loaded (every keyword enforced) to FILE, one per
    /// line, e.g. to run Suricata on exactly the same rules.
    #[arg(long, value_name = "FILE")]
    pub write_loaded: Option<PathBuf>,
    /// Failures printed in text mode; further ones are only counted (JSON lists all).
    #[arg(long, default_value_t = 50)]
    pub max_errors: usize,
}

/// Runs `vxtap rules`.
pub fn run(args: RulesArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        RulesCommand::Check(a) => check(a),
    }
}

fn check(a: CheckArgs) -> anyhow::Result<ExitCode> {
    let vars = match &a.config {
        Some(p) => Config::load(p)?.rules.vars(),
        None => Default::default(),
    };
    let opts = LoadOptions {
        vars,
        classification: a.classification.clone(),
        reference: a.reference.clone(),
        keep_loaded_text: a.write_loaded.is_some(),
    };
    let (_set, report) = load_paths(&a.paths, &opts).context("loading rules")?;
    if let Some(path) = &a.write_loaded {
        write_atomically(path, &report.loaded_rules)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer(&mut out, &to_json(&report))?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &report, a.max_errors)?;
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes the rules under a temporary name, then renames it into place.
fn write_atomically(path: &std::path::Path, rules: &[String]) -> std::io::Result<()> {
    let tmp = path.with_extension("rules.tmp");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        for r in rules {
            writeln!(f, "{r}")?;
        }
        f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// The JSON report: `total`, `loaded`, `unsupported`, `failed` (counts),
/// `unsupported_by_keyword`, `failures` (file, line, sid, reason),
/// `load_seconds`, `files`, `prefilter`.
pub fn to_json(r: &LoadReport) -> serde_json::Value {
    serde_json::json!({
        "files": r.files.len(),
        "total": r.total,
        "loaded": r.loaded,
        "unsupported": r.unsupported,
        "failed": r.failed.len(),
        "unsupported_by_keyword": r.unsupported_by_keyword,
        "failures": r.failed.iter().map(|e| serde_json::json!({
            "file": &*e.location.file,
            "line": e.location.line,
            "sid": e.sid,
            "reason": e.error.to_string(),
        })).collect::<Vec<_>>(),
        "load_seconds": r.elapsed.as_secs_f64(),
        "classification": r.classification,
        "reference": r.reference,
        "prefilter": {
            "with_pattern": r.prefilter.0,
            "without_pattern": r.prefilter.1,
        },
    })
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 * 100.0 / d as f64
    }
}

fn write_text(out: &mut impl Write, r: &LoadReport, max_errors: usize) -> std::io::Result<()> {
    writeln!(
        out,
        "{} rules in {} files: {} loaded ({:.1}%), {} unsupported ({:.1}%), {} failed; load+compile {:.3} s",
        r.total,
        r.files.len(),
        r.loaded,
        pct(r.loaded, r.total),
        r.unsupported,
        pct(r.unsupported, r.total),
        r.failed.len(),
        r.elapsed.as_secs_f64()
    )?;
    writeln!(
        out,
        "classification: {}; reference: {}",
        r.classification
            .as_deref()
            .unwrap_or("none (classtypes not checked)"),
        r.reference.as_deref().unwrap_or("none")
    )?;
    writeln!(
        out,
        "prefilter: {} rules with a fast pattern, {} grouped by protocol/port",
        r.prefilter.0, r.prefilter.1
    )?;
    if !r.unsupported_by_keyword.is_empty() {
        writeln!(out, "not enforced yet (rules using it):")?;
        let mut v: Vec<_> = r.unsupported_by_keyword.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, n) in v {
            writeln!(out, "  {n:>7}  {k}")?;
        }
    }
    if !r.failed.is_empty() {
        writeln!(out, "failed:")?;
        for e in r.failed.iter().take(max_errors) {
            match e.sid {
                Some(sid) => writeln!(out, "  {}: sid {sid}: {}", e.location, e.error)?,
                None => writeln!(out, "  {}: {}", e.location, e.error)?,
            }
        }
        if r.failed.len() > max_errors {
            writeln!(out, "  … {} more (see --json)", r.failed.len() - max_errors)?;
        }
    }
    Ok(())
}

/// Loads the rules a run uses (`replay --rules`, `serve`), printing on
/// stderr what did not load: every failure with its file:line (a broken
/// rule never stops the others), and how many rules use keywords vxtap
/// does not enforce yet (left out, never loaded weakened).
pub fn load_for_run(
    paths: &[PathBuf],
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<crate::ids::RuleHandle> {
    let set = load_rule_set(paths, cfg, quiet)?;
    Ok(crate::ids::RuleHandle::new(set))
}

/// [`load_for_run`] without the handle (a reload replaces a handle's set).
pub fn load_rule_set(
    paths: &[PathBuf],
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<crate::detect::RuleSet> {
    let opts = LoadOptions {
        vars: cfg.rules.vars(),
        ..LoadOptions::default()
    };
    let (set, report) = load_paths(paths, &opts).context("loading rules")?;
    if !quiet {
        for e in report.failed.iter().take(10) {
            eprintln!("vxtap: warning: rule not loaded: {e}");
        }
        if report.failed.len() > 10 {
            eprintln!(
                "vxtap: warning: {} more rules failed (vxtap rules check lists them all)",
                report.failed.len() - 10
            );
        }
        eprintln!(
            "vxtap: rules: {} loaded, {} use keywords not enforced yet (left out; `vxtap rules check` lists them), {} failed, {:.3} s",
            report.loaded,
            report.unsupported,
            report.failed.len(),
            report.elapsed.as_secs_f64()
        );
    }
    Ok(set)
}
