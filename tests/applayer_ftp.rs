//! FTP on real traffic: every flow detected as FTP in the captures of
//! `tests/data/applayer/ftp.py` goes through the FTP parser in the pieces
//! reassembly delivers (and byte by byte); the data connections its
//! RETR/STOR announce are found as the pipeline finds them (a later flow
//! between the same two hosts to the announced port) and go through
//! `FtpDataState`. Requests, reply codes, data ports, the data
//! connections' commands and the files' size and MD5 equal tshark's
//! (`tests/data/applayer/ftp.tsv`).

mod applayer_common;

use std::collections::HashMap;

use applayer_common::{Chunk, check_oracle, chunks, shared};
use vxtap::applayer::ftp::{FtpCommand, FtpDataState, FtpExpectation, FtpState, FtpTx, parser};
use vxtap::applayer::{AppProto, Direction, Prober, Transport};

/// The two hosts of a flow, sorted.
fn hosts(c: &Chunk) -> [String; 2] {
    c.endpoints
        .clone()
        .map(|e| e.rsplit_once(':').map_or(e.clone(), |(h, _)| h.to_owned()))
}

enum Flow {
    Probing(Prober, [Vec<u8>; 2]),
    /// The state and the answered transactions taken from it so far.
    Ftp(Box<FtpState>, Vec<FtpTx>),
    Data(FtpDataState),
    Other,
}

fn feed<S>(s: &mut S, d: Direction, b: &[u8], bytewise: bool, f: fn(&mut S, Direction, &[u8])) {
    if bytewise {
        b.iter().for_each(|x| f(s, d, std::slice::from_ref(x)));
    } else {
        f(s, d, b);
    }
}

fn lines(cap: &str, bytewise: bool) -> Vec<String> {
    let mut flows: HashMap<usize, Flow> = HashMap::new();
    let mut order = Vec::new();
    let mut expect: Vec<([String; 2], FtpExpectation)> = Vec::new();
    for c in chunks(&shared().join(cap)) {
        if c.transport != Transport::Tcp {
            continue;
        }
        let flow = flows.entry(c.flow).or_insert_with(|| {
            order.push(c.flow);
            // A new flow to an announced port: ftp-data (one-shot).
            match expect
                .iter()
                .position(|(h, e)| e.port == c.ports[0] && *h == hosts(&c))
            {
                Some(i) => Flow::Data(FtpDataState::new(&expect.remove(i).1)),
                None => Flow::Probing(
                    Prober::new(Transport::Tcp, c.ports[0], c.ports[1]),
                    Default::default(),
                ),
            }
        });
        match flow {
            Flow::Probing(p, seen) => {
                seen[c.dir.index()].extend_from_slice(&c.data);
                match p.feed(c.dir, &seen[c.dir.index()]) {
                    AppProto::Ftp => {
                        let mut s = Box::new(FtpState::new());
                        for d in [Direction::ToServer, Direction::ToClient] {
                            feed(&mut *s, d, &seen[d.index()], bytewise, FtpState::parse);
                        }
                        *flow = Flow::Ftp(s, Vec::new());
                    }
                    AppProto::Unknown => {}
                    _ => *flow = Flow::Other,
                }
            }
            Flow::Ftp(s, _) => feed(&mut **s, c.dir, &c.data, bytewise, FtpState::parse),
            Flow::Data(s) => feed(s, c.dir, &c.data, bytewise, FtpDataState::parse),
            Flow::Other => {}
        }
        if let Flow::Ftp(s, done) = flow {
            let h = hosts(&c);
            expect.extend(s.take_expectations().map(|e| (h.clone(), e)));
            // As the pipeline does after inspecting them.
            done.extend(s.take_done());
        }
    }
    let mut out = Vec::new();
    for id in order {
        match &flows[&id] {
            Flow::Ftp(s, done) => {
                for tx in done.iter().chain(s.txs()) {
                    if let Some(req) = tx.request_line() {
                        let word = req.split(|&b| b == b' ').next().unwrap_or_default();
                        out.push(format!(
                            "{cap}\tREQ\t{}\t{}",
                            String::from_utf8_lossy(word),
                            String::from_utf8_lossy(parser::args(req))
                        ));
                    }
                    // tshark gives one code per reply, multi-line ones
                    // included: the lines whose code is not followed by '-'.
                    for r in tx.replies().filter(|r| r.get(3) != Some(&b'-')) {
                        if let Some(code) = parser::reply_code(r) {
                            out.push(format!("{cap}\tCODE\t{}", String::from_utf8_lossy(code)));
                        }
                    }
                    let announces = matches!(
                        tx.command,
                        FtpCommand::Pasv | FtpCommand::Epsv | FtpCommand::Port | FtpCommand::Eprt
                    );
                    if let Some(p) = tx.dyn_port.filter(|_| announces) {
                        out.push(format!("{cap}\tPORT\t{p}"));
                    }
                }
            }
            Flow::Data(d) => {
                out.push(format!(
                    "{cap}\tFTPDATA\t{} {}",
                    d.command().name(),
                    String::from_utf8_lossy(d.file_name())
                ));
                let data = d.file_data().unwrap_or_default();
                let md5 = if d.size() == data.len() as u64 {
                    format!("{:x}", md5_of(data))
                } else {
                    "-".to_owned()
                };
                out.push(format!("{cap}\tFILE\t{}\t{md5}", d.size()));
            }
            _ => {}
        }
    }
    out
}

fn md5_of(b: &[u8]) -> u128 {
    use md5::{Digest, Md5};
    u128::from_be_bytes(Md5::digest(b).into())
}

/// Where tshark is not the oracle: the start of the line, how many more
/// lines we give (negative: fewer), why.
const NOT_TSHARK: &[(&str, i64, &str)] = &[
    // A multi-line reply whose first line ("211-Features:") and last line
    // ("211 End") are in different segments: tshark gives each segment
    // that starts with a code a code; the reply has one final line.
    (
        "pcaps/plain/zeek-ftp_ftp-auth-tls.pcap\tCODE\t211",
        -1,
        "multi-line reply over 2 segments",
    ),
    (
        "pcaps/plain/zeek-ftp_ipv6-retr-samba.pcap\tCODE\t250",
        -1,
        "multi-line reply over 2 segments",
    ),
    (
        "pcaps/plain/zeek-var-services-std-ports.pcap\tCODE\t230",
        -1,
        "multi-line reply over 2 segments",
    ),
    // Active mode (PORT): tshark does not tie the data connection the
    // server opens to the RETR (no ftp-data.command, no exported object);
    // ours carries the same robots.txt (same size and MD5 as the passive
    // one tshark does export).
    (
        "pcaps/plain/zeek-ftp_ipv4.pcap\tFTPDATA\t",
        1,
        "active-mode RETR",
    ),
    (
        "pcaps/plain/zeek-ftp_ipv4.pcap\tFILE\t",
        1,
        "active-mode RETR",
    ),
    (
        "pcaps/plain/zeek-ftp_ipv6.pcap\tFTPDATA\t",
        1,
        "active-mode RETR",
    ),
    (
        "pcaps/plain/zeek-ftp_ipv6.pcap\tFILE\t",
        1,
        "active-mode RETR",
    ),
    (
        "pcaps/mirror/mirror-basic.pcap\tFTPDATA\t",
        1,
        "active-mode RETR",
    ),
    (
        "pcaps/mirror/mirror-basic.pcap\tFILE\t",
        1,
        "active-mode RETR",
    ),
    // The data connection opens (after EPSV) before the RETR is sent:
    // tshark does not link it; its bytes' MD5 (7192a807...,
    // `tshark -q -z follow,tcp,raw,1`) is the one we give.
    (
        "pcaps/plain/zeek-ftp_retr.pcap\tFTPDATA\t",
        1,
        "data connection before RETR",
    ),
    (
        "pcaps/plain/zeek-ftp_retr.pcap\tFILE\t",
        1,
        "data connection before RETR",
    ),
];

#[test]
fn ftp_control_and_data_equal_tshark() {
    check_oracle("ftp.tsv", 8, lines, NOT_TSHARK);
}
