//! Delivery of rendered records: to standard output, or as AWS delivers
//! flow logs to S3:
//! `AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/{account}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}.log.gz`,
//! gzip, a header line naming the fields, a new file every 5 minutes of
//! capture time (by the record's `end`) or at a size limit. Files are
//! written under a temporary name and renamed when complete, so a reader
//! never sees a partial object.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use hashbrown::HashMap;

use super::format::LogFormat;
use crate::config::SessionMap;
use crate::flow::FlowRecord;

/// Seconds of capture time per delivered file.
pub const FILE_PERIOD: u64 = 300;

/// Account and region used in paths when the session config gives none.
pub const UNKNOWN_ACCOUNT: &str = "000000000000";
/// See [`UNKNOWN_ACCOUNT`].
pub const UNKNOWN_REGION: &str = "unknown";
/// Flow-log id used in file names when the session config gives none.
pub const DEFAULT_FLOW_LOG_ID: &str = "fl-vxtap";

/// gzip level of text objects unless [`S3Layout::with_gzip_level`] says
/// otherwise: zlib's default. Any level is standard gzip that every reader
/// (Athena, `zcat`, `vxtap flowlogs`) reads; lower levels trade size for
/// CPU (bench/RESULTS.md, "Replay pipeline", measures 1 against 6).
pub const DEFAULT_GZIP_LEVEL: u32 = 6;

/// Process start time and pid (fixed), and a count of file names made.
fn file_nonce() -> (u128, u32, u64) {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static START: OnceLock<u128> = OnceLock::new();
    static NAMES: AtomicU64 = AtomicU64::new(0);
    let start = *START.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    });
    (
        start,
        std::process::id(),
        NAMES.fetch_add(1, Ordering::Relaxed),
    )
}

/// A delivery failure (output not writable, disk full, …).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Writing, renaming or creating a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Where records go.
pub trait Delivery: Send {
    /// Writes a batch of records.
    fn write(&mut self, records: &[FlowRecord]) -> Result<(), DeliveryError>;
    /// Flushes and closes everything (atomic renames happen here at the latest).
    fn finish(&mut self) -> Result<(), DeliveryError>;
    /// Records written.
    fn records(&self) -> u64;
    /// Files completed.
    fn files(&self) -> u64;
}

/// Creates `root` and checks that it is writable, so an unusable output
/// fails before any packet is read.
pub(crate) fn probe_dir(root: &Path) -> Result<(), DeliveryError> {
    let io = |source| DeliveryError::Io {
        path: root.to_owned(),
        source,
    };
    std::fs::create_dir_all(root).map_err(io)?;
    let probe = root.join(".vxtap-write-test.tmp");
    File::create(&probe).map_err(io)?;
    std::fs::remove_file(&probe).map_err(io)
}

/// Two deliveries fed the same records (text and Parquet objects side by side).
pub struct Tee(pub Box<dyn Delivery>, pub Box<dyn Delivery>);

impl Delivery for Tee {
    fn write(&mut self, records: &[FlowRecord]) -> Result<(), DeliveryError> {
        self.0.write(records)?;
        self.1.write(records)
    }

    fn finish(&mut self) -> Result<(), DeliveryError> {
        let a = self.0.finish();
        let b = self.1.finish();
        a.and(b)
    }

    /// Records of the first delivery (both receive the same records).
    fn records(&self) -> u64 {
        self.0.records()
    }

    fn files(&self) -> u64 {
        self.0.files() + self.1.files()
    }
}

/// Header + records on standard output.
pub struct StdoutSink {
    format: LogFormat,
    sessions: SessionMap,
    out: BufWriter<std::io::Stdout>,
    line: String,
    records: u64,
    header_done: bool,
}

impl StdoutSink {
    /// A sink printing `format` lines.
    pub fn new(format: LogFormat, sessions: SessionMap) -> Self {
        StdoutSink {
            format,
            sessions,
            out: BufWriter::with_capacity(1 << 16, std::io::stdout()),
            line: String::new(),
            records: 0,
            header_done: false,
        }
    }

    /// Writes the header line once, before the first record (or at the end
    /// of an input without records, so the output is still a valid log).
    fn ensure_header(&mut self) -> Result<(), DeliveryError> {
        if !self.header_done {
            writeln!(self.out, "{}", self.format.header()).map_err(Self::io)?;
            self.header_done = true;
        }
        Ok(())
    }

    fn io(e: std::io::Error) -> DeliveryError {
        DeliveryError::Io {
            path: PathBuf::from("<stdout>"),
            source: e,
        }
    }
}

impl Delivery for StdoutSink {
    fn write(&mut self, records: &[FlowRecord]) -> Result<(), DeliveryError> {
        self.ensure_header()?;
        for r in records {
            self.line.clear();
            let meta = self.sessions.lookup(r.vni, r.mirror_src);
            self.format.render(r, meta, &mut self.line);
            self.out.write_all(self.line.as_bytes()).map_err(Self::io)?;
            self.records += 1;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), DeliveryError> {
        self.ensure_header()?;
        self.out.flush().map_err(Self::io)
    }

    fn records(&self) -> u64 {
        self.records
    }

    fn files(&self) -> u64 {
        0
    }
}

/// The flow log a record belongs to: account, region and flow-log id name
/// its objects' directory and file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Group {
    pub(crate) account: String,
    pub(crate) region: String,
    pub(crate) flow_log_id: String,
}

impl Group {
    /// The group of a session (defaults when the config gives none).
    pub(crate) fn of(meta: &crate::config::SessionMeta) -> Self {
        Group {
            account: meta
                .account_id
                .clone()
                .unwrap_or_else(|| UNKNOWN_ACCOUNT.into()),
            region: meta.region.clone().unwrap_or_else(|| UNKNOWN_REGION.into()),
            flow_log_id: meta
                .flow_log_id
                .clone()
                .unwrap_or_else(|| DEFAULT_FLOW_LOG_ID.into()),
        }
    }

    /// The directory of this group's objects for day `t`: AWS's plain
    /// layout `AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}` or,
    /// with `hive`, `AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year={yyyy}/month={mm}/day={dd}`.
    pub(crate) fn dir(&self, root: &Path, t: DateTime<Utc>, hive: bool) -> PathBuf {
        let base = root.join("AWSLogs");
        if hive {
            base.join(format!("aws-account-id={}", self.account))
                .join("aws-service=vpcflowlogs")
                .join(format!("aws-region={}", self.region))
                .join(format!("year={:04}", t.year()))
                .join(format!("month={:02}", t.month()))
                .join(format!("day={:02}", t.day()))
        } else {
            base.join(&self.account)
                .join("vpcflowlogs")
                .join(&self.region)
                .join(format!("{:04}", t.year()))
                .join(format!("{:02}", t.month()))
                .join(format!("{:02}", t.day()))
        }
    }

    /// `{account}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}{suffix}`
    /// with an 8-hex-digit hash of group, slot, `sequence` and a per-process
    /// nonce (start time, pid, deliveries opened), so neither a reopened
    /// delivery (`SIGHUP`) nor a restarted process overwrites a file.
    pub(crate) fn file_name(&self, t: DateTime<Utc>, sequence: u64, suffix: &str) -> String {
        let hash = {
            use std::hash::{BuildHasher, Hash, Hasher};
            let mut h = rustc_hash::FxBuildHasher.build_hasher();
            (self, t.timestamp(), sequence, file_nonce()).hash(&mut h);
            (h.finish() as u32) ^ ((h.finish() >> 32) as u32)
        };
        format!(
            "{}_vpcflowlogs_{}_{}_{}_{:08x}{suffix}",
            self.account,
            self.region,
            self.flow_log_id,
            t.format("%Y%m%dT%H%MZ"),
            hash
        )
    }
}

/// The groups records have named, each by a small index, so the
/// per-record file lookup hashes two integers and clones no strings.
#[derive(Default)]
struct GroupIndex {
    groups: Vec<Group>,
    index: HashMap<Group, u32>,
    /// The session (VNI, mirror source) of the previous record and its
    /// group: consecutive records mostly share it.
    last: Option<(Session, u32)>,
}

/// A record's session: VNI and mirror source.
type Session = (Option<u32>, Option<crate::wire::Addr>);

impl GroupIndex {
    /// The index of the group of record `r`, whose session is `meta`.
    fn of(&mut self, r: &FlowRecord, meta: &crate::config::SessionMeta) -> u32 {
        let session = (r.vni, r.mirror_src);
        if let Some((s, g)) = self.last
            && s == session
        {
            return g;
        }
        let group = Group::of(meta);
        let g = match self.index.get(&group) {
            Some(&g) => g,
            None => {
                let g = self.groups.len() as u32;
                self.groups.push(group.clone());
                self.index.insert(group, g);
                g
            }
        };
        self.last = Some((session, g));
        g
    }

    fn get(&self, g: u32) -> &Group {
        &self.groups[g as usize]
    }
}

struct OpenFile {
    tmp: PathBuf,
    path: PathBuf,
    gz: GzEncoder<BufWriter<File>>,
    bytes: u64,
}

/// The S3 delivery layout under an output directory.
pub struct S3Layout {
    root: PathBuf,
    format: LogFormat,
    sessions: SessionMap,
    max_file_bytes: u64,
    hive: bool,
    gzip_level: u32,
    /// Open objects by (group index, 5-minute slot).
    open: HashMap<(u32, u64), OpenFile>,
    groups: GroupIndex,
    sequence: u64,
    line: String,
    records: u64,
    files: u64,
    latest_slot: u64,
}

impl S3Layout {
    /// Prepares delivery under `root`, failing now (before any packet is
    /// read) when the directory cannot be created or written.
    pub fn new(
        root: &Path,
        format: LogFormat,
        sessions: SessionMap,
        max_file_bytes: u64,
    ) -> Result<Self, DeliveryError> {
        probe_dir(root)?;
        Ok(S3Layout {
            root: root.to_owned(),
            format,
            sessions,
            max_file_bytes,
            hive: false,
            gzip_level: DEFAULT_GZIP_LEVEL,
            open: HashMap::new(),
            groups: GroupIndex::default(),
            sequence: 0,
            line: String::new(),
            records: 0,
            files: 0,
            latest_slot: 0,
        })
    }

    /// Writes Hive-compatible partition directories
    /// (`aws-account-id=…/aws-service=vpcflowlogs/…/day=…`) instead of AWS's plain layout.
    pub fn with_hive(mut self, hive: bool) -> Self {
        self.hive = hive;
        self
    }

    /// Compresses objects at gzip `level` (0 = stored, 1 = fastest … 9 =
    /// smallest; larger values are taken as 9).
    pub fn with_gzip_level(mut self, level: u32) -> Self {
        self.gzip_level = level.min(9);
        self
    }

    fn open_file(&mut self, group: u32, slot: u64) -> Result<OpenFile, DeliveryError> {
        let group = self.groups.get(group);
        let t: DateTime<Utc> = DateTime::from_timestamp(slot as i64, 0).unwrap_or_default();
        let dir = group.dir(&self.root, t, self.hive);
        std::fs::create_dir_all(&dir).map_err(|source| DeliveryError::Io {
            path: dir.clone(),
            source,
        })?;
        self.sequence += 1;
        let name = group.file_name(t, self.sequence, ".log.gz");
        let path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let file = File::create(&tmp).map_err(|source| DeliveryError::Io {
            path: tmp.clone(),
            source,
        })?;
        let mut gz = GzEncoder::new(
            BufWriter::with_capacity(1 << 16, file),
            Compression::new(self.gzip_level),
        );
        let header = self.format.header();
        gz.write_all(header.as_bytes())
            .and_then(|_| gz.write_all(b"\n"))
            .map_err(|source| DeliveryError::Io {
                path: tmp.clone(),
                source,
            })?;
        Ok(OpenFile {
            tmp,
            path,
            gz,
            bytes: header.len() as u64 + 1,
        })
    }

    fn close(&mut self, f: OpenFile) -> Result<(), DeliveryError> {
        let OpenFile { tmp, path, gz, .. } = f;
        let io = |source| DeliveryError::Io {
            path: tmp.clone(),
            source,
        };
        let buf = gz.finish().map_err(io)?;
        let file = buf.into_inner().map_err(|e| io(e.into_error()))?;
        publish(file, &tmp, &path)?;
        self.files += 1;
        Ok(())
    }

    /// Closes files two periods older than the newest record's period: no
    /// record for them can arrive any more once windows are flushed.
    fn close_old(&mut self) -> Result<(), DeliveryError> {
        for k in stale(&self.open, self.latest_slot) {
            if let Some(f) = self.open.remove(&k) {
                self.close(f)?;
            }
        }
        Ok(())
    }
}

/// Makes a finished object visible: syncs its data, then renames it from
/// its temporary name into place (text and Parquet objects alike).
pub(crate) fn publish(file: File, tmp: &Path, path: &Path) -> Result<(), DeliveryError> {
    file.sync_all().map_err(|source| DeliveryError::Io {
        path: tmp.to_owned(),
        source,
    })?;
    std::fs::rename(tmp, path).map_err(|source| DeliveryError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The open objects of periods two periods (plus an interval) older than
/// the newest record's period `latest_slot`: no record can arrive for them
/// any more once windows are flushed.
pub(crate) fn stale<K: Clone, V>(open: &HashMap<(K, u64), V>, latest_slot: u64) -> Vec<(K, u64)> {
    let horizon = latest_slot.saturating_sub(2 * FILE_PERIOD + 600);
    open.keys().filter(|(_, s)| *s < horizon).cloned().collect()
}

impl Delivery for S3Layout {
    fn write(&mut self, records: &[FlowRecord]) -> Result<(), DeliveryError> {
        for r in records {
            let meta = self.sessions.lookup(r.vni, r.mirror_src);
            self.line.clear();
            self.format.render(r, meta, &mut self.line);
            let group = self.groups.of(r, meta);
            let slot = r.end() / FILE_PERIOD * FILE_PERIOD;
            self.latest_slot = self.latest_slot.max(slot);
            let key = (group, slot);
            if !self.open.contains_key(&key) {
                let f = self.open_file(group, slot)?;
                self.open.insert(key, f);
            }
            let f = self.open.get_mut(&key).expect("inserted above");
            f.gz.write_all(self.line.as_bytes())
                .map_err(|source| DeliveryError::Io {
                    path: f.tmp.clone(),
                    source,
                })?;
            f.bytes += self.line.len() as u64;
            self.records += 1;
            if f.bytes >= self.max_file_bytes {
                let f = self.open.remove(&key).expect("present");
                self.close(f)?;
            }
        }
        self.close_old()
    }

    fn finish(&mut self) -> Result<(), DeliveryError> {
        let all: Vec<_> = self.open.drain().collect();
        let mut first_err = None;
        for (_, f) in all {
            if let Err(e) = self.close(f) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    fn records(&self) -> u64 {
        self.records
    }

    fn files(&self) -> u64 {
        self.files
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::decap::Tunnel;
    use crate::wire::Addr;
    use crate::wire::geneve::GwlbOptions;
    use std::io::Read;

    fn rec(vni: u32, i: u16) -> FlowRecord {
        FlowRecord {
            window: 1_700_000_000,
            vni: Some(vni),
            mirror_src: Some(Addr::v4([10, 0, vni as u8, 10])),
            tunnel: Tunnel::Vxlan,
            gwlb: GwlbOptions::default(),
            src: Addr::v4([10, 0, 1, 10]),
            dst: Addr::v4([192, 0, 2, 1]),
            src_port: 40000 + i,
            dst_port: 443,
            protocol: 6,
            packets: 3,
            bytes: 180,
            first_ns: 1_700_000_001_000_000_000,
            last_ns: 1_700_000_009_500_000_000,
            tcp_flags: 19,
            community_id: "1:x".into(),
        }
    }

    /// Decompressed contents of every object under `root`, by file-name prefix.
    fn objects(root: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_owned()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let mut text = String::new();
                    flate2::read::GzDecoder::new(File::open(&p).unwrap())
                        .read_to_string(&mut text)
                        .unwrap();
                    let name = p.file_name().unwrap().to_string_lossy().to_string();
                    out.push((name[..name.len() - 16].to_string(), text));
                }
            }
        }
        out.sort();
        out
    }

    /// Sessions of the same account and region share objects, another
    /// account gets its own, whatever order records of the sessions come in.
    #[test]
    fn records_go_to_their_groups_objects() {
        let cfg = Config::parse(
            r#"
[[session]]
vni = 1
account-id = "111111111111"
region = "us-east-1"
[[session]]
vni = 2
account-id = "111111111111"
region = "us-east-1"
[[session]]
vni = 3
account-id = "333333333333"
region = "eu-west-1"
"#,
            Path::new("t.toml"),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let format = LogFormat::parse("${account-id} ${vni} ${srcport}").unwrap();
        let mut d =
            S3Layout::new(dir.path(), format, SessionMap::new(&cfg.sessions), 1 << 30).unwrap();
        let vnis = [1, 1, 2, 3, 3, 1, 4, 2, 3];
        let recs: Vec<_> = vnis
            .iter()
            .enumerate()
            .map(|(i, &v)| rec(v, i as u16))
            .collect();
        d.write(&recs[..4]).unwrap();
        d.write(&recs[4..]).unwrap();
        d.finish().unwrap();
        assert_eq!((d.records(), d.files()), (9, 3));
        let header = "account-id vni srcport\n";
        assert_eq!(
            objects(dir.path()),
            vec![
                (
                    "000000000000_vpcflowlogs_unknown_fl-vxtap_20231114T2210Z".into(),
                    format!("{header}- 4 40006\n")
                ),
                (
                    "111111111111_vpcflowlogs_us-east-1_fl-vxtap_20231114T2210Z".into(),
                    format!(
                        "{header}111111111111 1 40000\n111111111111 1 40001\n111111111111 2 40002\n111111111111 1 40005\n111111111111 2 40007\n"
                    )
                ),
                (
                    "333333333333_vpcflowlogs_eu-west-1_fl-vxtap_20231114T2210Z".into(),
                    format!(
                        "{header}333333333333 3 40003\n333333333333 3 40004\n333333333333 3 40008\n"
                    )
                ),
            ]
        );
    }

    /// Any level writes standard gzip of the same text; level 1 is larger
    /// than level 9 on repetitive records, level 0 stores.
    #[test]
    fn gzip_levels_write_the_same_text() {
        let recs: Vec<_> = (0..2000).map(|i| rec(1, i)).collect();
        let mut sizes = Vec::new();
        let mut texts = Vec::new();
        for level in [0, 1, DEFAULT_GZIP_LEVEL, 9, 42] {
            let dir = tempfile::tempdir().unwrap();
            let mut d = S3Layout::new(
                dir.path(),
                LogFormat::default(),
                SessionMap::default(),
                1 << 30,
            )
            .unwrap()
            .with_gzip_level(level);
            d.write(&recs).unwrap();
            d.finish().unwrap();
            let objs = objects(dir.path());
            assert_eq!(objs.len(), 1);
            texts.push(objs[0].1.clone());
            let mut size = 0;
            let mut stack = vec![dir.path().to_owned()];
            while let Some(p) = stack.pop() {
                for e in std::fs::read_dir(&p).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else {
                        size += std::fs::metadata(&p).unwrap().len();
                    }
                }
            }
            sizes.push(size);
        }
        assert!(
            texts
                .iter()
                .all(|t| *t == texts[0] && t.lines().count() == 2001)
        );
        assert!(
            sizes[0] > texts[0].len() as u64,
            "level 0 stores: {sizes:?}"
        );
        assert!(sizes[1] > sizes[3] && sizes[2] >= sizes[3], "{sizes:?}");
        assert_eq!(sizes[3], sizes[4], "levels above 9 are 9");
    }
}
