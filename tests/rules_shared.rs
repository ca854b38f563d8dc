//! Every rule of the shared rule sets parses or fails with a located
//! reason; nothing panics. Oracle: `../shared/rules/README.md` — Suricata
//! 7.0.10 loads all 14,966 active ET Open rules and all 380 of its own
//! rules (dnp3/modbus enabled) with 0 failures, so vxtap must fail none.

use std::path::PathBuf;
use std::process::Command;

use vxtap::detect::load::{LoadOptions, load_paths};

fn shared(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/rules")
        .join(p)
}

#[test]
fn et_open_every_rule_parses_or_is_reported() {
    let (set, r) = load_paths(&[shared("et-open")], &LoadOptions::default()).unwrap();
    assert_eq!(
        r.total, 14_966,
        "active rules per ../shared/rules/README.md"
    );
    let failed: Vec<String> = r.failed.iter().map(ToString::to_string).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(r.loaded + r.unsupported, r.total);
    assert_eq!(set.sigs.len(), r.loaded);
    assert!(
        r.classification.is_some(),
        "et-open/classification.config is used"
    );
    // The header protocols alone put most ET rules out of reach until the
    // app layer exists; what is left must load.
    assert!(r.loaded > 3000, "loaded {}", r.loaded);
}

#[test]
fn suricata_rules_every_rule_parses() {
    let (_, r) = load_paths(&[shared("suricata")], &LoadOptions::default()).unwrap();
    assert_eq!(r.total, 380, "rules per ../shared/rules/README.md");
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    assert!(r.reference.is_some());
}

#[test]
fn cli_check_reports_located_failures_as_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.rules"),
        "alert tcp any any -> any any (content:\"a\"; sid:1;)\n\
         # alert tcp any any -> any any (broken\n\
         alert tcp any any -> any any (content:\"a\"; depth:0; sid:2;)\n\
         alert sip any any -> any any (sip.uri; content:\"/x\"; sid:3;)\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .args(["rules", "check", "--json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a failed rule exits 1");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], 3);
    assert_eq!(v["loaded"], 1);
    assert_eq!(v["unsupported"], 1);
    assert_eq!(v["failed"], 1);
    assert_eq!(v["unsupported_by_keyword"]["sip.uri"], 1);
    let f = &v["failures"][0];
    assert_eq!(f["line"], 3);
    assert_eq!(f["sid"], 2);
    assert!(f["file"].as_str().unwrap().ends_with("a.rules"));
    assert!(f["reason"].as_str().unwrap().contains("depth"), "{f}");

    let loaded = dir.path().join("loaded.rules");
    let w = Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .args(["rules", "check", "--json", "--write-loaded"])
        .arg(&loaded)
        .arg(dir.path().join("a.rules"))
        .output()
        .unwrap();
    assert_eq!(w.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&loaded).unwrap(),
        "alert tcp any any -> any any (content:\"a\"; sid:1;)\n"
    );

    let text = Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .args(["rules", "check"])
        .arg(dir.path().join("a.rules"))
        .output()
        .unwrap();
    let s = String::from_utf8(text.stdout).unwrap();
    assert!(s.starts_with("3 rules in 1 files: 1 loaded"), "{s}");
    assert!(s.contains("a.rules:3: sid 2: keyword `depth`"), "{s}");
}

#[test]
fn cli_check_missing_path_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .args(["rules", "check", "/nonexistent/rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/rules"));
}
