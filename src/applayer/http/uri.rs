//! Request-target parsing and normalisation as libhtp 0.5 does for
//! Suricata 7 (personality IDS, Suricata's override: no lower-casing):
//! the normalised URI (`http.uri`) is path + `?query` + `#fragment`, where
//! the path is percent-decoded (`%HH` and `%uHHHH`, `%2f` and `%5c`
//! included; an invalid escape keeps its `%`), `\` becomes `/`, runs of
//! `/` collapse to one, UTF-8 sequences map to best-fit single bytes, and
//! dot segments are removed (RFC 3986 §5.2.4). The query stays as sent; the
//! fragment is percent-decoded. The raw URI (`http.uri.raw`) is the
//! request-line target untouched.

/// The parts of a request target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uri<'a> {
    /// Scheme of an absolute URI (`http`).
    pub scheme: Option<&'a [u8]>,
    /// Host of an absolute URI or an authority form (CONNECT).
    pub host: Option<&'a [u8]>,
    /// Port text after the host, if any.
    pub port: Option<&'a [u8]>,
    /// Path (absent for the authority form).
    pub path: Option<&'a [u8]>,
    /// Query, without its `?`.
    pub query: Option<&'a [u8]>,
    /// Fragment, without its `#`.
    pub fragment: Option<&'a [u8]>,
}

/// Splits a request target: origin form (`/p?q#f`), absolute form
/// (`http://h:p/p?q`), authority form (`h:p`, CONNECT) or `*`.
pub fn split(target: &[u8], connect: bool) -> Uri<'_> {
    let mut u = Uri::default();
    let mut rest = target;
    if connect {
        let (h, p) = host_port(rest);
        u.host = Some(h);
        u.port = p;
        return u;
    }
    if let Some(i) = find(rest, b"://")
        && i > 0
        && rest[..i]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(c))
    {
        u.scheme = Some(&rest[..i]);
        rest = &rest[i + 3..];
        let end = rest
            .iter()
            .position(|c| matches!(c, b'/' | b'?' | b'#'))
            .unwrap_or(rest.len());
        let mut auth = &rest[..end];
        if let Some(at) = auth.iter().rposition(|c| *c == b'@') {
            auth = &auth[at + 1..];
        }
        let (h, p) = host_port(auth);
        u.host = Some(h);
        u.port = p;
        rest = &rest[end..];
    }
    if let Some(i) = rest.iter().position(|c| *c == b'#') {
        u.fragment = Some(&rest[i + 1..]);
        rest = &rest[..i];
    }
    if let Some(i) = rest.iter().position(|c| *c == b'?') {
        u.query = Some(&rest[i + 1..]);
        rest = &rest[..i];
    }
    if !rest.is_empty() {
        u.path = Some(rest);
    }
    u
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// `host[:port]`, with `[v6]` hosts kept whole.
pub fn host_port(s: &[u8]) -> (&[u8], Option<&[u8]>) {
    if s.first() == Some(&b'[')
        && let Some(end) = s.iter().position(|c| *c == b']')
    {
        let port = s.get(end + 1..).and_then(|r| r.strip_prefix(b":"));
        return (&s[..=end], port);
    }
    match s.iter().rposition(|c| *c == b':') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// What decoding a path or fragment met (libhtp's flags, for events).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeFlags {
    /// An invalid `%` escape was kept as is.
    pub invalid_encoding: bool,
    /// A `%u` escape was decoded.
    pub u_encoding: bool,
    /// An encoded NUL.
    pub encoded_nul: bool,
    /// The decoded path still holds `%` escapes (double encoding).
    pub double_encoded: bool,
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Best-fit byte for a code point above 0xFF (libhtp's default map covers
/// the full-width ASCII block; everything else becomes `?`).
fn bestfit(cp: u32) -> u8 {
    match cp {
        0..=0xff => cp as u8,
        0xff01..=0xff5e => (cp - 0xff01 + 0x21) as u8,
        _ => b'?',
    }
}

/// Percent-decodes `s` into `out` (path rules when `path`: `%u` escapes,
/// backslashes to slashes).
pub fn decode(s: &[u8], path: bool, out: &mut Vec<u8>, flags: &mut DecodeFlags) {
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'%' {
            if path
                && matches!(s.get(i + 1), Some(b'u' | b'U'))
                && let Some(d) = s.get(i + 2..i + 6)
                && d.iter().all(|c| hex(*c).is_some())
            {
                let cp = d
                    .iter()
                    .fold(0u32, |a, c| a << 4 | hex(*c).unwrap_or(0) as u32);
                let b = bestfit(cp);
                flags.u_encoding = true;
                flags.encoded_nul |= b == 0;
                out.push(if path && b == b'\\' { b'/' } else { b });
                i += 6;
                continue;
            }
            if let (Some(h), Some(l)) = (
                s.get(i + 1).and_then(|c| hex(*c)),
                s.get(i + 2).and_then(|c| hex(*c)),
            ) {
                let b = h << 4 | l;
                flags.encoded_nul |= b == 0;
                out.push(if path && b == b'\\' { b'/' } else { b });
                i += 3;
                continue;
            }
            flags.invalid_encoding = true;
            out.push(b'%');
            i += 1;
            continue;
        }
        out.push(if path && c == b'\\' { b'/' } else { c });
        i += 1;
    }
}

/// Maps valid multi-byte UTF-8 sequences to best-fit bytes, in place; an
/// invalid sequence leaves the whole path as it was (libhtp).
fn utf8_bestfit(p: &mut Vec<u8>) {
    let Ok(s) = std::str::from_utf8(p) else {
        return;
    };
    if s.is_ascii() {
        return;
    }
    let mapped: Vec<u8> = s.chars().map(|c| bestfit(c as u32)).collect();
    *p = mapped;
}

/// Collapses runs of `/` and removes `.` and `..` segments, in place.
fn normalize_path(p: &mut Vec<u8>) {
    // Collapse separators.
    let mut w = Vec::with_capacity(p.len());
    for &c in p.iter() {
        if c == b'/' && w.last() == Some(&b'/') {
            continue;
        }
        w.push(c);
    }
    // RFC 3986 remove_dot_segments.
    let mut input: &[u8] = &w;
    let mut out: Vec<u8> = Vec::with_capacity(w.len());
    while !input.is_empty() {
        if let Some(r) = input.strip_prefix(b"../") {
            input = r;
        } else if let Some(r) = input.strip_prefix(b"./") {
            input = r;
        } else if input.starts_with(b"/./") {
            input = &input[2..];
        } else if input == b"/." {
            input = b"/";
        } else if input.starts_with(b"/../") || input == b"/.." {
            input = if input.len() == 3 { b"/" } else { &input[3..] };
            match out.iter().rposition(|c| *c == b'/') {
                Some(i) => out.truncate(i),
                None => out.clear(),
            }
        } else if input == b"." || input == b".." {
            input = b"";
        } else {
            let start = usize::from(input[0] == b'/');
            let end = input[start..]
                .iter()
                .position(|c| *c == b'/')
                .map_or(input.len(), |i| i + start);
            out.extend_from_slice(&input[..end]);
            input = &input[end..];
        }
    }
    *p = out;
}

/// The normalised URI of a request target, as Suricata's `http.uri`.
pub fn normalize(target: &[u8], connect: bool, flags: &mut DecodeFlags) -> Vec<u8> {
    let u = split(target, connect);
    let mut out = Vec::with_capacity(target.len());
    if let Some(path) = u.path {
        let mut p = Vec::with_capacity(path.len());
        decode(path, true, &mut p, flags);
        flags.double_encoded |= p
            .windows(3)
            .any(|w| w[0] == b'%' && hex(w[1]).is_some() && hex(w[2]).is_some());
        utf8_bestfit(&mut p);
        normalize_path(&mut p);
        out.extend_from_slice(&p);
    }
    if let Some(q) = u.query {
        out.push(b'?');
        out.extend_from_slice(q);
    }
    if let Some(f) = u.fragment {
        out.push(b'#');
        decode(f, false, &mut out, flags);
    }
    out
}

/// The normalised host: lower case, no trailing dot, no port (Suricata's
/// `http.host`).
pub fn normalize_host(h: &[u8]) -> Vec<u8> {
    let (h, _) = host_port(trim(h));
    let mut v = h.to_ascii_lowercase();
    while v.last() == Some(&b'.') {
        v.pop();
    }
    v
}

/// Trims spaces and tabs at both ends.
pub fn trim(s: &[u8]) -> &[u8] {
    let a = s
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t'))
        .unwrap_or(s.len());
    let b = s
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t'))
        .map_or(a, |i| i + 1);
    &s[a..b]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        String::from_utf8(normalize(s.as_bytes(), false, &mut DecodeFlags::default())).unwrap()
    }

    #[test]
    fn origin_form() {
        assert_eq!(n("/a/b?x=%41#f%41"), "/a/b?x=%41#fA");
        assert_eq!(n("/%61%62c"), "/abc");
        assert_eq!(n("/a%2fb"), "/a/b");
        assert_eq!(n("/a\\b%5cc"), "/a/b/c");
        assert_eq!(n("//a///b"), "/a/b");
        assert_eq!(n("/a/./b/../c"), "/a/c");
        assert_eq!(n("/../../x"), "/x");
        assert_eq!(n("/a/.."), "/");
        assert_eq!(n("/%u0041x"), "/Ax");
        assert_eq!(n("/%uff0fx"), "/x");
        assert_eq!(n("/100%"), "/100%");
        assert_eq!(n("/%zz"), "/%zz");
        assert_eq!(n("/Case"), "/Case");
    }

    #[test]
    fn absolute_form_keeps_path_only() {
        assert_eq!(n("http://Example.com:8080/x/../y?q"), "/y?q");
        let u = split(b"http://user@h.com:81/p", false);
        assert_eq!(u.host, Some(&b"h.com"[..]));
        assert_eq!(u.port, Some(&b"81"[..]));
    }

    #[test]
    fn authority_form() {
        let u = split(b"mail.example.com:443", true);
        assert_eq!(u.host, Some(&b"mail.example.com"[..]));
        assert_eq!(u.port, Some(&b"443"[..]));
        assert_eq!(normalize(b"h:443", true, &mut DecodeFlags::default()), b"");
    }

    #[test]
    fn flags() {
        let mut f = DecodeFlags::default();
        normalize(b"/%2541%00%zz", false, &mut f);
        assert!(f.double_encoded && f.encoded_nul && f.invalid_encoding);
    }

    #[test]
    fn host() {
        assert_eq!(normalize_host(b" WWW.Example.COM.:80 "), b"www.example.com");
        assert_eq!(normalize_host(b"[::1]:8080"), b"[::1]");
    }
}
