//! The lenient mode (`--lenient`, [`super::ReadOptions::lenient`]): lines
//! that AWS never writes but that other tools make of flow logs (an editor
//! or a Windows copy, a console paste, a spreadsheet export) are repaired
//! before they are checked, instead of being reported as errors:
//!
//! * a `\r` before the `\n` (CRLF line endings) is removed;
//! * tabs, runs of spaces and spaces before the first or after the last
//!   field become single spaces between fields;
//! * blank lines (empty, or only spaces, tabs and a `\r`) are skipped;
//! * a UTF-8 byte order mark at the start of the text is removed (by the
//!   reader, which sniffs it).
//!
//! Everything else is checked as in the strict default, and a repaired line
//! must then pass every check: a `\r` inside a line, a NUL byte or invalid
//! UTF-8 stay errors. Repairs are counted by kind ([`Repairs`]), not
//! reported line by line, and a record keeps the repaired text (rendering
//! it writes single spaces and `\n`).

/// Lines repaired, by kind of repair (a line may count under several).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Repairs {
    /// Lines whose `\r` before the `\n` was removed.
    pub crlf: u64,
    /// Lines whose tabs or extra spaces were made single spaces.
    pub whitespace: u64,
    /// Blank lines skipped.
    pub blank: u64,
    /// Byte order marks removed.
    pub bom: u64,
}

impl Repairs {
    /// Lines (and marks) repaired in all.
    pub fn total(&self) -> u64 {
        self.crlf + self.whitespace + self.blank + self.bom
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Self) {
        self.crlf += other.crlf;
        self.whitespace += other.whitespace;
        self.blank += other.blank;
        self.bom += other.bom;
    }

    /// The counts by kind (`crlf`, `whitespace`, `blank`, `bom`).
    fn kinds(&self) -> [(&'static str, u64); 4] {
        [
            ("crlf", self.crlf),
            ("whitespace", self.whitespace),
            ("blank", self.blank),
            ("bom", self.bom),
        ]
    }

    /// The non-zero counts as `crlf 3, blank 1` (empty if none).
    pub fn describe(&self) -> String {
        self.kinds()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The non-zero counts by kind.
    pub fn by_kind(&self) -> std::collections::BTreeMap<String, u64> {
        self.kinds()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| (k.to_string(), *n))
            .collect()
    }
}

/// What [`repair`] made of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repair {
    /// Nothing to repair: the line is read as it is.
    Unchanged,
    /// A blank line, to be skipped.
    Blank,
    /// The repaired line is in the output buffer.
    Repaired,
}

/// Repairs `line` (without its `\n`) into `out` if it needs it, counting
/// the repairs in `repairs`.
pub fn repair(line: &[u8], out: &mut Vec<u8>, repairs: &mut Repairs) -> Repair {
    let (body, crlf) = match line.strip_suffix(b"\r") {
        Some(body) => (body, true),
        None => (line, false),
    };
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    if body.iter().all(blank) {
        repairs.blank += 1;
        return Repair::Blank;
    }
    let irregular = body.first().is_some_and(blank)
        || body.last().is_some_and(blank)
        || body.contains(&b'\t')
        || memchr::memmem::find(body, b"  ").is_some();
    if !crlf && !irregular {
        return Repair::Unchanged;
    }
    repairs.crlf += u64::from(crlf);
    out.clear();
    if irregular {
        repairs.whitespace += 1;
        for field in body.split(blank).filter(|f| !f.is_empty()) {
            if !out.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(field);
        }
    } else {
        out.extend_from_slice(body);
    }
    Repair::Repaired
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &[u8]) -> (Repair, Vec<u8>, Repairs) {
        let mut out = b"old".to_vec();
        let mut r = Repairs::default();
        let what = repair(line, &mut out, &mut r);
        (what, out, r)
    }

    #[test]
    fn regular_lines_are_left_alone() {
        for line in [&b"2 123 eni-1 - -"[..], b"a", b"a b\rc"] {
            let (what, out, r) = run(line);
            assert_eq!(
                (what, out, r.total()),
                (Repair::Unchanged, b"old".to_vec(), 0)
            );
        }
    }

    #[test]
    fn crlf_whitespace_and_blank_lines() {
        let (what, out, r) = run(b"2 123 eni-1\r");
        assert_eq!((what, &out[..]), (Repair::Repaired, &b"2 123 eni-1"[..]));
        assert_eq!((r.crlf, r.whitespace), (1, 0));

        let (what, out, r) = run(b" 2\t123  eni-1 \t\r");
        assert_eq!((what, &out[..]), (Repair::Repaired, &b"2 123 eni-1"[..]));
        assert_eq!((r.crlf, r.whitespace), (1, 1));

        for blank in [&b""[..], b"\r", b" \t ", b"\t\r"] {
            let (what, _, r) = run(blank);
            assert_eq!((what, r.blank, r.total()), (Repair::Blank, 1, 1));
        }

        // Only the last `\r` goes: one inside the line stays (an error).
        let (what, out, _) = run(b"a\rb\r");
        assert_eq!((what, &out[..]), (Repair::Repaired, &b"a\rb"[..]));
        let (what, out, _) = run(b"a \r\r");
        assert_eq!((what, &out[..]), (Repair::Repaired, &b"a \r"[..]));
    }

    #[test]
    fn counts_add_up_and_describe_themselves() {
        let mut a = Repairs {
            crlf: 2,
            blank: 1,
            ..Repairs::default()
        };
        a.add(&Repairs {
            bom: 1,
            crlf: 1,
            ..Repairs::default()
        });
        assert_eq!(a.total(), 5);
        assert_eq!(a.describe(), "crlf 3, blank 1, bom 1");
        assert_eq!(Repairs::default().describe(), "");
    }
}
