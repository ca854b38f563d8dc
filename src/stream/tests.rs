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
