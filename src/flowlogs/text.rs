//! Text flow logs: S3 objects (header line first), CloudWatch Logs data
//! (header-less, optionally with the export's `<ISO timestamp> ` prefix) and
//! subscription payloads. Streams line by line in constant memory; every bad
//! line is an error the caller counts while reading goes on.
//!
//! Policy (strict, see docs/flowlogs.md): no input is fatal to the process;
//! problems are fatal only to the file when its format cannot be known (a
//! bad first line, a bad header), when it is binary (NUL in its first 64 KiB:
//! one error at that line, file skipped) or when its bytes cannot be read
//! (gzip damage: records read before it are kept). A UTF-8 BOM is reported
//! and stripped; everything else skips one line.

use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use super::error::{Error, ErrorKind, LineError};
use super::fast::Plan;
use super::fastjson::{JsonPlan, plain_prefix};
use super::header::{self, FirstLine};
use super::inflate::Inflated;
use super::layout::SourceInfo;
use super::lenient::{self, Repair, Repairs};
use super::lines::{LineEvent, LineReader};
use super::parquet::{row_error, rows_lost};
use super::parse::{MAX_LINE, check_line, parse_record};
use super::record::{Record, Slot};
use super::render::JsonWriter;
use super::schema::Schema;
use super::source::{Reading, read_error};
use super::subscription::{self, Event, MAX_PAYLOAD_BYTES};

/// Bytes examined for NUL bytes and for a JSON payload before reading lines.
const SNIFF: usize = 64 * 1024;

const BOM: &[u8] = b"\xef\xbb\xbf";

/// How to read text.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Format of header-less input (`--format`); the default format otherwise.
    pub format: Option<Arc<Schema>>,
    /// Reject unknown field names.
    pub strict: bool,
    /// Repair CRLF line endings, tabs and extra spaces, blank lines and a
    /// byte order mark instead of reporting them ([`super::lenient`]).
    pub lenient: bool,
}

/// The shared default-format schema.
pub fn default_schema() -> &'static Arc<Schema> {
    static DEFAULT: OnceLock<Arc<Schema>> = OnceLock::new();
    DEFAULT.get_or_init(|| Arc::new(Schema::default_format()))
}

#[derive(Clone, Debug)]
enum Loc {
    Stream(Range<usize>),
    Event(usize),
    /// A stream line as the lenient mode repaired it (in `repaired`).
    Repaired,
}

/// A parsed record waiting to be handed out (no borrow held).
struct Step {
    line: u64,
    loc: Loc,
    offset: usize,
    /// Already written as JSON by the fused path (no slots filled).
    written: bool,
}

/// Where [`TextReader::next_json`] writes: a block, the bytes written so far.
struct JsonOut<'a> {
    block: &'a mut Vec<u8>,
    used: &'a mut usize,
    /// Source fields are written after each record's fields.
    source_fields: bool,
}

/// The fused JSON path's plan in `slot` for `schema`, writing the source
/// fields of `source` if `source_fields`: made on first use, and again if
/// `source_fields` changed.
fn json_plan<'a>(
    slot: &'a mut Option<JsonPlan>,
    schema: &Schema,
    source: &SourceInfo,
    source_fields: bool,
) -> &'a mut JsonPlan {
    if slot
        .as_ref()
        .is_some_and(|p| p.writes_source() != source_fields)
    {
        *slot = None;
    }
    slot.get_or_insert_with(|| {
        let plan = JsonPlan::new(schema);
        if source_fields {
            plan.with_source(source)
        } else {
            plan
        }
    })
}

/// Reader of one text object.
pub struct TextReader<R> {
    path: Arc<Path>,
    lines: LineReader<R>,
    gzip: bool,
    strict: bool,
    have_format: bool,
    schema: Arc<Schema>,
    has_header: bool,
    decided: bool,
    cw_export: bool,
    started: bool,
    done: bool,
    events: Option<Vec<Event>>,
    next_event: usize,
    payload_error: Option<LineError>,
    slots: Vec<Slot>,
    plan: Plan,
    /// The fused JSON path's plan of the schema (made on first use).
    json_plan: Option<JsonPlan>,
    source: Arc<SourceInfo>,
    /// The lines are a Parquet object's rows ([`TextReader::rows`]).
    parquet: bool,
    /// [`ReadOptions::lenient`].
    lenient: bool,
    /// The last line the lenient mode repaired, and the repairs so far.
    repaired: Vec<u8>,
    repairs: Repairs,
    /// Parquet rows that could not be read (reported in their errors).
    rows_lost: u64,
    /// Counts this reader's thread as busy while the reader lives.
    _reading: Reading,
}

impl<R: Read> TextReader<R> {
    /// A reader of `reader`'s bytes, which came from `path`.
    pub fn new(path: Arc<Path>, reader: R, gzip: bool, options: &ReadOptions) -> Self {
        Self::with_lines(path, LineReader::new(reader, MAX_LINE), gzip, options)
    }

    /// A reader of the blocks a gzip stream from `path` is inflated into on
    /// a helper thread (read in place).
    pub fn from_blocks(path: Arc<Path>, blocks: Inflated, options: &ReadOptions) -> Self {
        Self::with_lines(
            path,
            LineReader::from_blocks(blocks, MAX_LINE),
            true,
            options,
        )
    }

    /// A reader of the rows of the Parquet object at `path`, rendered as
    /// text lines in `schema`'s format by `rows`: header-less text from the
    /// first line (no sniffing for a header, CloudWatch prefixes or JSON
    /// payloads); read errors are Parquet errors at their row.
    pub fn rows(path: Arc<Path>, rows: R, schema: Arc<Schema>, strict: bool) -> Self {
        let options = ReadOptions {
            format: Some(schema),
            strict,
            lenient: false,
        };
        Self::new(path, rows, false, &options).into_rows()
    }

    /// [`TextReader::rows`] of the blocks the rows are rendered into on a
    /// helper thread (read in place).
    pub fn rows_from_blocks(
        path: Arc<Path>,
        blocks: Inflated,
        schema: Arc<Schema>,
        strict: bool,
    ) -> Self {
        let options = ReadOptions {
            format: Some(schema),
            strict,
            lenient: false,
        };
        Self::from_blocks(path, blocks, &options).into_rows()
    }

    fn into_rows(mut self) -> Self {
        self.gzip = false;
        self.started = true;
        self.decided = true;
        self.parquet = true;
        self
    }

    fn with_lines(
        path: Arc<Path>,
        lines: LineReader<R>,
        gzip: bool,
        options: &ReadOptions,
    ) -> Self {
        let source = Arc::new(SourceInfo::from_path(&path));
        let schema = options
            .format
            .clone()
            .unwrap_or_else(|| Arc::clone(default_schema()));
        Self {
            path,
            lines,
            gzip,
            strict: options.strict,
            have_format: options.format.is_some(),
            plan: Plan::new(&schema),
            json_plan: None,
            schema,
            has_header: false,
            decided: false,
            cw_export: false,
            started: false,
            done: false,
            events: None,
            next_event: 0,
            payload_error: None,
            slots: Vec::with_capacity(64),
            source,
            parquet: false,
            lenient: options.lenient,
            repaired: Vec::new(),
            repairs: Repairs::default(),
            rows_lost: 0,
            _reading: Reading::start(),
        }
    }

    /// The schema in use (the header's once the first line was read).
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// True if the file started with a header line.
    pub fn has_header(&self) -> bool {
        self.has_header
    }

    /// True if the last line ended with `\n` (valid at the end).
    pub fn ends_with_newline(&self) -> bool {
        self.lines.ends_with_newline()
    }

    /// The lines repaired so far in the lenient mode ([`ReadOptions::lenient`]).
    pub fn repairs(&self) -> Repairs {
        self.repairs
    }

    /// Parquet rows that could not be read so far (each loss is also an
    /// error at its first row).
    pub fn rows_lost(&self) -> u64 {
        self.rows_lost
    }

    /// True for a CloudWatch export (timestamp-prefixed lines).
    pub fn is_cloudwatch_export(&self) -> bool {
        self.cw_export
    }

    /// The next record or error; `None` at the end of the file.
    pub fn next_record(&mut self) -> Option<Result<Record<'_>, Error>> {
        match self.advance(None)? {
            Ok(step) => Some(Ok(self.record(step))),
            Err(e) => Some(Err(e)),
        }
    }

    /// The next record written by `json` at `block[*used..]` as
    /// [`JsonWriter::write_at`] writes it (the same bytes), or the next
    /// error; `None` at the end of the file. Well-formed lines are checked
    /// and written in one pass ([`JsonPlan`]) when `block` has
    /// [`super::render::JSON_ROOM`] bytes left (and, with source fields,
    /// when they are the stream's, not a payload event's); the others are
    /// typed, then written by `json`.
    pub fn next_json(
        &mut self,
        json: &mut JsonWriter,
        block: &mut Vec<u8>,
        used: &mut usize,
    ) -> Option<Result<(), Error>> {
        let step = self.advance(Some(JsonOut {
            block,
            used: &mut *used,
            source_fields: json.source_fields,
        }));
        match step? {
            Ok(step) if step.written => Some(Ok(())),
            Ok(step) => {
                json.write_at(&self.record(step), block, used);
                Some(Ok(()))
            }
            Err(e) => Some(Err(e)),
        }
    }

    /// Writes the records of the lines already read into memory as JSON at
    /// `block[*used..]` by the fused path ([`JsonPlan`]) while `*used` is
    /// below `limit` and [`super::render::JSON_ROOM`] bytes are left, and
    /// returns how many. It stops at the first line that path does not
    /// take, at the end of the buffered bytes, and before the first line
    /// of a file (header detection) or in CloudWatch exports and payloads:
    /// [`TextReader::next_json`] goes on from there. The bytes are those
    /// `next_json` writes, with the stream's source fields after each
    /// record's if `source_fields`.
    pub fn json_run(
        &mut self,
        block: &mut [u8],
        used: &mut usize,
        limit: usize,
        source_fields: bool,
    ) -> u64 {
        if !self.runs_lines() {
            return 0;
        }
        let plan = json_plan(
            &mut self.json_plan,
            &self.schema,
            &self.source,
            source_fields,
        );
        let mut written = 0;
        while *used < limit {
            // Whole lines where they lie, then one line near the buffer's
            // end (or one the run stopped at) through the line's copy.
            let (text, plain) = self.lines.checked_run(plain_prefix);
            let (bytes, lines) = plan.write_lines(text, plain, block, used, limit);
            self.lines.take_run(bytes, lines);
            written += lines;
            if *used >= limit {
                break;
            }
            let Some(span) = self.lines.peek_line() else {
                break;
            };
            let Some(n) = block
                .get_mut(*used..)
                .and_then(|out| plan.write(self.lines.bytes(span.clone()), out))
            else {
                break;
            };
            *used += n;
            written += 1;
            self.lines.take(span);
        }
        written
    }

    /// Counts the records of the lines already read into memory that the
    /// fused path takes, as [`TextReader::json_run`] would write them
    /// (same lines, same stops), without writing anything: the count-only
    /// mode. [`TextReader::next_json`] goes on from where it stops.
    pub fn count_run(&mut self) -> u64 {
        if !self.runs_lines() {
            return 0;
        }
        let plan = self
            .json_plan
            .get_or_insert_with(|| JsonPlan::new(&self.schema));
        let mut counted = 0;
        loop {
            let (text, plain) = self.lines.checked_run(plain_prefix);
            let (bytes, lines) = plan.count_lines(text, plain);
            self.lines.take_run(bytes, lines);
            counted += lines;
            let Some(span) = self.lines.peek_line() else {
                break;
            };
            if !plan.takes(self.lines.bytes(span.clone())) {
                break;
            }
            counted += 1;
            self.lines.take(span);
        }
        counted
    }

    /// True once runs of buffered lines may be taken by the fused path
    /// ([`TextReader::json_run`], [`TextReader::count_run`]): past the first
    /// line (header detection), in a plain text stream (not a CloudWatch
    /// export or a JSON payload), not ended.
    fn runs_lines(&self) -> bool {
        self.decided && !self.cw_export && self.events.is_none() && !self.done
    }

    fn record(&self, step: Step) -> Record<'_> {
        let (bytes, source) = match step.loc {
            Loc::Stream(r) => (self.lines.bytes(r), &self.source),
            Loc::Repaired => (&self.repaired[..], &self.source),
            Loc::Event(i) => match self.events.as_ref().and_then(|e| e.get(i)) {
                Some(e) => (e.message.as_bytes(), &e.source),
                None => (&b""[..], &self.source),
            },
        };
        // Checked in `advance` (by the fast path's printable-ASCII test or by
        // `check_line`): handed out as bytes, not checked again. The
        // CloudWatch prefix is ASCII (its shape was matched).
        let text = bytes.get(step.offset..).unwrap_or_default();
        let prefix = (step.offset > 0).then(|| {
            let p = bytes.get(..step.offset - 1).unwrap_or_default();
            std::str::from_utf8(p).unwrap_or_default()
        });
        Record {
            schema: &self.schema,
            text,
            slots: &self.slots,
            prefix,
            line: step.line,
            source,
        }
    }

    fn error(&mut self, error: LineError, fatal: bool) -> Error {
        if fatal {
            self.done = true;
        }
        Error {
            path: Arc::clone(&self.path),
            error,
            fatal,
        }
    }

    /// Sniffs the first bytes: empty input, BOM, binary, JSON payload.
    fn start(&mut self) -> Option<Error> {
        let gzip = self.gzip;
        let head = match self.lines.peek(SNIFF) {
            Ok(h) => h,
            Err(e) => return Some(self.error(read_error(&e, gzip), true)),
        };
        if head.is_empty() {
            return Some(self.error(
                LineError::new(ErrorKind::EmptyInput, None, "empty input"),
                true,
            ));
        }
        if let Some(nul) = head.iter().position(|b| *b == 0) {
            let line = head[..nul].iter().filter(|b| **b == b'\n').count() as u64 + 1;
            return Some(self.error(
                LineError::new(ErrorKind::Binary, Some(line), "NUL byte: not a text file"),
                true,
            ));
        }
        let bom = head.starts_with(BOM);
        let json = head
            .iter()
            .skip(if bom { BOM.len() } else { 0 })
            .find(|b| !b.is_ascii_whitespace())
            == Some(&b'{');
        if bom {
            self.lines.consume(BOM.len());
            if self.lenient {
                self.repairs.bom += 1;
            }
        }
        if json {
            match self.lines.read_rest(MAX_PAYLOAD_BYTES) {
                Ok(Some(bytes)) => {
                    let (events, err) = subscription::parse_payloads(&bytes, &self.source);
                    self.events = Some(events);
                    self.payload_error = err;
                }
                Ok(None) => {
                    let e = LineError::new(
                        ErrorKind::BadJson,
                        None,
                        format!("JSON payload larger than {MAX_PAYLOAD_BYTES} bytes"),
                    );
                    return Some(self.error(e, true));
                }
                Err(e) => return Some(self.error(read_error(&e, gzip), true)),
            }
        }
        (bom && !self.lenient).then(|| {
            self.error(
                LineError::new(ErrorKind::Bom, Some(1), "UTF-8 byte order mark"),
                false,
            )
        })
    }

    fn next_line(&mut self) -> Option<Result<(u64, Option<Loc>), Error>> {
        if let Some(events) = &self.events {
            if self.next_event < events.len() {
                self.next_event += 1;
                return Some(Ok((
                    self.next_event as u64,
                    Some(Loc::Event(self.next_event - 1)),
                )));
            }
            let e = self.payload_error.take()?;
            return Some(Err(self.error(e, true)));
        }
        match self.lines.next()? {
            Ok((n, LineEvent::Line(r))) => Some(Ok((n, Some(Loc::Stream(r))))),
            Ok((n, LineEvent::TooLong)) => Some(Ok((n, None))),
            Err(e) => {
                // A Parquet read error carries its row (`row_error`); after
                // rows lost in a row group, reading goes on past them
                // (`rows_lost`). Any other read error is final.
                let err = row_error(&e).unwrap_or_else(|| read_error(&e, self.gzip));
                let lost = if self.parquet { rows_lost(&e) } else { None };
                if let Some(lost) = lost {
                    self.lines.resume(lost);
                    self.rows_lost = self.rows_lost.saturating_add(lost);
                }
                Some(Err(self.error(err, lost.is_none())))
            }
        }
    }

    fn advance(&mut self, mut json: Option<JsonOut<'_>>) -> Option<Result<Step, Error>> {
        loop {
            if self.done {
                return None;
            }
            if !self.started {
                self.started = true;
                if let Some(e) = self.start() {
                    return Some(Err(e));
                }
                continue;
            }
            let (line, loc) = match self.next_line() {
                None => {
                    self.done = true;
                    return None;
                }
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(x)) => x,
            };
            let first = !self.decided;
            let bytes = match &loc {
                Some(Loc::Stream(r)) => self.lines.bytes(r.clone()),
                // `next_line` gives stream lines and events only.
                Some(Loc::Repaired) => &[],
                Some(Loc::Event(i)) => self
                    .events
                    .as_ref()
                    .and_then(|e| e.get(*i))
                    .map_or(&b""[..], |e| e.message.as_bytes()),
                None => {
                    let e = LineError::new(
                        ErrorKind::LineTooLong,
                        Some(line),
                        format!("line longer than {MAX_LINE} bytes"),
                    );
                    return Some(Err(self.error(e, first)));
                }
            };
            // The lenient mode repairs a stream line before it is read
            // (runs of the fused path take only plain lines, which need no
            // repair; lines here may), so that a repaired line takes the
            // fast paths too.
            let mut loc = loc;
            let bytes = match (&loc, self.lenient) {
                (Some(Loc::Stream(_)), true) => {
                    match lenient::repair(bytes, &mut self.repaired, &mut self.repairs) {
                        Repair::Unchanged => bytes,
                        Repair::Blank => continue,
                        Repair::Repaired => {
                            loc = Some(Loc::Repaired);
                            &self.repaired[..]
                        }
                    }
                }
                _ => bytes,
            };
            if !first {
                // The fast path takes well-formed lines; anything else goes
                // through the general path below, which reports the error.
                let offset = if self.cw_export {
                    cloudwatch_prefix_bytes(bytes)
                } else {
                    Some(0)
                };
                if let (Some(offset), Some(loc)) = (offset, &loc) {
                    let body = &bytes[offset..];
                    // A payload event's source fields are its own, not
                    // the stream's: such records are typed, then written.
                    let fused = json.as_mut().filter(|out| {
                        !out.source_fields || matches!(loc, Loc::Stream(_) | Loc::Repaired)
                    });
                    if let Some(out) = fused {
                        let plan = json_plan(
                            &mut self.json_plan,
                            &self.schema,
                            &self.source,
                            out.source_fields,
                        );
                        let at = *out.used;
                        if let Some(n) = out.block.get_mut(at..).and_then(|b| plan.write(body, b)) {
                            *out.used = at + n;
                            return Some(Ok(Step {
                                line,
                                loc: loc.clone(),
                                offset,
                                written: true,
                            }));
                        }
                    }
                    if self.plan.parse(body, &mut self.slots) {
                        return Some(Ok(Step {
                            line,
                            loc: loc.clone(),
                            offset,
                            written: false,
                        }));
                    }
                }
            }
            let text = match check_line(bytes, line) {
                Ok(t) => t,
                // A Parquet value's `\n` is rendered as a NUL byte
                // (`super::parquet`).
                Err(e) if self.parquet && e.kind == ErrorKind::Binary => {
                    let e = LineError::new(
                        ErrorKind::Binary,
                        Some(line),
                        "NUL byte or newline in a value",
                    );
                    return Some(Err(self.error(e, first)));
                }
                Err(e) => return Some(Err(self.error(e, first))),
            };
            if first {
                self.decided = true;
                self.cw_export = cloudwatch_prefix_len(text).is_some();
                if !self.cw_export {
                    match header::classify(text, self.have_format, self.strict) {
                        Ok(FirstLine::Header(schema)) => {
                            self.plan = Plan::new(&schema);
                            self.json_plan = None;
                            self.schema = Arc::new(schema);
                            self.has_header = true;
                            continue;
                        }
                        Ok(FirstLine::Data) => {}
                        Err(e) => return Some(Err(self.error(e, true))),
                    }
                }
            }
            let offset = if self.cw_export {
                match cloudwatch_prefix_len(text) {
                    Some(n) => n,
                    None => {
                        let e = LineError::new(
                            ErrorKind::MissingTimestamp,
                            Some(line),
                            "missing CloudWatch export timestamp prefix",
                        );
                        return Some(Err(self.error(e, false)));
                    }
                }
            } else {
                0
            };
            let body = &text[offset..];
            return match parse_record(&self.schema, body, line, &mut self.slots) {
                Ok(()) => Some(Ok(Step {
                    line,
                    loc: loc?,
                    offset,
                    written: false,
                })),
                Err(e) => Some(Err(self.error(e, false))),
            };
        }
    }
}

/// Length of a CloudWatch export prefix (`2026-11-22T11:59:00.000Z `,
/// fraction optional), including the space.
pub fn cloudwatch_prefix_len(line: &str) -> Option<usize> {
    cloudwatch_prefix_bytes(line.as_bytes())
}

/// [`cloudwatch_prefix_len`] on bytes (the prefix is ASCII when it matches).
pub fn cloudwatch_prefix_bytes(line: &[u8]) -> Option<usize> {
    let sp = memchr::memchr(b' ', line)?;
    let ts = &line[..sp];
    let digits = |r: Range<usize>| ts.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shape = ts.len() >= 20
        && digits(0..4)
        && ts[4] == b'-'
        && digits(5..7)
        && ts[7] == b'-'
        && digits(8..10)
        && ts[10] == b'T'
        && digits(11..13)
        && ts[13] == b':'
        && digits(14..16)
        && ts[16] == b':'
        && digits(17..19)
        && ts[ts.len() - 1] == b'Z'
        && (ts.len() == 20 || (ts.len() > 21 && ts[19] == b'.' && digits(20..ts.len() - 1)));
    shape.then_some(sp + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flowlogs::lines::tests::Pieces;
    use std::path::PathBuf;

    type Found = (Vec<String>, Vec<(ErrorKind, Option<u64>, bool)>);

    fn read(input: &[u8], format: Option<&str>) -> Found {
        let options = ReadOptions {
            format: format.map(|f| Arc::new(Schema::from_format_string(f, false).unwrap())),
            strict: false,
            lenient: false,
        };
        let mut r = TextReader::new(Arc::from(PathBuf::from("t.log")), input, false, &options);
        let (mut recs, mut errs) = (Vec::new(), Vec::new());
        while let Some(item) = r.next_record() {
            match item {
                Ok(rec) => recs.push(format!("{}:{}", rec.line(), rec.text())),
                Err(e) => errs.push((e.kind(), e.line(), e.fatal)),
            }
        }
        (recs, errs)
    }

    const H: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";
    const R: &str = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";

    /// The JSON of `input` and its errors, by `next_json` (fused) or by
    /// `next_record` and `JsonWriter::write` (typed).
    /// With source fields if `source_fields` (those of an S3 key).
    fn json(
        input: &[u8],
        format: Option<&str>,
        fused: bool,
        source_fields: bool,
    ) -> (Vec<u8>, Vec<String>) {
        let options = ReadOptions {
            format: format.map(|f| Arc::new(Schema::from_format_string(f, false).unwrap())),
            strict: false,
            lenient: false,
        };
        let r = TextReader::new(Arc::from(PathBuf::from(S3_KEY)), input, false, &options);
        json_of(r, fused, source_fields)
    }

    /// A lenient reader of `input` (default format unless it has a header).
    fn lenient(input: &[u8]) -> TextReader<&[u8]> {
        let options = ReadOptions {
            lenient: true,
            ..ReadOptions::default()
        };
        TextReader::new(Arc::from(PathBuf::from(S3_KEY)), input, false, &options)
    }

    #[test]
    fn lenient_mode_reads_repaired_lines_as_their_clean_text() {
        let spaced = R.replace(' ', " \t  ");
        let messy = format!("\u{feff}{H}\r\n{R}\r\n\r\n \t\n\t{spaced} \r\n\n{R}\n");
        let clean = format!("{H}\n{R}\n{R}\n{R}\n");
        // Strict: errors, as the malformed corpus expects.
        let (_, errs) = read(messy.as_bytes(), None);
        assert!(errs.iter().any(|e| e.0 == ErrorKind::Crlf), "{errs:?}");
        assert!(errs.iter().any(|e| e.0 == ErrorKind::Bom), "{errs:?}");
        // Lenient: the clean text's records (at the messy text's lines),
        // nothing reported, the repairs counted.
        let mut r = lenient(messy.as_bytes());
        let mut got = Vec::new();
        while let Some(item) = r.next_record() {
            let rec = item.unwrap();
            got.push((rec.line(), rec.text().to_string(), rec.srcport()));
        }
        let want: Vec<_> = [2, 5, 7]
            .into_iter()
            .map(|l| (l, R.to_string(), Some(20641)))
            .collect();
        assert_eq!(got, want);
        let repairs = r.repairs();
        assert_eq!(
            (repairs.crlf, repairs.whitespace, repairs.blank, repairs.bom),
            (3, 1, 3, 1)
        );
        // JSON, fused or typed, as of the clean text; counting agrees.
        let (want_json, want_errs) = json(clean.as_bytes(), None, true, true);
        assert!(want_errs.is_empty());
        for fused in [true, false] {
            let (got_json, errs) = json_of(lenient(messy.as_bytes()), fused, true);
            assert!(errs.is_empty(), "{errs:?}");
            assert_eq!(got_json, want_json, "fused {fused}");
        }
        assert_eq!(count_of(lenient(messy.as_bytes())), (3, vec![]));
    }

    #[test]
    fn lenient_mode_still_reports_what_it_does_not_repair() {
        // A `\r` inside a line, a short line once repaired, a bad value.
        let messy = format!(
            "{H}\r\n{}\r\n{R}  extra\r\n{}\r\n{R}\r\n",
            R.replacen(' ', "\r", 1),
            R.replace("ACCEPT", "ALLOW"),
        );
        let mut r = lenient(messy.as_bytes());
        let (mut lines, mut kinds) = (Vec::new(), Vec::new());
        while let Some(item) = r.next_record() {
            match item {
                Ok(rec) => lines.push(rec.line()),
                Err(e) => kinds.push((e.kind(), e.line(), e.fatal)),
            }
        }
        assert_eq!(lines, [5]);
        assert_eq!(
            kinds,
            [
                (ErrorKind::Crlf, Some(2), false),
                (ErrorKind::FieldCount, Some(3), false),
                (ErrorKind::BadEnum, Some(4), false),
            ]
        );
    }

    /// A path in the S3 layout: every source field but the CloudWatch ones.
    const S3_KEY: &str = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/22/\
        123456789012_vpcflowlogs_us-east-1_fl-0bench000000000000_20261122T1200Z_0a1b2c3d.log";

    /// The records and errors of `r` in the count-only mode, as the CLI's
    /// `--count` runs it: `count_run`, then one record by `next_json`.
    fn count_of<R: Read>(mut r: TextReader<R>) -> (u64, Vec<String>) {
        let mut writer = JsonWriter::new(false);
        let (mut count, mut errs) = (0, Vec::new());
        let mut out = vec![0u8; super::super::render::JSON_ROOM];
        loop {
            count += r.count_run();
            let mut used = 0;
            match r.next_json(&mut writer, &mut out, &mut used) {
                None => break,
                Some(Ok(())) => count += 1,
                Some(Err(e)) => errs.push(e.to_string()),
            }
        }
        (count, errs)
    }

    /// [`json`] from a reader made by the caller.
    fn json_of<R: Read>(
        mut r: TextReader<R>,
        fused: bool,
        source_fields: bool,
    ) -> (Vec<u8>, Vec<String>) {
        let mut writer = JsonWriter::new(source_fields);
        let (mut out, mut errs) = (Vec::new(), Vec::new());
        let mut used = 0;
        loop {
            let item = if fused {
                let room = super::super::render::JSON_ROOM;
                out.resize(used + 3 * room, 0);
                r.json_run(&mut out, &mut used, usize::MAX, source_fields);
                out.resize(used + room, 0);
                r.next_json(&mut writer, &mut out, &mut used)
            } else {
                r.next_record()
                    .map(|i| i.map(|rec| writer.write(&rec, &mut out)))
            };
            match item {
                None => break,
                Some(Ok(())) => {}
                Some(Err(e)) => errs.push(e.to_string()),
            }
        }
        if fused {
            out.truncate(used);
        }
        (out, errs)
    }

    #[test]
    fn fused_json_agrees_with_typed_json() {
        let v6 = R.replace("172.31.16.139", "2600:1f18::1");
        let quote = R.replace("eni-", "eni\"");
        let zeros = R.replace(" 22 ", " 022 ");
        let bad = R.replace(" 22 ", " 70000 ");
        let input = format!("{H}\n{R}\n{v6}\n{quote}\n{zeros}\n{bad}\n\n{R} x\n{H}\n{R}");
        let cw = format!("2026-11-22T11:59:00.000Z {R}\n2026-11-22T11:59:01Z {v6}\nno prefix\n");
        let custom = "${srcaddr} ${dstaddr} ${start}";
        for (input, format) in [
            (input.as_str(), None),
            (cw.as_str(), None),
            (
                "10.0.0.1 10.0.0.2 1418530010123\n::1 - 5\n1 2 3\n",
                Some(custom),
            ),
        ] {
            for source_fields in [false, true] {
                let typed = json(input.as_bytes(), format, false, source_fields);
                assert!(!typed.0.is_empty());
                assert_eq!(
                    json(input.as_bytes(), format, true, source_fields),
                    typed,
                    "{input}"
                );
            }
        }
    }

    #[test]
    fn fused_json_agrees_over_long_inputs_in_pieces_and_blocks() {
        // Past several buffers: runs of good lines read where they lie,
        // bad and unusual lines among them, lines cut by reads and blocks.
        let unusual = [
            R.replace("172.31.16.139", "2600:1f18::1"),
            R.replace("eni-", "eni\""),
            R.replace(" 22 ", " 70000 "),
            String::new(),
            format!("{R} x"),
            H.to_string(),
            R.replace(" OK", " OK\r"),
            R.replace("eni-", "eni-\u{e9}"),
            "x".repeat(1500),
            R.replace(" 22 ", " 022 "),
        ];
        let mut input = format!("{H}\n");
        for i in 0..5000usize {
            let k = i * 7919 % 97;
            input += if k < 87 { R } else { &unusual[k - 87] };
            input.push('\n');
        }
        input += R;
        let bytes = input.as_bytes();
        let options = ReadOptions::default();
        let path: Arc<Path> = Arc::from(PathBuf::from(S3_KEY));
        // With source fields, the fused runs end each record with them.
        let sourced = json(bytes, None, false, true);
        assert_eq!(json(bytes, None, true, true), sourced);
        let r = TextReader::new(Arc::clone(&path), Pieces(bytes, 997), false, &options);
        assert_eq!(json_of(r, true, true), sourced, "pieces, source fields");
        let typed = json(bytes, None, false, false);
        assert_eq!(json(bytes, None, true, false), typed);
        for piece in [4096, 997, 1] {
            let r = TextReader::new(Arc::clone(&path), Pieces(bytes, piece), false, &options);
            assert_eq!(json_of(r, true, false), typed, "pieces of {piece}");
        }
        let blocks = Inflated::spawn(std::io::Cursor::new(bytes.to_vec()))
            .ok()
            .unwrap();
        let r = TextReader::<&[u8]>::from_blocks(Arc::clone(&path), blocks, &options);
        assert_eq!(json_of(r, true, false), typed, "blocks");
        // The count-only mode: as many records as the typed JSON has
        // objects, the same errors.
        let records = typed.0.iter().filter(|&&b| b == b'\n').count() as u64;
        for piece in [usize::MAX, 997] {
            let r = TextReader::new(Arc::clone(&path), Pieces(bytes, piece), false, &options);
            assert_eq!(
                count_of(r),
                (records, typed.1.clone()),
                "count, pieces of {piece}"
            );
        }
        let blocks = Inflated::spawn(std::io::Cursor::new(bytes.to_vec()))
            .ok()
            .unwrap();
        let r = TextReader::<&[u8]>::from_blocks(path, blocks, &options);
        assert_eq!(count_of(r), (records, typed.1.clone()), "count, blocks");
    }

    #[test]
    fn header_then_records_and_bad_lines_skipped() {
        let input = format!("{H}\n{R}\n{}\n\n{R}", &R[..20]);
        let (recs, errs) = read(input.as_bytes(), None);
        assert_eq!(recs, vec![format!("2:{R}"), format!("5:{R}")]);
        assert_eq!(
            errs,
            vec![
                (ErrorKind::FieldCount, Some(3), false),
                (ErrorKind::BlankLine, Some(4), false)
            ]
        );
    }

    #[test]
    fn headerless_uses_format() {
        let (recs, errs) = read(
            b"eni-1 10.0.0.1\neni-2 -\n",
            Some("${interface-id} ${srcaddr}"),
        );
        assert_eq!(recs, vec!["1:eni-1 10.0.0.1", "2:eni-2 -"]);
        assert!(errs.is_empty());
    }

    #[test]
    fn cloudwatch_export_prefix_is_stripped_and_kept() {
        let input = format!("2026-11-22T11:59:00.000Z {R}\n{R}\n");
        let options = ReadOptions::default();
        let mut r = TextReader::new(
            Arc::from(PathBuf::from("t")),
            input.as_bytes(),
            false,
            &options,
        );
        let rec = r.next_record().unwrap().unwrap();
        assert_eq!(rec.prefix(), Some("2026-11-22T11:59:00.000Z"));
        assert_eq!(rec.text(), R);
        assert_eq!(
            r.next_record().unwrap().unwrap_err().kind(),
            ErrorKind::MissingTimestamp
        );
        assert!(r.next_record().is_none());
        assert_eq!(cloudwatch_prefix_len("2026-11-22T11:59:00Z x"), Some(21));
        assert_eq!(cloudwatch_prefix_len("2026-11-22T11:59:00.Z x"), None);
        assert_eq!(cloudwatch_prefix_len("2 x"), None);
    }

    #[test]
    fn file_level_problems() {
        assert_eq!(read(b"", None).1, vec![(ErrorKind::EmptyInput, None, true)]);
        assert_eq!(
            read(format!("{H}\n{R}\nREJ\0ECT\n").as_bytes(), None),
            (vec![], vec![(ErrorKind::Binary, Some(3), true)])
        );
        let (recs, errs) = read(format!("\u{feff}{H}\n{R}\n").as_bytes(), None);
        assert_eq!(recs.len(), 1);
        assert_eq!(errs, vec![(ErrorKind::Bom, Some(1), false)]);
        let (recs, errs) = read(format!("{H}\r\n{R}\r\n").as_bytes(), None);
        assert!(recs.is_empty());
        assert_eq!(errs, vec![(ErrorKind::Crlf, Some(1), true)]);
        let (_, errs) = read(format!("{H}\n{H}\n").as_bytes(), None);
        assert_eq!(errs, vec![(ErrorKind::RepeatedHeader, Some(2), false)]);
        let (recs, errs) = read(format!("{H}\n").as_bytes(), None);
        assert!(recs.is_empty() && errs.is_empty());
    }

    #[test]
    fn subscription_payload() {
        let json = format!(
            r#"{{"messageType":"DATA_MESSAGE","logStream":"eni-1","logEvents":[{{"message":"{R}"}},{{"message":"bad"}}]}}"#
        );
        let (recs, errs) = read(json.as_bytes(), None);
        assert_eq!(recs, vec![format!("1:{R}")]);
        assert_eq!(errs, vec![(ErrorKind::FieldCount, Some(2), false)]);
    }
}
