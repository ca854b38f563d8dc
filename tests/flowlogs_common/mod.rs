//! Helpers shared by the flow-log integration tests: the committed corpus
//! (copied from `../shared/flowlogs/`) and reading it through the library.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vxtap::flowlogs::{ErrorKind, FileReader, JsonWriter, ReadOptions, Schema};

/// The corpus folder.
pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/flowlogs")
}

/// The `format` list of `samples/MANIFEST.json` for a header-less sample.
pub fn manifest_format(file: &str) -> Option<String> {
    let text = std::fs::read_to_string(data().join("samples/MANIFEST.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entry = manifest
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["file"] == format!("samples/{file}"))
        .unwrap_or_else(|| panic!("{file} not in MANIFEST.json"));
    if entry["header"] != "none" {
        return None;
    }
    let names: Vec<&str> = entry["format"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    Some(names.join(" "))
}

/// Read options with an optional format.
pub fn options(format: Option<&str>) -> ReadOptions {
    ReadOptions {
        format: format.map(|f| Arc::new(Schema::from_format_string(f, false).unwrap())),
        strict: false,
        lenient: false,
    }
}

/// Result of reading one file through the library.
#[derive(Debug, Default)]
pub struct Outcome {
    /// JSON lines of the records.
    pub json: Vec<String>,
    /// (kind, line, fatal) of every error, in order.
    pub errors: Vec<(ErrorKind, Option<u64>, bool)>,
}

/// Reads `path` and renders every record as JSON.
pub fn read_json(path: &Path, format: Option<&str>) -> Outcome {
    let mut reader = FileReader::open(path, &options(format));
    let mut writer = JsonWriter::new(false);
    let mut out = Outcome::default();
    while let Some(item) = reader.next_record() {
        match item {
            Ok(rec) => {
                let mut buf = Vec::new();
                writer.write(&rec, &mut buf);
                let line = String::from_utf8(buf).unwrap();
                out.json.push(line.trim_end_matches('\n').to_string());
            }
            Err(e) => out.errors.push((e.kind(), e.line(), e.fatal)),
        }
    }
    out
}

/// Lines of an expected/*.jsonl file.
pub fn expected(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(data().join("expected").join(name)).unwrap();
    text.lines().map(str::to_string).collect()
}

/// Asserts that `got` equals the expected lines, line by line (byte exact).
pub fn assert_lines(got: &[String], want: &[String], what: &str) {
    assert!(!want.is_empty(), "{what}: empty expectation");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "{what}: record {}", i + 1);
    }
    assert_eq!(got.len(), want.len(), "{what}: number of records");
}
