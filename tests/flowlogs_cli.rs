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
