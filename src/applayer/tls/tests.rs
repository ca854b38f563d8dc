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
