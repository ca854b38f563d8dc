//! Flow logs delivered as Parquet (AWS's schema: one column per field,
//! `-` in the name replaced by `_`, INT32/INT64/UTF8, `-` stored as NULL).
//!
//! [`ParquetText`] reads the object a batch of rows at a time with the
//! parquet crate's Arrow reader (each column's values decoded into one
//! Arrow array: strings as one offsets buffer, no allocation or reference
//! count per value; string columns are read as bytes, their annotation
//! dropped from the schema the reader is given, so that UTF-8 is checked
//! row by row by the text reader, not a whole batch at a time by Arrow)
//! and renders each row as the equivalent text line:
//! values in column order, NULL as `-`, one space between values, `\n`
//! after the row. The lines are then read as header-less text in the
//! object's own format ([`super::text::TextReader::rows`]): the same
//! checks, errors, typed records and fused JSON path as text, so both forms
//! give the same records; a row's "line" is its 1-based row number.
//!
//! Values are rendered as they would be written in text: integers in
//! decimal (unsigned ones, by their logical or converted type, as such),
//! booleans as `true`/`false`, floating point by Rust's shortest round-trip
//! form, strings and byte arrays as their bytes. A `\n` inside a value
//! would end the row's line early, so it is rendered as a NUL byte: the
//! row is then rejected as text with a NUL byte is ("NUL byte or newline
//! in a value"), at its own row. Columns of other types (INT96, dates,
//! times, decimals) and nested columns are in no flow-log schema: such an
//! object is refused when opened.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Once};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, FixedSizeBinaryArray, GenericBinaryArray, PrimitiveArray,
    RecordBatch, new_empty_array,
};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder, RowSelectionPolicy,
};
use parquet::basic::Type as PhysicalType;
use parquet::errors::ParquetError;
use parquet::file::metadata::{FileMetaData, ParquetMetaData, ParquetMetaDataReader};
use parquet::schema::types::{SchemaDescriptor, Type};

use super::error::{ErrorKind, LineError};
use super::fields::FieldId;
use super::schema::Schema;
use super::source::INFLATE_THREAD_MIN;

/// Rows read at a time.
const BATCH: usize = 4096;

/// The byte a `\n` inside a value is rendered as (see the module's notes).
const NEWLINE_IN_VALUE: u8 = 0;

/// The text lines of a Parquet object's rows, as a byte stream.
pub struct ParquetText {
    /// The object (each reader reads its own handle of it).
    file: File,
    /// Its metadata, parsed once, shared by the readers of its row groups.
    meta: ArrowReaderMetadata,
    /// Rows of each row group, as its metadata gives them.
    groups: Vec<u64>,
    /// The row group being read, and its rows delivered or lost so far.
    group: usize,
    offset: u64,
    /// The reader of part of the current row group, if one is open.
    part: Option<Part>,
    /// Bytes of column data (uncompressed) in the object.
    size: u64,
    /// Rendered rows not yet read out, from `at`.
    text: Vec<u8>,
    at: usize,
    /// Rows rendered or lost so far.
    rows: u64,
    done: bool,
}

/// A reader of rows `offset..until` of a row group, `batch` rows at a time.
struct Part {
    batches: ParquetRecordBatchReader,
    batch: usize,
    until: u64,
}

/// A read error at `row`: carried through [`io::Error`] to the text
/// reader, which reports it as a Parquet error at that row ([`row_error`]).
/// With `lost`, the rows from `row` on that could not be read (the rest of
/// a row group): reading goes on after them
/// ([`rows_lost`]); without, the read ended there.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct RowError {
    row: u64,
    lost: Option<u64>,
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

/// The number of rows `err` reports lost, if it is a Parquet read error
/// after which reading goes on (with the row after them): the text reader
/// then counts those rows as read lines, so that later rows keep their
/// numbers.
pub fn rows_lost(err: &io::Error) -> Option<u64> {
    err.get_ref()?.downcast_ref::<RowError>()?.lost
}

fn parquet_error(e: ParquetError) -> LineError {
    LineError::new(ErrorKind::Parquet, None, tidy(&e.to_string()))
}

/// The parquet crate's message without the prefixes its nested errors
/// repeat (`Parquet error: Parquet argument error: Parquet error: …`): the
/// error's kind already says Parquet.
fn tidy(message: &str) -> String {
    const PREFIXES: [&str; 3] = ["Parquet error: ", "Parquet argument error: ", "External: "];
    let mut m = message;
    while let Some(rest) = PREFIXES.iter().find_map(|p| m.strip_prefix(p)) {
        m = rest;
    }
    m.to_string()
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

/// `metadata` with the string annotation of its top-level BYTE_ARRAY
/// columns dropped, so that the Arrow reader reads them as bytes (it checks
/// UTF-8 a whole batch at a time, and refuses a `Binary` hint for strings).
fn bytes_for_strings(metadata: &ParquetMetaData) -> Result<ParquetMetaData, ParquetError> {
    let file = metadata.file_metadata();
    let root = file.schema_descr().root_schema();
    let fields = root
        .get_fields()
        .iter()
        .map(|f| {
            if !f.is_primitive() || f.get_physical_type() != PhysicalType::BYTE_ARRAY {
                return Ok(Arc::clone(f));
            }
            let info = f.get_basic_info();
            let t = Type::primitive_type_builder(info.name(), PhysicalType::BYTE_ARRAY)
                .with_repetition(info.repetition())
                .with_id(info.has_id().then(|| info.id()))
                .build()?;
            Ok(Arc::new(t))
        })
        .collect::<Result<Vec<_>, ParquetError>>()?;
    let root = Type::group_type_builder(root.name())
        .with_fields(fields)
        .build()?;
    let file = FileMetaData::new(
        file.version(),
        file.num_rows(),
        file.created_by().map(str::to_string),
        file.key_value_metadata().cloned(),
        Arc::new(SchemaDescriptor::new(Arc::new(root))),
        file.column_orders().cloned(),
    );
    Ok(ParquetMetaData::new(file, metadata.row_groups().to_vec()))
}

impl ParquetText {
    /// Opens the Parquet object `file`: its rows as text, and their format
    /// (the columns, named as flow-log fields).
    pub fn open(file: File, strict: bool) -> Result<(Self, Schema), LineError> {
        // Types from the Parquet schema alone (not from an Arrow schema a
        // writer may have stored), strings read as bytes: the text reader
        // checks their UTF-8 row by row (the Arrow reader would refuse a
        // whole batch for one bad value).
        let metadata = guarded(|| {
            let metadata = ParquetMetaDataReader::new().parse_and_finish(&file)?;
            bytes_for_strings(&metadata)
        })
        .map_err(parquet_error)?;
        let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let meta = guarded(|| ArrowReaderMetadata::try_new(Arc::new(metadata), options))
            .map_err(parquet_error)?;
        let descr = meta.parquet_schema();
        let arrow = meta.schema().clone();
        let mut names = Vec::new();
        for (c, field) in descr.columns().iter().zip(arrow.fields().iter()) {
            let refuse = |why: String| {
                LineError::new(
                    ErrorKind::Parquet,
                    None,
                    format!("column {}: {why}", c.path()),
                )
            };
            if c.max_rep_level() > 0 || c.path().parts().len() > 1 {
                return Err(refuse(
                    "nested or repeated columns are not flow-log fields".into(),
                ));
            }
            if Col::of(&new_empty_array(field.data_type())).is_none() {
                return Err(refuse(format!(
                    "{} values are not flow-log fields",
                    field.data_type()
                )));
            }
            names.push(match FieldId::from_parquet_column(c.name()) {
                Some(id) => id.name().to_string(),
                None => c.name().replace('_', "-"),
            });
        }
        if descr.columns().len() != arrow.fields().len() {
            return Err(LineError::new(
                ErrorKind::Parquet,
                None,
                "nested columns are not flow-log fields",
            ));
        }
        let schema = Schema::from_names(&names, strict)?;
        let groups = meta.metadata().row_groups();
        let size = groups
            .iter()
            .map(|g| g.total_byte_size().max(0) as u64)
            .sum();
        let groups = groups.iter().map(|g| g.num_rows().max(0) as u64).collect();
        let text = Self {
            file,
            meta,
            groups,
            group: 0,
            offset: 0,
            part: None,
            size,
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
        self.size >= INFLATE_THREAD_MIN
    }

    /// A reader of rows `offset..until` of row group `group`, `batch` at a
    /// time (rows before `offset`, all delivered before, skipped: whole
    /// pages by their headers, without decoding them).
    fn reader(
        &self,
        group: usize,
        offset: u64,
        until: u64,
        batch: usize,
    ) -> Result<ParquetRecordBatchReader, ParquetError> {
        let file = self.file.try_clone()?;
        let meta = self.meta.clone();
        guarded(|| {
            let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta)
                .with_row_groups(vec![group])
                .with_batch_size(batch);
            if offset > 0 || until < self.groups[group] {
                builder = builder
                    .with_row_selection_policy(RowSelectionPolicy::Selectors)
                    .with_offset(usize::try_from(offset).unwrap_or(usize::MAX))
                    .with_limit(usize::try_from(until - offset).unwrap_or(usize::MAX));
            }
            builder.build()
        })
    }

    /// The next batch of `part` (`None` at its end), panics caught.
    fn next_batch(part: &mut Part) -> Result<Option<RecordBatch>, ParquetError> {
        let batches = &mut part.batches;
        guarded(|| {
            batches
                .next()
                .transpose()
                .map_err(|e| ParquetError::General(e.to_string()))
        })
    }

    fn fail(&mut self, message: String) -> io::Error {
        self.done = true;
        io::Error::new(
            io::ErrorKind::InvalidData,
            RowError {
                row: self.rows.saturating_add(1),
                lost: None,
                message: tidy(&message),
            },
        )
    }

    /// Renders the next batch of rows into `text`; leaves it empty at the
    /// end. The row groups are read one after the other, each by its own
    /// reader; a batch that fails is read again ([`ParquetText::retry`]).
    fn fill(&mut self) -> io::Result<()> {
        self.text.clear();
        self.at = 0;
        loop {
            let Some(&end) = self.groups.get(self.group) else {
                self.done = true;
                return Ok(());
            };
            let claimed = self.meta.metadata().row_group(self.group).num_rows();
            if claimed < 0 {
                // No row of it can be read (nor counted as lost).
                let message = format!(
                    "row group {} of {}: negative row count ({claimed}): its rows cannot be read",
                    self.group + 1,
                    self.groups.len()
                );
                self.group += 1;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    RowError {
                        row: self.rows.saturating_add(1),
                        lost: Some(0),
                        message,
                    },
                ));
            }
            if self.offset >= end {
                self.group += 1;
                self.offset = 0;
                self.part = None;
                continue;
            }
            let Some(part) = &mut self.part else {
                match self.reader(self.group, self.offset, end, BATCH) {
                    Ok(batches) => {
                        self.part = Some(Part {
                            batches,
                            batch: BATCH,
                            until: end,
                        });
                    }
                    Err(e) => self.retry(BATCH, end, e.to_string())?,
                }
                continue;
            };
            let (batch, until) = (part.batch, part.until);
            let why = match Self::next_batch(part) {
                Ok(Some(b)) if b.num_rows() > 0 => return self.deliver(&b),
                Ok(_) => {
                    self.part = None;
                    if self.offset >= until {
                        continue;
                    }
                    // Fewer rows than the metadata gives.
                    format!("the row group ends after {} rows", self.offset)
                }
                Err(e) => e.to_string(),
            };
            self.retry(batch, until, why)?;
        }
    }

    /// After a batch of at most `batch` rows from `offset` failed (`why`),
    /// in a reader that was to read up to `until`: opens a reader of the
    /// same rows in batches half that size, so that the rows before the
    /// failure are delivered; once a single row fails, it is the first
    /// lost row ([`ParquetText::lose`]). Each halving reads at most two
    /// batches of its size: at most twice [`BATCH`] rows are read again
    /// (and 13 readers opened) to locate a failure.
    fn retry(&mut self, batch: usize, until: u64, mut why: String) -> io::Result<()> {
        let mut batch = batch;
        let mut until = until;
        loop {
            self.part = None;
            if self.offset >= until {
                // After every row it was to read (in data past the rows the
                // metadata gives): none lost, nothing to report.
                return Ok(());
            }
            if batch <= 1 {
                return Err(self.lose(why));
            }
            until = until.min(self.offset.saturating_add(batch as u64));
            batch /= 2;
            match self.reader(self.group, self.offset, until, batch) {
                Ok(batches) => {
                    self.part = Some(Part {
                        batches,
                        batch,
                        until,
                    });
                    return Ok(());
                }
                Err(e) => why = e.to_string(),
            }
        }
    }

    /// Reports the rows lost from row `offset` of the current row group
    /// (which could not be read: `why`) to the group's end, and moves past
    /// them. The rows after a page that fails are not looked for: the crate
    /// could skip to them (a page by its header, without decoding it), but
    /// skipping values through a damaged page can leave a decoder past its
    /// page's end (its plain byte-array decoder does not check a skipped
    /// value's length), and the read after that asks for an allocation of
    /// the wrapped-around size: an abort, which no guard catches. Reading
    /// again only rows already delivered (as [`ParquetText::retry`] does) is
    /// safe: their bytes decoded once.
    fn lose(&mut self, why: String) -> io::Error {
        let why = tidy(&why);
        let (group, first) = (self.group, self.offset);
        let end = self.groups[group];
        let lost = end - first;
        let row = self.rows.saturating_add(1);
        let message = format!(
            "row group {} of {} (rows {}-{}): rows {row}-{} unreadable, {lost} lost: {why}",
            group + 1,
            self.groups.len(),
            row - first,
            (row - first).saturating_add(end - 1),
            row.saturating_add(lost - 1),
        );
        self.rows = self.rows.saturating_add(lost);
        self.offset = end;
        io::Error::new(
            io::ErrorKind::InvalidData,
            RowError {
                row,
                lost: Some(lost),
                message,
            },
        )
    }

    /// Renders the rows of `batch` into `text`.
    fn deliver(&mut self, batch: &RecordBatch) -> io::Result<()> {
        if !self.render(batch, false) {
            return Err(self.fail("a column of unexpected type".into()));
        }
        // One `\n` per row, unless a value held one: then again, with the
        // values' `\n` replaced (rare: counted over the batch, not looked
        // for in every value).
        if memchr::memchr_iter(b'\n', &self.text).count() != batch.num_rows() {
            self.text.clear();
            self.render(batch, true);
        }
        self.rows = self.rows.saturating_add(batch.num_rows() as u64);
        self.offset += batch.num_rows() as u64;
        Ok(())
    }

    /// Renders the rows of `batch`, a `\n` in a value replaced if `escape`;
    /// false if a column has a type [`Col::of`] refuses.
    fn render(&mut self, batch: &RecordBatch, escape: bool) -> bool {
        let Some(columns) = batch
            .columns()
            .iter()
            .map(|c| Some((Col::of(c)?, c.logical_nulls())))
            .collect::<Option<Vec<_>>>()
        else {
            return false;
        };
        let mut num = itoa::Buffer::new();
        for row in 0..batch.num_rows() {
            for (i, (column, nulls)) in columns.iter().enumerate() {
                if i > 0 {
                    self.text.push(b' ');
                }
                if nulls.as_ref().is_some_and(|n| n.is_null(row)) {
                    self.text.push(b'-');
                } else {
                    column.push(&mut self.text, &mut num, row, escape);
                }
            }
            self.text.push(b'\n');
        }
        true
    }
}

/// A column of a batch, as the array of its type: the types the reader
/// gives the columns of a flow-log object (strings come as `Binary`:
/// [`bytes_for_strings`]); an object with columns of any other type is
/// refused when opened.
enum Col<'a> {
    I8(&'a PrimitiveArray<Int8Type>),
    I16(&'a PrimitiveArray<Int16Type>),
    I32(&'a PrimitiveArray<Int32Type>),
    I64(&'a PrimitiveArray<Int64Type>),
    U8(&'a PrimitiveArray<UInt8Type>),
    U16(&'a PrimitiveArray<UInt16Type>),
    U32(&'a PrimitiveArray<UInt32Type>),
    U64(&'a PrimitiveArray<UInt64Type>),
    F32(&'a PrimitiveArray<Float32Type>),
    F64(&'a PrimitiveArray<Float64Type>),
    Bool(&'a BooleanArray),
    Bin(&'a GenericBinaryArray<i32>),
    Fixed(&'a FixedSizeBinaryArray),
}

impl<'a> Col<'a> {
    /// The column `a`, if its type is one of those rendered.
    fn of(a: &'a ArrayRef) -> Option<Self> {
        Some(match a.data_type() {
            DataType::Int8 => Self::I8(a.as_primitive_opt()?),
            DataType::Int16 => Self::I16(a.as_primitive_opt()?),
            DataType::Int32 => Self::I32(a.as_primitive_opt()?),
            DataType::Int64 => Self::I64(a.as_primitive_opt()?),
            DataType::UInt8 => Self::U8(a.as_primitive_opt()?),
            DataType::UInt16 => Self::U16(a.as_primitive_opt()?),
            DataType::UInt32 => Self::U32(a.as_primitive_opt()?),
            DataType::UInt64 => Self::U64(a.as_primitive_opt()?),
            DataType::Float32 => Self::F32(a.as_primitive_opt()?),
            DataType::Float64 => Self::F64(a.as_primitive_opt()?),
            DataType::Boolean => Self::Bool(a.as_boolean_opt()?),
            DataType::Binary => Self::Bin(a.as_binary_opt()?),
            DataType::FixedSizeBinary(_) => Self::Fixed(a.as_fixed_size_binary_opt()?),
            _ => return None,
        })
    }

    /// Appends the value at `row` (not null).
    fn push(&self, text: &mut Vec<u8>, num: &mut itoa::Buffer, row: usize, escape: bool) {
        match self {
            Self::I8(a) => text.extend_from_slice(num.format(a.value(row)).as_bytes()),
            Self::I16(a) => text.extend_from_slice(num.format(a.value(row)).as_bytes()),
            Self::I32(a) => text.extend_from_slice(num.format(a.value(row)).as_bytes()),
            Self::I64(a) => text.extend_from_slice(num.format(a.value(row)).as_bytes()),
            Self::U8(a) => text.extend_from_slice(num.format(a.value(row)).as_bytes()),
            Self::U16(a) => text.extend_from_slice(num.format(a.value(row)).as_bytes()),
            Self::U32(a) => text.extend_from_slice(num.format(a.value(row)).as_bytes()),
            Self::U64(a) => text.extend_from_slice(num.format(a.value(row)).as_bytes()),
            Self::F32(a) => push_display(text, &a.value(row)),
            Self::F64(a) => push_display(text, &a.value(row)),
            Self::Bool(a) => text.extend_from_slice(if a.value(row) { b"true" } else { b"false" }),
            Self::Bin(a) => push_bytes(text, a.value(row), escape),
            Self::Fixed(a) => push_bytes(text, a.value(row), escape),
        }
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
    use parquet::data_type::{
        BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type,
    };
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
        write_with(path, schema, groups, WriterProperties::builder().build());
    }

    /// [`write`] with the writer's properties `props`.
    fn write_with(path: &Path, schema: &str, groups: &[Vec<Vec<V>>], props: WriterProperties) {
        let schema = Arc::new(parse_message_type(schema).unwrap());
        let file = File::create(path).unwrap();
        let props = Arc::new(props);
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
        fused_json(FileReader::open(path, &ReadOptions::default()))
    }

    /// [`parquet_json`] with the rows rendered on a helper thread (as a
    /// large object's are when a core is free).
    fn threaded_json(path: &Path) -> Read {
        let file = File::open(path).unwrap();
        let (rows, schema) = match ParquetText::open(file, false) {
            Ok(x) => x,
            Err(e) => return (Vec::new(), vec![(e.kind, e.line)]),
        };
        let blocks = crate::flowlogs::inflate::Inflated::spawn_resuming(rows)
            .ok()
            .unwrap();
        let path = Arc::from(path);
        let schema = Arc::new(schema);
        fused_json(FileReader::Parquet(Box::new(TextReader::rows_from_blocks(
            path, blocks, schema, false,
        ))))
    }

    /// The JSON and errors of `r` by fused runs, as `parse --json` reads.
    fn fused_json(mut r: FileReader) -> Read {
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

    /// Where the data pages of column `column` of row group `group` of the
    /// object at `path` lie: (offset, size with header, first row).
    fn pages(path: &Path, group: usize, column: usize) -> Vec<(usize, usize, u64)> {
        use parquet::file::metadata::PageIndexPolicy;
        let file = File::open(path).unwrap();
        let meta = ParquetMetaDataReader::new()
            .with_page_index_policy(PageIndexPolicy::Required)
            .parse_and_finish(&file)
            .unwrap();
        let index = meta.page_index_for_row_group(group);
        index
            .offset_index(column)
            .unwrap()
            .page_locations()
            .iter()
            .map(|p| {
                (
                    p.offset as usize,
                    p.compressed_page_size as usize,
                    p.first_row_index as u64,
                )
            })
            .collect()
    }

    #[test]
    fn a_corrupt_page_loses_the_rest_of_its_row_group_and_no_other_row() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("g.log.parquet");
        // Row groups of 3000, 10000 and 2000 rows; pages of 500 rows,
        // compressed (a damaged page fails to inflate), no dictionary.
        let rows: Vec<Vec<V>> = (0..15000).map(row).collect();
        let groups = vec![
            rows[..3000].to_vec(),
            rows[3000..13000].to_vec(),
            rows[13000..].to_vec(),
        ];
        let props = WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_dictionary_enabled(false)
            .set_write_batch_size(100)
            .set_data_page_row_count_limit(500)
            .build();
        write_with(&good, DEFAULT, &groups, props);
        let names = Schema::default_format().header_line().to_string();
        let names: Vec<&str> = names.split(' ').collect();
        let bytes = std::fs::read(&good).unwrap();
        let bad = dir.path().join("x.log.parquet");
        // The rows of `rows` out of `lost` as text (the oracle), and the
        // 1-based numbers of those rows.
        let kept = |lost: &[std::ops::Range<usize>]| {
            let out = |i: &usize| !lost.iter().any(|l| l.contains(i));
            let rows: Vec<Vec<V>> = (0..rows.len())
                .filter(out)
                .map(|i| rows[i].clone())
                .collect();
            let numbers: Vec<u64> = (0..15000usize).filter(out).map(|i| i as u64 + 1).collect();
            (text_json(&names, &rows, &[false; 14]), numbers)
        };

        // The 8th page of `srcaddr` (column 3) in the second row group: the
        // second half of its bytes (past its header) overwritten. Its rows
        // before the page come out (the batch that failed is read again in
        // smaller batches), the rest of its row group is lost, the other
        // row groups come out whole.
        let (at, size, first) = pages(&good, 1, 3)[7];
        let mut damaged = bytes.clone();
        damaged[at + size / 2..at + size].fill(0xff);
        std::fs::write(&bad, &damaged).unwrap();
        let lost = (3000 + first as usize)..13000;
        let (want, numbers) = kept(std::slice::from_ref(&lost));
        let got = parquet_json(&bad);
        // One error, at the page's first row (1-based over the object).
        assert_eq!(got.1, [(ErrorKind::Parquet, Some(lost.start as u64 + 1))]);
        assert_eq!(
            String::from_utf8(got.0.clone()).unwrap(),
            String::from_utf8(want.0).unwrap()
        );
        assert_eq!(threaded_json(&bad), got);
        // The typed records keep their rows' numbers; the error says which
        // rows of which row group were lost, and is not final.
        let mut r = FileReader::open(&bad, &ReadOptions::default());
        let (mut lines, mut errors) = (Vec::new(), Vec::new());
        while let Some(rec) = r.next_record() {
            match rec {
                Ok(rec) => lines.push(rec.line()),
                Err(e) => errors.push(e),
            }
        }
        assert_eq!(lines, numbers);
        assert_eq!(errors.len(), 1);
        assert!(!errors[0].fatal);
        let message = errors[0].to_string();
        let expected = format!(
            "row group 2 of 3 (rows 3001-13000): rows {}-13000 unreadable, {} lost: ",
            lost.start + 1,
            lost.len()
        );
        assert!(message.contains(&expected), "{message}");

        // A damaged page header in the first row group (the 3rd page of
        // `srcport`, column 5) and a damaged page in the third (the 2nd of
        // `dstaddr`, column 4): one error for each, at the page's first row.
        let (at, _, header_row) = pages(&good, 0, 5)[2];
        damaged.copy_from_slice(&bytes);
        damaged[at..at + 4].fill(0xff);
        let (at, size, page_row) = pages(&good, 2, 4)[1];
        damaged[at + size / 2..at + size].fill(0xff);
        std::fs::write(&bad, &damaged).unwrap();
        let lost = [header_row as usize..3000, 13000 + page_row as usize..15000];
        let (want, _) = kept(&lost);
        let got = parquet_json(&bad);
        assert_eq!(
            got.1,
            lost.iter()
                .map(|l| (ErrorKind::Parquet, Some(l.start as u64 + 1)))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            String::from_utf8(got.0.clone()).unwrap(),
            String::from_utf8(want.0).unwrap()
        );
        assert_eq!(threaded_json(&bad), got);
    }
}
