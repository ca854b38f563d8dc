//! The group syntax shared by address and port expressions:
//! `any`, a leaf value, `$VAR`, `!x`, and `[a, b, !c, [d, e]]`. A group is the
//! union of its positive members minus its negated ones (only negated
//! members: everything minus them), as Suricata evaluates it.

/// What a set type offers to the group evaluator.
pub trait GroupSet: Sized + Clone {
    /// Every value.
    fn full() -> Self;
    /// No value.
    fn empty() -> Self;
    /// Union.
    fn union(&self, other: &Self) -> Self;
    /// Everything not in the set.
    fn complement(&self) -> Self;
    /// Whether no value is in the set.
    fn is_empty(&self) -> bool;
    /// Parses one leaf (not `any`, `$VAR`, `!` or a bracket group).
    fn leaf(text: &str) -> Result<Self, String>;
}

/// Variables are expanded at most this deep (a cycle ends here, reported).
const MAX_VAR_DEPTH: usize = 32;

/// Evaluates `text`; `lookup` resolves a variable name (without `$`).
pub fn eval<S: GroupSet>(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<S, String> {
    let set = eval_depth::<S>(text.trim(), lookup, 0)?;
    if set.is_empty() {
        return Err(format!("`{text}` matches nothing"));
    }
    Ok(set)
}

fn eval_depth<S: GroupSet>(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
) -> Result<S, String> {
    if depth > MAX_VAR_DEPTH {
        return Err("variables nested too deep (a cycle?)".into());
    }
    let text = text.trim();
    if text.is_empty() {
        return Err("empty value".into());
    }
    if let Some(rest) = text.strip_prefix('!') {
        let rest = rest.trim_start();
        if rest.eq_ignore_ascii_case("any") {
            return Err("`!any` matches nothing".into());
        }
        return Ok(eval_depth::<S>(rest, lookup, depth)?.complement());
    }
    if text.eq_ignore_ascii_case("any") {
        return Ok(S::full());
    }
    if let Some(name) = text.strip_prefix('$') {
        let value = lookup(name).ok_or_else(|| format!("undefined variable `${name}`"))?;
        return eval_depth::<S>(&value, lookup, depth + 1)
            .map_err(|e| format!("in `${name}` = `{value}`: {e}"));
    }
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| format!("unbalanced brackets in `{text}`"))?;
        let mut pos = S::empty();
        let mut neg = S::empty();
        let mut any_pos = false;
        for item in split_top(inner)? {
            let item = item.trim();
            if item.is_empty() {
                return Err(format!("empty element in `{text}`"));
            }
            if let Some(rest) = item.strip_prefix('!') {
                neg = neg.union(&eval_depth::<S>(rest, lookup, depth)?);
            } else {
                any_pos = true;
                pos = pos.union(&eval_depth::<S>(item, lookup, depth)?);
            }
        }
        if !any_pos {
            pos = S::full();
        }
        // pos − neg = pos ∩ ¬neg = ¬(¬pos ∪ neg)
        return Ok(pos.complement().union(&neg).complement());
    }
    if text.contains([',', '[', ']']) {
        return Err(format!("`{text}`: a list needs brackets"));
    }
    S::leaf(text)
}

/// Splits on commas outside brackets.
fn split_top(s: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("unbalanced brackets in `[{s}]`"));
                }
            }
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced brackets in `[{s}]`"));
    }
    out.push(&s[start..]);
    Ok(out)
}
