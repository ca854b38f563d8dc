//! Errors of the flow-log reader: one [`ErrorKind`] per way an input can be
//! wrong (the names of `../shared/flowlogs/malformed/EXPECTED.tsv`), located
//! by file and 1-based line, each with a hint saying what to do.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// What was wrong. `as_str` gives the stable kebab-case name used in reports
/// and in `EXPECTED.tsv`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// A record has more or fewer fields than the header / format.
    FieldCount,
    /// An integer field holds something other than unsigned decimal digits.
    BadInteger,
    /// An integer is too large for its field (port > 65535, protocol > 255, > u64).
    OutOfRange,
    /// An enumerated field (action, log-status, type, …) holds an undocumented value.
    BadEnum,
    /// An address field is not an IPv4/IPv6 address.
    BadAddress,
    /// A header or format names a field that is not a flow-log field.
    UnknownField,
    /// The first line is a `${…}` format string instead of a header line.
    FormatStringHeader,
    /// A header or format names the same field twice.
    DuplicateField,
    /// The header line appears again among the records.
    RepeatedHeader,
    /// An empty line between records.
    BlankLine,
    /// Two consecutive spaces, or a leading/trailing space.
    EmptyField,
    /// A tab character.
    Tab,
    /// A carriage return (CRLF line endings).
    Crlf,
    /// A UTF-8 byte order mark before the first line.
    Bom,
    /// NUL bytes: the input is not text.
    Binary,
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// A line longer than the line-length cap.
    LineTooLong,
    /// The input holds no bytes at all.
    EmptyInput,
    /// The gzip stream is damaged (bad header, bad deflate data, CRC or length mismatch).
    GzipCorrupt,
    /// The gzip stream ends before its end-of-stream marker.
    GzipTruncated,
    /// A CloudWatch Logs export line lacks its `<ISO timestamp> ` prefix.
    MissingTimestamp,
    /// A CloudWatch Logs subscription payload is not the documented JSON.
    BadJson,
    /// A Parquet object could not be read.
    Parquet,
    /// The file could not be opened or read.
    Io,
}

impl ErrorKind {
    /// The stable name of the kind (as in `EXPECTED.tsv`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FieldCount => "field-count",
            Self::BadInteger => "bad-integer",
            Self::OutOfRange => "out-of-range",
            Self::BadEnum => "bad-enum",
            Self::BadAddress => "bad-address",
            Self::UnknownField => "unknown-field",
            Self::FormatStringHeader => "format-string-header",
            Self::DuplicateField => "duplicate-field",
            Self::RepeatedHeader => "repeated-header",
            Self::BlankLine => "blank-line",
            Self::EmptyField => "empty-field",
            Self::Tab => "tab",
            Self::Crlf => "crlf",
            Self::Bom => "bom",
            Self::Binary => "binary",
            Self::InvalidUtf8 => "invalid-utf8",
            Self::LineTooLong => "line-too-long",
            Self::EmptyInput => "empty-input",
            Self::GzipCorrupt => "gzip-corrupt",
            Self::GzipTruncated => "gzip-truncated",
            Self::MissingTimestamp => "missing-timestamp",
            Self::BadJson => "bad-json",
            Self::Parquet => "parquet",
            Self::Io => "io",
        }
    }

    /// What the user can do about it.
    pub const fn hint(self) -> &'static str {
        match self {
            Self::FieldCount => {
                "check that the header or --format matches the records (a flow log's format is fixed at creation)"
            }
            Self::BadInteger | Self::OutOfRange | Self::BadEnum | Self::BadAddress => {
                "check that the header or --format names the fields in the order the records use"
            }
            Self::UnknownField => {
                "fix the field name (see docs/flowlogs.md for the list); without --strict, well-formed new names are kept as text"
            }
            Self::FormatStringHeader => {
                "delete that line and pass the string with --format, or write the header as bare names"
            }
            Self::DuplicateField => "name each field once",
            Self::RepeatedHeader => {
                "the input looks like several files concatenated; parse the files separately"
            }
            Self::BlankLine => "remove empty lines, or read with --lenient",
            Self::EmptyField => "separate fields by exactly one space, or read with --lenient",
            Self::Tab => "separate fields by single spaces, not tabs, or read with --lenient",
            Self::Crlf => "convert line endings to LF (e.g. dos2unix), or read with --lenient",
            Self::Bom => {
                "remove the byte order mark (it was stripped and the file read on), or read with --lenient"
            }
            Self::Binary => "this is not a text flow log; check the path",
            Self::InvalidUtf8 => "flow logs are UTF-8 text; check for corruption",
            Self::LineTooLong => {
                "flow-log records are far shorter; check the path or the file for corruption"
            }
            Self::EmptyInput => "the object is empty; check the download",
            Self::GzipCorrupt => "the object is damaged; download it again",
            Self::GzipTruncated => "the object is incomplete; download it again",
            Self::MissingTimestamp => {
                "every line of a CloudWatch export starts with its event timestamp; check the file"
            }
            Self::BadJson => "expected a CloudWatch Logs subscription payload (logEvents)",
            Self::Parquet => {
                "the object is damaged or not in AWS's flow-log Parquet schema; download it again or check how it was written"
            }
            Self::Io => "check the path and permissions",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem found in one line (or, without a line, in the file as a whole).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", .kind)]
pub struct LineError {
    /// What was wrong.
    pub kind: ErrorKind,
    /// 1-based line (for Parquet: row; for subscription payloads: event), if any.
    pub line: Option<u64>,
    /// Human-readable detail, e.g. `field srcport: not an unsigned integer: 'http'`.
    pub detail: String,
}

impl LineError {
    /// A new error of `kind` at `line`.
    pub fn new(kind: ErrorKind, line: Option<u64>, detail: impl Into<String>) -> Self {
        Self {
            kind,
            line,
            detail: detail.into(),
        }
    }
}

/// A [`LineError`] with the file it was found in: what the reader yields.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    /// The file (as given or found by the directory walk).
    pub path: Arc<Path>,
    /// The problem.
    pub error: LineError,
    /// True when the rest of the file could not be read after this error.
    pub fatal: bool,
}

impl Error {
    /// The kind of the problem.
    pub fn kind(&self) -> ErrorKind {
        self.error.kind
    }

    /// The 1-based line, if any.
    pub fn line(&self) -> Option<u64> {
        self.error.line
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.error.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}: {}", self.error.kind, self.error.detail)?;
        if self.fatal {
            f.write_str(" (rest of file skipped)")?;
        }
        write!(f, "; {}", self.error.kind.hint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_kind_and_hint() {
        let e = Error {
            path: Arc::from(Path::new("a/b.log")),
            error: LineError::new(ErrorKind::Tab, Some(3), "tab character"),
            fatal: false,
        };
        let s = e.to_string();
        assert!(s.starts_with("a/b.log:3: tab: tab character; "), "{s}");
        assert!(s.contains("single spaces"), "{s}");
    }

    #[test]
    fn kind_names_are_unique() {
        use std::collections::HashSet;
        let all = [
            ErrorKind::FieldCount,
            ErrorKind::BadInteger,
            ErrorKind::OutOfRange,
            ErrorKind::BadEnum,
            ErrorKind::BadAddress,
            ErrorKind::UnknownField,
            ErrorKind::FormatStringHeader,
            ErrorKind::DuplicateField,
            ErrorKind::RepeatedHeader,
            ErrorKind::BlankLine,
            ErrorKind::EmptyField,
            ErrorKind::Tab,
            ErrorKind::Crlf,
            ErrorKind::Bom,
            ErrorKind::Binary,
            ErrorKind::InvalidUtf8,
            ErrorKind::LineTooLong,
            ErrorKind::EmptyInput,
            ErrorKind::GzipCorrupt,
            ErrorKind::GzipTruncated,
            ErrorKind::MissingTimestamp,
            ErrorKind::BadJson,
            ErrorKind::Parquet,
            ErrorKind::Io,
        ];
        let names: HashSet<_> = all.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), all.len());
    }
}
