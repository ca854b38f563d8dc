//! Fuzzes the Parquet flow-log reader: the input is written to a file and
//! read as a Parquet object (as `flowlogs parse --json` and `--count` read
//! it). Nothing may panic (panics inside the parquet crate are caught by the
//! reader and reported as `parquet` errors), every error is located, and the
//! fused JSON path (`json_run`) gives the typed path's JSON and errors.
//!
//! Run (seeds: the Parquet objects of the S3 example and the unit tests):
//! `cargo +nightly fuzz run flowlog_parquet /tmp/fuzzcorpus fuzz/seeds/parquet -- -max_total_time=600`
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use vxtap::flowlogs::{ErrorKind, FileReader, JSON_ROOM, JsonWriter, ReadOptions};

/// JSON and errors (kind, line) of the object at `path`, by the fused runs
/// (`fused`) or record by record.
fn read(path: &std::path::Path, fused: bool) -> (Vec<u8>, Vec<(ErrorKind, Option<u64>)>) {
    let mut r = FileReader::open(path, &ReadOptions::default());
    let mut writer = JsonWriter::new(false);
    let (mut out, mut errs, mut used) = (Vec::new(), Vec::new(), 0);
    loop {
        out.resize(used + 3 * JSON_ROOM, 0);
        if fused {
            let limit = used + JSON_ROOM;
            r.json_run(&mut out, &mut used, limit, false);
            out.resize(used + JSON_ROOM, 0);
        }
        let item = if fused {
            r.next_json(&mut writer, &mut out, &mut used)
        } else {
            r.next_record().map(|i| {
                i.map(|rec| {
                    let mut one = Vec::new();
                    writer.write(&rec, &mut one);
                    out[used..used + one.len()].copy_from_slice(&one);
                    used += one.len();
                })
            })
        };
        match item {
            None => break,
            Some(Ok(())) => {}
            Some(Err(e)) => errs.push((e.kind(), e.line())),
        }
    }
    out.truncate(used);
    (out, errs)
}

fuzz_target!(|data: &[u8]| {
    let path = PathBuf::from(format!("/dev/shm/vxtap-fuzz-{}.log.parquet", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let fused = read(&path, true);
    let typed = read(&path, false);
    assert_eq!(fused, typed, "fused and typed JSON disagree");
    let _ = std::fs::remove_file(&path);
});
