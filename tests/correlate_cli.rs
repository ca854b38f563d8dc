//! `vxtap correlate` end to end. The derived test (`tests/correlate/derived.py`)
//! builds AWS flow logs from vxtap's own records of a real mirror capture with
//! planted differences and requires the report to find exactly those; the
//! others cover usage errors and the join without a config.

use std::path::Path;
use std::process::Command;

fn vxtap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vxtap"))
}

fn python(script: &str, work: &Path) -> String {
    let out = Command::new("python3")
        .arg(script)
        .arg("--vxtap")
        .arg(env!("CARGO_BIN_EXE_vxtap"))
        .arg("--work")
        .arg(work)
        .output()
        .expect("python3 (with pyarrow and duckdb, as .ci/run installs them)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script}:\n{text}");
    text
}

#[test]
fn derived_differences_are_found_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let text = python("tests/correlate/derived.py", dir.path());
    assert!(text.contains("derived: ok"), "{text}");
}

#[test]
fn without_config_joins_on_the_other_keys() {
    let dir = tempfile::tempdir().unwrap();
    let obs = dir.path().join("obs");
    let st = vxtap()
        .args([
            "replay",
            "tests/data/pcaps/mirror/mirror-basic.pcap",
            "--quiet",
            "--out",
        ])
        .arg(&obs)
        .status()
        .unwrap();
    assert!(st.success());
    let report = dir.path().join("report");
    let out = vxtap()
        .args(["correlate", "--quiet", "--flowlogs"])
        .arg(&obs)
        .arg("--observed")
        .arg(&obs)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("summary.json")).unwrap()).unwrap();
    // The same log on both sides: everything matches, nothing else.
    assert_eq!(s["join_by_interface"], false);
    assert!(s["matched"].as_u64().unwrap() > 0);
    assert_eq!(s["matched"], s["inputs"]["aws_records"]);
    assert_eq!(s["logged_not_mirrored"], 0);
    assert_eq!(s["mirrored_not_logged"], 0);
    for f in [
        "matched.jsonl",
        "logged_not_mirrored.jsonl",
        "mirrored_not_logged.jsonl",
        "rejected.jsonl",
        "errors.jsonl",
        "index.html",
    ] {
        assert!(report.join(f).is_file(), "{f}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&report)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn usage_errors_exit_2_and_say_what() {
    let dir = tempfile::tempdir().unwrap();
    let out = vxtap()
        .args(["correlate", "--flowlogs"])
        .arg(dir.path())
        .arg("--observed")
        .arg(dir.path())
        .arg("--report")
        .arg(dir.path().join("r"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no AWS flow-log objects found"), "{err}");
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[[mirror-filter]]\n[[mirror-filter.rule]]\nrule-number = 0\ntraffic-direction = \"ingress\"\nrule-action = \"accept\"\n",
    )
    .unwrap();
    let out = vxtap()
        .args([
            "correlate",
            "--flowlogs",
            "x",
            "--observed",
            "y",
            "--config",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mirror-filter[0].rule[0].rule-number"),
        "{err}"
    );
}
