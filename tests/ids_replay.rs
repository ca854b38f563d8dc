//! `vxtap replay --rules` end to end on the bundled capture with the
//! shipped rules, against Suricata 7.0.10's alerts for the same input
//! (`tests/data/ids/README.md` has the command), plus the EVE schema and
//! the run's guarantees (atomic eve.json, counts in the metrics).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `vxtap replay CAPTURE --rules RULES` with `extra` arguments.
fn replay(capture: &Path, rules: &Path, extra: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .arg("replay")
        .arg(capture)
        .arg("--rules")
        .arg(rules)
        .args(extra)
        .output()
        .unwrap()
}

fn alerts(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event_type"] == "alert")
        .collect()
}

/// Every sid of an active rule in the file, with 0.
fn sids_of(rules: &Path) -> BTreeMap<u64, usize> {
    let text = std::fs::read_to_string(rules).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("alert")) {
        let sid = line.split("sid:").nth(1).unwrap();
        let sid: u64 = sid[..sid.find(';').unwrap()].trim().parse().unwrap();
        out.insert(sid, 0);
    }
    out
}

fn count(alerts: &[Value], mut base: BTreeMap<u64, usize>) -> BTreeMap<u64, usize> {
    for a in alerts {
        *base
            .entry(a["alert"]["signature_id"].as_u64().unwrap())
            .or_default() += 1;
    }
    base
}

/// What must be equal between vxtap's and Suricata's alert of a rule.
fn identity(a: &Value) -> String {
    let f = |k: &str| a[k].to_string();
    format!(
        "{} {} {}:{} -> {}:{} {} {} {} {} {} {}",
        a["alert"]["signature_id"],
        f("proto"),
        f("src_ip"),
        f("src_port"),
        f("dest_ip"),
        f("dest_port"),
        f("direction"),
        f("pkt_src"),
        a["alert"]["severity"],
        a["alert"]["category"],
        a["alert"]["signature"],
        a["tunnel"]["dest_port"],
    )
}

#[test]
fn shipped_rules_on_the_bundled_capture_alert_as_suricata_does() {
    let out = tempfile::tempdir().unwrap();
    let metrics = out.path().join("metrics.prom");
    let run = replay(
        &root().join("pcaps/sample-mirror.pcap"),
        &root().join("rules"),
        &[
            "--out".as_ref(),
            out.path().as_os_str(),
            "--metrics-out".as_ref(),
            metrics.as_os_str(),
            "--workers".as_ref(),
            "2".as_ref(),
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let ours = alerts(&out.path().join("eve.json"));
    let theirs = alerts(&root().join("tests/data/ids/sample-mirror.suricata-7.0.10.alerts.jsonl"));
    let sids = sids_of(&root().join("rules/vxtap.rules"));
    assert_eq!(count(&ours, sids.clone()), count(&theirs, sids));

    // The same alerts, rule by rule, where no threshold decides which
    // packet of several alerts (with two workers that is a race).
    let rules = std::fs::read_to_string(root().join("rules/vxtap.rules")).unwrap();
    let thresholded: Vec<String> = rules
        .lines()
        .filter(|l| l.contains("threshold:"))
        .filter_map(|l| l.split("sid:").nth(1))
        .map(|s| s[..s.find(';').unwrap()].to_string())
        .collect();
    let keep = |a: &&Value| !thresholded.contains(&a["alert"]["signature_id"].to_string());
    let mut mine: Vec<String> = ours.iter().filter(keep).map(identity).collect();
    let mut suri: Vec<String> = theirs.iter().filter(keep).map(identity).collect();
    mine.sort();
    suri.sort();
    assert_eq!(mine, suri);

    // Nothing left behind under a temporary name; the metrics agree.
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let prom = std::fs::read_to_string(&metrics).unwrap();
    let written = prom
        .lines()
        .find(|l| l.starts_with("vxtap_alerts_written_total "))
        .unwrap();
    assert_eq!(
        written,
        format!("vxtap_alerts_written_total {}", ours.len())
    );
}

#[test]
fn rules_with_stdout_need_an_eve_file() {
    let run = replay(
        &root().join("pcaps/sample-mirror.pcap"),
        &root().join("rules"),
        &["--stdout".as_ref()],
    );
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("--eve FILE"));
}

#[test]
fn broken_rules_are_reported_and_the_rest_still_alert() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("mixed.rules");
    std::fs::write(
        &rules,
        "alert udp any any -> any 53 (msg:\"dns\"; sid:1;)\n\
         alert tcp any any -> any any (msg:\"broken\"; content:\"x; sid:2;)\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = replay(
        &root().join("pcaps/sample-mirror.pcap"),
        &rules,
        &["--out".as_ref(), out.as_os_str()],
    );
    assert!(run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("mixed.rules:2"), "{err}");
    assert!(!alerts(&out.join("eve.json")).is_empty());
}

/// Tunnel outer packets are inspected as their own flows without decoder
/// events from the headers-only copy (oracle: tests/data/ids/README.md).
#[test]
fn outer_tunnel_packets_raise_no_truncation_events() {
    let dir = tempfile::tempdir().unwrap();
    let run = replay(
        &root().join("../shared/acceptance/derived-vxlan-aws-mirror/input.pcap"),
        &root().join("tests/data/ids/outer-events.rules"),
        &["--out".as_ref(), dir.path().as_os_str(), "-q".as_ref()],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got = count(&alerts(&dir.path().join("eve.json")), BTreeMap::new());
    assert_eq!(got.get(&1), None);
    assert_eq!(got.get(&2), Some(&13));
}
