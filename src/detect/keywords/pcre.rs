//! `pcre:[!]"/pattern/flags"` through the pcre2 crate, with Suricata's
//! flags: `i s m x` (PCRE options), `A` (anchored at the inspection start),
//! `G` (ungreedy), `R` (relative: start after the previous match, where
//! `^` anchors), `B` and `O` (no effect on packet buffers / match limits).
//! Buffer flags (`U I M H D C P Q S Y V W Z`) inspect that application-layer
//! buffer ([`AppBuf::from_pcre_flag`]); `K` (raw cookie) is not produced and
//! `E` (dollar-end-only) has no pcre2-crate option: rules using them are
//! reported unsupported as `pcre:<flag>`. Capturing into variables
//! (`(?P<flow_x>…)`) is likewise unsupported.

use std::sync::Arc;

use super::Builder;
use super::app::AppBuf;
use super::buffers::BufferKind;
use crate::detect::rule::lexer::unquote;
use crate::detect::signature::Step;

/// A compiled pcre step.
#[derive(Clone)]
pub struct Pcre {
    /// The compiled expression.
    pub regex: Arc<pcre2::bytes::Regex>,
    /// `!`: matches when the expression does not.
    pub negated: bool,
    /// `R`.
    pub relative: bool,
    /// `A`: the match must start at the inspection start.
    pub anchored: bool,
    /// The expression as written (for reports).
    pub source: String,
}

impl std::fmt::Debug for Pcre {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pcre({})", self.source)
    }
}

impl Pcre {
    /// The first match (start, end) in `hay` at or after `from`.
    #[inline]
    pub fn find_at(&self, hay: &[u8], from: usize) -> Option<(usize, usize)> {
        match self.regex.find_at(hay, from) {
            Ok(Some(m)) => {
                if self.anchored && m.start() != from {
                    return None;
                }
                Some((m.start(), m.end()))
            }
            // A match error (limits) counts as no match, as in Suricata.
            _ => None,
        }
    }
}

/// Parses and compiles; unsupported flags are recorded on the builder.
pub fn setup(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let raw = v.filter(|s| !s.is_empty()).ok_or("needs a value")?;
    let (negated, rest) = match raw.strip_prefix('!') {
        Some(r) => (true, r.trim_start()),
        None => (false, raw),
    };
    let body = unquote(rest, true)?;
    let inner = body
        .strip_prefix('/')
        .ok_or("expression must start with `/`")?;
    let end = inner
        .rfind('/')
        .ok_or("expression must end with `/` and flags")?;
    let (pattern, flags) = (&inner[..end], &inner[end + 1..]);
    let mut builder = pcre2::bytes::RegexBuilder::new();
    builder.jit_if_available(true);
    let (mut relative, mut anchored, mut ungreedy) = (false, false, false);
    let mut target = None;
    for f in flags.chars() {
        match f {
            'i' => {
                builder.caseless(true);
            }
            's' => {
                builder.dotall(true);
            }
            'm' => {
                builder.multi_line(true);
            }
            'x' => {
                builder.extended(true);
            }
            'A' => anchored = true,
            'G' => ungreedy = true,
            'R' => relative = true,
            'B' | 'O' => {}
            f if AppBuf::from_pcre_flag(f).is_some() => {
                if target.is_some() {
                    return Err("more than one buffer flag".into());
                }
                target = AppBuf::from_pcre_flag(f);
            }
            'E' | 'K' => {
                b.mark_unsupported(&format!("{name}:{f}"));
            }
            _ => return Err(format!("unknown flag `{f}`")),
        }
    }
    if pattern.contains("(?P<") || pattern.contains("(?<") {
        let captures_var = ["flow_", "pkt_", "alert_"]
            .iter()
            .any(|p| pattern.contains(&format!("(?P<{p}")) || pattern.contains(&format!("(?<{p}")));
        if captures_var {
            b.mark_unsupported(&format!("{name}:capture"));
        }
    }
    let full = if ungreedy {
        format!("(?U){pattern}")
    } else {
        pattern.to_owned()
    };
    let regex = builder
        .build(&full)
        .map_err(|e| format!("does not compile: {e}"))?;
    let step = Pcre {
        regex: Arc::new(regex),
        negated,
        relative,
        anchored,
        source: body.to_owned(),
    };
    match target {
        // A buffer flag inspects that buffer, like a sticky buffer for
        // this one expression (the current buffer does not change).
        Some(buf) => b.push_step_to(BufferKind::App(buf), Step::Pcre(Box::new(step))),
        None => {
            let (l, s) = b.push_step(Step::Pcre(Box::new(step)));
            b.last_pm = Some((l, s));
        }
    }
    Ok(())
}
