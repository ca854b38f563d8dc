//! SSH on real traffic: every flow detected as SSH in the captures of
//! `tests/data/applayer/ssh.py` goes through the SSH parser in the pieces
//! reassembly delivers (and byte by byte); each side's banner
//! (`ssh.proto`, `ssh.software`) and HASSH string and hash equal tshark's
//! (`tests/data/applayer/ssh.tsv`).

mod applayer_common;

use applayer_common::{check_oracle, chunks, run_parser, shared};
use vxtap::applayer::ssh::SshState;
use vxtap::applayer::{AppProto, Direction};

fn lines(cap: &str, bytewise: bool) -> Vec<String> {
    let all = chunks(&shared().join(cap));
    let states = run_parser(
        &all,
        AppProto::Ssh,
        |_| SshState::new(),
        |s: &mut SshState, d, b| {
            if bytewise {
                for x in b {
                    s.parse(d, std::slice::from_ref(x));
                }
            } else {
                s.parse(d, b);
            }
        },
    );
    let text = |b: Option<&[u8]>| String::from_utf8_lossy(b.unwrap_or_default()).into_owned();
    let mut out = Vec::new();
    for s in states.values() {
        for (dir, side) in [
            (Direction::ToServer, "client"),
            (Direction::ToClient, "server"),
        ] {
            if let Some(p) = s.proto(dir) {
                out.push(format!(
                    "{cap}\t{side}\tBANNER\t{}\t{}",
                    String::from_utf8_lossy(p),
                    text(s.software(dir))
                ));
            }
            if let Some(h) = s.hassh_of(dir) {
                out.push(format!(
                    "{cap}\t{side}\tHASSH\t{}\t{}",
                    String::from_utf8_lossy(h),
                    text(s.hassh_string_of(dir))
                ));
            }
        }
    }
    out
}

/// Where tshark is not the oracle: the start of the line, how many times
/// it differs (positive: we have more), why.
const NOT_TSHARK: &[(&str, i64, &str)] = &[];

#[test]
fn ssh_banners_and_hassh_equal_tshark() {
    check_oracle("ssh.tsv", 10, lines, NOT_TSHARK);
}
