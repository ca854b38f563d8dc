use super::*;

use crate::applayer::test_hex as hex;

/// A ClientHello (SNI "a.io") in one handshake record.
fn client_hello_record() -> Vec<u8> {
    let mut body = hex("0303");
    body.extend([0u8; 32]);
    body.extend(hex("00 0004 c02f 009c 01 00"));
    let exts = hex("0000 0009 0007 00 0004 612e696f 000a 0004 0002 001d 000b 0002 01 00");
    body.extend((exts.len() as u16).to_be_bytes());
    body.extend(exts);
    let mut hs = vec![1, 0, 0, body.len() as u8];
    hs.extend(body);
    let mut rec = vec![0x16, 3, 1, 0, hs.len() as u8];
    rec.extend(hs);
    rec
}

#[test]
fn client_hello_in_any_pieces() {
    let rec = client_hello_record();
    for cut in 0..=rec.len() {
        let mut s = TlsState::new();
        s.parse(Direction::ToServer, &rec[..cut]);
        s.parse(Direction::ToServer, &rec[cut..]);
        assert_eq!(s.sni(), Some(&b"a.io"[..]), "cut {cut}");
        assert_eq!(s.ja3().unwrap(), "771,49199-156,0-10-11,29,0");
        assert_eq!(s.ja3_hash().unwrap().len(), 32);
        assert!(s.state.0 & SslState::CLIENT_HELLO != 0);
    }
}

#[test]
fn handshake_split_over_records() {
    let rec = client_hello_record();
    let hs = &rec[5..];
    let mut stream = Vec::new();
    for part in hs.chunks(7) {
        stream.extend([0x16, 3, 1, 0, part.len() as u8]);
        stream.extend(part);
    }
    let mut s = TlsState::new();
    for b in &stream {
        s.parse(Direction::ToServer, std::slice::from_ref(b));
    }
    assert_eq!(s.sni(), Some(&b"a.io"[..]));
}

#[test]
fn bad_records_raise_events_and_stop() {
    let mut s = TlsState::new();
    s.parse(Direction::ToServer, &[0x16, 9, 9, 0, 1, 0]);
    assert!(s.has_event(TlsEvent::InvalidRecordVersion));
    let mut s = TlsState::new();
    s.parse(Direction::ToServer, &[0x30, 3, 1, 0, 1, 0]);
    assert!(s.has_event(TlsEvent::InvalidRecordType));
    let mut s = TlsState::new();
    s.parse(Direction::ToServer, &[0x16, 3, 1, 0xff, 0xff]);
    assert!(s.has_event(TlsEvent::InvalidRecordLength));
    // A handshake message announcing 16 MiB.
    let mut s = TlsState::new();
    s.parse(
        Direction::ToServer,
        &[0x16, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff],
    );
    assert!(s.has_event(TlsEvent::HandshakeInvalidLength));
}

#[test]
fn sslv2_client_hello_then_tls_server() {
    // SSLv2 ClientHello offering TLS 1.0 with one cipher spec.
    let msg = hex("01 0301 0003 0000 0010 000005");
    let mut rec = vec![0x80, (msg.len() + 16) as u8];
    rec.extend(&msg);
    rec.extend([0u8; 16]);
    let mut s = TlsState::new();
    s.parse(Direction::ToServer, &rec);
    assert_eq!(s.sslv2_client_version, Some(0x0301));
    assert!(s.versions.0 & SslVersions::SSLV2 != 0);
}

#[test]
fn event_names_round_trip() {
    for e in TlsEvent::ALL {
        assert_eq!(TlsEvent::from_name(e.name()), Some(*e));
    }
}

proptest::proptest! {
    #[test]
    fn no_input_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..600), cut in 0usize..600) {
        let mut s = TlsState::new();
        let mut rec = client_hello_record();
        rec.extend(&data);
        let cut = cut.min(rec.len());
        s.parse(Direction::ToServer, &rec[..cut]);
        s.parse(Direction::ToServer, &rec[cut..]);
        let mut t = TlsState::new();
        t.parse(Direction::ToClient, &data);
        let mut srv = vec![0x16, 3, 3];
        srv.extend(((data.len() + 4) as u16).to_be_bytes());
        srv.extend([11, 0]);
        srv.extend((data.len() as u16).to_be_bytes());
        srv.extend(&data);
        t.parse(Direction::ToClient, &srv);
    }
}

// The cases below are the crafted sessions of
// tests/data/ids/events/craft.py; Suricata 7.0.10 raised the same events on
// them (tests/data/ids/events/*.suricata-7.0.10.alerts.jsonl, make.sh).

/// A record of `ctype` holding `body`, TLS 1.2.
fn rec(ctype: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![ctype, 3, 3];
    r.extend((body.len() as u16).to_be_bytes());
    r.extend(body);
    r
}

/// A handshake message.
fn hs_msg(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend(body);
    m
}

/// The ServerHello of craft.py.
fn server_hello_record() -> Vec<u8> {
    let mut body = hex("0303");
    body.extend([0u8; 32]);
    body.extend(hex("00 c02f 00"));
    rec(22, &hs_msg(2, &body))
}

fn session(client: &[&[u8]], server: &[&[u8]]) -> TlsState {
    let mut s = TlsState::new();
    s.parse(Direction::ToServer, &client_hello_record());
    s.parse(Direction::ToClient, &server_hello_record());
    for c in client {
        s.parse(Direction::ToServer, c);
    }
    for c in server {
        s.parse(Direction::ToClient, c);
    }
    s
}

/// Events raised, by name.
fn names(s: &TlsState) -> Vec<&'static str> {
    TlsEvent::ALL
        .iter()
        .filter(|e| s.has_event(**e))
        .map(|e| e.name())
        .collect()
}

#[test]
fn heartbeats_as_suricata_checks_them() {
    // Payload length 0x4000 in a 19-byte record (Heartbleed).
    let mut hb = hex("01 4000");
    hb.extend([0u8; 16]);
    assert_eq!(
        names(&session(&[&rec(24, &hb)], &[])),
        ["overflow_heartbeat_message"]
    );
    // 4 bytes of payload, 8 of padding.
    let mut hb = hex("01 0004 61626364");
    hb.extend([0u8; 8]);
    assert_eq!(
        names(&session(&[&rec(24, &hb)], &[])),
        ["invalid_heartbeat_message"]
    );
    // Type 7.
    let mut hb = hex("07 0004 61626364");
    hb.extend([0u8; 16]);
    let s = session(&[&rec(24, &hb)], &[]);
    assert_eq!(names(&s), ["invalid_heartbeat_message"]);
    // A parser error ends the flow's parsing, both directions.
    let mut s = s;
    s.parse(Direction::ToClient, &rec(21, &[2, 40]));
    assert_eq!(s.records(Direction::ToClient), 1);
    // Encrypted: a 400-byte response to a 40-byte request leaks.
    let s = session(
        &[&rec(20, &[1]), &rec(24, &[0; 40])],
        &[&rec(20, &[1]), &rec(24, &[0; 400])],
    );
    assert_eq!(names(&s), ["dataleak_heartbeat_mismatch"]);
    // An encrypted exchange of equal lengths is fine.
    let s = session(
        &[&rec(20, &[1]), &rec(24, &[0; 40])],
        &[&rec(20, &[1]), &rec(24, &[0; 40])],
    );
    assert!(names(&s).is_empty());
}

#[test]
fn alerts_are_no_events_sslv2_errors_are() {
    assert!(names(&session(&[], &[&rec(21, &[2, 40])])).is_empty());
    let mut s = TlsState::new();
    s.parse(Direction::ToServer, &client_hello_record());
    s.parse(Direction::ToClient, &hex("80 03 00 0001"));
    assert_eq!(names(&s), ["error_message_encountered"]);
}

#[test]
fn handshake_framing_errors() {
    // A handshake record shorter than a message header.
    let mut c = client_hello_record();
    c.extend(rec(22, &[0x10, 0]));
    let mut s = TlsState::new();
    s.parse(Direction::ToServer, &c);
    assert_eq!(names(&s), ["invalid_ssl_record"]);
    // A message header cut by the record's end.
    let mut r = hs_msg(14, b"");
    r.extend([14, 0]);
    let s = session(&[], &[&rec(22, &r)]);
    assert_eq!(
        names(&s),
        ["invalid_handshake_message", "invalid_ssl_record"]
    );
    assert!(
        s.server_hello_done(),
        "the whole message before it was parsed"
    );
    // An unknown message type is skipped, parsing goes on.
    let mut r = hs_msg(99, b"xx");
    r.extend(hs_msg(14, b""));
    let s = session(&[], &[&rec(22, &r)]);
    assert_eq!(names(&s), ["invalid_handshake_message"]);
    assert!(s.server_hello_done());
}

#[test]
fn too_many_records_in_one_call() {
    // 40 SSLv2 records of 3 bytes after the ServerHello, in one piece:
    // more records than bytes / 6.
    let mut srv = server_hello_record();
    for _ in 0..40 {
        srv.extend([0x80, 1, 7]);
    }
    let mut s = TlsState::new();
    s.parse(Direction::ToServer, &client_hello_record());
    s.parse(Direction::ToClient, &srv);
    assert_eq!(names(&s), ["too_many_records_in_packet"]);
    // The same records one call each are fine.
    let mut s = TlsState::new();
    s.parse(Direction::ToServer, &client_hello_record());
    s.parse(Direction::ToClient, &server_hello_record());
    for _ in 0..40 {
        s.parse(Direction::ToClient, &[0x80, 1, 7]);
    }
    assert!(names(&s).is_empty());
}

#[test]
fn leaf_certificate_errors_map_as_suricatas_x509() {
    let cert_msg = |der: &[u8]| {
        let mut one = (der.len() as u32).to_be_bytes()[1..].to_vec();
        one.extend(der);
        let mut list = (one.len() as u32).to_be_bytes()[1..].to_vec();
        list.extend(one);
        rec(22, &hs_msg(11, &list))
    };
    // craft.py's x509(): decodes.
    let good = hex(
        "308184306fa003020102020101300d06092a864886f70d01010b0500300f310d300b06035504030c04612e696f301e170d3233303130313030303030305a170d3333303130313030303030305a300f310d300b06035504030c04612e696f3014300d06092a864886f70d01010b05000303000102300d06092a864886f70d01010b050003020001",
    );
    let s = session(&[], &[&cert_msg(&good)]);
    assert!(names(&s).is_empty());
    assert_eq!(s.leaf().unwrap().subject, "CN=a.io");
    // Validity times "2301": an invalid date.
    let bad_date = hex(
        "3072305da003020102020101300d06092a864886f70d01010b0500300f310d300b06035504030c04612e696f300c170432333031170433333031300f310d300b06035504030c04612e696f3014300d06092a864886f70d01010b05000303000102300d06092a864886f70d01010b050003020001",
    );
    let s = session(&[], &[&cert_msg(&bad_date)]);
    assert_eq!(names(&s), ["certificate_invalid_date"]);
    assert!(s.leaf().is_none() && s.certs_der.len() == 1);
    // Three bytes announcing 0xff bytes: incomplete, an invalid length.
    let s = session(&[], &[&cert_msg(&hex("3082ff"))]);
    assert_eq!(names(&s), ["certificate_invalid_length"]);
    // The good certificate cut by 20 bytes (lengths inside no longer fit).
    let s = session(&[], &[&cert_msg(&good[..good.len() - 20])]);
    assert_eq!(names(&s), ["invalid_certificate"]);
}
