//! Flow logs delivered as Parquet (AWS's schema: one column per field,
//! `-` in the name replaced by `_`, INT32/INT64/UTF8, `-` stored as NULL).
//!
//! Rows are turned into the equivalent text record (NULL → `-`) and typed
//! by the same parser as text, so both forms give the same records; a row's
//! "line" is its 1-based row number. Reads one row group at a time.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, reader::RowIter};

use super::error::{Error, ErrorKind, LineError};
use super::fields::FieldId;
use super::layout::SourceInfo;
use super::parse::{MAX_LINE, parse_record};
use super::record::{Record, Slot};
use super::schema::Schema;

/// Reader of one Parquet object.
pub struct ParquetReader {
    path: Arc<Path>,
    rows: Option<RowIter<'static>>,
    schema: Arc<Schema>,
    line: String,
    row: u64,
    slots: Vec<Slot>,
    source: Arc<SourceInfo>,
    pending: Option<Error>,
}

impl ParquetReader {
    /// Opens the Parquet object `file` found at `path`.
    pub fn new(path: Arc<Path>, file: File, strict: bool) -> Self {
        let source = Arc::new(SourceInfo::from_path(&path));
        let mut reader = Self {
            path,
            rows: None,
            schema: Arc::clone(super::text::default_schema()),
            line: String::new(),
            row: 0,
            slots: Vec::new(),
            source,
            pending: None,
        };
        match Self::open(file, strict) {
            Ok((schema, rows)) => {
                reader.schema = Arc::new(schema);
                reader.rows = Some(rows);
            }
            Err(e) => reader.pending = Some(reader.error(e, true)),
        }
        reader
    }

    fn open(file: File, strict: bool) -> Result<(Schema, RowIter<'static>), LineError> {
        let perr = |e: parquet::errors::ParquetError| {
            LineError::new(ErrorKind::Parquet, None, format!("parquet: {e}"))
        };
        let reader = SerializedFileReader::new(file).map_err(perr)?;
        let names: Vec<String> = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| match FieldId::from_parquet_column(c.name()) {
                Some(id) => id.name().to_string(),
                None => c.name().replace('_', "-"),
            })
            .collect();
        let schema = Schema::from_names(&names, strict)?;
        Ok((schema, reader.into_iter()))
    }

    fn error(&self, error: LineError, fatal: bool) -> Error {
        Error {
            path: Arc::clone(&self.path),
            error,
            fatal,
        }
    }

    /// The schema of the object.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// The next record or error; `None` at the end.
    pub fn next_record(&mut self) -> Option<Result<Record<'_>, Error>> {
        match self.advance()? {
            Ok(()) => Some(Ok(Record {
                schema: &self.schema,
                text: self.line.as_bytes(),
                slots: &self.slots,
                prefix: None,
                line: self.row,
                source: &self.source,
            })),
            Err(e) => Some(Err(e)),
        }
    }

    fn advance(&mut self) -> Option<Result<(), Error>> {
        if let Some(e) = self.pending.take() {
            self.rows = None;
            return Some(Err(e));
        }
        let row = match self.rows.as_mut()?.next()? {
            Ok(row) => row,
            Err(e) => {
                self.rows = None;
                let e = LineError::new(
                    ErrorKind::Parquet,
                    Some(self.row + 1),
                    format!("parquet: {e}"),
                );
                return Some(Err(self.error(e, true)));
            }
        };
        self.row += 1;
        self.line.clear();
        for (i, (_, field)) in row.get_column_iter().enumerate() {
            if i > 0 {
                self.line.push(' ');
            }
            push_field(&mut self.line, field);
            if self.line.len() > MAX_LINE {
                let e = LineError::new(
                    ErrorKind::LineTooLong,
                    Some(self.row),
                    format!("row longer than {MAX_LINE} bytes as text"),
                );
                return Some(Err(self.error(e, false)));
            }
        }
        Some(
            parse_record(&self.schema, &self.line, self.row, &mut self.slots)
                .map_err(|e| self.error(e, false)),
        )
    }
}

/// Text of a Parquet value as it would appear in a text flow log.
fn push_field(out: &mut String, field: &Field) {
    use std::fmt::Write;
    let _ = match field {
        Field::Null => write!(out, "-"),
        Field::Str(s) => write!(out, "{s}"),
        Field::Bytes(b) => write!(out, "{}", String::from_utf8_lossy(b.data())),
        Field::Bool(v) => write!(out, "{v}"),
        Field::Byte(v) => write!(out, "{v}"),
        Field::Short(v) => write!(out, "{v}"),
        Field::Int(v) => write!(out, "{v}"),
        Field::Long(v) => write!(out, "{v}"),
        Field::UByte(v) => write!(out, "{v}"),
        Field::UShort(v) => write!(out, "{v}"),
        Field::UInt(v) => write!(out, "{v}"),
        Field::ULong(v) => write!(out, "{v}"),
        other => write!(out, "{other}"),
    };
}
