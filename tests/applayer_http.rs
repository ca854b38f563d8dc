//! HTTP on real traffic: every flow detected as HTTP in the captures of
//! `tests/data/applayer/http.py` goes through the HTTP parser in the
//! pieces reassembly delivers (and again byte by byte); the requests'
//! method, target, Host, User-Agent and Content-Type and the responses'
//! status (interim ones included), Server and Content-Type must equal
//! tshark's (`tests/data/applayer/http.tsv`).

mod applayer_common;

use applayer_common::{Chunk, chunks, expected, run_parser, shared};
use vxtap::applayer::http::{HttpConfig, HttpEvent, HttpState, HttpTx};
use vxtap::applayer::{AppProto, Direction};

fn s(b: Option<&[u8]>) -> String {
    String::from_utf8_lossy(b.unwrap_or(b"")).into_owned()
}

fn lines(cap: &str, t: &HttpTx, out: &mut Vec<String>) {
    if !t.has_event(HttpEvent::UnableToMatchResponseToRequest) && !t.request_line.is_empty() {
        let h = |n: &[u8]| s(t.header(Direction::ToServer, n));
        out.push(format!(
            "{cap}\tREQ\t{}\t{}\t{}\t{}\t{}",
            s(Some(&t.method)),
            s(Some(&t.uri_raw)),
            h(b"host"),
            h(b"user-agent"),
            h(b"content-type")
        ));
    }
    for code in &t.interim {
        out.push(format!("{cap}\tRESP\t{code}\t\t"));
    }
    // tshark shows a response once all of it is reassembled.
    if !t.status.is_empty() && t.response_progress == vxtap::applayer::http::Progress::Complete {
        let h = |n: &[u8]| s(t.header(Direction::ToClient, n));
        out.push(format!(
            "{cap}\tRESP\t{}\t{}\t{}",
            s(Some(&t.status)),
            h(b"server"),
            h(b"content-type")
        ));
    }
}

fn run(cap: &str, all: &[Chunk], bytewise: bool) -> Vec<HttpTx> {
    let states = run_parser(
        all,
        AppProto::Http,
        |_| HttpState::new(HttpConfig::default()),
        |st: &mut HttpState, d, b| {
            if bytewise {
                for x in b {
                    st.parse(d, std::slice::from_ref(x));
                }
            } else {
                st.parse(d, b);
            }
        },
    );
    let _ = cap;
    let mut txs = Vec::new();
    for (_, mut st) in states {
        st.close();
        txs.extend(st.txs().cloned());
    }
    txs
}

/// Lines where tshark is not the oracle: the line, how many times, why.
const NOT_TSHARK: &[(&str, usize, &str)] = &[
    (
        "acceptance/derived-app-layer-protocol-b/input.pcap\tRESP\t200\tCaddy, Apache\timage/png",
        1,
        "tshark does not dissect data it calls a retransmission of a segment it never saw \
         (frames 1477-1601, tcp.stream 15); reassembly has the whole response",
    ),
    (
        "acceptance/derived-app-layer-protocol-b/input.pcap\tRESP\t404\tApache/2.4.6 (CentOS) OpenSSL/1.0.2k-fips\ttext/html; charset=iso-8859-1",
        1,
        "the response's only copy is marked a retransmission by tshark (frame 2005, tcp.stream 35)",
    ),
    (
        "acceptance/derived-app-layer-protocol-b/input.pcap\tRESP\t200\tApache\timage/jpeg",
        2,
        "tshark's reassembly gives up on out-of-order and fast-retransmitted segments \
         (tcp.stream 19 from frame 589, tcp.stream 27 from frame 1439); reassembly fills the gaps",
    ),
    (
        // tshark stops at this evasion's header block (a line of one tab
        // before the empty line) and shows no response; Suricata parses the
        // response and its chunked body (the acceptance case alerts twice on
        // file_data), as this parser does (libhtp's terminator rule).
        "acceptance/http-evader-428/input.pcap\tRESP\t200\t\tapplication/octet-stream",
        1,
        "evasion tshark does not decode",
    ),
];

#[test]
fn http_messages_equal_tshark() {
    let want = expected("http.tsv");
    let mut caps: Vec<String> = want
        .iter()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    caps.dedup();
    assert!(caps.len() >= 20, "{caps:?}");
    for bytewise in [false, true] {
        let mut got = Vec::new();
        for cap in &caps {
            for t in run(cap, &chunks(&shared().join(cap)), bytewise) {
                lines(cap, &t, &mut got);
            }
        }
        for (line, n, why) in NOT_TSHARK {
            for _ in 0..*n {
                let i = got.iter().position(|l| l == line);
                let i = i.unwrap_or_else(|| panic!("known divergence gone ({why}): {line}"));
                got.remove(i);
            }
        }
        let mut w = want.clone();
        w.sort();
        got.sort();
        let missing: Vec<&String> = w.iter().filter(|l| !got.contains(l)).collect();
        let extra: Vec<&String> = got.iter().filter(|l| !w.contains(l)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "bytewise={bytewise}\nmissing:\n{}\nextra:\n{}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            extra
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
        let count = |v: &[String], l: &String| v.iter().filter(|x| *x == l).count();
        let differ: Vec<String> = w
            .iter()
            .filter(|l| count(&got, l) != count(&w, l))
            .map(|l| format!("{} ours, {} tshark: {l}", count(&got, l), count(&w, l)))
            .collect();
        assert!(
            differ.is_empty(),
            "bytewise={bytewise}\n{}",
            differ.join("\n")
        );
        assert_eq!(got, w);
    }
}

/// Bodies Suricata 7.0.10 matched in the acceptance cases (their
/// expected.json counts these `file_data`/`http.request_body` contents as
/// alerting once): the decoded body of some transaction holds them.
#[test]
fn bodies_hold_what_suricata_matched() {
    let cases: &[(&str, bool, &[u8])] = &[
        // http-evader-088: tab before the colon of Transfer-Encoding.
        (
            "acceptance/http-evader-088/input.pcap",
            false,
            b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE",
        ),
        (
            "acceptance/http-evader-088/input.pcap",
            false,
            b"X5O!P%@AP[4",
        ),
        // http-evader-428: a tab line ends the headers, then chunks.
        (
            "acceptance/http-evader-428/input.pcap",
            false,
            b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE",
        ),
        (
            "acceptance/bug-3616/input.pcap",
            false,
            b"commonly-accepted commonly-used",
        ),
        (
            "acceptance/http-encoding-gzip-uncompressed/input.pcap",
            true,
            b"\"sdk_version\":",
        ),
    ];
    for (cap, request, needle) in cases {
        let txs = run(cap, &chunks(&shared().join(cap)), false);
        let found = txs.iter().any(|t| {
            let body = if *request {
                &t.request_body
            } else {
                &t.response_body
            };
            body.windows(needle.len()).any(|w| w == *needle)
        });
        assert!(
            found,
            "{cap}: no body holds {}",
            String::from_utf8_lossy(needle)
        );
    }
}
