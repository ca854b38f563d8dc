use super::*;

use crate::applayer::test_hex as hex;

/// The request of ../shared/acceptance/dns-detect-query-01/input.pcap
/// (frame 1, UDP payload: `tshark -r input.pcap -x`): www.google.com A.
fn request(id: u16, flags: u16) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend(id.to_be_bytes());
    m.extend(flags.to_be_bytes());
    m.extend(hex(
        "0001 0000 0000 0000 03777777 06676f6f676c65 03636f6d 00 0001 0001",
    ));
    m
}

fn tcp_framed(msgs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend((m.len() as u16).to_be_bytes());
        out.extend(m);
    }
    out
}

fn names(s: &DnsState) -> Vec<(u16, Vec<u8>)> {
    s.txs()
        .iter()
        .flat_map(|t| t.queries().map(move |q| (t.id(), q.to_vec())))
        .collect()
}

#[test]
fn udp_request_is_one_tx() {
    let mut s = DnsState::new(Transport::Udp);
    s.parse(Direction::ToServer, &request(7, 0x0100));
    assert_eq!(names(&s), vec![(7, b"www.google.com".to_vec())]);
    assert_eq!(s.txs()[0].opcode(), Some(0));
    assert!(s.txs()[0].events.is_empty());
}

#[test]
fn tcp_split_anywhere_parses_the_same() {
    let stream = tcp_framed(&[request(1, 0x0100), request(2, 0x0100), request(3, 0x2100)]);
    let mut whole = DnsState::new(Transport::Tcp);
    whole.parse(Direction::ToServer, &stream);
    let want = names(&whole);
    assert_eq!(want.len(), 3);
    assert_eq!(whole.txs()[2].opcode(), Some(4));
    for cut in 0..=stream.len() {
        for cut2 in [
            cut,
            (cut + 1).min(stream.len()),
            (cut + 17).min(stream.len()),
        ] {
            let mut s = DnsState::new(Transport::Tcp);
            s.parse(Direction::ToServer, &stream[..cut]);
            s.parse(Direction::ToServer, &stream[cut..cut2]);
            s.parse(Direction::ToServer, &stream[cut2..]);
            assert_eq!(names(&s), want, "cut at {cut},{cut2}");
        }
    }
    // Byte by byte.
    let mut s = DnsState::new(Transport::Tcp);
    for b in &stream {
        s.parse(Direction::ToServer, std::slice::from_ref(b));
    }
    assert_eq!(names(&s), want);
}

#[test]
fn flag_events() {
    let mut s = DnsState::new(Transport::Udp);
    s.parse(Direction::ToServer, &request(1, 0x0140)); // Z set
    s.parse(Direction::ToServer, &request(2, 0x8100)); // QR to server
    s.parse(Direction::ToClient, &request(3, 0x0100)); // not a response
    s.parse(Direction::ToServer, &request(4, 0x3900)); // opcode 7
    let t = s.txs();
    assert!(t[0].has_event(DnsEvent::ZFlagSet));
    assert!(t[1].has_event(DnsEvent::NotRequest));
    assert!(t[2].has_event(DnsEvent::NotResponse));
    assert!(t[3].has_event(DnsEvent::InvalidOpcode));
    // A response's questions are not dns.query buffers.
    assert_eq!(t[1].queries().count(), 0);
}

#[test]
fn malformed_and_truncated_messages_raise_an_event() {
    let mut s = DnsState::new(Transport::Udp);
    let r = request(1, 0x0100);
    for n in 0..r.len() {
        s.parse(Direction::ToServer, &r[..n]);
    }
    assert_eq!(s.stats().malformed, r.len() as u64);
    assert!(s.txs().iter().all(|t| t.has_event(DnsEvent::MalformedData)));
}

#[test]
fn pointer_loop_events() {
    let mut s = DnsState::new(Transport::Udp);
    s.parse(
        Direction::ToServer,
        &hex("0001 0100 0001 0000 0000 0000 c00c 0001 0001"),
    );
    s.parse(
        Direction::ToServer,
        &hex("0001 0100 0001 0000 0000 0000 0161 c00c 0001 0001"),
    );
    assert!(s.txs()[0].has_event(DnsEvent::InfiniteLoop));
    assert!(s.txs()[1].has_event(DnsEvent::TooManyLabels));
}

#[test]
fn pending_transactions_are_bounded() {
    let mut s = DnsState::new(Transport::Udp);
    for i in 0..(MAX_PENDING_TXS as u16 + 10) {
        s.parse(Direction::ToServer, &request(i, 0x0100));
    }
    assert_eq!(s.txs().len(), MAX_PENDING_TXS);
    assert_eq!(s.stats().dropped_txs, 10);
    assert_eq!(s.take_txs().count(), MAX_PENDING_TXS);
    assert!(s.txs().is_empty());
}

#[test]
fn event_names_round_trip() {
    for e in DnsEvent::ALL {
        assert_eq!(DnsEvent::from_name(e.name()), Some(e));
    }
    assert_eq!(
        DnsEvent::from_name("not_a_request"),
        Some(DnsEvent::NotRequest)
    );
}

proptest::proptest! {
    #[test]
    fn no_input_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300), cut in 0usize..300) {
        let mut s = DnsState::new(Transport::Tcp);
        let cut = cut.min(data.len());
        s.parse(Direction::ToServer, &data[..cut]);
        s.parse(Direction::ToServer, &data[cut..]);
        let mut u = DnsState::new(Transport::Udp);
        u.parse(Direction::ToClient, &data);
    }
}

// Gaps over TCP, as Suricata 7.0.10's DNS parser takes them
// (`request_gap`/`response_gap`, then `probe_tcp` on the next data).

#[test]
fn tcp_gap_drops_the_message_in_progress_and_resyncs_on_the_next() {
    let stream = tcp_framed(&[request(1, 0x0100), request(2, 0x0100)]);
    let first = 2 + request(1, 0x0100).len();
    let mut s = DnsState::new(Transport::Tcp);
    // Half of message 1, a gap, then message 2 from its prefix.
    s.parse(Direction::ToServer, &stream[..10]);
    s.gap(Direction::ToServer);
    s.parse(Direction::ToServer, &stream[first..]);
    assert_eq!(names(&s), vec![(2, b"www.google.com".to_vec())]);
    assert_eq!(s.messages(), 1);
}

#[test]
fn tcp_gap_skips_response_bytes_that_do_not_start_a_message() {
    // A response with its question only (no answers): still valid.
    let framed = tcp_framed(&[request(9, 0x8180)]);
    let mut s = DnsState::new(Transport::Tcp);
    s.gap(Direction::ToClient);
    // The middle of a message: too short for the header its "length"
    // announces, so the probe says no and the piece is skipped.
    s.parse(Direction::ToClient, &[0x00, 0x04, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(s.messages(), 0);
    s.parse(Direction::ToClient, &framed);
    assert_eq!(s.messages(), 1);
    assert_eq!(s.txs()[0].id(), 9);
    assert!(s.txs()[0].events.is_empty());
}

#[test]
fn tcp_gap_request_side_parses_even_when_the_probe_says_no() {
    // Suricata's request parser does not return when the probe fails
    // after a gap (its `AppLayerResult::ok()` is not returned): the bytes
    // are parsed as a message anyway, here a malformed one.
    let mut s = DnsState::new(Transport::Tcp);
    s.gap(Direction::ToServer);
    s.parse(Direction::ToServer, &[0x00, 0x04, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(s.messages(), 1);
    assert_eq!(s.stats().malformed, 1);
}
