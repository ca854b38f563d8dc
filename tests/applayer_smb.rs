//! SMB on real traffic: every SMB flow of the captures in
//! `tests/data/applayer/smb.py` goes through protocol detection and the
//! SMB parser (reassembled by `vxtap::stream`, fed in the pieces it
//! delivers, then byte by byte) and must give what Suricata 7.0.10 logs
//! (`tests/data/applayer/smb.tsv`, made by `smb.py`): every transaction's
//! command and status, the share / named pipe of tree connects and the
//! name of creates; every file's name, size and MD5 of its data; and the
//! DCE/RPC carried over named pipes (`smb` lines of `dcerpc.tsv`).

mod applayer_common;

use applayer_common::{
    Chunk, assert_same_lines, captures_of, chunks, dcerpc_line, expected, run_parser, shared,
};
use md5::{Digest, Md5};
use vxtap::applayer::AppProto;
use vxtap::applayer::dcerpc::DcerpcTx;
use vxtap::applayer::smb::{SmbState, SmbTx};

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
            dce_lines.push(dcerpc_line(cap, "smb", ep, t));
        }
    }
    (out, dce_lines)
}

const KRB: &str = "pcaps/plain/zeek-krb_kerberos_tso.pcapng";

/// Where Suricata 7.0.10 and vxtap differ on these captures, with the
/// count: (line start, lines more in ours, why).
fn known() -> Vec<(String, i64, &'static str)> {
    const NO_SETUP: &str = "Suricata 7.0.10 logs no SMB2 SESSION_SETUP transaction for \
        the Kerberos-authenticated sessions of this capture (its NTLM ones in bug-5162 are \
        logged and compared); cause not found";
    const WKSSVC: &str = "Suricata 7.0.10 parses no DCE/RPC on the wkssvc pipe of this \
        capture (no WRITE transaction for its BIND, no dcerpc object on its IOCTL call) \
        while it does on srvsvc in the same tree; cause not found";
    let mut k = Vec::new();
    for ep in [
        "172.16.0.211:49811\t172.16.0.5:445",
        "172.16.0.100:445\t172.16.0.211:49815",
        "172.16.0.100:445\t172.16.0.211:49821",
        "172.16.0.211:49827\t172.16.0.5:445",
    ] {
        k.push((
            format!("{KRB}\tTX\t{ep}\tSMB2_COMMAND_SESSION_SETUP\t"),
            1,
            NO_SETUP,
        ));
    }
    for ep in [
        "172.16.0.211:49811\t172.16.0.5:445",
        "172.16.0.211:49827\t172.16.0.5:445",
    ] {
        k.push((format!("{KRB}\tTX\t{ep}\tSMB2_COMMAND_WRITE\t"), 2, WKSSVC));
        k.push((format!("{KRB}\tsmb\t{ep}\tBIND\t"), 2, WKSSVC));
        k.push((
            format!("{KRB}\tsmb\t{ep}\tREQUEST\tRESPONSE\t2\t0\t"),
            2,
            WKSSVC,
        ));
    }
    k
}

#[test]
fn smb_transactions_files_and_pipes_equal_suricata() {
    let want = expected("smb.tsv");
    let want_dce: Vec<String> = expected("dcerpc.tsv")
        .into_iter()
        .filter(|l| l.split('\t').nth(1) == Some("smb"))
        .collect();
    let caps = captures_of(&want);
    assert_eq!(caps.len(), 5, "{caps:?}");
    let known = known();
    let known: Vec<(&str, i64, &str)> =
        known.iter().map(|(p, n, w)| (p.as_str(), *n, *w)).collect();
    for bytewise in [false, true] {
        let (mut got, mut got_dce) = (Vec::new(), Vec::new());
        for cap in &caps {
            let all = chunks(&shared().join(cap));
            let (l, d) = smb_lines(cap, &all, bytewise);
            got.extend(l);
            got_dce.extend(d);
        }
        let (k_smb, k_dce): (Vec<_>, Vec<_>) =
            known.iter().partition(|(p, _, _)| p.contains("\tTX\t"));
        let label = format!("smb bytewise={bytewise}");
        assert_same_lines(&label, want.clone(), got, &k_smb);
        let label = format!("dcerpc over smb bytewise={bytewise}");
        assert_same_lines(&label, want_dce.clone(), got_dce, &k_dce);
    }
}
