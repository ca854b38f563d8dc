//! `content` and its modifiers (nocase, depth, offset, distance, within,
//! startswith, endswith, fast_pattern, rawbytes), `isdataat` and `bsize`.
//!
//! Suricata's semantics, which [`crate::detect::inspect`] applies:
//! `offset`/`depth` bound the search from the buffer start (depth counts
//! from the offset); `distance`/`within` from the end of the previous match
//! in the same buffer; `startswith` is depth = length at offset 0;
//! `endswith` requires the match to end at the buffer end; a negated
//! content matches when the pattern is absent from its window.

use memchr::memmem;

use super::Builder;
use crate::detect::rule::lexer::unquote;
use crate::detect::signature::{Step, Val};
use crate::detect::uint::Uint;

/// A content match.
#[derive(Debug, Clone)]
pub struct Content {
    /// The bytes to find.
    pub pattern: Vec<u8>,
    /// `nocase`: ASCII case-insensitive.
    pub nocase: bool,
    /// `content:!"…"`.
    pub negated: bool,
    /// `offset`.
    pub offset: Option<Val>,
    /// `depth` (counted from `offset`).
    pub depth: Option<Val>,
    /// `distance`.
    pub distance: Option<Val>,
    /// `within`.
    pub within: Option<Val>,
    /// `startswith`.
    pub startswith: bool,
    /// `endswith`.
    pub endswith: bool,
    /// `fast_pattern` was given on this content.
    pub fast_pattern: bool,
    /// `fast_pattern:offset,length`: the part of the pattern to prefilter on.
    pub fp_chop: Option<(usize, usize)>,
    finder: Option<memmem::Finder<'static>>,
    /// Lower-cased pattern for nocase search.
    folded: Vec<u8>,
}

impl Content {
    fn new(pattern: Vec<u8>, negated: bool) -> Self {
        Content {
            pattern,
            nocase: false,
            negated,
            offset: None,
            depth: None,
            distance: None,
            within: None,
            startswith: false,
            endswith: false,
            fast_pattern: false,
            fp_chop: None,
            finder: None,
            folded: Vec::new(),
        }
    }

    /// Prepares the searcher once every modifier is known.
    pub fn compile(&mut self) {
        if self.nocase {
            self.folded = self.pattern.to_ascii_lowercase();
            self.finder = None;
        } else {
            self.finder = Some(memmem::Finder::new(&self.pattern).into_owned());
        }
    }

    /// Whether the content is anchored on the previous match.
    pub fn is_relative(&self) -> bool {
        self.distance.is_some() || self.within.is_some()
    }

    /// The first position of the pattern in `hay`.
    #[inline]
    pub fn find(&self, hay: &[u8]) -> Option<usize> {
        let n = self.pattern.len();
        if n == 0 || hay.len() < n {
            return None;
        }
        if let Some(f) = &self.finder {
            return f.find(hay);
        }
        if !self.nocase {
            return memmem::find(hay, &self.pattern);
        }
        let first = self.folded[0];
        let upper = first.to_ascii_uppercase();
        let last_start = hay.len() - n;
        let mut i = 0;
        while i <= last_start {
            let next = if first == upper {
                memchr::memchr(first, &hay[i..=last_start])
            } else {
                memchr::memchr2(first, upper, &hay[i..=last_start])
            };
            let k = next?;
            let s = i + k;
            if hay[s..s + n].eq_ignore_ascii_case(&self.folded) {
                return Some(s);
            }
            i = s + 1;
        }
        None
    }
}

/// Decodes a content string: `|41 42|` hex runs, `\"` `\;` `\\` `\:`
/// escapes; anything else is literal.
pub fn decode(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    let mut hex = false;
    let mut nib: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        if hex {
            match c {
                b'|' => {
                    if nib.is_some() {
                        return Err("odd number of hex digits between `|`".into());
                    }
                    hex = false;
                }
                b' ' | b'\t' => {}
                _ => {
                    let d = (c as char)
                        .to_digit(16)
                        .ok_or_else(|| format!("`{}` is not a hex digit", c as char))?
                        as u8;
                    match nib.take() {
                        Some(h) => out.push(h << 4 | d),
                        None => nib = Some(d),
                    }
                }
            }
        } else {
            match c {
                b'|' => hex = true,
                b'\\' => {
                    let n = *b.get(i + 1).ok_or("content ends with a lone `\\`")?;
                    if !matches!(n, b'"' | b';' | b'\\' | b':') {
                        return Err(format!("invalid escape `\\{}`", n as char));
                    }
                    out.push(n);
                    i += 1;
                }
                b'"' => return Err("unescaped `\"` inside content".into()),
                b';' => return Err("unescaped `;` inside content".into()),
                _ => out.push(c),
            }
        }
        i += 1;
    }
    if hex {
        return Err("unterminated `|` hex section".into());
    }
    if out.is_empty() {
        return Err("empty content".into());
    }
    Ok(out)
}

fn need(v: Option<&str>) -> Result<&str, String> {
    v.filter(|s| !s.is_empty())
        .ok_or_else(|| "needs a value".into())
}

fn no_value(v: Option<&str>) -> Result<(), String> {
    match v {
        Some(x) if !x.is_empty() => Err(format!("takes no value (got `{x}`)")),
        _ => Ok(()),
    }
}

/// `content:[!]"…"`.
pub fn content(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let c = parse_content(v)?;
    let (l, s) = b.push_step(Step::Content(Box::new(c)));
    b.last_pm = Some((l, s));
    Ok(())
}

/// `[!]"pattern"` of a content keyword.
fn parse_content(v: Option<&str>) -> Result<Content, String> {
    let raw = need(v)?;
    let (negated, rest) = match raw.strip_prefix('!') {
        Some(r) => (true, r.trim_start()),
        None => (false, raw),
    };
    Ok(Content::new(decode(unquote(rest, true)?)?, negated))
}

/// `uricontent`: a content in the normalised HTTP URI (the current buffer
/// does not change).
pub fn uricontent(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let c = parse_content(v)?;
    let kind = super::buffers::BufferKind::App(super::app::AppBuf::HttpUri);
    b.push_step_to(kind, Step::Content(Box::new(c)));
    Ok(())
}

/// The content the modifier `name` applies to.
fn last<'b>(b: &'b mut Builder, name: &str) -> Result<&'b mut Content, String> {
    let (l, s) = b
        .last_pm
        .ok_or_else(|| format!("`{name}` needs a preceding content"))?;
    match b.list_mut(l).steps.get_mut(s) {
        Some(Step::Content(c)) => Ok(c),
        _ => Err(format!("`{name}` needs a preceding content")),
    }
}

/// `nocase`.
pub fn nocase(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    no_value(v)?;
    let c = last(b, name)?;
    if c.nocase {
        return Err("nocase given twice".into());
    }
    c.nocase = true;
    Ok(())
}

/// `rawbytes`: no effect on packets (Suricata ignores it too).
pub fn rawbytes(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    no_value(v)?;
    last(b, name).map(|_| ())
}

fn absolute_conflict(c: &Content, name: &str) -> Result<(), String> {
    if c.is_relative() {
        return Err(format!(
            "`{name}` cannot be mixed with distance/within on one content"
        ));
    }
    if c.startswith {
        return Err(format!("`{name}` cannot be mixed with startswith"));
    }
    Ok(())
}

fn relative_conflict(c: &Content, name: &str) -> Result<(), String> {
    if c.offset.is_some() || c.depth.is_some() {
        return Err(format!(
            "`{name}` cannot be mixed with depth/offset on one content"
        ));
    }
    if c.startswith {
        return Err(format!("`{name}` cannot be mixed with startswith"));
    }
    Ok(())
}

/// A literal depth/within must leave room for the whole content.
fn not_shorter(val: Val, c: &Content, name: &str) -> Result<(), String> {
    match val {
        Val::Lit(n) if (n as usize) < c.pattern.len() => Err(format!(
            "{name} {n} is smaller than the content ({} bytes)",
            c.pattern.len()
        )),
        _ => Ok(()),
    }
}

/// `depth:N|var`.
pub fn depth(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let val = b.val(need(v)?, 1, 65535)?;
    let c = last(b, name)?;
    absolute_conflict(c, name)?;
    if c.depth.is_some() {
        return Err("depth given twice".into());
    }
    not_shorter(val, c, name)?;
    c.depth = Some(val);
    Ok(())
}

/// `offset:N|var`.
pub fn offset(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let val = b.val(need(v)?, 0, 65535)?;
    let c = last(b, name)?;
    absolute_conflict(c, name)?;
    if c.offset.is_some() {
        return Err("offset given twice".into());
    }
    c.offset = Some(val);
    Ok(())
}

/// `distance:N|var` (may be negative).
pub fn distance(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let val = b.val(need(v)?, -65535, 65535)?;
    let c = last(b, name)?;
    relative_conflict(c, name)?;
    if c.distance.is_some() {
        return Err("distance given twice".into());
    }
    c.distance = Some(val);
    Ok(())
}

/// `within:N|var`.
pub fn within(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let val = b.val(need(v)?, 1, 65535)?;
    let c = last(b, name)?;
    relative_conflict(c, name)?;
    if c.within.is_some() {
        return Err("within given twice".into());
    }
    not_shorter(val, c, name)?;
    c.within = Some(val);
    Ok(())
}

/// `startswith`.
pub fn startswith(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    no_value(v)?;
    let c = last(b, name)?;
    if c.offset.is_some() || c.depth.is_some() || c.is_relative() {
        return Err("startswith cannot be mixed with depth/offset/distance/within".into());
    }
    c.startswith = true;
    Ok(())
}

/// `endswith`.
pub fn endswith(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    no_value(v)?;
    let c = last(b, name)?;
    c.endswith = true;
    Ok(())
}

/// `fast_pattern`, `fast_pattern:only`, `fast_pattern:offset,length`.
pub fn fast_pattern(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let (l, s) = b
        .last_pm
        .ok_or_else(|| format!("`{name}` needs a preceding content"))?;
    if b.fast_pattern.is_some() {
        return Err("fast_pattern given on more than one content".into());
    }
    if l == super::BASE64 {
        return Err("a `base64_data` content cannot be the fast pattern".into());
    }
    let c = last(b, name)?;
    match v.map(str::trim) {
        None | Some("") | Some("only") => {}
        Some(chop) => {
            let (o, n) = chop
                .split_once(',')
                .ok_or_else(|| format!("`{chop}`: expected `only` or `offset,length`"))?;
            let o: usize = o.trim().parse().map_err(|_| format!("bad offset `{o}`"))?;
            let n: usize = n.trim().parse().map_err(|_| format!("bad length `{n}`"))?;
            if n == 0 || o + n > c.pattern.len() {
                return Err(format!(
                    "chop {o},{n} lies outside the {}-byte content",
                    c.pattern.len()
                ));
            }
            c.fp_chop = Some((o, n));
        }
    }
    c.fast_pattern = true;
    b.fast_pattern = Some((l, s));
    Ok(())
}

/// A legacy modifier moving the previous content to an app-layer buffer.
pub fn unsupported_modifier(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    no_value(v)?;
    last(b, name).map(|_| ())
}

/// `isdataat:[!]N|var[,relative][,rawbytes]`.
pub fn isdataat(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = need(v)?;
    let mut parts = s.split(',').map(str::trim);
    let first = parts.next().unwrap_or("");
    let (negated, n) = match first.strip_prefix('!') {
        Some(r) => (true, r.trim()),
        None => (false, first),
    };
    let at = b.val(n, 0, 65535)?;
    let mut relative = false;
    for p in parts {
        match p {
            "relative" => relative = true,
            "rawbytes" => {}
            _ => return Err(format!("unknown option `{p}`")),
        }
    }
    b.push_step(Step::IsDataAt {
        at,
        relative,
        negated,
    });
    Ok(())
}

/// `bsize:<uint>`: the length of the current buffer.
pub fn bsize(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let u = Uint::parse(need(v)?, u64::MAX)?;
    b.push_step(Step::Bsize(u));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_hex_and_escapes() {
        assert_eq!(decode("A|42 43|D").unwrap(), b"ABCD");
        assert_eq!(decode("|0d0a|Host|3a 20|").unwrap(), b"\r\nHost: ");
        assert_eq!(decode(r#"a\"b\;c\\d\:e"#).unwrap(), b"a\"b;c\\d:e");
        assert!(decode("|4|").unwrap_err().contains("odd"));
        assert!(decode("|zz|").unwrap_err().contains("hex digit"));
        assert!(decode("|41").unwrap_err().contains("unterminated"));
        assert!(decode(r"\x").unwrap_err().contains("invalid escape"));
        assert!(decode("").unwrap_err().contains("empty"));
        assert!(decode("a;b").is_err());
    }

    #[test]
    fn find_exact_and_nocase() {
        let mut c = Content::new(b"HoSt".to_vec(), false);
        c.compile();
        assert_eq!(c.find(b"xx host HoSt"), Some(8));
        c.nocase = true;
        c.compile();
        assert_eq!(c.find(b"xx host HoSt"), Some(3));
        assert_eq!(c.find(b"hos"), None);
        let mut d = Content::new(b"1|".to_vec(), false);
        d.nocase = true;
        d.compile();
        assert_eq!(d.find(b"a1|"), Some(1));
    }
}
