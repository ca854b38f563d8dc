//! The library entry point: open any flow-log object (text, gzip, CloudWatch
//! export or subscription payload, Parquet) and read typed records from it,
//! borrowed ([`FileReader::next_record`], no allocation per record) or owned
//! ([`Records`], an `Iterator`).

use std::path::Path;
use std::sync::Arc;

use super::error::{Error, LineError};
use super::inflate::Inflated;
use super::lenient::Repairs;
use super::parquet::ParquetText;
use super::record::{OwnedRecord, Record};
use super::render::JsonWriter;
use super::schema::Schema;
use super::source::{self, Opened};
use super::text::{ReadOptions, TextReader};

/// Reader of one object, whatever its form.
pub enum FileReader {
    /// Text, gzip text, CloudWatch data.
    Text(Box<TextReader<Box<dyn std::io::Read + Send>>>),
    /// Parquet: its rows as text lines ([`ParquetText`]).
    Parquet(Box<TextReader<Box<dyn std::io::Read + Send>>>),
    /// The object could not be opened: yields this error once.
    Failed(Option<Error>),
}

impl FileReader {
    /// Opens `path`. Never fails here: an unreadable file yields one error.
    pub fn open(path: &Path, options: &ReadOptions) -> Self {
        let path: Arc<Path> = Arc::from(path);
        match source::open(&path) {
            Ok(Opened::Stream { reader, gzip }) => {
                Self::Text(Box::new(TextReader::new(path, reader, gzip, options)))
            }
            Ok(Opened::Inflated(blocks)) => {
                Self::Text(Box::new(TextReader::from_blocks(path, blocks, options)))
            }
            Ok(Opened::Parquet(file)) => match ParquetText::open(file, options.strict) {
                Ok((rows, schema)) => {
                    let (schema, strict) = (Arc::new(schema), options.strict);
                    // A large object's rows are rendered on a helper thread
                    // when a core is free for it (as large gzip objects are
                    // inflated).
                    let threaded = if rows.large() && source::spare_core() {
                        Inflated::spawn_resuming(rows)
                    } else {
                        Err(rows)
                    };
                    Self::Parquet(Box::new(match threaded {
                        Ok(blocks) => TextReader::rows_from_blocks(path, blocks, schema, strict),
                        Err(rows) => TextReader::rows(path, Box::new(rows), schema, strict),
                    }))
                }
                Err(error) => Self::failed(path, error),
            },
            Err(error) => Self::failed(path, error),
        }
    }

    /// The reader of an object that could not be opened.
    fn failed(path: Arc<Path>, error: LineError) -> Self {
        Self::Failed(Some(Error {
            path,
            error,
            fatal: true,
        }))
    }

    /// The next record or error; `None` at the end.
    pub fn next_record(&mut self) -> Option<Result<Record<'_>, Error>> {
        match self {
            Self::Text(r) | Self::Parquet(r) => r.next_record(),
            Self::Failed(e) => e.take().map(Err),
        }
    }

    /// The next record written as JSON at `block[*used..]`, as
    /// [`JsonWriter::write_at`] writes it, or the next error; `None` at the
    /// end. Text and Parquet rows take the fused path of
    /// [`TextReader::next_json`].
    pub fn next_json(
        &mut self,
        json: &mut JsonWriter,
        block: &mut Vec<u8>,
        used: &mut usize,
    ) -> Option<Result<(), Error>> {
        match self {
            Self::Text(r) | Self::Parquet(r) => r.next_json(json, block, used),
            Self::Failed(e) => e.take().map(Err),
        }
    }

    /// [`TextReader::json_run`] (records of the lines already in memory,
    /// written by the fused JSON path); 0 for an object that failed.
    pub fn json_run(
        &mut self,
        block: &mut [u8],
        used: &mut usize,
        limit: usize,
        source_fields: bool,
    ) -> u64 {
        match self {
            Self::Text(r) | Self::Parquet(r) => r.json_run(block, used, limit, source_fields),
            Self::Failed(_) => 0,
        }
    }

    /// [`TextReader::count_run`]; 0 for an object that failed.
    pub fn count_run(&mut self) -> u64 {
        match self {
            Self::Text(r) | Self::Parquet(r) => r.count_run(),
            Self::Failed(_) => 0,
        }
    }

    /// The schema in use (after the first record: the file's own).
    pub fn schema(&self) -> Option<&Arc<Schema>> {
        match self {
            Self::Text(r) | Self::Parquet(r) => Some(r.schema()),
            Self::Failed(_) => None,
        }
    }

    /// Parquet rows that could not be read so far ([`TextReader::rows_lost`]).
    pub fn rows_lost(&self) -> u64 {
        match self {
            Self::Text(r) | Self::Parquet(r) => r.rows_lost(),
            Self::Failed(_) => 0,
        }
    }

    /// What the lenient mode repaired so far ([`ReadOptions::lenient`]).
    pub fn repairs(&self) -> Repairs {
        match self {
            Self::Text(r) | Self::Parquet(r) => r.repairs(),
            Self::Failed(_) => Repairs::default(),
        }
    }

    /// True if the object had a header line (Parquet: always, in its schema).
    pub fn has_header(&self) -> bool {
        match self {
            Self::Text(r) => r.has_header(),
            Self::Parquet(_) => true,
            Self::Failed(_) => false,
        }
    }

    /// True if the text ended with a newline (valid at the end).
    pub fn ends_with_newline(&self) -> bool {
        match self {
            Self::Text(r) => r.ends_with_newline(),
            _ => true,
        }
    }

    /// An owning iterator over the records and errors.
    pub fn records(self) -> Records {
        Records { reader: self }
    }
}

/// Owned records and errors of one object, in file order.
pub struct Records {
    reader: FileReader,
}

impl Iterator for Records {
    type Item = Result<OwnedRecord, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.reader
            .next_record()
            .map(|r| r.map(|rec| rec.to_owned()))
    }
}

/// Owned records and errors of the object at `path`.
pub fn read_path(path: &Path, options: &ReadOptions) -> Records {
    FileReader::open(path, options).records()
}
