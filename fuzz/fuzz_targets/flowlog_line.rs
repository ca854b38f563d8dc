//! Fuzzes the flow-log header and line parser: the input is tried as a first
//! line (header detection), as a format string, as a record of the default
//! format and of its own header, and as a whole text file through the reader.
//! It is also an oracle for the fast path: whenever `fast::Plan` takes the
//! input as a record (default format, or the input's own header as format),
//! the general path must accept it with the same slots; and for the fused
//! JSON path: the input, and the input repeated as many lines (so that runs
//! of lines are read in place), give the typed path's JSON and errors, with
//! source fields and in the lenient mode too, whose records must come out
//! repaired.
//!
//! Run (see docs/flowlogs.md for the recorded run):
//! `cargo +nightly fuzz run flowlog_line tests/data/flowlogs/samples -- -max_total_time=600`
#![no_main]

use std::path::PathBuf;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vxtap::flowlogs::fast::Plan;
use vxtap::flowlogs::header::{FirstLine, classify};
use vxtap::flowlogs::parse::{check_line, parse_record};
use vxtap::flowlogs::text::TextReader;
use vxtap::flowlogs::{JSON_ROOM, JsonWriter, ReadOptions, Schema};

/// The fast path agrees with the general path on `data` as a record of `schema`.
fn fast_agrees(schema: &Schema, data: &[u8]) {
    let mut fast = Vec::new();
    if Plan::new(schema).parse(data, &mut fast) {
        let line = check_line(data, 1).expect("fast path took a line check_line rejects");
        let mut slots = Vec::new();
        parse_record(schema, line, 1, &mut slots).expect("fast path took a bad record");
        assert_eq!(fast, slots, "fast and general path disagree");
    }
}

/// A text reader of `text` (under an S3 key, so that it has source
/// fields), lenient if asked.
fn reader(text: &[u8], lenient: bool) -> TextReader<&[u8]> {
    let key = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/22/\
        123456789012_vpcflowlogs_us-east-1_fl-0fuzz_20261122T1200Z_0a1b2c3d.log";
    let options = ReadOptions {
        lenient,
        ..ReadOptions::default()
    };
    TextReader::new(Arc::from(PathBuf::from(key)), text, false, &options)
}

/// The fused JSON path (`json_run`, `next_json`) writes what the typed path
/// writes for `text`, with the same errors, with or without source fields
/// and in the lenient mode.
fn fused_agrees(text: &[u8], source_fields: bool, lenient: bool) {
    let open = || reader(text, lenient);
    let mut typed = Vec::new();
    let mut typed_errors = Vec::new();
    let mut reader = open();
    let mut json = JsonWriter::new(source_fields);
    while let Some(item) = reader.next_record() {
        match item {
            Ok(rec) => json.write(&rec, &mut typed),
            Err(e) => typed_errors.push(e.to_string()),
        }
    }
    let mut block = vec![0u8; JSON_ROOM];
    let mut used = 0;
    let mut fused_errors = Vec::new();
    let mut reader = open();
    loop {
        block.resize(used + 2 * JSON_ROOM, 0);
        reader.json_run(&mut block, &mut used, usize::MAX, source_fields);
        block.resize(used + JSON_ROOM, 0);
        match reader.next_json(&mut json, &mut block, &mut used) {
            None => break,
            Some(Err(e)) => fused_errors.push(e.to_string()),
            Some(Ok(())) => {}
        }
    }
    block.truncate(used);
    assert_eq!(block, typed, "fused and typed JSON differ");
    assert_eq!(fused_errors, typed_errors);
}

fuzz_target!(|data: &[u8]| {
    let mut slots = Vec::new();
    let default = Schema::default_format();
    fast_agrees(&default, data);
    if let Ok(line) = check_line(data, 1) {
        if let Ok(format) = Schema::from_format_string(line, false) {
            // The input as a record of the format its own words name.
            fast_agrees(&format, data);
        }
        match classify(line, false, false) {
            Ok(FirstLine::Header(schema)) => {
                let _ = parse_record(&schema, line, 1, &mut slots);
            }
            Ok(FirstLine::Data) | Err(_) => {}
        }
        let _ = parse_record(&default, line, 1, &mut slots);
    }
    let mut json = JsonWriter::new(true);
    let mut out = Vec::new();
    for lenient in [false, true] {
        let mut reader = reader(data, lenient);
        while let Some(item) = reader.next_record() {
            if let Ok(rec) = item {
                // What the lenient mode hands out is repaired.
                let t = rec.text();
                assert!(
                    !lenient || (!t.contains(['\t', '\r']) && !t.contains("  ") && t.trim() == t),
                    "not repaired: {t:?}"
                );
                out.clear();
                json.write(&rec, &mut out);
            }
        }
    }
    fused_agrees(data, false, false);
    fused_agrees(data, true, true);
    // Many copies of the input as lines: long enough (several windows of
    // the fused path) that runs of lines are read where they lie.
    let long: Vec<u8> = data
        .iter()
        .chain(b"\n")
        .copied()
        .cycle()
        .take(6000)
        .collect();
    if !data.is_empty() {
        fused_agrees(&long, false, false);
        fused_agrees(&long, true, true);
    }
});
