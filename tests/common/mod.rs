//! Helpers shared by the integration tests.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `vxtap replay PCAP --rules RULES --out TMP --workers 1 --quiet`
/// (one worker, as the Suricata oracles' `--runmode single`); returns the
/// process output and the output directory.
#[allow(dead_code)] // Not every test binary replays with one worker.
pub fn replay_with_rules(pcap: &Path, rules: &Path) -> (Output, tempfile::TempDir) {
    replay_with_workers(pcap, rules, 1)
}

/// [`replay_with_rules`] with `workers` flow workers.
#[allow(dead_code)] // Not every test binary replays with several workers.
pub fn replay_with_workers(
    pcap: &Path,
    rules: &Path,
    workers: usize,
) -> (Output, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .arg("replay")
        .arg(pcap)
        .arg("--rules")
        .arg(rules)
        .arg("--out")
        .arg(out.path())
        .args(["--workers", &workers.to_string(), "--quiet"])
        .output()
        .unwrap();
    (run, out)
}

/// An alert's place: (sid, `pcap_cnt`, `pkt_src`).
#[allow(dead_code)] // Not every test binary compares alert places.
pub type AlertKey = (u64, Option<u64>, String);

/// Counts alerts by [`AlertKey`] in EVE lines, or in the oracle files'
/// `{"sid", "pcap_cnt", "pkt_src"}` lines. The frame of an alert on a
/// packet decapsulated from a tunnel is in its `tunnel` object (Suricata's).
#[allow(dead_code)] // Not every test binary compares alert places.
pub fn alert_keys(lines: &str) -> std::collections::BTreeMap<AlertKey, usize> {
    let mut m = std::collections::BTreeMap::new();
    for l in lines.lines().filter(|l| !l.trim().is_empty()) {
        let e: serde_json::Value = serde_json::from_str(l).unwrap();
        let (sid, cnt, src) = if e["event_type"] == "alert" {
            (&e["alert"]["signature_id"], &e["pcap_cnt"], &e["pkt_src"])
        } else if e.get("sid").is_some() {
            (&e["sid"], &e["pcap_cnt"], &e["pkt_src"])
        } else {
            continue;
        };
        let k = (
            sid.as_u64().unwrap(),
            cnt.as_u64().or_else(|| e["tunnel"]["pcap_cnt"].as_u64()),
            src.as_str().unwrap_or_default().to_string(),
        );
        *m.entry(k).or_insert(0) += 1;
    }
    m
}

/// [`replay_with_workers`] over several captures in one replay, writing
/// the Prometheus metrics too; returns the process output, the output
/// directory and the metrics text.
#[allow(dead_code)] // Not every test binary reads metrics.
pub fn replay_with_metrics(
    pcaps: &[&Path],
    rules: &Path,
    workers: usize,
) -> (Output, tempfile::TempDir, String) {
    let out = tempfile::tempdir().unwrap();
    let prom = out.path().join("metrics.prom");
    let run = Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .arg("replay")
        .args(pcaps)
        .arg("--rules")
        .arg(rules)
        .arg("--out")
        .arg(out.path())
        .arg("--metrics-out")
        .arg(&prom)
        .args(["--workers", &workers.to_string(), "--quiet"])
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&prom).unwrap_or_default();
    (run, out, text)
}

/// The value of the sample `name` (with its labels, as written) in
/// Prometheus text; panics when it is missing.
#[allow(dead_code)] // Not every test binary reads metrics.
pub fn metric(prom: &str, name: &str) -> u64 {
    prom.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in the metrics"))
        .trim()
        .parse::<f64>()
        .unwrap() as u64
}

/// The start of a Python script that validates EVE against Suricata
/// 7.0.10's schema (`../shared/eve/schema-7.0.10.json`, argv[1], loaded as
/// `s`) with the keys Suricata 7.0.10's own DNS output needs but its
/// schema does not list added: `dns.tc`; `aa`, `tc`, `z`, `authorities` in
/// an alert's `dns.answer`; `soa` in `answers` and `NS`/`SOA` in `grouped`
/// (a zone transfer's answer). The caller appends what it validates.
#[allow(dead_code)] // Not every test binary validates EVE.
pub const EVE_SCHEMA_WITH_DNS_ADDITIONS: &str = r#"
import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
d = s["properties"]["dns"]["properties"]
d["tc"] = {"type": "boolean"}
a = d["answer"]["properties"]
for k in ("aa", "tc", "z"):
    a[k] = {"type": "boolean"}
a["authorities"] = d["authorities"]
soa = d["authorities"]["items"]["properties"]["soa"]
d["answers"]["items"]["properties"]["soa"] = soa
g = d["grouped"]["properties"]
g["NS"] = g["CNAME"]
g["SOA"] = {"type": "array", "minItems": 1, "items": soa}
"#;

/// Checks one capture's alert counts (by any key) against its oracle's,
/// `known` saying the capture is listed as different. `None` when that
/// holds; otherwise what the failure says: the first `limit` differing keys
/// as (key, vxtap, oracle), or that a listed difference is gone.
#[allow(dead_code)] // Not every test binary compares against a list.
pub fn known_difference<K: Ord + std::fmt::Debug>(
    name: &str,
    got: &std::collections::BTreeMap<K, usize>,
    want: &std::collections::BTreeMap<K, usize>,
    known: bool,
    limit: usize,
) -> Option<String> {
    match (got == want, known) {
        (true, false) | (false, true) => None,
        (false, false) => {
            let diff: Vec<_> = got
                .keys()
                .chain(want.keys())
                .filter(|k| got.get(k) != want.get(k))
                .take(limit)
                .map(|k| (k, got.get(k).copied(), want.get(k).copied()))
                .collect();
            Some(format!("{name}: (alert, vxtap, suricata) {diff:?}"))
        }
        (true, true) => Some(format!("{name}: equal now, remove it from KNOWN_DIFFERENT")),
    }
}
