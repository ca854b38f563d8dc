//! The report: what the join decides becomes category rows (JSON lines),
//! counts overall and per interface, delta distributions, the timeline and
//! REJECT rankings; reasons are given to unmatched records.
//!
//! Reasons that depend on one record are given when it is decided; those
//! that depend on a whole interface (no mirrored traffic at all on it, no
//! flow log for it, a REJECT-only flow log) are only known at the end, so
//! the unmatched rows go to temporary files first and one streaming pass at
//! the end writes them with their final reason.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

use super::eve::EveIndex;
use super::filter::{FlowTuple, MirrorFilter, TrafficDirection};
use super::join::Outcome;
use super::model::{Entry, FlowKey, Interfaces, Names};
use super::services;
use super::stats::{Counts, Delta, DeltaSummary, Lane, Rejects, Timeline, TimelineSummary, TopRow};
use crate::flowlogs::{Action, LogStatus};

/// Category files, as named in the report directory.
pub const MATCHED: &str = "matched.jsonl";
/// See [`MATCHED`].
pub const LOGGED_NOT_MIRRORED: &str = "logged_not_mirrored.jsonl";
/// See [`MATCHED`].
pub const MIRRORED_NOT_LOGGED: &str = "mirrored_not_logged.jsonl";
/// See [`MATCHED`].
pub const REJECTED: &str = "rejected.jsonl";
/// See [`MATCHED`].
pub const STATUS_WINDOWS: &str = "status_windows.jsonl";

/// A JSON-lines file written under a temporary name and renamed by `commit`.
pub(crate) struct Jsonl {
    tmp: PathBuf,
    path: PathBuf,
    out: BufWriter<File>,
}

impl Jsonl {
    pub(crate) fn create(dir: &Path, name: &str) -> std::io::Result<Self> {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        Ok(Jsonl {
            out: BufWriter::with_capacity(1 << 16, File::create(&tmp)?),
            tmp,
            path,
        })
    }

    pub(crate) fn row(&mut self, v: &Value) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, v)?;
        self.out.write_all(b"\n")
    }

    pub(crate) fn commit(mut self) -> std::io::Result<PathBuf> {
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        std::fs::rename(&self.tmp, &self.path)?;
        Ok(self.path)
    }
}

/// One record's row in the category files (AWS's field names).
#[derive(Serialize)]
struct Row<'a> {
    #[serde(rename = "interface-id")]
    interface_id: &'a str,
    srcaddr: IpAddr,
    dstaddr: IpAddr,
    srcport: u16,
    dstport: u16,
    protocol: u8,
    packets: u64,
    bytes: u64,
    start: u64,
    end: u64,
    action: Option<&'static str>,
    #[serde(rename = "reject-reason")]
    reject_reason: Option<&'a str>,
    #[serde(rename = "community-id")]
    community_id: String,
    source: String,
}

/// A REJECT record's row: the record and whether it was matched.
#[derive(Serialize)]
struct RejectRow<'a> {
    #[serde(flatten)]
    row: Row<'a>,
    matched: bool,
}

/// Reasons counted per category.
pub type ReasonCounts = BTreeMap<String, u64>;

/// One interface in summary.json.
#[derive(Debug, Clone, Serialize)]
pub struct InterfaceSummary {
    /// Counts (see [`Counts`]).
    #[serde(flatten)]
    pub counts: Counts,
    /// Reasons of `logged_not_mirrored`.
    pub logged_not_mirrored_reasons: ReasonCounts,
    /// Reasons of `mirrored_not_logged`.
    pub mirrored_not_logged_reasons: ReasonCounts,
    /// AWS metadata (from AWS records, else from the config).
    pub account_id: Option<String>,
    /// VPC.
    pub vpc_id: Option<String>,
    /// Subnet.
    pub subnet_id: Option<String>,
    /// Instance.
    pub instance_id: Option<String>,
    /// Availability-zone id.
    pub az_id: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// A config session maps a VNI to it.
    pub in_config: bool,
    /// AWS records (any status) seen.
    pub aws_records: u64,
    /// vxtap records seen.
    pub observed_records: u64,
}

/// What was read and left out.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InputSummary {
    /// AWS objects read.
    pub aws_files: usize,
    /// vxtap objects read.
    pub observed_files: usize,
    /// AWS records read (any status).
    pub aws_records: u64,
    /// vxtap records read.
    pub observed_records: u64,
    /// Bad lines by kind (located in errors.jsonl).
    pub errors: BTreeMap<String, u64>,
    /// Records left out of the join, by why (see docs/correlate.md).
    pub skipped: BTreeMap<String, u64>,
    /// AWS lines repaired by `--lenient`, by kind (absent when none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub repaired: BTreeMap<String, u64>,
    /// vxtap records whose VNI the config maps to no interface, by VNI.
    pub unmapped_vnis: BTreeMap<String, u64>,
    /// Records that arrived after their time had been decided.
    pub late_records: u64,
    /// The join decided groups while reading.
    pub streaming: bool,
    /// Most keys / records held at once.
    pub peak_keys: usize,
    /// See `peak_keys`.
    pub peak_records: usize,
    /// Time span of each log, Unix seconds.
    pub aws_span: Option<(u64, u64)>,
    /// See `aws_span`.
    pub observed_span: Option<(u64, u64)>,
}

/// EVE enrichment counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EveSummary {
    /// Alerts read.
    pub alerts: usize,
    /// Alerts with an `aws` object.
    pub enriched: usize,
    /// Bad lines.
    pub errors: u64,
}

/// Delta distributions of matched groups.
#[derive(Debug, Clone, Serialize)]
pub struct Deltas {
    /// Packets: vxtap − AWS, percent of AWS.
    pub packets: DeltaSummary,
    /// Bytes.
    pub bytes: DeltaSummary,
    /// vxtap's first `start` − AWS's first `start`, seconds (median, 5th, 95th percentile).
    pub clock_offset_s: (Option<i64>, Option<i64>, Option<i64>),
}

/// REJECT rankings.
#[derive(Debug, Clone, Serialize)]
pub struct RejectSummary {
    /// By source address.
    pub sources: Vec<TopRow>,
    /// By `protocol/dstport`.
    pub ports: Vec<TopRow>,
    /// By v8 reject-reason.
    pub reasons: Vec<TopRow>,
}

/// summary.json.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Overall counts.
    #[serde(flatten)]
    pub counts: Counts,
    /// Reasons of `logged_not_mirrored`.
    pub logged_not_mirrored_reasons: ReasonCounts,
    /// Reasons of `mirrored_not_logged`.
    pub mirrored_not_logged_reasons: ReasonCounts,
    /// Per interface id.
    pub interfaces: BTreeMap<String, InterfaceSummary>,
    /// Matched deltas.
    pub deltas: Deltas,
    /// REJECTs.
    pub rejects: RejectSummary,
    /// Timeline.
    pub timeline: TimelineSummary,
    /// Inputs.
    pub inputs: InputSummary,
    /// EVE enrichment (with `--eve`).
    pub eve: Option<EveSummary>,
    /// Join settings.
    pub tolerance_s: u64,
    /// See `tolerance_s`.
    pub lateness_s: u64,
    /// Joined on interfaces (a config was given).
    pub join_by_interface: bool,
    /// What the user should know.
    pub warnings: Vec<String>,
}

/// The report being built.
pub struct Report {
    dir: PathBuf,
    /// Interfaces.
    pub ifaces: Interfaces,
    /// Input files.
    pub files: Names,
    filters: Vec<MirrorFilter>,
    by_interface: bool,
    tolerance: u64,
    matched_out: Jsonl,
    lnm_out: Jsonl,
    mnl_out: Jsonl,
    rejected_out: Jsonl,
    windows_out: Jsonl,
    /// Overall counts.
    pub counts: Counts,
    per_iface: Vec<Counts>,
    packets: Delta,
    bytes: Delta,
    offsets: super::stats::Histogram,
    timeline: Timeline,
    rejects: Rejects,
    /// EVE alerts to enrich.
    pub eve: Option<EveIndex>,
    /// Input counts.
    pub inputs: InputSummary,
    io_error: Option<std::io::Error>,
    scratch: Vec<u8>,
}

fn action_str(a: Option<Action>) -> Option<&'static str> {
    a.map(|a| match a {
        Action::Accept => "ACCEPT",
        Action::Reject => "REJECT",
    })
}

fn widen(span: &mut Option<(u64, u64)>, e: &Entry) {
    *span = Some(match *span {
        None => (e.start, e.end),
        Some((a, b)) => (a.min(e.start), b.max(e.end)),
    });
}

impl Report {
    /// A report written under `dir` (created).
    pub fn new(
        dir: &Path,
        filters: Vec<MirrorFilter>,
        by_interface: bool,
        tolerance: u64,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Report {
            dir: dir.to_owned(),
            ifaces: Interfaces::default(),
            files: Names::default(),
            filters,
            by_interface,
            tolerance,
            matched_out: Jsonl::create(dir, MATCHED)?,
            lnm_out: Jsonl::create(dir, &format!("{LOGGED_NOT_MIRRORED}.pending"))?,
            mnl_out: Jsonl::create(dir, &format!("{MIRRORED_NOT_LOGGED}.pending"))?,
            rejected_out: Jsonl::create(dir, REJECTED)?,
            windows_out: Jsonl::create(dir, STATUS_WINDOWS)?,
            counts: Counts::default(),
            per_iface: Vec::new(),
            packets: Delta::default(),
            bytes: Delta::default(),
            offsets: super::stats::Histogram::new(-3600, 3600),
            timeline: Timeline::default(),
            rejects: Rejects::default(),
            eve: None,
            inputs: InputSummary::default(),
            io_error: None,
            scratch: Vec::new(),
        })
    }

    fn iface_counts(&mut self, iface: u32) -> &mut Counts {
        let i = iface as usize;
        if self.per_iface.len() <= i {
            self.per_iface.resize(i + 1, Counts::default());
        }
        &mut self.per_iface[i]
    }

    fn write(&mut self, which: u8, v: Value) {
        let out = match which {
            0 => &mut self.matched_out,
            1 => &mut self.lnm_out,
            2 => &mut self.mnl_out,
            3 => &mut self.rejected_out,
            _ => &mut self.windows_out,
        };
        if let Err(e) = out.row(&v)
            && self.io_error.is_none()
        {
            self.io_error = Some(e);
        }
    }

    fn source(&self, e: &Entry) -> String {
        format!("{}:{}", self.files.names[e.file as usize], e.line)
    }

    fn row<'a>(&'a self, key: &FlowKey, e: &'a Entry) -> Row<'a> {
        Row {
            interface_id: &self.ifaces.get(key.iface).name,
            srcaddr: key.src,
            dstaddr: key.dst,
            srcport: key.sport,
            dstport: key.dport,
            protocol: key.protocol,
            packets: e.packets,
            bytes: e.bytes,
            start: e.start,
            end: e.end,
            action: action_str(e.action),
            reject_reason: e.reject_reason.as_deref(),
            community_id: key.community_id(),
            source: self.source(e),
        }
    }

    /// An unmatched record with its reason, to the pending file of its
    /// category: `iface \t reason \t cut \t json`, where the JSON's
    /// `"reason"`/`"detail"` members start at byte `cut`, so the final pass
    /// can replace them without parsing the row.
    fn pending(&mut self, which: u8, key: &FlowKey, e: &Entry, reason: &str, detail: &str) {
        let mut json = std::mem::take(&mut self.scratch);
        json.clear();
        let res = serde_json::to_writer(&mut json, &self.row(key, e));
        if let Err(err) = res {
            self.io_error.get_or_insert(err.into());
            self.scratch = json;
            return;
        }
        json.pop();
        let cut = json.len();
        let out = if which == 1 {
            &mut self.lnm_out
        } else {
            &mut self.mnl_out
        };
        let res = (|| -> std::io::Result<()> {
            write!(out.out, "{}\t{reason}\t{cut}\t", key.iface)?;
            out.out.write_all(&json)?;
            writeln!(
                out.out,
                ",\"reason\":{},\"detail\":{}}}",
                Value::String(reason.into()),
                Value::String(detail.into())
            )
        })();
        if let Err(err) = res {
            self.io_error.get_or_insert(err);
        }
        self.scratch = json;
    }

    /// Counts an AWS record (any status) for its interface.
    pub fn saw_aws(&mut self, iface: u32, e: Option<&Entry>) {
        self.inputs.aws_records += 1;
        let info = self.ifaces.get_mut(iface);
        info.aws_records += 1;
        if let Some(e) = e {
            match e.action {
                Some(Action::Reject) => {}
                _ => info.aws_accept += 1,
            }
            widen(&mut self.inputs.aws_span, e);
        }
    }

    /// Counts a vxtap record for its interface.
    pub fn saw_observed(&mut self, iface: u32, e: &Entry) {
        self.inputs.observed_records += 1;
        self.ifaces.get_mut(iface).observed_records += 1;
        widen(&mut self.inputs.observed_span, e);
    }

    /// An AWS NODATA/SKIPDATA record.
    pub fn status_window(
        &mut self,
        iface: u32,
        start: u64,
        end: u64,
        status: LogStatus,
        source: String,
    ) {
        let name = match status {
            LogStatus::NoData => {
                self.counts.nodata += 1;
                self.iface_counts(iface).nodata += 1;
                "NODATA"
            }
            _ => {
                self.counts.skipdata += 1;
                self.iface_counts(iface).skipdata += 1;
                "SKIPDATA"
            }
        };
        let v = json!({
            "interface-id": self.ifaces.get(iface).name,
            "log-status": name,
            "start": start,
            "end": end,
            "source": source,
        });
        self.write(4, v);
    }

    fn direction(&self, key: &FlowKey, e: &Entry) -> Option<TrafficDirection> {
        if let Some(ingress) = e.ingress {
            return Some(if ingress {
                TrafficDirection::Ingress
            } else {
                TrafficDirection::Egress
            });
        }
        let addrs = &self.ifaces.get(key.iface).addresses;
        if addrs.contains(&key.dst) {
            Some(TrafficDirection::Ingress)
        } else if addrs.contains(&key.src) {
            Some(TrafficDirection::Egress)
        } else {
            None
        }
    }

    fn offer_eve(&mut self, key: &FlowKey, e: &Entry) {
        if self.eve.is_some() {
            let source = self.source(e);
            let iface = self.ifaces.get(key.iface).clone();
            if let Some(eve) = self.eve.as_mut() {
                eve.offer(key, e, &iface, self.tolerance, &source);
            }
        }
    }

    fn count_reject(&mut self, key: &FlowKey, e: &Entry, matched: bool) {
        if e.action != Some(Action::Reject) {
            return;
        }
        self.counts.rejected += 1;
        self.iface_counts(key.iface).rejected += 1;
        self.timeline.add(e.start, Lane::Rejected);
        self.rejects.sources.add(&key.src, e.packets);
        self.rejects
            .ports
            .add(&format!("{}/{}", key.protocol, key.dport), e.packets);
        self.rejects.reasons.add(
            &e.reject_reason.as_deref().unwrap_or("-").to_string(),
            e.packets,
        );
        let row = RejectRow {
            row: self.row(key, e),
            matched,
        };
        match serde_json::to_value(&row) {
            Ok(v) => self.write(3, v),
            Err(err) => {
                self.io_error.get_or_insert(err.into());
            }
        }
    }

    /// Finishes: final reasons, summary.json, the committed files. Returns
    /// the summary and the paths written.
    pub fn finish(mut self, mut warnings: Vec<String>) -> std::io::Result<(Summary, Vec<PathBuf>)> {
        if let Some(e) = self.io_error.take() {
            return Err(e);
        }
        let mut written = vec![
            self.matched_out.commit()?,
            self.rejected_out.commit()?,
            self.windows_out.commit()?,
        ];
        let mut lnm_reasons: Vec<ReasonCounts> = vec![ReasonCounts::new(); self.ifaces.info.len()];
        let mut mnl_reasons = lnm_reasons.clone();
        let lnm_pending = self.lnm_out.commit()?;
        let mnl_pending = self.mnl_out.commit()?;
        let ctx = (&self.dir, &self.ifaces, self.by_interface);
        written.push(final_pass(
            ctx,
            &lnm_pending,
            LOGGED_NOT_MIRRORED,
            true,
            &mut lnm_reasons,
        )?);
        written.push(final_pass(
            ctx,
            &mnl_pending,
            MIRRORED_NOT_LOGGED,
            false,
            &mut mnl_reasons,
        )?);
        let sum = |rs: &[ReasonCounts]| {
            let mut t = ReasonCounts::new();
            for r in rs {
                for (k, v) in r {
                    *t.entry(k.clone()).or_default() += v;
                }
            }
            t
        };
        let mut interfaces = BTreeMap::new();
        for (id, info) in self.ifaces.info.iter().enumerate() {
            let counts = self.per_iface.get(id).cloned().unwrap_or_default();
            if id == 0 && info.aws_records == 0 && info.observed_records == 0 {
                continue;
            }
            interfaces.insert(
                info.name.clone(),
                InterfaceSummary {
                    counts,
                    logged_not_mirrored_reasons: lnm_reasons[id].clone(),
                    mirrored_not_logged_reasons: mnl_reasons[id].clone(),
                    account_id: info.account_id.clone(),
                    vpc_id: info.vpc_id.clone(),
                    subnet_id: info.subnet_id.clone(),
                    instance_id: info.instance_id.clone(),
                    az_id: info.az_id.clone(),
                    region: info.region.clone(),
                    in_config: info.in_config,
                    aws_records: info.aws_records,
                    observed_records: info.observed_records,
                },
            );
        }
        if let (Some(a), Some(o)) = (self.inputs.aws_span, self.inputs.observed_span)
            && (a.1 + self.tolerance < o.0 || o.1 + self.tolerance < a.0)
        {
            warnings.push(format!(
                "the two logs do not overlap in time (AWS {}..{}, vxtap {}..{}): check clocks, time zones and millisecond timestamps",
                a.0, a.1, o.0, o.1
            ));
        }
        if self.inputs.late_records > 0 {
            warnings.push(format!(
                "{} record(s) arrived after their time had been decided; raise --lateness (they may be reported unmatched)",
                self.inputs.late_records
            ));
        }
        if !self.inputs.unmapped_vnis.is_empty() {
            warnings.push(format!(
                "vxtap records of VNI(s) {} have no interface-id in the config; they were left out (add interface-id to their [[session]])",
                self.inputs
                    .unmapped_vnis
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let eve = self.eve.as_ref().map(|e| EveSummary {
            alerts: e.alerts(),
            enriched: e.enriched(),
            errors: e.error_count,
        });
        if let Some(eve) = &self.eve {
            let mut out = Jsonl::create(&self.dir, "eve-enriched.json")?;
            eve.write(&mut out.out)?;
            written.push(out.commit()?);
        }
        let summary = Summary {
            counts: self.counts.clone(),
            logged_not_mirrored_reasons: sum(&lnm_reasons),
            mirrored_not_logged_reasons: sum(&mnl_reasons),
            interfaces,
            deltas: Deltas {
                packets: self.packets.summary(),
                bytes: self.bytes.summary(),
                clock_offset_s: (
                    self.offsets.quantile(0.5),
                    self.offsets.quantile(0.05),
                    self.offsets.quantile(0.95),
                ),
            },
            rejects: RejectSummary {
                sources: self.rejects.sources.top(20),
                ports: self.rejects.ports.top(20),
                reasons: self.rejects.reasons.top(20),
            },
            timeline: self.timeline.summary(),
            inputs: self.inputs.clone(),
            eve,
            tolerance_s: self.tolerance,
            lateness_s: 0,
            join_by_interface: self.by_interface,
            warnings,
        };
        Ok((summary, written))
    }
}

/// Rewrites a pending category file with the final reasons (see the module doc).
fn final_pass(
    (dir, ifaces, by_interface): (&PathBuf, &Interfaces, bool),
    pending: &Path,
    name: &str,
    aws_side: bool,
    reasons: &mut [ReasonCounts],
) -> std::io::Result<PathBuf> {
    {
        let mut out = Jsonl::create(dir, name)?;
        let mut input = BufReader::new(File::open(pending)?);
        let mut line = String::new();
        loop {
            line.clear();
            if input.read_line(&mut line)? == 0 {
                break;
            }
            let bad =
                || std::io::Error::other(format!("{}: damaged pending row", pending.display()));
            let mut parts = line.trim_end_matches('\n').splitn(4, '\t');
            let (Some(iface), Some(local), Some(cut), Some(json)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            let iface: u32 = iface.parse().map_err(|_| bad())?;
            let cut: usize = cut.parse().map_err(|_| bad())?;
            if iface as usize >= ifaces.info.len() || cut > json.len() {
                return Err(bad());
            }
            let info = ifaces.get(iface);
            let global = if !by_interface || iface == 0 {
                None
            } else if aws_side && info.observed_records == 0 {
                Some((
                    "interface-not-mirrored",
                    if info.in_config {
                        "a config session maps a VNI to it, but vxtap saw none of its traffic"
                    } else {
                        "no mirror session of the config names this interface"
                    },
                ))
            } else if !aws_side && info.aws_records == 0 {
                Some((
                    "no-flow-log-for-interface",
                    "the AWS logs hold no record of this interface",
                ))
            } else if !aws_side && local == "unknown" && info.aws_accept == 0 {
                Some((
                    "flow-log-rejects-only",
                    "the interface's flow log has REJECT records only (a REJECT-only flow log?)",
                ))
            } else {
                None
            };
            let reason = match global {
                Some((r, d)) => {
                    let head = json.get(..cut).ok_or_else(bad)?;
                    out.out.write_all(head.as_bytes())?;
                    writeln!(
                        out.out,
                        ",\"reason\":\"{r}\",\"detail\":{}}}",
                        Value::String(d.into())
                    )?;
                    r
                }
                None => {
                    out.out.write_all(json.as_bytes())?;
                    out.out.write_all(b"\n")?;
                    local
                }
            };
            *reasons[iface as usize]
                .entry(reason.to_string())
                .or_default() += 1;
        }
        std::fs::remove_file(pending)?;
        out.commit()
    }
}

impl Outcome for Report {
    fn matched(&mut self, key: &FlowKey, aws: &[&Entry], observed: &[&Entry]) {
        let sum = |es: &[&Entry]| {
            es.iter().fold((0u64, 0u64, u64::MAX, 0u64), |a, e| {
                (
                    a.0 + e.packets,
                    a.1 + e.bytes,
                    a.2.min(e.start),
                    a.3.max(e.end),
                )
            })
        };
        let (ap, ab, as_, ae) = sum(aws);
        let (op, ob, os, oe) = sum(observed);
        self.counts.matched += aws.len() as u64;
        self.counts.matched_observed += observed.len() as u64;
        self.counts.matched_groups += 1;
        let c = self.iface_counts(key.iface);
        c.matched += aws.len() as u64;
        c.matched_observed += observed.len() as u64;
        c.matched_groups += 1;
        self.packets.add(ap, op);
        self.bytes.add(ab, ob);
        self.offsets.add(os as i64 - as_ as i64);
        for e in aws {
            self.timeline.add(e.start, Lane::Matched);
            self.count_reject(key, e, true);
            self.offer_eve(key, e);
        }
        let pct = |a: u64, o: u64| {
            if a == 0 {
                Value::Null
            } else {
                json!(((o as f64 - a as f64) * 10000.0 / a as f64).round() / 100.0)
            }
        };
        let v = json!({
            "interface-id": self.ifaces.get(key.iface).name,
            "srcaddr": key.src.to_string(),
            "dstaddr": key.dst.to_string(),
            "srcport": key.sport,
            "dstport": key.dport,
            "protocol": key.protocol,
            "community-id": key.community_id(),
            "action": action_str(aws[0].action),
            "aws": {"records": aws.len(), "packets": ap, "bytes": ab, "start": as_, "end": ae,
                    "source": self.source(aws[0])},
            "observed": {"records": observed.len(), "packets": op, "bytes": ob, "start": os, "end": oe,
                         "source": self.source(observed[0])},
            "packets_delta": op as i64 - ap as i64,
            "bytes_delta": ob as i64 - ab as i64,
            "packets_delta_pct": pct(ap, op),
            "bytes_delta_pct": pct(ab, ob),
            "clock_offset_s": os as i64 - as_ as i64,
        });
        self.write(0, v);
    }

    fn logged_not_mirrored(&mut self, key: &FlowKey, e: &Entry) {
        self.counts.logged_not_mirrored += 1;
        self.iface_counts(key.iface).logged_not_mirrored += 1;
        self.timeline.add(e.start, Lane::LoggedNotMirrored);
        self.count_reject(key, e, false);
        self.offer_eve(key, e);
        let tuple = FlowTuple {
            protocol: key.protocol,
            src: key.src,
            dst: key.dst,
            sport: key.sport,
            dport: key.dport,
        };
        let (reason, detail) = if e.action == Some(Action::Reject) {
            (
                "reject",
                format!(
                    "REJECTed by a security group or network ACL{}",
                    e.reject_reason
                        .as_deref()
                        .map(|r| format!(" (reject-reason {r})"))
                        .unwrap_or_default()
                ),
            )
        } else if let Some(s) =
            services::classify(key.protocol, key.src, key.dst, key.sport, key.dport)
                .filter(|s| s.never_mirrored())
        {
            (
                "not-mirrored-by-aws",
                format!("{}: Traffic Mirroring never copies it", s.name()),
            )
        } else if let Some(why) = {
            let name = &self.ifaces.get(key.iface).name;
            let dir = self.direction(key, e);
            self.filters
                .iter()
                .filter(|f| f.applies_to(name))
                .find_map(|f| f.why_not_mirrored(dir, &tuple))
        } {
            ("mirror-filter", why)
        } else {
            ("unknown", String::new())
        };
        self.pending(1, key, e, reason, &detail);
    }

    fn mirrored_not_logged(&mut self, key: &FlowKey, e: &Entry, window: Option<LogStatus>) {
        self.counts.mirrored_not_logged += 1;
        self.iface_counts(key.iface).mirrored_not_logged += 1;
        self.timeline.add(e.start, Lane::MirroredNotLogged);
        let (reason, detail) = match window {
            Some(LogStatus::NoData) => (
                "aws-nodata-window",
                "AWS logged NODATA for the interface at this time".to_string(),
            ),
            Some(_) => (
                "aws-skipdata-window",
                "AWS logged SKIPDATA (records dropped) for the interface at this time".to_string(),
            ),
            None => {
                match services::classify(key.protocol, key.src, key.dst, key.sport, key.dport) {
                    Some(s) => (
                        "not-logged-by-aws",
                        format!("{}: VPC Flow Logs never record it", s.name()),
                    ),
                    None => ("unknown", String::new()),
                }
            }
        };
        self.pending(2, key, e, reason, &detail);
    }
}

/// Addresses of an interface from the config, for flow direction.
pub fn config_addresses(s: &crate::config::SessionConfig) -> Vec<IpAddr> {
    s.addresses.iter().copied().chain(s.mirror_source).collect()
}
