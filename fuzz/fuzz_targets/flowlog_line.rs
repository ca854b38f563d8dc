//! Fuzzes the flow-log header and line parser: the input is tried as a first
//! line (header detection), as a format string, as a record of the default
//! format and of its own header, and as a whole text file through the reader.
//!
//! Run: `cargo +nightly fuzz run flowlog_line tests/data/flowlogs/samples`
#![no_main]

use std::path::PathBuf;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vxtap::flowlogs::header::{FirstLine, classify};
use vxtap::flowlogs::parse::{check_line, parse_record};
use vxtap::flowlogs::text::TextReader;
use vxtap::flowlogs::{JsonWriter, ReadOptions, Schema};

fuzz_target!(|data: &[u8]| {
    let mut slots = Vec::new();
    if let Ok(line) = check_line(data, 1) {
        let _ = Schema::from_format_string(line, false);
        match classify(line, false, false) {
            Ok(FirstLine::Header(schema)) => {
                let _ = parse_record(&schema, line, 1, &mut slots);
            }
            Ok(FirstLine::Data) | Err(_) => {}
        }
        let _ = parse_record(&Schema::default_format(), line, 1, &mut slots);
    }
    let mut reader = TextReader::new(
        Arc::from(PathBuf::from("fuzz")),
        data,
        false,
        &ReadOptions::default(),
    );
    let mut json = JsonWriter::new(true);
    let mut out = Vec::new();
    while let Some(item) = reader.next_record() {
        if let Ok(rec) = item {
            out.clear();
            json.write(&rec, &mut out);
        }
    }
});
