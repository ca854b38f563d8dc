//! EVE transaction events (`--eve-types`), end to end, against Suricata
//! 7.0.10's own `eve.json` for the same captures and rules
//! (`tests/data/eve_tx/suricata-7.0.10.jsonl`, made by
//! `tests/data/eve_tx/make.sh`): every `http`, `dns`, `tls` and `ssh` event
//! Suricata wrote must be written by vxtap with the same timestamp,
//! `pcap_cnt`, addresses, ports, `proto`, `pkt_src`, `tx_id` and object,
//! and vxtap must write no other. The cases where that cannot hold are in
//! [`KNOWN`] with the reason; the test fails when one of them changes (so
//! the list stays true) or any other event differs.
//!
//! Every event vxtap writes (alerts and transaction events) also validates
//! against Suricata's schema (`../shared/eve/schema-7.0.10.json`) with the
//! `vxtap` object added and the keys Suricata's own events need.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
mod common;

use serde_json::Value;

/// Differences that remain: (case, events only Suricata wrote, events only
/// vxtap wrote, reason).
const KNOWN: &[(&str, usize, usize, &str)] = &[
    (
        "byte-extract-01",
        2,
        0,
        "a request of raw binary bytes: libhtp treats it as a response without request \
         (request_uri_not_seen) and logs two garbled transactions; vxtap, since the libhtp \
         0.9/REQ_FINALIZE rules, takes those bytes as no request and logs none",
    ),
    (
        "detect-bytetest-01",
        2,
        0,
        "the same capture and libhtp behaviour as byte-extract-01",
    ),
    (
        "security-4710-02",
        1,
        1,
        "Suricata completes the transaction only at flow end (its response body is \
         waiting for the client's acknowledgement); vxtap at the packet that acknowledges \
         it",
    ),
    (
        "derived-app-layer-protocol-b",
        1,
        1,
        "a resumed TLS session logged at flow end: Suricata's flow-timeout timestamp is \
         its timeout clock, vxtap's the flow's last packet (as for its flow-end alerts)",
    ),
    (
        "hassh-zeek-ssh",
        5,
        5,
        "SSH 1.5 clients (no KEXINIT): logged at the end of the connection, one packet \
         later in Suricata (its application-layer EOF comes with the last ACK)",
    ),
];

/// Captures and rules of the cases that are not acceptance cases.
fn case_input(root: &Path, case: &str) -> (PathBuf, PathBuf) {
    let shared = root.join("../shared");
    let hassh = root.join("tests/data/eve_tx/hassh.rules");
    match case {
        "hassh-derived-vxlan-aws-mirror" => (
            shared.join("acceptance/derived-vxlan-aws-mirror/input.pcap"),
            hassh,
        ),
        "hassh-sv-ssh-hassh" => (shared.join("pcaps/plain/sv-ssh-hassh.pcap"), hassh),
        "hassh-zeek-ssh" => (shared.join("pcaps/plain/zeek-ssh_ssh.pcap"), hassh),
        _ => {
            let d = shared.join("acceptance").join(case);
            let pcap = ["input.pcap", "input.pcapng"]
                .iter()
                .map(|n| d.join(n))
                .find(|p| p.exists())
                .unwrap_or_else(|| panic!("{case}: no capture in {}", d.display()));
            (pcap, d.join("test.rules"))
        }
    }
}

/// What must be equal between Suricata's event and vxtap's.
const KEYS: &[&str] = &[
    "event_type",
    "timestamp",
    "pcap_cnt",
    "src_ip",
    "src_port",
    "dest_ip",
    "dest_port",
    "proto",
    "pkt_src",
    "tx_id",
];

const TX_TYPES: &[&str] = &["http", "dns", "tls", "ssh"];

/// An event's comparable part: the keys above and the object.
fn comparable(e: &Value) -> String {
    let et = e["event_type"].as_str().unwrap_or_default();
    let mut parts: Vec<String> = KEYS.iter().map(|k| e[*k].to_string()).collect();
    // Value maps compare (and print) with sorted keys: a DNS `grouped`
    // object's order, which changes from run to run in Suricata, does not
    // matter here (tests/eve_app.rs checks key order).
    parts.push(e[et].to_string());
    parts.join(" ")
}

fn oracle(root: &Path) -> BTreeMap<String, Vec<Value>> {
    let p = root.join("tests/data/eve_tx/suricata-7.0.10.jsonl");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for l in text.lines() {
        let (case, line) = l.split_once('\t').expect("CASE<TAB>line");
        out.entry(case.to_owned())
            .or_default()
            .push(serde_json::from_str(line).unwrap());
    }
    let cases = std::fs::read_to_string(root.join("tests/data/eve_tx/cases.txt")).unwrap();
    for c in cases.lines().chain([
        "hassh-derived-vxlan-aws-mirror",
        "hassh-sv-ssh-hassh",
        "hassh-zeek-ssh",
    ]) {
        assert!(out.contains_key(c), "{c}: no Suricata events in the oracle");
    }
    out
}

/// Runs vxtap on one case with every event type on; its eve.json lines.
fn run_vxtap(root: &Path, case: &str, dir: &Path) -> Vec<Value> {
    let (pcap, rules) = case_input(root, case);
    let out = dir.join(case);
    let run = Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .arg("replay")
        .arg(&pcap)
        .arg("--rules")
        .arg(&rules)
        .arg("--out")
        .arg(&out)
        .args(["--workers", "1", "--quiet"])
        .args(["--eve-types", "alert,http,dns,tls,ssh"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{case}: {run:?}");
    std::fs::read_to_string(out.join("eve.json"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn is_tx(e: &Value) -> bool {
    TX_TYPES.contains(&e["event_type"].as_str().unwrap_or_default())
}

#[test]
fn transaction_events_equal_suricatas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let want_all = oracle(root);
    let dir = tempfile::tempdir().unwrap();
    let mut differ = Vec::new();
    let mut seen_known = Vec::new();
    let mut equal: BTreeMap<String, usize> = BTreeMap::new();
    let mut all_lines = Vec::new();
    for (case, want) in &want_all {
        let got_all = run_vxtap(root, case, dir.path());
        let got: Vec<&Value> = got_all.iter().filter(|e| is_tx(e)).collect();
        all_lines.extend(got_all.iter().map(Value::to_string));
        let mut pool: BTreeMap<String, usize> = BTreeMap::new();
        for g in &got {
            *pool.entry(comparable(g)).or_default() += 1;
        }
        let mut only_suricata = Vec::new();
        for w in want {
            let k = comparable(w);
            match pool.get_mut(&k) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    *equal
                        .entry(w["event_type"].as_str().unwrap().to_owned())
                        .or_default() += 1;
                }
                _ => only_suricata.push(k),
            }
        }
        let only_vxtap: Vec<String> = pool
            .iter()
            .flat_map(|(k, n)| std::iter::repeat_n(k.clone(), *n))
            .collect();
        if only_suricata.is_empty() && only_vxtap.is_empty() {
            continue;
        }
        match KNOWN.iter().find(|k| k.0 == case) {
            Some(&(_, s, v, why)) if s == only_suricata.len() && v == only_vxtap.len() => {
                seen_known.push(case.clone());
                let _ = why;
            }
            _ => differ.push(format!(
                "{case}: only Suricata's {}:\n  {}\nonly vxtap's {}:\n  {}",
                only_suricata.len(),
                only_suricata.join("\n  "),
                only_vxtap.len(),
                only_vxtap.join("\n  ")
            )),
        }
    }
    for k in KNOWN {
        assert!(
            seen_known.iter().any(|c| c == k.0),
            "known difference of {} ({}) no longer holds as listed",
            k.0,
            k.3
        );
    }
    eprintln!("events equal to Suricata's, by type: {equal:?}");
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
    // Each type is covered.
    for t in TX_TYPES {
        assert!(equal.get(*t).copied().unwrap_or(0) >= 5, "{t}: {equal:?}");
    }
    validate(root, &all_lines);
}

/// Validates `lines` (vxtap's events) and the oracle's (Suricata's) with
/// [`VALIDATE`].
fn validate(root: &Path, lines: &[String]) {
    let dir = tempfile::tempdir().unwrap();
    let eve = dir.path().join("eve.json");
    std::fs::write(&eve, lines.join("\n") + "\n").unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "{}{VALIDATE}",
            common::EVE_SCHEMA_WITH_DNS_ADDITIONS
        ))
        .arg(root.join("../shared/eve/schema-7.0.10.json"))
        .arg(root.join("docs/eve-vxtap.schema.json"))
        .arg(root.join("tests/data/eve_tx/suricata-7.0.10.jsonl"))
        .arg(&eve)
        .output()
        .expect("python3 with jsonschema (.ci/run installs it)");
    assert!(
        out.status.success(),
        "schema validation failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts = String::from_utf8_lossy(&out.stdout);
    let (s, v) = counts.trim().split_once(' ').unwrap();
    assert!(s.parse::<usize>().unwrap() > 300, "{counts}");
    assert_eq!(v.parse::<usize>().unwrap(), lines.len());
}

/// Validates Suricata's events (argv[3], `CASE<TAB>line`) then vxtap's
/// (argv[4]) against the schema (argv[1]) with vxtap's object (argv[2])
/// and the keys Suricata 7.0.10's own DNS events need but its schema
/// does not list ([`common::EVE_SCHEMA_WITH_DNS_ADDITIONS`], which comes
/// first). Prints both counts.
const VALIDATE: &str = r#"
s["properties"]["vxtap"] = json.load(open(sys.argv[2]))
v = jsonschema.validators.validator_for(s)(s)
n = 0
for l in open(sys.argv[3]):
    v.validate(json.loads(l.split("\t", 1)[1]))
    n += 1
m = 0
for l in open(sys.argv[4]):
    v.validate(json.loads(l))
    m += 1
print(n, m)
"#;
