//! SMB on real traffic: every SMB flow of the captures in
//! `tests/data/applayer/smb.py` goes through protocol detection and the
//! SMB parser (reassembled by `vxtap::stream`, fed in the pieces it
//! delivers, then byte by byte) and must give what Suricata 7.0.10 logs
//! (`tests/data/applayer/smb.tsv`, made by `smb.py`): every transaction's
//! command and status, the share / named pipe of tree connects and the
//! name of creates; every file's name, size and MD5 of its data; and the
//! DCE/RPC carried over named pipes (`smb` lines of `dcerpc.tsv`).

mod applayer_common;

use applayer_common::{Chunk, chunks, expected, run_parser, shared};
use md5::{Digest, Md5};
use vxtap::applayer::dcerpc::{DcerpcTx, parser as dce};
use vxtap::applayer::smb::{SmbState, SmbTx};
use vxtap::applayer::{AppProto, Direction};

fn dash(v: Option<&[u8]>) -> String {
    v.map_or("-".to_owned(), |b| String::from_utf8_lossy(b).into_owned())
}

/// Per flow: the state, its taken SMB and DCE/RPC transactions.
type Run = (SmbState, Vec<SmbTx>, Vec<DcerpcTx>);

fn run(all: &[Chunk], bytewise: bool) -> std::collections::BTreeMap<usize, Run> {
    let mut states = run_parser(
        all,
        AppProto::Smb,
        |_| (SmbState::new(), Vec::new(), Vec::new()),
        |(s, txs, dtxs): &mut Run, d, b| {
            if bytewise {
                for x in b {
                    s.parse(d, std::slice::from_ref(x));
                }
            } else {
                s.parse(d, b);
            }
            txs.extend(s.take_complete());
            dtxs.extend(s.dcerpc_mut().take_complete());
        },
    );
    for (s, txs, dtxs) in states.values_mut() {
        s.close();
        txs.extend(s.take_complete());
        dtxs.extend(s.dcerpc().txs().iter().cloned());
    }
    states
}

fn smb_lines(cap: &str, all: &[Chunk], bytewise: bool) -> (Vec<String>, Vec<String>) {
    let mut out = Vec::new();
    let mut dce_lines = Vec::new();
    for (flow, (s, txs, dtxs)) in run(all, bytewise) {
        let ep = &all.iter().find(|c| c.flow == flow).unwrap().endpoints;
        for t in &txs {
            let file = t.file.map(|f| &s.files()[f]);
            out.push(format!(
                "{cap}\tTX\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                ep[0],
                ep[1],
                t.command.name(),
                t.status.map_or("-".to_owned(), |v| format!("{v:#x}")),
                dash(t.share().or(file.map(|f| f.share.as_slice()))),
                dash(t.named_pipe()),
                dash(t.filename().or(file.map(|f| f.name.as_slice()))),
            ));
        }
        for f in s.files() {
            let md5: String = Md5::digest(f.data())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            out.push(format!(
                "{cap}\tFILE\t{}\t{}\t{}\t{}\t{md5}",
                ep[0],
                ep[1],
                String::from_utf8_lossy(&f.name),
                f.size
            ));
        }
        for t in &dtxs {
            dce_lines.push(dce_line(cap, ep, t));
        }
    }
    (out, dce_lines)
}

/// The `smb` line of `dcerpc.py` for a DCE/RPC transaction on a pipe.
fn dce_line(cap: &str, ep: &[String; 2], tx: &DcerpcTx) -> String {
    let is_req = tx.req_cmd == dce::ptype::REQUEST;
    let size = |d| tx.stub_data(d).map_or(0, <[u8]>::len).to_string();
    let ifaces: Vec<String> = tx
        .interfaces
        .iter()
        .map(|i| {
            format!(
                "{}/{}.{}/{}",
                dce::uuid_string(&i.uuid),
                i.version,
                i.version_minor,
                i.ack_result.map_or("-".to_owned(), |r| r.to_string())
            )
        })
        .collect();
    format!(
        "{cap}\tsmb\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        ep[0],
        ep[1],
        tx.request_name(),
        tx.response_name(),
        tx.call_id,
        if is_req {
            tx.opnum.to_string()
        } else {
            "-".to_owned()
        },
        if is_req {
            size(Direction::ToServer)
        } else {
            "-".to_owned()
        },
        if tx.resp_cmd == dce::ptype::RESPONSE && tx.frag_cnt[1] > 0 {
            size(Direction::ToClient)
        } else {
            "-".to_owned()
        },
        if ifaces.is_empty() {
            "-".to_owned()
        } else {
            ifaces.join(",")
        }
    )
}

#[test]
fn smb_transactions_files_and_pipes_equal_suricata() {
    let want = expected("smb.tsv");
    let want_dce: Vec<String> = expected("dcerpc.tsv")
        .into_iter()
        .filter(|l| l.split('\t').nth(1) == Some("smb"))
        .collect();
    let mut caps: Vec<String> = want
        .iter()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    caps.dedup();
    assert_eq!(caps.len(), 5, "{caps:?}");
    for bytewise in [false, true] {
        let (mut got, mut got_dce) = (Vec::new(), Vec::new());
        for cap in &caps {
            let all = chunks(&shared().join(cap));
            let (l, d) = smb_lines(cap, &all, bytewise);
            got.extend(l);
            got_dce.extend(d);
        }
        let mut w = want.clone();
        w.sort();
        got.sort();
        // Suricata 7.0.10 logs no SMB2 SESSION_SETUP transaction for the
        // Kerberos-authenticated sessions of this capture (its NTLM ones
        // in bug-5162 are logged and compared); vxtap has one per
        // request/response: 4 lines, one per SMB flow of the capture.
        let kerberos = |l: &String| {
            l.starts_with("pcaps/plain/zeek-krb_kerberos_tso.pcapng\t")
                && l.contains("\tSMB2_COMMAND_SESSION_SETUP\t")
        };
        assert_eq!(got.iter().filter(|l| kerberos(l)).count(), 4);
        got.retain(|l| !kerberos(l));
        // Suricata 7.0.10 parses no DCE/RPC on the wkssvc pipe of that
        // capture (no WRITE transaction for its BIND, no dcerpc object on
        // its IOCTL call) while it does on srvsvc in the same tree; vxtap
        // parses both: 2 WRITE lines more in each of 2 flows.
        for port in ["49811", "49827"] {
            let w = format!(
                "pcaps/plain/zeek-krb_kerberos_tso.pcapng\tTX\t172.16.0.211:{port}\t172.16.0.5:445\tSMB2_COMMAND_WRITE\t0x0\t-\t-\t-"
            );
            for _ in 0..2 {
                let i = got.iter().position(|l| *l == w).expect("the wkssvc WRITEs");
                got.remove(i);
            }
        }
        let missing: Vec<_> = w.iter().filter(|l| !got.contains(l)).collect();
        let extra: Vec<_> = got.iter().filter(|l| !w.contains(l)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "bytewise={bytewise}\nmissing {missing:#?}\nextra {extra:#?}"
        );
        let count = |v: &[String], l: &String| v.iter().filter(|x| *x == l).count();
        let differ: Vec<_> = w
            .iter()
            .filter(|l| count(&got, l) != count(&w, l))
            .map(|l| (l, count(&got, l), count(&w, l)))
            .collect();
        assert!(
            differ.is_empty(),
            "bytewise={bytewise}: (line, vxtap, Suricata) {differ:#?}"
        );
        let mut wd = want_dce.clone();
        wd.sort();
        got_dce.sort();
        // The wkssvc calls of the Kerberos capture (see above): in each
        // of its 2 flows, 2 BINDs of wkssvc (6bffd098-…) and 2 opnum-0
        // calls that Suricata 7.0.10 does not parse.
        let wkssvc = |l: &String| {
            l.starts_with("pcaps/plain/zeek-krb_kerberos_tso.pcapng\t")
                && (l.ends_with("\t6bffd098-a112-3610-9833-46c3f87e345a/1.0/2,6bffd098-a112-3610-9833-46c3f87e345a/1.0/0,6bffd098-a112-3610-9833-46c3f87e345a/1.0/3")
                    || l.ends_with("\tREQUEST\tRESPONSE\t2\t0\t72\t128\t-"))
        };
        assert_eq!(got_dce.iter().filter(|l| wkssvc(l)).count(), 8);
        assert_eq!(wd.iter().filter(|l| wkssvc(l)).count(), 0);
        got_dce.retain(|l| !wkssvc(l));
        let missing: Vec<_> = wd.iter().filter(|l| !got_dce.contains(l)).collect();
        let extra: Vec<_> = got_dce.iter().filter(|l| !wd.contains(l)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "bytewise={bytewise}\nmissing {missing:#?}\nextra {extra:#?}"
        );
        assert_eq!(got_dce, wd, "bytewise={bytewise}");
    }
}
