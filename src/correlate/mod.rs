//! `vxtap correlate`: AWS's VPC Flow Logs side by side with vxtap's records
//! of the mirrored traffic (issue 9). Both logs are read by the same
//! flow-log reader ([`crate::flowlogs`]) and joined by interface (the
//! config maps VNI → interface-id), direction and 5-tuple, over overlapping
//! time windows with a tolerance ([`join`]). The report ([`report`]) sorts
//! records into matched (with packet/byte deltas), logged-not-mirrored (with
//! the likely reason: REJECT, the mirror filter of the config, traffic AWS
//! never mirrors, an interface that is not mirrored), mirrored-not-logged
//! (NODATA/SKIPDATA windows, no flow log for the interface, a REJECT-only
//! flow log, traffic AWS never logs) and REJECTs by source, port and
//! reason; EVE alerts get an `aws` object ([`eve`]); [`html`] draws the
//! page. The same categories as Athena SQL: `deploy/athena/`.
//!
//! Files: `model` (keys, records, interfaces), `input` (objects, records →
//! keys), `join` (streaming overlap join), `filter` (mirror filters in AWS's
//! terms), `services` (traffic AWS leaves out), `stats` (histograms, top-N,
//! timeline), `report` (rows, reasons, summary.json), `eve`, `html`.

pub mod eve;
pub mod filter;
pub mod html;
pub mod input;
pub mod join;
pub mod model;
pub mod report;
pub mod services;
pub mod stats;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;

use crate::config::{Config, SessionMap};
use crate::flowlogs::{FieldId, FileReader, ReadOptions, Repairs, Schema};
use input::{ExtraColumns, Item, Skip};
use join::Join;
use model::Side;
use report::{Jsonl, Report, Summary};

/// Default clock tolerance, seconds: AWS says `start`/`end` can lag up to a minute.
pub const DEFAULT_TOLERANCE: u64 = 60;
/// Default lateness, seconds: a 10-minute aggregation window plus the
/// ±5 minutes of an object's slot name.
pub const DEFAULT_LATENESS: u64 = 900;

/// What `correlate` needs.
#[derive(Debug, Clone)]
pub struct Options {
    /// AWS's flow logs (files or directories).
    pub flowlogs: Vec<PathBuf>,
    /// vxtap's output (files or directories).
    pub observed: Vec<PathBuf>,
    /// EVE file whose alerts are enriched.
    pub eve: Option<PathBuf>,
    /// Sessions and mirror filters; joins by interface when given.
    pub config: Option<Config>,
    /// Report directory.
    pub report: PathBuf,
    /// Clock tolerance, seconds.
    pub tolerance: u64,
    /// How far behind the newest record a group is decided, seconds.
    pub lateness: u64,
    /// Format of header-less AWS input (CloudWatch).
    pub aws_format: Option<Arc<Schema>>,
    /// Repair CRLF, extra whitespace, blank lines and a byte order mark in
    /// AWS input ([`ReadOptions::lenient`]).
    pub aws_lenient: bool,
    /// Bad lines shown on stderr (all are in errors.jsonl).
    pub max_errors_shown: usize,
}

/// Why correlate failed as a whole (bad lines are counted, not failures).
#[derive(Debug, thiserror::Error)]
pub enum CorrelateError {
    /// The report could not be written.
    #[error("report directory {path}: {source}")]
    Report {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The EVE file could not be read.
    #[error("EVE file {path}: {source}")]
    Eve {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// No input object at all.
    #[error("no {0} objects found: check the paths")]
    NoInput(&'static str),
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// summary.json's content.
    pub summary: Summary,
    /// Files written.
    pub written: Vec<PathBuf>,
    /// The first bad lines, as `file:line: kind: detail`.
    pub errors_shown: Vec<String>,
    /// Bad lines and left-out records in all.
    pub problems: u64,
}

/// Registers the config's sessions as interfaces (metadata, addresses) and
/// reports sessions that map no interface.
fn config_interfaces(cfg: &Config, report: &mut Report, warnings: &mut Vec<String>) {
    for s in &cfg.sessions {
        let Some(name) = s.meta.interface_id.as_deref() else {
            warnings.push(format!(
                "config: [[session]] vni = {} has no interface-id: its records cannot be joined by interface",
                s.vni
            ));
            continue;
        };
        let id = report.ifaces.intern(name);
        let info = report.ifaces.get_mut(id);
        info.in_config = true;
        let m = &s.meta;
        let fill = |d: &mut Option<String>, v: &Option<String>| {
            if d.is_none() {
                d.clone_from(v)
            }
        };
        fill(&mut info.account_id, &m.account_id);
        fill(&mut info.vpc_id, &m.vpc_id);
        fill(&mut info.subnet_id, &m.subnet_id);
        fill(&mut info.instance_id, &m.instance_id);
        fill(&mut info.az_id, &m.az_id);
        fill(&mut info.region, &m.region);
        info.addresses.extend(report::config_addresses(s));
    }
}

/// Runs the correlation and writes the report.
pub fn run(opts: &Options) -> Result<Outcome, CorrelateError> {
    let rerr = |source| CorrelateError::Report {
        path: opts.report.clone(),
        source,
    };
    let plan = input::plan(&opts.flowlogs, &opts.observed);
    if plan.aws_files == 0 {
        return Err(CorrelateError::NoInput("AWS flow-log"));
    }
    if plan.observed_files == 0 {
        return Err(CorrelateError::NoInput("vxtap output"));
    }
    let by_interface = opts.config.is_some();
    let filters = opts
        .config
        .as_ref()
        .map(|c| c.mirror_filters.clone())
        .unwrap_or_default();
    let mut report =
        Report::new(&opts.report, filters, by_interface, opts.tolerance).map_err(rerr)?;
    let mut warnings: Vec<String> = plan.notes.clone();
    warnings.extend(plan.unreadable.iter().map(|u| format!("cannot read {u}")));
    let sessions = opts.config.as_ref().map(|c| SessionMap::new(&c.sessions));
    if let Some(cfg) = &opts.config {
        config_interfaces(cfg, &mut report, &mut warnings);
    }
    if let Some(p) = &opts.eve {
        report.eve = Some(
            eve::EveIndex::load(p).map_err(|source| CorrelateError::Eve {
                path: p.clone(),
                source,
            })?,
        );
    }
    let mut errors = Jsonl::create(&opts.report, "errors.jsonl").map_err(rerr)?;
    let mut errors_shown = Vec::new();
    let mut problems = 0u64;
    if let Some(eve) = &report.eve {
        for e in &eve.errors {
            let text = format!("{}:{}: eve: {}", e.path.display(), e.line, e.detail);
            errors
                .row(&json!({"file": e.path.display().to_string(), "line": e.line, "kind": "eve", "detail": e.detail}))
                .map_err(rerr)?;
            if errors_shown.len() < opts.max_errors_shown {
                errors_shown.push(text);
            }
        }
        problems += eve.error_count;
    }
    let mut join = Join::new(opts.tolerance, opts.lateness, plan.streaming);
    report.inputs.aws_files = plan.aws_files;
    report.inputs.observed_files = plan.observed_files;
    report.inputs.streaming = plan.streaming;
    let read_opts = ReadOptions {
        format: opts.aws_format.clone(),
        strict: false,
        lenient: opts.aws_lenient,
    };
    let mut repairs = Repairs::default();
    let mut error_kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    for f in &plan.files {
        let file_id = report.files.push(f.path.display().to_string());
        let mut reader = FileReader::open(&f.path, &read_opts);
        let mut extra: Option<ExtraColumns> = None;
        while let Some(next) = reader.next_record() {
            let r = match next {
                Ok(r) => r,
                Err(e) => {
                    problems += 1;
                    *error_kinds
                        .entry(e.kind().as_str().to_string())
                        .or_default() += 1;
                    errors
                        .row(&json!({
                            "file": e.path.display().to_string(),
                            "line": e.line(),
                            "kind": e.kind().as_str(),
                            "detail": e.error.detail,
                            "fatal": e.fatal,
                        }))
                        .map_err(rerr)?;
                    if errors_shown.len() < opts.max_errors_shown {
                        errors_shown.push(e.to_string());
                    }
                    continue;
                }
            };
            let cols = *extra.get_or_insert_with(|| ExtraColumns::of(&r));
            match input::item(&r, f.side, file_id, cols, sessions.as_ref(), by_interface) {
                Ok(Item::Flow {
                    iface,
                    mut key,
                    entry,
                }) => {
                    key.iface = iface.map_or(0, |i| report.ifaces.intern(i));
                    match f.side {
                        Side::Aws => {
                            let info = report.ifaces.get_mut(key.iface);
                            for (slot, field) in [
                                (&mut info.account_id, FieldId::AccountId),
                                (&mut info.vpc_id, FieldId::VpcId),
                                (&mut info.subnet_id, FieldId::SubnetId),
                                (&mut info.instance_id, FieldId::InstanceId),
                                (&mut info.az_id, FieldId::AzId),
                                (&mut info.region, FieldId::Region),
                            ] {
                                if slot.is_none() {
                                    *slot = r.str(field).map(str::to_string);
                                }
                            }
                            report.saw_aws(key.iface, Some(&entry));
                        }
                        Side::Observed => report.saw_observed(key.iface, &entry),
                    }
                    join.add(key, entry, &mut report);
                }
                Ok(Item::Window {
                    iface,
                    start,
                    end,
                    status,
                }) => {
                    let id = iface.map_or(0, |i| report.ifaces.intern(i));
                    report.saw_aws(id, None);
                    join.add_window(id, start, end, status);
                    let source = format!("{}:{}", f.path.display(), r.line());
                    report.status_window(id, start, end, status, source);
                }
                Err(skip) => {
                    problems += 1;
                    let label = match &skip {
                        Skip::MissingField(f) => format!("missing-field:{f}"),
                        Skip::TransitGateway => "transit-gateway-record".into(),
                        Skip::UnmappedVni(v) => {
                            let v = v.map_or("-".to_string(), |v| v.to_string());
                            *report.inputs.unmapped_vnis.entry(v).or_default() += 1;
                            "vni-without-interface".into()
                        }
                        Skip::NoInterface => "aws-record-without-interface-id".into(),
                    };
                    *skipped.entry(label).or_default() += 1;
                }
            }
        }
        repairs.add(&reader.repairs());
    }
    join.finish(&mut report);
    report.inputs.repaired = repairs.by_kind();
    report.inputs.errors = error_kinds;
    report.inputs.skipped = skipped;
    report.inputs.late_records = join.late;
    report.inputs.peak_keys = join.peak_keys;
    report.inputs.peak_records = join.peak_records;
    let mut written = vec![errors.commit().map_err(rerr)?];
    let (mut summary, files) = report.finish(warnings).map_err(rerr)?;
    summary.lateness_s = opts.lateness;
    written.extend(files);
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| rerr(e.into()))?;
    let path = opts.report.join("summary.json");
    crate::output::atomic_write(&path, &json).map_err(rerr)?;
    written.push(path);
    let path = opts.report.join("index.html");
    crate::output::atomic_write(&path, html::page(&summary).as_bytes()).map_err(rerr)?;
    written.push(path);
    Ok(Outcome {
        summary,
        written,
        errors_shown,
        problems,
    })
}
