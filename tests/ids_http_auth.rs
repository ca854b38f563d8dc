//! `http.request_auth_unrecognized` end to end against Suricata 7.0.10 with
//! its own `http-events.rules`: one session per Authorization header
//! variant (`tests/data/ids/httpauth/craft.py`), the same alerts (sid) on
//! the same packets (`pcap_cnt`) as Suricata's; oracles and the command
//! that made them: `tests/data/ids/httpauth/make.sh`.

use std::path::Path;
mod common;

use serde_json::Value;

/// (sid, pcap_cnt) of each alert, sorted.
fn alerts(text: &str) -> Vec<(u64, Option<u64>)> {
    let mut v: Vec<_> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event_type"] == "alert")
        .map(|e| {
            (
                e["alert"]["signature_id"].as_u64().unwrap(),
                e["pcap_cnt"].as_u64(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn authorization_schemes_alert_as_suricata() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = root.join("../shared/rules/suricata/http-events.rules");
    let data = root.join("tests/data/ids/httpauth");
    let mut cases: Vec<_> = std::fs::read_dir(data.join("pcaps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 12, "{cases:?}");
    let mut alerting = 0;
    for pcap in cases {
        let case = pcap.file_stem().unwrap().to_string_lossy().into_owned();
        let (run, out) = common::replay_with_rules(&pcap, &rules);
        assert!(run.status.success(), "{case}: {run:?}");
        let got = alerts(&std::fs::read_to_string(out.path().join("eve.json")).unwrap());
        let oracle = data.join(format!("{case}.suricata-7.0.10.alerts.jsonl"));
        let want = alerts(&std::fs::read_to_string(oracle).unwrap());
        alerting += usize::from(!want.is_empty());
        assert_eq!(got, want, "{case}: (sid, pcap_cnt)");
    }
    assert_eq!(alerting, 5, "the oracles hold the unrecognized schemes");
}
