//! Detection's flow key, as Suricata 7.0.10's (`vlan.use-for-tracking:
//! true` and the tunnel recursion level in `FlowHashKey4/6`): the same
//! 5-tuple on other VLANs (802.1Q, QinQ, three layers), inside a VXLAN
//! mirror's tagged inner frame, inside GRE and inside ERSPAN (whose header
//! names a VLAN) is a flow of its own, and fragments of different VLANs
//! are rebuilt apart. IP-only rules alert on the first packet of each
//! direction of a flow, so the packets they alert on show which flow each
//! packet joined. Expected: Suricata's alerts on the same captures with
//! `tests/data/ids/flowkey/probe.rules` (command: `make.sh` there, which
//! also writes the crafted `flowkey.pcap` with `craft.py`).
use std::path::Path;
mod common;

fn compare(capture: &Path, name: &str, workers: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("tests/data/ids/flowkey");
    let (run, out) = common::replay_with_workers(capture, &data.join("probe.rules"), workers);
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
        .map(|k| (k, got.get(k), want.get(k)))
        .collect();
    assert!(
        diff.is_empty(),
        "{name} ({workers} workers): (alert, vxtap, suricata) {diff:?}"
    );
}

#[test]
fn crafted_vlans_tunnels_and_fragments() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pcap = root.join("tests/data/ids/flowkey/flowkey.pcap");
    // Every packet of a flow meets on one worker whatever the count (the
    // dispatcher hashes the 5-tuple; VLAN ids only split flows there).
    for workers in [1, 3] {
        compare(&pcap, "flowkey", workers);
    }
}

#[test]
fn shared_vlan_captures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["zeek-vlan-collisions", "zeek-vlan-qinqinq"] {
        let pcap = root.join(format!("../shared/pcaps/plain/{name}.pcap"));
        compare(&pcap, name, 1);
    }
}
