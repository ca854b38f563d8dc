//! Where flow-log objects live: walking directories laid out like AWS's S3
//! delivery (`AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/[{HH}/]`
//! or the Hive-style `aws-account-id=…/aws-service=vpcflowlogs/…`), and the
//! fields a key carries (account, region, date, hour, flow-log id, window),
//! plus CloudWatch export keys (`<task>/<log-stream>/000000.gz`).

use std::fs;
use std::path::{Path, PathBuf};

/// File name endings taken as flow-log objects when walking a directory.
/// Files named on the command line are always read.
pub const OBJECT_SUFFIXES: &[&str] = &[".log", ".gz", ".parquet", ".txt", ".json"];

/// Deepest directory nesting followed (guards against symlink loops).
const MAX_DEPTH: usize = 32;

/// Names of the source fields, usable in output formats and added to JSON
/// by `--source-fields`.
pub const SOURCE_FIELDS: &[&str] = &[
    "source-file",
    "source-account-id",
    "source-region",
    "source-date",
    "source-hour",
    "flow-log-id",
    "source-window",
    "log-group",
    "log-stream",
];

/// What is known about a record from where it was stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceInfo {
    /// The file.
    pub file: String,
    /// Account from the key (`AWSLogs/<account>/…` or the file name).
    pub account_id: Option<String>,
    /// Region from the key.
    pub region: Option<String>,
    /// Date of the key's partition, `yyyy-mm-dd`.
    pub date: Option<String>,
    /// Hour partition, `HH`, when hourly partitions are on.
    pub hour: Option<String>,
    /// Flow-log id (`fl-…`) from the file name.
    pub flow_log_id: Option<String>,
    /// The 5-minute boundary in the file name (`20261122T1200Z`), ±5 min.
    pub window: Option<String>,
    /// CloudWatch Logs group (subscription payloads).
    pub log_group: Option<String>,
    /// CloudWatch Logs stream (export keys, subscription payloads).
    pub log_stream: Option<String>,
}

impl SourceInfo {
    /// Source fields of the file at `path`, from its key.
    pub fn from_path(path: &Path) -> Self {
        let mut info = Self {
            file: path.display().to_string(),
            ..Self::default()
        };
        let parts: Vec<&str> = path.iter().filter_map(|c| c.to_str()).collect();
        if let Some(name) = parts.last() {
            info.apply_file_name(name);
            if is_export_chunk(name) && parts.len() >= 2 {
                info.log_stream = Some(parts[parts.len() - 2].to_string());
            }
        }
        if let Some(i) = parts.iter().rposition(|p| *p == "AWSLogs") {
            info.apply_prefix(&parts[i + 1..parts.len().saturating_sub(1).max(i + 1)]);
        }
        info
    }

    /// The value of source field `name` (see [`SOURCE_FIELDS`]).
    pub fn field(&self, name: &str) -> Option<&str> {
        let v = match name {
            "source-file" => return Some(&self.file),
            "source-account-id" => &self.account_id,
            "source-region" => &self.region,
            "source-date" => &self.date,
            "source-hour" => &self.hour,
            "flow-log-id" => &self.flow_log_id,
            "source-window" => &self.window,
            "log-group" => &self.log_group,
            "log-stream" => &self.log_stream,
            _ => return None,
        };
        v.as_deref()
    }

    /// `<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz`
    fn apply_file_name(&mut self, name: &str) {
        let parts: Vec<&str> = name.split('_').collect();
        if parts.len() != 6 || parts[1] != "vpcflowlogs" {
            return;
        }
        self.account_id = Some(parts[0].to_string());
        self.region = Some(parts[2].to_string());
        self.flow_log_id = Some(parts[3].to_string());
        let w = parts[4];
        if w.len() == 14 && w.as_bytes()[8] == b'T' && w.ends_with('Z') {
            self.window = Some(w.to_string());
            self.date = Some(format!("{}-{}-{}", &w[0..4], &w[4..6], &w[6..8]));
        }
    }

    /// The directories after `AWSLogs/`, plain or Hive style.
    fn apply_prefix(&mut self, dirs: &[&str]) {
        let hive = |d: &str, key: &str| {
            d.strip_prefix(key)
                .and_then(|r| r.strip_prefix('='))
                .map(str::to_string)
        };
        if dirs.len() >= 6 && dirs[1] == "vpcflowlogs" {
            self.account_id = Some(dirs[0].to_string());
            self.region = Some(dirs[2].to_string());
            self.date = Some(format!("{}-{}-{}", dirs[3], dirs[4], dirs[5]));
            self.hour = dirs.get(6).map(|h| h.to_string());
        } else if dirs.len() >= 6 && hive(dirs[1], "aws-service").as_deref() == Some("vpcflowlogs")
        {
            self.account_id = hive(dirs[0], "aws-account-id").or(self.account_id.take());
            self.region = hive(dirs[2], "aws-region").or(self.region.take());
            if let (Some(y), Some(m), Some(d)) = (
                hive(dirs[3], "year"),
                hive(dirs[4], "month"),
                hive(dirs[5], "day"),
            ) {
                self.date = Some(format!("{y}-{m}-{d}"));
            }
            self.hour = dirs.get(6).and_then(|h| hive(h, "hour"));
        }
    }
}

/// `000000.gz`, `000001.gz`, …: a CloudWatch Logs export chunk.
fn is_export_chunk(name: &str) -> bool {
    name.strip_suffix(".gz")
        .is_some_and(|n| n.len() == 6 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The files to read and what was left out.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Files to read, in the order given; directory contents sorted by name.
    pub files: Vec<PathBuf>,
    /// Files found in directories that are not flow-log objects, with why.
    pub ignored: Vec<(PathBuf, String)>,
    /// Paths that could not be read at all.
    pub unreadable: Vec<(PathBuf, std::io::Error)>,
}

/// Expands `paths`: files as given, directories walked recursively.
pub fn collect_inputs(paths: &[PathBuf]) -> Inputs {
    let mut inputs = Inputs::default();
    for path in paths {
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => walk(path, 0, &mut inputs),
            Ok(_) => inputs.files.push(path.clone()),
            Err(e) => inputs.unreadable.push((path.clone(), e)),
        }
    }
    inputs
}

fn walk(dir: &Path, depth: usize, inputs: &mut Inputs) {
    if depth > MAX_DEPTH {
        inputs.ignored.push((
            dir.to_path_buf(),
            format!("nested deeper than {MAX_DEPTH} directories"),
        ));
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            inputs.unreadable.push((dir.to_path_buf(), e));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        match fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk(&path, depth + 1, inputs),
            Ok(_) => {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if OBJECT_SUFFIXES.iter().any(|s| name.ends_with(s)) && !name.starts_with('.') {
                    inputs.files.push(path);
                } else {
                    inputs.ignored.push((
                        path,
                        format!(
                            "not a flow-log object (expected a name ending in {})",
                            OBJECT_SUFFIXES.join(", ")
                        ),
                    ));
                }
            }
            Err(e) => inputs.unreadable.push((path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_s3_key() {
        let p = Path::new(
            "x/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/22/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60718_20261122T1205Z_7c6a180b.log.gz",
        );
        let i = SourceInfo::from_path(p);
        assert_eq!(i.account_id.as_deref(), Some("123456789012"));
        assert_eq!(i.region.as_deref(), Some("us-east-1"));
        assert_eq!(i.date.as_deref(), Some("2026-11-22"));
        assert_eq!(i.hour, None);
        assert_eq!(i.flow_log_id.as_deref(), Some("fl-0a1b2c3d4e5f60718"));
        assert_eq!(i.window.as_deref(), Some("20261122T1205Z"));
        assert_eq!(i.field("flow-log-id"), Some("fl-0a1b2c3d4e5f60718"));
        assert_eq!(i.field("nope"), None);
    }

    #[test]
    fn hive_key_with_hour() {
        let p = Path::new(
            "AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=01/day=02/hour=07/f.log.gz",
        );
        let i = SourceInfo::from_path(p);
        assert_eq!(i.account_id.as_deref(), Some("111122223333"));
        assert_eq!(i.region.as_deref(), Some("eu-west-1"));
        assert_eq!(i.date.as_deref(), Some("2026-01-02"));
        assert_eq!(i.hour.as_deref(), Some("07"));
    }

    #[test]
    fn plain_key_with_hour_and_cloudwatch_export() {
        let i = SourceInfo::from_path(Path::new("AWSLogs/1/vpcflowlogs/r/2026/01/02/23/f.log"));
        assert_eq!(i.hour.as_deref(), Some("23"));
        let i = SourceInfo::from_path(Path::new("exp/0c4b/eni-1235b8ca123456789/000000.gz"));
        assert_eq!(i.log_stream.as_deref(), Some("eni-1235b8ca123456789"));
        assert_eq!(i.account_id, None);
    }

    #[test]
    fn unrelated_paths_give_nothing_and_do_not_panic() {
        for p in [
            "",
            "/",
            "AWSLogs",
            "AWSLogs/a",
            "a_vpcflowlogs_b_c_d_e",
            "a_vpcflowlogs_b_c_20261122X1200Z_e",
        ] {
            let i = SourceInfo::from_path(Path::new(p));
            assert_eq!(i.region.is_some(), p.starts_with("a_vpc"), "{p}");
            assert_eq!(i.date, None, "{p}");
        }
    }

    #[test]
    fn walk_names_unrelated_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a/b")).unwrap();
        fs::write(dir.path().join("a/b/x.log.gz"), b"").unwrap();
        fs::write(dir.path().join("a/README.md"), b"").unwrap();
        fs::write(dir.path().join("a/y.log"), b"").unwrap();
        let inputs = collect_inputs(&[dir.path().to_path_buf(), dir.path().join("missing")]);
        let names: Vec<_> = inputs
            .files
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            names,
            vec![PathBuf::from("a/b/x.log.gz"), PathBuf::from("a/y.log")]
        );
        assert_eq!(inputs.ignored.len(), 1);
        assert!(inputs.ignored[0].0.ends_with("a/README.md"));
        assert_eq!(inputs.unreadable.len(), 1);
    }
}
