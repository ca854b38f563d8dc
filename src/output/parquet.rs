//! Parquet delivery in AWS's flow-log Parquet schema: one column per field
//! of the log format, named as AWS names them (`-` → `_`: `log-status` →
//! `log_status`), typed as AWS documents them (`../shared/flowlogs/FORMAT.md`
//! §2: INT32 for version, ports, protocol, tcp-flags, traffic-path; INT64 for
//! packets, bytes, start, end; UTF8 strings for the rest), every column
//! optional with `-` stored as NULL, GZIP pages — the shape of AWS's own
//! objects, so one Athena/DuckDB table reads AWS's and vxtap's logs alike.
//! vxtap's own fields keep their names (`vni` INT32, `window` INT64, the
//! others strings).
//!
//! Objects follow the text delivery: the same directories (AWS's plain or
//! Hive-compatible layout), the same names with `.log.parquet`, one object
//! per flow log per 5 minutes of capture time (by record `end`) or per
//! `max_file_bytes` of equivalent text; written under a temporary name and
//! renamed when complete. Rows are buffered per object up to
//! [`ROW_GROUP_ROWS`] and written as one row group.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hashbrown::HashMap;
use parquet::basic::{Compression, GzipLevel};
use parquet::data_type::ByteArray;
use parquet::errors::ParquetError;
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{Type, TypePtr};

use super::delivery::{Delivery, DeliveryError, FILE_PERIOD, Group, probe_dir, publish, stale};
use super::fields::Field;
use super::format::LogFormat;
use crate::config::SessionMap;
use crate::flow::FlowRecord;

/// Rows buffered per object before a row group is written.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// Physical type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// INT32.
    Int32,
    /// INT64.
    Int64,
    /// BYTE_ARRAY annotated UTF8 (STRING).
    Utf8,
}

/// The Parquet column name of a field: AWS replaces `-` by `_`.
pub fn column_name(field: Field) -> String {
    field.def().name.replace('-', "_")
}

/// The Parquet type AWS documents for a field (vxtap's own: see the module doc).
pub fn column_type(field: Field) -> ColumnType {
    use Field::*;
    match field {
        Version | SrcPort | DstPort | Protocol | TcpFlags | TrafficPath | Vni => ColumnType::Int32,
        Packets | Bytes | Start | End | Window => ColumnType::Int64,
        _ => ColumnType::Utf8,
    }
}

/// The Parquet schema of a log format.
pub fn schema(format: &LogFormat) -> Result<TypePtr, ParquetError> {
    use parquet::basic::{LogicalType, Repetition, Type as Physical};
    let mut fields = Vec::with_capacity(format.fields().len());
    for &f in format.fields() {
        let name = column_name(f);
        let b = match column_type(f) {
            ColumnType::Int32 => Type::primitive_type_builder(&name, Physical::INT32),
            ColumnType::Int64 => Type::primitive_type_builder(&name, Physical::INT64),
            ColumnType::Utf8 => Type::primitive_type_builder(&name, Physical::BYTE_ARRAY)
                .with_logical_type(Some(LogicalType::String)),
        };
        fields.push(Arc::new(b.with_repetition(Repetition::OPTIONAL).build()?));
    }
    Ok(Arc::new(
        Type::group_type_builder("schema")
            .with_fields(fields)
            .build()?,
    ))
}

/// Buffered values of one column (NULLs as definition level 0).
enum ColumnBuf {
    Int32(Vec<i32>, Vec<i16>),
    Int64(Vec<i64>, Vec<i16>),
    Utf8(Vec<ByteArray>, Vec<i16>),
}

impl ColumnBuf {
    fn new(t: ColumnType) -> Self {
        match t {
            ColumnType::Int32 => ColumnBuf::Int32(Vec::new(), Vec::new()),
            ColumnType::Int64 => ColumnBuf::Int64(Vec::new(), Vec::new()),
            ColumnType::Utf8 => ColumnBuf::Utf8(Vec::new(), Vec::new()),
        }
    }

    /// Appends a value rendered as flow-log text (`-` → NULL; a number that
    /// does not fit the column type is stored as NULL).
    fn push(&mut self, text: &str) {
        let null = text == "-";
        match self {
            ColumnBuf::Int32(v, d) => match text.parse::<i32>() {
                Ok(x) if !null => {
                    v.push(x);
                    d.push(1)
                }
                _ => d.push(0),
            },
            ColumnBuf::Int64(v, d) => match text.parse::<i64>() {
                Ok(x) if !null => {
                    v.push(x);
                    d.push(1)
                }
                _ => d.push(0),
            },
            ColumnBuf::Utf8(v, d) => {
                if null {
                    d.push(0)
                } else {
                    v.push(ByteArray::from(text));
                    d.push(1)
                }
            }
        }
    }

    fn clear(&mut self) {
        match self {
            ColumnBuf::Int32(v, d) => {
                v.clear();
                d.clear()
            }
            ColumnBuf::Int64(v, d) => {
                v.clear();
                d.clear()
            }
            ColumnBuf::Utf8(v, d) => {
                v.clear();
                d.clear()
            }
        }
    }
}

struct OpenObject {
    tmp: PathBuf,
    path: PathBuf,
    writer: SerializedFileWriter<BufWriter<File>>,
    columns: Vec<ColumnBuf>,
    rows: usize,
    text_bytes: u64,
}

impl OpenObject {
    /// Writes the buffered rows as one row group.
    fn flush_rows(&mut self) -> Result<(), ParquetError> {
        use parquet::column::writer::ColumnWriter;
        if self.rows == 0 {
            return Ok(());
        }
        let mut rg = self.writer.next_row_group()?;
        let mut i = 0;
        while let Some(mut col) = rg.next_column()? {
            let buf = self
                .columns
                .get(i)
                .ok_or_else(|| ParquetError::General("more columns than buffers".into()))?;
            match (col.untyped(), buf) {
                (ColumnWriter::Int32ColumnWriter(w), ColumnBuf::Int32(v, d)) => {
                    w.write_batch(v, Some(d), None)?;
                }
                (ColumnWriter::Int64ColumnWriter(w), ColumnBuf::Int64(v, d)) => {
                    w.write_batch(v, Some(d), None)?;
                }
                (ColumnWriter::ByteArrayColumnWriter(w), ColumnBuf::Utf8(v, d)) => {
                    w.write_batch(v, Some(d), None)?;
                }
                _ => return Err(ParquetError::General("column type mismatch".into())),
            }
            col.close()?;
            i += 1;
        }
        rg.close()?;
        for c in &mut self.columns {
            c.clear();
        }
        self.rows = 0;
        Ok(())
    }
}

/// Parquet objects in the S3 delivery layout under an output directory.
pub struct ParquetLayout {
    root: PathBuf,
    format: LogFormat,
    sessions: SessionMap,
    max_file_bytes: u64,
    hive: bool,
    schema: TypePtr,
    props: Arc<WriterProperties>,
    types: Vec<ColumnType>,
    open: HashMap<(Group, u64), OpenObject>,
    sequence: u64,
    value: String,
    records: u64,
    files: u64,
    latest_slot: u64,
}

impl ParquetLayout {
    /// Prepares delivery under `root`, failing now when the directory cannot
    /// be created or written.
    pub fn new(
        root: &Path,
        format: LogFormat,
        sessions: SessionMap,
        max_file_bytes: u64,
        hive: bool,
    ) -> Result<Self, DeliveryError> {
        probe_dir(root)?;
        let schema = schema(&format).map_err(|e| parquet_err(root, e))?;
        let props = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(Compression::GZIP(GzipLevel::default()))
            .set_dictionary_enabled(false)
            .set_created_by(format!("vxtap {}", env!("CARGO_PKG_VERSION")))
            .build();
        let types = format.fields().iter().map(|&f| column_type(f)).collect();
        Ok(ParquetLayout {
            root: root.to_owned(),
            format,
            sessions,
            max_file_bytes,
            hive,
            schema,
            props: Arc::new(props),
            types,
            open: HashMap::new(),
            sequence: 0,
            value: String::new(),
            records: 0,
            files: 0,
            latest_slot: 0,
        })
    }

    fn open_object(&mut self, group: &Group, slot: u64) -> Result<OpenObject, DeliveryError> {
        let t: DateTime<Utc> = DateTime::from_timestamp(slot as i64, 0).unwrap_or_default();
        let dir = group.dir(&self.root, t, self.hive);
        std::fs::create_dir_all(&dir).map_err(|source| DeliveryError::Io {
            path: dir.clone(),
            source,
        })?;
        self.sequence += 1;
        let name = group.file_name(t, self.sequence, ".log.parquet");
        let path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let file = File::create(&tmp).map_err(|source| DeliveryError::Io {
            path: tmp.clone(),
            source,
        })?;
        let writer = SerializedFileWriter::new(
            BufWriter::with_capacity(1 << 16, file),
            Arc::clone(&self.schema),
            Arc::clone(&self.props),
        )
        .map_err(|e| parquet_err(&tmp, e))?;
        Ok(OpenObject {
            tmp,
            path,
            writer,
            columns: self.types.iter().map(|&t| ColumnBuf::new(t)).collect(),
            rows: 0,
            text_bytes: 0,
        })
    }

    fn close(&mut self, mut o: OpenObject) -> Result<(), DeliveryError> {
        o.flush_rows().map_err(|e| parquet_err(&o.tmp, e))?;
        let OpenObject {
            tmp, path, writer, ..
        } = o;
        let buf = writer.into_inner().map_err(|e| parquet_err(&tmp, e))?;
        let io = |source| DeliveryError::Io {
            path: tmp.clone(),
            source,
        };
        let file = buf.into_inner().map_err(|e| io(e.into_error()))?;
        publish(file, &tmp, &path)?;
        self.files += 1;
        Ok(())
    }

    /// Same horizon as the text delivery: no record can arrive any more for
    /// objects two periods (plus an interval) older than the newest record's.
    fn close_old(&mut self) -> Result<(), DeliveryError> {
        for k in stale(&self.open, self.latest_slot) {
            if let Some(o) = self.open.remove(&k) {
                self.close(o)?;
            }
        }
        Ok(())
    }
}

fn parquet_err(path: &Path, e: ParquetError) -> DeliveryError {
    DeliveryError::Io {
        path: path.to_owned(),
        source: std::io::Error::other(e),
    }
}

impl Delivery for ParquetLayout {
    fn write(&mut self, records: &[FlowRecord]) -> Result<(), DeliveryError> {
        for r in records {
            let group = Group::of(self.sessions.lookup(r.vni, r.mirror_src));
            let key = (group, r.end() / FILE_PERIOD * FILE_PERIOD);
            self.latest_slot = self.latest_slot.max(key.1);
            if !self.open.contains_key(&key) {
                let o = self.open_object(&key.0, key.1)?;
                self.open.insert(key.clone(), o);
            }
            let meta = self.sessions.lookup(r.vni, r.mirror_src);
            let o = self.open.get_mut(&key).expect("inserted above");
            for (f, col) in self.format.fields().iter().zip(&mut o.columns) {
                self.value.clear();
                f.render(r, meta, self.format.version(), &mut self.value);
                o.text_bytes += self.value.len() as u64 + 1;
                col.push(&self.value);
            }
            o.rows += 1;
            self.records += 1;
            let full = o.text_bytes >= self.max_file_bytes;
            if o.rows >= ROW_GROUP_ROWS && !full {
                o.flush_rows().map_err(|e| parquet_err(&o.tmp, e))?;
            }
            if full {
                let o = self.open.remove(&key).expect("present");
                self.close(o)?;
            }
        }
        self.close_old()
    }

    fn finish(&mut self) -> Result<(), DeliveryError> {
        let all: Vec<_> = self.open.drain().collect();
        let mut first_err = None;
        for (_, o) in all {
            if let Err(e) = self.close(o) {
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
    use crate::decap::Tunnel;
    use crate::flowlogs::{FileReader, ReadOptions};
    use crate::wire::Addr;
    use crate::wire::geneve::GwlbOptions;

    fn rec(i: u64) -> FlowRecord {
        FlowRecord {
            window: 1_700_000_000,
            vni: Some(7),
            mirror_src: Some(Addr::v4([10, 0, 1, 10])),
            tunnel: Tunnel::Vxlan,
            gwlb: GwlbOptions::default(),
            src: Addr::v4([10, 0, 1, 10]),
            dst: Addr::v4([192, 0, 2, 1]),
            src_port: 40000 + i as u16,
            dst_port: 443,
            protocol: 6,
            packets: 3 + i,
            bytes: 5_000_000_000 + i,
            first_ns: 1_700_000_001_000_000_000,
            last_ns: 1_700_000_009_500_000_000,
            tcp_flags: 19,
            community_id: "1:x".into(),
        }
    }

    /// The schema names and types columns as AWS's own Parquet sample does
    /// (`../shared/flowlogs/s3-example/…_a87ff679.log.parquet`, whose
    /// schema pyarrow prints as below).
    #[test]
    fn schema_matches_the_aws_sample() {
        let f = LogFormat::parse("${version} ${account-id} ${srcport} ${packets} ${end} ${log-status} ${tcp-flags} ${traffic-path} ${vni}").unwrap();
        let s = schema(&f).unwrap();
        let mut out = Vec::new();
        parquet::schema::printer::print_schema(&mut out, &s);
        let text = String::from_utf8(out).unwrap();
        for line in [
            "OPTIONAL INT32 version;",
            "OPTIONAL BYTE_ARRAY account_id (STRING);",
            "OPTIONAL INT32 srcport;",
            "OPTIONAL INT64 packets;",
            "OPTIONAL INT64 end;",
            "OPTIONAL BYTE_ARRAY log_status (STRING);",
            "OPTIONAL INT32 tcp_flags;",
            "OPTIONAL INT32 traffic_path;",
            "OPTIONAL INT32 vni;",
        ] {
            assert!(text.contains(line), "{line} not in {text}");
        }
    }

    /// What vxtap writes, its own flow-log reader reads back as the same
    /// text the text delivery renders (`-` ↔ NULL, integers beyond i32).
    #[test]
    fn round_trip_through_the_flowlogs_reader() {
        let dir = tempfile::tempdir().unwrap();
        let format = LogFormat::parse("${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${tcp-flags} ${traffic-path} ${vni} ${community-id}").unwrap();
        let mut d = ParquetLayout::new(
            dir.path(),
            format.clone(),
            SessionMap::default(),
            1 << 30,
            true,
        )
        .unwrap();
        let recs: Vec<_> = (0..3).map(rec).collect();
        d.write(&recs).unwrap();
        d.finish().unwrap();
        assert_eq!((d.records(), d.files()), (3, 1));
        let day = dir.path().join("AWSLogs/aws-account-id=000000000000/aws-service=vpcflowlogs/aws-region=unknown/year=2023/month=11/day=14");
        let names: Vec<_> = std::fs::read_dir(&day)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(
            names[0].starts_with("000000000000_vpcflowlogs_unknown_fl-vxtap_20231114T2210Z_")
                && names[0].ends_with(".log.parquet"),
            "{names:?}"
        );
        let mut reader = FileReader::open(&day.join(&names[0]), &ReadOptions::default());
        let mut got = Vec::new();
        while let Some(r) = reader.next_record() {
            got.push(r.unwrap().text().to_string());
        }
        let want: Vec<String> = recs
            .iter()
            .map(|r| {
                let mut s = String::new();
                format.render(r, &crate::config::SessionMeta::default(), &mut s);
                s.trim_end().to_string()
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn unwritable_output_fails_early() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        assert!(
            ParquetLayout::new(
                &file.join("sub"),
                LogFormat::default(),
                SessionMap::default(),
                1,
                false
            )
            .is_err()
        );
    }
}
