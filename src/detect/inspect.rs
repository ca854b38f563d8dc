//! Content inspection of one buffer: the rule's steps run in order over
//! the bytes with a cursor (end of the previous match), with Suricata's
//! backtracking: when a step anchored on the previous match fails, the
//! previous content or pcre is retried at its next occurrence. The number
//! of step evaluations per buffer is capped ([`RECURSION_LIMIT`], Suricata's
//! default `inspection-recursion-limit`); past it the buffer does not match.

use super::signature::{Step, Val};

/// Step evaluations allowed per buffer inspection.
pub const RECURSION_LIMIT: u32 = 3000;

/// Outcome of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum R {
    Match,
    NoMatch,
    /// No match, and retrying earlier steps cannot help.
    Stop,
}

/// Whether `steps` match `buf`. `vars` holds the rule's byte variables.
pub fn inspect(steps: &[Step], buf: &[u8], vars: &mut [u64]) -> bool {
    let mut budget = RECURSION_LIMIT;
    !steps.is_empty() && run(steps, 0, buf, 0, vars, &mut budget) == R::Match
}

fn next(
    steps: &[Step],
    i: usize,
    buf: &[u8],
    cursor: usize,
    vars: &mut [u64],
    budget: &mut u32,
) -> R {
    if i + 1 >= steps.len() {
        R::Match
    } else {
        run(steps, i + 1, buf, cursor, vars, budget)
    }
}

fn next_is_relative(steps: &[Step], i: usize) -> bool {
    steps.get(i + 1).is_some_and(Step::is_relative)
}

fn run(
    steps: &[Step],
    i: usize,
    buf: &[u8],
    cursor: usize,
    vars: &mut [u64],
    budget: &mut u32,
) -> R {
    if *budget == 0 {
        return R::Stop;
    }
    *budget -= 1;
    let len = buf.len();
    match &steps[i] {
        Step::Content(c) => {
            let relative = c.is_relative();
            let plen = c.pattern.len();
            let mut retry_from: Option<usize> = None;
            loop {
                let (mut offset, mut depth): (i64, i64);
                if relative {
                    let prev = cursor as i64;
                    offset = prev;
                    let d = c.distance.map_or(0, |d| d.get(vars));
                    if c.distance.is_some() {
                        offset = if d < 0 && -d > prev { 0 } else { prev + d };
                    }
                    depth = len as i64;
                    if let Some(w) = c.within {
                        let lim = prev + w.get(vars) + d;
                        // A negative limit wraps in Suricata's unsigned
                        // arithmetic and ends up clamped to the buffer.
                        if lim >= 0 && depth > lim {
                            depth = lim;
                        }
                    }
                } else {
                    offset = c.offset.map_or(0, |o| o.get(vars));
                    depth = match (c.depth, c.startswith) {
                        (Some(d), _) => offset + d.get(vars),
                        (None, true) => plen as i64,
                        (None, false) => len as i64,
                    };
                }
                if let Some(r) = retry_from {
                    offset = r as i64;
                }
                if depth > len as i64 {
                    depth = len as i64;
                }
                if offset > depth || depth <= 0 || offset < 0 {
                    if c.negated {
                        return next(steps, i, buf, cursor, vars, budget);
                    }
                    return R::NoMatch;
                }
                let (o, d) = (offset as usize, depth as usize);
                let window = &buf[o..d];
                let found = if c.endswith && d < len {
                    None
                } else if c.endswith {
                    // Only an occurrence ending at the buffer end counts.
                    (plen <= window.len())
                        .then(|| window.len() - plen)
                        .filter(|&s| c.find(&window[s..]) == Some(0))
                } else {
                    c.find(window)
                };
                let Some(pos) = found else {
                    if c.negated {
                        return next(steps, i, buf, cursor, vars, budget);
                    }
                    return if relative { R::NoMatch } else { R::Stop };
                };
                let match_end = o + pos + plen;
                if c.negated {
                    return if relative { R::NoMatch } else { R::Stop };
                }
                if i + 1 >= steps.len() {
                    return R::Match;
                }
                match run(steps, i + 1, buf, match_end, vars, budget) {
                    R::Match => return R::Match,
                    R::Stop => return R::Stop,
                    R::NoMatch => {}
                }
                if !next_is_relative(steps, i) || c.endswith {
                    return R::Stop;
                }
                retry_from = Some(o + pos + 1);
                if *budget == 0 {
                    return R::Stop;
                }
            }
        }
        Step::Pcre(p) => {
            let base = if p.relative { cursor.min(len) } else { 0 };
            let subject = &buf[base..];
            let mut from = 0usize;
            loop {
                let found = if from > subject.len() {
                    None
                } else {
                    p.find_at(subject, from)
                };
                if p.negated {
                    return match found {
                        Some(_) => R::NoMatch,
                        None => next(steps, i, buf, cursor, vars, budget),
                    };
                }
                let Some((s, e)) = found else {
                    return R::NoMatch;
                };
                if !next_is_relative(steps, i) {
                    return next(steps, i, buf, base + e, vars, budget);
                }
                match run(steps, i + 1, buf, base + e, vars, budget) {
                    R::Match => return R::Match,
                    R::Stop => return R::Stop,
                    R::NoMatch => {}
                }
                from = s + 1;
                if *budget == 0 {
                    return R::Stop;
                }
            }
        }
        Step::IsDataAt {
            at,
            relative,
            negated,
        } => {
            let is_var = matches!(at, Val::Var(_));
            let at = at.get(vars);
            if is_var && at >= 100_000_000 {
                return if *negated {
                    next(steps, i, buf, cursor, vars, budget)
                } else {
                    R::NoMatch
                };
            }
            let present = if *relative {
                cursor as i64 + at <= len as i64
            } else {
                at < len as i64
            };
            if present != *negated {
                next(steps, i, buf, cursor, vars, budget)
            } else if is_var || (*relative && !*negated) {
                R::NoMatch
            } else {
                R::Stop
            }
        }
        Step::ByteTest(t) => {
            if t.apply(buf, cursor, vars) {
                next(steps, i, buf, cursor, vars, budget)
            } else {
                R::NoMatch
            }
        }
        Step::ByteJump(j) => match j.apply(buf, cursor, vars) {
            Some(c) => next(steps, i, buf, c, vars, budget),
            None => R::NoMatch,
        },
        Step::ByteExtract(x) => match x.apply(buf, cursor, vars) {
            Some((v, c)) => {
                if let Some(slot) = vars.get_mut(x.var) {
                    *slot = v;
                }
                next(steps, i, buf, c, vars, budget)
            }
            None => R::NoMatch,
        },
        Step::ByteMath(m) => match m.apply(buf, cursor, vars) {
            Some((v, c)) => {
                if let Some(slot) = vars.get_mut(m.var) {
                    *slot = v;
                }
                next(steps, i, buf, c, vars, budget)
            }
            None => R::NoMatch,
        },
        Step::Base64Decode(d) => {
            // Terminal: a match of the decoded data is the buffer's match.
            let matched = d.run(buf, cursor, |data, decoded| {
                !data.is_empty() && run(data, 0, decoded, 0, vars, budget) == R::Match
            });
            if matched { R::Match } else { R::NoMatch }
        }
        Step::Bsize(u) => {
            if u.matches(len as u64) {
                next(steps, i, buf, cursor, vars, budget)
            } else {
                R::Stop
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::detect::error::Location;
    use crate::detect::rule::parse::{Parsed, parse_rule};
    use crate::detect::rule::vars::RuleVars;

    /// The payload steps of `alert tcp any any -> any any (OPTS sid:1;)`.
    fn steps(opts: &str) -> (Vec<Step>, usize) {
        let text = format!("alert tcp any any -> any any ({opts} sid:1;)");
        let loc = Location {
            file: Arc::from("<t>"),
            line: 1,
        };
        match parse_rule(&text, &RuleVars::default(), loc) {
            Ok(Parsed::Loaded(s)) => (s.buffers[0].steps.clone(), s.nvars),
            other => panic!("{text}: {other:?}"),
        }
    }

    fn m(opts: &str, buf: &[u8]) -> bool {
        let (s, n) = steps(opts);
        let mut vars = vec![0u64; n];
        inspect(&s, buf, &mut vars)
    }

    #[test]
    fn depth_offset_distance_within() {
        assert!(m(r#"content:"GET"; depth:3;"#, b"GET / HTTP"));
        assert!(!m(r#"content:"GET"; depth:3;"#, b" GET / HTTP"));
        assert!(m(r#"content:"/"; offset:4; depth:1;"#, b"GET / HTTP"));
        assert!(!m(r#"content:"/"; offset:5;"#, b"GET / HTTP"));
        assert!(m(
            r#"content:"A"; content:"C"; distance:1; within:2;"#,
            b"AxC"
        ));
        assert!(!m(r#"content:"A"; content:"C"; distance:2;"#, b"AxC"));
        assert!(!m(r#"content:"A"; content:"C"; within:1;"#, b"AxC"));
        // Backtracking: the first "A" fails the within, the second passes.
        assert!(m(r#"content:"A"; content:"C"; within:1;"#, b"AxAC"));
        // Negative distance looks back.
        assert!(m(
            r#"content:"BC"; content:"A"; distance:-3; within:1;"#,
            b"ABC"
        ));
    }

    #[test]
    fn suricata_verify_bug_5162_chain() {
        // The SMB2 CreateService chain of suricata-verify bug-5162 sid 6 on
        // a payload laid out to satisfy each distance/within.
        let mut p = vec![0u8; 4];
        p.extend_from_slice(b"\xfeSMB");
        p.extend_from_slice(&[0; 8]);
        p.extend_from_slice(&[0x09, 0x00]);
        p.extend_from_slice(&[0; 3]);
        p.extend_from_slice(&[0x05, 0x00, 0x00]);
        p.extend_from_slice(&[0; 19]);
        p.extend_from_slice(&[0x0c, 0x00]);
        p.extend_from_slice(&[0; 20]);
        p.extend_from_slice(&[0x15, 0, 0, 0]);
        let opts = r#"content:"SMB"; depth:8; content:"|09 00|"; distance:8; within:2; content:"|05 00 00|"; distance:0; content:"|0c 00|"; distance:19; within:2; content:"|15 00 00 00|"; distance:20; within:4;"#;
        assert!(m(opts, &p));
        p[5] = b'X';
        assert!(!m(opts, &p));
    }

    #[test]
    fn nocase_startswith_endswith_negation() {
        assert!(m(r#"content:"host"; nocase;"#, b"HOST: x"));
        assert!(!m(r#"content:"host";"#, b"HOST: x"));
        assert!(m(
            r#"content:"data|0a 0a|"; startswith; endswith;"#,
            b"data\n\n"
        ));
        assert!(!m(r#"content:"data"; startswith;"#, b"xdata"));
        assert!(m(r#"content:"exe"; endswith;"#, b"a.exe.exe"));
        assert!(!m(r#"content:"exe"; endswith;"#, b"a.exe.ex"));
        assert!(m(r#"content:"GET"; content:!"POST";"#, b"GET /"));
        assert!(!m(r#"content:"GET"; content:!"GET";"#, b"GET /"));
        assert!(m(
            r#"content:!"POST"; depth:4; content:"HTTP";"#,
            b"GET / HTTP"
        ));
        assert!(!m(
            r#"content:!"POST"; depth:4; content:"HTTP";"#,
            b"POST / HTTP"
        ));
        // suricata-verify bug-docs-5030-01: distance/within with endswith.
        let mut p = b"header".to_vec();
        p.extend_from_slice(&[b'-'; 10]);
        p.extend_from_slice(b"yYYYYYYYYYYYYYYYY");
        assert!(m(
            r#"content:"yYYYYYYYYYYYYYYYY"; distance:9; within:29; endswith;"#,
            &p
        ));
    }

    #[test]
    fn isdataat_as_suricata_issue_8031() {
        // 32-byte payload: absolute isdataat:N needs N < len; relative needs
        // cursor + N <= len (suricata-verify issue-8031-01-isdataat).
        let mut p = b"a".to_vec();
        p.extend_from_slice(&[b'b'; 31]);
        assert!(m("isdataat:31;", &p));
        assert!(!m("isdataat:32;", &p));
        assert!(m("isdataat:32,relative;", &p));
        assert!(!m("isdataat:33,relative;", &p));
        assert!(m(r#"content:"a"; depth:1; isdataat:31,relative;"#, &p));
        assert!(!m(r#"content:"a"; depth:1; isdataat:32,relative;"#, &p));
        assert!(m("isdataat:!40;", &p));
        assert!(!m("isdataat:!3;", &p));
    }

    #[test]
    fn pcre_relative_and_negated() {
        assert!(m(
            r#"content:"User-Agent|3a 20|"; pcre:"/^curl\/\d+/R";"#,
            b"User-Agent: curl/7\r\n"
        ));
        assert!(!m(
            r#"content:"User-Agent|3a 20|"; pcre:"/^curl/R";"#,
            b"User-Agent: wget curl"
        ));
        assert!(m(
            r#"pcre:"/host\x3a\s+www\.TESTMYIDS\.com/i";"#,
            b"Host: www.testmyids.com"
        ));
        assert!(!m(
            r#"content:"GET"; pcre:!"/testmyids/";"#,
            b"GET testmyids"
        ));
        assert!(m(r#"content:"GET"; pcre:!"/testmyids/";"#, b"GET other"));
        // The previous content is retried so the anchored pcre can match.
        assert!(m(r#"content:"a"; pcre:"/^b/R";"#, b"axab"));
        // A pcre followed by a relative content is retried too.
        assert!(m(r#"pcre:"/a./"; content:"z"; within:1;"#, b"abxaqz"));
        assert!(!m(r#"pcre:"/a./"; content:"z"; within:1;"#, b"abaz"));
        assert!(m(r#"pcre:"/^GET/A";"#, b"GET"));
    }

    #[test]
    fn byte_keywords_with_variables() {
        // suricata-verify byte-extract-01 sid 1: two ASCII digits give the depth.
        assert!(m(
            r#"byte_extract:2,0,two1,string,dec; content:"|33 34|"; offset:0; depth:two1;"#,
            b"0434"
        ));
        assert!(!m(
            r#"byte_extract:2,0,two1,string,dec; content:"|33 34|"; offset:0; depth:two1;"#,
            b"0334"
        ));
        assert!(m(
            r#"content:"|00 00 00|"; byte_extract:1,0,n,relative; byte_jump:n,0,relative; isdataat:1,relative;"#,
            &[0, 0, 0, 1, 2, 9, 7, 1]
        ));
        assert!(m(
            r#"content:"Question?"; byte_jump:2,0,relative,string,from_end,post_offset -5; content:"ab"; distance:0;"#,
            b"Question?02xxxab"
        ));
        assert!(m(
            r#"byte_test:1,&,0x40,1; byte_test:2,>,0x0100,0; byte_test:1,!=,3,2;"#,
            &[0x01, 0x41, 0x04]
        ));
        assert!(m(
            r#"byte_math:bytes 1, offset 0, oper +, rvalue 2, result r; byte_test:1,=,r,1;"#,
            &[5, 7]
        ));
        assert!(m("bsize:3;", b"abc") && !m("bsize:>3;", b"abc"));
    }

    #[test]
    fn recursion_is_bounded() {
        // Pathological backtracking stops at the budget instead of running away.
        let buf = vec![b'a'; 5000];
        assert!(!m(
            r#"content:"a"; content:"a"; distance:0; content:"b"; distance:0;"#,
            &buf
        ));
    }
}
