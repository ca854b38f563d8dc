//! Bounded line splitting over any reader: lines are borrowed from one
//! fixed buffer (no copy, no allocation per line), and a line longer than the
//! cap is reported and skipped without being buffered. Over the blocks of an
//! inflate thread ([`LineReader::from_blocks`]) lines are borrowed from the
//! blocks themselves: only a line cut by a block's end is moved (into the
//! room kept before the next block's data).

use std::io::{self, Read};
use std::ops::Range;

use memchr::memchr;

use super::inflate::{HEAD, Inflated};

/// Size of the read buffer: several maximal lines, large enough for long reads.
const BUF_SIZE: usize = 256 * 1024;

/// One event of the line reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineEvent {
    /// A line without its `\n`: its span in [`LineReader::bytes`]' buffer,
    /// valid until the next call that reads.
    Line(Range<usize>),
    /// A line longer than the cap (its bytes were dropped).
    TooLong,
}

/// Where the bytes come from.
enum Input<R> {
    /// Read into the reader's own buffer.
    Read(R),
    /// Whole blocks of an inflate thread, which become the buffer.
    Blocks(Inflated),
}

/// Splits a byte stream into `\n`-terminated lines of at most `max_line` bytes.
pub struct LineReader<R> {
    inner: Input<R>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    scanned: usize,
    eof: bool,
    failed: bool,
    skipping: bool,
    line_no: u64,
    max_line: usize,
    ends_with_newline: bool,
    pending: Option<io::Error>,
    /// The bytes from `start` (or from here, if `start` is below) up to
    /// `checked` passed the check of [`LineReader::checked_run`].
    checked: usize,
}

impl<R: Read> LineReader<R> {
    /// A reader of lines of at most `max_line` bytes (`max_line` < [`HEAD`]).
    pub fn new(inner: R, max_line: usize) -> Self {
        Self::with_input(Input::Read(inner), vec![0; BUF_SIZE], max_line)
    }

    /// A reader of the blocks of `blocks` (lines of at most `max_line`
    /// bytes, `max_line` < [`HEAD`]).
    pub fn from_blocks(blocks: Inflated, max_line: usize) -> Self {
        Self::with_input(Input::Blocks(blocks), Vec::new(), max_line)
    }

    fn with_input(inner: Input<R>, buf: Vec<u8>, max_line: usize) -> Self {
        // HEAD < BUF_SIZE / 2: a line at the cap fits either buffer.
        debug_assert!(max_line < HEAD);
        Self {
            inner,
            buf,
            start: 0,
            end: 0,
            scanned: 0,
            eof: false,
            failed: false,
            skipping: false,
            line_no: 0,
            max_line: max_line.min(HEAD),
            ends_with_newline: false,
            pending: None,
            checked: 0,
        }
    }

    /// Reads until at least `want` bytes are buffered or the input ends, and
    /// returns the buffered bytes (to sniff the content before reading lines).
    pub fn peek(&mut self, want: usize) -> io::Result<&[u8]> {
        let want = want.min(HEAD);
        while self.end - self.start < want && !self.eof && self.pending.is_none() {
            if let Err(e) = self.fill() {
                if self.start == self.end {
                    return Err(e);
                }
                // Hand out what was read; the error comes after its lines.
                self.pending = Some(e);
            }
        }
        Ok(&self.buf[self.start..self.end])
    }

    /// Drops `n` bytes from the front of the buffer (e.g. a byte order mark).
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        self.scanned = self.scanned.max(self.start);
    }

    /// Goes on after a read error the input recovers from (a Parquet
    /// object's lost rows: the next read gives the rows after them), with
    /// `skipped` lines counted as read so that the lines after keep their
    /// numbers. The error came at a line's start (the input's lines all end
    /// with `\n`), so no partial line is dropped.
    pub fn resume(&mut self, skipped: u64) {
        self.failed = false;
        self.line_no = self.line_no.saturating_add(skipped);
    }

    /// Number of the last line returned (1-based).
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// True if the input ended with `\n` (valid once `next` returned `None`).
    pub fn ends_with_newline(&self) -> bool {
        self.ends_with_newline
    }

    /// The next line, `None` at the end, or the read error (after which the
    /// partial line in the buffer is dropped and `None` follows).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<io::Result<(u64, LineEvent)>> {
        if self.failed {
            return None;
        }
        loop {
            if let Some(i) = memchr(b'\n', &self.buf[self.scanned..self.end]) {
                let nl = self.scanned + i;
                let line_start = self.start;
                self.start = nl + 1;
                self.scanned = self.start;
                self.line_no += 1;
                self.ends_with_newline = true;
                let too_long =
                    std::mem::take(&mut self.skipping) || nl - line_start > self.max_line;
                let event = if too_long {
                    LineEvent::TooLong
                } else {
                    LineEvent::Line(line_start..nl)
                };
                return Some(Ok((self.line_no, event)));
            }
            self.scanned = self.end;
            if self.end - self.start > self.max_line {
                // Too long already: forget its bytes, keep looking for its end.
                self.skipping = true;
                self.start = self.end;
            }
            if self.eof {
                if self.start == self.end && !self.skipping {
                    return None;
                }
                let line_start = self.start;
                self.start = self.end;
                self.line_no += 1;
                self.ends_with_newline = false;
                let event = if std::mem::take(&mut self.skipping) {
                    LineEvent::TooLong
                } else {
                    LineEvent::Line(line_start..self.end)
                };
                return Some(Ok((self.line_no, event)));
            }
            if let Err(e) = self.fill() {
                self.failed = true;
                return Some(Err(e));
            }
        }
    }

    /// The next line if it is already buffered whole (and not too long),
    /// without taking it: its span. [`LineReader::take`] takes it; `None`
    /// leaves every other case to [`LineReader::next`].
    #[inline]
    pub fn peek_line(&self) -> Option<Range<usize>> {
        if self.failed || self.skipping {
            return None;
        }
        let nl = self.scanned + memchr(b'\n', self.buf.get(self.scanned..self.end)?)?;
        (nl - self.start <= self.max_line).then_some(self.start..nl)
    }

    /// Takes the line [`LineReader::peek_line`] returned (`span`).
    #[inline]
    pub fn take(&mut self, span: Range<usize>) {
        self.start = span.end + 1;
        self.scanned = self.start;
        self.line_no += 1;
        self.ends_with_newline = true;
    }

    /// The buffered bytes from the next line's start on (none while an
    /// overlong line is skipped or after a read error) and the length of
    /// their prefix that `check` accepts. `check(bytes)` returns how many of
    /// the leading `bytes` pass; it is given only the bytes after those it
    /// accepted before (across reads and blocks), so each accepted byte is
    /// checked once; after a refused byte it is given that byte again (and
    /// stops at once). [`LineReader::take_run`] takes whole lines of them.
    #[inline]
    pub fn checked_run(&mut self, check: impl FnOnce(&[u8]) -> usize) -> (&[u8], usize) {
        if self.failed || self.skipping {
            return (&[], 0);
        }
        let from = self.checked.max(self.start);
        if from < self.end {
            // After a failed byte this starts at it and stops at once.
            self.checked = from + check(&self.buf[from..self.end]);
        }
        let checked = self.checked.max(self.start);
        (&self.buf[self.start..self.end], checked - self.start)
    }

    /// Takes `lines` whole lines, `bytes` bytes with their `\n`s, from the
    /// start of what [`LineReader::checked_run`] returned.
    #[inline]
    pub fn take_run(&mut self, bytes: usize, lines: u64) {
        if lines > 0 {
            self.start += bytes;
            self.scanned = self.start;
            self.line_no += lines;
            self.ends_with_newline = true;
        }
    }

    /// The bytes of a span returned by [`LineReader::next`].
    pub fn bytes(&self, span: Range<usize>) -> &[u8] {
        &self.buf[span]
    }

    /// The buffered bytes and the rest of the input, at most `limit` bytes in
    /// all (`None` if there are more).
    pub fn read_rest(&mut self, limit: usize) -> io::Result<Option<Vec<u8>>> {
        let mut all = self.buf[self.start..self.end].to_vec();
        self.start = self.end;
        self.scanned = self.end;
        let room = (limit + 1).saturating_sub(all.len()) as u64;
        match &mut self.inner {
            Input::Read(r) => r.by_ref().take(room).read_to_end(&mut all)?,
            Input::Blocks(b) => b.by_ref().take(room).read_to_end(&mut all)?,
        };
        self.eof = true;
        Ok((all.len() <= limit).then_some(all))
    }

    fn fill(&mut self) -> io::Result<()> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        match &mut self.inner {
            Input::Read(r) => {
                if self.end == self.buf.len() {
                    self.buf.copy_within(self.start..self.end, 0);
                    self.checked = self.checked.saturating_sub(self.start);
                    self.scanned -= self.start;
                    self.end -= self.start;
                    self.start = 0;
                }
                loop {
                    match r.read(&mut self.buf[self.end..]) {
                        Ok(0) => {
                            self.eof = true;
                            return Ok(());
                        }
                        Ok(n) => {
                            self.end += n;
                            return Ok(());
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Input::Blocks(blocks) => {
                let mut next = match blocks.next_block() {
                    None => {
                        self.eof = true;
                        return Ok(());
                    }
                    Some(Err(e)) => return Err(e),
                    Some(Ok(next)) => next,
                };
                // The bytes not yet handed out (an unfinished line, or what
                // `peek` keeps) go just before the new data: only they move.
                let tail = &self.buf[self.start..self.end];
                let tail_len = tail.len();
                let start = if tail.len() <= HEAD {
                    next[HEAD - tail.len()..HEAD].copy_from_slice(tail);
                    HEAD - tail.len()
                } else {
                    // Not reached (`max_line` and `peek` stay below HEAD);
                    // kept correct all the same.
                    let mut joined = vec![0; HEAD];
                    joined.extend_from_slice(tail);
                    joined.extend_from_slice(&next[HEAD..]);
                    next = joined;
                    HEAD
                };
                self.scanned = self.scanned - self.start + start;
                self.checked = start + self.checked.saturating_sub(self.start).min(tail_len);
                self.start = start;
                self.end = next.len();
                let used = std::mem::replace(&mut self.buf, next);
                blocks.recycle(used);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
pub(in crate::flowlogs) mod tests {
    use super::*;

    fn collect(input: &[u8], max: usize) -> (Vec<Result<Vec<u8>, ()>>, bool) {
        let mut r = LineReader::new(input, max);
        let mut out = Vec::new();
        while let Some(ev) = r.next() {
            match ev.unwrap().1 {
                LineEvent::Line(l) => out.push(Ok(r.bytes(l).to_vec())),
                LineEvent::TooLong => out.push(Err(())),
            }
        }
        (out, r.ends_with_newline())
    }

    #[test]
    fn splits_with_and_without_final_newline() {
        let (l, nl) = collect(b"a\nbb\n", 10);
        assert_eq!(l, vec![Ok(b"a".to_vec()), Ok(b"bb".to_vec())]);
        assert!(nl);
        let (l, nl) = collect(b"a\n\nc", 10);
        assert_eq!(l, vec![Ok(b"a".to_vec()), Ok(vec![]), Ok(b"c".to_vec())]);
        assert!(!nl);
        assert!(collect(b"", 10).0.is_empty());
    }

    /// A reader that hands out at most `.1` bytes per read.
    pub(in crate::flowlogs) struct Pieces<'a>(pub &'a [u8], pub usize);

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn checked_runs_check_each_byte_once_and_take_whole_lines() {
        // Lines of 'a's; a '!' fails the check.
        let mut input = Vec::new();
        for i in 0..40_000usize {
            input.extend(std::iter::repeat_n(b'a', i % 13));
            if i % 5000 == 4999 {
                input.push(b'!');
            }
            input.push(b'\n');
        }
        for piece in [usize::MAX, 1000, 7] {
            let mut r = LineReader::new(Pieces(&input, piece), 100);
            let (mut checked, mut lines) = (0usize, 0u64);
            loop {
                let (text, ok) = r.checked_run(|b| {
                    checked += b
                        .len()
                        .min(b.iter().position(|&c| c == b'!').unwrap_or(b.len()) + 1);
                    b.iter().position(|&c| c == b'!').unwrap_or(b.len())
                });
                assert!(text[..ok].iter().all(|&c| c != b'!'));
                // Whole lines within the checked prefix.
                let take = text[..ok]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |i| i + 1);
                let n = text[..take].iter().filter(|&&c| c == b'\n').count() as u64;
                r.take_run(take, n);
                lines += n;
                // Then one line the ordinary way (the one with a '!', or one
                // cut by the buffer's end).
                match r.next() {
                    None => break,
                    Some(ev) => {
                        let (no, _) = ev.unwrap();
                        lines += 1;
                        assert_eq!(no, lines);
                    }
                }
            }
            assert_eq!(lines, 40_000, "pieces of {piece}");
            // Rechecks are only of the failing bytes (and a line's tail kept across a fill).
            assert!(
                checked < input.len() + 40 * 100,
                "{checked} of {}",
                input.len()
            );
        }
    }

    #[test]
    fn overlong_lines_are_skipped_not_buffered() {
        let mut input = b"ok\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 3 * BUF_SIZE));
        input.extend(b"\nafter\n");
        input.extend(std::iter::repeat_n(b'y', BUF_SIZE + 5));
        let (l, _) = collect(&input, 1000);
        assert_eq!(
            l,
            vec![Ok(b"ok".to_vec()), Err(()), Ok(b"after".to_vec()), Err(())]
        );
    }

    #[test]
    fn line_at_the_cap_is_kept() {
        let mut input = vec![b'x'; 1000];
        input.push(b'\n');
        input.extend(vec![b'y'; 1001]);
        let (l, _) = collect(&input, 1000);
        assert_eq!(l.len(), 2);
        assert!(l[0].is_ok());
        assert!(l[1].is_err());
    }

    #[test]
    fn lines_across_many_small_reads() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(3);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let text: Vec<u8> = (0..20000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut r = LineReader::new(Trickle(&text), 100);
        let mut n = 0;
        while let Some(ev) = r.next() {
            let (no, LineEvent::Line(l)) = ev.unwrap() else {
                panic!("too long")
            };
            assert_eq!(r.bytes(l), format!("line {}", no - 1).as_bytes());
            n += 1;
        }
        assert_eq!(n, 20000);
    }

    #[test]
    fn error_after_data_comes_after_its_complete_lines() {
        struct Broken(Option<&'static [u8]>);
        impl Read for Broken {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.take() {
                    Some(d) => {
                        buf[..d.len()].copy_from_slice(d);
                        Ok(d.len())
                    }
                    None => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut")),
                }
            }
        }
        let mut r = LineReader::new(Broken(Some(b"a\nb\npart")), 100);
        assert_eq!(r.peek(1000).unwrap(), b"a\nb\npart");
        assert!(matches!(r.next(), Some(Ok((1, LineEvent::Line(_))))));
        assert!(matches!(r.next(), Some(Ok((2, LineEvent::Line(_))))));
        assert!(matches!(r.next(), Some(Err(_))));
        assert!(r.next().is_none());
        let mut r = LineReader::new(Broken(None), 100);
        assert!(r.peek(10).is_err());
    }

    /// Everything a reader gives: lines (or too long), the line numbers,
    /// the error kind, and whether the input ended with a newline.
    type Events = (Vec<(u64, Result<Vec<u8>, ()>)>, Option<io::ErrorKind>, bool);

    fn events<R: Read>(mut r: LineReader<R>) -> Events {
        let mut out = Vec::new();
        let mut err = None;
        while let Some(ev) = r.next() {
            match ev {
                Ok((n, LineEvent::Line(l))) => out.push((n, Ok(r.bytes(l).to_vec()))),
                Ok((n, LineEvent::TooLong)) => out.push((n, Err(()))),
                Err(e) => err = Some(e.kind()),
            }
        }
        (out, err, r.ends_with_newline())
    }

    fn blocks<R: Read + Send + 'static>(input: R, max: usize) -> LineReader<io::Empty> {
        LineReader::from_blocks(Inflated::spawn(input).ok().unwrap(), max)
    }

    #[test]
    fn blocks_give_the_lines_a_stream_gives() {
        use crate::flowlogs::inflate::BLOCK;
        // Lines of every length around the cap, cut by block ends at every
        // offset over several blocks; overlong lines spanning blocks.
        let mut text = Vec::new();
        let mut i = 0usize;
        while text.len() < 3 * BLOCK + 5000 {
            let len = (i * 7919) % 1200;
            text.extend((0..len).map(|k| b'a' + ((i + k) % 26) as u8));
            text.push(b'\n');
            i += 1;
        }
        text.extend(std::iter::repeat_n(b'x', BLOCK + 10));
        text.extend(b"\nlast");
        for end in [text.len(), text.len() - 4, BLOCK, BLOCK - 1, BLOCK + 1, 0] {
            let input = text[..end].to_vec();
            let want = events(LineReader::new(&input[..], 1000));
            assert!(end == 0 || want.0.len() > 1, "{end}");
            assert_eq!(events(blocks(io::Cursor::new(input), 1000)), want, "{end}");
        }
    }

    #[test]
    fn blocks_error_after_data_and_peek() {
        let input = b"a\nb\npart".to_vec();
        let failing = io::Cursor::new(input).chain(Cut);
        let (lines, err, _) = events(blocks(failing, 100));
        assert_eq!(lines, vec![(1, Ok(b"a".to_vec())), (2, Ok(b"b".to_vec()))]);
        assert_eq!(err, Some(io::ErrorKind::UnexpectedEof));
        let mut r = blocks(io::Cursor::new(b"\xef\xbb\xbfab\ncd".to_vec()), 10);
        assert_eq!(r.peek(1 << 20).unwrap(), b"\xef\xbb\xbfab\ncd");
        r.consume(3);
        let (lines, err, nl) = events(r);
        assert_eq!(
            lines,
            vec![(1, Ok(b"ab".to_vec())), (2, Ok(b"cd".to_vec()))]
        );
        assert_eq!((err, nl), (None, false));
        let mut r = blocks(io::Cursor::new(b"{\"x\":1}\n".repeat(10)), 10);
        assert_eq!(r.peek(1).unwrap()[0], b'{');
        assert_eq!(r.read_rest(1000).unwrap(), Some(b"{\"x\":1}\n".repeat(10)));
        assert!(blocks(io::empty(), 10).next().is_none());
    }

    struct Cut;
    impl Read for Cut {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut"))
        }
    }

    #[test]
    fn peek_and_consume() {
        let mut r = LineReader::new(&b"\xef\xbb\xbfab\ncd"[..], 10);
        assert_eq!(r.peek(3).unwrap()[..3], b"\xef\xbb\xbf"[..]);
        r.consume(3);
        let (no, LineEvent::Line(l)) = r.next().unwrap().unwrap() else {
            panic!()
        };
        assert_eq!((no, r.bytes(l)), (1, &b"ab"[..]));
        let (no, LineEvent::Line(l)) = r.next().unwrap().unwrap() else {
            panic!()
        };
        assert_eq!((no, r.bytes(l)), (2, &b"cd"[..]));
        assert!(r.next().is_none());
    }
}
