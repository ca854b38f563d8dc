//! The fast path (`flowlogs::fast::Plan`) against the general path
//! (`check_line` + `parse_record`) on every line of every text file of the
//! corpus (samples, S3 example, CloudWatch files, malformed files), with the
//! schema each file is read with: whenever the fast path takes a line, its
//! slots are exactly the general path's; and it takes nearly every good line.
//! The reader's output on the corpus is checked against `expected/` by
//! `flowlogs_samples`; this test pins down which path produced it.

mod flowlogs_common;

use std::io::Read;
use std::path::{Path, PathBuf};

use flowlogs_common::{data, manifest_format, options};
use vxtap::flowlogs::fast::Plan;
use vxtap::flowlogs::parse::{check_line, parse_record};
use vxtap::flowlogs::text::cloudwatch_prefix_bytes;
use vxtap::flowlogs::{FileReader, Schema};

fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            text_files(&p, out);
        } else if !p.to_string_lossy().ends_with(".parquet")
            && !p.to_string_lossy().ends_with(".json")
            && !p.to_string_lossy().ends_with(".md")
            && !p.to_string_lossy().ends_with(".tsv")
        {
            out.push(p);
        }
    }
}

fn bytes_of(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        // Damaged gzip files: what is readable.
        let _ = flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out);
        out
    } else {
        raw
    }
}

/// The schema the reader uses for `path` (its header's, the manifest's
/// format, or the default), or `None` if the reader rejects the file.
fn schema_of(path: &Path, format: Option<&str>) -> Option<Schema> {
    let mut reader = FileReader::open(path, &options(format));
    while let Some(item) = reader.next_record() {
        if item.is_ok() {
            return reader.schema().map(|s| (**s).clone());
        }
    }
    None
}

#[test]
fn fast_path_equals_general_path_on_the_corpus() {
    let mut files = Vec::new();
    for dir in ["samples", "s3-example", "cloudwatch", "malformed"] {
        text_files(&data().join(dir), &mut files);
    }
    assert!(files.len() > 40, "{}", files.len());
    let (mut good, mut fast_taken, mut lines_seen) = (0usize, 0usize, 0usize);
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let format = if path.starts_with(data().join("samples")) {
            manifest_format(&name)
        } else {
            None
        };
        let Some(schema) = schema_of(path, format.as_deref()) else {
            continue;
        };
        let plan = Plan::new(&schema);
        let bytes = bytes_of(path);
        let cw_export = name.ends_with(".txt") || name == "000000.gz";
        for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
            let body = if cw_export {
                match cloudwatch_prefix_bytes(line) {
                    Some(n) => &line[n..],
                    None => continue,
                }
            } else {
                line
            };
            lines_seen += 1;
            let mut fast_slots = Vec::new();
            let fast = plan.parse(body, &mut fast_slots);
            let mut slots = Vec::new();
            let general = check_line(body, 1)
                .ok()
                .is_some_and(|text| parse_record(&schema, text, 1, &mut slots).is_ok());
            if fast {
                assert!(general, "{name}:{}: fast path took a bad line", i + 1);
                assert_eq!(fast_slots, slots, "{name}:{}", i + 1);
                fast_taken += 1;
            }
            good += usize::from(general);
        }
    }
    eprintln!("lines {lines_seen}, good {good}, fast {fast_taken}");
    assert!(lines_seen > 300, "{lines_seen}");
    // The corpus' good lines are ASCII with short integers, except a few
    // non-ASCII ones: the fast path takes all but those.
    assert!(
        fast_taken * 100 >= good * 95,
        "fast path took {fast_taken} of {good} good lines"
    );
}
