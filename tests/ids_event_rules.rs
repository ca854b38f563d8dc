//! Suricata's own HTTP and DNS event rules (`app-layer-event:http.*`,
//! `dns.*`) on real captures: vxtap's alerts per sid equal Suricata
//! 7.0.10's, every sid that alerted on either side. The oracle is
//! `tests/data/ids/event_rules.json`, written by
//! `python3 tests/data/ids/event_rules.py` (`../shared/tools/oracle-alerts`
//! with the same rule files). vxtap loads the rules it enforces and skips
//! the others; an event it does not raise but Suricata does fails here.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

fn alerts(eve: &std::path::Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let text = std::fs::read_to_string(eve).unwrap_or_default();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["event_type"] == "alert" {
            *out.entry(v["alert"]["signature_id"].to_string())
                .or_default() += 1;
        }
    }
    out
}

#[test]
fn http_and_dns_event_rules_alert_as_suricata() {
    let oracle: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/ids/event_rules.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let rules: Vec<PathBuf> = oracle["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| shared().join(r.as_str().unwrap()))
        .collect();
    // One rule file, as the oracle loaded both.
    let dir = tempfile::tempdir().unwrap();
    let joined = dir.path().join("events.rules");
    let text: String = rules
        .iter()
        .map(|r| std::fs::read_to_string(r).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&joined, text).unwrap();
    let mut differ = Vec::new();
    for (cap, want) in oracle["captures"].as_object().unwrap() {
        let want: BTreeMap<String, u64> = want
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        let (run, out) = common::replay_with_rules(&shared().join(cap), &joined);
        assert!(
            run.status.success(),
            "{cap}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let got = alerts(&out.path().join("eve.json"));
        if got != want {
            differ.push(format!("{cap}: vxtap {got:?}, suricata {want:?}"));
        }
    }
    assert!(differ.is_empty(), "alerts differ:\n{}", differ.join("\n"));
}
