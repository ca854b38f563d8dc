//! `vxtap flowlogs parse|stats`: read VPC Flow Logs in any delivery form
//! (files or directories), print records as text or JSON, or summarise them.
//! Bad lines are reported on stderr as `file:line: kind: detail; hint`; the
//! exit code is 1 when anything was skipped.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use crate::flowlogs::{
    Error, ErrorKind, FileReader, JSON_ROOM, JsonWriter, ReadOptions, Repairs, Schema, Stats,
    Summary, Template, collect_inputs, parallel, render_original, stats::Ranked,
};

/// Output chunk size handed from a worker to the writer.
const CHUNK: usize = 256 * 1024;
/// The reused block `--count` writes (and drops) its JSON into.
const COUNT_CHUNK: usize = 16 * 1024;

/// Arguments of `vxtap flowlogs`.
#[derive(Debug, clap::Args)]
pub struct FlowlogsArgs {
    #[command(subcommand)]
    pub command: FlowlogsCommand,
}

/// The `flowlogs` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum FlowlogsCommand {
    /// Parse flow logs and print the records (text, JSON lines, or a count).
    Parse(ParseArgs),
    /// Summarise flow logs: time span, accepted/rejected, top talkers, ports, interfaces.
    Stats(StatsArgs),
}

/// Inputs and reading options shared by `parse` and `stats`.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Files or directories; directories are walked (S3 `AWSLogs/` trees, Hive
    /// prefixes, CloudWatch exports). Gzip, Parquet and plain text are told
    /// apart by content.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Format of header-less input (CloudWatch Logs): AWS's `${version} ${srcaddr} …`
    /// string or bare names. Files with a header line use their header.
    /// Default: the default (version 2) format.
    #[arg(long)]
    pub format: Option<String>,
    /// Reject field names this version does not know instead of keeping them as text.
    #[arg(long)]
    pub strict: bool,
    /// Repair what AWS never writes but other tools make of flow logs: CRLF
    /// line endings, tabs or runs of spaces between fields, blank lines, a
    /// byte order mark. Repaired lines are counted in the summary instead of
    /// being reported and skipped.
    #[arg(long)]
    pub lenient: bool,
    /// Files parsed in parallel (default: all cores). 1 = everything on one thread.
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
    /// Errors printed per file; further ones are only counted.
    #[arg(long, default_value_t = 20)]
    pub max_errors_per_file: u64,
    /// Write records as soon as they are ready instead of in file order
    /// (files interleave in blocks of whole records): scales with -j when
    /// there are many files.
    #[arg(long)]
    pub unordered: bool,
    /// In file order: output of later files held in memory while an
    /// earlier one is written, at most this many bytes (suffix K, M or G:
    /// KiB, MiB, GiB). Larger lets later files run further ahead.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub reorder_buffer: usize,
}

/// A size in bytes, with an optional binary suffix: `65536`, `64K`, `64M`, `1G`.
fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((at, 'k' | 'K')) => (&t[..at], 10),
        Some((at, 'm' | 'M')) => (&t[..at], 20),
        Some((at, 'g' | 'G')) => (&t[..at], 30),
        _ => (t, 0),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("not a size: '{text}' (bytes, or a number with K, M or G)"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("too large: '{text}'"))
}

/// Arguments of `vxtap flowlogs parse`.
#[derive(Debug, clap::Args)]
pub struct ParseArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// One JSON object per record: AWS field names as keys, integers for integer
    /// fields, strings otherwise, null for `-`; start/end in seconds.
    #[arg(long, conflicts_with_all = ["count", "output_format"])]
    pub json: bool,
    /// Print only the number of records (all fields are still parsed and checked).
    #[arg(long, conflicts_with = "output_format")]
    pub count: bool,
    /// Render records in this `${field} …` format (also `${flow-log-id}`,
    /// `${source-file}`, …); missing fields print as `-`. Default: as read.
    #[arg(long)]
    pub output_format: Option<String>,
    /// With --json: add the fields known from where a record was stored
    /// (source-file, source-account-id, source-region, source-date, source-hour,
    /// flow-log-id, source-window, log-group, log-stream).
    #[arg(long)]
    pub source_fields: bool,
}

/// Arguments of `vxtap flowlogs stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Entries per ranking.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

/// Runs `vxtap flowlogs`.
pub fn run(args: FlowlogsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        FlowlogsCommand::Parse(a) => parse(a),
        FlowlogsCommand::Stats(a) => stats(a),
    }
}

/// What a worker sends for one file.
enum Msg {
    Data(Vec<u8>),
    Error(Error),
    Stats(Box<Stats>),
    /// Records read, repairs made, Parquet rows lost.
    Done(u64, Repairs, u64),
}

impl Msg {
    /// The memory a waiting message holds, for the reorder buffer's cap.
    fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + match self {
                Self::Data(block) => block.capacity(),
                Self::Error(e) => e.error.detail.capacity(),
                Self::Stats(_) => std::mem::size_of::<Stats>(),
                Self::Done(..) => 0,
            }
    }
}

/// Totals over all files, and error reporting.
struct Report {
    max_per_file: u64,
    records: u64,
    errors: BTreeMap<ErrorKind, u64>,
    printed: std::collections::HashMap<usize, u64>,
    failures: u64,
    /// Lines repaired by `--lenient` (not errors).
    repairs: Repairs,
    /// Parquet rows that could not be read (each loss is also an error).
    rows_lost: u64,
}

impl Report {
    fn error(&mut self, file: usize, e: &Error) {
        *self.errors.entry(e.kind()).or_default() += 1;
        let printed = self.printed.entry(file).or_default();
        *printed += 1;
        if *printed <= self.max_per_file {
            eprintln!("vxtap: {e}");
        } else if *printed == self.max_per_file + 1 {
            eprintln!(
                "vxtap: {}: more errors, only counted from here",
                e.path.display()
            );
        }
    }

    /// What a file's end reports besides its records.
    fn done(&mut self, repairs: &Repairs, rows_lost: u64) {
        self.repairs.add(repairs);
        self.rows_lost = self.rows_lost.saturating_add(rows_lost);
    }

    fn skipped(&self) -> u64 {
        self.errors.values().sum::<u64>() + self.failures
    }

    fn finish(&self, files: usize, ignored: usize) -> ExitCode {
        let kinds: Vec<String> = self
            .errors
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let mut line = format!("vxtap: {files} files, {} records", self.records);
        if !kinds.is_empty() {
            line += &format!(
                ", {} errors ({})",
                self.errors.values().sum::<u64>(),
                kinds.join(", ")
            );
        }
        if self.rows_lost > 0 {
            line += &format!(", {} Parquet rows lost", self.rows_lost);
        }
        if self.repairs.total() > 0 {
            let n = self.repairs.total();
            let s = if n == 1 { "" } else { "s" };
            line += &format!(", {n} repair{s} by --lenient ({})", self.repairs.describe());
        }
        if ignored > 0 {
            line += &format!(", {ignored} unrelated files ignored");
        }
        eprintln!("{line}");
        if self.skipped() > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

struct Prepared {
    files: Vec<PathBuf>,
    ignored: usize,
    options: ReadOptions,
    threads: usize,
    report: Report,
}

fn prepare(input: &InputArgs) -> anyhow::Result<Prepared> {
    let format = match &input.format {
        Some(f) => Some(Arc::new(
            Schema::from_format_string(f, input.strict)
                .map_err(anyhow::Error::new)
                .context("--format")?,
        )),
        None => None,
    };
    let inputs = collect_inputs(&input.paths);
    for (path, why) in &inputs.ignored {
        eprintln!("vxtap: {}: ignored: {why}", path.display());
    }
    for (path, err) in &inputs.unreadable {
        eprintln!(
            "vxtap: {}: io: cannot read: {err}; check the path and permissions",
            path.display()
        );
    }
    let threads = input
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    Ok(Prepared {
        ignored: inputs.ignored.len(),
        files: inputs.files,
        options: ReadOptions {
            format,
            strict: input.strict,
            lenient: input.lenient,
        },
        threads,
        report: Report {
            max_per_file: input.max_errors_per_file,
            records: 0,
            errors: BTreeMap::new(),
            printed: Default::default(),
            failures: inputs.unreadable.len() as u64,
            repairs: Repairs::default(),
            rows_lost: 0,
        },
    })
}

enum Mode {
    Json(bool),
    Template(Template),
    Original,
    Count,
}

fn parse(args: ParseArgs) -> anyhow::Result<ExitCode> {
    let mut p = prepare(&args.input)?;
    let mode = if args.count {
        Mode::Count
    } else if args.json {
        Mode::Json(args.source_fields)
    } else if let Some(f) = &args.output_format {
        Mode::Template(Template::parse(f))
    } else {
        Mode::Original
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(CHUNK, stdout.lock());
    let mut write_error: Option<io::Error> = None;
    let (files, options) = (&p.files, &p.options);
    let report = &mut p.report;
    let blocks = Blocks::new(p.threads, args.input.reorder_buffer);
    let work = |i: usize, emit: &mut dyn FnMut(Msg) -> bool| {
        parse_file(&files[i], options, &mode, &blocks, emit)
    };
    let consume = |i: usize, msg: Msg| {
        match msg {
            Msg::Data(bytes) => {
                if let Err(e) = out.write_all(&bytes) {
                    write_error = Some(e);
                    return ControlFlow::Break(());
                }
                blocks.give(bytes);
            }
            Msg::Error(e) => report.error(i, &e),
            Msg::Done(n, repairs, lost) => {
                report.records += n;
                report.done(&repairs, lost);
            }
            Msg::Stats(_) => {}
        }
        ControlFlow::Continue(())
    };
    if args.input.unordered {
        parallel::run_unordered(files.len(), p.threads, work, consume);
    } else {
        parallel::run_ordered(
            files.len(),
            p.threads,
            args.input.reorder_buffer,
            Msg::bytes,
            work,
            consume,
        );
    }
    if let Some(e) = write_error {
        return Err(e).context("writing records");
    }
    out.flush().context("writing records")?;
    drop(out);
    if args.count {
        println!("{}", report.records);
    }
    Ok(report.finish(p.files.len(), p.ignored))
}

/// Output blocks the writer has written, handed back to the workers: a
/// fresh block would be zero-filled (JSON) and page-faulted in for every
/// 256 KiB of output. The last block handed back is taken first: after
/// later files ran ahead, hundreds of blocks wait here, and taking the
/// oldest would write every block of output into memory long out of cache.
struct Blocks {
    free: Mutex<Vec<Vec<u8>>>,
    most: usize,
}

impl Blocks {
    fn new(threads: usize, reorder_buffer: usize) -> Self {
        // Enough for the blocks in flight: those the reorder buffer holds
        // and a few per worker.
        let most = reorder_buffer / CHUNK + 4 * threads.max(1) + 4;
        Self {
            free: Mutex::new(Vec::new()),
            most,
        }
    }

    /// The block handed back last, if any.
    fn recycled(&self) -> Vec<u8> {
        self.free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default()
    }

    /// A block for `mode`: JSON writes in place into an initialised block of
    /// CHUNK + JSON_ROOM bytes (a recycled one is only topped up), counting
    /// into one of COUNT_CHUNK + JSON_ROOM bytes that is never handed on; the
    /// other renderers append to an empty one.
    fn take(&self, mode: &Mode) -> Vec<u8> {
        match mode {
            Mode::Count => vec![0; COUNT_CHUNK + JSON_ROOM],
            Mode::Json(_) => {
                let mut b = self.recycled();
                b.resize(CHUNK + JSON_ROOM, 0);
                b
            }
            _ => {
                let mut b = self.recycled();
                b.clear();
                b.reserve(CHUNK + 4096);
                b
            }
        }
    }

    /// Hands a written block back (dropped when enough are waiting).
    fn give(&self, block: Vec<u8>) {
        if block.capacity() >= CHUNK {
            let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
            if free.len() < self.most {
                free.push(block);
            }
        }
    }
}

fn parse_file(
    path: &std::path::Path,
    options: &ReadOptions,
    mode: &Mode,
    blocks: &Blocks,
    emit: &mut dyn FnMut(Msg) -> bool,
) {
    let mut reader = FileReader::open(path, options);
    // JSON is written in place (`used` bytes of the block written so far).
    let new_block = || blocks.take(mode);
    let mut buf = new_block();
    let mut used = 0;
    let mut records = 0u64;
    // --count checks every record as --json does: runs of lines by the
    // fused path's checks without its writes (`count_run`), and the other
    // records by the per-record path, whose JSON goes into a small block
    // that is reused (it stays in cache) and never emitted.
    let counting = matches!(mode, Mode::Count);
    let source_fields = matches!(mode, Mode::Json(true));
    let limit = if counting { COUNT_CHUNK } else { CHUNK };
    if counting || matches!(mode, Mode::Json(_)) {
        let mut json = JsonWriter::new(source_fields);
        loop {
            // Runs of well-formed lines in one call, then one record (or
            // error) by the per-record path.
            if counting {
                records += reader.count_run();
            } else {
                records += reader.json_run(&mut buf, &mut used, limit, source_fields);
            }
            if used < limit {
                match reader.next_json(&mut json, &mut buf, &mut used) {
                    None => break,
                    Some(Ok(())) => records += 1,
                    Some(Err(e)) => {
                        if !emit(Msg::Error(e)) {
                            return;
                        }
                    }
                }
            }
            if counting && used >= limit {
                used = 0;
            } else if used >= CHUNK {
                buf.truncate(used);
                used = 0;
                if !emit(Msg::Data(std::mem::replace(&mut buf, new_block()))) {
                    return;
                }
            }
        }
        if counting {
            used = 0;
        }
    } else {
        while let Some(item) = reader.next_record() {
            match item {
                Ok(rec) => {
                    records += 1;
                    // JSON and counting are the branch above.
                    match mode {
                        Mode::Template(t) => t.render(&rec, &mut buf),
                        _ => render_original(&rec, &mut buf),
                    }
                    if buf.len() >= CHUNK
                        && !emit(Msg::Data(std::mem::replace(&mut buf, new_block())))
                    {
                        return;
                    }
                }
                Err(e) => {
                    if !emit(Msg::Error(e)) {
                        return;
                    }
                }
            }
        }
        used = buf.len();
    }
    buf.truncate(used);
    if !buf.is_empty() && !emit(Msg::Data(buf)) {
        return;
    }
    emit(Msg::Done(records, reader.repairs(), reader.rows_lost()));
}

fn stats(args: StatsArgs) -> anyhow::Result<ExitCode> {
    let mut p = prepare(&args.input)?;
    let (files, options) = (&p.files, &p.options);
    let report = &mut p.report;
    let mut total = Stats::default();
    // Order does not matter for a summary.
    parallel::run_unordered(
        files.len(),
        p.threads,
        |i, emit| {
            let mut reader = FileReader::open(&files[i], options);
            let mut stats = Stats::default();
            while let Some(item) = reader.next_record() {
                match item {
                    Ok(rec) => stats.add(&rec),
                    Err(e) => {
                        if !emit(Msg::Error(e)) {
                            return;
                        }
                    }
                }
            }
            emit(Msg::Stats(Box::new(stats)));
            emit(Msg::Done(0, reader.repairs(), reader.rows_lost()));
        },
        |i, msg| {
            match msg {
                Msg::Error(e) => report.error(i, &e),
                Msg::Stats(s) => {
                    report.records += s.records;
                    total.merge(*s);
                }
                Msg::Done(_, repairs, lost) => report.done(&repairs, lost),
                Msg::Data(_) => {}
            }
            ControlFlow::Continue(())
        },
    );
    let summary = total.summary(args.top);
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if args.json {
        // Rendered first, so that a write error stays an io::Error (a closed
        // pipe then ends the run quietly, as for `parse`).
        let mut text = serde_json::to_vec_pretty(&summary).context("rendering the summary")?;
        text.push(b'\n');
        out.write_all(&text).context("writing the summary")?;
    } else {
        write!(out, "{}", render_summary(&summary)).context("writing the summary")?;
    }
    out.flush().context("writing the summary")?;
    Ok(report.finish(p.files.len(), p.ignored))
}

/// The terminal form of a summary.
fn render_summary(s: &Summary) -> String {
    let mut text = String::new();
    let mut overview = Table::new();
    overview
        .load_style(UTF8_FULL_CONDENSED)
        .set_header(["", "value"]);
    let span = match (&s.first_start_utc, &s.last_end_utc) {
        (Some(a), Some(b)) => format!("{a} .. {b}"),
        _ => "-".into(),
    };
    for (k, v) in [
        ("records", s.records.to_string()),
        ("time span (UTC)", span),
        ("accepted", s.accepted.to_string()),
        ("rejected", s.rejected.to_string()),
        ("bytes", s.bytes.to_string()),
        ("packets", s.packets.to_string()),
        ("interfaces", s.interfaces.to_string()),
        (
            "transit gateway records",
            s.transit_gateway_records.to_string(),
        ),
    ] {
        overview.add_row([k.to_string(), v]);
    }
    text += &format!("{overview}\n\n");
    let mut by_status = Table::new();
    by_status
        .load_style(UTF8_FULL_CONDENSED)
        .set_header(["action", "log-status", "records"]);
    for a in &s.by_action_status {
        by_status.add_row([
            a.action.to_string(),
            a.log_status.to_string(),
            a.records.to_string(),
        ]);
    }
    text += &format!("Records by action and log-status\n{by_status}\n\n");
    for (title, rows) in [
        ("Top sources by bytes", &s.top_sources_by_bytes),
        ("Top destinations by bytes", &s.top_destinations_by_bytes),
        ("Top destination ports by bytes", &s.top_ports_by_bytes),
        ("Top sources by REJECT records", &s.top_sources_by_rejects),
        (
            "Top destinations by REJECT records",
            &s.top_destinations_by_rejects,
        ),
        (
            "Top destination ports by REJECT records",
            &s.top_ports_by_rejects,
        ),
        ("Interfaces by bytes", &s.top_interfaces_by_bytes),
    ] {
        text += &format!("{title}\n{}\n\n", ranking(rows));
    }
    text
}

fn ranking(rows: &[Ranked]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_header(["", "bytes", "packets", "records", "rejects"]);
    for r in rows {
        let c = r.talker;
        t.add_row([
            r.key.clone(),
            c.bytes.to_string(),
            c.packets.to_string(),
            c.records.to_string(),
            c.rejects.to_string(),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("300K"), Ok(300 << 10));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("M").is_err());
        assert!(parse_size("-1M").is_err());
        assert!(parse_size("64MB").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
        assert!(parse_size("17179869184G").is_err());
    }
}
