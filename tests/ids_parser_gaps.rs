//! Application-layer parsers after a sequence gap, as Suricata 7.0.10
//! handles them. Its SMB parser accepts gaps: the record in progress is
//! dropped and the data that follows is searched for the next SMB record,
//! so a file written after the gap is still inspected. Over DCE/RPC on
//! TCP, Suricata raises nothing after these gaps, as vxtap. The captures
//! are acceptance cases without one frame each (`tests/data/ids/
//! parser-gaps/CASES`; `make.sh` beside it made them with editcap, and
//! Suricata's alert counts per sid).

use std::collections::BTreeMap;
use std::path::Path;
mod common;

use serde_json::Value;

fn vxtap_counts(eve: &str) -> BTreeMap<u64, usize> {
    let mut m = BTreeMap::new();
    for l in eve.lines().filter(|l| !l.trim().is_empty()) {
        let e: Value = serde_json::from_str(l).unwrap();
        if e["event_type"] == "alert" {
            *m.entry(e["alert"]["signature_id"].as_u64().unwrap())
                .or_insert(0) += 1;
        }
    }
    m
}

fn oracle_counts(tsv: &str) -> BTreeMap<u64, usize> {
    tsv.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (sid, n) = l.split_once('\t').unwrap();
            (sid.parse().unwrap(), n.parse().unwrap())
        })
        .collect()
}

#[test]
fn parsers_after_a_gap_alert_as_suricata() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ids/parser-gaps");
    let cases = std::fs::read_to_string(data.join("CASES")).unwrap();
    let mut failed = Vec::new();
    let mut alerts = 0;
    for line in cases
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut f = line.split_whitespace();
        let (name, case) = (f.next().unwrap(), f.next().unwrap());
        let pcap = data.join(format!("{name}.pcap"));
        let (run, out) = common::replay_with_rules(&pcap, &data.join(format!("{case}.rules")));
        assert!(run.status.success(), "{name}: {run:?}");
        let got =
            vxtap_counts(&std::fs::read_to_string(out.path().join("eve.json")).unwrap_or_default());
        let want = oracle_counts(
            &std::fs::read_to_string(data.join(format!("{name}.suricata-7.0.10.tsv"))).unwrap(),
        );
        alerts += got.values().sum::<usize>();
        if got != want {
            failed.push(format!("{name}: vxtap {got:?}, Suricata {want:?}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    // The four SMB files written after their gap are seen.
    assert_eq!(alerts, 4);
}
