//! `vxtap flowlogs parse|stats` end to end: the S3 tree walked in key order
//! gives the expected records, thread count does not change the output,
//! bad input gives located errors and exit code 1, stats agree with the
//! expected records.

mod flowlogs_common;

use std::process::{Command, Output};

use flowlogs_common::{data, expected};

fn vxtap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .args(args)
        .output()
        .unwrap()
}

fn s3_tree() -> String {
    data().join("s3-example").display().to_string()
}

/// The expected records of the S3 example in key (file-name) order.
fn s3_expected() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data().join("expected/s3-example"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
        .iter()
        .flat_map(|n| expected(&format!("s3-example/{n}")))
        .collect()
}

#[test]
fn parse_s3_tree_as_json() {
    let out = vxtap(&["flowlogs", "parse", "--json", &s3_tree()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    flowlogs_common::assert_lines(&got, &s3_expected(), "s3 tree");
}

#[test]
fn thread_count_does_not_change_output() {
    let all = data().display().to_string();
    let one = vxtap(&["flowlogs", "parse", "--json", "-j", "1", &all]);
    let four = vxtap(&["flowlogs", "parse", "--json", "-j", "4", &all]);
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, four.stdout);
    assert_eq!(one.status.code(), four.status.code());
    // --unordered: the same records, files possibly interleaved.
    let loose = vxtap(&[
        "flowlogs",
        "parse",
        "--json",
        "-j",
        "4",
        "--unordered",
        &all,
    ]);
    let sorted = |b: &[u8]| {
        let mut v: Vec<String> = String::from_utf8_lossy(b)
            .lines()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&one.stdout), sorted(&loose.stdout));
    assert_eq!(one.status.code(), loose.status.code());
}

#[test]
fn count_and_source_fields() {
    let out = vxtap(&["flowlogs", "parse", "--count", &s3_tree()]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        s3_expected().len().to_string()
    );
    let out = vxtap(&["flowlogs", "parse", "--json", "--source-fields", &s3_tree()]);
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["flow-log-id"], "fl-0a1b2c3d4e5f60718");
    assert_eq!(first["source-account-id"], "123456789012");
    assert_eq!(first["source-region"], "us-east-1");
    assert_eq!(first["source-date"], "2026-11-22");
}

#[test]
fn output_format_and_headerless_format() {
    let path = data().join("samples/awsdocs-nat-gateway-custom.log");
    let out = vxtap(&[
        "flowlogs",
        "parse",
        "--output-format",
        "${pkt-srcaddr}>${pkt-dstaddr} ${action}",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let want: Vec<String> = expected("awsdocs-nat-gateway-custom.log.jsonl")
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!(
                "{}>{} -",
                v["pkt-srcaddr"].as_str().unwrap(),
                v["pkt-dstaddr"].as_str().unwrap()
            )
        })
        .collect();
    let got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(got, want);
}

#[test]
fn bad_input_is_located_and_exit_code_is_1() {
    let dir = data().join("malformed");
    let out = vxtap(&["flowlogs", "parse", "--json", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("non-numeric-port.log:3: bad-integer: field srcport"),
        "{stderr}"
    );
    assert!(
        stderr.contains("truncated.log.gz: gzip-truncated"),
        "{stderr}"
    );
    assert!(stderr.contains("README.md: ignored"), "{stderr}");
    // The records of the accepted files and the good lines still come out.
    assert!(!out.stdout.is_empty());
    let missing = vxtap(&["flowlogs", "parse", "/nonexistent/flowlogs"]);
    assert_eq!(missing.status.code(), Some(1));
    let bad_format = vxtap(&[
        "flowlogs",
        "parse",
        "--format",
        "${version} ${src-port}",
        &s3_tree(),
    ]);
    assert_eq!(bad_format.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_format.stderr).contains("did you mean 'srcport'"));
}

#[test]
fn stats_agree_with_the_expected_records() {
    let out = vxtap(&["flowlogs", "stats", "--json", &s3_tree()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let records: Vec<serde_json::Value> = s3_expected()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let sum = |k: &str| records.iter().filter_map(|r| r[k].as_u64()).sum::<u64>();
    let count = |k: &str, v: &str| records.iter().filter(|r| r[k] == v).count() as u64;
    assert_eq!(got["records"], records.len() as u64);
    assert_eq!(got["bytes"], sum("bytes"));
    assert_eq!(got["packets"], sum("packets"));
    assert_eq!(got["accepted"], count("action", "ACCEPT"));
    assert_eq!(got["rejected"], count("action", "REJECT"));
    assert_eq!(
        got["first_start"],
        records
            .iter()
            .filter_map(|r| r["start"].as_u64())
            .min()
            .unwrap()
    );
    assert_eq!(
        got["last_end"],
        records
            .iter()
            .filter_map(|r| r["end"].as_u64())
            .max()
            .unwrap()
    );
    let table = vxtap(&["flowlogs", "stats", &s3_tree()]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("Top sources by bytes") && text.contains("rejected"),
        "{text}"
    );
}

#[test]
fn every_rejected_malformed_file_is_located_and_counted() {
    // Oracle: ../shared/flowlogs/malformed/EXPECTED.tsv (file, verdict, kind, line).
    // Files named on the command line are read whatever their names.
    let dir = data().join("malformed");
    let tsv = std::fs::read_to_string(dir.join("EXPECTED.tsv")).unwrap();
    let files: Vec<String> = tsv
        .lines()
        .skip(1)
        .map(|row| {
            dir.join(row.split('\t').next().unwrap())
                .display()
                .to_string()
        })
        .collect();
    let mut args = vec![
        "flowlogs",
        "parse",
        "--count",
        "--max-errors-per-file",
        "1000",
    ];
    args.extend(files.iter().map(String::as_str));
    let out = vxtap(&args);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let mut rejected = 0;
    for row in tsv.lines().skip(1) {
        let c: Vec<&str> = row.split('\t').collect();
        if c[1] != "reject" {
            continue;
        }
        rejected += 1;
        let located = if c[3] == "-" {
            format!("{}: {}: ", c[0], c[2])
        } else {
            format!("{}:{}: {}: ", c[0], c[3], c[2])
        };
        assert!(stderr.contains(&located), "{located} not in\n{stderr}");
    }
    assert!(rejected > 20, "{rejected}");
    // Every reported error is counted in the summary line, per kind.
    let reported: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("vxtap: ") && l.contains("/malformed/"))
        .collect();
    assert!(!stderr.contains(": ignored: "), "{stderr}");
    let summary = stderr
        .lines()
        .find(|l| l.contains(" files, "))
        .unwrap_or_else(|| panic!("no summary in\n{stderr}"));
    // "vxtap: N files, M records, E errors (kind n, …)".
    let total: usize = summary
        .split(" records, ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no error count in {summary}"));
    assert_eq!(reported.len(), total, "{summary}\n{stderr}");
}

#[test]
fn unknown_fields_are_kept_as_text_unless_strict() {
    // A header with a field name this version does not know (issue 5: kept
    // as a string; `--strict` rejects it).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.log");
    std::fs::write(
        &path,
        "version srcaddr instance-tag bytes\n2 10.0.0.1 web-1 300\n2 10.0.0.2 - 7\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let out = vxtap(&["flowlogs", "parse", "--json", p]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["instance-tag"], "web-1");
    assert_eq!(got[0]["bytes"], 300);
    assert!(got[1]["instance-tag"].is_null());
    let strict = vxtap(&["flowlogs", "parse", "--json", "--strict", p]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(strict.stdout.is_empty());
    let stderr = String::from_utf8(strict.stderr).unwrap();
    assert!(
        stderr.contains("future.log:1: unknown-field: ") && stderr.contains("instance-tag"),
        "{stderr}"
    );
}

#[test]
fn hive_layout_gives_key_fields_and_the_same_records() {
    // The S3 example objects under Hive-style prefixes: same records, and the
    // account, region, date, hour and flow-log id come from the key.
    let dir = tempfile::tempdir().unwrap();
    let hive = dir.path().join(
        "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/day=22/hour=12",
    );
    std::fs::create_dir_all(&hive).unwrap();
    let src = data().join("s3-example/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/22");
    let mut names: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for n in &names {
        std::fs::copy(src.join(n), hive.join(n)).unwrap();
    }
    let root = dir.path().to_str().unwrap();
    let plain = vxtap(&["flowlogs", "parse", "--json", root]);
    assert!(plain.status.success());
    let got: Vec<String> = String::from_utf8(plain.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    flowlogs_common::assert_lines(&got, &s3_expected(), "hive tree");
    let out = vxtap(&["flowlogs", "parse", "--json", "--source-fields", root]);
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["source-account-id"], "123456789012");
        assert_eq!(v["source-region"], "us-east-1");
        assert_eq!(v["source-date"], "2026-11-22");
        assert_eq!(v["source-hour"], "12");
        assert!(
            v["flow-log-id"].as_str().unwrap().starts_with("fl-"),
            "{line}"
        );
    }
}

#[test]
fn stats_rankings_agree_with_the_expected_records() {
    // Oracle: the expected records of the S3 example, aggregated here.
    use std::collections::HashMap;
    use std::net::IpAddr;
    let out = vxtap(&["flowlogs", "stats", "--json", "--top", "5", &s3_tree()]);
    assert!(out.status.success());
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let records: Vec<serde_json::Value> = s3_expected()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // (key, bytes, rejects) per value of `field`, ranked like `stats`: by the
    // metric, descending, then by key (addresses in address order).
    let rank = |field: &str, by_rejects: bool| -> Vec<(String, u64)> {
        let mut m: HashMap<String, (u64, u64)> = HashMap::new();
        for r in &records {
            let Some(k) = r[field].as_str() else { continue };
            let e = m.entry(k.to_string()).or_default();
            e.0 += r["bytes"].as_u64().unwrap_or(0);
            e.1 += u64::from(r["action"] == "REJECT");
        }
        let mut v: Vec<(String, u64)> = m
            .into_iter()
            .map(|(k, (b, rj))| (k, if by_rejects { rj } else { b }))
            .filter(|(_, n)| !by_rejects || *n > 0)
            .collect();
        v.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| match (a.0.parse::<IpAddr>(), b.0.parse::<IpAddr>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    _ => a.0.cmp(&b.0),
                })
        });
        v.truncate(5);
        v
    };
    let shown = |key: &str, metric: &str| -> Vec<(String, u64)> {
        got[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["key"].as_str().unwrap().to_string(),
                    r[metric].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        shown("top_sources_by_bytes", "bytes"),
        rank("srcaddr", false)
    );
    assert_eq!(
        shown("top_destinations_by_bytes", "bytes"),
        rank("dstaddr", false)
    );
    assert_eq!(
        shown("top_sources_by_rejects", "rejects"),
        rank("srcaddr", true)
    );
    assert_eq!(
        shown("top_interfaces_by_bytes", "bytes"),
        rank("interface-id", false)
    );
    assert!(!shown("top_sources_by_rejects", "rejects").is_empty());
}

/// `vxtap` with `args`, killed (and the test failed) if it runs past 60 s.
fn vxtap_within(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("vxtap {args:?} still running after 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn corrupt_parquet_objects_are_located_errors_not_panics_or_hangs() {
    // Fuzz inputs on which the parquet crate panics (negative column
    // offsets, a data page without its dictionary, an overlong varint, a
    // short slice). The reader catches those panics; before, a panic in a
    // worker thread left the run waiting forever.
    let dir = data().join("parquet-corrupt");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 4);
    // Their rows by their footers (the parquet crate's metadata reader).
    let rows: i64 = files
        .iter()
        .map(|f| {
            let file = std::fs::File::open(f).unwrap();
            parquet::file::metadata::ParquetMetaDataReader::new()
                .parse_and_finish(&file)
                .unwrap()
                .file_metadata()
                .num_rows()
        })
        .sum();
    assert!(rows > 0);
    for file in &files {
        let out = vxtap_within(&["flowlogs", "parse", "--json", file.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file:?}: {err}");
        assert!(err.contains(": parquet: "), "{file:?}: {err}");
        assert!(!err.contains("panicked"), "{file:?}: {err}");
    }
    // All four at once on worker threads, and their stats: one error per
    // damaged row group (reading goes on with the next row group), and
    // all three row groups of short-slice are damaged: six errors.
    let dir = dir.to_str().unwrap();
    for args in [
        &["flowlogs", "parse", "--json", "-j2", dir][..],
        &["flowlogs", "stats", "-j2", dir][..],
    ] {
        let out = vxtap_within(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.matches(": parquet: ").count(), 6, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        // Every row the objects' footers give is a record or counted lost
        // (no record comes out of these four).
        let summary = format!("4 files, 0 records, 6 errors (parquet 6), {rows} Parquet rows lost");
        assert!(err.contains(&summary), "{args:?}: {err}");
    }
}

/// `text` as `--lenient` must read it, made by other means than vxtap's:
/// fields split on any ASCII whitespace and joined by single spaces, blank
/// lines dropped, a byte order mark removed. Only for text without a `\r`
/// inside a line.
fn repaired_by_hand(text: &[u8]) -> Vec<u8> {
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let fields: Vec<&[u8]> = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|f| !f.is_empty())
            .collect();
        if fields.is_empty() {
            continue;
        }
        out.extend_from_slice(&fields.join(&b' '));
        out.push(b'\n');
    }
    out
}

#[test]
fn lenient_mode_reads_the_repairable_malformed_files_as_their_repaired_text() {
    // The malformed files whose only fault (EXPECTED.tsv) is one --lenient
    // repairs: with --lenient, the records and exit code of the same text
    // repaired by hand and read in the strict default.
    let dir = data().join("malformed");
    let tsv = std::fs::read_to_string(dir.join("EXPECTED.tsv")).unwrap();
    let repairable = ["blank-line", "crlf", "empty-field", "tab", "bom"];
    let scratch = std::env::temp_dir().join(format!("vxtap-lenient-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let mut checked = 0;
    for row in tsv.lines().skip(1) {
        let c: Vec<&str> = row.split('\t').collect();
        if !repairable.contains(&c[2]) {
            continue;
        }
        let messy = dir.join(c[0]);
        let clean = scratch.join(c[0]);
        std::fs::write(&clean, repaired_by_hand(&std::fs::read(&messy).unwrap())).unwrap();
        let (messy, clean) = (messy.display().to_string(), clean.display().to_string());
        let strict = vxtap(&["flowlogs", "parse", "--json", &messy]);
        assert_eq!(strict.status.code(), Some(1), "{}", c[0]);
        let lenient = vxtap(&["flowlogs", "parse", "--json", "--lenient", &messy]);
        let want = vxtap(&["flowlogs", "parse", "--json", &clean]);
        assert!(!want.stdout.is_empty(), "{}", c[0]);
        assert_eq!(
            String::from_utf8_lossy(&lenient.stdout),
            String::from_utf8_lossy(&want.stdout),
            "{}",
            c[0]
        );
        assert_eq!(lenient.status.code(), want.status.code(), "{}", c[0]);
        let stderr = String::from_utf8(lenient.stderr).unwrap();
        assert!(stderr.contains(" by --lenient ("), "{}: {stderr}", c[0]);
        // stats reads the same records.
        let stats = |path: &str, lenient: bool| {
            let mut args = vec!["flowlogs", "stats", "--json", path];
            if lenient {
                args.push("--lenient");
            }
            vxtap(&args).stdout
        };
        assert_eq!(stats(&messy, true), stats(&clean, false), "{}", c[0]);
        checked += 1;
    }
    assert!(checked >= 6, "{checked}");
    std::fs::remove_dir_all(&scratch).ok();
}

#[test]
fn gzip_padding_and_trailing_garbage_are_read_as_python_gzip_reads_them() {
    // Oracle: Python's gzip module (the one flowlogs_reader reads S3
    // objects with): zero padding after a member is skipped, other bytes
    // after the last member are an error. vxtap gives the records of the
    // text Python decodes, and an error (gzip-corrupt) exactly when Python
    // fails.
    let dir = tempfile::tempdir().unwrap();
    let src = data().join(
        "s3-example/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/22/\
         123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60718_20261122T1200Z_5d41402a.log.gz",
    );
    let object = std::fs::read(&src).unwrap();
    // A second member: the object's records without its header line.
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&object[..]), &mut text).unwrap();
    let records = &text[text.iter().position(|&b| b == b'\n').unwrap() + 1..];
    let mut second = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut second, records).unwrap();
    let second = second.finish().unwrap();
    let tails: [&[u8]; 5] = [b"", &[0; 3], &[0; 5000], b"garbage\n", b"\0\0\0junk"];
    for (i, tail) in tails.iter().enumerate() {
        let path = dir.path().join(format!("{i}.log.gz"));
        let mut bytes = object.clone();
        bytes.extend_from_slice(tail);
        // A second member after the padding too.
        bytes.extend_from_slice(&second);
        std::fs::write(&path, &bytes).unwrap();
        let p = path.display().to_string();
        let py = Command::new("python3")
            .args([
                "-c",
                "import gzip,sys\n\
                 try:\n    t = gzip.open(sys.argv[1]).read(); print(t.count(b'\\n'))\n\
                 except Exception as e:\n    print('error', e)",
                &p,
            ])
            .output()
            .expect("python3");
        let py = String::from_utf8(py.stdout).unwrap();
        let out = vxtap(&["flowlogs", "parse", "--count", &p]);
        let stderr = String::from_utf8(out.stderr).unwrap();
        if let Some(why) = py.strip_prefix("error") {
            assert_eq!(out.status.code(), Some(1), "tail {i}: {stderr}");
            assert!(
                stderr.contains(": gzip-corrupt: gzip: trailing garbage"),
                "{why} / {stderr}"
            );
        } else {
            // Lines minus the header line.
            let lines: u64 = py.trim().parse().unwrap();
            let count: u64 = String::from_utf8(out.stdout)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            assert!(lines > 2, "{py}");
            assert_eq!(count, lines - 1, "tail {i}: {stderr}");
            assert_eq!(out.status.code(), Some(0), "tail {i}: {stderr}");
        }
    }
}
