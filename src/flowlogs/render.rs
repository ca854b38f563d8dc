//! Writing records back: as text in the record's own format (byte for byte
//! what was read) or in any `${…}` format, and as one JSON object per record
//! with AWS field names as keys (integers for integer fields, strings
//! otherwise, `null` for `-`; `start`/`end` in seconds).

use std::sync::Arc;

use super::fields::{FieldId, FieldKind};
use super::layout::{SOURCE_FIELDS, SourceInfo};
use super::record::{Record, Value, normalise_time};
use super::schema::Schema;

/// One piece of an output format.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Field(FieldId),
    Source(&'static str),
    Other(String),
}

/// An output format such as `${srcaddr} ${dstaddr} ${bytes}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// Parses a `${name}` template; text between fields is copied. Names may
    /// be flow-log fields (absent ones render as `-`), source fields
    /// (`flow-log-id`, …) or other columns of the input.
    pub fn parse(format: &str) -> Self {
        let mut pieces = Vec::new();
        let mut rest = format;
        while let Some(i) = rest.find("${") {
            let Some(j) = rest[i..].find('}') else { break };
            if i > 0 {
                pieces.push(Piece::Literal(rest[..i].to_string()));
            }
            let name = &rest[i + 2..i + j];
            pieces.push(if let Some(id) = FieldId::from_name(name) {
                Piece::Field(id)
            } else if let Some(s) = SOURCE_FIELDS.iter().find(|s| **s == name) {
                Piece::Source(s)
            } else {
                Piece::Other(name.to_string())
            });
            rest = &rest[i + j + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Literal(rest.to_string()));
        }
        Self { pieces }
    }

    /// Appends `record` rendered in this format, and `\n`.
    pub fn render(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        for piece in &self.pieces {
            let text = match piece {
                Piece::Literal(s) => Some(s.as_bytes()),
                Piece::Field(id) => record.schema().position(*id).map(|i| record.bytes_at(i)),
                Piece::Source(name) => record.source().field(name).map(str::as_bytes),
                Piece::Other(name) => record
                    .schema()
                    .columns()
                    .iter()
                    .position(|c| &*c.name == name)
                    .map(|i| record.bytes_at(i)),
            };
            out.extend_from_slice(text.unwrap_or(b"-"));
        }
        out.push(b'\n');
    }
}

/// Appends `record` as written (CloudWatch export prefix included) and `\n`.
pub fn render_original(record: &Record<'_>, out: &mut Vec<u8>) {
    if let Some(p) = record.prefix() {
        out.extend_from_slice(p.as_bytes());
        out.push(b' ');
    }
    out.extend_from_slice(record.text);
    out.push(b'\n');
}

/// Writes records as JSON lines; caches the keys of the last schema.
#[derive(Debug, Default)]
pub struct JsonWriter {
    /// Add the source fields (`source-file`, `flow-log-id`, …) known for a record.
    pub source_fields: bool,
    cached: Option<JsonLayout>,
    /// Scratch space of the fast path (allocated on first use, then reused).
    scratch: Vec<u8>,
    /// Records [`JsonWriter::write_at`] cannot write in place go here first.
    spill: Vec<u8>,
}

/// Longest key prefix (`,"name":`) the fast path copies in one move.
const KEY: usize = 32;
/// Longest value the fast path copies in 16-byte moves; longer go by `copy_from_slice`.
const MOVE: usize = 16;
/// Records of at most this many bytes (and columns) take the fast path.
const FAST_TEXT: usize = 1024;
const FAST_COLUMNS: usize = 64;
/// Scratch size: keys, the text, quotes, `null`s, and room for over-copy.
const SCRATCH: usize = FAST_COLUMNS * (KEY + 2 + 4) + FAST_TEXT + 64 + MOVE;
/// Room [`JsonWriter::write_at`] needs after the written bytes to write a
/// record in place (a record and its `}\n`, with the fast path's over-copy),
/// and the room of the fused path (`fastjson`, 4 KiB and a move).
pub const JSON_ROOM: usize = if SCRATCH + 2 > 4096 + 64 {
    SCRATCH + 2
} else {
    4096 + 64
};

/// Per-schema precomputation: the schema, each column's `"key":` (with its
/// leading `{` or `,`), and which columns are times.
#[derive(Debug)]
struct JsonLayout {
    schema: Arc<Schema>,
    keys: Vec<Vec<u8>>,
    times: Vec<bool>,
    /// The keys padded to [`KEY`] bytes with their lengths, when all fit.
    padded: Option<Vec<([u8; KEY], usize)>>,
}

impl JsonLayout {
    fn new(schema: &Arc<Schema>) -> Self {
        let keys: Vec<Vec<u8>> = schema
            .columns()
            .iter()
            .enumerate()
            .map(|(i, c)| json_key(i, &c.name))
            .collect();
        let padded =
            (keys.len() <= FAST_COLUMNS && keys.iter().all(|k| k.len() <= KEY)).then(|| {
                keys.iter()
                    .map(|k| {
                        let mut p = [0u8; KEY];
                        p[..k.len()].copy_from_slice(k);
                        (p, k.len())
                    })
                    .collect()
            });
        let times = schema
            .columns()
            .iter()
            .map(|c| c.kind == FieldKind::Time)
            .collect();
        Self {
            schema: Arc::clone(schema),
            keys,
            times,
            padded,
        }
    }
}

impl JsonWriter {
    /// A writer, with or without source fields.
    pub fn new(source_fields: bool) -> Self {
        Self {
            source_fields,
            cached: None,
            scratch: Vec::new(),
            spill: Vec::new(),
        }
    }

    /// The layout of `schema` (kept until the schema changes).
    fn layout(&mut self, schema: &Arc<Schema>) -> &JsonLayout {
        if self
            .cached
            .as_ref()
            .is_none_or(|l| !Arc::ptr_eq(&l.schema, schema))
        {
            self.cached = Some(JsonLayout::new(schema));
        }
        self.cached.get_or_insert_with(|| JsonLayout::new(schema))
    }

    /// Writes `record` as one JSON object and `\n` at `block[*used..]` and
    /// advances `*used`; `block.len()` is the room, `*used` the bytes
    /// written so far (the caller truncates `block` to `*used` before
    /// handing it on). A record that takes the fast path is written in
    /// place when [`JSON_ROOM`] bytes are left (no intermediate copy);
    /// others go through [`JsonWriter::write`] and `block` grows
    /// (zero-filled) as needed. The bytes are those of [`JsonWriter::write`].
    pub fn write_at(&mut self, record: &Record<'_>, block: &mut Vec<u8>, used: &mut usize) {
        let source_fields = self.source_fields;
        let layout = self.layout(record.schema);
        let text = record.text;
        if let Some(keys) = &layout.padded
            && !source_fields
            && text.len() <= FAST_TEXT
            && keys.len() == record.slots.len()
            && block.len().saturating_sub(*used) >= JSON_ROOM
            && plain(text)
        {
            let at = *used;
            let n = write_fast(record, keys, &layout.times, &mut block[at..]);
            block[at + n..at + n + 2].copy_from_slice(b"}\n");
            *used = at + n + 2;
            return;
        }
        let mut spill = std::mem::take(&mut self.spill);
        spill.clear();
        self.write(record, &mut spill);
        let end = *used + spill.len();
        if block.len() < end {
            block.resize(end, 0);
        }
        block[*used..end].copy_from_slice(&spill);
        *used = end;
        self.spill = spill;
    }

    /// Appends `record` as one JSON object and `\n`.
    pub fn write(&mut self, record: &Record<'_>, out: &mut Vec<u8>) {
        self.layout(record.schema);
        let Some(layout) = &self.cached else {
            return;
        };
        let text = record.text;
        let fast = match &layout.padded {
            Some(keys)
                if text.len() <= FAST_TEXT && keys.len() == record.slots.len() && plain(text) =>
            {
                if self.scratch.len() < SCRATCH {
                    self.scratch.resize(SCRATCH, 0);
                }
                let n = write_fast(record, keys, &layout.times, &mut self.scratch);
                out.extend_from_slice(&self.scratch[..n]);
                true
            }
            _ => false,
        };
        if !fast {
            write_general(record, layout, out);
        }
        if self.source_fields {
            write_source_fields(record.source(), out);
        }
        out.extend_from_slice(b"}\n");
    }
}

/// Appends the source fields known in `source` as JSON members, each after
/// a comma (what [`JsonWriter`] writes after a record's fields when source
/// fields are asked for).
pub fn write_source_fields(source: &SourceInfo, out: &mut Vec<u8>) {
    for name in SOURCE_FIELDS {
        if let Some(v) = source.field(name) {
            out.push(b',');
            write_str(name, out);
            out.push(b':');
            write_str(v, out);
        }
    }
}

/// True if `text` needs no JSON escape (no `"`, `\\`, control byte).
/// Without early exit, so that it compiles to vector code.
#[inline]
fn plain(text: &[u8]) -> bool {
    !text.iter().fold(false, |bad, &b| {
        bad | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

/// The fields of `record` without the closing `}`, into `buf` (at least
/// [`SCRATCH`] bytes) by fixed-size moves; returns the length written.
/// The record's text is [`plain`] and at most [`FAST_TEXT`] bytes.
#[inline]
fn write_fast(
    record: &Record<'_>,
    keys: &[([u8; KEY], usize)],
    times: &[bool],
    buf: &mut [u8],
) -> usize {
    let text = record.text;
    let mut n = 0;
    let mut num = itoa::Buffer::new();
    for (i, (slot, (key, key_len))) in record.slots.iter().zip(keys).enumerate() {
        buf[n..n + KEY].copy_from_slice(key);
        n += key_len;
        let (start, end) = (slot.start as usize, slot.end as usize);
        match slot.value {
            Value::Absent => {
                buf[n..n + 4].copy_from_slice(b"null");
                n += 4;
            }
            Value::Int(v) => {
                let time = times.get(i).copied().unwrap_or(false);
                // The text is the integer's decimal form unless it has
                // leading zeros or is a millisecond time.
                if (end - start == 1 || text[start] != b'0') && !(time && normalise_time(v) != v) {
                    n = copy(text, start, end, buf, n);
                } else {
                    let v = if time { normalise_time(v) } else { v };
                    let s = num.format(v).as_bytes();
                    buf[n..n + s.len()].copy_from_slice(s);
                    n += s.len();
                }
            }
            Value::Addr(_) | Value::Text => {
                buf[n] = b'"';
                n = copy(text, start, end, buf, n + 1);
                buf[n] = b'"';
                n += 1;
            }
        }
    }
    n
}

/// Copies `text[start..end]` to `buf[n..]` and returns the new length: one
/// 16-byte move for short values when `text` has 16 bytes from `start`.
#[inline]
fn copy(text: &[u8], start: usize, end: usize, buf: &mut [u8], n: usize) -> usize {
    let len = end - start;
    match text.get(start..start + MOVE) {
        Some(chunk) if len <= MOVE => buf[n..n + MOVE].copy_from_slice(chunk),
        _ => buf[n..n + len].copy_from_slice(&text[start..end]),
    }
    n + len
}

/// The key of column `index` as the JSON of a record writes it: `{"name":`
/// for the first column, `,"name":` for the others.
pub(super) fn json_key(index: usize, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(name.len() + 4);
    k.push(if index == 0 { b'{' } else { b',' });
    write_str(name, &mut k);
    k.push(b':');
    k
}

/// The fields of `record` without the closing `}`, for any text.
fn write_general(record: &Record<'_>, layout: &JsonLayout, out: &mut Vec<u8>) {
    let mut buf = itoa::Buffer::new();
    for (i, slot) in record.slots.iter().enumerate() {
        out.extend_from_slice(&layout.keys[i]);
        match slot.value {
            Value::Absent => out.extend_from_slice(b"null"),
            Value::Int(v) => {
                let v = if layout.times[i] {
                    normalise_time(v)
                } else {
                    v
                };
                out.extend_from_slice(buf.format(v).as_bytes());
            }
            Value::Addr(_) | Value::Text => write_str(record.text_at(i), out),
        }
    }
}

/// Appends `s` as a JSON string.
fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    if bytes
        .iter()
        .all(|b| *b >= 0x20 && *b != b'"' && *b != b'\\')
    {
        out.extend_from_slice(bytes);
    } else {
        for &b in bytes {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                b if b < 0x20 => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 15)]);
                }
                b => out.push(b),
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flowlogs::text::{ReadOptions, TextReader};
    use std::path::PathBuf;

    fn with_record(input: &str, f: impl FnOnce(&Record<'_>)) {
        let mut r = TextReader::new(
            Arc::from(PathBuf::from(
                "AWSLogs/1/vpcflowlogs/r/2026/01/02/1_vpcflowlogs_r_fl-1_20260102T0000Z_a.log",
            )),
            input.as_bytes(),
            false,
            &ReadOptions::default(),
        );
        f(&r.next_record().unwrap().unwrap());
    }

    const LINE: &str = "2 1 eni-1 10.0.0.1 - 1 2 6 3 4 1512564058000 1512564059 ACCEPT OK";

    #[test]
    fn json_types_values() {
        with_record(LINE, |rec| {
            let mut out = Vec::new();
            JsonWriter::new(false).write(rec, &mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                "{\"version\":2,\"account-id\":\"1\",\"interface-id\":\"eni-1\",\"srcaddr\":\"10.0.0.1\",\"dstaddr\":null,\"srcport\":1,\"dstport\":2,\"protocol\":6,\"packets\":3,\"bytes\":4,\"start\":1512564058,\"end\":1512564059,\"action\":\"ACCEPT\",\"log-status\":\"OK\"}\n"
            );
            let mut out = Vec::new();
            JsonWriter::new(true).write(rec, &mut out);
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v["flow-log-id"], "fl-1");
            assert_eq!(v["source-date"], "2026-01-02");
        });
    }

    /// `write_at` writes exactly what `write` writes, in place or not:
    /// fast-path records, records the general path takes (escapes, long
    /// text), source fields, and blocks too small to write in place.
    #[test]
    fn write_at_agrees_with_write() {
        let long = format!(
            "2 1 eni-{} 10.0.0.1 - 1 2 6 3 4 5 6 ACCEPT OK",
            "x".repeat(1500)
        );
        let inputs = [
            LINE.to_string(),
            "2 1 eni-\"q\\ - - - - - - - 5 6 - NODATA".to_string(),
            "2 0001 eni-é 2001:db8::1 ::ffff:1.2.3.4 0 65535 255 0 18446744073709551615 5 6 REJECT SKIPDATA".to_string(),
            long,
        ];
        for source_fields in [false, true] {
            for room in [0, 10, JSON_ROOM - 1, JSON_ROOM, 3 * JSON_ROOM] {
                for input in &inputs {
                    with_record(input, |rec| {
                        let mut want = b"head".to_vec();
                        let mut w = JsonWriter::new(source_fields);
                        w.write(rec, &mut want);
                        w.write(rec, &mut want);
                        let mut block = vec![0u8; 4 + room];
                        block[..4].copy_from_slice(b"head");
                        let mut used = 4;
                        let mut w = JsonWriter::new(source_fields);
                        w.write_at(rec, &mut block, &mut used);
                        w.write_at(rec, &mut block, &mut used);
                        block.truncate(used);
                        assert_eq!(
                            String::from_utf8_lossy(&block),
                            String::from_utf8_lossy(&want),
                            "{input} room {room}"
                        );
                    });
                }
            }
        }
    }

    #[test]
    fn json_escapes() {
        let mut out = Vec::new();
        write_str("a\"b\\c\u{1}é", &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"b\\\\c\\u0001é\"");
    }

    #[test]
    fn templates() {
        with_record(LINE, |rec| {
            let mut out = Vec::new();
            Template::parse("${srcaddr}->${dstaddr} ${vpc-id} ${flow-log-id} ${nope} ${start}")
                .render(rec, &mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                "10.0.0.1->- - fl-1 - 1512564058000\n"
            );
            let mut out = Vec::new();
            render_original(rec, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), format!("{LINE}\n"));
        });
    }
}
