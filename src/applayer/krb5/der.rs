//! A minimal DER reader for Kerberos messages, pure and bounded: one
//! tag-length-value at a time, definite lengths only (DER forbids the
//! indefinite form), lengths up to 4 bytes, low tag numbers (< 31, which
//! covers every Kerberos tag). Nothing recurses on its own: the message
//! decoder walks the fixed Kerberos structure, so depth is bounded by it.

/// ASN.1 tag classes.
pub const UNIVERSAL: u8 = 0;
/// `[APPLICATION n]`.
pub const APPLICATION: u8 = 1;
/// `[n]` (context-specific).
pub const CONTEXT: u8 = 2;

/// Why a TLV could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DerError {
    /// The bytes end before the header or value does.
    Incomplete,
    /// Not valid DER (indefinite or oversized length, high tag number).
    Invalid,
}

/// One tag-length-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// Class (`UNIVERSAL`, `APPLICATION`, `CONTEXT`, 3 private).
    pub class: u8,
    /// Constructed (holds TLVs) or primitive.
    pub constructed: bool,
    /// Tag number.
    pub tag: u8,
    /// The value bytes.
    pub value: &'a [u8],
}

/// Reads the header of the first TLV: `(class, constructed, tag, header
/// length, value length)`.
pub fn header(buf: &[u8]) -> Result<(u8, bool, u8, usize, usize), DerError> {
    let &id = buf.first().ok_or(DerError::Incomplete)?;
    let (class, constructed, tag) = (id >> 6, id & 0x20 != 0, id & 0x1f);
    if tag == 0x1f {
        return Err(DerError::Invalid);
    }
    let &l = buf.get(1).ok_or(DerError::Incomplete)?;
    if l < 0x80 {
        return Ok((class, constructed, tag, 2, usize::from(l)));
    }
    let n = usize::from(l & 0x7f);
    if n == 0 || n > 4 {
        return Err(DerError::Invalid);
    }
    let bytes = buf.get(2..2 + n).ok_or(DerError::Incomplete)?;
    let len = bytes.iter().fold(0usize, |a, b| a << 8 | usize::from(*b));
    Ok((class, constructed, tag, 2 + n, len))
}

/// Reads the first TLV of `buf`; returns it and the bytes after it.
pub fn tlv(buf: &[u8]) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let (class, constructed, tag, hlen, len) = header(buf)?;
    let end = hlen.checked_add(len).ok_or(DerError::Invalid)?;
    let value = buf.get(hlen..end).ok_or(DerError::Incomplete)?;
    Ok((
        Tlv {
            class,
            constructed,
            tag,
            value,
        },
        &buf[end..],
    ))
}

/// Reads a TLV that must have this class and tag.
pub fn expect(buf: &[u8], class: u8, tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, rest) = tlv(buf).ok()?;
    (t.class == class && t.tag == tag).then_some((t.value, rest))
}

/// The items of a SEQUENCE's value, in order (stops at the first bad one).
pub fn items(mut value: &[u8]) -> impl Iterator<Item = Tlv<'_>> {
    std::iter::from_fn(move || {
        let (t, rest) = tlv(value).ok()?;
        value = rest;
        Some(t)
    })
}

/// The fields of a SEQUENCE of `[n]`-tagged fields, by tag number
/// (`fields[n]` is the explicit field's inner value bytes).
pub fn fields(seq: &[u8]) -> [Option<&[u8]>; 16] {
    let mut out = [None; 16];
    for t in items(seq) {
        if t.class == CONTEXT && usize::from(t.tag) < out.len() {
            out[usize::from(t.tag)] = Some(t.value);
        }
    }
    out
}

/// An INTEGER (up to 8 bytes, two's complement) from an explicit field's
/// inner bytes.
pub fn integer(field: &[u8]) -> Option<i64> {
    int_of(&tlv(field).ok()?.0)
}

/// An INTEGER TLV's value (up to 8 bytes, two's complement).
pub fn int_of(t: &Tlv<'_>) -> Option<i64> {
    let v = t.value;
    if t.class != UNIVERSAL || t.tag != 2 || v.is_empty() || v.len() > 8 {
        return None;
    }
    let init = if v[0] & 0x80 != 0 { -1i64 } else { 0 };
    Some(v.iter().fold(init, |a, b| a << 8 | i64::from(*b)))
}

/// A SEQUENCE's value from an explicit field's inner bytes.
pub fn sequence(field: &[u8]) -> Option<&[u8]> {
    expect(field, UNIVERSAL, 16).map(|(v, _)| v)
}
