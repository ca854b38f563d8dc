//! Reassembly tests: in order, out of order, overlaps (BSD policy),
//! midstream, wrap-around, limits, and a property test that any segment
//! sequence is bounded and never panics.

use super::*;
use proptest::prelude::*;

fn seg(seq: u32, payload: &[u8]) -> Segment<'_> {
    Segment {
        seq,
        syn: false,
        payload,
    }
}

fn syn(seq: u32) -> Segment<'static> {
    Segment {
        seq,
        syn: true,
        payload: b"",
    }
}

fn big() -> Budget {
    Budget::new(1 << 30)
}

#[test]
fn in_order_after_syn() {
    let (cfg, mut b) = (StreamConfig::default(), big());
    let mut d = DirStream::new();
    d.segment(&syn(1000), &cfg, &mut b);
    let a = d.segment(&seg(1001, b"GET / HT"), &cfg, &mut b);
    assert_eq!(a.new, 0..8);
    let a = d.segment(&seg(1009, b"TP/1.1\r\n"), &cfg, &mut b);
    assert_eq!(a.new, 8..16);
    assert_eq!(d.data(), b"GET / HTTP/1.1\r\n");
    assert_eq!(b.used(), 16);
    d.release(&mut b);
    assert_eq!(b.used(), 0);
}

#[test]
fn out_of_order_is_held_until_the_gap_fills() {
    let (cfg, mut b) = (StreamConfig::default(), big());
    let mut d = DirStream::new();
    d.segment(&syn(0), &cfg, &mut b);
    assert_eq!(d.segment(&seg(7, b"world"), &cfg, &mut b).new, 0..0);
    assert_eq!(d.held(), 1);
    let a = d.segment(&seg(1, b"hello "), &cfg, &mut b);
    assert_eq!(a.new, 0..11);
    assert_eq!(d.data(), b"hello world");
    assert_eq!(d.held(), 0);
    assert_eq!(b.used(), 11);
}

#[test]
fn delivered_bytes_never_change() {
    let (cfg, mut b) = (StreamConfig::default(), big());
    let mut d = DirStream::new();
    d.segment(&syn(0), &cfg, &mut b);
    d.segment(&seg(1, b"abcdef"), &cfg, &mut b);
    // Same bytes again: an overlap, not a different one.
    let a = d.segment(&seg(1, b"abc"), &cfg, &mut b);
    assert!(a.events.has(StreamEvents::OVERLAP));
    assert!(!a.events.has(StreamEvents::OVERLAP_DIFFERENT_DATA));
    // Other bytes over delivered ones, running past the end: the old bytes
    // stay, the new tail is appended.
    let a = d.segment(&seg(4, b"XYZgh"), &cfg, &mut b);
    assert!(a.events.has(StreamEvents::OVERLAP_DIFFERENT_DATA));
    assert_eq!(a.new, 6..8);
    assert_eq!(d.data(), b"abcdefgh");
}

#[test]
fn bsd_policy_between_held_segments() {
    let (cfg, mut b) = (StreamConfig::default(), big());
    // A new piece starting inside a held one: the held bytes win.
    let mut d = DirStream::new();
    d.segment(&syn(0), &cfg, &mut b);
    d.segment(&seg(5, b"EFGH"), &cfg, &mut b);
    let a = d.segment(&seg(7, b"xxIJ"), &cfg, &mut b);
    assert!(a.events.has(StreamEvents::OVERLAP_DIFFERENT_DATA));
    d.segment(&seg(1, b"abcd"), &cfg, &mut b);
    assert_eq!(d.data(), b"abcdEFGHIJ");
    d.release(&mut b);
    // A new piece starting before a held one: the new bytes win.
    let mut d = DirStream::new();
    d.segment(&syn(0), &cfg, &mut b);
    d.segment(&seg(7, b"GHIJ"), &cfg, &mut b);
    d.segment(&seg(5, b"efghi"), &cfg, &mut b);
    d.segment(&seg(1, b"abcd"), &cfg, &mut b);
    assert_eq!(d.data(), b"abcdefghiJ");
    assert_eq!(b.used(), 10);
}

#[test]
fn midstream_pickup_and_sequence_wrap() {
    let (cfg, mut b) = (StreamConfig::default(), big());
    let mut d = DirStream::new();
    let a = d.segment(&seg(u32::MAX - 2, b"abcdef"), &cfg, &mut b);
    assert_eq!(a.new, 0..6);
    d.segment(&seg(3, b"gh"), &cfg, &mut b);
    assert_eq!(d.data(), b"abcdefgh");
    // Data from before the pick-up point is ignored.
    let a = d.segment(&seg(u32::MAX - 10, b"old"), &cfg, &mut b);
    assert!(a.events.has(StreamEvents::BEFORE_START));
    // Straddling the start: only the part after it counts (here: an overlap).
    let a = d.segment(&seg(u32::MAX - 3, b"zab"), &cfg, &mut b);
    assert!(a.events.has(StreamEvents::OVERLAP));
    assert!(!a.events.has(StreamEvents::OVERLAP_DIFFERENT_DATA));
}

#[test]
fn syn_payload_starts_after_the_syn() {
    let (cfg, mut b) = (StreamConfig::default(), big());
    let mut d = DirStream::new();
    let fast_open = Segment {
        seq: 100,
        syn: true,
        payload: b"hi",
    };
    assert_eq!(d.segment(&fast_open, &cfg, &mut b).new, 0..2);
    d.segment(&seg(103, b"!"), &cfg, &mut b);
    assert_eq!(d.data(), b"hi!");
}

#[test]
fn limits_are_events_not_growth() {
    let cfg = StreamConfig {
        depth: 8,
        max_held: 2,
        max_gap: 100,
    };
    let mut b = big();
    let mut d = DirStream::new();
    d.segment(&syn(0), &cfg, &mut b);
    let a = d.segment(&seg(1, b"0123456789"), &cfg, &mut b);
    assert!(a.events.has(StreamEvents::DEPTH_REACHED));
    assert_eq!(d.data(), b"01234567");
    assert!(
        d.segment(&seg(20, b"x"), &cfg, &mut b)
            .events
            .has(StreamEvents::DEPTH_REACHED)
    );

    let cfg = StreamConfig {
        depth: 0,
        max_held: 2,
        max_gap: 100,
    };
    let mut d = DirStream::new();
    d.segment(&syn(0), &cfg, &mut b);
    d.segment(&seg(10, b"a"), &cfg, &mut b);
    d.segment(&seg(20, b"b"), &cfg, &mut b);
    let a = d.segment(&seg(30, b"c"), &cfg, &mut b);
    assert!(a.events.has(StreamEvents::SEGMENT_LIMIT));
    assert_eq!(d.held(), 2);
    let a = d.segment(&seg(500, b"far"), &cfg, &mut b);
    assert!(a.events.has(StreamEvents::OUT_OF_WINDOW));

    let mut tight = Budget::new(4);
    let mut d = DirStream::new();
    d.segment(&seg(0, b"abc"), &cfg, &mut tight);
    let a = d.segment(&seg(3, b"de"), &cfg, &mut tight);
    assert!(a.events.has(StreamEvents::MEMCAP));
    assert_eq!(tight.used(), 3);
}

fn blocks(d: &DirStream, r: std::ops::Range<usize>) -> Vec<&[u8]> {
    d.blocks(r).map(|b| &d.data()[b]).collect()
}

#[test]
fn acknowledged_hole_becomes_a_gap_then_data_flows() {
    let (cfg, mut b) = (StreamConfig::default(), big());
    let mut d = DirStream::new();
    d.segment(&syn(999), &cfg, &mut b);
    d.segment(&seg(1000, b"GET /a"), &cfg, &mut b);
    // Bytes 1006..1010 never captured; what follows is held.
    assert_eq!(d.segment(&seg(1010, b"HTTP"), &cfg, &mut b).new, 0..0);
    // An acknowledgement that stops before the hole declares nothing.
    assert!(d.ack_gap(1006, &mut b).is_none());
    // One that passes it: the hole is a gap, the held bytes are delivered.
    let (gap, added) = d.ack_gap(1014, &mut b).unwrap();
    assert_eq!(gap, 6..10);
    assert_eq!(added.new, 10..14);
    assert!(added.events.has(StreamEvents::SEQ_GAP));
    assert_eq!(d.gaps().len(), 1);
    assert_eq!(d.gaps()[0], 6..10);
    assert_eq!(d.held(), 0);
    // Later data appends as usual; inspection sees blocks, never the hole.
    assert_eq!(d.segment(&seg(1014, b"/1.1"), &cfg, &mut b).new, 14..18);
    assert_eq!(blocks(&d, 0..18), [&b"GET /a"[..], b"HTTP/1.1"]);
    assert_eq!(blocks(&d, 3..8), [&b" /a"[..]]);
    assert_eq!(blocks(&d, 7..9), Vec::<&[u8]>::new());
    assert_eq!(blocks(&d, 8..12), [&b"HT"[..]]);
    // The zeros standing for the hole are charged like any byte.
    assert_eq!(b.used(), 18);
    d.release(&mut b);
    assert_eq!(b.used(), 0);
    assert!(d.gaps().is_empty());
}

#[test]
fn gap_at_the_start_and_ack_inside_the_hole() {
    let (cfg, mut b) = (StreamConfig::default(), big());
    let mut d = DirStream::new();
    d.segment(&syn(0), &cfg, &mut b);
    d.segment(&seg(11, b"later"), &cfg, &mut b);
    // The acknowledgement covers part of the hole only: the gap ends there,
    // the rest of the hole may still arrive.
    let (gap, added) = d.ack_gap(5, &mut b).unwrap();
    assert_eq!((gap, added.new), (0..4, 4..4));
    assert_eq!(d.held(), 1);
    let a = d.segment(&seg(5, b"abcdef"), &cfg, &mut b);
    assert_eq!(a.new, 4..15);
    assert_eq!(blocks(&d, 0..15), [&b"abcdeflater"[..]]);
}

#[test]
fn retransmission_into_a_gap_is_ignored() {
    let (cfg, mut b) = (StreamConfig::default(), big());
    let mut d = DirStream::new();
    d.segment(&syn(0), &cfg, &mut b);
    d.segment(&seg(1, b"ab"), &cfg, &mut b);
    d.segment(&seg(7, b"gh"), &cfg, &mut b);
    d.ack_gap(9, &mut b).unwrap();
    // The lost bytes arrive after all, overlapping both sides of the gap:
    // too late, and not "different data" although the gap holds zeros.
    let a = d.segment(&seg(2, b"bcdefgh"), &cfg, &mut b);
    assert!(a.events.has(StreamEvents::OVERLAP));
    assert!(!a.events.has(StreamEvents::OVERLAP_DIFFERENT_DATA));
    assert_eq!(a.new, 0..0);
    assert_eq!(blocks(&d, 0..8), [&b"ab"[..], b"gh"]);
}

#[test]
fn gaps_respect_depth_count_and_budget() {
    // Beyond the depth nothing is held, so no gap is declared there.
    let cfg = StreamConfig {
        depth: 8,
        max_held: 8,
        max_gap: 100,
    };
    let mut b = big();
    let mut d = DirStream::new();
    d.segment(&syn(0), &cfg, &mut b);
    d.segment(&seg(1, b"abc"), &cfg, &mut b);
    d.segment(&seg(20, b"zz"), &cfg, &mut b);
    assert!(d.ack_gap(30, &mut b).is_none());
    assert_eq!(d.data(), b"abc");
    // A gap the budget cannot hold is not declared (memcap).
    let mut tight = Budget::new(6);
    let mut d = DirStream::new();
    d.segment(&syn(0), &cfg, &mut tight);
    d.segment(&seg(1, b"ab"), &cfg, &mut tight);
    d.segment(&seg(7, b"g"), &cfg, &mut tight);
    assert!(d.ack_gap(8, &mut tight).is_none());
    assert!(d.events().has(StreamEvents::MEMCAP));
    assert_eq!(tight.used(), 3);
    // At most MAX_GAPS gaps per direction.
    let cfg = StreamConfig {
        depth: 0,
        max_held: 8,
        max_gap: 1 << 20,
    };
    let mut d = DirStream::new();
    d.segment(&syn(0), &cfg, &mut b);
    for i in 0..=MAX_GAPS as u32 {
        d.segment(&seg(1 + 2 * i + 1, b"x"), &cfg, &mut b);
        d.ack_gap(3 + 2 * i, &mut b);
    }
    assert_eq!(d.gaps().len(), MAX_GAPS);
    assert!(d.events().has(StreamEvents::SEGMENT_LIMIT));
}

proptest! {
    /// Any segment sequence: no panic, the budget matches what is buffered,
    /// the held count and depth limits hold, and a gap-free arrival order
    /// of the same bytes reassembles them exactly.
    #[test]
    fn arbitrary_segments_stay_bounded(
        segs in proptest::collection::vec((0u32..600, proptest::collection::vec(any::<u8>(), 0..80), any::<bool>()), 0..60),
        depth in 0u32..400,
    ) {
        let cfg = StreamConfig { depth, max_held: 8, max_gap: 300 };
        let mut b = Budget::new(2_000);
        let mut d = DirStream::new();
        for (seq, payload, syn) in &segs {
            if *syn && !payload.is_empty() {
                // Some acknowledgements too: gaps stay inside the data.
                if let Some((g, _)) = d.ack_gap(*seq, &mut b) {
                    prop_assert!(g.end <= d.data().len());
                }
            }
            let a = d.segment(&Segment { seq: *seq, syn: *syn, payload }, &cfg, &mut b);
            prop_assert!(a.new.end <= d.data().len());
            prop_assert!(d.held() <= cfg.max_held);
            if depth > 0 {
                prop_assert!(d.data().len() <= depth as usize);
            }
            prop_assert!(b.used() <= 2_000);
        }
        d.release(&mut b);
        prop_assert_eq!(b.used(), 0);
    }

    /// Cutting a byte string into segments and delivering them in any
    /// order (no overlaps) gives the string back.
    #[test]
    fn any_order_reassembles(text in proptest::collection::vec(any::<u8>(), 1..300), cuts in proptest::collection::vec(1usize..300, 0..10), order in any::<u64>()) {
        let mut bounds: Vec<usize> = cuts.into_iter().filter(|&c| c < text.len()).collect();
        bounds.push(0);
        bounds.push(text.len());
        bounds.sort_unstable();
        bounds.dedup();
        let mut pieces: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
        // A deterministic shuffle driven by `order`, keeping the first piece
        // first so the stream starts at offset 0 (midstream pick-up).
        let mut x = order;
        for i in (2..pieces.len()).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = 1 + (x >> 33) as usize % i;
            pieces.swap(i, j);
        }
        let cfg = StreamConfig { depth: 0, max_held: 64, max_gap: 1 << 20 };
        let mut b = Budget::new(1 << 20);
        let mut d = DirStream::new();
        for (s, e) in pieces {
            d.segment(&Segment { seq: 7_000 + s as u32, syn: false, payload: &text[s..e] }, &cfg, &mut b);
        }
        prop_assert_eq!(d.data(), &text[..]);
        prop_assert_eq!(b.used(), text.len());
    }
}

// The closing session, as Suricata 7.0.10's state machine moves it
// (`stream-tcp.c`: `StreamTcpHandleFin`, `StreamTcpPacketStateFinWait1`,
// `…FinWait2`, `…Closing`, `…CloseWait`, `…LastAck`, `…TimeWait`).
// Sides: 0 client, 1 server; flags as on the wire.
const F_FIN: u8 = 0x01;
const F_SYN: u8 = 0x02;
const F_RST: u8 = 0x04;
const F_ACK: u8 = 0x10;

/// A session after the handshake and 10 bytes each way: client seq 1001..1011,
/// server seq 5001..5011.
fn established() -> SessionClose {
    let mut s = SessionClose::new();
    s.packet(0, F_SYN, 1000, 0);
    s.packet(1, F_SYN | F_ACK, 5000, 0);
    s.packet(0, F_ACK, 1001, 0);
    s.packet(0, F_ACK, 1001, 10);
    s.packet(1, F_ACK, 5001, 10);
    assert_eq!(s.state(), CloseState::Open);
    s
}

#[test]
fn client_fin_forces_raw_inspection_at_once() {
    let mut s = established();
    s.packet(0, F_FIN | F_ACK, 1011, 0);
    assert_eq!(s.state(), CloseState::CloseWait);
    assert!(s.forces_raw());
    assert!(!s.flow_closed());
    // The server's data and ACKs keep it there; its FIN ends it.
    s.packet(1, F_ACK, 5011, 0);
    assert_eq!(s.state(), CloseState::CloseWait);
    s.packet(1, F_FIN | F_ACK, 5011, 0);
    assert_eq!(s.state(), CloseState::LastAck);
    assert!(s.forces_raw() && s.flow_closed());
    // The client's last ACK (one past its FIN) closes the session.
    s.packet(0, F_ACK, 1012, 0);
    assert_eq!(s.state(), CloseState::Closed);
    assert!(s.forces_raw());
}

#[test]
fn server_fin_first_waits_until_the_last_ack() {
    let mut s = established();
    s.packet(1, F_FIN | F_ACK, 5011, 0);
    assert_eq!(s.state(), CloseState::FinWait1);
    assert!(!s.forces_raw());
    // The server's own ACK after its FIN (one past its next sequence
    // number) does not move it; the client's in-order ACK does.
    s.packet(1, F_ACK, 5012, 0);
    assert_eq!(s.state(), CloseState::FinWait1);
    s.packet(0, F_ACK, 1011, 0);
    assert_eq!(s.state(), CloseState::FinWait2);
    s.packet(0, F_FIN | F_ACK, 1011, 0);
    assert_eq!(s.state(), CloseState::TimeWait);
    assert!(!s.forces_raw());
    assert!(s.flow_closed());
    s.packet(1, F_ACK, 5012, 0);
    assert_eq!(s.state(), CloseState::Closed);
    assert!(s.forces_raw());
}

#[test]
fn fin_ack_in_fin_wait1_goes_to_time_wait() {
    let mut s = established();
    s.packet(1, F_FIN | F_ACK, 5011, 0);
    s.packet(0, F_FIN | F_ACK, 1011, 0);
    assert_eq!(s.state(), CloseState::TimeWait);
    // An ACK out of order (before the sender's next sequence number) does
    // not close it.
    s.packet(1, F_ACK, 5005, 0);
    assert_eq!(s.state(), CloseState::TimeWait);
    s.packet(0, F_ACK, 1012, 0);
    assert_eq!(s.state(), CloseState::Closed);
}

#[test]
fn fin_without_ack_in_fin_wait1_is_closing() {
    let mut s = established();
    s.packet(1, F_FIN | F_ACK, 5011, 0);
    s.packet(0, F_FIN, 1011, 0);
    assert_eq!(s.state(), CloseState::Closing);
    assert!(s.forces_raw());
    s.packet(1, F_ACK, 5012, 0);
    assert_eq!(s.state(), CloseState::TimeWait);
    assert!(!s.forces_raw());
}

#[test]
fn a_fin_before_the_next_sequence_number_is_not_taken() {
    let mut s = established();
    // Old bytes retransmitted with FIN (starts before 1011).
    s.packet(0, F_FIN | F_ACK, 1005, 6);
    assert_eq!(s.state(), CloseState::Open);
    // A FIN after data the capture lost is taken.
    s.packet(0, F_FIN | F_ACK, 1500, 0);
    assert_eq!(s.state(), CloseState::CloseWait);
}

#[test]
fn data_with_fin_and_ack_counts_its_payload() {
    let mut s = established();
    s.packet(0, F_FIN | F_ACK, 1011, 20);
    assert_eq!(s.state(), CloseState::CloseWait);
    s.packet(1, F_FIN | F_ACK, 5011, 0);
    // The client's next sequence number is 1031 (the FIN not counted).
    s.packet(0, F_ACK, 1020, 0);
    assert_eq!(s.state(), CloseState::LastAck);
    s.packet(0, F_ACK, 1032, 0);
    assert_eq!(s.state(), CloseState::Closed);
}

#[test]
fn reset_closes_and_a_new_syn_reopens() {
    let mut s = established();
    s.packet(1, F_RST | F_ACK, 5011, 0);
    assert_eq!(s.state(), CloseState::Closed);
    assert!(s.forces_raw());
    s.reopen();
    assert_eq!(s.state(), CloseState::Open);
    assert!(!s.forces_raw());
}
