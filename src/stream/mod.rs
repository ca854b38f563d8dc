//! TCP stream reassembly, one direction of one connection at a time.
//!
//! The detection stage inspects payload rules on packets *and* on the
//! reassembled byte stream of each direction, as Suricata does: a pattern
//! split over two segments only matches on the stream. This module turns
//! segments (sequence number, flags, payload) into that stream:
//!
//! * in order: appended at once; out of order: held (bounded count and
//!   bytes) until the gap before them fills;
//! * overlaps are resolved with the BSD policy, Suricata's default for
//!   hosts of unknown OS: bytes already delivered never change (a
//!   retransmission with other bytes raises `overlap_different_data`), and
//!   between held segments the original wins unless the new segment starts
//!   before it;
//! * a connection picked up midstream (no SYN seen) starts at its first
//!   data segment's sequence number;
//! * memory is bounded three ways: `depth` bytes per direction (Suricata's
//!   `stream.reassembly.depth`, default 1 MiB), `max_held` out-of-order
//!   segments per direction, and a per-worker byte budget shared by all its
//!   streams ([`Budget`], Suricata's reassembly memcap). What does not fit
//!   is counted as an event, never a panic or an unbounded buffer.

mod close;
mod dir;
mod rst;

pub use close::{CloseState, SessionClose};
pub use dir::{Added, DirStream, MAX_GAPS, Segment};
pub use rst::RstWatch;

/// Reassembly limits; defaults follow Suricata 7's stock configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamConfig {
    /// Bytes of each direction reassembled (0: unlimited, up to the budget
    /// and 4 GiB).
    pub depth: u32,
    /// Out-of-order segments held per direction.
    pub max_held: usize,
    /// How far past the next expected byte a segment may start and still be
    /// held (bytes); later ones are dropped (window floods).
    pub max_gap: u32,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            depth: 1 << 20,
            max_held: 256,
            max_gap: 1 << 24,
        }
    }
}

/// The reassembly memory of one worker: every stream's buffered bytes
/// (delivered and held) count against `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    used: usize,
    cap: usize,
}

impl Budget {
    /// A budget of `cap` bytes (Suricata's default reassembly memcap is 256 MiB
    /// for the whole engine).
    pub fn new(cap: usize) -> Self {
        Budget { used: 0, cap }
    }

    /// Bytes in use.
    pub fn used(&self) -> usize {
        self.used
    }

    fn take(&mut self, n: usize) -> bool {
        if self.used + n > self.cap {
            return false;
        }
        self.used += n;
        true
    }

    fn give(&mut self, n: usize) {
        self.used = self.used.saturating_sub(n);
    }
}

/// Stream events (bit set), named as Suricata's `stream-event:` keywords
/// where one exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamEvents(pub u16);

impl StreamEvents {
    /// A retransmission carried other bytes than those already delivered.
    pub const OVERLAP_DIFFERENT_DATA: u16 = 1 << 0;
    /// A segment overlapped data already seen (same bytes or not).
    pub const OVERLAP: u16 = 1 << 1;
    /// The direction reached `depth`; later bytes are not reassembled.
    pub const DEPTH_REACHED: u16 = 1 << 2;
    /// A segment could not be held: too many out-of-order segments.
    pub const SEGMENT_LIMIT: u16 = 1 << 3;
    /// A segment could not be kept: the worker's byte budget is spent.
    pub const MEMCAP: u16 = 1 << 4;
    /// A segment started too far ahead of the next expected byte.
    pub const OUT_OF_WINDOW: u16 = 1 << 5;
    /// Data before the stream's start (old retransmission), ignored.
    pub const BEFORE_START: u16 = 1 << 6;
    /// Bytes the receiver acknowledged were never captured: a sequence gap
    /// (Suricata's `stream.reassembly_seq_gap`).
    pub const SEQ_GAP: u16 = 1 << 7;

    /// Metric labels, in bit order.
    pub const LABELS: [&'static str; 8] = [
        "overlap_different_data",
        "overlap",
        "depth_reached",
        "segment_limit",
        "memcap",
        "out_of_window",
        "before_start",
        "seq_gap",
    ];

    /// Sets a bit.
    #[inline]
    pub fn set(&mut self, bit: u16) {
        self.0 |= bit;
    }

    /// Whether a bit is set.
    #[inline]
    pub fn has(&self, bit: u16) -> bool {
        self.0 & bit != 0
    }
}

#[cfg(test)]
mod tests;
