//! Pure line parsing (no I/O): lexical checks of a raw line, then splitting
//! on single spaces and typing every field by the schema. Never panics; every
//! problem is a [`LineError`] naming the field and the value.

use memchr::memchr3;

use super::addr::parse_addr;
use super::error::{ErrorKind, LineError};
use super::fields::FieldKind;
use super::record::{Slot, Value};
use super::schema::Schema;

/// Longest accepted line in bytes. Records are below 1 KiB even with every
/// field; 64 KiB leaves room for long ARNs and caps memory on hostile input.
pub const MAX_LINE: usize = 65536;

/// Longest value quoted in an error message.
const MAX_QUOTED: usize = 64;

/// Lexical checks of one raw line (without its `\n`): NUL, CR, tab, UTF-8,
/// blank. Returns the line as text.
pub fn check_line(bytes: &[u8], line: u64) -> Result<&str, LineError> {
    let at = Some(line);
    if bytes.len() > MAX_LINE {
        return Err(LineError::new(
            ErrorKind::LineTooLong,
            at,
            format!("line longer than {MAX_LINE} bytes"),
        ));
    }
    if memchr3(0, b'\r', b'\t', bytes).is_some() {
        if bytes.contains(&0) {
            return Err(LineError::new(ErrorKind::Binary, at, "NUL byte"));
        }
        if bytes.contains(&b'\r') {
            return Err(LineError::new(
                ErrorKind::Crlf,
                at,
                "carriage return (CRLF line ending?)",
            ));
        }
        return Err(LineError::new(ErrorKind::Tab, at, "tab character"));
    }
    let text = simdutf8::basic::from_utf8(bytes)
        .map_err(|_| LineError::new(ErrorKind::InvalidUtf8, at, "invalid UTF-8"))?;
    if text.is_empty() {
        return Err(LineError::new(ErrorKind::BlankLine, at, "blank line"));
    }
    Ok(text)
}

/// Splits `text` on single spaces into `slots` and types each field by
/// `schema`. On error `slots` holds garbage.
pub fn parse_record(
    schema: &Schema,
    text: &str,
    line: u64,
    slots: &mut Vec<Slot>,
) -> Result<(), LineError> {
    slots.clear();
    let bytes = text.as_bytes();
    let columns = schema.columns();
    let want = columns.len();
    let mut count = 0usize;
    let mut start = 0usize;
    let mut empty = false;
    // Fields are typed while splitting (one pass over the line); the first
    // typing error is kept and reported only if the line has the right shape,
    // so structure errors win, as they do in the oracle.
    let mut bad: Option<(usize, ErrorKind, &'static str)> = None;
    let mut field = |end: usize| {
        empty |= end == start;
        if let Some(column) = columns.get(count) {
            let value = if bad.is_some() {
                Value::Absent
            } else {
                match type_value(column.kind, text.get(start..end).unwrap_or_default()) {
                    Ok(v) => v,
                    Err((kind, why)) => {
                        bad = Some((count, kind, why));
                        Value::Absent
                    }
                }
            };
            slots.push(Slot {
                start: start as u32,
                end: end as u32,
                value,
            });
        }
        count += 1;
        start = end + 1;
    };
    for_each_space(bytes, &mut field);
    field(bytes.len());
    let at = Some(line);
    if empty {
        return Err(LineError::new(
            ErrorKind::EmptyField,
            at,
            "empty field (consecutive, leading or trailing space)",
        ));
    }
    if count != want {
        return Err(LineError::new(
            ErrorKind::FieldCount,
            at,
            field_count_detail(schema, text, want, count),
        ));
    }
    if text.len() == schema.header_line().len() && text == schema.header_line() {
        return Err(LineError::new(
            ErrorKind::RepeatedHeader,
            at,
            "header line repeated inside data",
        ));
    }
    match bad {
        None => Ok(()),
        Some((i, kind, why)) => {
            let value = slots.get(i).map_or("", |s| {
                text.get(s.start as usize..s.end as usize)
                    .unwrap_or_default()
            });
            let name = columns.get(i).map_or("?", |c| &*c.name);
            Err(LineError::new(
                kind,
                at,
                format!("field {name}: {why}: '{}'", quote(value)),
            ))
        }
    }
}

fn field_count_detail(schema: &Schema, text: &str, want: usize, got: usize) -> String {
    let mut s = format!("expected {want} fields, got {got}");
    if text
        .split(' ')
        .all(|t| super::fields::FieldId::from_name(t).is_some())
    {
        s.push_str(" (this line is a header of another format: files concatenated?)");
    } else if got > want && text.contains('#') {
        s.push_str(" (trailing comment?)");
    }
    let _ = schema;
    s
}

/// Types one value by its kind; `-` is absent for every kind.
#[inline]
pub fn type_value(kind: FieldKind, value: &str) -> Result<Value, (ErrorKind, &'static str)> {
    if value == "-" {
        return Ok(Value::Absent);
    }
    match kind {
        FieldKind::Text => Ok(Value::Text),
        FieldKind::Int | FieldKind::Time => parse_u64(value).map(Value::Int),
        FieldKind::Port => match parse_u64(value)? {
            v if v <= u64::from(u16::MAX) => Ok(Value::Int(v)),
            _ => Err((ErrorKind::OutOfRange, "port out of range")),
        },
        FieldKind::Protocol => match parse_u64(value)? {
            v if v <= u64::from(u8::MAX) => Ok(Value::Int(v)),
            _ => Err((ErrorKind::OutOfRange, "protocol out of range")),
        },
        FieldKind::Addr => parse_addr(value.as_bytes())
            .map(Value::Addr)
            .ok_or((ErrorKind::BadAddress, "not an IPv4 or IPv6 address")),
        FieldKind::Enum(allowed) => {
            if allowed.contains(&value) {
                Ok(Value::Text)
            } else {
                Err((ErrorKind::BadEnum, "unexpected value"))
            }
        }
    }
}

/// Unsigned base-10 integer: digits only (no sign, no `0x`, no `.`).
#[inline]
pub fn parse_u64(s: &str) -> Result<u64, (ErrorKind, &'static str)> {
    const NOT_UINT: (ErrorKind, &str) = (ErrorKind::BadInteger, "not an unsigned integer");
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(NOT_UINT);
    }
    if b.len() < 20 {
        // At most 19 digits: cannot overflow u64.
        let mut acc = 0u64;
        for d in b {
            let v = d.wrapping_sub(b'0');
            if v > 9 {
                return Err(NOT_UINT);
            }
            acc = acc * 10 + u64::from(v);
        }
        return Ok(acc);
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return Err(NOT_UINT);
    }
    b.iter()
        .try_fold(0u64, |acc, d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or((ErrorKind::OutOfRange, "integer out of range"))
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// Calls `f` with the index of every space in `bytes`, in order. Eight bytes
/// at a time: a record has ~14 short fields, where a vectorised search per
/// field costs more than it saves.
#[inline]
fn for_each_space(bytes: &[u8], f: &mut impl FnMut(usize)) {
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in chunks.by_ref() {
        let Some(word) = chunk.first_chunk::<8>() else {
            break;
        };
        let x = u64::from_le_bytes(*word) ^ (ONES * u64::from(b' '));
        // High bit set exactly in the bytes of `x` that are zero (spaces).
        let mut spaces = !(((x & LOWS) + LOWS) | x | LOWS);
        while spaces != 0 {
            f(base + (spaces.trailing_zeros() / 8) as usize);
            spaces &= spaces - 1;
        }
        base += 8;
    }
    for (i, b) in chunks.remainder().iter().enumerate() {
        if *b == b' ' {
            f(base + i);
        }
    }
}

fn quote(value: &str) -> String {
    let mut end = value.len().min(MAX_QUOTED);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    let mut s: String = value[..end].escape_debug().collect();
    if end < value.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flowlogs::fields::FieldId;

    const V2: &str = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";

    fn parse(line: &str) -> Result<Vec<Slot>, LineError> {
        let schema = Schema::default_format();
        let mut slots = Vec::new();
        parse_record(&schema, line, 7, &mut slots).map(|()| slots)
    }

    fn err(line: &str) -> (ErrorKind, String) {
        let e = parse(line).unwrap_err();
        assert_eq!(e.line, Some(7));
        (e.kind, e.detail)
    }

    #[test]
    fn parses_a_default_record() {
        let slots = parse(V2).unwrap();
        assert_eq!(slots.len(), 14);
        assert_eq!(slots[0].value, Value::Int(2));
        assert_eq!(
            slots[3].value,
            Value::Addr("172.31.16.139".parse().unwrap())
        );
        assert_eq!(slots[5].value, Value::Int(20641));
        assert_eq!(slots[12].value, Value::Text);
        assert_eq!(&V2[slots[13].start as usize..slots[13].end as usize], "OK");
    }

    #[test]
    fn dash_is_absent_for_every_kind() {
        let line = "2 123456789010 eni-1 - - - - - - - 1418530010 1418530070 - NODATA";
        let slots = parse(line).unwrap();
        assert!(slots[3..10].iter().all(|s| s.value == Value::Absent));
        assert_eq!(slots[12].value, Value::Absent);
    }

    #[test]
    fn field_errors_name_field_and_value() {
        let (k, d) = err(&V2.replace(" 20641 ", " http "));
        assert_eq!(k, ErrorKind::BadInteger);
        assert_eq!(d, "field srcport: not an unsigned integer: 'http'");
        assert_eq!(err(&V2.replace(" 4249 ", " -20 ")).0, ErrorKind::BadInteger);
        assert_eq!(
            err(&V2.replace(" 4249 ", " 0x1099 ")).0,
            ErrorKind::BadInteger
        );
        assert_eq!(
            err(&V2.replace(" 4249 ", " 4249.0 ")).0,
            ErrorKind::BadInteger
        );
        assert_eq!(
            err(&V2.replace(" 4249 ", " +4249 ")).0,
            ErrorKind::BadInteger
        );
        assert_eq!(err(&V2.replace(" 22 ", " 70000 ")).0, ErrorKind::OutOfRange);
        assert_eq!(
            err(&V2.replace(" 6 20 ", " 256 20 ")).0,
            ErrorKind::OutOfRange
        );
        assert_eq!(
            err(&V2.replace(" 4249 ", " 99999999999999999999 ")).0,
            ErrorKind::OutOfRange
        );
        assert_eq!(err(&V2.replace("ACCEPT", "ALLOW")).0, ErrorKind::BadEnum);
        assert_eq!(err(&V2.replace(" OK", " ok")).0, ErrorKind::BadEnum);
        assert_eq!(
            err(&V2.replace("172.31.16.139", "172.31.16.1399")).0,
            ErrorKind::BadAddress
        );
    }

    #[test]
    fn space_scan_finds_every_space() {
        for len in 0..40 {
            for mask in [
                0u64,
                1,
                0b1010_0101,
                u64::MAX,
                0x8000_0001_0000_0001,
                0x0123_4567_89ab_cdef,
            ] {
                let bytes: Vec<u8> = (0..len)
                    .map(|i| {
                        if mask >> (i % 64) & 1 == 1 {
                            b' '
                        } else {
                            b'a' + (i % 26) as u8
                        }
                    })
                    .collect();
                let mut got = Vec::new();
                for_each_space(&bytes, &mut |i| got.push(i));
                let want: Vec<usize> = (0..len).filter(|i| bytes[*i] == b' ').collect();
                assert_eq!(got, want);
            }
        }
        let mut got = Vec::new();
        for_each_space("é \u{a0}x ".as_bytes(), &mut |i| got.push(i));
        assert_eq!(got, vec![2, 6]);
    }

    #[test]
    fn u64_edges() {
        assert_eq!(parse_u64("18446744073709551615"), Ok(u64::MAX));
        assert!(parse_u64("18446744073709551616").is_err());
        assert_eq!(parse_u64("0007"), Ok(7));
        assert!(parse_u64("").is_err());
        assert!(parse_u64("１").is_err());
    }

    #[test]
    fn structure_errors() {
        assert_eq!(err(&V2[..V2.rfind(' ').unwrap()]).0, ErrorKind::FieldCount);
        let (k, d) = err(&format!("{V2} extra"));
        assert_eq!(
            (k, d.as_str()),
            (ErrorKind::FieldCount, "expected 14 fields, got 15")
        );
        assert_eq!(err(&V2.replacen(' ', "  ", 1)).0, ErrorKind::EmptyField);
        assert_eq!(err(&format!(" {V2}")).0, ErrorKind::EmptyField);
        assert_eq!(err(&format!("{V2} ")).0, ErrorKind::EmptyField);
        assert_eq!(
            err(Schema::default_format().header_line()).0,
            ErrorKind::RepeatedHeader
        );
        assert_eq!(err("").0, ErrorKind::EmptyField);
    }

    #[test]
    fn lexical_checks() {
        let kind = |b: &[u8]| check_line(b, 1).unwrap_err().kind;
        assert_eq!(kind(b"a\0b\r"), ErrorKind::Binary);
        assert_eq!(kind(b"a b\r"), ErrorKind::Crlf);
        assert_eq!(kind(b"a\tb"), ErrorKind::Tab);
        assert_eq!(kind(b"a \xff\xfe b"), ErrorKind::InvalidUtf8);
        assert_eq!(kind(b""), ErrorKind::BlankLine);
        assert_eq!(kind(&vec![b'a'; MAX_LINE + 1]), ErrorKind::LineTooLong);
        assert_eq!(check_line("a б".as_bytes(), 1).unwrap(), "a б");
    }

    #[test]
    fn long_values_are_quoted_briefly() {
        let long = "x".repeat(1000);
        let (_, d) = err(&V2.replace(" 20641 ", &format!(" {long} ")));
        assert!(d.len() < 120, "{d}");
        let _ = FieldId::Srcport;
    }
}
