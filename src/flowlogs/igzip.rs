//! ISA-L's igzip (crate `isal-rs`, feature `isal`) as the inflater of large
//! gzip objects, with flate2 (zlib-rs) taking over at the first error so
//! that damaged input behaves exactly as with flate2 alone.
//!
//! igzip decodes the bench object in ~25% less CPU than zlib-rs on this
//! project's machine (`bench/flowlogs/inflate.sh`), with its own run-time
//! choice of SSE/AVX2/AVX-512 code. Its `io::Read` decoder checks each
//! member's CRC-32 and length and reads any number of members, but on an
//! error it drops the bytes it decoded in the same call and reports
//! truncation and corruption alike. So [`Gz`] counts the bytes it handed
//! out, and at igzip's first error (whatever it is) reopens the object with
//! flate2 (`super::gzip::GzMembers`), skips that many bytes, and reads on from
//! there: the caller gets every byte flate2 would give and flate2's own
//! error (truncated or corrupt, see [`super::source::read_error`]). Only
//! damaged (or unusual) objects pay for the second pass.
//!
//! igzip's decoder holds raw pointers (not `Send`), so a [`Gz`] lives on the
//! thread that made it: [`super::inflate::Inflated::spawn_with`] builds it
//! on the inflate thread from the `File`.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

use super::gzip::GzMembers;

/// Read size for compressed input (as for flate2 in `source.rs`).
const GZ_BUF: usize = 256 * 1024;

/// A gzip stream inflated by igzip, by flate2 after igzip's first error.
pub struct Gz {
    state: State,
    /// A second handle on the object, for flate2 to start over.
    again: Option<File>,
    /// Bytes handed to the caller so far.
    given: u64,
}

enum State {
    Isal(Box<isal::read::GzipDecoder<BufReader<File>>>),
    Flate(Box<GzMembers<BufReader<File>>>),
    /// flate2 failed while catching up (its error was returned).
    Done,
}

impl Gz {
    /// Inflates `file` (positioned at its start) with igzip.
    pub fn new(file: File) -> Self {
        let again = file.try_clone().ok();
        Self {
            state: State::Isal(Box::new(isal::read::GzipDecoder::new(
                BufReader::with_capacity(GZ_BUF, file),
            ))),
            again,
            given: 0,
        }
    }

    /// Hands the stream to flate2 from its start, skipping the bytes igzip
    /// already gave: flate2 decodes them the same (deflate is exact), or
    /// fails before them with its own error.
    fn start_over(&mut self, isal_error: io::Error) -> io::Result<()> {
        self.state = State::Done;
        let Some(mut file) = self.again.take() else {
            return Err(isal_error);
        };
        file.seek(SeekFrom::Start(0))?;
        let mut flate = Box::new(GzMembers::new(BufReader::with_capacity(GZ_BUF, file)));
        let skipped = io::copy(&mut (&mut *flate).take(self.given), &mut io::sink())?;
        if skipped < self.given {
            // flate2 ended cleanly where igzip had given more: cannot happen
            // for a deflate stream; reported rather than trusted.
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("igzip and zlib disagree on this stream's length ({isal_error})"),
            ));
        }
        self.state = State::Flate(flate);
        Ok(())
    }
}

impl Read for Gz {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match &mut self.state {
                State::Isal(d) => match d.read(buf) {
                    Ok(n) => {
                        self.given += n as u64;
                        return Ok(n);
                    }
                    Err(e) => self.start_over(e)?,
                },
                State::Flate(d) => return d.read(buf),
                State::Done => return Ok(0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flowlogs::source::tests::gz;

    /// What `bytes` reads to through [`Gz`] and through flate2 alone: bytes
    /// and error kind.
    fn both(bytes: &[u8]) -> [(Vec<u8>, Option<io::ErrorKind>); 2] {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.gz");
        std::fs::write(&p, bytes).unwrap();
        let read = |mut r: Box<dyn Read>| {
            let mut out = Vec::new();
            let mut buf = vec![0u8; 100_000];
            loop {
                match r.read(&mut buf) {
                    Ok(0) => return (out, None),
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                    Err(e) => return (out, Some(e.kind())),
                }
            }
        };
        let file = || File::open(&p).unwrap();
        [
            read(Box::new(Gz::new(file()))),
            read(Box::new(GzMembers::new(BufReader::new(file())))),
        ]
    }

    fn text(lines: usize) -> Vec<u8> {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        (0..lines)
            .flat_map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                format!("{i} {:x} {}\n", x, x % 1000).into_bytes()
            })
            .collect()
    }

    #[test]
    fn good_streams_read_as_with_flate2() {
        let data = text(50_000);
        let [ours, flate] = both(&gz(&data));
        assert_eq!(ours, (data.clone(), None));
        assert_eq!(ours, flate);
        // Several members, one of them empty.
        let mut multi = gz(&data[..1000]);
        multi.extend(gz(b""));
        multi.extend(gz(&data[1000..]));
        let [ours, flate] = both(&multi);
        assert_eq!(ours, (data, None));
        assert_eq!(ours, flate);
        let [ours, flate] = both(&gz(b""));
        assert_eq!(ours, (vec![], None));
        assert_eq!(ours, flate);
    }

    #[test]
    fn damaged_streams_give_flate2s_bytes_and_error() {
        let data = text(50_000);
        let full = gz(&data);
        let n = full.len();
        let mut cases = vec![
            full[..n / 2].to_vec(),
            full[..n - 3].to_vec(),
            full[..10].to_vec(),
            full[..5].to_vec(),
        ];
        let mut crc = full.clone();
        crc[n - 8] ^= 0xff;
        cases.push(crc);
        let mut len = full.clone();
        len[n - 1] ^= 0x01;
        cases.push(len);
        let mut middle = full.clone();
        middle[n / 3] ^= 0x55;
        cases.push(middle);
        let mut trailing = full.clone();
        trailing.extend_from_slice(b"garbage after the member");
        cases.push(trailing);
        let mut bad_method = full.clone();
        bad_method[2] = 7;
        cases.push(bad_method);
        for (i, case) in cases.iter().enumerate() {
            let [ours, flate] = both(case);
            assert_eq!(ours, flate, "case {i}");
            assert!(ours.1.is_some(), "case {i}: an error");
        }
        // Zero padding after the member is no damage (as gzip -d reads it).
        let mut zeros = full.clone();
        zeros.extend_from_slice(&[0; 16]);
        let [ours, flate] = both(&zeros);
        assert_eq!(ours, (data.clone(), None));
        assert_eq!(ours, flate);
        // A truncated stream keeps what was readable.
        let [(got, _), _] = both(&full[..n / 2]);
        assert!(got.len() > data.len() / 4 && data.starts_with(&got));
    }
}
