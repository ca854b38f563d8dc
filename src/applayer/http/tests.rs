use super::*;

fn run(chunks: &[(Direction, &[u8])]) -> HttpState {
    let mut s = HttpState::new(HttpConfig::default());
    for (d, c) in chunks {
        s.parse(*d, c);
    }
    s
}

const REQ: &[u8] = b"POST /a/./b%2Fc?x=%41 HTTP/1.1\r\nHost: WWW.Example.com:80\r\nUser-Agent: t/1.0\r\nCookie: a=b\r\nContent-Length: 5\r\n\r\nhello";
const RESP: &[u8] = b"HTTP/1.1 200 OK\r\nServer: s\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x\r\nde\r\n0\r\nX-T: 1\r\n\r\n";

fn summary(s: &HttpState) -> Vec<String> {
    s.txs()
        .map(|t| {
            format!(
                "{}|{}|{}|{}|{}|{}|{}|{:?}|{:?}|{:x}",
                String::from_utf8_lossy(&t.method),
                String::from_utf8_lossy(&t.uri_raw),
                String::from_utf8_lossy(&t.uri),
                String::from_utf8_lossy(&t.request_body),
                String::from_utf8_lossy(&t.status),
                String::from_utf8_lossy(&t.response_body),
                String::from_utf8_lossy(&t.header_buffer(Direction::ToServer)),
                t.request_progress,
                t.response_progress,
                t.events.0,
            )
        })
        .collect()
}

#[test]
fn request_and_response() {
    let s = run(&[(Direction::ToServer, REQ), (Direction::ToClient, RESP)]);
    let t = s.txs().next().unwrap();
    assert_eq!(t.method, b"POST");
    assert_eq!(t.uri_raw, b"/a/./b%2Fc?x=%41");
    assert_eq!(t.uri, b"/a/b/c?x=%41");
    assert_eq!(t.protocol, b"HTTP/1.1");
    assert_eq!(t.request_line, b"POST /a/./b%2Fc?x=%41 HTTP/1.1");
    assert_eq!(t.host().unwrap(), b"www.example.com");
    assert_eq!(t.host_raw().unwrap(), b"WWW.Example.com:80");
    assert_eq!(
        t.header(Direction::ToServer, b"user-agent"),
        Some(&b"t/1.0"[..])
    );
    assert_eq!(t.header(Direction::ToServer, b"cookie"), Some(&b"a=b"[..]));
    assert_eq!(
        t.header_buffer(Direction::ToServer),
        b"Host: WWW.Example.com:80\r\nUser-Agent: t/1.0\r\nContent-Length: 5\r\n"
    );
    assert_eq!(
        t.header_names(Direction::ToServer),
        b"\r\nHost\r\nUser-Agent\r\nCookie\r\nContent-Length\r\n\r\n"
    );
    assert!(
        t.start(Direction::ToServer)
            .starts_with(b"POST /a/./b%2Fc?x=%41 HTTP/1.1\r\nHost:")
    );
    assert!(
        t.headers_raw(Direction::ToServer)
            .ends_with(b"Content-Length: 5\r\n\r\n")
    );
    assert_eq!(t.request_body, b"hello");
    assert_eq!(t.status, b"200");
    assert_eq!(t.status_msg, b"OK");
    assert_eq!(t.response_body, b"abcde");
    assert_eq!(t.request_progress, Progress::Complete);
    assert_eq!(t.response_progress, Progress::Complete);
    assert!(t.events.is_empty(), "{:x}", t.events.0);
}

#[test]
fn split_anywhere_parses_the_same() {
    let whole = summary(&run(&[
        (Direction::ToServer, REQ),
        (Direction::ToClient, RESP),
    ]));
    for cut in 0..=REQ.len().max(RESP.len()) {
        let (a, b) = REQ.split_at(cut.min(REQ.len()));
        let (c, d) = RESP.split_at(cut.min(RESP.len()));
        let s = run(&[
            (Direction::ToServer, a),
            (Direction::ToClient, c),
            (Direction::ToServer, b),
            (Direction::ToClient, d),
        ]);
        assert_eq!(summary(&s), whole, "cut {cut}");
    }
    let mut s = HttpState::new(HttpConfig::default());
    for b in REQ {
        s.parse(Direction::ToServer, std::slice::from_ref(b));
    }
    for b in RESP {
        s.parse(Direction::ToClient, std::slice::from_ref(b));
    }
    assert_eq!(summary(&s), whole);
}

#[test]
fn pipelining_matches_in_order() {
    let s = run(&[
        (Direction::ToServer, b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: a\r\n\r\n"),
        (Direction::ToClient, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 404 NF\r\nContent-Length: 2\r\n\r\nBBHTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"),
    ]);
    let v: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = s
        .txs()
        .map(|t| (t.uri.clone(), t.status.clone(), t.response_body.clone()))
        .collect();
    assert_eq!(
        v,
        vec![
            (b"/1".to_vec(), b"200".to_vec(), b"A".to_vec()),
            (b"/2".to_vec(), b"404".to_vec(), b"BB".to_vec()),
            (b"/3".to_vec(), b"200".to_vec(), b"".to_vec()),
        ]
    );
    assert!(s.txs().all(|t| t.response_progress == Progress::Complete));
}

#[test]
fn continue_100_then_final_response() {
    let s = run(&[
        (
            Direction::ToServer,
            b"POST /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
        ),
        (Direction::ToClient, b"HTTP/1.1 100 Continue\r\n\r\n"),
        (Direction::ToServer, b"abc"),
        (
            Direction::ToClient,
            b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
        ),
    ]);
    let t: Vec<&HttpTx> = s.txs().collect();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].status, b"201");
    assert_eq!(t[0].request_body, b"abc");
    assert!(t[0].seen_100 && !t[0].has_event(HttpEvent::Continue100AlreadySeen));
}

#[test]
fn gzip_response_body_is_decoded() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"secret body").unwrap();
    let gz = gz.finish().unwrap();
    let mut resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        gz.len()
    )
    .into_bytes();
    resp.extend(&gz);
    let s = run(&[
        (Direction::ToServer, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        (Direction::ToClient, &resp),
    ]);
    let t = s.txs().next().unwrap();
    assert_eq!(t.response_body, b"secret body");
    assert_eq!(t.response_body_len, gz.len() as u64);
}

#[test]
fn body_limit_and_decompression_cap() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b'a'; 20 << 20]).unwrap();
    let gz = gz.finish().unwrap();
    let mut resp = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
    resp.extend(&gz);
    let mut s = run(&[
        (Direction::ToServer, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        (Direction::ToClient, &resp),
    ]);
    s.close();
    let t = s.txs().next().unwrap();
    assert_eq!(
        t.response_body.len(),
        HttpConfig::default().response_body_limit
    );
    assert!(!t.has_event(HttpEvent::CompressionBomb));
    assert_eq!(t.response_progress, Progress::Complete);
}

#[test]
fn events_on_bad_input() {
    let s = run(&[(
        Direction::ToServer,
        b" GET /%252e HTTP/1.1\r\nNoColonHere\r\nBad Name: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
    )]);
    let t = s.txs().next().unwrap();
    for e in [
        HttpEvent::RequestLineLeadingWhitespace,
        HttpEvent::DoubleEncodedUri,
        HttpEvent::RequestFieldMissingColon,
        HttpEvent::RequestHeaderInvalid,
        HttpEvent::DuplicateContentLengthFieldInRequest,
        HttpEvent::MissingHostHeader,
    ] {
        assert!(t.has_event(e), "{}", e.name());
    }
    let s = run(&[
        (
            Direction::ToServer,
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ),
        (
            Direction::ToClient,
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
        ),
    ]);
    let t: Vec<&HttpTx> = s.txs().collect();
    assert!(t[0].has_event(HttpEvent::InvalidRequestChunkLen));
    assert!(t[1].has_event(HttpEvent::UnableToMatchResponseToRequest));
}

#[test]
fn chunk_size_overflow_is_invalid() {
    assert_eq!(tx::parse_chunk_size(b"ffffffffffffffffff"), (None, false));
    assert_eq!(tx::parse_chunk_size(b"8000000000000000"), (None, false));
    assert_eq!(tx::parse_chunk_size(b" 1a ; ext"), (Some(26), true));
}

#[test]
fn long_line_stops_the_direction() {
    let mut s = HttpState::new(HttpConfig::default());
    s.parse(Direction::ToServer, b"GET / HTTP/1.1\r\nHost: a\r\nX: ");
    for _ in 0..100 {
        s.parse(Direction::ToServer, &[b'a'; 1000]);
    }
    let t = s.txs().next().unwrap();
    assert!(t.has_event(HttpEvent::RequestFieldTooLong));
}

#[test]
fn header_flood_is_bounded() {
    let mut req = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..5000 {
        req.extend(format!("X-{i}: v\r\n").as_bytes());
    }
    req.extend(b"\r\n");
    let s = run(&[(Direction::ToServer, &req)]);
    let t = s.txs().next().unwrap();
    assert_eq!(t.request_headers.len(), HttpConfig::default().max_headers);
    assert!(t.has_event(HttpEvent::RequestTooManyHeaders));
}

#[test]
fn connect_tunnel_stops_parsing() {
    let s = run(&[
        (Direction::ToServer, b"CONNECT h.example:443 HTTP/1.1\r\nHost: h.example:443\r\n\r\n\x16\x03\x01\x00\x05hello"),
        (Direction::ToClient, b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03"),
    ]);
    let t: Vec<&HttpTx> = s.txs().collect();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].host().unwrap(), b"h.example");
}

#[test]
fn take_complete_drains_finished() {
    let mut s = run(&[
        (
            Direction::ToServer,
            b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
        ),
        (
            Direction::ToClient,
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        ),
    ]);
    let done = s.take_complete();
    assert_eq!(done.len(), 1);
    assert_eq!(s.txs().count(), 1);
    assert_eq!(s.tx(1).unwrap().uri, b"/2");
}

#[test]
fn event_names_round_trip() {
    for e in HttpEvent::ALL {
        assert_eq!(HttpEvent::from_name(e.name()), Some(*e));
    }
}

proptest::proptest! {
    #[test]
    fn no_input_panics(a in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
                       b in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let mut s = HttpState::new(HttpConfig::default());
        let mut req = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        req.extend(&a);
        s.parse(Direction::ToServer, &req);
        s.parse(Direction::ToClient, b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n");
        s.parse(Direction::ToClient, &b);
        s.parse(Direction::ToServer, &a);
        s.close();
    }
}

// The vectors below were checked against Suricata 7.0.10: each one was put
// in a one-flow capture (request then response over TCP) and run with
// `suricata -r X -S ../shared/rules/suricata/http-events.rules -k none
// --runmode single`; the events asserted are the alerts it raised. Those
// from real captures name them; tests/ids_event_rules.rs runs the captures.

fn events(s: &HttpState) -> Vec<Vec<&'static str>> {
    s.txs()
        .map(|t| {
            HttpEvent::ALL
                .iter()
                .filter(|e| t.has_event(**e))
                .map(|e| e.name())
                .collect()
        })
        .collect()
}

#[test]
fn lower_case_status_line_is_a_status_line_with_an_invalid_protocol() {
    // zeek-http_http-lower-case-nonstandard-port.pcap
    let s = run(&[
        (Direction::ToServer, b"GET /index.html HTTP/1.1\r\nHost: 146.190.62.39\r\n\r\n"),
        (
            Direction::ToClient,
            b"http/1.1 200 OK\r\nServer: nginx/1.18.0 (Ubuntu)\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
        ),
    ]);
    let t = s.txs().next().unwrap();
    assert_eq!(t.status_code, Some(200));
    assert_eq!(t.response_body, b"hi");
    assert_eq!(
        events(&s),
        [["response_invalid_protocol", "response_chunked_old_proto"]]
    );
}

#[test]
fn a_line_not_starting_with_http_is_a_body_without_event() {
    let s = run(&[
        (Direction::ToServer, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        (
            Direction::ToClient,
            b"XTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        ),
    ]);
    assert_eq!(events(&s), [Vec::<&str>::new()]);
    let t = s.txs().next().unwrap();
    assert!(t.response_body.starts_with(b"XTTP/1.1 200 OK"));
}

#[test]
fn http09_response_has_no_status_line() {
    // `GET /` alone: HTTP/0.9, the response is all body, no event.
    let s = run(&[
        (Direction::ToServer, b"GET /\r\n"),
        (Direction::ToClient, b"garbage here\r\n\r\n"),
    ]);
    let t = s.txs().next().unwrap();
    assert!(t.http09);
    assert_eq!(t.response_body, b"garbage here\r\n\r\n");
    assert_eq!(events(&s), [Vec::<&str>::new()]);
}

#[test]
fn missing_protocol_with_headers_after_is_not_http09() {
    // Non-space bytes after a line without protocol: headers follow.
    let s = run(&[
        (Direction::ToServer, b"GET /\r\nxx yy\r\n\r\n"),
        (
            Direction::ToClient,
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        ),
    ]);
    assert_eq!(events(&s), [["request_field_missing_colon"]]);
    assert_eq!(s.txs().next().unwrap().status_code, Some(200));
    // More than 16 bytes of whitespace do it too (a folded line here).
    let s = run(&[(Direction::ToServer, b"GET /\r\n                    \r\n")]);
    assert_eq!(events(&s), [["invalid_request_field_folding"]]);
    let s = run(&[(Direction::ToServer, b"GET /\r\n        \r\n")]);
    assert!(s.txs().next().unwrap().http09);
}

#[test]
fn request_line_delimiters() {
    let s = run(&[(Direction::ToServer, b"GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n")]);
    assert_eq!(events(&s), [["method_delim_non_compliant"]]);
    let s = run(&[(
        Direction::ToServer,
        b"GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n",
    )]);
    assert_eq!(events(&s), [["uri_delim_non_compliant"]]);
    assert_eq!(s.txs().next().unwrap().uri_raw, b"/a\tb");
    let s = run(&[(Direction::ToServer, b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n")]);
    assert_eq!(events(&s), [Vec::<&str>::new()]);
}

#[test]
fn unknown_line_after_a_request_is_unexpected_body() {
    // zeek-http_http-11-request-then-cruft.pcap: "T / HTTP\n\n" twice in
    // one segment after a request; the second line is not a method.
    let s = run(&[
        (Direction::ToServer, b"GET / HTTP/1.1\nHost: zeek.org\n\n"),
        (Direction::ToServer, b"T / HTTP\n\nT / HTTP\n\n"),
    ]);
    let ev = events(&s);
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[1], ["request_body_unexpected"]);
    // A known method is the next request, not body.
    let s = run(&[(
        Direction::ToServer,
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
    )]);
    assert_eq!(events(&s), [Vec::<&str>::new(), Vec::new()]);
}

#[test]
fn abnormal_response_transfer_encoding() {
    for (te, ev) in [
        (
            &b"gzip, chunked"[..],
            vec!["response_abnormal_transfer_encoding"],
        ),
        (b"xchunked", vec!["response_abnormal_transfer_encoding"]),
        (b"Chunked", vec![]),
        (b"gzip", vec![]),
    ] {
        let mut resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: ".to_vec();
        resp.extend_from_slice(te);
        resp.extend_from_slice(b"\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
        let s = run(&[
            (Direction::ToServer, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
            (Direction::ToClient, &resp),
        ]);
        assert_eq!(events(&s), [ev], "{}", String::from_utf8_lossy(te));
    }
}

#[test]
fn invalid_request_transfer_encoding_stops_the_flow() {
    let s = run(&[
        (
            Direction::ToServer,
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
        ),
        (Direction::ToClient, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
    ]);
    assert_eq!(events(&s), [["invalid_transfer_encoding_value_in_request"]]);
    assert!(s.txs().next().unwrap().status.is_empty());
}

#[test]
fn repeated_headers_raise_no_event() {
    let s = run(&[
        (
            Direction::ToServer,
            b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nX: 2\r\n\r\n",
        ),
        (
            Direction::ToClient,
            b"HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nSet-Cookie: b\r\nContent-Length: 2\r\n\r\nhi",
        ),
    ]);
    assert_eq!(events(&s), [Vec::<&str>::new()]);
    let t = s.txs().next().unwrap();
    assert_eq!(
        t.header(Direction::ToClient, b"set-cookie"),
        Some(&b"a, b"[..])
    );
}

/// libhtp's authorization schemes (Suricata 7.0.10 on one-request sessions
/// of these headers raised `request_auth_unrecognized` for NTLM,
/// Negotiate, an empty value and `NTLM` first of two, not for Basic,
/// Digest, Bearer in any case, `Basicfoo`, a bad Basic value or
/// Proxy-Authorization).
#[test]
fn authorization_scheme_unrecognized() {
    for (auth, want) in [
        (&b"Authorization: NTLM TlRMTVNTUAAB"[..], true),
        (b"Authorization: Negotiate YIIC", true),
        (b"Authorization: ", true),
        (b"Authorization:   NTLM x", true),
        (
            b"Authorization: NTLM a\r\nAuthorization: Basic dXNlcjpwYXNz",
            true,
        ),
        (b"Authorization: Basic dXNlcjpwYXNz", false),
        (b"authorization: basic dXNlcjpwYXNz", false),
        (b"Authorization: Basic !!!", false),
        (b"Authorization: Basicfoo", false),
        (b"Authorization: Digest username=\"u\"", false),
        (b"Authorization: Bearer abc", false),
        (b"Proxy-Authorization: NTLM a", false),
        (b"X-None: 1", false),
    ] {
        let mut req = b"GET /x HTTP/1.1\r\nHost: a.io\r\n".to_vec();
        req.extend_from_slice(auth);
        req.extend_from_slice(b"\r\n\r\n");
        let s = run(&[(Direction::ToServer, &req[..])]);
        let t = s.txs().next().unwrap();
        assert_eq!(
            t.has_event(HttpEvent::RequestAuthUnrecognized),
            want,
            "{}",
            String::from_utf8_lossy(auth)
        );
    }
}

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

#[test]
fn gap_inside_a_body_of_known_length_is_missing_body() {
    let mut s = run(&[
        (Direction::ToServer, GET),
        (
            Direction::ToClient,
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        ),
    ]);
    s.gap(Direction::ToClient, 4);
    assert_eq!(s.completed(Direction::ToClient), 0);
    s.parse(Direction::ToClient, b"xyz");
    let t = s.txs().next().unwrap();
    assert_eq!(t.response_progress, Progress::Complete);
    assert_eq!(t.response_body, b"abcxyz");
}

/// The shape of ../shared/pcaps/plain/zeek-http_1000-requests-one-dropped-response:
/// the first response's headers were lost, its body and the next responses
/// were captured. Suricata 7.0.10 logs transaction 0 at the gap without a
/// status and parses transaction 1 as a 200 (its EVE `http` events).
#[test]
fn gap_where_a_response_starts_ends_it_and_resynchronises() {
    let mut s = run(&[(Direction::ToServer, GET), (Direction::ToServer, GET)]);
    s.gap(Direction::ToClient, 238);
    s.parse(
        Direction::ToClient,
        b"<!DOCTYPE html>\n<html>\n</html>\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    let txs: Vec<_> = s.txs().collect();
    assert_eq!(txs.len(), 2);
    assert_eq!(txs[0].response_progress, Progress::Complete);
    assert!(txs[0].status.is_empty());
    assert_eq!(txs[1].status, b"200");
    assert_eq!(txs[1].response_body, b"ok");
    assert_eq!(txs[1].response_progress, Progress::Complete);
    assert_eq!(s.completed(Direction::ToClient), 2);
}

/// The shape of ../shared/pcaps/plain/zeek-http_zero-length-bodies-with-drops
/// (Suricata 7.0.10's EVE `http` events): a request and its response both
/// lost leave no transaction; the next response answers the next request.
#[test]
fn whole_messages_lost_leave_no_transaction() {
    let mut s = run(&[
        (Direction::ToServer, GET),
        (
            Direction::ToClient,
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        ),
    ]);
    s.gap(Direction::ToClient, 50);
    s.gap(Direction::ToServer, 40);
    s.parse(Direction::ToServer, b"GET /b HTTP/1.1\r\n\r\n");
    s.parse(
        Direction::ToClient,
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    );
    let txs: Vec<_> = s.txs().collect();
    assert_eq!(txs.len(), 2);
    assert_eq!(txs[1].uri_raw, b"/b");
    assert_eq!(txs[1].status, b"404");
    assert!(!txs[1].has_event(HttpEvent::UnableToMatchResponseToRequest));
    // Request side: the request in progress ends, lines up to the next
    // request line are skipped.
    let mut s = run(&[(Direction::ToServer, b"GET /a HTTP/1.1\r\nHos")]);
    s.gap(Direction::ToServer, 10);
    s.parse(
        Direction::ToServer,
        b"junk\r\nmore\r\nGET /b HTTP/1.1\r\n\r\n",
    );
    let uris: Vec<_> = s.txs().map(|t| t.uri_raw.clone()).collect();
    assert_eq!(uris, [b"/a".to_vec(), b"/b".to_vec()]);
    assert_eq!(s.completed(Direction::ToServer), 2);
}
