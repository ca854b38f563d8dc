//! Kerberos on real traffic: every flow detected as krb5 in the captures
//! of `tests/data/applayer/krb5.py` (UDP and TCP on port 88) goes through
//! the parser as reassembly delivers it (and byte by byte); each AS-REP,
//! TGS-REP and KRB-ERROR's names, realm, etypes and error code equal
//! tshark's (`tests/data/applayer/krb5.tsv`).

mod applayer_common;

use applayer_common::{check_oracle, chunks, run_parser, shared};
use vxtap::applayer::AppProto;
use vxtap::applayer::krb5::Krb5State;

fn lines(cap: &str, bytewise: bool) -> Vec<String> {
    let all = chunks(&shared().join(cap));
    let states = run_parser(
        &all,
        AppProto::Krb5,
        |c| Krb5State::new(c.transport),
        |s: &mut Krb5State, d, b| {
            if bytewise {
                // UDP datagrams are messages: only TCP is fed byte by byte.
                if b.len() > 1 && is_tcp(s) {
                    b.iter().for_each(|x| s.parse(d, std::slice::from_ref(x)));
                    return;
                }
            }
            s.parse(d, b);
        },
    );
    let join = |v: Vec<&[u8]>| {
        v.iter()
            .map(|x| String::from_utf8_lossy(x).into_owned())
            .collect::<Vec<_>>()
            .join(",")
    };
    let text = |b: Option<&[u8]>| String::from_utf8_lossy(b.unwrap_or_default()).into_owned();
    let mut out = Vec::new();
    for s in states.values() {
        // Requests are transactions too (as in Suricata 7.0.10); tshark's
        // lines here are the replies and errors.
        for tx in s.txs().iter().filter(|t| !matches!(t.message.tag, 10 | 12)) {
            let cname = join(tx.cnames().collect());
            let sname = join(tx.snames().collect());
            if tx.message.tag == 30 {
                out.push(format!(
                    "{cap}\t30\terror={}\tcname={cname}\tsname={sname}\trealm={}",
                    tx.error_code().unwrap_or(-1),
                    text(tx.realm())
                ));
            } else {
                out.push(format!(
                    "{cap}\t{}\tcname={cname}\tsname={sname}\trealm={}\tticket={}\tenc={}",
                    tx.message.tag,
                    text(tx.realm()),
                    tx.ticket_encryption().unwrap_or(-1),
                    tx.encryption().unwrap_or(-1)
                ));
            }
        }
    }
    out
}

fn is_tcp(s: &Krb5State) -> bool {
    s.transport() == vxtap::applayer::Transport::Tcp
}

#[test]
fn krb5_replies_and_errors_equal_tshark() {
    check_oracle("krb5.tsv", 3, lines, &[]);
}
