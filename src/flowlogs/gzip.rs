//! A gzip stream of any number of members, read as `gzip -d` and Python's
//! `gzip` module (flowlogs_reader's) read it: members one after another
//! (flate2's `bufread::GzDecoder`, one per member, each checking its CRC-32
//! and length), zero bytes after a member skipped (block padding: the end
//! of the stream when nothing else follows), and bytes after a member that
//! do not start another one reported as what they are, trailing garbage,
//! after everything decoded before them.

use std::io::{self, BufRead, Read};

use flate2::bufread::GzDecoder;

/// The decoded bytes of every member of a gzip stream.
pub struct GzMembers<R: BufRead> {
    /// The member being decoded; `None` at the end.
    member: Option<GzDecoder<R>>,
}

impl<R: BufRead> GzMembers<R> {
    /// Reads the gzip stream `inner` from its first member.
    pub fn new(inner: R) -> Self {
        Self {
            member: Some(GzDecoder::new(inner)),
        }
    }
}

/// True at the end of `inner` once the zero bytes at its position are
/// skipped; false (positioned at the first other byte) when more follows.
fn only_zeros_left(inner: &mut impl BufRead) -> io::Result<bool> {
    loop {
        let bytes = inner.fill_buf()?;
        if bytes.is_empty() {
            return Ok(true);
        }
        let zeros = bytes.iter().take_while(|&&b| b == 0).count();
        let more = zeros < bytes.len();
        inner.consume(zeros);
        if more {
            return Ok(false);
        }
    }
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = self.member.as_mut() else {
                return Ok(0);
            };
            let n = member.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The member ended (its CRC-32 and length checked): what follows?
            let Some(mut rest) = self.member.take().map(GzDecoder::into_inner) else {
                return Ok(0);
            };
            if only_zeros_left(&mut rest)? {
                return Ok(0);
            }
            // Another member starts with the gzip magic (its own errors,
            // truncation included, are the decoder's); anything else ends
            // the stream with an error after every byte decoded before it.
            if rest.fill_buf()?.first() != Some(&0x1f) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "trailing garbage after the last member (not a gzip header)",
                ));
            }
            self.member = Some(GzDecoder::new(rest));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flowlogs::source::tests::gz;
    use flate2::read::MultiGzDecoder;

    /// The bytes `stream` decodes to and the error after them, read through
    /// [`GzMembers`] in reads of `step` bytes.
    fn read(stream: &[u8], step: usize) -> (Vec<u8>, Option<String>) {
        let mut r = GzMembers::new(io::BufReader::with_capacity(64, stream));
        let (mut out, mut buf) = (Vec::new(), vec![0u8; step]);
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }

    fn members(parts: &[&[u8]]) -> Vec<u8> {
        parts.iter().flat_map(|p| gz(p)).collect()
    }

    #[test]
    fn members_read_as_flate2_reads_them() {
        let long: Vec<u8> = (0..50_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let stream = members(&[b"first\n", b"", &long, b"last\n"]);
        let mut want = Vec::new();
        MultiGzDecoder::new(&stream[..])
            .read_to_end(&mut want)
            .unwrap();
        for step in [1, 7, 4096, 1 << 20] {
            assert_eq!(read(&stream, step), (want.clone(), None), "step {step}");
        }
        // Cut anywhere: what was readable, then the error flate2 gives.
        for cut in [1, 5, 12, stream.len() / 2, stream.len() - 1] {
            let (got, err) = read(&stream[..cut], 4096);
            let mut flate = Vec::new();
            let flate_err = MultiGzDecoder::new(&stream[..cut])
                .read_to_end(&mut flate)
                .err();
            assert_eq!(got, flate, "cut {cut}");
            assert_eq!(
                err.is_some(),
                flate_err.is_some(),
                "cut {cut}: {err:?} {flate_err:?}"
            );
        }
    }

    #[test]
    fn zero_padding_is_skipped_garbage_is_an_error_after_the_data() {
        let stream = members(&[b"a b c\n", b"d e f\n"]);
        for zeros in [1, 3, 4, 100, 70_000] {
            let mut padded = stream.clone();
            padded.resize(stream.len() + zeros, 0);
            assert_eq!(read(&padded, 4096), (b"a b c\nd e f\n".to_vec(), None));
            // Padding between members too (as Python's gzip reads it).
            let mut between = gz(b"a b c\n");
            between.resize(between.len() + zeros, 0);
            between.extend(gz(b"d e f\n"));
            assert_eq!(read(&between, 7), (b"a b c\nd e f\n".to_vec(), None));
        }
        for garbage in [&b"x"[..], b"trailing garbage\n", b"\0\0junk"] {
            let mut bad = stream.clone();
            bad.extend_from_slice(garbage);
            let (got, err) = read(&bad, 4096);
            assert_eq!(got, b"a b c\nd e f\n");
            let err = err.expect("an error");
            assert!(
                err.starts_with("trailing garbage after the last member"),
                "{err}"
            );
        }
        // The start of a member is a member: cut, it is truncated.
        let mut cut = stream.clone();
        cut.extend_from_slice(b"\x1f\x8b\x08");
        let mut r = GzMembers::new(&cut[..]);
        let err = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
        // A damaged member is not garbage: its own error.
        let mut bad = stream.clone();
        let n = bad.len();
        bad[n - 8] ^= 0xff;
        let (_, err) = read(&bad, 4096);
        assert!(!err.unwrap().starts_with("trailing garbage"));
    }
}
