//! Parse → render reproduces every sample (and the CloudWatch text forms)
//! byte for byte: the header line, then each record as read or re-rendered
//! through a `${…}` template of the file's own format.

mod flowlogs_common;

use std::io::Read;
use std::path::Path;

use flowlogs_common::{data, manifest_format, options};
use vxtap::flowlogs::{FileReader, Template, render_original};

fn original_bytes(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        raw
    }
}

/// Renders the whole file back; `template` re-renders each record from its fields.
fn render_back(path: &Path, format: Option<&str>, via_template: bool) -> Vec<u8> {
    let mut reader = FileReader::open(path, &options(format));
    let mut out = Vec::new();
    let mut template = None;
    while let Some(item) = reader.next_record() {
        let rec = item.unwrap_or_else(|e| panic!("{e}"));
        if template.is_none() {
            template = Some(Template::parse(&rec.schema().format_string()));
        }
        match (&template, via_template) {
            (Some(t), true) if rec.prefix().is_none() => t.render(&rec, &mut out),
            _ => render_original(&rec, &mut out),
        }
    }
    if reader.has_header() {
        let header = reader.schema().unwrap().header_line();
        out.splice(0..0, format!("{header}\n").into_bytes());
    }
    if !reader.ends_with_newline() {
        out.pop();
    }
    out
}

fn check(path: &Path, format: Option<&str>) {
    let want = original_bytes(path);
    for via_template in [false, true] {
        let got = render_back(path, format, via_template);
        assert!(
            got == want,
            "{}: round trip differs (template: {via_template})\n{}",
            path.display(),
            String::from_utf8_lossy(&got)
        );
    }
}

#[test]
fn every_sample_round_trips() {
    let mut n = 0;
    for entry in std::fs::read_dir(data().join("samples")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name == "MANIFEST.json" {
            continue;
        }
        check(
            &data().join("samples").join(&name),
            manifest_format(&name).as_deref(),
        );
        n += 1;
    }
    assert_eq!(n, 16);
}

#[test]
fn s3_text_objects_round_trip() {
    let dir = data().join("s3-example/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/22");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "gz") {
            check(&path, None);
        }
    }
}

#[test]
fn cloudwatch_files_round_trip() {
    check(
        &data().join("cloudwatch/log-stream-eni-1235b8ca123456789.log"),
        None,
    );
    check(
        &data().join("cloudwatch/export-eni-1235b8ca123456789.txt"),
        None,
    );
    check(
        &data().join("cloudwatch/export/vpc-flow-logs-export/0c4b7a52-3e1f-4c8e-9d2a-6f5b1e7a9c30/eni-1235b8ca123456789/000000.gz"),
        None,
    );
}

#[test]
fn owned_records_match_borrowed_ones() {
    let path = data().join("samples/awsdocs-default-v2.log");
    let owned: Vec<_> = vxtap::flowlogs::read_path(&path, &Default::default())
        .map(Result::unwrap)
        .collect();
    let mut reader = FileReader::open(&path, &Default::default());
    let mut i = 0;
    while let Some(rec) = reader.next_record() {
        let rec = rec.unwrap();
        let o = owned[i].as_record();
        assert_eq!(
            (o.text(), o.line(), o.srcaddr(), o.bytes()),
            (rec.text(), rec.line(), rec.srcaddr(), rec.bytes())
        );
        i += 1;
    }
    assert_eq!(i, owned.len());
}
