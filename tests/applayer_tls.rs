//! TLS on real traffic: every flow detected as TLS in the captures of
//! `tests/data/applayer/tls.py` goes through the TLS parser in the pieces
//! reassembly delivers (and byte by byte); SNI, JA3 and JA3S strings and
//! hashes equal tshark's, and each server certificate's serial, SHA-1
//! fingerprint, subject, issuer and validity dates equal openssl's on the
//! certificate bytes tshark extracts (`tests/data/applayer/tls.tsv`).

mod applayer_common;

use applayer_common::{check_oracle, chunks, run_parser, shared};
use vxtap::applayer::AppProto;
use vxtap::applayer::tls::TlsState;

fn lines(cap: &str, bytewise: bool) -> Vec<String> {
    let all = chunks(&shared().join(cap));
    let states = run_parser(
        &all,
        AppProto::Tls,
        |_| TlsState::new(),
        |s: &mut TlsState, d, b| {
            if bytewise {
                for x in b {
                    s.parse(d, std::slice::from_ref(x));
                }
            } else {
                s.parse(d, b);
            }
        },
    );
    let mut out = Vec::new();
    for s in states.values() {
        if let Some(h) = &s.client_hello {
            for n in &h.sni {
                out.push(format!("{cap}\tSNI\t{}", String::from_utf8_lossy(n)));
            }
            out.push(format!(
                "{cap}\tJA3\t{}\t{}",
                s.ja3().unwrap(),
                s.ja3_hash().unwrap()
            ));
        }
        if s.server_hello.is_some() {
            out.push(format!(
                "{cap}\tJA3S\t{}\t{}",
                s.ja3s().unwrap(),
                s.ja3s_hash().unwrap()
            ));
        }
        for c in &s.certs {
            out.push(format!(
                "{cap}\tCERT\t{}\t{}\t{}\t{}\t{}\t{}",
                c.serial, c.fingerprint, c.subject, c.issuer, c.not_before, c.not_after
            ));
        }
    }
    out
}

/// Where tshark is not the oracle: the start of the line, how many times
/// it differs (positive: we have more), why.
const NOT_TSHARK: &[(&str, i64, &str)] = &[
    // TLS 1.3 HelloRetryRequest: tshark shows both ClientHellos and both
    // ServerHellos; one TLS state per flow keeps the first of each.
    (
        "acceptance/bug-5758/input.pcap\tSNI\tftp.nluug.nl",
        -1,
        "second ClientHello after HRR",
    ),
    (
        "acceptance/bug-5758/input.pcap\tJA3\t",
        -1,
        "second ClientHello after HRR",
    ),
    (
        "acceptance/bug-5758/input.pcap\tJA3S\t",
        -1,
        "HelloRetryRequest then ServerHello",
    ),
    // tcp.stream 3 reuses its ports: tshark calls the server's data
    // retransmissions and does not dissect it; reassembly delivers it.
    (
        "acceptance/derived-app-layer-protocol-b/input.pcap\tJA3S\t771,49192,",
        1,
        "port reuse",
    ),
    (
        "acceptance/derived-app-layer-protocol-b/input.pcap\tCERT\t0F:14:96:5F",
        1,
        "port reuse",
    ),
    (
        "acceptance/derived-app-layer-protocol-b/input.pcap\tCERT\t12:00:25:FE",
        1,
        "port reuse",
    ),
    (
        "pcaps/plain/sv-tls_tls-subjectaltname.pcap\tJA3S\t771,49192,",
        1,
        "port reuse",
    ),
    (
        "pcaps/plain/sv-tls_tls-subjectaltname.pcap\tCERT\t0F:14:96:5F",
        1,
        "port reuse",
    ),
    (
        "pcaps/plain/sv-tls_tls-subjectaltname.pcap\tCERT\t12:00:25:FE",
        1,
        "port reuse",
    ),
    // The ServerHello and chain arrive out of order (frame 12 fills the
    // gap before frame 6): tshark gives up, reassembly does not. Suricata's
    // oracle alerts on this chain's leaf fingerprint 90:86:a4:3b:...
    (
        "acceptance/tls-fingerprint-alert/input.pcap\tJA3S\t",
        1,
        "out of order",
    ),
    (
        "acceptance/tls-fingerprint-alert/input.pcap\tCERT\t",
        3,
        "out of order",
    ),
];

#[test]
fn tls_handshakes_equal_tshark_and_openssl() {
    check_oracle("tls.tsv", 10, lines, NOT_TSHARK);
}
