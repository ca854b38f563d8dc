//! Both logs through the same flow-log reader: which objects to read and in
//! which order (by the 5-minute slot their S3 name carries, so the join can
//! stream), and a record turned into its join key and [`Entry`].
//!
//! vxtap's records name their interface when `replay` had a session config
//! (`interface-id`); otherwise their `vni` (and `mirror-srcaddr`) columns are
//! mapped through the config given to `correlate`. A VNI the config does not
//! map to an interface is reported, never guessed.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use super::model::{Entry, FlowKey, Side};
use crate::config::SessionMap;
use crate::flowlogs::{FieldId, Record, SourceInfo, collect_inputs};
use crate::wire::Addr;

/// One object to read.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Which log.
    pub side: Side,
    /// Path.
    pub path: PathBuf,
    /// Start of the 5-minute slot in its S3 name, Unix seconds.
    pub slot: Option<u64>,
}

/// The objects of both logs in reading order.
#[derive(Debug, Default)]
pub struct Plan {
    /// Objects, ordered by slot (then log, then path).
    pub files: Vec<InputFile>,
    /// True when every object names its slot, so the join can decide groups
    /// while reading.
    pub streaming: bool,
    /// What the user should know about the choice of objects.
    pub notes: Vec<String>,
    /// Paths that could not be listed, with why.
    pub unreadable: Vec<String>,
    /// Objects per log.
    pub aws_files: usize,
    /// See `aws_files`.
    pub observed_files: usize,
}

/// Unix seconds of an S3 name's `YYYYMMDDTHHmmZ`.
pub fn slot_of(path: &Path) -> Option<u64> {
    let w = SourceInfo::from_path(path).window?;
    let t = NaiveDateTime::parse_from_str(&w, "%Y%m%dT%H%MZ").ok()?;
    u64::try_from(t.and_utc().timestamp()).ok()
}

/// Lists the objects of both logs. When vxtap's output holds Parquet and
/// text objects side by side (`--output-format both`), only the Parquet ones
/// are read: they hold the same records.
pub fn plan(aws: &[PathBuf], observed: &[PathBuf]) -> Plan {
    let mut plan = Plan::default();
    for (side, paths) in [(Side::Aws, aws), (Side::Observed, observed)] {
        let inputs = collect_inputs(paths);
        for (p, e) in inputs.unreadable {
            plan.unreadable.push(format!("{}: {e}", p.display()));
        }
        let mut files = inputs.files;
        if side == Side::Observed {
            let is_parquet = |p: &PathBuf| p.to_string_lossy().ends_with(".parquet");
            let n_parquet = files.iter().filter(|p| is_parquet(p)).count();
            if n_parquet > 0 && n_parquet < files.len() {
                plan.notes.push(format!(
                    "vxtap output: {} Parquet and {} other objects; reading the Parquet ones only (--output-format both writes the same records twice)",
                    n_parquet,
                    files.len() - n_parquet
                ));
                files.retain(is_parquet);
            }
        }
        for path in files {
            let slot = slot_of(&path);
            plan.files.push(InputFile { side, path, slot });
        }
    }
    plan.aws_files = plan.files.iter().filter(|f| f.side == Side::Aws).count();
    plan.observed_files = plan.files.len() - plan.aws_files;
    plan.streaming = plan.files.iter().all(|f| f.slot.is_some());
    if !plan.streaming {
        let n = plan.files.iter().filter(|f| f.slot.is_none()).count();
        plan.notes.push(format!(
            "{n} object(s) without an S3 time slot in their name: all records are held until the end (memory grows with the input)"
        ));
    }
    plan.files
        .sort_by(|a, b| (a.slot, a.side as u8, &a.path).cmp(&(b.slot, b.side as u8, &b.path)));
    plan
}

/// Why a record was left out of the join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// The format lacks a field the join needs (named).
    MissingField(&'static str),
    /// A record of a Transit Gateway flow log (not an interface's).
    TransitGateway,
    /// vxtap record whose VNI the config does not map to an interface
    /// (`None`: the record names no VNI either).
    UnmappedVni(Option<u32>),
    /// AWS record without `interface-id` while joining by interface.
    NoInterface,
}

/// A record reduced to what the join needs.
#[derive(Debug)]
pub enum Item<'a> {
    /// A record with traffic.
    Flow {
        /// The interface id text (`None` when joining without interfaces).
        iface: Option<&'a str>,
        /// The key, `iface` to be interned by the caller.
        key: FlowKey,
        /// The record.
        entry: Entry,
    },
    /// An AWS NODATA/SKIPDATA record.
    Window {
        /// Interface id.
        iface: Option<&'a str>,
        /// Window start.
        start: u64,
        /// Window end.
        end: u64,
        /// Status.
        status: crate::flowlogs::LogStatus,
    },
}

/// Positions of vxtap's own columns in a schema (unknown to AWS's table,
/// kept as text by the reader).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtraColumns {
    vni: Option<usize>,
    mirror_src: Option<usize>,
}

impl ExtraColumns {
    /// Finds `vni` and `mirror-srcaddr` in a record's schema.
    pub fn of(r: &Record<'_>) -> Self {
        let pos = |name: &str| r.schema().columns().iter().position(|c| &*c.name == name);
        ExtraColumns {
            vni: pos("vni"),
            mirror_src: pos("mirror-srcaddr"),
        }
    }
}

/// Turns a record into an [`Item`]. `sessions` (the config) maps vxtap's
/// VNIs when the record has no interface; `by_interface` says whether the
/// join keys on interfaces at all.
pub fn item<'a>(
    r: &Record<'a>,
    side: Side,
    file: u32,
    extra: ExtraColumns,
    sessions: Option<&'a SessionMap>,
    by_interface: bool,
) -> Result<Item<'a>, Skip> {
    use crate::flowlogs::LogStatus;
    if r.schema().is_transit_gateway() {
        return Err(Skip::TransitGateway);
    }
    let iface = if !by_interface {
        None
    } else {
        match (r.interface_id(), side) {
            (Some(i), _) => Some(i),
            (None, Side::Aws) => return Err(Skip::NoInterface),
            (None, Side::Observed) => {
                let vni = extra.vni.and_then(|i| r.text_at(i).parse::<u32>().ok());
                let src = extra
                    .mirror_src
                    .and_then(|i| r.text_at(i).parse::<IpAddr>().ok())
                    .map(Addr::from);
                let meta = sessions.zip(vni).map(|(s, v)| s.lookup(Some(v), src));
                match meta.and_then(|m| m.interface_id.as_deref()) {
                    Some(i) => Some(i),
                    None => return Err(Skip::UnmappedVni(vni)),
                }
            }
        }
    };
    let status = r.log_status().unwrap_or(LogStatus::Ok);
    let need = |v: Option<u64>, f: FieldId| v.ok_or(Skip::MissingField(f.name()));
    if status != LogStatus::Ok {
        if side == Side::Aws {
            let start = need(r.start(), FieldId::Start)?;
            let end = need(r.end(), FieldId::End)?;
            return Ok(Item::Window {
                iface,
                start,
                end,
                status,
            });
        }
        return Err(Skip::MissingField("log-status"));
    }
    let src = r.srcaddr().ok_or(Skip::MissingField("srcaddr"))?;
    let dst = r.dstaddr().ok_or(Skip::MissingField("dstaddr"))?;
    let key = FlowKey {
        iface: 0,
        protocol: r.protocol().ok_or(Skip::MissingField("protocol"))?,
        src,
        dst,
        sport: r.srcport().unwrap_or(0),
        dport: r.dstport().unwrap_or(0),
    };
    let entry = Entry {
        side,
        start: need(r.start(), FieldId::Start)?,
        end: need(r.end(), FieldId::End)?,
        packets: r.packets().unwrap_or(0),
        bytes: r.bytes().unwrap_or(0),
        action: r.action(),
        reject_reason: r.str(FieldId::RejectReason).map(Into::into),
        ingress: r
            .flow_direction()
            .map(|d| d == crate::flowlogs::Direction::Ingress),
        file,
        line: r.line(),
    };
    Ok(Item::Flow { iface, key, entry })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_from_s3_names() {
        let p = Path::new(
            "AWSLogs/1/vpcflowlogs/r/2023/11/14/1_vpcflowlogs_r_fl-x_20231114T2215Z_0000abcd.log.gz",
        );
        assert_eq!(slot_of(p), Some(1_700_000_100));
        assert_eq!(slot_of(Path::new("flows.log")), None);
    }

    #[test]
    fn plan_orders_by_slot_and_prefers_parquet_twins() {
        let dir = tempfile::tempdir().unwrap();
        let name = |t: &str, ext: &str| format!("1_vpcflowlogs_r_fl-x_{t}_0000abcd.log.{ext}");
        let aws = dir.path().join("aws");
        let obs = dir.path().join("obs");
        std::fs::create_dir_all(&aws).unwrap();
        std::fs::create_dir_all(&obs).unwrap();
        for (d, t, ext) in [
            (&aws, "20231114T2220Z", "gz"),
            (&aws, "20231114T2215Z", "gz"),
            (&obs, "20231114T2215Z", "gz"),
            (&obs, "20231114T2215Z", "parquet"),
        ] {
            std::fs::write(d.join(name(t, ext)), b"").unwrap();
        }
        let p = plan(&[aws], &[obs]);
        let got: Vec<_> = p
            .files
            .iter()
            .map(|f| {
                (
                    f.side,
                    f.path.file_name().unwrap().to_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (Side::Aws, name("20231114T2215Z", "gz")),
                (Side::Observed, name("20231114T2215Z", "parquet")),
                (Side::Aws, name("20231114T2220Z", "gz")),
            ]
        );
        assert!(p.streaming);
        assert_eq!(p.notes.len(), 1);
    }
}
