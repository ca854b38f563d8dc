//! Message bodies: content-encoding decompression (gzip, deflate) with
//! caps on output and ratio, as libhtp bounds it. The framing
//! (content-length, chunked, until close) lives in the state machine.

use std::io::Write;

use flate2::write::{DeflateDecoder, GzDecoder, ZlibDecoder};

/// Input fed to the decoder per step: one step can expand to at most
/// ~1032× this (deflate's limit), which bounds the memory of one step.
const STEP: usize = 512;

/// A content coding libhtp decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `gzip`, `x-gzip`.
    Gzip,
    /// `deflate`, `x-deflate` (zlib, or raw deflate when the zlib header
    /// check fails, as libhtp retries).
    Deflate,
}

impl Coding {
    /// The coding a `Content-Encoding` value names (its last one).
    pub fn from_header(v: &[u8]) -> Option<Coding> {
        let last = v.rsplit(|c| *c == b',').next().unwrap_or(v);
        let t = super::uri::trim(last).to_ascii_lowercase();
        match t.as_slice() {
            b"gzip" | b"x-gzip" => Some(Coding::Gzip),
            b"deflate" | b"x-deflate" => Some(Coding::Deflate),
            _ => None,
        }
    }
}

enum Inner {
    /// Waiting for 2 bytes to tell zlib from raw deflate.
    Sniff(Vec<u8>),
    Gz(GzDecoder<Vec<u8>>),
    Zlib(ZlibDecoder<Vec<u8>>),
    Raw(DeflateDecoder<Vec<u8>>),
    /// Stopped (error or cap reached).
    Done,
}

/// Why a decoder stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeEnd {
    /// The stream is not valid for its coding (`gzip_decompression_failed`).
    pub failed: bool,
    /// Output over the bomb limit with a ratio over the bomb ratio
    /// (`compression_bomb`).
    pub bomb: bool,
}

/// A streaming decompressor with bounded output.
pub struct Decoder {
    inner: Inner,
    /// Compressed bytes in.
    pub consumed: u64,
    /// Decompressed bytes out.
    pub produced: u64,
    /// Stop once this much was produced (libhtp's bomb limit).
    limit: u64,
    /// Ratio above which a stop at `limit` is a bomb.
    ratio: u64,
    /// How it ended.
    pub end: DecodeEnd,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("consumed", &self.consumed)
            .field("produced", &self.produced)
            .field("end", &self.end)
            .finish()
    }
}

impl Decoder {
    /// A decoder for `coding` that produces at most `limit` bytes.
    pub fn new(coding: Coding, limit: u64, ratio: u64) -> Self {
        let inner = match coding {
            Coding::Gzip => Inner::Gz(GzDecoder::new(Vec::new())),
            Coding::Deflate => Inner::Sniff(Vec::new()),
        };
        Decoder {
            inner,
            consumed: 0,
            produced: 0,
            limit,
            ratio,
            end: DecodeEnd::default(),
        }
    }

    /// Whether it still takes input.
    pub fn active(&self) -> bool {
        !matches!(self.inner, Inner::Done)
    }

    /// Decodes `input`, handing each piece of output to `sink`.
    pub fn feed(&mut self, mut input: &[u8], sink: &mut dyn FnMut(&[u8])) {
        if let Inner::Sniff(buf) = &mut self.inner {
            let need = 2usize.saturating_sub(buf.len()).min(input.len());
            buf.extend_from_slice(&input[..need]);
            input = &input[need..];
            if buf.len() < 2 {
                return;
            }
            let (a, b) = (buf[0], buf[1]);
            let zlib = a & 0x0f == 8 && (u16::from(a) << 8 | u16::from(b)) % 31 == 0;
            let head = std::mem::take(buf);
            self.inner = if zlib {
                Inner::Zlib(ZlibDecoder::new(Vec::new()))
            } else {
                Inner::Raw(DeflateDecoder::new(Vec::new()))
            };
            self.feed(&head, sink);
        }
        while !input.is_empty() && self.active() {
            let n = input.len().min(STEP);
            let (res, out) = match &mut self.inner {
                // flush() moves what was decoded into the inner Vec.
                Inner::Gz(d) => (
                    d.write_all(&input[..n]).and_then(|_| d.flush()),
                    d.get_mut(),
                ),
                Inner::Zlib(d) => (
                    d.write_all(&input[..n]).and_then(|_| d.flush()),
                    d.get_mut(),
                ),
                Inner::Raw(d) => (
                    d.write_all(&input[..n]).and_then(|_| d.flush()),
                    d.get_mut(),
                ),
                Inner::Sniff(_) | Inner::Done => return,
            };
            self.consumed += n as u64;
            input = &input[n..];
            let room = self.limit.saturating_sub(self.produced) as usize;
            let take = out.len().min(room);
            if take > 0 {
                sink(&out[..take]);
            }
            self.produced += take as u64;
            let over = out.len() > room;
            out.clear();
            if res.is_err() {
                self.end.failed = true;
                self.inner = Inner::Done;
            } else if over || self.produced >= self.limit {
                self.end.bomb = self.produced / self.consumed.max(1) > self.ratio;
                self.inner = Inner::Done;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;

    fn all(d: &mut Decoder, input: &[u8], piece: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for c in input.chunks(piece.max(1)) {
            d.feed(c, &mut |b| out.extend_from_slice(b));
        }
        out
    }

    #[test]
    fn gzip_and_deflate_in_any_pieces() {
        let plain = b"hello hello hello world".repeat(50);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(&plain).unwrap();
        let z = z.finish().unwrap();
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
        raw.write_all(&plain).unwrap();
        let raw = raw.finish().unwrap();
        for piece in [1, 3, 100, 10_000] {
            let mut d = Decoder::new(Coding::Gzip, 1 << 20, 2048);
            assert_eq!(all(&mut d, &gz, piece), plain);
            let mut d = Decoder::new(Coding::Deflate, 1 << 20, 2048);
            assert_eq!(all(&mut d, &z, piece), plain);
            let mut d = Decoder::new(Coding::Deflate, 1 << 20, 2048);
            assert_eq!(all(&mut d, &raw, piece), plain);
        }
    }

    #[test]
    fn bomb_is_capped_and_flagged() {
        let zeros = vec![0u8; 50 << 20];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&zeros).unwrap();
        let gz = gz.finish().unwrap();
        // One deflate layer expands at most ~1032x: under libhtp's ratio
        // of 2048 the stop at the limit is not a bomb; under 500 it is.
        let mut d = Decoder::new(Coding::Gzip, 1 << 20, 2048);
        let out = all(&mut d, &gz, 4096);
        assert_eq!(out.len(), 1 << 20);
        assert!(!d.end.bomb && !d.active());
        let mut d = Decoder::new(Coding::Gzip, 1 << 20, 500);
        all(&mut d, &gz, 4096);
        assert!(d.end.bomb);
    }

    #[test]
    fn garbage_fails() {
        let mut d = Decoder::new(Coding::Gzip, 1 << 20, 2048);
        all(&mut d, b"this is not gzip at all", 5);
        assert!(d.end.failed);
    }

    #[test]
    fn coding_names() {
        assert_eq!(Coding::from_header(b" GZIP "), Some(Coding::Gzip));
        assert_eq!(
            Coding::from_header(b"identity, deflate"),
            Some(Coding::Deflate)
        );
        assert_eq!(Coding::from_header(b"br"), None);
    }
}
