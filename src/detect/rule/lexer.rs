//! Splits one rule's text into its header fields and its options.
//!
//! `action proto src sport dir dst dport (name:value; name; …)`. Header
//! fields are separated by whitespace (brackets keep a group with spaces
//! together). Options end at a `;` not escaped by `\`, as in Suricata:
//! quotes do not protect a `;`, so a literal one is written `\;` or `|3b|`.
//! Every option, the last included, must end with `;`.

use crate::detect::error::ParseError;

/// One option as written: its name and, after the first `:`, its value
/// (trimmed, escapes and quotes kept for the keyword to interpret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOption<'a> {
    /// Keyword name, trimmed.
    pub name: &'a str,
    /// Value, trimmed; `None` when the option has no `:`.
    pub value: Option<&'a str>,
}

/// A rule split into its parts, borrowing the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRule<'a> {
    /// The seven header fields: action, protocol, source, source port,
    /// direction, destination, destination port.
    pub header: [&'a str; 7],
    /// The options in order.
    pub options: Vec<RawOption<'a>>,
}

/// Splits a rule. Fails on a wrong field count, missing parentheses, or an
/// option without its terminating `;`.
pub fn split(text: &str) -> Result<RawRule<'_>, ParseError> {
    let text = text.trim();
    let open = text
        .find('(')
        .ok_or_else(|| ParseError::Options("no `(` starting the options".into()))?;
    let close = text
        .rfind(')')
        .filter(|&c| c > open)
        .ok_or_else(|| ParseError::Options("no `)` closing the options".into()))?;
    if !text[close + 1..].trim().is_empty() {
        return Err(ParseError::Options(format!(
            "text after the closing `)`: `{}`",
            text[close + 1..].trim()
        )));
    }
    let fields = header_fields(&text[..open])?;
    let header: [&str; 7] = fields.try_into().map_err(|f: Vec<&str>| {
        ParseError::Header(format!(
            "expected 7 fields (action protocol src sport direction dst dport), found {}",
            f.len()
        ))
    })?;
    let options = split_options(&text[open + 1..close])?;
    Ok(RawRule { header, options })
}

fn header_fields(h: &str) -> Result<Vec<&str>, ParseError> {
    let mut out = Vec::with_capacity(7);
    let mut depth = 0i32;
    let mut start: Option<usize> = None;
    for (i, c) in h.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ => {}
        }
        if c.is_whitespace() && depth <= 0 {
            if let Some(s) = start.take() {
                out.push(&h[s..i]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if depth != 0 {
        return Err(ParseError::Header("unbalanced `[` `]`".into()));
    }
    if let Some(s) = start {
        out.push(&h[s..]);
    }
    Ok(out)
}

fn split_options(body: &str) -> Result<Vec<RawOption<'_>>, ParseError> {
    let mut out = Vec::new();
    let bytes = body.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b';' => {
                push_option(&body[start..i], &mut out)?;
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    let rest = body[start.min(body.len())..].trim();
    if !rest.is_empty() {
        return Err(ParseError::Options(format!(
            "option `{}` is not terminated by `;`",
            shorten(rest)
        )));
    }
    Ok(out)
}

fn push_option<'a>(opt: &'a str, out: &mut Vec<RawOption<'a>>) -> Result<(), ParseError> {
    let opt = opt.trim();
    if opt.is_empty() {
        return Err(ParseError::Options("empty option (`;;`)".into()));
    }
    let (name, value) = match opt.split_once(':') {
        Some((n, v)) => (n.trim(), Some(v.trim())),
        None => (opt, None),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(ParseError::Options(format!(
            "bad option name in `{}`",
            shorten(opt)
        )));
    }
    out.push(RawOption { name, value });
    Ok(())
}

fn shorten(s: &str) -> String {
    if s.len() <= 60 {
        return s.to_owned();
    }
    let mut end = 60;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Removes the surrounding double quotes of a value (they are required
/// when `required`, optional otherwise). The inner text keeps its escapes.
pub fn unquote(v: &str, required: bool) -> Result<&str, String> {
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('"') {
        let inner = inner
            .strip_suffix('"')
            .filter(|i| !i.ends_with('\\') || i.ends_with("\\\\"))
            .ok_or_else(|| "missing closing `\"`".to_owned())?;
        Ok(inner)
    } else if required {
        Err("value must be enclosed in double quotes".into())
    } else {
        Ok(v)
    }
}

/// Resolves the escapes `\;` `\"` `\\` `\:` of a string value.
pub fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ (';' | '"' | '\\' | ':' | ',')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_header_and_options() {
        let r = split(r#"alert tcp $HOME_NET any -> [1.2.3.4, 5.6.7.8] 80 (msg:"a\;b"; content:"x|3b|"; nocase; sid:1;)"#).unwrap();
        assert_eq!(
            r.header,
            [
                "alert",
                "tcp",
                "$HOME_NET",
                "any",
                "->",
                "[1.2.3.4, 5.6.7.8]",
                "80"
            ]
        );
        assert_eq!(r.options.len(), 4);
        assert_eq!(r.options[0].value, Some(r#""a\;b""#));
        assert_eq!(
            r.options[2],
            RawOption {
                name: "nocase",
                value: None
            }
        );
        assert_eq!(unescape(r#"a\;b\"c\\d"#), r#"a;b"c\d"#);
    }

    #[test]
    fn errors() {
        let e = split("alert tcp any any -> any any msg:1;").unwrap_err();
        assert!(e.to_string().contains("no `(`"), "{e}");
        let e = split("alert tcp any any -> any (sid:1;)").unwrap_err();
        assert!(e.to_string().contains("found 6"), "{e}");
        let e = split("alert tcp any any -> any any (sid:1)").unwrap_err();
        assert!(e.to_string().contains("not terminated"), "{e}");
        let e = split("alert tcp any any -> any any (sid:1;) x").unwrap_err();
        assert!(e.to_string().contains("after the closing"), "{e}");
        assert!(split("alert tcp any any -> any any (sid:1;;)").is_err());
        assert_eq!(unquote("\"abc", true).unwrap_err(), "missing closing `\"`");
        assert!(unquote("abc", true).is_err());
        assert_eq!(unquote("\"a\\\\\"", true).unwrap(), "a\\\\");
    }
}
