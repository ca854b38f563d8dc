//! One direction of a TCP connection: segments in, contiguous bytes out.

use std::collections::BTreeMap;
use std::ops::Range;

use super::{Budget, StreamConfig, StreamEvents};

/// What reassembly needs of one TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// Sequence number of the segment (of its SYN, when set).
    pub seq: u32,
    /// SYN flag: the stream starts at `seq + 1`.
    pub syn: bool,
    /// The payload bytes captured.
    pub payload: &'a [u8],
}

/// The reassembled bytes of one direction.
#[derive(Debug, Default)]
pub struct DirStream {
    /// Sequence number of stream offset 0, once known.
    base: Option<u32>,
    /// Delivered bytes: offsets `0..data.len()` of the stream.
    data: Vec<u8>,
    /// Out-of-order bytes by stream offset; never overlapping each other
    /// or `data`.
    held: BTreeMap<u32, Vec<u8>>,
    /// Bytes counted against the worker's budget (data + held).
    charged: usize,
    /// Sequence gaps declared in `data`, in order: byte ranges the capture
    /// lost but the receiver acknowledged. Their bytes are zeros that are
    /// never inspected nor parsed (at most [`MAX_GAPS`]).
    gaps: Vec<Range<usize>>,
    /// Every event this direction raised so far.
    events: StreamEvents,
}

/// The result of adding one segment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Added {
    /// Stream offsets that became contiguous with this segment (possibly
    /// including held bytes it unblocked); empty when nothing new.
    pub new: Range<usize>,
    /// Events this segment raised.
    pub events: StreamEvents,
}

/// Sequence gaps kept per direction; a direction that would need more
/// stops growing (Suricata keeps a bounded block list too).
pub const MAX_GAPS: usize = 64;

impl DirStream {
    /// An empty direction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The contiguous bytes reassembled so far, from the stream's start.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The stream offset of sequence number `seq` (bytes from the start),
    /// when the start is known and `seq` is not before it.
    pub fn offset_of(&self, seq: u32) -> Option<usize> {
        let rel = seq.wrapping_sub(self.base?) as i32;
        (rel >= 0).then_some(rel as usize)
    }

    /// The sequence gaps declared so far (stream offset ranges whose bytes
    /// were never captured), in order.
    pub fn gaps(&self) -> &[Range<usize>] {
        &self.gaps
    }

    /// The captured blocks of `range`: its pieces outside every gap, in
    /// order (one piece when the range holds no gap).
    pub fn blocks(&self, range: Range<usize>) -> impl Iterator<Item = Range<usize>> + '_ {
        let first = self.gaps.partition_point(|g| g.end <= range.start);
        let mut at = range.start;
        let end = range.end;
        let mut gaps = self.gaps[first..].iter();
        std::iter::from_fn(move || {
            while at < end {
                match gaps.next() {
                    Some(g) if g.start < end => {
                        let piece = at..g.start.max(at);
                        at = at.max(g.end);
                        if !piece.is_empty() {
                            return Some(piece);
                        }
                    }
                    _ => {
                        let piece = at..end;
                        at = end;
                        return Some(piece);
                    }
                }
            }
            None
        })
    }

    /// The receiver acknowledged sequence number `ack` of this direction:
    /// when that passes the end of the contiguous bytes while later bytes
    /// are held, the bytes between were lost by the capture (Suricata's
    /// `CheckGap`): they become a gap up to the first held byte (or `ack`,
    /// when it stops before it), and the held bytes after it are delivered.
    /// Returns the gap declared, if any (raises `seq_gap`).
    pub fn ack_gap(&mut self, ack: u32, budget: &mut Budget) -> Option<(Range<usize>, Added)> {
        let next = self.data.len();
        let acked = self.offset_of(ack)?;
        let (&first, _) = self.held.first_key_value()?;
        let end = (first as usize).min(acked);
        if end <= next {
            return None;
        }
        let mut added = Added::default();
        if self.gaps.len() >= MAX_GAPS {
            self.raise(&mut added, StreamEvents::SEGMENT_LIMIT);
            return None;
        }
        if !budget.take(end - next) {
            self.raise(&mut added, StreamEvents::MEMCAP);
            return None;
        }
        self.charged += end - next;
        self.data.resize(end, 0);
        self.gaps.push(next..end);
        self.raise(&mut added, StreamEvents::SEQ_GAP);
        self.drain_held(&mut added, budget);
        added.new = end..self.data.len();
        Some((next..end, added))
    }

    /// Whether any byte of `start..end` lies in a gap.
    fn touches_gap(&self, start: usize, end: usize) -> bool {
        let i = self.gaps.partition_point(|g| g.end <= start);
        self.gaps.get(i).is_some_and(|g| g.start < end)
    }

    /// Out-of-order segments held.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Every event raised so far.
    pub fn events(&self) -> StreamEvents {
        self.events
    }

    /// Frees every buffered byte and returns it to the budget (flow end).
    pub fn release(&mut self, budget: &mut Budget) {
        budget.give(self.charged);
        self.charged = 0;
        self.data = Vec::new();
        self.held.clear();
        self.gaps = Vec::new();
    }

    /// Adds one segment.
    pub fn segment(&mut self, seg: &Segment<'_>, cfg: &StreamConfig, budget: &mut Budget) -> Added {
        let mut added = Added::default();
        if seg.syn && self.data.is_empty() && self.held.is_empty() {
            self.base = Some(seg.seq.wrapping_add(1));
        }
        let mut payload = seg.payload;
        if payload.is_empty() {
            return added;
        }
        let first_data_seq = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        // Midstream pick-up: the first data segment names offset 0.
        let base = *self.base.get_or_insert(first_data_seq);
        let rel = first_data_seq.wrapping_sub(base) as i32;
        let mut start = if rel < 0 {
            // Starts before the stream: keep only what follows its start.
            let skip = rel.unsigned_abs() as usize;
            if skip >= payload.len() {
                self.raise(&mut added, StreamEvents::BEFORE_START);
                return added;
            }
            payload = &payload[skip..];
            0u64
        } else {
            rel as u64
        };
        let mut end = start + payload.len() as u64;
        {
            // Offsets stay below 2^32 even when the depth is unlimited (0).
            let depth = if cfg.depth == 0 { u32::MAX } else { cfg.depth } as u64;
            if start >= depth {
                self.raise(&mut added, StreamEvents::DEPTH_REACHED);
                return added;
            }
            if end > depth {
                self.raise(&mut added, StreamEvents::DEPTH_REACHED);
                payload = &payload[..(depth - start) as usize];
                end = depth;
            }
        }
        let next = self.data.len() as u64;
        if start > next + cfg.max_gap as u64 {
            self.raise(&mut added, StreamEvents::OUT_OF_WINDOW);
            return added;
        }
        // Bytes already delivered never change.
        if start < next {
            let upto = end.min(next);
            // Bytes arriving for a declared gap come too late: ignored.
            let differs = !self.touches_gap(start as usize, upto as usize)
                && self.data[start as usize..upto as usize] != payload[..(upto - start) as usize];
            self.raise(&mut added, StreamEvents::OVERLAP);
            if differs {
                self.raise(&mut added, StreamEvents::OVERLAP_DIFFERENT_DATA);
            }
            if end <= next {
                return added;
            }
            payload = &payload[(next - start) as usize..];
            start = next;
        }
        if start == next {
            if !budget.take(payload.len()) {
                self.raise(&mut added, StreamEvents::MEMCAP);
                return added;
            }
            self.charged += payload.len();
            self.data.extend_from_slice(payload);
            self.drain_held(&mut added, budget);
            added.new = next as usize..self.data.len();
        } else {
            self.hold(start as u32, payload, cfg, budget, &mut added);
        }
        added
    }

    /// Keeps an out-of-order piece, resolving overlaps with held pieces by
    /// the BSD policy: the held bytes win unless the new piece starts
    /// before them.
    fn hold(
        &mut self,
        start: u32,
        payload: &[u8],
        cfg: &StreamConfig,
        budget: &mut Budget,
        added: &mut Added,
    ) {
        let end = start as u64 + payload.len() as u64;
        let mut from = start as u64;
        // A held piece that contains `start` keeps its bytes.
        let containing = self.held.range(..=start).next_back().and_then(|(&os, ob)| {
            let oe = os as u64 + ob.len() as u64;
            (oe > from).then(|| {
                let upto = oe.min(end);
                let old = &ob[(from - os as u64) as usize..(upto - os as u64) as usize];
                (upto, old != &payload[..(upto - from) as usize])
            })
        });
        if let Some((upto, differs)) = containing {
            self.raise(added, StreamEvents::OVERLAP);
            if differs {
                self.raise(added, StreamEvents::OVERLAP_DIFFERENT_DATA);
            }
            from = upto;
        }
        if from >= end {
            return;
        }
        // Held pieces that start inside the new one lose their overlap.
        let later: Vec<u32> = self
            .held
            .range(from as u32..)
            .take_while(|(os, _)| (**os as u64) < end)
            .map(|(os, _)| *os)
            .collect();
        for os in later {
            let Some(ob) = self.held.remove(&os) else {
                continue;
            };
            let oe = os as u64 + ob.len() as u64;
            let upto = oe.min(end);
            let old = &ob[..(upto - os as u64) as usize];
            let new = &payload[(os as u64 - start as u64) as usize..(upto - start as u64) as usize];
            self.raise(added, StreamEvents::OVERLAP);
            if old != new {
                self.raise(added, StreamEvents::OVERLAP_DIFFERENT_DATA);
            }
            if oe > end {
                self.held
                    .insert(end as u32, ob[(end - os as u64) as usize..].to_vec());
            }
            let freed = (upto - os as u64) as usize;
            budget.give(freed);
            self.charged -= freed;
        }
        if self.held.len() >= cfg.max_held {
            self.raise(added, StreamEvents::SEGMENT_LIMIT);
            return;
        }
        let piece = &payload[(from - start as u64) as usize..];
        if !budget.take(piece.len()) {
            self.raise(added, StreamEvents::MEMCAP);
            return;
        }
        self.charged += piece.len();
        self.held.insert(from as u32, piece.to_vec());
    }

    /// Moves held pieces that now touch the delivered bytes into them.
    fn drain_held(&mut self, added: &mut Added, budget: &mut Budget) {
        while let Some(entry) = self.held.first_entry() {
            let os = *entry.key() as usize;
            let next = self.data.len();
            if os > next {
                break;
            }
            let piece = entry.remove();
            let overlap = (next - os).min(piece.len());
            if overlap > 0 {
                self.raise(added, StreamEvents::OVERLAP);
                if self.data[os..os + overlap] != piece[..overlap] {
                    self.raise(added, StreamEvents::OVERLAP_DIFFERENT_DATA);
                }
                budget.give(overlap);
                self.charged -= overlap;
            }
            self.data.extend_from_slice(&piece[overlap..]);
        }
    }

    fn raise(&mut self, added: &mut Added, bit: u16) {
        added.events.set(bit);
        self.events.set(bit);
    }
}
