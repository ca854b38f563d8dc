//! Meta keywords: they describe the rule (msg, sid, rev, gid, classtype,
//! reference, metadata, priority, target) or steer loading (`requires`,
//! `prefilter`, `noalert`); none is a condition on traffic.

use super::Builder;
use crate::detect::rule::lexer::{unescape, unquote};

fn need(v: Option<&str>) -> Result<&str, String> {
    v.filter(|s| !s.is_empty())
        .ok_or_else(|| "needs a value".to_owned())
}

fn none(v: Option<&str>) -> Result<(), String> {
    match v {
        Some(x) if !x.is_empty() => Err(format!("takes no value (got `{x}`)")),
        _ => Ok(()),
    }
}

/// `msg:"text"`.
pub fn msg(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = unquote(need(v)?, false)?;
    b.sig.msg = unescape(s).into();
    Ok(())
}

fn u32_of(v: Option<&str>, min: u32) -> Result<u32, String> {
    let s = need(v)?;
    s.parse::<u32>()
        .ok()
        .filter(|&n| n >= min)
        .ok_or_else(|| format!("`{s}` is not a number {min}..=4294967295"))
}

/// `sid:N` (N ≥ 1).
pub fn sid(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    b.sig.sid = u32_of(v, 1)?;
    b.has_sid = true;
    Ok(())
}

/// `rev:N`.
pub fn rev(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    b.sig.rev = u32_of(v, 0)?;
    Ok(())
}

/// `gid:N`.
pub fn gid(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    b.sig.gid = u32_of(v, 0)?;
    Ok(())
}

/// `classtype:name` (checked against classification.config by the loader).
pub fn classtype(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = need(v)?;
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!("`{s}` is not a classtype name"));
    }
    b.sig.classtype = Some(s.into());
    Ok(())
}

/// `reference:system,id`.
pub fn reference(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = need(v)?;
    let (sys, id) = s
        .split_once(',')
        .ok_or_else(|| format!("`{s}`: expected `system,id`"))?;
    let (sys, id) = (sys.trim(), unquote(id.trim(), false)?.trim());
    if sys.is_empty() || id.is_empty() {
        return Err(format!("`{s}`: expected `system,id`"));
    }
    b.sig.references.push((sys.to_owned(), id.to_owned()));
    Ok(())
}

/// `metadata:key value, key value`.
pub fn metadata(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    for item in need(v)?.split(',') {
        let item = item.trim();
        if !item.is_empty() {
            b.sig.metadata.push(item.to_owned());
        }
    }
    Ok(())
}

/// `priority:1..=255`.
pub fn priority(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = need(v)?;
    let p = s
        .parse::<u8>()
        .ok()
        .filter(|&p| p >= 1)
        .ok_or_else(|| format!("`{s}` is not a priority 1..=255"))?;
    b.sig.priority = p;
    b.sig.priority_explicit = true;
    Ok(())
}

/// `target:src_ip|dest_ip`.
pub fn target(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = need(v)?;
    if s != "src_ip" && s != "dest_ip" {
        return Err(format!("`{s}`: expected src_ip or dest_ip"));
    }
    b.sig.target = Some(s.to_owned());
    Ok(())
}

/// `noalert`: the rule matches (its effects happen) but raises no alert.
pub fn noalert(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    none(v)?;
    b.sig.noalert = true;
    Ok(())
}

/// Keywords whose value is not interpreted (engine hints such as
/// `prefilter`) and keywords marked not enforced.
pub fn ignore(_: &mut Builder, _: &str, _: Option<&str>) -> Result<(), String> {
    Ok(())
}

/// The Suricata version vxtap's rule language follows.
pub const SURICATA_VERSION: (u32, u32, u32) = (7, 0, 10);

/// `requires: feature NAME, version >= X.Y[.Z]`. Suricata 7.0.10 skips a
/// rule whose requirements it does not meet; so does vxtap (no feature is
/// provided; versions compare with 7.0.10). The rule is then reported
/// under `requires`.
pub fn requires(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = need(v)?;
    for part in s.split(',') {
        let part = part.trim();
        if let Some(f) = part.strip_prefix("feature") {
            let f = f.trim();
            if f.is_empty() {
                return Err("`feature` needs a name".into());
            }
            b.requires_unmet = Some(format!("feature {f}"));
        } else if let Some(rest) = part.strip_prefix("version") {
            for cond in rest.split('|') {
                if !version_holds(cond.trim())? {
                    b.requires_unmet = Some(format!("version {}", cond.trim()));
                }
            }
        } else {
            return Err(format!(
                "`{part}`: expected `feature NAME` or `version OP X.Y.Z`"
            ));
        }
    }
    Ok(())
}

fn version_holds(cond: &str) -> Result<bool, String> {
    let mut all = true;
    let mut rest = cond.trim();
    while !rest.is_empty() {
        let (op, r) = ["<=", ">=", "<", ">", "="]
            .iter()
            .find_map(|op| rest.strip_prefix(op).map(|r| (*op, r)))
            .ok_or_else(|| format!("`{cond}`: expected an operator"))?;
        let r = r.trim_start();
        let end = r.find(char::is_whitespace).unwrap_or(r.len());
        let (ver, tail) = r.split_at(end);
        let mut nums = ver.split('.').map(|n| n.parse::<u32>());
        let want = (
            nums.next()
                .unwrap_or(Ok(0))
                .map_err(|_| format!("bad version `{ver}`"))?,
            nums.next()
                .unwrap_or(Ok(0))
                .map_err(|_| format!("bad version `{ver}`"))?,
            nums.next()
                .unwrap_or(Ok(0))
                .map_err(|_| format!("bad version `{ver}`"))?,
        );
        let have = SURICATA_VERSION;
        all &= match op {
            "<=" => have <= want,
            ">=" => have >= want,
            "<" => have < want,
            ">" => have > want,
            _ => have == want,
        };
        rest = tail.trim();
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_conditions() {
        assert!(version_holds(">= 7").unwrap());
        assert!(!version_holds(">= 8").unwrap());
        assert!(version_holds(">= 7.0.3 < 8").unwrap());
        assert!(!version_holds("< 7.0.10").unwrap());
        assert!(version_holds("x").is_err());
    }
}
