//! Transforms: rewrite a sticky buffer before its content keywords run
//! (`to_lowercase`, `to_uppercase`, `strip_whitespace`,
//! `compress_whitespace`, `dotprefix`, `url_decode`, `xor`, `to_md5`,
//! `to_sha1`, `to_sha256`, `pcrexform`). They must follow the sticky
//! buffer directly, as in Suricata.

use std::sync::Arc;

use md5::Digest as _;

use super::Builder;
use crate::detect::rule::lexer::unquote;

/// One transform.
#[derive(Clone)]
pub enum Transform {
    /// ASCII lower case.
    ToLowercase,
    /// ASCII upper case.
    ToUppercase,
    /// Remove every whitespace byte.
    StripWhitespace,
    /// Each run of whitespace becomes one space.
    CompressWhitespace,
    /// Prepend a `.` (domain suffix matching).
    DotPrefix,
    /// `%XX` and `+` decoding.
    UrlDecode,
    /// XOR with the repeating key.
    Xor(Vec<u8>),
    /// MD5 digest (16 raw bytes).
    Md5,
    /// SHA-1 digest (20 raw bytes).
    Sha1,
    /// SHA-256 digest (32 raw bytes).
    Sha256,
    /// The first capture group of the expression (buffer unchanged when
    /// it does not match).
    PcreXform(Arc<pcre2::bytes::Regex>),
}

impl std::fmt::Debug for Transform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Transform::ToLowercase => "to_lowercase",
            Transform::ToUppercase => "to_uppercase",
            Transform::StripWhitespace => "strip_whitespace",
            Transform::CompressWhitespace => "compress_whitespace",
            Transform::DotPrefix => "dotprefix",
            Transform::UrlDecode => "url_decode",
            Transform::Xor(_) => "xor",
            Transform::Md5 => "to_md5",
            Transform::Sha1 => "to_sha1",
            Transform::Sha256 => "to_sha256",
            Transform::PcreXform(_) => "pcrexform",
        };
        f.write_str(name)
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

impl Transform {
    /// Writes the transformed `input` into `out` (cleared first).
    pub fn apply(&self, input: &[u8], out: &mut Vec<u8>) {
        out.clear();
        match self {
            Transform::ToLowercase => out.extend(input.iter().map(u8::to_ascii_lowercase)),
            Transform::ToUppercase => out.extend(input.iter().map(u8::to_ascii_uppercase)),
            Transform::StripWhitespace => {
                out.extend(input.iter().copied().filter(|&b| !is_space(b)))
            }
            Transform::CompressWhitespace => {
                let mut in_space = false;
                for &b in input {
                    if is_space(b) {
                        if !in_space {
                            out.push(b' ');
                        }
                        in_space = true;
                    } else {
                        out.push(b);
                        in_space = false;
                    }
                }
            }
            Transform::DotPrefix => {
                out.push(b'.');
                out.extend_from_slice(input);
            }
            Transform::UrlDecode => {
                let mut i = 0;
                while i < input.len() {
                    let b = input[i];
                    if b == b'%' && i + 2 < input.len() {
                        let h = (input[i + 1] as char).to_digit(16);
                        let l = (input[i + 2] as char).to_digit(16);
                        if let (Some(h), Some(l)) = (h, l) {
                            out.push((h * 16 + l) as u8);
                            i += 3;
                            continue;
                        }
                    }
                    out.push(if b == b'+' { b' ' } else { b });
                    i += 1;
                }
            }
            Transform::Xor(key) => {
                out.extend(input.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
            }
            Transform::Md5 => out.extend_from_slice(&md5::Md5::digest(input)),
            Transform::Sha1 => out.extend_from_slice(&sha1::Sha1::digest(input)),
            Transform::Sha256 => out.extend_from_slice(&sha2::Sha256::digest(input)),
            Transform::PcreXform(re) => match re.captures(input) {
                Ok(Some(c)) => match c.get(1) {
                    Some(m) => out.extend_from_slice(m.as_bytes()),
                    None => out.extend_from_slice(input),
                },
                _ => out.extend_from_slice(input),
            },
        }
    }
}

/// Parses any transform keyword and adds it to the current sticky buffer.
pub fn setup(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let no_value = |v: Option<&str>| match v {
        Some(x) if !x.is_empty() => Err(format!("takes no value (got `{x}`)")),
        _ => Ok(()),
    };
    let t = match name {
        "to_lowercase" => no_value(v).map(|_| Transform::ToLowercase)?,
        "to_uppercase" => no_value(v).map(|_| Transform::ToUppercase)?,
        "strip_whitespace" => no_value(v).map(|_| Transform::StripWhitespace)?,
        "compress_whitespace" => no_value(v).map(|_| Transform::CompressWhitespace)?,
        "dotprefix" => no_value(v).map(|_| Transform::DotPrefix)?,
        "url_decode" => no_value(v).map(|_| Transform::UrlDecode)?,
        "to_md5" => no_value(v).map(|_| Transform::Md5)?,
        "to_sha1" => no_value(v).map(|_| Transform::Sha1)?,
        "to_sha256" => no_value(v).map(|_| Transform::Sha256)?,
        "xor" => {
            let hex = unquote(v.ok_or("needs a hex key")?, true)?;
            if hex.is_empty() || hex.len() % 2 != 0 {
                return Err("key must be an even number of hex digits".into());
            }
            let key = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| format!("`{hex}` is not hex"))?;
            Transform::Xor(key)
        }
        "pcrexform" => {
            let re = unquote(v.ok_or("needs an expression")?, true)?;
            let regex = pcre2::bytes::RegexBuilder::new()
                .jit_if_available(true)
                .build(re)
                .map_err(|e| format!("does not compile: {e}"))?;
            if regex.captures_len() < 2 {
                return Err("needs a capture group".into());
            }
            Transform::PcreXform(Arc::new(regex))
        }
        _ => return Err(format!("not a transform: {name}")),
    };
    if !b.has_sticky() {
        return Err("a transform needs a sticky buffer before it".into());
    }
    if b.has_previous_step() {
        return Err("a transform must directly follow its sticky buffer".into());
    }
    let l = b.current();
    b.list_mut(l).transforms.push(t);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: Transform, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        t.apply(input, &mut out);
        out
    }

    #[test]
    fn each_transform() {
        assert_eq!(run(Transform::ToLowercase, b"AbC1"), b"abc1");
        assert_eq!(run(Transform::ToUppercase, b"AbC1"), b"ABC1");
        assert_eq!(run(Transform::StripWhitespace, b" a \t b\r\n"), b"ab");
        assert_eq!(run(Transform::CompressWhitespace, b"a  \t b "), b"a b ");
        assert_eq!(run(Transform::DotPrefix, b"example.com"), b".example.com");
        assert_eq!(run(Transform::UrlDecode, b"a%20b+c%zz%4"), b"a b c%zz%4");
        assert_eq!(
            run(Transform::Xor(vec![0x01, 0x02]), &[0x01, 0x02, 0x03]),
            &[0, 0, 2]
        );
        // Digests of "abc" (RFC 1321 / FIPS 180 test vectors).
        assert_eq!(
            run(Transform::Md5, b"abc"),
            [
                0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0, 0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1,
                0x7f, 0x72
            ]
        );
        assert_eq!(run(Transform::Sha1, b"abc")[..4], [0xa9, 0x99, 0x3e, 0x36]);
        assert_eq!(
            run(Transform::Sha256, b"abc")[..4],
            [0xba, 0x78, 0x16, 0xbf]
        );
        let re = pcre2::bytes::Regex::new(r"[a-zA-Z]+\s+(.*)\s+HTTP").unwrap();
        assert_eq!(
            run(
                Transform::PcreXform(Arc::new(re.clone())),
                b"GET /z4d4kWk.jpg HTTP/1.1"
            ),
            b"/z4d4kWk.jpg"
        );
        assert_eq!(
            run(Transform::PcreXform(Arc::new(re)), b"nothing"),
            b"nothing"
        );
    }
}
