//! Every file of `malformed/` gives the verdict, error kind and line of
//! `malformed/EXPECTED.tsv` (one test per file): the first error reported is
//! the one listed, the file never panics, and good records before it survive.

mod flowlogs_common;

use flowlogs_common::{data, read_json};

struct Row {
    accept: bool,
    kind: String,
    line: Option<u64>,
    message: String,
}

fn expectation(file: &str) -> Row {
    let tsv = std::fs::read_to_string(data().join("malformed/EXPECTED.tsv")).unwrap();
    let cols: Vec<&str> = tsv
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|c| c[0] == file)
        .unwrap_or_else(|| panic!("{file} not in EXPECTED.tsv"));
    Row {
        accept: cols[1] == "accept",
        kind: cols[2].to_string(),
        line: (cols[3] != "-").then(|| cols[3].parse().unwrap()),
        message: cols[4].to_string(),
    }
}

fn check(file: &str) {
    let want = expectation(file);
    let got = read_json(&data().join("malformed").join(file), None);
    if want.accept {
        assert!(got.errors.is_empty(), "{file}: {:?}", got.errors);
        let n: usize = want.message.split(' ').next().unwrap().parse().unwrap();
        assert_eq!(got.json.len(), n, "{file}: records");
    } else {
        let (kind, line, _) = *got
            .errors
            .first()
            .unwrap_or_else(|| panic!("{file}: accepted"));
        assert_eq!(
            (kind.as_str(), line),
            (want.kind.as_str(), want.line),
            "{file}: first error"
        );
    }
    for r in &got.json {
        assert!(!r.contains("\\r") && !r.contains('\u{feff}'), "{file}: {r}");
    }
}

macro_rules! malformed {
    ($($name:ident => $file:literal,)*) => { $( #[test] fn $name() { check($file); } )* };
}

malformed! {
    bad_crc => "bad-crc.log.gz",
    bad_enum_values => "bad-enum-values.log",
    binary_garbage => "binary-garbage.bin",
    blank_line_in_middle => "blank-line-in-middle.log",
    concatenated_headers => "concatenated-headers.log",
    crlf_line_endings => "crlf-line-endings.log",
    double_space_separator => "double-space-separator.log",
    duplicate_header_field => "duplicate-header-field.log",
    empty => "empty.log",
    empty_gz => "empty.log.gz",
    float_number => "float-number.log",
    format_string_as_header => "format-string-as-header.log",
    gzip_of_garbage => "gzip-of-garbage.log.gz",
    header_only => "header-only.log",
    hex_number => "hex-number.log",
    invalid_utf8 => "invalid-utf8.log",
    leading_space => "leading-space.log",
    millisecond_timestamps => "millisecond-timestamps.log",
    mixed_formats => "mixed-formats.log",
    negative_counter => "negative-counter.log",
    non_numeric_port => "non-numeric-port.log",
    nul_byte => "nul-byte.log",
    overlong_line => "overlong-line.log",
    port_out_of_range => "port-out-of-range.log",
    tab_separated => "tab-separated.log",
    tgw_non_ascii_and_double_space => "tgw-non-ascii-and-double-space.log",
    trailing_bogus_line => "trailing-bogus-line.log",
    trailing_comment => "trailing-comment.log",
    truncated_last_line => "truncated-last-line.log",
    truncated_gz => "truncated.log.gz",
    unknown_header_field => "unknown-header-field.log",
    utf8_bom => "utf8-bom.log",
    wrong_field_count_long => "wrong-field-count-long.log",
    wrong_field_count_short => "wrong-field-count-short.log",
}

#[test]
fn every_listed_file_has_a_test() {
    let tsv = std::fs::read_to_string(data().join("malformed/EXPECTED.tsv")).unwrap();
    let this = include_str!("flowlogs_malformed.rs");
    let mut n = 0;
    for line in tsv.lines().skip(1) {
        let file = line.split('\t').next().unwrap();
        assert!(
            this.contains(&format!("=> \"{file}\"")),
            "no test for {file}"
        );
        n += 1;
    }
    assert_eq!(n, 34);
}

#[test]
fn good_records_before_and_after_bad_lines_come_out() {
    // trailing-bogus-line: a good v5 record on line 2, the bad line 3.
    let got = read_json(&data().join("malformed/trailing-bogus-line.log"), None);
    let want = flowlogs_common::expected("beats-processor-v5-all-fields.log.jsonl");
    assert_eq!(got.json, want);
    // concatenated-headers: the three records equal the first three of the v3 sample.
    let got = read_json(&data().join("malformed/concatenated-headers.log"), None);
    assert_eq!(
        got.json,
        flowlogs_common::expected("awsdocs-tcp-flag-sequence-v3.log.jsonl")[..3]
    );
    assert_eq!(got.errors.len(), 2);
    // utf8-bom: reported, stripped, records equal the default-format example's.
    let got = read_json(&data().join("malformed/utf8-bom.log"), None);
    let sample = flowlogs_common::expected("awsdocs-default-v2.log.jsonl");
    assert!(!got.json.is_empty());
    assert_eq!(got.json, sample[..got.json.len()]);
}

#[test]
fn truncated_gzip_keeps_what_was_readable() {
    let got = read_json(&data().join("malformed/truncated.log.gz"), None);
    assert_eq!(got.errors.len(), 1);
    assert!(got.errors[0].2, "fatal for the file");
    assert!(!got.json.is_empty(), "records before the cut are kept");
}

#[test]
fn millisecond_times_are_normalised_to_seconds() {
    let got = read_json(&data().join("malformed/millisecond-timestamps.log"), None);
    let v: serde_json::Value = serde_json::from_str(&got.json[0]).unwrap();
    assert_eq!(v["start"], 1512564058);
    assert_eq!(v["end"], 1512564059);
    assert_eq!(v["log-status"], "SKIPDATA");
}
