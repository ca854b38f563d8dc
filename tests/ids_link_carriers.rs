//! Packets in PPPoE sessions and MPLS label stacks reach detection as
//! Suricata 7.0.10 decodes them, while the flow stage counts them as
//! non-IP as VPC Flow Logs would (tests/oracle_flows.rs holds that side).
//! The packet-level probe rules of `tests/data/ids/link-carriers/probe.rules`
//! (addresses, flags, dsize, flow state, TTL) over the captures listed in
//! `CAPTURES` must alert on the same packets (`pcap_cnt`) as Suricata's
//! alerts in the oracle files (command: `make.sh` in that folder).
use std::path::Path;
mod common;

#[test]
fn carried_packets_alert_as_suricatas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("tests/data/ids/link-carriers");
    let captures = std::fs::read_to_string(data.join("CAPTURES")).unwrap();
    let mut compared = 0;
    for name in captures.lines().filter(|l| !l.trim().is_empty()) {
        let pcap = root
            .join("../shared/pcaps/plain")
            .join(format!("{name}.pcap"));
        let (run, out) = common::replay_with_rules(&pcap, &data.join("probe.rules"));
        assert!(run.status.success(), "{name}: {run:?}");
        let got = common::alert_keys(
            &std::fs::read_to_string(out.path().join("eve.json")).unwrap_or_default(),
        );
        let want = common::alert_keys(
            &std::fs::read_to_string(data.join(format!("{name}.suricata-7.0.10.alerts.jsonl")))
                .unwrap(),
        );
        assert!(!want.is_empty(), "{name}: the oracle has no alert");
        let diff: Vec<_> = got
            .keys()
            .chain(want.keys())
            .filter(|k| got.get(k) != want.get(k))
            .map(|k| (k, got.get(k).copied(), want.get(k).copied()))
            .collect();
        assert!(diff.is_empty(), "{name}: (alert, vxtap, suricata) {diff:?}");
        compared += 1;
    }
    assert_eq!(compared, 2);
}
