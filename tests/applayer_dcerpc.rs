//! DCE/RPC over TCP on real traffic: every flow of the captures in
//! `tests/data/applayer/dcerpc.py` goes through protocol detection and the
//! DCE/RPC parser (reassembled by `vxtap::stream`, fed in the pieces it
//! delivers, then byte by byte); each transaction's request and response
//! types, call_id, opnum, stub sizes and bound interfaces must equal
//! Suricata 7.0.10's EVE `dcerpc` events (`tests/data/applayer/dcerpc.tsv`,
//! made by `dcerpc.py`). The `smb` lines of that file are checked by
//! `tests/applayer_smb.rs`.

mod applayer_common;

use applayer_common::{chunks, dcerpc_line as line, expected, run_parser, shared};
use vxtap::applayer::dcerpc::{Carrier, DcerpcState, DcerpcTx, parser};
use vxtap::applayer::{AppProto, Direction};

#[test]
fn dcerpc_transactions_equal_suricata() {
    let want: Vec<String> = expected("dcerpc.tsv")
        .into_iter()
        .filter(|l| l.split('\t').nth(1) == Some("tcp"))
        .collect();
    let mut caps: Vec<String> = want
        .iter()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    caps.dedup();
    assert_eq!(caps.len(), 2, "{caps:?}");
    for bytewise in [false, true] {
        let mut got = Vec::new();
        for cap in &caps {
            let all = chunks(&shared().join(cap));
            let states = run_parser(
                &all,
                AppProto::Dcerpc,
                |_| (DcerpcState::new(Carrier::Tcp), Vec::new()),
                |(s, done): &mut (DcerpcState, Vec<DcerpcTx>), d, b| {
                    if bytewise {
                        for x in b {
                            s.parse(d, std::slice::from_ref(x));
                        }
                    } else {
                        s.parse(d, b);
                    }
                    // Taken as the pipeline takes them, so the
                    // transaction cap never drops one.
                    done.extend(s.take_complete());
                },
            );
            for (flow, (s, done)) in &states {
                let ep = &all.iter().find(|c| c.flow == *flow).unwrap().endpoints;
                got.extend(done.iter().chain(s.txs()).map(|t| line(cap, "tcp", ep, t)));
            }
        }
        got.sort();
        let mut w = want.clone();
        w.sort();
        assert_eq!(got.len(), w.len(), "bytewise={bytewise}");
        assert_eq!(got, w, "bytewise={bytewise}");
    }
}

#[test]
fn issue_7187_stub_holds_what_the_acceptance_rule_matches() {
    // ../shared/acceptance/dcerpc-issue-7187-01: sid 1 matches
    // "BwNodeIP.exe " in the stub of the opnum 1 request (4531 bytes in
    // Suricata's EVE), its interface accepted with context 0.
    let cap = "acceptance/dcerpc-issue-7187-01/input.pcap";
    let all = chunks(&shared().join(cap));
    let states = run_parser(
        &all,
        AppProto::Dcerpc,
        |_| DcerpcState::new(Carrier::Tcp),
        |s, d, b| s.parse(d, b),
    );
    let s = states.values().next().unwrap();
    let tx = s.txs().iter().find(|t| t.opnum() == Some(1)).unwrap();
    let stub = tx.stub_data(Direction::ToServer).unwrap();
    assert_eq!(stub.len(), 4531);
    assert!(stub.windows(13).any(|w| w == b"BwNodeIP.exe "));
    let uuid = parser::parse_uuid("5d2b62aa-ee0a-4a95-91ae-b064fdb471fc").unwrap();
    assert!(s.iface_matches(tx, &uuid, |_| true, false));
}
