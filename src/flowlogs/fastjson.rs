//! The fused fast path of `--json`: one pass over a well-formed line that
//! splits, checks and types every field and writes the record's JSON as it
//! goes, without typed slots in between, driven by a [`JsonPlan`] built from
//! any schema. Lines it does not take go through the typed path
//! ([`super::fast::Plan`] or the general path) and
//! [`super::render::JsonWriter`].
//!
//! Guarantee: [`JsonPlan::write`] (and [`JsonPlan::write_lines`], for each
//! line of a run) writes a line only when the general path
//! ([`super::parse::check_line`] then [`super::parse::parse_record`]) accepts
//! it, and then writes exactly the bytes [`super::render::JsonWriter::write`]
//! (without source fields) writes for that record. Everything else — errors,
//! but also good lines with `"` or `\` in a value, non-ASCII text or
//! integers of 20 digits — returns `None`. Unit tests, a property test and
//! the fuzz target `flowlog_line` check this.

use super::addr::parse_addr;
use super::fast::leading_int;
use super::fields::{FieldKind, MILLIS_THRESHOLD};
use super::layout::SourceInfo;
use super::render::{JSON_ROOM, json_key, write_source_fields};
use super::schema::Schema;

/// Fields are looked for within this many bytes of the line's start (a
/// record with every field of version 8 is under 600 bytes): a line taken
/// is shorter than `FAST_TEXT + 8`.
const FAST_TEXT: usize = 1024;
/// Most columns taken.
const FAST_COLUMNS: usize = 64;
/// Longest key (`,"name":`) taken; each key is copied in one move of this
/// size.
const KEY: usize = 32;
/// Values are copied in moves of this size.
const MOVE: usize = 32;
/// Offsets into a line's window are taken modulo this power of two (a
/// no-op: they never pass `FAST_TEXT + 16`), so that the compiler sees every
/// load in bounds and checks none.
const TEXT_SPAN: usize = 2048;
/// A line's window: the line, its `\n` and what follows (the next lines, or
/// [`FILL`] bytes in [`JsonPlan::write`]'s copy), so that word loads and
/// value moves past the line's end need no bounds of their own.
const PAD: usize = TEXT_SPAN + MOVE;
/// Output offsets are taken modulo this power of two (a no-op: a record
/// written here is under [`OUT_LIMIT`] bytes, which `write` checks before
/// handing it out).
const OUT_SPAN: usize = 4096;
/// Most bytes a record written here can take: every key (over-copied to
/// [`KEY`]), the text, two quotes or `null` per value, the last move's
/// over-copy and `}\n`.
const OUT_LIMIT: usize = FAST_COLUMNS * (KEY + 4) + FAST_TEXT + 8 + MOVE + 2;
const _: () = assert!(FAST_TEXT + 8 + 16 < TEXT_SPAN && OUT_LIMIT < OUT_SPAN);
/// The room `write` needs: the span and one move past it.
const ROOM: usize = OUT_SPAN + MOVE;
const _: () = assert!(ROOM <= JSON_ROOM);

/// What follows the line and its `\n` in [`JsonPlan::write`]'s copy
/// (before the `\n` is put in, the text check runs over whole 32-byte
/// chunks): printable and above a space.
const FILL: u8 = b'~';

/// How one column is checked and written.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// Unsigned decimal of at most `digits` digits, and not above `bound`
    /// (its decimal form, read as a big-endian word) when it has exactly
    /// `digits`; `time`: values above [`MILLIS_THRESHOLD`] are milliseconds
    /// and written in seconds.
    Int {
        digits: usize,
        bound: u64,
        time: bool,
    },
    /// IPv4 or IPv6 address, written as a string.
    Addr,
    /// One of the listed values, written as a string; each value up to 16
    /// bytes as a zero-padded little-endian word (unused slots: 0, which no
    /// field is).
    Enum([u128; MAX_ENUM]),
    /// Printable ASCII, written as a string.
    Text,
}

/// Most values of an enumeration compared as words (AWS has at most 3).
const MAX_ENUM: usize = 4;

#[derive(Clone, Debug)]
struct Column {
    key: [u8; KEY],
    key_len: usize,
    op: Op,
    /// The kind code ([`INT`] … [`TEXT`]) of the column.
    kind: u8,
}

// Kind codes: `column::<K>` is compiled for one kind, or for [`ANY`] (it
// then reads the column's `op`).
const ANY: u8 = 0;
const INT: u8 = 1;
const TIME: u8 = 2;
const PORT: u8 = 3;
const PROTOCOL: u8 = 4;
const ADDR: u8 = 5;
const ENUM: u8 = 6;
const TEXT: u8 = 7;

/// `65535` and `255` as [`Op::Int`]'s `bound` words.
const PORT_BOUND: u64 = u64::from_be_bytes([0, 0, 0, b'6', b'5', b'5', b'3', b'5']);
const PROTOCOL_BOUND: u64 = u64::from_be_bytes([0, 0, 0, 0, 0, b'2', b'5', b'5']);

/// The kinds of AWS's default format (version 2): a schema of these kinds
/// (whatever its names) is written by straight-line code, one call per
/// column compiled for its kind.
const DEFAULT_KINDS: [u8; 14] = [
    INT, TEXT, TEXT, ADDR, ADDR, PORT, PORT, PROTOCOL, INT, INT, TIME, TIME, ENUM, ENUM,
];

/// The compiled form of a schema for the fused JSON path.
#[derive(Clone, Debug)]
pub struct JsonPlan {
    /// `None` when the schema has too many columns or too long a key.
    columns: Option<Box<[Column]>>,
    /// The columns have the [`DEFAULT_KINDS`].
    default_kinds: bool,
    header: Box<[u8]>,
    buf: Box<[u8; PAD]>,
    /// Where [`JsonPlan::count_lines`] lets the out-of-line integer path
    /// write (the rest of the record is not written).
    scratch: Box<[u8; ROOM]>,
    /// [`FAST_TEXT`], as a value ([`field_end`] says why).
    fast_text: usize,
    /// What ends each record: `}\n`, or the source fields and `}\n`
    /// ([`JsonPlan::with_source`]).
    ending: Box<[u8]>,
}

impl JsonPlan {
    /// The plan of `schema`.
    pub fn new(schema: &Schema) -> Self {
        let columns: Option<Box<[Column]>> = schema
            .columns()
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let k = json_key(i, &c.name);
                let mut key = [0u8; KEY];
                key.get_mut(..k.len())?.copy_from_slice(&k);
                let (op, kind) = match c.kind {
                    FieldKind::Int => (int_op(u64::MAX, false), INT),
                    FieldKind::Time => (int_op(u64::MAX, true), TIME),
                    FieldKind::Port => (int_op(u64::from(u16::MAX), false), PORT),
                    FieldKind::Protocol => (int_op(u64::from(u8::MAX), false), PROTOCOL),
                    FieldKind::Addr => (Op::Addr, ADDR),
                    FieldKind::Enum(allowed) => (enum_op(allowed)?, ENUM),
                    FieldKind::Text => (Op::Text, TEXT),
                };
                Some(Column {
                    key,
                    key_len: k.len(),
                    op,
                    kind,
                })
            })
            .collect();
        let columns = columns.filter(|c| !c.is_empty() && c.len() <= FAST_COLUMNS);
        let default_kinds = columns
            .as_deref()
            .is_some_and(|c| c.iter().map(|c| c.kind).eq(DEFAULT_KINDS));
        Self {
            columns,
            default_kinds,
            header: schema.header_line().as_bytes().into(),
            buf: Box::new([0; PAD]),
            scratch: Box::new([0; ROOM]),
            fast_text: FAST_TEXT,
            ending: (*b"}\n").into(),
        }
    }

    /// The plan writing the source fields of `source` after each record's
    /// fields, as [`super::render::JsonWriter`] does with source fields
    /// asked for (the lines of one stream share their source).
    pub fn with_source(mut self, source: &SourceInfo) -> Self {
        let mut ending = Vec::new();
        write_source_fields(source, &mut ending);
        ending.extend_from_slice(b"}\n");
        self.ending = ending.into();
        self
    }

    /// True if the plan writes source fields ([`JsonPlan::with_source`]).
    pub fn writes_source(&self) -> bool {
        self.ending.len() > 2
    }

    /// Writes `line` (without its `\n`) as one JSON object and `\n` at the
    /// start of `out` and returns the length written; `None` (and `out`
    /// holds garbage) when the line is not one this path takes or `out` is
    /// shorter than [`JSON_ROOM`]. The line is copied into a padded buffer
    /// first: [`JsonPlan::write_lines`] reads lines where they lie instead.
    /// Not inlined: the caller's state stays out of its registers.
    #[inline(never)]
    pub fn write(&mut self, line: &[u8], out: &mut [u8]) -> Option<usize> {
        let columns = self.columns.as_deref()?;
        let room: &mut [u8; ROOM] = out.get_mut(..ROOM)?.try_into().ok()?;
        let buf = padded(&mut self.buf, &self.header, line)?;
        let (end, n) = record::<true>(columns, self.default_kinds, self.fast_text, buf, room)?;
        if end != line.len() {
            return None;
        }
        end_record(&self.ending, out, n)
    }

    /// Writes the records of the lines at the start of `text` as JSON at
    /// `out[*used..]`, one after another, while `*used` is below `limit`,
    /// and returns how many bytes of `text` (whole lines and their `\n`) and
    /// how many lines it took. It stops at the first line this path does
    /// not take, at a line that does not end (with its `\n`) within the
    /// first `plain` bytes of `text`, which must have passed
    /// [`plain_prefix`], and where fewer than [`PAD`] bytes of `text` are
    /// left from a line's start ([`JsonPlan::write`] takes such lines one by
    /// one). Each line is written exactly as [`JsonPlan::write`] writes it.
    #[inline(never)]
    pub fn write_lines(
        &mut self,
        text: &[u8],
        plain: usize,
        out: &mut [u8],
        used: &mut usize,
        limit: usize,
    ) -> (usize, u64) {
        self.run::<true>(text, plain, out, used, limit)
    }

    /// Counts the lines at the start of `text` that [`JsonPlan::write_lines`]
    /// would write, with the same checks and stops (without a `limit`), and
    /// returns how many bytes and lines they take; nothing is written: the
    /// count-only mode.
    #[inline(never)]
    pub fn count_lines(&mut self, text: &[u8], plain: usize) -> (usize, u64) {
        self.run::<false>(text, plain, &mut [], &mut 0, usize::MAX)
    }

    /// [`JsonPlan::write_lines`] (`W`), or [`JsonPlan::count_lines`]: the
    /// records are then checked into the scratch block and `out` is unused.
    #[inline(always)]
    fn run<const W: bool>(
        &mut self,
        text: &[u8],
        plain: usize,
        out: &mut [u8],
        used: &mut usize,
        limit: usize,
    ) -> (usize, u64) {
        let Self {
            columns,
            default_kinds,
            header,
            scratch,
            fast_text,
            ending,
            ..
        } = self;
        let Some(columns) = columns.as_deref() else {
            return (0, 0);
        };
        let (mut at, mut lines, mut o) = (0, 0, *used);
        while o < limit {
            let Some(win) = text.get(at..at + PAD).and_then(|w| w.try_into().ok()) else {
                break;
            };
            let room: &mut [u8; ROOM] = if W {
                match out.get_mut(o..o + ROOM).and_then(|r| r.try_into().ok()) {
                    Some(room) => room,
                    None => break,
                }
            } else {
                scratch
            };
            let Some((end, n)) = record::<W>(columns, *default_kinds, *fast_text, win, room) else {
                break;
            };
            if at + end >= plain || (end == header.len() && win.get(..end) == Some(&header[..])) {
                break;
            }
            if W {
                match end_record(ending, out.get_mut(o..).unwrap_or_default(), n) {
                    Some(n) => o += n,
                    None => break,
                }
            }
            at += end + 1;
            lines += 1;
        }
        *used = o;
        (at, lines)
    }

    /// True if [`JsonPlan::write`] would write `line`; nothing is written.
    #[inline(never)]
    pub fn takes(&mut self, line: &[u8]) -> bool {
        let Self {
            columns,
            default_kinds,
            header,
            buf,
            scratch,
            fast_text,
            ..
        } = self;
        let Some(columns) = columns.as_deref() else {
            return false;
        };
        let Some(buf) = padded(buf, header, line) else {
            return false;
        };
        let taken = record::<false>(columns, *default_kinds, *fast_text, buf, scratch);
        taken.is_some_and(|(end, _)| end == line.len())
    }
}

/// Ends the record of `n` bytes (its `}\n` included) written at the start
/// of `out` with `ending` in place of its `}\n`: the record's new length,
/// or `None` when `out` has no room for it.
#[inline(always)]
fn end_record(ending: &[u8], out: &mut [u8], n: usize) -> Option<usize> {
    if ending.len() == 2 {
        return Some(n);
    }
    let at = n - 2;
    out.get_mut(at..at + ending.len())?.copy_from_slice(ending);
    Some(at + ending.len())
}

/// `line` copied into `buf` with its `\n` and [`FILL`] bytes after it, or
/// `None` if it is too long, the header line, or not plain ([`plain`]).
#[inline(always)]
fn padded<'a>(buf: &'a mut [u8; PAD], header: &[u8], line: &[u8]) -> Option<&'a [u8; PAD]> {
    let len = line.len();
    if len > FAST_TEXT || line == header {
        return None;
    }
    buf.get_mut(..len)?.copy_from_slice(line);
    buf.get_mut(len..len + MOVE)?.fill(FILL);
    if !plain(buf.get(..len.next_multiple_of(MOVE))?) {
        return None;
    }
    // The line's end, as it is where lines are read in place.
    buf[len] = b'\n';
    Some(buf)
}

/// Checks and writes the line at the start of `win` (the line, its `\n`
/// and at least [`MOVE`] more bytes): the position of its `\n` and the
/// length written at the start of `out`, or `None` when the line is not one
/// this path takes. The line's bytes must be plain ([`plain`]); the `\n`
/// is found as the end of the last field. Not inlined: the callers' state
/// stays out of its registers.
#[inline(never)]
fn record<const W: bool>(
    columns: &[Column],
    default_kinds: bool,
    limit: usize,
    win: &[u8; PAD],
    out: &mut [u8; ROOM],
) -> Option<(usize, usize)> {
    if default_kinds {
        let c: &[Column; 14] = columns.try_into().ok()?;
        let at = (0, 0);
        let at = next::<{ DEFAULT_KINDS[0] }, W>(&c[0], win, limit, at, out)?;
        let at = next::<{ DEFAULT_KINDS[1] }, W>(&c[1], win, limit, at, out)?;
        let at = next::<{ DEFAULT_KINDS[2] }, W>(&c[2], win, limit, at, out)?;
        let at = next::<{ DEFAULT_KINDS[3] }, W>(&c[3], win, limit, at, out)?;
        let at = next::<{ DEFAULT_KINDS[4] }, W>(&c[4], win, limit, at, out)?;
        let at = next::<{ DEFAULT_KINDS[5] }, W>(&c[5], win, limit, at, out)?;
        let at = next::<{ DEFAULT_KINDS[6] }, W>(&c[6], win, limit, at, out)?;
        let at = next::<{ DEFAULT_KINDS[7] }, W>(&c[7], win, limit, at, out)?;
        let at = next::<{ DEFAULT_KINDS[8] }, W>(&c[8], win, limit, at, out)?;
        let at = next::<{ DEFAULT_KINDS[9] }, W>(&c[9], win, limit, at, out)?;
        let at = next::<{ DEFAULT_KINDS[10] }, W>(&c[10], win, limit, at, out)?;
        let at = next::<{ DEFAULT_KINDS[11] }, W>(&c[11], win, limit, at, out)?;
        let at = next::<{ DEFAULT_KINDS[12] }, W>(&c[12], win, limit, at, out)?;
        let (end, o) = column::<{ DEFAULT_KINDS[13] }, W>(&c[13], win, limit, at.0, out, at.1)?;
        return finish::<W>(win, end, o, out);
    }
    let (last, body) = columns.split_last()?;
    let (mut pos, mut o) = (0usize, 0usize);
    for col in body {
        (pos, o) = next::<ANY, W>(col, win, limit, (pos, o), out)?;
    }
    let (end, o) = column::<ANY, W>(last, win, limit, pos, out, o)?;
    finish::<W>(win, end, o, out)
}

/// [`column`] for a field followed by another: the next field's start and
/// the new length.
#[inline(always)]
fn next<const K: u8, const W: bool>(
    col: &Column,
    win: &[u8; PAD],
    limit: usize,
    (pos, o): (usize, usize),
    out: &mut [u8; ROOM],
) -> Option<(usize, usize)> {
    let (end, o) = column::<K, W>(col, win, limit, pos, out, o)?;
    // A space follows every field but the last, which ends the line.
    (win[end % TEXT_SPAN] == b' ').then_some((end + 1, o))
}

/// Ends a record whose last field ended at `end`, which must be the line's
/// `\n`: `}\n`; the position of the `\n` and the length.
#[inline(always)]
fn finish<const W: bool>(
    win: &[u8; PAD],
    end: usize,
    o: usize,
    out: &mut [u8; ROOM],
) -> Option<(usize, usize)> {
    if win[end % TEXT_SPAN] != b'\n' || (W && o > OUT_LIMIT - 2) {
        return None;
    }
    if W {
        out[span(o)..span(o) + 2].copy_from_slice(b"}\n");
    }
    Some((end, o + 2))
}

/// Checks the field of `col` at `win[pos..]` and writes its key and value
/// at `out[o..]`: the field's end (the space or `\n` after it) and the new
/// length, or `None` when the line is not one this path takes.
#[inline(always)]
fn column<const K: u8, const W: bool>(
    col: &Column,
    win: &[u8; PAD],
    limit: usize,
    pos: usize,
    out: &mut [u8; ROOM],
    o: usize,
) -> Option<(usize, usize)> {
    if W {
        out[span(o)..span(o) + KEY].copy_from_slice(&col.key);
    }
    let o = o + col.key_len;
    let end = field_end(win, pos, limit)?;
    let n = end - pos;
    let w = word(win, pos);
    if n == 0 {
        return None;
    }
    if n == 1 && w & 0xff == u64::from(b'-') {
        if W {
            out[span(o)..span(o) + 4].copy_from_slice(b"null");
        }
        return Some((end, o + 4));
    }
    let op = match K {
        INT => Op::Int {
            digits: 19,
            bound: u64::MAX,
            time: false,
        },
        TIME => Op::Int {
            digits: 19,
            bound: u64::MAX,
            time: true,
        },
        PORT => Op::Int {
            digits: 5,
            bound: PORT_BOUND,
            time: false,
        },
        PROTOCOL => Op::Int {
            digits: 3,
            bound: PROTOCOL_BOUND,
            time: false,
        },
        ADDR => Op::Addr,
        TEXT => Op::Text,
        ENUM => match col.op {
            Op::Enum(values) => Op::Enum(values),
            _ => return None,
        },
        _ => col.op,
    };
    let quoted = match op {
        Op::Int {
            digits,
            bound,
            time,
        } => {
            // Decimal digits, within the bound, written as read (no
            // leading zero, not a millisecond time); anything else is
            // settled out of line.
            let plain = if n <= 8 {
                all_digits(w, n) && (n < digits || (n == digits && big_endian(w, n) <= bound))
            } else {
                n <= 16 && n < digits && all_digits(w, 8) && all_digits(word(win, pos + 8), n - 8)
            };
            if !plain || (n > 1 && w & 0xff == u64::from(b'0')) || (time && n > 11) {
                let o = int_other(win, pos, n, digits, bound, time, out, o)?;
                return Some((end, o));
            }
            false
        }
        Op::Addr => {
            if !ipv4(win, pos, end) && !addr_other(win, pos, end) {
                return None;
            }
            true
        }
        Op::Enum(values) => {
            if n > 16 {
                return None;
            }
            // Equal words are equal values: the text has no NUL byte, so
            // a value and a field of other lengths differ where the shorter
            // one's zero padding starts.
            let field = (u128::from(w) | u128::from(word(win, pos + 8)) << 64)
                & (u128::MAX >> (128 - 8 * n));
            if !values.iter().fold(false, |any, &v| any | (v == field)) {
                return None;
            }
            true
        }
        Op::Text => true,
    };
    let q = usize::from(quoted);
    if !W {
        return Some((end, o + q + n + q));
    }
    out[span(o)] = b'"';
    let o = o + q;
    if n <= MOVE {
        let p = pos % TEXT_SPAN;
        out[span(o)..span(o) + MOVE].copy_from_slice(&win[p..p + MOVE]);
    } else {
        out.get_mut(o..o + n)?.copy_from_slice(win.get(pos..end)?);
    }
    let o = o + n;
    out[span(o)] = b'"';
    Some((end, o + q))
}

/// An integer field the inline checks did not settle (long, at its bound,
/// leading zeros, a millisecond time, or not an integer): checked, then
/// written at `out[o..]`; the new length.
#[cold]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn int_other(
    buf: &[u8; PAD],
    pos: usize,
    n: usize,
    digits: usize,
    bound: u64,
    time: bool,
    out: &mut [u8; ROOM],
    o: usize,
) -> Option<usize> {
    let (v, d) = leading_int(buf.get(..TEXT_SPAN)?, pos);
    // At 19 digits the bound is u64::MAX, which no value passes.
    if d != n || n > digits || (n == digits && n <= 8 && big_endian(word(buf, pos), n) > bound) {
        return None;
    }
    let millis = time && v > MILLIS_THRESHOLD;
    if millis || (n > 1 && buf.get(pos) == Some(&b'0')) {
        let v = if millis { v / 1000 } else { v };
        let mut num = itoa::Buffer::new();
        let s = num.format(v).as_bytes();
        out.get_mut(o..o + s.len())?.copy_from_slice(s);
        Some(o + s.len())
    } else {
        out.get_mut(o..o + n)?
            .copy_from_slice(buf.get(pos..pos + n)?);
        Some(o + n)
    }
}

/// True if the `n` bytes at `win[pos..]` are an IPv6 address by the rules
/// of `std` without an embedded IPv4 part: 1–4 hexadecimal digits per
/// group, 8 groups, or at most 7 with one `::` (which may start or end the
/// address). Checked as bit masks of the colons and digits (up to 39 bytes:
/// five words); forms it does not take go to [`addr_other`].
#[inline(always)]
fn ipv6(win: &[u8; PAD], pos: usize, n: usize) -> bool {
    if !(2..=39).contains(&n) {
        return false;
    }
    let (mut colons, mut hex) = (0u64, 0u64);
    for k in 0..5 {
        let w = word(win, pos + 8 * k);
        colons |= gather(!nonzero_bytes(w ^ bytes(b':'))) << (8 * k);
        hex |= gather(hex_bytes(w)) << (8 * k);
    }
    let all = u64::MAX >> (64 - n);
    let (c, h) = (colons & all, hex & all);
    // `::` at bit i: colons at i and i + 1.
    let gap = c & (c >> 1);
    let last = 1u64 << (n - 1);
    (c | h) == all
        // At most one `::`, and no `:::`.
        && gap & gap.wrapping_sub(1) == 0
        // A colon first or last only as part of a `::`.
        && (c & 1 == 0 || gap & 1 != 0)
        && (c & last == 0 || gap & (last >> 1) != 0)
        // No group of more than 4 digits.
        && h & (h >> 1) & (h >> 2) & (h >> 3) & (h >> 4) == 0
        && {
            let groups = (h & !(h << 1)).count_ones();
            if gap == 0 { groups == 8 } else { groups <= 7 }
        }
}

/// `b` in every byte of a word.
#[inline(always)]
const fn bytes(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// The high bit of each byte of `x` set where the byte is not zero (exact:
/// no carry leaves a byte).
#[inline(always)]
fn nonzero_bytes(x: u64) -> u64 {
    (((x & bytes(0x7f)) + bytes(0x7f)) | x) & bytes(0x80)
}

/// The high bit of each byte of `w` set where the byte is a hexadecimal
/// digit (`0`–`9`, `a`–`f`, `A`–`F`).
#[inline(always)]
fn hex_bytes(w: u64) -> u64 {
    // Digits: `w ^ '0'` is at most 9; letters: `(w | 0x20) ^ 0x60` is 1–6.
    let d = w ^ bytes(b'0');
    let not_digit = ((d & bytes(0x7f)) + bytes(0x76)) | d;
    let l = (w | bytes(0x20)) ^ bytes(0x60);
    let above_f = ((l & bytes(0x7f)) + bytes(0x79)) | l;
    let letter = nonzero_bytes(l) & !above_f;
    (!not_digit | letter) & bytes(0x80)
}

/// The high bits of the bytes of `x` (only they may be set) as 8 bits, the
/// first byte's lowest.
#[inline(always)]
fn gather(x: u64) -> u64 {
    ((x & bytes(0x80)) >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// True if `buf[pos..end]` is an address other than a plain dotted quad:
/// IPv6 ([`ipv6`]), or what `std` takes besides (IPv4-mapped and other
/// forms with an embedded IPv4 part). Out of line: most addresses are
/// dotted quads, and the straight-line record code keeps its registers.
#[cold]
#[inline(never)]
fn addr_other(buf: &[u8; PAD], pos: usize, end: usize) -> bool {
    ipv6(buf, pos, end - pos) || buf.get(pos..end).and_then(parse_addr).is_some()
}

/// The integer column of values up to `max`.
fn int_op(max: u64, time: bool) -> Op {
    let text = max.to_string();
    let digits = text.len().min(19);
    Op::Int {
        digits,
        // A 19-digit value always fits a u64 (20-digit ones are refused).
        bound: if text.len() > 19 {
            u64::MAX
        } else {
            text.bytes().fold(0, |b, d| b << 8 | u64::from(d))
        },
        time,
    }
}

/// The enumerated column of `allowed`, or `None` (the column then keeps
/// the whole schema off this path) when it has too many or too long values.
fn enum_op(allowed: &'static [&'static str]) -> Option<Op> {
    let mut values = [0u128; MAX_ENUM];
    if allowed.len() > MAX_ENUM {
        return None;
    }
    for (slot, v) in values.iter_mut().zip(allowed) {
        let mut bytes = [0u8; 16];
        bytes.get_mut(..v.len())?.copy_from_slice(v.as_bytes());
        *slot = u128::from_le_bytes(bytes);
    }
    Some(Op::Enum(values))
}

/// `o` as an index of the output (unchanged below [`OUT_SPAN`]).
#[inline(always)]
fn span(o: usize) -> usize {
    o % OUT_SPAN
}

/// The eight bytes of `buf` at `pos` as a little-endian word.
#[inline(always)]
fn word(buf: &[u8; PAD], pos: usize) -> u64 {
    let p = pos % TEXT_SPAN;
    u64::from_le_bytes(buf[p..p + 8].try_into().unwrap_or([0; 8]))
}

/// The first `n` (1–8) bytes of `w`, the first one most significant:
/// decimal strings of one length compare as these numbers do.
#[inline(always)]
fn big_endian(w: u64, n: usize) -> u64 {
    w.swap_bytes() >> (64 - 8 * n)
}

/// True if the first `n` (1–8) bytes of `w` are decimal digits.
#[inline(always)]
fn all_digits(w: u64, n: usize) -> bool {
    const HI: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    const LO: u64 = 0x0f0f_0f0f_0f0f_0f0f;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let keep = u64::MAX >> (64 - 8 * n as u32);
    let bad = ((w & HI) ^ ZEROS) | ((w & LO).wrapping_add(0x0606_0606_0606_0606) & HI);
    bad & keep == 0
}

/// True if `buf[pos..end]` is a dotted-quad IPv4 address by the rules of
/// `std` (four decimal octets of 1–3 digits, at most 255, no leading zero).
#[inline(always)]
fn ipv4(buf: &[u8; PAD], mut pos: usize, end: usize) -> bool {
    for k in 0..4 {
        let w = word(buf, pos) as u32;
        let bad = ((w & 0xf0f0_f0f0) ^ 0x3030_3030)
            | ((w & 0x0f0f_0f0f).wrapping_add(0x0606_0606) & 0xf0f0_f0f0);
        let bad = ((bad & 0x7f7f_7f7f).wrapping_add(0x7f7f_7f7f) | bad) & 0x8080_8080;
        let n = (bad.trailing_zeros() / 8) as usize;
        if n == 0 || n > 3 || (n > 1 && w & 0xff == u32::from(b'0')) {
            return false;
        }
        // Three digits: not above "255" (same-length decimal strings
        // compare as their big-endian bytes).
        if n == 3 && (w & 0xff) << 16 | (w & 0xff00) | (w >> 16 & 0xff) > 0x32_35_35 {
            return false;
        }
        pos += n;
        let next = if pos < end {
            buf.get(pos).copied()
        } else {
            None
        };
        match (k, next) {
            (0..3, Some(b'.')) => pos += 1,
            (3, None) => return pos == end,
            _ => return false,
        }
    }
    false
}

/// The index of the first byte at or after `pos` that is a space or below
/// it (the `\n` that ends the line; in plain text ([`plain`]) nothing else
/// is below a space): the field's end; `None` when there is none before
/// `limit` ([`FAST_TEXT`], passed at run time: a bound the compiler knows
/// would let it drop the offsets' masks and then spend registers on
/// precomputed addresses).
#[inline(always)]
fn field_end(win: &[u8; PAD], pos: usize, limit: usize) -> Option<usize> {
    // Most fields end within 24 bytes: three words inline, no loop.
    if let Some(i) = ends_in(word(win, pos)) {
        return Some(pos + i);
    }
    if let Some(i) = ends_in(word(win, pos + 8)) {
        return Some(pos + 8 + i);
    }
    if let Some(i) = ends_in(word(win, pos + 16)) {
        return Some(pos + 16 + i);
    }
    long_field_end(win, pos + 24, limit)
}

/// [`field_end`] from `at` on, for fields of more than 24 bytes.
#[cold]
#[inline(never)]
fn long_field_end(win: &[u8; PAD], mut at: usize, limit: usize) -> Option<usize> {
    while at < limit {
        if let Some(i) = ends_in(word(win, at)) {
            return Some(at + i);
        }
        at += 8;
    }
    None
}

/// The index of the first byte below 0x21 in the little-endian word `x`.
#[inline(always)]
fn ends_in(x: u64) -> Option<usize> {
    // The lowest flagged byte is the first one below 0x21 (higher bytes may
    // be flagged wrongly by the borrow, never lower ones).
    let ends = x.wrapping_sub(bytes(b'!')) & !x & bytes(0x80);
    (ends != 0).then(|| (ends.trailing_zeros() / 8) as usize)
}

/// The length of the longest prefix of `text` in which every byte is plain
/// ([`plain`]) or `\n`: the text [`JsonPlan::write_lines`] may read lines
/// from. Checked 128 bytes at a time, each chunk without early exit so
/// that it compiles to vector code.
pub fn plain_prefix(text: &[u8]) -> usize {
    const CHUNK: usize = 128;
    let stops = |b: u8| not_plain(b) & (b != b'\n');
    let mut at = 0;
    for chunk in text.chunks_exact(CHUNK) {
        if chunk.iter().fold(0u8, |bad, &b| bad | u8::from(stops(b))) != 0 {
            break;
        }
        at += CHUNK;
    }
    let rest = text.get(at..).unwrap_or_default();
    at + rest.iter().position(|&b| stops(b)).unwrap_or(rest.len())
}

/// True if `b` is not plain: outside printable ASCII and the space, or a
/// byte JSON escapes (`"`, `\`). [`plain`] and [`plain_prefix`] check it.
#[inline(always)]
fn not_plain(b: u8) -> bool {
    !(0x20..=0x7e).contains(&b) | (b == b'"') | (b == b'\\')
}

/// True if every byte is printable ASCII or a space, and none needs a JSON
/// escape (`"`, `\`). `text` is whole [`MOVE`]-byte chunks (the line and
/// [`FILL`] bytes), checked a chunk at a time without early exit, so that it
/// compiles to vector code without a tail.
#[inline]
fn plain(text: &[u8]) -> bool {
    text.chunks_exact(MOVE).fold(0u8, |bad, chunk| {
        chunk
            .iter()
            .fold(bad, |bad, &b| bad | u8::from(not_plain(b)))
    }) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flowlogs::fast::tests::{V2, schemas, token, unusual_default_lines};
    use crate::flowlogs::layout::SourceInfo;
    use crate::flowlogs::parse::{check_line, parse_record};
    use crate::flowlogs::record::Record;
    use crate::flowlogs::render::JsonWriter;
    use proptest::prelude::*;
    use std::sync::Arc;

    /// What `JsonWriter::write` writes for `line` by the general path, or
    /// `None` where the general path rejects it.
    fn general(schema: &Arc<Schema>, line: &[u8]) -> Option<Vec<u8>> {
        general_from(schema, line, None)
    }

    /// [`general`], with the source fields of `source` if given.
    fn general_from(
        schema: &Arc<Schema>,
        line: &[u8],
        source: Option<&SourceInfo>,
    ) -> Option<Vec<u8>> {
        let text = check_line(line, 1).ok()?;
        let mut slots = Vec::new();
        parse_record(schema, text, 1, &mut slots).ok()?;
        let source_fields = source.is_some();
        let source = Arc::new(source.cloned().unwrap_or_default());
        let record = Record {
            schema,
            text: text.as_bytes(),
            slots: &slots,
            prefix: None,
            line: 1,
            source: &source,
        };
        let mut out = Vec::new();
        JsonWriter::new(source_fields).write(&record, &mut out);
        Some(out)
    }

    /// A source with every field set, the file's name needing escapes.
    fn full_source() -> SourceInfo {
        let path = std::path::Path::new(
            "tree/AWSLogs/123456789012/vpcflowlogs/eu-west-3/2026/01/02/\
             123456789012_vpcflowlogs_eu-west-3_fl-0123456789abcdef0_20260102T0305Z_0a1b2c3d.log.gz",
        );
        let mut source = SourceInfo::from_path(path);
        source.file = format!("{} \"quoted\" \\ é", source.file);
        source.log_group = Some("/aws/vpc/flow-logs".into());
        source.log_stream = Some("eni-0123456789abcdef0-all".into());
        source.hour = Some("03".into());
        source
    }

    #[test]
    fn source_fields_end_records_as_the_writer_writes_them() {
        let source = full_source();
        let all = crate::flowlogs::layout::SOURCE_FIELDS;
        assert!(all.iter().all(|name| source.field(name).is_some()));
        let mut taken = 0;
        for schema in schemas() {
            let schema = Arc::new(schema);
            let mut plan = JsonPlan::new(&schema).with_source(&source);
            assert!(plan.writes_source());
            let mut out = vec![0u8; JSON_ROOM];
            let lines = good_default_lines();
            for line in lines.iter().map(String::as_bytes) {
                let fused = plan.write(line, &mut out);
                if let Some(n) = fused {
                    taken += 1;
                    let want = general_from(&schema, line, Some(&source)).expect("general path");
                    assert_eq!(&out[..n], &want[..], "{}", String::from_utf8_lossy(line));
                }
            }
            // Too little room for the ending: not taken (the typed path
            // writes it, growing its block); taken with room.
            let long = SourceInfo {
                file: "k/".repeat(JSON_ROOM),
                ..SourceInfo::default()
            };
            let mut long_plan = JsonPlan::new(&schema).with_source(&long);
            if plan.write(V2.as_bytes(), &mut out).is_some() {
                assert_eq!(long_plan.write(V2.as_bytes(), &mut out), None);
                let mut big = vec![0u8; 3 * JSON_ROOM];
                let n = long_plan.write(V2.as_bytes(), &mut big).expect("room");
                let want = general_from(&schema, V2.as_bytes(), Some(&long)).expect("general");
                assert_eq!(&big[..n], &want[..]);
            }
            // Runs of lines end each record the same way.
            let mut text = format!("{V2}\n").repeat(50);
            text += &"~".repeat(PAD);
            let mut run = vec![0u8; 50 * 1024 + JSON_ROOM];
            let mut used = 0;
            let (_, lines) = plan.write_lines(
                text.as_bytes(),
                plain_prefix(text.as_bytes()),
                &mut run,
                &mut used,
                usize::MAX,
            );
            if lines > 0 {
                let one =
                    general_from(&schema, V2.as_bytes(), Some(&source)).expect("general path");
                assert_eq!(&run[..used], &one.repeat(lines as usize)[..]);
            }
        }
        assert!(taken > 10);
    }

    /// Asserts the fused path agrees with the general path on `line`;
    /// returns whether the fused path took it.
    fn agree(schema: &Schema, line: &[u8]) -> bool {
        let schema = Arc::new(schema.clone());
        let mut out = vec![0u8; JSON_ROOM];
        let mut plan = JsonPlan::new(&schema);
        let fused = plan.write(line, &mut out);
        assert_eq!(plan.takes(line), fused.is_some());
        if let Some(n) = fused {
            assert_eq!(
                Some(&out[..n]),
                general(&schema, line).as_deref(),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
        fused.is_some()
    }

    #[test]
    fn takes_good_default_records() {
        let s = Schema::default_format();
        for line in good_default_lines() {
            assert!(agree(&s, line.as_bytes()), "{line}");
        }
    }

    /// Default-format lines the fused path takes: `-`, NODATA, IPv6 and
    /// mapped addresses, bounds, leading zeros, millisecond times.
    fn good_default_lines() -> Vec<String> {
        vec![
            V2.to_string(),
            "2 123456789010 eni-1 - - - - - - - 1418530010 1418530070 - NODATA".to_string(),
            V2.replace("172.31.16.139", "2600:1f18:8d19:23::c52f"),
            V2.replace("172.31.16.139", "::ffff:10.0.0.1"),
            V2.replace("172.31.16.139", "0.0.0.0")
                .replace("172.31.16.21", "255.255.255.255"),
            V2.replace(" 22 ", " 0022 "),
            V2.replace(" 22 ", " 0 "),
            V2.replace(" 22 ", " 65535 ").replace(" 6 ", " 255 "),
            V2.replace(" 4249 ", " 1234567890123456789 "),
            V2.replace(" 4249 ", " 0000000000000000001 ")
                .replace(" 20 ", " 9999999999999999 "),
            V2.replace("1418530010", "1418530010123"),
            V2.replace("1418530010", "99999999999")
                .replace("1418530070", "100000000000"),
            V2.replace("ACCEPT OK", "REJECT SKIPDATA"),
        ]
    }

    #[test]
    fn leaves_errors_and_unusual_lines_to_the_other_paths() {
        let s = Schema::default_format();
        // The fast path's list, then bounds and addresses this path checks
        // its own way, and values that need a JSON escape.
        let own = [
            V2.replace(" 22 ", " 99999 "),
            V2.replace(" 22 ", " 100000 "),
            V2.replace(" 6 ", " 300 "),
            V2.replace("ACCEPT", "ACCEP"),
            V2.replace("172.31.16.139", "172.31.16.256"),
            V2.replace("172.31.16.139", "172.31.016.1"),
            V2.replace("172.31.16.139", "172.31.16."),
            V2.replace("172.31.16.139", "172.31.16.1.5"),
            V2.replace("eni-", "eni\""),
            V2.replace("eni-", "eni\\"),
        ];
        for line in unusual_default_lines(&s).into_iter().chain(own) {
            assert!(!agree(&s, line.as_bytes()), "{line:?}");
        }
    }

    #[test]
    fn kind_constants_are_the_ops_of_their_kinds() {
        for (max, time, digits, bound) in [
            (u64::from(u16::MAX), false, 5, PORT_BOUND),
            (u64::from(u8::MAX), false, 3, PROTOCOL_BOUND),
            (u64::MAX, false, 19, u64::MAX),
            (u64::MAX, true, 19, u64::MAX),
        ] {
            match int_op(max, time) {
                Op::Int {
                    digits: d,
                    bound: b,
                    time: t,
                } => assert_eq!((d, b, t), (digits, bound, time)),
                op => panic!("{op:?}"),
            }
        }
        assert!(JsonPlan::new(&Schema::default_format()).default_kinds);
        let names = [
            "version",
            "account-id",
            "interface-id",
            "srcaddr",
            "dstaddr",
            "srcport",
            "dstport",
            "protocol",
            "packets",
            "bytes",
            "start",
            "end",
            "action",
            "log-status",
            "vpc-id",
        ];
        assert!(!JsonPlan::new(&Schema::from_names(&names, false).unwrap()).default_kinds);
        // Same kinds, other names (e.g. a custom format of these kinds).
        let mut other = names[..14].to_vec();
        other.swap(8, 9);
        assert!(JsonPlan::new(&Schema::from_names(&other, false).unwrap()).default_kinds);
    }

    #[test]
    fn room_and_schema_limits() {
        let s = Arc::new(Schema::default_format());
        let mut plan = JsonPlan::new(&s);
        let mut short = vec![0u8; ROOM - 1];
        assert_eq!(plan.write(V2.as_bytes(), &mut short), None);
        let long = format!("{V2}{}", " x".repeat(600));
        let mut out = vec![0u8; JSON_ROOM];
        assert_eq!(plan.write(long.as_bytes(), &mut out), None);
        // A line that follows a longer one sees FILL bytes after its end.
        let names: Vec<String> = (0..3).map(|i| format!("f{i}")).collect();
        let s = Schema::from_names(&names, false).unwrap();
        let mut plan = JsonPlan::new(&Arc::new(s.clone()));
        assert!(
            plan.write(
                b"aaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb 1234567890",
                &mut out
            )
            .is_some()
        );
        assert!(agree(&s, b"a b c"));
    }

    /// What `write_lines` must give over `text`: the longest run of lines
    /// from its start that `write` takes one by one, each ending with `\n`
    /// within the plain prefix and with [`PAD`] bytes of `text` from its
    /// start, stopping at `limit`; their JSON and their bytes and count.
    fn lines_by_write(plan: &mut JsonPlan, text: &[u8], limit: usize) -> (Vec<u8>, usize, u64) {
        let plain = plain_prefix(text);
        let (mut json, mut at, mut lines) = (Vec::new(), 0, 0);
        let mut out = vec![0u8; JSON_ROOM];
        while json.len() < limit && text.len() - at >= PAD {
            let Some(nl) = text[at..].iter().position(|&b| b == b'\n') else {
                break;
            };
            if at + nl >= plain {
                break;
            }
            let Some(n) = plan.write(&text[at..at + nl], &mut out) else {
                break;
            };
            json.extend_from_slice(&out[..n]);
            at += nl + 1;
            lines += 1;
        }
        (json, at, lines)
    }

    /// Asserts `write_lines` over `text` agrees with [`lines_by_write`].
    fn lines_agree(schema: &Schema, text: &[u8], limit: usize) -> u64 {
        let mut plan = JsonPlan::new(&Arc::new(schema.clone()));
        let (want, want_at, want_lines) = lines_by_write(&mut plan, text, limit);
        let mut out = vec![0u8; want.len() + 2 * JSON_ROOM];
        let mut used = 0;
        let (at, lines) = plan.write_lines(text, plain_prefix(text), &mut out, &mut used, limit);
        assert_eq!((at, lines), (want_at, want_lines));
        assert_eq!(&out[..used], &want[..]);
        if limit == usize::MAX {
            // The count-only run takes the same lines.
            assert_eq!(plan.count_lines(text, plain_prefix(text)), (at, lines));
        }
        lines
    }

    /// `plain_prefix` by its definition, a byte at a time.
    fn plain_prefix_by_bytes(text: &[u8]) -> usize {
        text.iter()
            .position(|&b| b != b'\n' && !plain(&[b; MOVE]))
            .unwrap_or(text.len())
    }

    #[test]
    fn write_lines_takes_runs_of_lines_as_write_does() {
        let s = Schema::default_format();
        let good = format!("{V2}\n").repeat(40);
        let n = lines_agree(&s, good.as_bytes(), usize::MAX);
        // Every line but those that start in the last PAD bytes.
        let whole = (0..40).filter(|k| (40 - k) * (V2.len() + 1) >= PAD).count();
        assert_eq!(n, whole as u64);
        assert_eq!(lines_agree(&s, good.as_bytes(), 1), 1);
        for bad in unusual_default_lines(&s).into_iter().chain([
            Schema::default_format().header_line().to_string(),
            format!("{V2}\r"),
            format!("{V2} x"),
            "x".repeat(1100),
            V2.replace("eni-", "eni-\u{e9}"),
        ]) {
            let text = format!("{V2}\n{V2}\n{bad}\n{}", good);
            let n = lines_agree(&s, text.as_bytes(), usize::MAX);
            assert!(n >= 2, "{bad:?}");
        }
    }

    /// [`ipv6`] on `text`, in a window filled with [`FILL`] after it.
    fn ipv6_of(text: &str) -> bool {
        let mut win = [FILL; PAD];
        win[..text.len()].copy_from_slice(text.as_bytes());
        ipv6(&win, 0, text.len())
    }

    #[test]
    fn ipv6_takes_what_std_takes_without_ipv4_parts() {
        for good in [
            "::",
            "::1",
            "1::",
            "2600:1f18:8d19:23::c52f",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "0000:ABCD:ef01:0:0:0:0:FFFF",
        ] {
            assert!(ipv6_of(good), "{good}");
        }
        for bad in [
            ":",
            ":1",
            "1:",
            ":::",
            "1:::2",
            "1::2::3",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7",
            "1::2:3:4:5:6:7:8",
            "::ffff:1.2.3.4",
            "g::",
            "1:2:3:4:5:6:7:8::",
        ] {
            assert!(!ipv6_of(bad), "{bad}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn fused_path_agrees_with_general_path(which in 0usize..4, tokens in proptest::collection::vec(token(), 0..16), sep in prop_oneof![Just(" "), Just(" "), Just(" "), Just("  "), Just("\t")]) {
            let schema = &schemas()[which];
            agree(schema, tokens.join(sep).as_bytes());
        }

        #[test]
        fn write_lines_agrees_with_write(which in 0usize..4, lines in proptest::collection::vec(proptest::collection::vec(token(), 0..16), 1..40), limit in prop_oneof![1usize..20_000, Just(usize::MAX)]) {
            let mut text = lines.iter().map(|t| t.join(" ")).collect::<Vec<_>>().join("\n");
            text.push('\n');
            text += &"~".repeat(PAD);
            lines_agree(&schemas()[which], text.as_bytes(), limit);
        }

        #[test]
        fn plain_prefix_is_the_run_of_plain_bytes(mut bytes in proptest::collection::vec(32u8..127, 0..700), bad in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..3)) {
            for (at, b) in bad {
                if !bytes.is_empty() {
                    let i = at % bytes.len();
                    bytes[i] = b;
                }
            }
            prop_assert_eq!(plain_prefix(&bytes), plain_prefix_by_bytes(&bytes));
        }

        #[test]
        fn ipv6_agrees_with_std(
            text in prop_oneof![
                "[0-9a-fA-F:]{0,39}",
                proptest::collection::vec("[0-9a-fA-F]{0,5}", 0..11).prop_map(|g| g.join(":")),
            ],
            addr in any::<std::net::Ipv6Addr>(),
            full in any::<bool>(),
        ) {
            // Random text and groups: exactly what std takes (no IPv4 part).
            if text.len() <= 39 {
                prop_assert_eq!(ipv6_of(&text), text.parse::<std::net::Ipv6Addr>().is_ok(), "{}", text);
            }
            // Real addresses, compressed or as 8 groups with leading zeros.
            let text = if full {
                addr.segments().iter().map(|g| format!("{g:04X}")).collect::<Vec<_>>().join(":")
            } else {
                addr.to_string()
            };
            prop_assert_eq!(ipv6_of(&text), !text.contains('.'), "{}", text);
        }

        #[test]
        fn arbitrary_bytes_agree(which in 0usize..4, bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            agree(&schemas()[which], &bytes);
        }

        #[test]
        fn one_plan_over_many_lines_agrees(lines in proptest::collection::vec(proptest::collection::vec(token(), 14), 1..8)) {
            let schema = Arc::new(Schema::default_format());
            let mut plan = JsonPlan::new(&schema);
            let mut out = vec![0u8; JSON_ROOM];
            for tokens in lines {
                let line = tokens.join(" ");
                if let Some(n) = plan.write(line.as_bytes(), &mut out) {
                    let want = general(&schema, line.as_bytes());
                    prop_assert_eq!(Some(&out[..n]), want.as_deref());
                }
            }
        }

        #[test]
        fn good_generated_records_take_the_fused_path(
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
