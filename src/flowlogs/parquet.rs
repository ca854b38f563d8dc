//! Flow logs delivered as Parquet (AWS's schema: one column per field,
//! `-` in the name replaced by `_`, INT32/INT64/UTF8, `-` stored as NULL).
//!
//! [`ParquetText`] reads the columns a batch of rows at a time (the
//! crate's typed column readers: no allocation per row or value) and
//! renders each row as the equivalent text line: values in column order,
//! NULL as `-`, one space between values, `\n` after the row. The lines are
//! then read as header-less text in the object's own format
//! ([`super::text::TextReader::rows`]): the same checks, errors, typed
//! records and fused JSON path as text, so both forms give the same records;
//! a row's "line" is its 1-based row number.
//!
//! Values are rendered as they would be written in text: integers in
//! decimal (unsigned ones, by their converted or logical type, as such),
//! booleans as `true`/`false`, floating point by Rust's shortest round-trip
//! form, strings and fixed-length byte arrays as their bytes. A `\n` inside a
//! value would end the row's line early, so it is rendered as a NUL byte:
//! the row is then rejected as text with a NUL byte is ("NUL byte or newline
//! in a value"), at its own row. INT96 and nested columns are not in any
//! flow-log schema: such an object is refused when opened.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use parquet::basic::{ConvertedType, LogicalType, Type as PhysicalType};
use parquet::column::reader::ColumnReader;
use parquet::data_type::{ByteArray, FixedLenByteArray};
use parquet::errors::ParquetError;
use parquet::file::reader::{FileReader, SerializedFileReader};

use super::error::{ErrorKind, LineError};
use super::fields::FieldId;
use super::schema::Schema;
use super::source::INFLATE_THREAD_MIN;

/// Rows read from each column at a time.
const BATCH: usize = 4096;

/// The byte a `\n` inside a value is rendered as (see the module's notes).
const NEWLINE_IN_VALUE: u8 = 0;

/// The text lines of a Parquet object's rows, as a byte stream.
pub struct ParquetText {
    file: SerializedFileReader<File>,
    /// The next row group to open.
    group: usize,
    /// Readers of the current row group's columns (empty between groups).
    columns: Vec<Column>,
    /// How each column is rendered, by position.
    kinds: Vec<Kind>,
    /// Rendered rows not yet read out, from `at`.
    text: Vec<u8>,
    at: usize,
    /// Rows rendered so far.
    rows: u64,
    done: bool,
}

/// How a column's values are rendered.
#[derive(Clone, Copy, Debug)]
struct Kind {
    unsigned: bool,
    /// Definition level of a present value (0: the column is required).
    max_def: i16,
}

/// One column's reader and the values of the batch being rendered.
struct Column {
    reader: ColumnReader,
    defs: Vec<i16>,
    values: Values,
    /// The next value of `values` to render.
    next: usize,
}

/// A batch of one column's values (present ones only).
enum Values {
    Bool(Vec<bool>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bytes(Vec<ByteArray>),
    Fixed(Vec<FixedLenByteArray>),
}

/// A read error, with the row it stopped at: carried through
/// [`io::Error`] to the text reader, which reports it as a Parquet error
/// ([`row_error`]).
#[derive(Debug, thiserror::Error)]
#[error("parquet: {message}")]
struct RowError {
    row: u64,
    message: String,
}

/// The Parquet error at the row a read stopped at, if `err` is one.
pub fn row_error(err: &io::Error) -> Option<LineError> {
    let e = err.get_ref()?.downcast_ref::<RowError>()?;
    Some(LineError::new(
        ErrorKind::Parquet,
        Some(e.row),
        e.to_string(),
    ))
}

fn parquet_error(e: ParquetError) -> LineError {
    LineError::new(ErrorKind::Parquet, None, format!("parquet: {e}"))
}

thread_local! {
    /// Set while [`guarded`] runs: its panics are not printed.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs a call into the parquet crate, which panics on some corrupt
/// objects (e.g. a data page that refers to a missing dictionary), and
/// turns such a panic into an error. Its message is not printed: a panic
/// hook, installed once, passes every other panic to the previous hook.
/// The reader is not used again after an error.
fn guarded<T>(f: impl FnOnce() -> Result<T, ParquetError>) -> Result<T, ParquetError> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    result.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(ParquetError::General(format!("corrupt object ({why})")))
    })
}

impl ParquetText {
    /// Opens the Parquet object `file`: its rows as text, and their format
    /// (the columns, named as flow-log fields).
    pub fn open(file: File, strict: bool) -> Result<(Self, Schema), LineError> {
        let file = guarded(|| SerializedFileReader::new(file)).map_err(parquet_error)?;
        let descr = file.metadata().file_metadata().schema_descr_ptr();
        let mut names = Vec::new();
        let mut kinds = Vec::new();
        for c in descr.columns() {
            let refuse = |why: &str| {
                LineError::new(
                    ErrorKind::Parquet,
                    None,
                    format!("parquet: column {}: {why}", c.path()),
                )
            };
            if c.max_rep_level() > 0 || c.path().parts().len() > 1 {
                return Err(refuse("nested or repeated columns are not flow-log fields"));
            }
            let physical = c.physical_type();
            if physical == PhysicalType::INT96 {
                return Err(refuse("INT96 values are not flow-log fields"));
            }
            let unsigned = matches!(
                c.converted_type(),
                ConvertedType::UINT_8
                    | ConvertedType::UINT_16
                    | ConvertedType::UINT_32
                    | ConvertedType::UINT_64
            ) || matches!(
                c.logical_type_ref(),
                Some(LogicalType::Integer(int)) if !int.is_signed
            );
            kinds.push(Kind {
                unsigned,
                max_def: c.max_def_level(),
            });
            names.push(match FieldId::from_parquet_column(c.name()) {
                Some(id) => id.name().to_string(),
                None => c.name().replace('_', "-"),
            });
        }
        let schema = Schema::from_names(&names, strict)?;
        let text = Self {
            file,
            group: 0,
            columns: Vec::new(),
            kinds,
            text: Vec::new(),
            at: 0,
            rows: 0,
            done: false,
        };
        Ok((text, schema))
    }

    /// True if the object holds at least [`INFLATE_THREAD_MIN`] bytes of
    /// column data: worth a helper thread.
    pub fn large(&self) -> bool {
        let groups = self.file.metadata().row_groups();
        groups
            .iter()
            .map(|g| g.total_byte_size().max(0) as u64)
            .sum::<u64>()
            >= INFLATE_THREAD_MIN
    }

    fn fail(&mut self, message: String) -> io::Error {
        self.done = true;
        io::Error::new(
            io::ErrorKind::InvalidData,
            RowError {
                row: self.rows + 1,
                message,
            },
        )
    }

    /// Renders the next batch of rows into `text`; leaves it empty at the end.
    fn fill(&mut self) -> io::Result<()> {
        self.text.clear();
        self.at = 0;
        loop {
            if self.columns.is_empty() {
                if self.group >= self.file.num_row_groups() {
                    self.done = true;
                    return Ok(());
                }
                let group = self.group;
                self.group += 1;
                self.columns = match guarded(|| self.open_group(group)) {
                    Ok(c) => c,
                    Err(e) => return Err(self.fail(e.to_string())),
                };
                continue;
            }
            let mut rows = None;
            for (i, column) in self.columns.iter_mut().enumerate() {
                let n = match guarded(|| column.read(BATCH)) {
                    Ok(n) => n,
                    Err(e) => {
                        let message = e.to_string();
                        return Err(self.fail(message));
                    }
                };
                if let Some(first) = rows
                    && first != n
                {
                    let message = format!("column {i} has {n} rows where column 0 has {first}");
                    return Err(self.fail(message));
                }
                rows = Some(n);
            }
            match rows {
                Some(0) | None => self.columns.clear(),
                Some(n) => return self.render(n),
            }
        }
    }

    fn open_group(&self, group: usize) -> Result<Vec<Column>, ParquetError> {
        let reader = self.file.get_row_group(group)?;
        (0..self.kinds.len())
            .map(|i| {
                let reader = reader.get_column_reader(i)?;
                let values = match &reader {
                    ColumnReader::BoolColumnReader(_) => Values::Bool(Vec::new()),
                    ColumnReader::Int32ColumnReader(_) => Values::I32(Vec::new()),
                    ColumnReader::Int64ColumnReader(_) => Values::I64(Vec::new()),
                    ColumnReader::FloatColumnReader(_) => Values::F32(Vec::new()),
                    ColumnReader::DoubleColumnReader(_) => Values::F64(Vec::new()),
                    ColumnReader::ByteArrayColumnReader(_) => Values::Bytes(Vec::new()),
                    ColumnReader::FixedLenByteArrayColumnReader(_) => Values::Fixed(Vec::new()),
                    ColumnReader::Int96ColumnReader(_) => {
                        return Err(ParquetError::General("INT96 column".into()));
                    }
                };
                Ok(Column {
                    reader,
                    defs: Vec::new(),
                    values,
                    next: 0,
                })
            })
            .collect()
    }

    /// Renders the `n` rows just read as text lines.
    fn render(&mut self, n: usize) -> io::Result<()> {
        let mut rendered = self.render_rows(n, false);
        // One `\n` per row, unless a value held one: then again, with the
        // values' `\n` replaced (rare: counted over the batch, not looked
        // for in every value).
        if rendered.is_ok() && memchr::memchr_iter(b'\n', &self.text).count() != n {
            self.text.clear();
            self.columns.iter_mut().for_each(|c| c.next = 0);
            rendered = self.render_rows(n, true);
        }
        if let Err(i) = rendered {
            return Err(self.fail(format!("column {i} has fewer values than its levels say")));
        }
        self.rows += n as u64;
        Ok(())
    }

    /// [`ParquetText::render`], a `\n` in a value replaced if `escape`;
    /// `Err(column)` where a column's values run out.
    fn render_rows(&mut self, n: usize, escape: bool) -> Result<(), usize> {
        let mut num = itoa::Buffer::new();
        for row in 0..n {
            for (i, (column, kind)) in self.columns.iter_mut().zip(&self.kinds).enumerate() {
                if i > 0 {
                    self.text.push(b' ');
                }
                let present = kind.max_def == 0 || column.defs.get(row) == Some(&kind.max_def);
                if !present {
                    self.text.push(b'-');
                    continue;
                }
                let v = column.next;
                column.next += 1;
                let missing = match &column.values {
                    Values::Bool(x) => x.get(v).map(|b| {
                        let s: &[u8] = if *b { b"true" } else { b"false" };
                        self.text.extend_from_slice(s);
                    }),
                    Values::I32(x) => x.get(v).map(|&x| {
                        let s = if kind.unsigned {
                            num.format(x as u32)
                        } else {
                            num.format(x)
                        };
                        self.text.extend_from_slice(s.as_bytes());
                    }),
                    Values::I64(x) => x.get(v).map(|&x| {
                        let s = if kind.unsigned {
                            num.format(x as u64)
                        } else {
                            num.format(x)
                        };
                        self.text.extend_from_slice(s.as_bytes());
                    }),
                    Values::F32(x) => x.get(v).map(|x| push_display(&mut self.text, x)),
                    Values::F64(x) => x.get(v).map(|x| push_display(&mut self.text, x)),
                    Values::Bytes(x) => x
                        .get(v)
                        .map(|x| push_bytes(&mut self.text, x.data(), escape)),
                    Values::Fixed(x) => x
                        .get(v)
                        .map(|x| push_bytes(&mut self.text, x.data(), escape)),
                }
                .is_none();
                if missing {
                    return Err(i);
                }
            }
            self.text.push(b'\n');
        }
        Ok(())
    }
}

impl Column {
    /// Reads the next `max` rows of the column (their definition levels and
    /// present values): how many.
    fn read(&mut self, max: usize) -> Result<usize, ParquetError> {
        self.defs.clear();
        self.next = 0;
        let defs = Some(&mut self.defs);
        // The same call for every physical type, on that type's buffer.
        macro_rules! read {
            ($($reader:ident => $values:ident),*) => {
                match (&mut self.reader, &mut self.values) {
                    $((ColumnReader::$reader(r), Values::$values(v)) => {
                        v.clear();
                        r.read_records(max, defs, None, v)?
                    })*
                    _ => return Err(ParquetError::General("column type changed".into())),
                }
            };
        }
        let (rows, _, _) = read!(
            BoolColumnReader => Bool,
            Int32ColumnReader => I32,
            Int64ColumnReader => I64,
            FloatColumnReader => F32,
            DoubleColumnReader => F64,
            ByteArrayColumnReader => Bytes,
            FixedLenByteArrayColumnReader => Fixed
        );
        Ok(rows)
    }
}

/// Appends `value` by its `Display` form.
fn push_display(text: &mut Vec<u8>, value: &impl std::fmt::Display) {
    use std::io::Write;
    let _ = write!(text, "{value}");
}

/// Appends a string or byte value; if `escape`, a `\n` in it as
/// [`NEWLINE_IN_VALUE`].
fn push_bytes(text: &mut Vec<u8>, bytes: &[u8], escape: bool) {
    let start = text.len();
    text.extend_from_slice(bytes);
    if escape {
        for b in &mut text[start..] {
            if *b == b'\n' {
                *b = NEWLINE_IN_VALUE;
            }
        }
    }
}

impl Read for ParquetText {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.text.len() {
            if self.done {
                return Ok(0);
            }
            self.fill()?;
        }
        let rest = &self.text[self.at..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flowlogs::reader::FileReader;
    use crate::flowlogs::render::{JSON_ROOM, JsonWriter};
    use crate::flowlogs::text::{ReadOptions, TextReader};
    use parquet::data_type::{BoolType, ByteArrayType, DoubleType, Int32Type, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    /// A value of a test column (`None`: NULL).
    #[derive(Clone, Debug)]
    enum V {
        I32(Option<i32>),
        I64(Option<i64>),
        Str(Option<&'static str>),
        Bool(Option<bool>),
        F64(Option<f64>),
    }

    impl V {
        /// The value as a text flow log holds it (the oracle's rendering,
        /// written here independently of `ParquetText`).
        fn text(&self, unsigned: bool) -> String {
            let s = match self {
                V::I32(v) if unsigned => v.map(|v| (v as u32).to_string()),
                V::I32(v) => v.map(|v| v.to_string()),
                V::I64(v) => v.map(|v| v.to_string()),
                V::Str(v) => v.map(|v| v.replace('\n', "\0")),
                V::Bool(v) => v.map(|v| v.to_string()),
                V::F64(v) => v.map(|v| v.to_string()),
            };
            s.unwrap_or_else(|| "-".into())
        }
    }

    /// Writes `groups` (row groups of rows) as a Parquet object of
    /// `schema` (a message type) at `path`.
    fn write(path: &Path, schema: &str, groups: &[Vec<Vec<V>>]) {
        let schema = Arc::new(parse_message_type(schema).unwrap());
        let file = File::create(path).unwrap();
        let props = Arc::new(WriterProperties::builder().build());
        let mut w = SerializedFileWriter::new(file, schema, props).unwrap();
        for rows in groups {
            let mut rg = w.next_row_group().unwrap();
            let mut i = 0;
            while let Some(mut col) = rg.next_column().unwrap() {
                let cells: Vec<&V> = rows.iter().map(|r| &r[i]).collect();
                let defs: Vec<i16> = cells
                    .iter()
                    .map(|c| match c {
                        V::I32(None)
                        | V::I64(None)
                        | V::Str(None)
                        | V::Bool(None)
                        | V::F64(None) => 0,
                        _ => 1,
                    })
                    .collect();
                macro_rules! put {
                    ($t:ty, $pat:path, $conv:expr) => {{
                        let vals: Vec<_> = cells
                            .iter()
                            .filter_map(|c| match c {
                                $pat(Some(v)) => Some($conv(v)),
                                _ => None,
                            })
                            .collect();
                        col.typed::<$t>()
                            .write_batch(&vals, Some(&defs), None)
                            .unwrap();
                    }};
                }
                match cells.first() {
                    Some(V::I32(_)) => put!(Int32Type, V::I32, |v: &i32| *v),
                    Some(V::I64(_)) => put!(Int64Type, V::I64, |v: &i64| *v),
                    Some(V::Str(_)) => put!(ByteArrayType, V::Str, |v: &&str| ByteArray::from(*v)),
                    Some(V::Bool(_)) => put!(BoolType, V::Bool, |v: &bool| *v),
                    Some(V::F64(_)) => put!(DoubleType, V::F64, |v: &f64| *v),
                    None => {}
                }
                col.close().unwrap();
                i += 1;
            }
            rg.close().unwrap();
        }
        w.close().unwrap();
    }

    /// JSON and errors (kind, line) of a reader, as `parse --json` reads it.
    type Read = (Vec<u8>, Vec<(ErrorKind, Option<u64>)>);

    fn json_of(
        mut next: impl FnMut(
            &mut JsonWriter,
            &mut Vec<u8>,
            &mut usize,
        ) -> Option<Result<(), crate::flowlogs::Error>>,
    ) -> Read {
        let mut writer = JsonWriter::new(false);
        let (mut out, mut errs, mut used) = (Vec::new(), Vec::new(), 0);
        loop {
            out.resize(used + JSON_ROOM, 0);
            match next(&mut writer, &mut out, &mut used) {
                None => break,
                Some(Ok(())) => {}
                Some(Err(e)) => errs.push((e.kind(), e.line())),
            }
        }
        out.truncate(used);
        (out, errs)
    }

    fn parquet_json(path: &Path) -> Read {
        let mut r = FileReader::open(path, &ReadOptions::default());
        json_of(|w, out, used| {
            let room = out.len();
            out.resize(room + 4 * JSON_ROOM, 0);
            r.json_run(out, used, room + 2 * JSON_ROOM, false);
            out.resize(*used + JSON_ROOM, 0);
            r.next_json(w, out, used)
        })
    }

    /// [`parquet_json`] with the rows rendered on a helper thread (as a
    /// large object's are when a core is free).
    fn threaded_json(path: &Path) -> Read {
        let file = File::open(path).unwrap();
        let (rows, schema) = match ParquetText::open(file, false) {
            Ok(x) => x,
            Err(e) => return (Vec::new(), vec![(e.kind, e.line)]),
        };
        let blocks = crate::flowlogs::inflate::Inflated::spawn(rows)
            .ok()
            .unwrap();
        let path = Arc::from(path);
        let mut r = TextReader::<&[u8]>::rows_from_blocks(path, blocks, Arc::new(schema), false);
        json_of(|w, out, used| {
            let room = out.len();
            out.resize(room + 4 * JSON_ROOM, 0);
            r.json_run(out, used, room + 2 * JSON_ROOM, false);
            out.resize(*used + JSON_ROOM, 0);
            r.next_json(w, out, used)
        })
    }

    /// The oracle: the same rows as header-less text in the columns' format.
    fn text_json(names: &[&str], rows: &[Vec<V>], unsigned: &[bool]) -> Read {
        let mut text = String::new();
        for row in rows {
            let cells: Vec<String> = row.iter().zip(unsigned).map(|(v, &u)| v.text(u)).collect();
            text += &cells.join(" ");
            text.push('\n');
        }
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let schema = Arc::new(Schema::from_names(&names, false).unwrap());
        let path = Arc::from(PathBuf::from("t.log"));
        let mut r = TextReader::rows(path, text.as_bytes(), schema, false);
        json_of(|w, out, used| r.next_json(w, out, used))
    }

    const DEFAULT: &str = "message schema {
        OPTIONAL INT32 version; OPTIONAL BYTE_ARRAY account_id (UTF8);
        OPTIONAL BYTE_ARRAY interface_id (UTF8); OPTIONAL BYTE_ARRAY srcaddr (UTF8);
        OPTIONAL BYTE_ARRAY dstaddr (UTF8); OPTIONAL INT32 srcport; OPTIONAL INT32 dstport;
        OPTIONAL INT32 protocol; OPTIONAL INT64 packets; OPTIONAL INT64 bytes;
        OPTIONAL INT64 start; OPTIONAL INT64 end; OPTIONAL BYTE_ARRAY action (UTF8);
        OPTIONAL BYTE_ARRAY log_status (UTF8); }";

    fn row(i: usize) -> Vec<V> {
        let nodata = i % 7 == 3;
        fn opt<T>(nodata: bool, v: T) -> Option<T> {
            (!nodata).then_some(v)
        }
        vec![
            V::I32(Some(2)),
            V::Str(Some("123456789012")),
            V::Str(Some(
                ["eni-0a1b2c3d4e5f60718", "eni-1235b8ca123456789"][i % 2],
            )),
            V::Str(opt(
                nodata,
                ["10.0.1.23", "2001:db8::1", "172.31.16.139"][i % 3],
            )),
            V::Str(opt(nodata, "203.0.113.9")),
            V::I32(opt(nodata, (i * 7919 % 65536) as i32)),
            V::I32(opt(nodata, 443)),
            V::I32(opt(nodata, [6, 17, 1][i % 3])),
            V::I64(opt(nodata, i as i64 % 1000)),
            V::I64(opt(nodata, i as i64 * 1337)),
            V::I64(Some(1_700_000_000 + i as i64)),
            V::I64(Some(1_700_000_060 + i as i64)),
            V::Str(opt(nodata, ["ACCEPT", "REJECT"][i % 5 / 4])),
            V::Str(Some(if nodata { "NODATA" } else { "OK" })),
        ]
    }

    #[test]
    fn rows_read_as_their_text_in_several_row_groups_and_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log.parquet");
        // Row groups of 3, 5000 (past one batch) and 1 rows.
        let rows: Vec<Vec<V>> = (0..5004).map(row).collect();
        let groups = vec![
            rows[..3].to_vec(),
            rows[3..5003].to_vec(),
            rows[5003..].to_vec(),
        ];
        write(&path, DEFAULT, &groups);
        let got = parquet_json(&path);
        let names = Schema::default_format().header_line().to_string();
        let names: Vec<&str> = names.split(' ').collect();
        let want = text_json(&names, &rows, &[false; 14]);
        assert_eq!(got.1, want.1);
        assert!(want.1.is_empty());
        assert_eq!(
            String::from_utf8(got.0).unwrap(),
            String::from_utf8(want.0.clone()).unwrap()
        );
        assert_eq!(threaded_json(&path), want);
        // The typed records, line = row number.
        let mut r = FileReader::open(&path, &ReadOptions::default());
        let mut n = 0;
        while let Some(rec) = r.next_record() {
            n += 1;
            assert_eq!(rec.unwrap().line(), n);
        }
        assert_eq!(n, 5004);
    }

    #[test]
    fn bad_values_are_errors_at_their_row_and_other_types_render_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.log.parquet");
        let schema = "message schema {
            OPTIONAL INT32 version; OPTIONAL INT32 srcport (UINT_32);
            OPTIONAL BYTE_ARRAY vpc_id (UTF8); OPTIONAL BOOLEAN future_flag;
            OPTIONAL DOUBLE future_ratio; }";
        let names = [
            "version",
            "srcport",
            "vpc-id",
            "future-flag",
            "future-ratio",
        ];
        let r = |port: i32, vpc: Option<&'static str>| {
            vec![
                V::I32(Some(2)),
                V::I32(Some(port)),
                V::Str(vpc),
                V::Bool(Some(true)),
                V::F64(Some(0.25)),
            ]
        };
        let rows = vec![
            r(443, Some("vpc-1")),
            // A `\n` in a value: rejected at its row, the rows after it keep theirs.
            r(443, Some("vpc-\n2")),
            r(80, Some("")),
            r(22, Some("vpc 3")),
            // UINT_32 above i32::MAX: stored negative, read as unsigned (then out of a port's range).
            r(-1, Some("vpc-4")),
            r(65535, None),
        ];
        write(&path, schema, std::slice::from_ref(&rows));
        let got = parquet_json(&path);
        let want = text_json(&names, &rows, &[false, true, false, false, false]);
        assert_eq!(got, want);
        assert_eq!(threaded_json(&path), want);
        let lines: Vec<Option<u64>> = got.1.iter().map(|e| e.1).collect();
        assert_eq!(lines, [Some(2), Some(3), Some(4), Some(5)]);
        assert_eq!(String::from_utf8(got.0).unwrap().lines().count(), 2);
    }

    #[test]
    fn empty_objects_refused_schemas_and_corrupt_bytes() {
        let dir = tempfile::tempdir().unwrap();
        // No rows: no records, no error.
        let empty = dir.path().join("e.log.parquet");
        write(&empty, DEFAULT, &[]);
        assert_eq!(parquet_json(&empty), (Vec::new(), Vec::new()));
        // INT96 and nested columns are refused when opened.
        for schema in [
            "message m { OPTIONAL INT96 start; }",
            "message m { OPTIONAL group g { OPTIONAL INT32 version; } }",
            "message m { REPEATED INT32 version; }",
        ] {
            let path = dir.path().join("r.log.parquet");
            let file = File::create(&path).unwrap();
            let schema = Arc::new(parse_message_type(schema).unwrap());
            let props = Arc::new(WriterProperties::builder().build());
            SerializedFileWriter::new(file, schema, props)
                .unwrap()
                .close()
                .unwrap();
            assert_eq!(
                parquet_json(&path).1,
                [(ErrorKind::Parquet, None)],
                "{path:?}"
            );
        }
        // Corrupt objects: a Parquet error, never a panic; truncations at
        // every length and flipped bytes in the data pages.
        let good = dir.path().join("g.log.parquet");
        write(&good, DEFAULT, &[(0..300).map(row).collect()]);
        let bytes = std::fs::read(&good).unwrap();
        let bad = dir.path().join("x.log.parquet");
        for cut in (0..bytes.len()).step_by(97) {
            std::fs::write(&bad, &bytes[..cut]).unwrap();
            let (_, errs) = parquet_json(&bad);
            assert!(!errs.is_empty(), "cut {cut}");
        }
        // Errors met while reading come out as Parquet errors at their row,
        // from a helper thread too (e.g. a data page that fails to inflate).
        let mut at_row = 0;
        for at in (4..bytes.len() - 8).step_by(13) {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x5a;
            std::fs::write(&bad, &flipped).unwrap();
            let inline = parquet_json(&bad);
            assert_eq!(threaded_json(&bad), inline, "flipped at {at}");
            if inline
                .1
                .iter()
                .any(|e| e.0 == ErrorKind::Parquet && e.1.is_some())
            {
                at_row += 1;
            }
        }
        assert!(at_row > 0);
    }
}
