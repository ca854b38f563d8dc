//! Classic pcap files (µs or ns, either byte order) read record by record
//! straight from a reused buffer.
//!
//! The format is a 24-byte file header and then records of a 16-byte
//! header (seconds, fraction, captured length, original length) and the
//! captured bytes: simple enough to walk without a parser library, which
//! spares a dynamic call, an enum and a `nom` result per packet on the
//! replay hot path. The file is read in [`READ_CHUNK`] pieces, small enough
//! that the bytes the kernel copies in are still in the CPU cache when the
//! decoder reads them, into a buffer of [`BUFFER_CAPACITY`] (the largest
//! record accepted). pcapng and the rare "modified" pcap variant stay with
//! `pcap-parser` (see `file.rs`); the tests check both readers agree.

use std::fs::File;
use std::io::Read;

use crate::wire::link::LinkType;

/// Read buffer: the largest record accepted (header included); a record
/// header claiming more is damaged (absurd length).
pub(super) const BUFFER_CAPACITY: usize = 4 << 20;

/// Bytes asked of each `read()`: a fraction of the CPU's L2 cache, so
/// parsing finds the data the kernel just copied still cached.
pub(super) const READ_CHUNK: usize = 256 << 10;

/// File header length.
pub(super) const FILE_HEADER_LEN: usize = 24;
/// Record header length.
const RECORD_HEADER_LEN: usize = 16;

/// What the file header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header {
    /// Fields are big-endian (the magic number reads byte-swapped).
    pub big_endian: bool,
    /// Fractions are nanoseconds (else microseconds).
    pub nanos: bool,
    /// The linktype field.
    pub linktype: u32,
}

impl Header {
    /// Recognises a classic pcap file header (standard variants only); `None`
    /// for anything else, including the "modified" variant.
    pub fn parse(b: &[u8]) -> Option<Header> {
        let h: &[u8; FILE_HEADER_LEN] = b.get(..FILE_HEADER_LEN)?.try_into().ok()?;
        let (big_endian, nanos) = match u32::from_le_bytes([h[0], h[1], h[2], h[3]]) {
            0xa1b2_c3d4 => (false, false),
            0xa1b2_3c4d => (false, true),
            0xd4c3_b2a1 => (true, false),
            0x4d3c_b2a1 => (true, true),
            _ => return None,
        };
        Some(Header {
            big_endian,
            nanos,
            linktype: u32_at(h, 20, big_endian),
        })
    }

    /// Whether `b` starts with a standard classic pcap magic number.
    pub fn magic_matches(b: &[u8]) -> bool {
        b.len() >= 4
            && matches!(
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                0xa1b2_c3d4 | 0xa1b2_3c4d | 0xd4c3_b2a1 | 0x4d3c_b2a1
            )
    }
}

#[inline(always)]
fn u32_at(b: &[u8], at: usize, big_endian: bool) -> u32 {
    let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if big_endian {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    }
}

/// One record, borrowed from the buffer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Record<'a> {
    /// Seconds.
    pub ts_sec: u32,
    /// Fraction (µs or ns as the header says).
    pub ts_frac: u32,
    /// Length on the wire.
    pub orig_len: u32,
    /// Captured bytes.
    pub data: &'a [u8],
}

/// How reading stopped.
#[derive(Debug)]
pub(super) enum Stop {
    /// End of file after a whole record.
    End,
    /// The callback asked to stop.
    Asked,
    /// The file ends inside a record.
    CutShort,
    /// A record header claims more than [`BUFFER_CAPACITY`].
    Absurd,
    /// `read()` failed.
    Io(std::io::Error),
}

/// A classic pcap file positioned after its file header.
pub(super) struct LegacyReader<R = File> {
    src: R,
    buf: Box<[u8]>,
    /// Next unread byte in `buf`.
    pos: usize,
    /// End of the bytes read into `buf`.
    end: usize,
    /// `read()` returned 0.
    eof: bool,
    big_endian: bool,
    /// Bytes asked of each read.
    chunk: usize,
    /// Bytes of the file before `buf[0]`.
    base: usize,
}

impl<R: Read> LegacyReader<R> {
    /// A reader over `src`, whose first `start.len()` bytes (the file
    /// header and possibly more) were already read into `start`.
    pub fn new(src: R, start: &[u8], header: &Header, chunk: usize) -> Self {
        let mut buf = vec![0u8; BUFFER_CAPACITY].into_boxed_slice();
        let n = start.len().min(BUFFER_CAPACITY);
        buf[..n].copy_from_slice(&start[..n]);
        LegacyReader {
            src,
            buf,
            pos: FILE_HEADER_LEN.min(n),
            end: n,
            eof: false,
            big_endian: header.big_endian,
            chunk: chunk.clamp(RECORD_HEADER_LEN, BUFFER_CAPACITY),
            base: 0,
        }
    }

    /// Bytes of the file consumed so far.
    pub fn consumed(&self) -> usize {
        self.base + self.pos
    }

    /// Calls `f` with each record until the end, damage, or `f` returning `false`.
    #[inline]
    pub fn for_each<F: FnMut(Record<'_>) -> bool>(&mut self, mut f: F) -> Stop {
        loop {
            // Walk every whole record in the buffer.
            let mut pos = self.pos;
            let end = self.end;
            let buf = &self.buf[..end];
            let be = self.big_endian;
            let mut absurd = false;
            let mut asked = false;
            while end - pos >= RECORD_HEADER_LEN {
                let caplen = u32_at(buf, pos + 8, be) as usize;
                if caplen > BUFFER_CAPACITY - RECORD_HEADER_LEN {
                    absurd = true;
                    break;
                }
                let data_at = pos + RECORD_HEADER_LEN;
                if end - data_at < caplen {
                    break;
                }
                let rec = Record {
                    ts_sec: u32_at(buf, pos, be),
                    ts_frac: u32_at(buf, pos + 4, be),
                    orig_len: u32_at(buf, pos + 12, be),
                    data: &buf[data_at..data_at + caplen],
                };
                pos = data_at + caplen;
                if !f(rec) {
                    asked = true;
                    break;
                }
            }
            self.pos = pos;
            if asked {
                return Stop::Asked;
            }
            if absurd {
                return Stop::Absurd;
            }
            if self.eof {
                return if self.pos == self.end {
                    Stop::End
                } else {
                    Stop::CutShort
                };
            }
            if let Err(e) = self.fill() {
                return Stop::Io(e);
            }
        }
    }

    /// Moves the unread tail (part of one record) to the front and reads
    /// one more chunk after it; sets `eof` when the file has no more.
    fn fill(&mut self) -> std::io::Result<()> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos;
            self.end -= self.pos;
            self.pos = 0;
        }
        let stop = (self.end + self.chunk).min(BUFFER_CAPACITY);
        loop {
            match self.src.read(&mut self.buf[self.end..stop]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// The link type of a linktype number.
pub(super) fn link_of(n: u32) -> Result<LinkType, u32> {
    LinkType::from_pcap(n).ok_or(n)
}

#[cfg(test)]
mod tests;
