//! Protocol detection on real traffic: every TCP/UDP flow with payload in
//! the acceptance captures of the app-layer families gets the app_proto
//! Suricata 7.0.10 gives it (`tests/data/applayer/app_proto.tsv`, made by
//! `app_proto.py` from Suricata's EVE flow events).

mod applayer_common;

use std::collections::BTreeMap;

use applayer_common::{chunks, expected, shared};
use vxtap::applayer::{AppProto, Prober, Transport};

/// A flow's transport, detection and bytes seen per direction.
type FlowProbe = (Transport, Prober, [Vec<u8>; 2]);

#[test]
fn app_proto_equals_suricata() {
    let want = expected("app_proto.tsv");
    let mut by_cap: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in &want {
        let cap = l.split('\t').next().unwrap().to_owned();
        by_cap.entry(cap).or_default().push(l.clone());
    }
    assert!(by_cap.len() >= 35);
    let mut diffs = Vec::new();
    let mut checked = 0;
    for (cap, lines) in &by_cap {
        let mut flows: BTreeMap<[String; 2], FlowProbe> = BTreeMap::new();
        for c in chunks(&shared().join(cap)) {
            let (_, p, seen) = flows.entry(c.endpoints.clone()).or_insert_with(|| {
                (
                    c.transport,
                    Prober::new(c.transport, c.ports[0], c.ports[1]),
                    Default::default(),
                )
            });
            match c.transport {
                Transport::Udp => p.feed(c.dir, &c.data),
                Transport::Tcp => {
                    seen[c.dir.index()].extend_from_slice(&c.data);
                    p.feed(c.dir, &seen[c.dir.index()])
                }
            };
        }
        for l in lines {
            let f: Vec<&str> = l.split('\t').collect();
            let key = [f[2].to_owned(), f[3].to_owned()];
            let got = flows
                .get(&key)
                .map_or(AppProto::Unknown, |(_, p, _)| p.proto());
            let want = match f[4] {
                "-" => AppProto::Unknown,
                n => AppProto::from_name(n).unwrap_or_else(|| panic!("unknown name {n}")),
            };
            checked += 1;
            // ftp-data is announced by the FTP control channel, not probed.
            if want == AppProto::FtpData {
                continue;
            }
            if got != want {
                diffs.push(format!(
                    "{cap} {} {} {}: got {} want {}",
                    f[1],
                    f[2],
                    f[3],
                    got.name(),
                    want.name()
                ));
            }
        }
    }
    assert!(checked > 150);
    assert!(
        diffs.is_empty(),
        "{} flows differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
