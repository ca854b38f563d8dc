//! `base64_decode` and `base64_data`, as Suricata 7.0.10 runs them.
//!
//! `base64_decode[:bytes N][,offset N][,relative]` is a step of the buffer
//! it follows (the current sticky buffer, else the list of the previous
//! content): it decodes up to `bytes` (default 65,535) characters starting
//! `offset` bytes after the buffer start, or after the previous match with
//! `relative`, in RFC 4648 mode (decoding stops at the first character
//! outside the alphabet; `=` counts as padding wherever it is; a last
//! partial block is decoded as if padded). `base64_data` makes the decoded
//! bytes the buffer of the following content keywords. Where the decode
//! step is reached, the `base64_data` steps run over the decoded bytes and
//! their match ends the inspection of the buffer with a match ("base64 is
//! a terminal list": steps after `base64_decode` in the outer buffer are
//! not evaluated). Nothing decoded, no `base64_data` steps, or no match
//! there: the step does not match. All measured with Suricata 7.0.10 on
//! `tests/data/ids/keywords/base64.pcap`.

use std::cell::RefCell;

use super::Builder;
use crate::detect::signature::Step;

/// Suricata's `BASE64_DECODE_MAX`: the default (and largest) `bytes`.
pub const DECODE_MAX: u32 = 65_535;

/// A `base64_decode` step.
#[derive(Debug, Clone)]
pub struct Base64Decode {
    /// Characters to decode at most.
    pub bytes: u32,
    /// Bytes skipped first.
    pub offset: u32,
    /// From the end of the previous match instead of the buffer start.
    pub relative: bool,
    /// The rule's `base64_data` steps, run over the decoded bytes (filled
    /// when the rule is finished).
    pub data: Vec<Step>,
}

/// `base64_decode[:bytes N][,offset N][,relative]`: a step appended to the
/// current sticky buffer, else to the buffer of the previous content, else
/// to the payload (Suricata's `DetectBase64DecodeSetup`).
pub fn base64_decode(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let step = parse(v)?;
    b.push_base64_decode(Step::Base64Decode(Box::new(step)))
}

/// The options, with Suricata's parser
/// (`\s*(bytes\s+(\d+),?)?\s*(offset\s+(\d+),?)?\s*(\w+)?`): in this
/// order, commas optional; `bytes 0` means the default.
fn parse(v: Option<&str>) -> Result<Base64Decode, String> {
    let mut s = v.unwrap_or("").trim_start();
    let number = |s: &mut &str, word: &str, max: u64| -> Result<Option<u64>, String> {
        let Some(rest) = s.strip_prefix(word) else {
            return Ok(None);
        };
        let digits = rest.trim_start();
        if digits.len() == rest.len() {
            return Err(format!("`{word}` needs a number"));
        }
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        let n: u64 = digits[..end]
            .parse()
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(|| format!("bad {word} `{}`", &digits[..end]))?;
        let rest = &digits[end..];
        *s = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        Ok(Some(n))
    };
    let bytes = number(&mut s, "bytes", u16::MAX.into())?;
    let offset = number(&mut s, "offset", u32::MAX.into())?;
    let relative = match s.trim_end() {
        "" => false,
        "relative" => true,
        other => {
            return Err(format!(
                "unexpected `{other}` (bytes N, offset N, relative)"
            ));
        }
    };
    Ok(Base64Decode {
        bytes: match bytes {
            None | Some(0) => DECODE_MAX,
            Some(n) => n as u32,
        },
        offset: offset.unwrap_or(0) as u32,
        relative,
        data: Vec::new(),
    })
}

/// The value of one base64 character, `None` outside the alphabet.
fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes `src` into `out` (cleared first) as Suricata 7's
/// `DecodeBase64(…, BASE64_MODE_RFC4648)`: stops at the first byte that is
/// neither in the alphabet nor `=`; `=` is a zero sextet that takes one
/// byte off its block; a last block of 2 or 3 characters gives 1 or 2
/// bytes, a single leftover character 1 byte.
pub fn decode_rfc4648(src: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut block = [0u8; 4];
    let (mut n, mut padding) = (0usize, 0usize);
    for &c in src {
        let v = match value(c) {
            Some(v) => v,
            None if c == b'=' => {
                padding += 1;
                0
            }
            None => break,
        };
        block[n] = v;
        n += 1;
        if n == 4 {
            let keep = 3 - padding.min(3);
            out.extend_from_slice(&bytes_of(block)[..keep]);
            block = [0; 4];
            n = 0;
            padding = 0;
        }
    }
    if n > 0 {
        let padding = if n > 1 { 4 - n } else { 2 };
        out.extend_from_slice(&bytes_of(block)[..3 - padding]);
    }
}

fn bytes_of(b: [u8; 4]) -> [u8; 3] {
    [
        (b[0] << 2) | (b[1] >> 4),
        (b[1] << 4) | (b[2] >> 2),
        (b[2] << 6) | b[3],
    ]
}

thread_local! {
    /// The decoded bytes (one buffer per thread, reused: no allocation per
    /// packet once it has grown).
    static DECODED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl Base64Decode {
    /// Decodes the part of `buf` this step covers (`cursor`: end of the
    /// previous match) and runs `data` over it with `inspect`; `false` when
    /// nothing could be decoded.
    pub fn run(
        &self,
        buf: &[u8],
        cursor: usize,
        inspect: impl FnOnce(&[Step], &[u8]) -> bool,
    ) -> bool {
        let start = if self.relative {
            cursor.min(buf.len())
        } else {
            0
        };
        let mut rest = &buf[start..];
        if self.offset > 0 {
            let Some(r) = rest.get(self.offset as usize..).filter(|r| !r.is_empty()) else {
                return false;
            };
            rest = r;
        }
        let src = &rest[..rest.len().min(self.bytes as usize)];
        if src.is_empty() || self.data.is_empty() {
            return false;
        }
        // Taken out of the thread-local so that a nested decode (a
        // `base64_decode` in `base64_data`) gets its own buffer.
        let mut out = DECODED.with(|d| std::mem::take(&mut *d.borrow_mut()));
        decode_rfc4648(src, &mut out);
        let matched = !out.is_empty() && inspect(&self.data, &out);
        DECODED.with(|d| *d.borrow_mut() = out);
        matched
    }
}

/// `base64_data`: the following content keywords inspect the bytes the
/// rule's `base64_decode` decoded. Suricata rejects it without a
/// `base64_decode` before it.
pub fn base64_data(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    if v.is_some_and(|v| !v.trim().is_empty()) {
        return Err("takes no value".into());
    }
    b.select_base64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::rule::parse::test_builder;

    fn dec(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        decode_rfc4648(s, &mut out);
        out
    }

    #[test]
    fn rfc4648_as_suricata() {
        // RFC 4648 test vectors (Suricata's B64TestVectorsRFC4648).
        for (e, d) in [
            (&b""[..], &b""[..]),
            (b"Zg==", b"f"),
            (b"Zm8=", b"fo"),
            (b"Zm9v", b"foo"),
            (b"Zm9vYg==", b"foob"),
            (b"Zm9vYmE=", b"fooba"),
            (b"Zm9vYmFy", b"foobar"),
        ] {
            assert_eq!(dec(e), d, "{}", String::from_utf8_lossy(e));
        }
        // Stops at the first character outside the alphabet (RFC 2045
        // would skip it): the base64.pcap "xx" datagram.
        assert_eq!(dec(b"SGVsbG8g$V29ybGQ="), b"Hello ");
        assert_eq!(dec(b"Zm 9v"), b"f");
        // `=` inside: a padded block, then decoding goes on ("zz" datagram).
        assert_eq!(dec(b"Zg==Zm9v"), b"ffoo");
        // A leftover of 3 characters gives 2 bytes ("ww" datagram).
        assert_eq!(dec(b"SGVsbG8"), b"Hello");
        // A single leftover character gives 1 byte: 'x' = 49 → 0xc4 | 3.
        assert_eq!(dec(b"xx"), [0xc7]);
        assert_eq!(dec(b"x"), [0xc4]);
        assert_eq!(dec(b"!!!"), b"");
    }

    #[test]
    fn base64_data_needs_a_decode_before() {
        let mut b = test_builder();
        assert!(base64_data(&mut b, "base64_data", None).is_err());
        base64_decode(&mut b, "base64_decode", Some("relative")).unwrap();
        base64_data(&mut b, "base64_data", None).unwrap();
    }

    #[test]
    fn options_as_suricata_parses_them() {
        let p = parse;
        let d = p(None).unwrap();
        assert_eq!((d.bytes, d.offset, d.relative), (DECODE_MAX, 0, false));
        let d = p(Some("bytes 300, offset 0, relative")).unwrap();
        assert_eq!((d.bytes, d.offset, d.relative), (300, 0, true));
        let d = p(Some("offset 0,relative")).unwrap();
        assert_eq!((d.bytes, d.offset, d.relative), (DECODE_MAX, 0, true));
        let d = p(Some("bytes 11, offset 0")).unwrap();
        assert_eq!((d.bytes, d.offset, d.relative), (11, 0, false));
        let d = p(Some("offset 9")).unwrap();
        assert_eq!((d.bytes, d.offset), (DECODE_MAX, 9));
        // Suricata's DetectBase64TestDecodeParse misspellings.
        for bad in [
            "bytes 1, offset 2, relatve",
            "byts 1, offset 2, relatve",
            "bytes 1, offst 2, relatve",
            "bytes 70000",
            "relative, bytes 3",
        ] {
            assert!(p(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn run_offsets_and_relative() {
        let step = |bytes, offset, relative| Base64Decode {
            bytes,
            offset,
            relative,
            data: vec![Step::Bsize(
                crate::detect::uint::Uint::parse("<100", 100).unwrap(),
            )],
        };
        let buf = b"aaaaaaaaSGVsbG8gV29ybGQ=";
        let got = |d: &Base64Decode, buf: &[u8], cursor| {
            let mut seen = None;
            d.run(buf, cursor, |_, out| {
                seen = Some(out.to_vec());
                true
            });
            seen
        };
        let hello = Some(b"Hello World".to_vec());
        // Suricata's DetectBase64DecodeTestDecodeWithOffset / …Relative.
        assert_eq!(got(&step(DECODE_MAX, 8, false), buf, 0), hello);
        assert_eq!(got(&step(DECODE_MAX, 0, true), buf, 8), hello);
        assert_eq!(got(&step(8, 8, false), buf, 0), Some(b"Hello ".to_vec()));
        // …LargeOffset: an offset at or past the end decodes nothing.
        assert_eq!(got(&step(16, 32, false), buf, 0), None);
        assert_eq!(got(&step(16, 24, false), buf, 0), None);
        // Nothing decodable.
        assert_eq!(got(&step(DECODE_MAX, 0, false), b"!!", 0), None);
        let grab = |_: &[Step], _: &[u8]| true;
        // Without base64_data steps the decode never matches.
        let mut bare = step(DECODE_MAX, 8, false);
        bare.data.clear();
        assert!(!bare.run(buf, 0, grab));
    }
}
