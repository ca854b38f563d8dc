//! Packets detection decodes beyond the flow stage, as Suricata 7.0.10's
//! decoders do: IP in PPPoE sessions and MPLS label stacks (the flow stage
//! counts those as non-IP, as VPC Flow Logs would: tests/oracle_flows.rs),
//! the packet inside GRE/ERSPAN and IP-in-IP, and datagrams rebuilt from
//! fragments. The packet-level probe rules of
//! `tests/data/ids/decoders/probe.rules` (addresses, flags, dsize, flow
//! state, TTL) over the captures of `CAPTURES` must alert on the same
//! packets with the same `pkt_src` (`gre tunnel`, `ipv4 tunnel`, `defrag`,
//! …) and the same `tunnel` object (root packet, depth, frame) as
//! Suricata's alerts in the oracle files (command: `make.sh` there).
use std::collections::BTreeMap;
use std::path::Path;
mod common;

use serde_json::Value;

/// Captures where vxtap still differs, and why.
const KNOWN_DIFFERENT: &[(&str, &str)] = &[
    (
        "zeek-tunnels_gre-sample",
        "one ICMP destination unreachable inside GRE (frame 34) about a UDP \
         packet: Suricata's flow lookup puts an ICMPv4 error in the flow of the \
         packet it quotes (FlowGetHash, FlowCompareICMPv4), where it is that \
         flow's first packet to the client, so the IP-only rules fire on it; \
         vxtap keys it as an ICMP packet of its own addresses, in the ICMP echo \
         flow of frames 1-8",
    ),
    (
        "zeek-tunnels_ping6-in-ipv4",
        "the 6in4 outer flow's reply direction (frame 2): one IP-only alert more \
         in vxtap",
    ),
];

/// (sid, frame, pkt_src, tunnel object) -> alerts.
type Key = (u64, Option<u64>, String, String);

fn keys(lines: &str) -> BTreeMap<Key, usize> {
    let mut m = BTreeMap::new();
    for l in lines.lines().filter(|l| !l.trim().is_empty()) {
        let e: Value = serde_json::from_str(l).unwrap();
        let sid = if e["event_type"] == "alert" {
            &e["alert"]["signature_id"]
        } else {
            &e["sid"]
        };
        let tunnel = &e["tunnel"];
        let frame = e["pcap_cnt"].as_u64().or(tunnel["pcap_cnt"].as_u64());
        let k = (
            sid.as_u64().unwrap(),
            frame,
            e["pkt_src"].as_str().unwrap_or_default().to_string(),
            tunnel.to_string(),
        );
        *m.entry(k).or_insert(0) += 1;
    }
    m
}

#[test]
fn decoded_packets_alert_as_suricatas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("tests/data/ids/decoders");
    let captures = std::fs::read_to_string(data.join("CAPTURES")).unwrap();
    let mut failed = Vec::new();
    let mut compared = 0;
    for file in captures.lines().filter(|l| !l.trim().is_empty()) {
        let name = file.rsplit_once('.').map_or(file, |(n, _)| n);
        let pcap = root.join("../shared/pcaps/plain").join(file);
        let (run, out) = common::replay_with_rules(&pcap, &data.join("probe.rules"));
        assert!(run.status.success(), "{name}: {run:?}");
        let got = keys(&std::fs::read_to_string(out.path().join("eve.json")).unwrap_or_default());
        let want = keys(
            &std::fs::read_to_string(data.join(format!("{name}.suricata-7.0.10.alerts.jsonl")))
                .unwrap(),
        );
        assert!(!want.is_empty(), "{name}: the oracle has no alert");
        compared += 1;
        let known = KNOWN_DIFFERENT.iter().any(|(k, _)| *k == name);
        failed.extend(common::known_difference(
            name,
            &got,
            &want,
            known,
            usize::MAX,
        ));
    }
    assert!(compared >= 17, "only {compared} captures");
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
