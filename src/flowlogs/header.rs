//! Is the first line of a text flow log a header? S3 text objects start with
//! the field names; CloudWatch data has none. Decided per file, first line only.

use super::error::{ErrorKind, LineError};
use super::fields::{self, FieldId};
use super::schema::Schema;

/// What the first line of a file is.
#[derive(Debug)]
pub enum FirstLine {
    /// A header line: the file's own schema.
    Header(Schema),
    /// A record: use the `--format` schema or the default one.
    Data,
}

/// Classifies the first line (already free of BOM, CR, tab, NUL).
///
/// A header is a line whose tokens are all name-shaped and at least half of
/// them known field names (new, unknown names are tolerated). A `${…}` token
/// means a format string was written as header (rejected). Without a
/// `--format`, a line with at least half known names that is not a valid
/// header is rejected rather than parsed as a record.
pub fn classify(line: &str, have_format: bool, strict: bool) -> Result<FirstLine, LineError> {
    let tokens: Vec<&str> = line.split(' ').collect();
    if tokens.iter().any(|t| t.starts_with("${")) {
        return Err(LineError::new(
            ErrorKind::FormatStringHeader,
            Some(1),
            "looks like a format string (${...}), not a header line",
        ));
    }
    let known = tokens
        .iter()
        .filter(|t| FieldId::from_name(t).is_some())
        .count();
    let enough_known = known >= 1.max(tokens.len() / 2);
    if !enough_known {
        return Ok(FirstLine::Data);
    }
    if tokens.iter().any(|t| t.is_empty()) {
        return if have_format {
            Ok(FirstLine::Data)
        } else {
            Err(LineError::new(
                ErrorKind::EmptyField,
                Some(1),
                "empty field name in header (consecutive, leading or trailing space)",
            ))
        };
    }
    if tokens.iter().all(|t| fields::is_name_shaped(t)) {
        return Schema::from_names(&tokens, strict)
            .map(FirstLine::Header)
            .map_err(|e| LineError { line: Some(1), ..e });
    }
    if have_format {
        return Ok(FirstLine::Data);
    }
    let bad: Vec<String> = tokens
        .iter()
        .filter(|t| FieldId::from_name(t).is_none())
        .take(5)
        .map(|t| format!("'{t}'"))
        .collect();
    Err(LineError::new(
        ErrorKind::UnknownField,
        Some(1),
        format!("unknown field name(s) in header: {}", bad.join(", ")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(line: &str) -> ErrorKind {
        classify(line, false, false).unwrap_err().kind
    }

    #[test]
    fn headers_and_records() {
        let h = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";
        assert!(matches!(classify(h, false, false), Ok(FirstLine::Header(s)) if s.len() == 14));
        let r = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
        assert!(matches!(classify(r, false, false), Ok(FirstLine::Data)));
        // A record of text-only fields looks name-shaped but names nothing known.
        assert!(matches!(
            classify("eni-0a1b vpc-0c1d", false, false),
            Ok(FirstLine::Data)
        ));
        // New field names are tolerated in a header.
        assert!(matches!(
            classify("version srcaddr instance-tag", false, false),
            Ok(FirstLine::Header(_))
        ));
    }

    #[test]
    fn header_problems() {
        assert_eq!(kind("${version} ${srcaddr}"), ErrorKind::FormatStringHeader);
        assert_eq!(kind("version srcaddr src-port"), ErrorKind::UnknownField);
        assert_eq!(kind("version srcaddr srcaddr"), ErrorKind::DuplicateField);
        assert_eq!(kind("version Srcaddr dstaddr"), ErrorKind::UnknownField);
        assert_eq!(kind("version  srcaddr dstaddr"), ErrorKind::EmptyField);
        assert!(matches!(
            classify("version Srcaddr dstaddr", true, false),
            Ok(FirstLine::Data)
        ));
        let e = classify("version srcaddr src-port", false, false).unwrap_err();
        assert_eq!(e.line, Some(1));
    }
}
