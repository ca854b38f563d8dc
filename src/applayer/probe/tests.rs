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
