use super::*;

use crate::applayer::test_hex as hex;

// PDUs of ../shared/acceptance/dcerpc-issue-7187-01/input.pcap (TCP
// payloads of frames 4, 6, 7 and 8: `tshark -r input.pcap -x`).
const BIND: &str = "05000b03100000007400000001000000d016d016000000000200000000000100aa622b5d0aee954a91aeb064fdb471fc01000000045d888aeb1cc9119fe808002b1048600200000001000100aa622b5d0aee954a91aeb064fdb471fc010000002c1cb76c12984045030000000000000001000000";
const BIND_ACK: &str = "05000c03100000005400000001000000d016d0163230343605003939373836000200000000000000045d888aeb1cc9119fe808002b10486002000000030003000000000000000000000000000000000000000000";
const REQUEST: &str = "05000003100000001c00000001000000040000000000040002000000";
const RESPONSE: &str = "050002031000000024000000010000000c000000000000000400000010000000c0e14a00";

const IFACE: &str = "5d2b62aa-ee0a-4a95-91ae-b064fdb471fc";

fn session() -> Vec<(Direction, Vec<u8>)> {
    vec![
        (Direction::ToServer, hex(BIND)),
        (Direction::ToClient, hex(BIND_ACK)),
        (Direction::ToServer, hex(REQUEST)),
        (Direction::ToClient, hex(RESPONSE)),
    ]
}

fn summary(s: &DcerpcState) -> Vec<(u32, u8, u8, Option<u16>, usize, usize)> {
    s.txs()
        .iter()
        .map(|t| {
            (
                t.call_id,
                t.req_cmd,
                t.resp_cmd,
                t.opnum(),
                t.stub_data(Direction::ToServer).map_or(0, <[u8]>::len),
                t.stub_data(Direction::ToClient).map_or(0, <[u8]>::len),
            )
        })
        .collect()
}

#[test]
fn bind_request_response_as_suricata_logs_them() {
    let mut s = DcerpcState::new(Carrier::Tcp);
    for (d, b) in session() {
        s.parse(d, &b);
    }
    // Suricata 7.0.10's EVE for this capture: BIND/BINDACK with results
    // 0 and 3; REQUEST opnum 4 stub 4, RESPONSE stub 20.
    assert_eq!(
        summary(&s),
        vec![
            (1, ptype::BIND, ptype::BIND_ACK, None, 0, 0),
            (1, ptype::REQUEST, ptype::RESPONSE, Some(4), 4, 20),
        ]
    );
    let ifs = s.interfaces();
    assert_eq!(ifs.len(), 2);
    assert_eq!(parser::uuid_string(&ifs[0].uuid), IFACE);
    assert_eq!((ifs[0].version, ifs[0].version_minor), (1, 0));
    assert_eq!(ifs[0].ack_result, Some(0));
    assert_eq!(ifs[1].ack_result, Some(3));
    assert_eq!(s.accepted().len(), 1);
    let uuid = parser::parse_uuid(IFACE).unwrap();
    let tx = &s.txs()[1];
    assert!(s.iface_matches(tx, &uuid, |_| true, false));
    assert!(s.iface_matches(tx, &uuid, |v| v == 1, false));
    assert!(!s.iface_matches(tx, &uuid, |v| v > 1, false));
    assert!(!s.iface_matches(&s.txs()[0], &uuid, |_| true, true));
    let mut other = uuid;
    other[0] ^= 1;
    assert!(!s.iface_matches(tx, &other, |_| true, true));
    assert!(tx.little_endian);
    assert_eq!(s.take_complete().len(), 2);
    assert!(s.txs().is_empty());
}

#[test]
fn split_anywhere_parses_the_same() {
    let stream: Vec<u8> = [hex(BIND), hex(REQUEST)].concat();
    let mut whole = DcerpcState::new(Carrier::Tcp);
    whole.parse(Direction::ToServer, &stream);
    let want = summary(&whole);
    assert_eq!(want.len(), 2);
    for cut in 0..=stream.len() {
        let mut s = DcerpcState::new(Carrier::Tcp);
        s.parse(Direction::ToServer, &stream[..cut]);
        s.parse(Direction::ToServer, &stream[cut..]);
        assert_eq!(summary(&s), want, "cut {cut}");
    }
    let mut s = DcerpcState::new(Carrier::Tcp);
    for b in &stream {
        s.parse(Direction::ToServer, std::slice::from_ref(b));
    }
    assert_eq!(summary(&s), want);
}

#[test]
fn reused_call_id_after_a_finished_call_is_a_new_transaction() {
    // Suricata issue 7187: the second REQUEST reuses call_id 1.
    let mut s = DcerpcState::new(Carrier::Tcp);
    for (d, b) in session() {
        s.parse(d, &b);
    }
    let mut req = hex(REQUEST);
    req[22] = 1; // opnum 1
    s.parse(Direction::ToServer, &req);
    let t = summary(&s);
    assert_eq!(t.len(), 3);
    assert_eq!(t[2], (1, ptype::REQUEST, ptype::RESPONSE, Some(1), 4, 0));
    assert!(s.txs()[2].req_done && !s.txs()[2].resp_done);
}

/// A REQUEST PDU with `flags`, `call_id` 9 and `stub`.
fn request(flags: u8, stub: &[u8], big_endian: bool) -> Vec<u8> {
    let len = (16 + 8 + stub.len()) as u16;
    let mut p = vec![5, 0, 0, flags, if big_endian { 0 } else { 0x10 }, 0, 0, 0];
    let (l, a, c, h, ctx, op) = if big_endian {
        (
            len.to_be_bytes(),
            [0, 0],
            9u32.to_be_bytes(),
            0u32.to_be_bytes(),
            0u16.to_be_bytes(),
            7u16.to_be_bytes(),
        )
    } else {
        (
            len.to_le_bytes(),
            [0, 0],
            9u32.to_le_bytes(),
            0u32.to_le_bytes(),
            0u16.to_le_bytes(),
            7u16.to_le_bytes(),
        )
    };
    p.extend(l);
    p.extend(a);
    p.extend(c);
    p.extend(h);
    p.extend(ctx);
    p.extend(op);
    p.extend(stub);
    p
}

#[test]
fn fragments_are_reassembled_into_one_stub_either_endian() {
    for be in [false, true] {
        let mut s = DcerpcState::new(Carrier::Tcp);
        s.parse(Direction::ToServer, &request(PFC_FIRST_FRAG, b"abc", be));
        assert!(!s.txs()[0].req_done);
        s.parse(Direction::ToServer, &request(0, b"def", be));
        s.parse(Direction::ToServer, &request(PFC_LAST_FRAG, b"gh", be));
        assert_eq!(s.txs().len(), 1, "be={be}");
        let tx = &s.txs()[0];
        assert_eq!(tx.stub_data(Direction::ToServer), Some(&b"abcdefgh"[..]));
        assert_eq!(tx.opnum(), Some(7));
        assert_eq!(tx.frag_cnt[0], 3);
        assert!(tx.req_done);
        assert_eq!(tx.little_endian, !be);
    }
}

#[test]
fn over_smb_the_response_header_is_not_stub() {
    let mut s = DcerpcState::new(Carrier::Smb);
    for (d, b) in session() {
        s.parse(d, &b);
    }
    // 36-byte RESPONSE: 16 header, 8 response header, 12 stub.
    assert_eq!(summary(&s)[1].5, 12);
}

#[test]
fn unhandled_types_and_bad_versions_stop_the_parser() {
    let mut s = DcerpcState::new(Carrier::Tcp);
    let mut auth3 = hex(REQUEST);
    auth3[2] = ptype::AUTH3;
    s.parse(Direction::ToServer, &auth3);
    s.parse(Direction::ToServer, &hex(REQUEST));
    assert!(s.failed());
    assert!(s.txs().is_empty());
    let mut s = DcerpcState::new(Carrier::Tcp);
    s.parse(
        Direction::ToServer,
        &hex("0400 0003 10000000 1c00 0000 01000000"),
    );
    assert!(s.failed());
    // frag_length below the header.
    let mut s = DcerpcState::new(Carrier::Tcp);
    s.parse(
        Direction::ToServer,
        &hex("0500 0003 10000000 0800 0000 01000000"),
    );
    assert!(s.failed());
    assert_eq!(s.stats().errors, 1);
}

#[test]
fn every_truncation_of_a_pdu_is_incomplete_not_wrong() {
    for pdu in [BIND, BIND_ACK, REQUEST, RESPONSE] {
        let b = hex(pdu);
        for n in 0..b.len() {
            let mut s = DcerpcState::new(Carrier::Tcp);
            s.parse(Direction::ToServer, &b[..n]);
            assert!(s.txs().is_empty() && !s.failed(), "{pdu} cut {n}");
        }
    }
    // A BIND whose frag_length cuts its context list: parse error.
    let mut b = hex(BIND);
    b[8] = 40;
    b.truncate(40);
    let mut s = DcerpcState::new(Carrier::Tcp);
    s.parse(Direction::ToServer, &b);
    assert!(s.failed());
}

#[test]
fn stub_and_transactions_are_bounded() {
    let mut s = DcerpcState::new(Carrier::Tcp);
    let chunk = vec![0x41u8; 60000];
    let n = MAX_STUB / chunk.len() + 2;
    for _ in 0..n {
        s.parse(Direction::ToServer, &request(0, &chunk, false));
    }
    let tx = &s.txs()[0];
    assert_eq!(tx.stub_data(Direction::ToServer).unwrap().len(), MAX_STUB);
    assert!(tx.stub_truncated[0]);
    let mut s = DcerpcState::new(Carrier::Tcp);
    for _ in 0..MAX_TXS + 5 {
        s.parse(Direction::ToServer, &hex(BIND));
    }
    assert_eq!(s.txs().len(), MAX_TXS);
    assert_eq!(s.stats().dropped_txs, 5);
}

#[test]
fn uuid_text_round_trips() {
    let u = parser::parse_uuid("5D2B62AA-ee0a-4a95-91ae-b064fdb471fc").unwrap();
    assert_eq!(parser::uuid_string(&u), IFACE);
    assert!(parser::parse_uuid("5d2b62aa-ee0a-4a95-91ae-b064fdb471f").is_none());
    assert!(parser::parse_uuid("5d2b62aaee0a-4a95-91ae-b064fdb471fc0-").is_none());
    assert!(parser::parse_uuid("+d2b62aa-ee0a-4a95-91ae-b064fdb471fc").is_none());
    // The other forms Suricata 7.0.10's dce_iface accepts (and braces,
    // which it refuses).
    assert_eq!(
        parser::parse_uuid("5d2b62aaee0a4a9591aeb064fdb471fc"),
        Some(u)
    );
    assert_eq!(
        parser::parse_uuid("urn:uuid:5d2b62aa-ee0a-4a95-91ae-b064fdb471fc"),
        Some(u)
    );
    assert!(parser::parse_uuid("{5d2b62aa-ee0a-4a95-91ae-b064fdb471fc}").is_none());
    assert!(parser::parse_uuid("5d2b62aaee0a4a9591aeb064fdb471fg").is_none());
}

proptest::proptest! {
    #[test]
    fn no_input_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400), cut in 0usize..400, smb in proptest::bool::ANY) {
        let carrier = if smb { Carrier::Smb } else { Carrier::Tcp };
        let mut s = DcerpcState::new(carrier);
        let cut = cut.min(data.len());
        s.parse(Direction::ToServer, &data[..cut]);
        s.parse(Direction::ToClient, &data[cut..]);
        // Valid headers with random bodies.
        for t in [0u8, 2, 11, 12, 14, 15] {
            let mut s = DcerpcState::new(carrier);
            let mut p = hex(REQUEST)[..16].to_vec();
            p[2] = t;
            let len = (16 + data.len()).min(u16::MAX as usize) as u16;
            p[8..10].copy_from_slice(&len.to_le_bytes());
            p.extend(&data);
            s.parse(Direction::ToServer, &p);
            s.parse(Direction::ToClient, &p);
        }
    }
}
