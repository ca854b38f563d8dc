use super::*;

use super::testdata::{rep, req};
use crate::applayer::test_hex;

/// What tshark shows for the TGS-REP (frame 7): `tshark -r
/// ../shared/acceptance/krb5-kerberoasting/input.pcap -Y frame.number==7
/// -T json -J kerberos`: cname spotless, ticket sname
/// HTTP/dc-mantvydas.offense.local, crealm OFFENSE.LOCAL, ticket etype
/// 23 (rc4-hmac), enc-part etype 18. The TGS-REQ before it is
/// transaction 0 as in Suricata 7.0.10's EVE (`suricata -r
/// ../shared/acceptance/krb5-kerberoasting/input.pcap -k none --runmode
/// single`: `{"msg_type":"KRB_TGS_REQ","cname":"<empty>","realm":
/// "OFFENSE.LOCAL","sname":"HTTP/dc-mantvydas.offense.local",
/// "encryption":"<none>"}`).
fn check(s: &Krb5State) {
    assert_eq!(s.txs().len(), 2, "the request and the reply");
    let q = &s.txs()[0];
    assert_eq!((q.id, q.msg_type(), q.dir), (0, 12, Direction::ToServer));
    assert_eq!(q.cnames().count(), 0);
    assert_eq!(
        q.snames().collect::<Vec<_>>(),
        [&b"HTTP"[..], b"dc-mantvydas.offense.local"]
    );
    assert_eq!(q.realm(), Some(&b"OFFENSE.LOCAL"[..]));
    assert_eq!((q.encryption(), q.ticket_encryption()), (None, None));
    let tx = &s.txs()[1];
    assert_eq!(tx.id, 1);
    assert_eq!(tx.msg_type(), 13);
    assert_eq!(tx.dir, Direction::ToClient);
    assert_eq!(tx.cnames().collect::<Vec<_>>(), [&b"spotless"[..]]);
    assert_eq!(
        tx.snames().collect::<Vec<_>>(),
        [&b"HTTP"[..], b"dc-mantvydas.offense.local"]
    );
    assert_eq!(tx.realm(), Some(&b"OFFENSE.LOCAL"[..]));
    assert_eq!(tx.ticket_encryption(), Some(23));
    assert_eq!(tx.ticket_weak(), Some(true));
    assert_eq!(tx.encryption(), Some(18));
    assert!(tx.events.is_empty(), "enc-part etype 18 is not weak");
    assert!(!s.failed());
}

#[test]
fn real_tgs_exchange_whole_split_and_bytewise() {
    let (q, p) = (req(), rep());
    let mut s = Krb5State::new(Transport::Tcp);
    s.parse(Direction::ToServer, &q);
    s.parse(Direction::ToClient, &p);
    check(&s);
    for cut in 0..p.len() {
        let mut s = Krb5State::new(Transport::Tcp);
        s.parse(Direction::ToServer, &q[..cut.min(q.len())]);
        s.parse(Direction::ToServer, &q[cut.min(q.len())..]);
        s.parse(Direction::ToClient, &p[..cut]);
        s.parse(Direction::ToClient, &p[cut..]);
        check(&s);
    }
    let mut s = Krb5State::new(Transport::Tcp);
    q.iter()
        .for_each(|b| s.parse(Direction::ToServer, std::slice::from_ref(b)));
    p.iter()
        .for_each(|b| s.parse(Direction::ToClient, std::slice::from_ref(b)));
    check(&s);
}

#[test]
fn udp_message_and_truncations() {
    let p = rep();
    let mut s = Krb5State::new(Transport::Udp);
    s.parse(Direction::ToServer, &req()[4..]);
    s.parse(Direction::ToClient, &p[4..]);
    check(&s);
    // Every truncation of the message: no transaction, no panic; only a
    // header cut short is malformed.
    for cut in 0..p.len() - 4 {
        let mut s = Krb5State::new(Transport::Udp);
        s.parse(Direction::ToClient, &p[4..4 + cut]);
        assert!(s.txs().is_empty(), "cut {cut}");
        assert_eq!(s.failed(), cut < 4, "cut {cut}");
    }
}

#[test]
fn request_then_error_reports_the_request_type() {
    // An error reports the type of the request before it.
    let q = req();
    let mut s = Krb5State::new(Transport::Tcp);
    s.parse(Direction::ToServer, &q);
    assert_eq!(s.take_txs().count(), 1);
    // KRB-ERROR: pvno 5, msg-type 30, stime, susec, error-code 25,
    // realm "R", sname krbtgt/R.
    let err = test_hex(
        "7e 40 30 3e a0 03 02 01 05 a1 03 02 01 1e
         a4 11 18 0f 32 30 32 30 30 31 30 31 30 30 30 30 30 30 5a
         a5 03 02 01 00 a6 03 02 01 19 a9 03 1b 01 52
         aa 10 30 0e a0 03 02 01 02 a1 07 30 05 1b 03 6b 72 62",
    );
    let mut framed = (err.len() as u32).to_be_bytes().to_vec();
    framed.extend(&err);
    s.parse(Direction::ToClient, &framed);
    let tx = &s.txs()[0];
    assert_eq!(tx.message.tag, 30);
    assert_eq!(tx.msg_type(), 12, "Suricata 7 reports the TGS-REQ's type");
    assert_eq!(tx.error_code(), Some(25));
    assert_eq!(tx.snames().collect::<Vec<_>>(), [&b"krb"[..]]);
    assert_eq!(tx.cnames().count(), 0);
}

#[test]
fn malformed_and_oversized() {
    let mut s = Krb5State::new(Transport::Udp);
    s.parse(Direction::ToServer, &[0x6a, 0x84]);
    assert!(s.failed());
    let mut s = Krb5State::new(Transport::Udp);
    // Not APPLICATION: ignored.
    s.parse(Direction::ToServer, &[0x30, 0x00]);
    assert!(!s.failed() && s.txs().is_empty());
    let mut s = Krb5State::new(Transport::Tcp);
    s.parse(Direction::ToServer, &[0, 0x10, 0, 0, 0x6a]);
    assert!(s.failed(), "a 1 MiB record is refused");
    // malformed_data lands on the latest transaction.
    let mut s = Krb5State::new(Transport::Tcp);
    s.parse(Direction::ToClient, &rep());
    s.parse(Direction::ToClient, &[0, 0, 0, 2, 0x7e, 0x85]);
    assert!(s.txs()[0].has_event(Krb5Event::MalformedData));
}

#[test]
fn der_walker_bounds() {
    assert_eq!(der::tlv(&[0x30]), Err(der::DerError::Incomplete));
    assert_eq!(der::tlv(&[0x30, 0x80]), Err(der::DerError::Invalid));
    assert_eq!(der::tlv(&[0x1f, 0x01, 0x00]), Err(der::DerError::Invalid));
    assert_eq!(
        der::tlv(&[0x30, 0x85, 1, 2, 3, 4, 5]),
        Err(der::DerError::Invalid)
    );
    assert_eq!(
        der::tlv(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
        Err(der::DerError::Incomplete)
    );
    assert_eq!(der::integer(&[2, 1, 0xe9]), Some(-23));
    assert_eq!(der::integer(&[2, 2, 0xff, 0x7b]), Some(-133));
    assert!(parser::is_weak(23) && parser::is_weak(-128) && !parser::is_weak(18));
    assert_eq!(parser::etype_name(23), Some("rc4-hmac"));
}

#[test]
fn event_names_round_trip() {
    for e in Krb5Event::ALL {
        assert_eq!(Krb5Event::from_name(e.name()), Some(*e));
    }
}

proptest::proptest! {
    #[test]
    fn no_input_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..600), cut in 0usize..600, at in 0usize..1548) {
        let mut s = Krb5State::new(Transport::Udp);
        s.parse(Direction::ToClient, &data);
        // A real reply with bytes replaced: split anywhere, same result.
        let mut p = rep();
        for (i, b) in data.iter().enumerate().take(8) {
            let k = (at + i * 97) % p.len();
            p[k] = *b;
        }
        let cut = cut.min(p.len());
        let mut a = Krb5State::new(Transport::Tcp);
        a.parse(Direction::ToClient, &p[..cut]);
        a.parse(Direction::ToClient, &p[cut..]);
        let mut b = Krb5State::new(Transport::Tcp);
        b.parse(Direction::ToClient, &p);
        proptest::prop_assert_eq!(a.txs(), b.txs());
    }
}
