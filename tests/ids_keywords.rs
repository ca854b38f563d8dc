//! The last ET Open keywords (xbits, base64_decode/base64_data, …) on
//! crafted captures: `vxtap replay --rules NAME.rules` must raise, per sid,
//! exactly the alerts Suricata 7.0.10 raises (0s included). Captures,
//! rules and the oracle counts are in `tests/data/ids/keywords/`, rebuilt
//! by its `make.sh` (the commands are written there).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ids/keywords")
}

fn counts(eve: &Path) -> BTreeMap<String, u64> {
    let mut got = BTreeMap::new();
    for line in std::fs::read_to_string(eve).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["event_type"] == "alert" {
            *got.entry(v["alert"]["signature_id"].to_string())
                .or_default() += 1;
        }
    }
    got
}

fn case(name: &str) {
    let d = dir();
    check(&d.join(format!("{name}.pcap")), name, name);
}

/// `pcap` replayed with `RULES.rules` must give `EXPECTED.expected.json`.
fn check(pcap: &Path, rules: &str, name: &str) {
    let d = dir();
    let expected: BTreeMap<String, u64> = serde_json::from_str(
        &std::fs::read_to_string(d.join(format!("{name}.expected.json"))).unwrap(),
    )
    .unwrap();
    let (run, out) = common::replay_with_rules(pcap, &d.join(format!("{rules}.rules")));
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got = counts(&out.path().join("eve.json"));
    let mine: BTreeMap<String, u64> = expected
        .keys()
        .map(|k| (k.clone(), got.get(k).copied().unwrap_or(0)))
        .collect();
    assert_eq!(
        mine, expected,
        "{name}: per-sid alerts (vxtap, Suricata 7.0.10)"
    );
    assert!(got.keys().all(|k| expected.contains_key(k)), "{got:?}");
}

#[test]
fn xbits_as_suricata() {
    case("xbits");
}

#[test]
fn base64_decode_and_data_as_suricata() {
    case("base64");
}

#[test]
fn base64_in_et_open_http_rules_as_suricata() {
    case("base64-http");
}

/// Suricata 7.0.10 marks the packet on which a direction's protocol
/// detection finished; when that is a packet of the other direction (TCP
/// bytes are detected when acknowledged), the mark goes to the next packet
/// of the direction itself: `app-layer-protocol` alerts once per direction.
#[test]
fn app_layer_protocol_once_per_direction_as_suricata() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pcaps/plain");
    // zeek-krb_kerberos_tso: three Kerberos requests travel in TSO frames
    // (IPv4 total length 0) that Suricata's decoder rejects, so their
    // direction is never detected (11 alerts, not 14).
    for pcap in [
        "zeek-ssh_single-conn.pcap",
        "zeek-krb_kerberos_tso.pcapng",
        "zeek-ssh_ssh.pcap",
    ] {
        let stem = pcap.rsplit_once('.').unwrap().0;
        check(
            &shared.join(pcap),
            "app-layer-protocol",
            &format!("app-layer-protocol.{stem}"),
        );
    }
}

#[test]
fn tag_alerts_as_suricata() {
    case("tag");
}
