use super::*;

fn tcp(server: u16, ts: &[u8], tc: &[u8]) -> AppProto {
    let mut p = Prober::new(Transport::Tcp, server, 40000);
    p.feed(Direction::ToServer, ts);
    p.feed(Direction::ToClient, tc);
    p.proto()
}

#[test]
fn http_by_method_or_response() {
    assert_eq!(tcp(8080, b"GET / HTTP/1.1\r\n", b""), AppProto::Http);
    assert_eq!(tcp(8080, b"post\t/x HTTP/1.0\r\n", b""), AppProto::Http);
    assert_eq!(tcp(8080, b"", b"HTTP/1.1 200 OK\r\n"), AppProto::Http);
    // A method without its delimiter is not HTTP.
    assert_eq!(tcp(8080, b"GETX / HTTP/1.1", b"xyz"), AppProto::Failed);
}

#[test]
fn tls_records_and_sslv2() {
    assert_eq!(
        tcp(4433, &[0x16, 0x03, 0x01, 0x00, 0x10], b""),
        AppProto::Tls
    );
    assert_eq!(
        tcp(4433, b"", &[0x16, 0x03, 0x03, 0x00, 0x10]),
        AppProto::Tls
    );
    // SSLv2 ClientHello offering TLS 1.0.
    assert_eq!(
        tcp(4433, &[0x80, 0x2e, 0x01, 0x03, 0x01, 0x00], b""),
        AppProto::Tls
    );
    assert_eq!(tcp(4433, &[0x16, 0x04, 0x01], b"zz"), AppProto::Failed);
}

#[test]
fn banners_and_magic() {
    assert_eq!(tcp(2222, b"SSH-2.0-OpenSSH_8.9\r\n", b""), AppProto::Ssh);
    assert_eq!(tcp(2222, b"", b"SSH-2.0-x\r\n"), AppProto::Ssh);
    assert_eq!(tcp(1445, b"\x00\x00\x00\x54\xfeSMB@", b""), AppProto::Smb);
    assert_eq!(tcp(2121, b"USER anonymous\r\n", b""), AppProto::Ftp);
    assert_eq!(tcp(2525, b"EHLO x\r\n", b""), AppProto::Smtp);
    assert_eq!(
        tcp(8080, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b""),
        AppProto::Http2
    );
}

#[test]
fn partial_bytes_wait() {
    let mut p = Prober::new(Transport::Tcp, 80, 40000);
    assert_eq!(p.feed(Direction::ToServer, b"GE"), AppProto::Unknown);
    assert_eq!(p.feed(Direction::ToServer, b"GET "), AppProto::Http);
    let mut p = Prober::new(Transport::Tcp, 443, 40000);
    assert_eq!(p.feed(Direction::ToServer, &[0x16]), AppProto::Unknown);
    assert_eq!(
        p.feed(Direction::ToServer, &[0x16, 0x03, 0x01]),
        AppProto::Tls
    );
}

#[test]
fn dns_by_port_and_structure() {
    let q = [
        0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 0, 0, 1, 0, 1,
    ];
    let mut p = Prober::new(Transport::Udp, 53, 33333);
    assert_eq!(p.feed(Direction::ToServer, &q), AppProto::Dns);
    // Same bytes on another port: no parser.
    let mut p = Prober::new(Transport::Udp, 5353, 33333);
    assert_eq!(p.feed(Direction::ToServer, &q), AppProto::Failed);
    // Counts that cannot fit the message.
    let mut bad = q;
    bad[5] = 200;
    let mut p = Prober::new(Transport::Udp, 53, 33333);
    assert_eq!(p.feed(Direction::ToServer, &bad), AppProto::Failed);
    // TCP: length-prefixed.
    let mut t = vec![0, q.len() as u8];
    t.extend(q);
    let mut p = Prober::new(Transport::Tcp, 53, 33333);
    assert_eq!(p.feed(Direction::ToServer, &t[..5]), AppProto::Unknown);
    assert_eq!(p.feed(Direction::ToServer, &t), AppProto::Dns);
}

#[test]
fn failed_needs_both_directions_on_tcp() {
    let mut p = Prober::new(Transport::Tcp, 80, 40000);
    assert_eq!(
        p.feed(Direction::ToServer, b"\x00\x01garbage"),
        AppProto::Unknown
    );
    assert_eq!(
        p.feed(Direction::ToClient, b"more garbage"),
        AppProto::Failed
    );
    assert_eq!(p.proto_of(Direction::ToServer), AppProto::Failed);
}

#[test]
fn other_direction_inherits_and_mismatch_is_flagged() {
    let mut p = Prober::new(Transport::Tcp, 80, 40000);
    p.feed(Direction::ToServer, b"GET / HTTP/1.1\r\n");
    assert_eq!(p.proto_of(Direction::ToClient), AppProto::Http);
    p.feed(Direction::ToClient, b"SSH-2.0-x\r\n");
    assert!(p.mismatch());
    assert_eq!(p.proto(), AppProto::Http);
}

#[test]
fn names_round_trip() {
    for p in AppProto::ALL {
        assert_eq!(AppProto::from_name(p.name()), Some(*p));
    }
    assert_eq!(AppProto::from_name("http1"), Some(AppProto::Http));
    assert_eq!(AppProto::Failed.name(), "failed");
    assert_eq!(AppProto::FtpData.name(), "ftp-data");
}

proptest::proptest! {
    #[test]
    fn no_input_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..64), port in 0u16..1000) {
        for t in [Transport::Tcp, Transport::Udp] {
            let mut p = Prober::new(t, port, 40000);
            for n in 0..=data.len() {
                p.feed(Direction::ToServer, &data[..n]);
                p.feed(Direction::ToClient, &data[..n]);
            }
        }
    }
}

/// A 16-byte DCE/RPC header: version 5, `minor`, `ptype`, flags 3, `drep`.
fn dce(minor: u8, ptype: u8, drep: [u8; 2]) -> Vec<u8> {
    let mut h = vec![
        5, minor, ptype, 3, drep[0], drep[1], 0, 0, 16, 0, 0, 0, 1, 0, 0, 0,
    ];
    h.extend_from_slice(&[0; 8]);
    h
}

#[test]
fn dcerpc_pattern_and_probe_as_suricata() {
    // Both directions, any packet type (bind, bind_ack, 30).
    assert_eq!(tcp(5555, &dce(0, 11, [0x10, 0]), b""), AppProto::Dcerpc);
    assert_eq!(tcp(5555, b"", &dce(0, 12, [0x10, 0])), AppProto::Dcerpc);
    assert_eq!(tcp(5555, &dce(0, 30, [0, 3]), b""), AppProto::Dcerpc);
    // Minor version 1 misses the `|05 00|` pattern: the SOCKS5 greeting.
    assert_eq!(tcp(5555, &dce(1, 11, [0x10, 0]), b"zz"), AppProto::Failed);
    let mut p = Prober::new(Transport::Tcp, 8124, 53994);
    p.feed(Direction::ToServer, b"\x05\x01\x00");
    assert!(p.dir_done(Direction::ToServer));
    // `05 00` and a SOCKS reply: undecided until 16 bytes, then the data
    // representation (00 01) fits.
    p.feed(Direction::ToClient, b"\x05\x00");
    assert!(!p.dir_done(Direction::ToClient));
    p.feed(
        Direction::ToClient,
        b"\x05\x00\x05\x00\x00\x01\xc0\xa8\x00\x1f\x0a\x80",
    );
    assert!(!p.dir_done(Direction::ToClient));
    p.feed(
        Direction::ToClient,
        b"\x05\x00\x05\x00\x00\x01\xc0\xa8\x00\x1f\x0a\x80HTTP/1.1 200",
    );
    assert_eq!(p.detected(Direction::ToClient), AppProto::Dcerpc);
    assert!(p.only_one_direction());
    // A data representation out of range leaves the direction undecided.
    for drep in [[0x30, 0], [0x10, 9]] {
        let mut p = Prober::new(Transport::Tcp, 5555, 40000);
        p.feed(Direction::ToServer, &dce(0, 11, drep));
        assert!(!p.dir_done(Direction::ToServer), "{drep:?}");
        assert_eq!(p.proto(), AppProto::Unknown);
    }
}

/// A DNS message with one question for `a.b` (QR bit as `response`).
fn dns(response: bool) -> Vec<u8> {
    let mut m = vec![
        0,
        1,
        if response { 0x81 } else { 0x01 },
        0x80,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
    ];
    m.extend_from_slice(b"\x01a\x01b\x00\x00\x01\x00\x01");
    m
}

#[test]
fn udp_dns_answer_to_the_server_reverses_the_flow() {
    // An answer 53 -> 53 travelling "to the server": reversed.
    let mut p = Prober::new(Transport::Udp, 53, 53);
    assert_eq!(p.feed(Direction::ToServer, &dns(true)), AppProto::Dns);
    assert!(p.take_reversal());
    assert!(!p.take_reversal(), "once");
    // An answer from a high port to port 53: the server is the sender now.
    let mut p = Prober::new(Transport::Udp, 53, 40000);
    assert_eq!(p.feed(Direction::ToServer, &dns(true)), AppProto::Dns);
    assert!(p.take_reversal());
    assert_eq!(p.server_port(), 40000);
    // A query to port 53: not reversed.
    let mut p = Prober::new(Transport::Udp, 53, 40000);
    assert_eq!(p.feed(Direction::ToServer, &dns(false)), AppProto::Dns);
    assert!(!p.take_reversal());
    assert_eq!(p.server_port(), 53);
    // An answer from port 53 to a high port: not probed, failed.
    let mut p = Prober::new(Transport::Udp, 40000, 53);
    assert_eq!(p.feed(Direction::ToServer, &dns(true)), AppProto::Failed);
    assert!(!p.take_reversal());
}
