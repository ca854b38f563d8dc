//! `vxtap replay` end to end: the S3 layout, the bundled default, bad input.

use std::io::Read;
use std::path::Path;
use std::process::Command;

fn vxtap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vxtap"))
}

fn gunzip(p: &Path) -> String {
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(p).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out)
        } else {
            out.push(p)
        }
    }
}

#[test]
fn s3_layout_with_sessions_renders_the_default_format() {
    let dir = tempfile::tempdir().unwrap();
    let st = vxtap()
        .args([
            "replay",
            "pcaps/sample-mirror.pcap",
            "--config",
            "deploy/vxtap.toml",
            "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    let mut files = Vec::new();
    files_under(dir.path(), &mut files);
    assert!(!files.is_empty());
    let mut records = 0;
    for f in &files {
        let rel = f
            .strip_prefix(dir.path())
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            rel.starts_with("AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/11/14/"),
            "{rel}"
        );
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20231114T"),
            "{name}"
        );
        assert!(
            name.ends_with(".log.gz") && !name.starts_with('.'),
            "{name}"
        );
        let text = gunzip(f);
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
        );
        for l in lines {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(f.len(), 14, "{l}");
            assert_eq!(&f[..3], ["2", "123456789012", "eni-0123456789abcdef0"]);
            assert_eq!(&f[12..], ["ACCEPT", "OK"]);
            records += 1;
        }
    }
    // The oracle's record count for this capture at interval 600.
    let oracle =
        std::fs::read_to_string("tests/data/oracle/mirror/mirror-basic.pcap.i600.jsonl").unwrap();
    assert_eq!(records, oracle.lines().count());
}

#[test]
fn gwlb_tlvs_and_direction_fields() {
    let out = vxtap()
        .args(["replay", "tests/data/pcaps/mirror/gwlb-geneve.pcap", "--stdout", "--quiet", "--log-format",
            "${vni} ${tunnel} ${mirror-srcaddr} ${gwlb-endpoint-id} ${gwlb-attachment-id} ${gwlb-flow-cookie} ${community-id}"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert!(!rows.is_empty());
    for r in rows {
        let f: Vec<&str> = r.split(' ').collect();
        // The values mirror-wrap put there (../shared/pcaps/README.md).
        assert_eq!(
            &f[..5],
            [
                "0",
                "geneve",
                "10.0.9.10",
                "0ab1c2d3e4f56789",
                "0123456789abcdef"
            ],
            "{r}"
        );
        assert_eq!(f[5].len(), 8);
        assert!(f[6].starts_with("1:"));
    }
}

#[test]
fn damaged_capture_keeps_packets_and_names_the_packet() {
    let out = vxtap()
        .args([
            "replay",
            "tests/data/pcaps/plain/sv-http-mime-truncated.pcap",
            "--stdout",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a damaged input exits 1");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sv-http-mime-truncated.pcap: packet "),
        "{err}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).lines().count() > 1,
        "records of the packets before the damage"
    );
}

#[test]
fn not_a_capture_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"definitely not a capture").unwrap();
    let out = vxtap()
        .args(["replay", "--stdout"])
        .arg(&junk)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a pcap or pcapng file"));
    let out = vxtap()
        .args(["replay", "--stdout", "/nonexistent/x.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unwritable_output_fails_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let out = vxtap()
        .args(["replay", "pcaps/sample-mirror.pcap", "--out"])
        .arg(file.join("sub"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a-file"), "{err}");
    assert!(!err.contains("frames"), "no packet was read: {err}");
}

#[test]
fn bad_config_names_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[flow]\ninterval = 60\nmax-flow = 5\n").unwrap();
    let out = vxtap()
        .args(["replay", "pcaps/sample-mirror.pcap", "--stdout", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3") && err.contains("max-flow"), "{err}");
}

#[test]
fn workers_do_not_change_records() {
    let run = |w: &str| {
        let out = vxtap()
            .args([
                "replay",
                "tests/data/pcaps/mirror/mirror-multisession.pcap",
                "--stdout",
                "--quiet",
                "--interval",
                "60",
                "--workers",
                w,
            ])
            .output()
            .unwrap();
        let mut lines: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(run("1"), run("3"));
}

/// The README's sample in AWS's default format equals what the oracle prints
/// for it (`oracle-flows -q --format aws --interval 600 pcaps/sample-mirror.pcap`,
/// committed as tests/data/oracle/pcaps/sample-mirror.pcap.aws.txt): same
/// header, same lines (order aside).
#[test]
fn sample_in_the_default_format_equals_the_oracle() {
    let out = vxtap()
        .args(["replay", "pcaps/sample-mirror.pcap", "--stdout", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let ours = String::from_utf8(out.stdout).unwrap();
    let oracle =
        std::fs::read_to_string("tests/data/oracle/pcaps/sample-mirror.pcap.aws.txt").unwrap();
    let (mut a, mut b): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), oracle.lines().collect());
    assert_eq!(a[0], b[0], "header line");
    assert!(a.len() > 2);
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
}
