//! The fast path for well-formed records: one pass over the bytes of a line
//! that splits, checks and types every field at once, driven by a [`Plan`]
//! built from any schema (the default version-2 format, a file's header, a
//! `--format`). Integers are read from the bytes (no `str` conversion),
//! addresses by the hand parsers of [`super::addr`], nothing is allocated.
//!
//! Guarantee: [`Plan::parse`] accepts a line only when the general path
//! ([`super::parse::check_line`] then [`super::parse::parse_record`]) accepts
//! it, and then fills exactly the same slots. Everything else — an error of
//! any kind, but also good lines it does not handle (non-ASCII or control
//! bytes in text, integers of 20 digits or more) — returns `false`, and the
//! caller runs the general path, which gives the exact result and error.
//! Unit tests, a property test and the fuzz target check this equivalence.

use std::net::Ipv4Addr;

use super::addr::parse_addr;
use super::fields::FieldKind;
use super::parse::MAX_LINE;
use super::record::{Slot, Value};
use super::schema::Schema;

/// Most digits of an integer the fast path reads (cannot overflow a u64).
const MAX_DIGITS: usize = 19;

/// How one column is read.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Unsigned decimal not above the bound (ports, protocol, counters, times).
    Int(u64),
    /// IPv4 or IPv6 address.
    Addr,
    /// One of the listed values.
    Enum(&'static [&'static str]),
    /// Printable ASCII text.
    Text,
}

/// The compiled form of a schema for the fast path.
#[derive(Clone, Debug)]
pub struct Plan {
    steps: Box<[Step]>,
    header: Box<[u8]>,
}

impl Plan {
    /// The plan of `schema`.
    pub fn new(schema: &Schema) -> Self {
        let steps = schema
            .columns()
            .iter()
            .map(|c| match c.kind {
                FieldKind::Int | FieldKind::Time => Step::Int(u64::MAX),
                FieldKind::Port => Step::Int(u64::from(u16::MAX)),
                FieldKind::Protocol => Step::Int(u64::from(u8::MAX)),
                FieldKind::Addr => Step::Addr,
                FieldKind::Enum(allowed) => Step::Enum(allowed),
                FieldKind::Text => Step::Text,
            })
            .collect();
        Self {
            steps,
            header: schema.header_line().as_bytes().into(),
        }
    }

    /// Splits and types `line` into `slots`; `false` sends the line to the
    /// general path (then `slots` holds garbage).
    #[inline]
    pub fn parse(&self, line: &[u8], slots: &mut Vec<Slot>) -> bool {
        let n = self.steps.len();
        if n == 0
            || line.len() > MAX_LINE
            || !printable(line)
            || (line.len() == self.header.len() && *line == *self.header)
        {
            return false;
        }
        // Every slot is overwritten in place below (no push, no capacity
        // check per field).
        if slots.len() != n {
            slots.clear();
            slots.resize(n, EMPTY_SLOT);
        }
        // From here every byte is printable ASCII or a space.
        let mut pos = 0usize;
        let mut filled = 0usize;
        for (slot, step) in slots.iter_mut().zip(self.steps.iter()) {
            filled += 1;
            let start = pos;
            slot.value = match *step {
                Step::Int(max) => {
                    let (v, n) = leading_int(line, pos);
                    pos += n;
                    match n {
                        0 if line.get(pos) == Some(&b'-') => {
                            pos += 1;
                            Value::Absent
                        }
                        1..=MAX_DIGITS if v <= max => Value::Int(v),
                        _ => return false,
                    }
                }
                Step::Addr if let Some((a, end)) = ipv4_at(line, pos) => {
                    pos = end;
                    Value::Addr(a.into())
                }
                Step::Addr | Step::Enum(_) | Step::Text => {
                    pos = next_space(line, pos);
                    let field = &line[start..pos];
                    match (field, *step) {
                        ([], _) => return false,
                        (b"-", _) => Value::Absent,
                        (_, Step::Addr) => match parse_addr(field) {
                            Some(a) => Value::Addr(a),
                            None => return false,
                        },
                        (_, Step::Enum(allowed)) => {
                            if !allowed.iter().any(|a| same(a.as_bytes(), field)) {
                                return false;
                            }
                            Value::Text
                        }
                        _ => Value::Text,
                    }
                }
            };
            slot.start = start as u32;
            slot.end = pos as u32;
            match line.get(pos) {
                Some(b' ') => pos += 1,
                None => break,
                Some(_) => return false,
            }
        }
        // Every column filled, the last one ending the line (not a space).
        filled == n && slots[n - 1].end as usize == line.len()
    }
}

/// What a slot holds before it is filled.
const EMPTY_SLOT: Slot = Slot {
    start: 0,
    end: 0,
    value: Value::Absent,
};

const ONES: u64 = 0x0101_0101_0101_0101;
const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const NIBBLES_HI: u64 = 0xf0f0_f0f0_f0f0_f0f0;
const NIBBLES_LO: u64 = 0x0f0f_0f0f_0f0f_0f0f;
const ZEROS: u64 = 0x3030_3030_3030_3030;
const SPACES: u64 = 0x2020_2020_2020_2020;

/// The eight bytes at `pos` as a little-endian word; bytes past the end of
/// `line` are zero.
#[inline]
fn load(line: &[u8], pos: usize) -> u64 {
    match line.get(pos..pos + 8) {
        Some(w) => u64::from_le_bytes(w.try_into().unwrap_or([0; 8])),
        None => {
            let rest = line.get(pos..).unwrap_or_default();
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(w)
        }
    }
}

/// High bit set in exactly the bytes of `x` that are not zero.
#[inline]
fn nonzero_bytes(x: u64) -> u64 {
    ((x & LOWS).wrapping_add(LOWS) | x) & HIGHS
}

/// Number of leading bytes of `word` that are decimal digits (0–8).
#[inline]
fn digit_run(word: u64) -> usize {
    // A byte is a digit iff its high nibble is 3 and its low nibble ≤ 9.
    let bad =
        ((word & NIBBLES_HI) ^ ZEROS) | ((word & NIBBLES_LO).wrapping_add(6 * ONES) & NIBBLES_HI);
    (nonzero_bytes(bad).trailing_zeros() / 8) as usize
}

/// The value of the first `n` (1–8) bytes of `word`, all decimal digits,
/// the first one the most significant.
#[inline]
fn digits_value(word: u64, n: usize) -> u64 {
    // Move the digits to the top bytes and put zeros before them.
    let shift = 8 * (8 - n) as u32;
    let w = word.checked_shl(shift).unwrap_or(0) & NIBBLES_LO;
    let d = w.wrapping_mul(10).wrapping_add(w >> 8) & 0x00ff_00ff_00ff_00ff;
    let d = d.wrapping_mul(100).wrapping_add(d >> 16) & 0x0000_ffff_0000_ffff;
    d.wrapping_mul(10_000).wrapping_add(d >> 32) & 0xffff_ffff
}

/// The unsigned decimal at the start of `line[pos..]`: its value and its
/// number of digits (0 if none; the value is meaningless above 19 digits).
#[inline]
pub(super) fn leading_int(line: &[u8], pos: usize) -> (u64, usize) {
    let w = load(line, pos);
    let n = digit_run(w);
    if n < 8 {
        return (if n == 0 { 0 } else { digits_value(w, n) }, n);
    }
    let hi = digits_value(w, 8);
    let w2 = load(line, pos + 8);
    let n2 = digit_run(w2);
    if n2 < 8 {
        let lo = if n2 == 0 { 0 } else { digits_value(w2, n2) };
        return (hi * POW10[n2] + lo, 8 + n2);
    }
    // 16 digits or more: rare, byte by byte (wrapping past 19 digits, which
    // the caller rejects).
    let mut v = hi * 100_000_000 + digits_value(w2, 8);
    let mut n = 16;
    while let Some(d) = line
        .get(pos + n)
        .map(|b| b.wrapping_sub(b'0'))
        .filter(|d| *d <= 9)
    {
        v = v.wrapping_mul(10).wrapping_add(u64::from(d));
        n += 1;
    }
    (v, n)
}

/// A dotted-quad IPv4 address (the rules of `std`: four decimal octets of
/// 1–3 digits, ≤ 255, no leading zero) at `pos`, ending at a space or at the
/// end of `line`: the address and the index after it. Each octet is read
/// from one 4-byte word, without a branch per byte.
#[inline]
fn ipv4_at(line: &[u8], mut pos: usize) -> Option<(Ipv4Addr, usize)> {
    let mut addr = 0u32;
    for k in 0..4 {
        let w = load4(line, pos);
        // Leading decimal digits of the word (0–4), as in `digit_run`.
        let bad = ((w & 0xf0f0_f0f0) ^ 0x3030_3030)
            | ((w & 0x0f0f_0f0f).wrapping_add(0x0606_0606) & 0xf0f0_f0f0);
        let bad = ((bad & 0x7f7f_7f7f).wrapping_add(0x7f7f_7f7f) | bad) & 0x8080_8080;
        let n = (bad.trailing_zeros() / 8) as usize;
        if n == 0 || n > 3 || (n > 1 && w & 0xff == u32::from(b'0')) {
            return None;
        }
        // The digits moved up to end at byte 2 (zeros before them), the
        // first one in the lowest byte.
        let d = (w << (8 * (3 - n) as u32)) & 0x000f_0f0f;
        let v = (d & 0xff) * 100 + (d >> 8 & 0xff) * 10 + (d >> 16);
        if v > 255 {
            return None;
        }
        addr = addr << 8 | v;
        pos += n;
        match (k, line.get(pos)) {
            (0..3, Some(b'.')) => pos += 1,
            (3, None | Some(b' ')) => return Some((Ipv4Addr::from(addr), pos)),
            _ => return None,
        }
    }
    None
}

/// The four bytes at `pos` as a little-endian word; bytes past the end of
/// `line` are zero.
#[inline]
fn load4(line: &[u8], pos: usize) -> u32 {
    match line.get(pos..pos + 4) {
        Some(w) => u32::from_le_bytes(w.try_into().unwrap_or([0; 4])),
        None => {
            let rest = line.get(pos..).unwrap_or_default();
            let mut w = [0u8; 4];
            w[..rest.len()].copy_from_slice(rest);
            u32::from_le_bytes(w)
        }
    }
}

const POW10: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/// The index of the first space at or after `pos`, or the length of `line`.
#[inline]
fn next_space(line: &[u8], mut pos: usize) -> usize {
    while pos < line.len() {
        let x = load(line, pos) ^ SPACES;
        // Bytes past the end load as 0, which is not a space.
        let spaces = !nonzero_bytes(x) & HIGHS;
        if spaces != 0 {
            return (pos + (spaces.trailing_zeros() / 8) as usize).min(line.len());
        }
        pos += 8;
    }
    line.len()
}

/// True if every byte is printable ASCII (`!`..=`~`) or a space. Written
/// without early exit so that it compiles to vector code.
#[inline]
fn printable(line: &[u8]) -> bool {
    line.iter()
        .fold(0u8, |bad, &b| bad | u8::from(!(0x20..=0x7e).contains(&b)))
        == 0
}

/// Byte equality of short strings without a call to `memcmp`.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::flowlogs::parse::{check_line, parse_record};
    use proptest::prelude::*;

    /// A good default-format (version 2) record.
    pub(in crate::flowlogs) const V2: &str = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";

    /// The general path's slots, or `None` where it rejects the line.
    fn general(schema: &Schema, line: &[u8]) -> Option<Vec<Slot>> {
        let text = check_line(line, 1).ok()?;
        let mut slots = Vec::new();
        parse_record(schema, text, 1, &mut slots).ok()?;
        Some(slots)
    }

    /// Asserts the fast path agrees with the general path on `line`;
    /// returns whether the fast path took it.
    fn agree(schema: &Schema, line: &[u8]) -> bool {
        let mut slots = Vec::new();
        let fast = Plan::new(schema).parse(line, &mut slots);
        let want = general(schema, line);
        if fast {
            assert_eq!(
                Some(&slots),
                want.as_ref(),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
        fast
    }

    #[test]
    fn takes_good_default_records() {
        let s = Schema::default_format();
        assert!(agree(&s, V2.as_bytes()));
        let nodata = "2 123456789010 eni-1 - - - - - - - 1418530010 1418530070 - NODATA";
        assert!(agree(&s, nodata.as_bytes()));
        let v6 = V2.replace("172.31.16.139", "2600:1f18:8d19:23::c52f");
        assert!(agree(&s, v6.as_bytes()));
        let mapped = V2.replace("172.31.16.139", "::ffff:10.0.0.1");
        assert!(
            agree(&s, mapped.as_bytes()),
            "std fallback for embedded IPv4"
        );
        let zeros = V2.replace(" 22 ", " 0022 ");
        assert!(agree(&s, zeros.as_bytes()));
        let max = V2.replace(" 22 ", " 65535 ").replace(" 6 ", " 255 ");
        assert!(agree(&s, max.as_bytes()));
    }

    /// Bad records of the default format, and good ones no fast path
    /// takes (non-ASCII, control bytes, 20 digits, the header).
    pub(in crate::flowlogs) fn unusual_default_lines(s: &Schema) -> Vec<String> {
        vec![
            V2.replace(" 22 ", " 65536 "),
            V2.replace(" 6 ", " 256 "),
            V2.replace(" 4249 ", " -4249 "),
            V2.replace(" 4249 ", " 42a9 "),
            V2.replace(" 4249 ", " 4249- "),
            V2.replace(" 4249 ", " 18446744073709551615 "),
            V2.replace(" 4249 ", " 99999999999999999999 "),
            V2.replace("ACCEPT", "ALLOW"),
            V2.replace("ACCEPT", "ACCEPTED"),
            V2.replace("172.31.16.139", "172.31.16.1399"),
            V2.replace("eni-", "enï-"),
            V2.replace("eni-", "eni\t"),
            V2.replace("eni-", "eni\x7f"),
            V2.replace(' ', "  "),
            format!(" {V2}"),
            format!("{V2} "),
            format!("{V2}\r"),
            format!("{V2} extra"),
            V2[..V2.rfind(' ').unwrap()].to_string(),
            s.header_line().to_string(),
            String::new(),
            "-".to_string(),
        ]
    }

    #[test]
    fn leaves_errors_and_unusual_lines_to_the_general_path() {
        let s = Schema::default_format();
        for line in unusual_default_lines(&s) {
            assert!(!agree(&s, line.as_bytes()), "{line:?}");
        }
    }

    #[test]
    fn helpers() {
        for line in [
            &b""[..],
            b"a",
            b" ",
            b"abc def",
            b"abcdefgh ij",
            b"abcdefghijklmnop",
            b"abcdefghijklmno p",
            b"a b c d e f g h i j k l m n o p q",
        ] {
            for pos in 0..=line.len() {
                let want = line[pos..]
                    .iter()
                    .position(|b| *b == b' ')
                    .map_or(line.len(), |i| pos + i);
                assert_eq!(next_space(line, pos), want, "{line:?} {pos}");
            }
        }
        assert!(printable(b"a ~!"));
        assert!(!printable(b"a\x7f"));
        assert!(!printable("é".as_bytes()));
        assert!(!printable(b"\t"));
        for v in [
            0u64,
            7,
            9,
            10,
            99,
            100,
            65535,
            4294967295,
            12345678,
            99999999,
            100000000,
            123456789,
            1234567890123456,
            12345678901234567,
            1234567890123456789,
            u64::MAX,
        ] {
            let text = v.to_string();
            let n = text.len();
            for suffix in ["", " ", "x", " 12345678", ":"] {
                let line = format!("ab {text}{suffix}");
                assert_eq!(leading_int(line.as_bytes(), 3), (v, n), "{line}");
            }
        }
        assert_eq!(leading_int(b"0007 ", 0), (7, 4));
        for none in ["", " 1", "-", "/", ":", "a1"] {
            assert_eq!(leading_int(none.as_bytes(), 0).1, 0, "{none:?}");
        }
        assert_eq!(leading_int(b"12/", 0), (12, 2));
        assert_eq!(leading_int(b"99999999999999999999", 0).1, 20);
        assert!(same(b"OK", b"OK") && !same(b"OK", b"OKK") && !same(b"OK", b"ok"));
        let at = |s: &str| ipv4_at(s.as_bytes(), 0).map(|(a, e)| (a.to_string(), e));
        assert_eq!(at("10.0.0.1 x"), Some(("10.0.0.1".into(), 8)));
        assert_eq!(at("255.255.255.255"), Some(("255.255.255.255".into(), 15)));
        assert_eq!(at("0.10.100.9"), Some(("0.10.100.9".into(), 10)));
        for bad in [
            "256.0.0.1",
            "01.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "1.2.3.4:",
            "1..2.3",
            "1.2.3.1000",
            "::1",
            "1.2.3.00",
            "",
            "1.2.3.4x",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn ipv4_at_agrees_with_std(s in "[0-9.]{0,18}") {
            let std = s.parse::<std::net::Ipv4Addr>().ok();
            prop_assert_eq!(ipv4_at(s.as_bytes(), 0).map(|(a, _)| a), std);
            let spaced = format!("{s} 1");
            prop_assert_eq!(ipv4_at(spaced.as_bytes(), 0), std.map(|a| (a, s.len())));
        }
    }

    #[test]
    fn repeated_header_of_an_all_text_schema() {
        let s = Schema::from_names(&["account-id", "interface-id"], false).unwrap();
        assert!(!agree(&s, b"account-id interface-id"));
        assert!(agree(&s, b"account-id eni-1"));
    }

    pub(in crate::flowlogs) fn schemas() -> Vec<Schema> {
        let mut v = vec![
            Schema::default_format(),
            Schema::from_names(
                &[
                    "version",
                    "vpc-id",
                    "srcaddr",
                    "pkt-dstaddr",
                    "type",
                    "tcp-flags",
                    "flow-direction",
                    "new-field",
                    "start",
                ],
                false,
            )
            .unwrap(),
            Schema::from_names(&["srcport"], false).unwrap(),
        ];
        v.push(Schema::from_names(&["action", "protocol", "log-status"], false).unwrap());
        v
    }

    /// Values, good and bad, that columns of any kind might hold.
    pub(in crate::flowlogs) fn token() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("-".to_string()),
            Just("ACCEPT".to_string()),
            Just("REJECT".to_string()),
            Just("OK".to_string()),
            Just("NODATA".to_string()),
            Just("IPv6".to_string()),
            Just("egress".to_string()),
            Just("1.2.3.4".to_string()),
            Just("2001:db8::1".to_string()),
            Just("::ffff:1.2.3.4".to_string()),
            (0u64..=70000).prop_map(|v| v.to_string()),
            any::<u64>().prop_map(|v| v.to_string()),
            "[0-9]{18,21}",
            "[0-9a-fA-F:.]{1,20}",
            "[a-z0-9-]{1,12}",
            "[ -~]{0,6}",
            "\\PC{0,4}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn fast_path_agrees_with_general_path(which in 0usize..4, tokens in proptest::collection::vec(token(), 0..16), sep in prop_oneof![Just(" "), Just(" "), Just(" "), Just("  "), Just("\t")]) {
            let schema = &schemas()[which];
            let line = tokens.join(sep);
            agree(schema, line.as_bytes());
        }

        #[test]
        fn arbitrary_bytes_agree(which in 0usize..4, bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            agree(&schemas()[which], &bytes);
        }

        #[test]
        fn good_generated_records_take_the_fast_path(
            version in 2u64..9, account in "[0-9]{12}", eni in "eni-[0-9a-f]{17}",
            src in any::<std::net::IpAddr>(), dst in any::<std::net::Ipv4Addr>(),
            sport in any::<u16>(), dport in any::<u16>(), proto in any::<u8>(),
            packets in 0..10_000_000_000_000_000_000u64, bytes in any::<u32>(), start in any::<u32>(), dur in 0u32..120,
            reject in any::<bool>(), status in 0usize..3,
        ) {
            let status = ["OK", "NODATA", "SKIPDATA"][status];
            let line = format!(
                "{version} {account} {eni} {src} {dst} {sport} {dport} {proto} {packets} {bytes} {start} {} {} {status}",
                u64::from(start) + u64::from(dur),
                if reject { "REJECT" } else { "ACCEPT" },
            );
            prop_assert!(agree(&Schema::default_format(), line.as_bytes()), "{}", line);
        }
    }
}
