//! Integer comparisons shared by every numeric keyword (dsize, ttl, itype,
//! bsize, tcp.mss, flow.age, …), with Suricata 7's syntax: `N`, `=N`, `!N`,
//! `!=N`, `<N`, `<=N`, `>N`, `>=N`, `A-B` and `A<>B` (both exclusive: the
//! value lies strictly between), `!A-B`, `&MASK=V`, `&MASK!=V`; numbers are
//! decimal or `0x` hex, optionally with a `kb`/`mb`/`gb` (`kib`…) unit.

/// The comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UintMode {
    /// `== a`
    Eq,
    /// `!= a`
    Ne,
    /// `< a`
    Lt,
    /// `<= a`
    Le,
    /// `> a`
    Gt,
    /// `>= a`
    Ge,
    /// `a < v < b`
    Range,
    /// `v <= a || v >= b`
    NotRange,
    /// `v & a == b`
    Mask,
    /// `v & a != b`
    NotMask,
}

/// A parsed integer condition on values up to the keyword's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uint {
    /// The comparison.
    pub mode: UintMode,
    /// First operand.
    pub a: u64,
    /// Second operand (ranges, masks).
    pub b: u64,
}

impl Uint {
    /// Whether `v` satisfies the condition.
    #[inline]
    pub fn matches(&self, v: u64) -> bool {
        match self.mode {
            UintMode::Eq => v == self.a,
            UintMode::Ne => v != self.a,
            UintMode::Lt => v < self.a,
            UintMode::Le => v <= self.a,
            UintMode::Gt => v > self.a,
            UintMode::Ge => v >= self.a,
            UintMode::Range => v > self.a && v < self.b,
            UintMode::NotRange => v <= self.a || v >= self.b,
            UintMode::Mask => v & self.a == self.b,
            UintMode::NotMask => v & self.a != self.b,
        }
    }

    /// Parses `s` for a keyword whose values fit in `max`.
    pub fn parse(s: &str, max: u64) -> Result<Uint, String> {
        let t = s.trim();
        let bad =
            || format!("`{s}` is not an integer condition (N, <N, >N, <=N, >=N, !N, A-B, A<>B)");
        if t.is_empty() {
            return Err(bad());
        }
        // Bitmask: &M=V or &M!=V
        if let Some(rest) = t.strip_prefix('&') {
            let (m, neg, v) = if let Some((m, v)) = rest.split_once("!=") {
                (m, true, v)
            } else if let Some((m, v)) = rest.split_once('=') {
                (m, false, v)
            } else {
                return Err(bad());
            };
            let (a, b) = (number(m, max)?, number(v, max)?);
            if a & b != b {
                return Err(format!(
                    "`{s}`: value has bits outside the mask, can never match"
                ));
            }
            let mode = if neg {
                UintMode::NotMask
            } else {
                UintMode::Mask
            };
            return Ok(Uint { mode, a, b });
        }
        // Ranges: [!]A-B or [!]A<>B
        let (neg, body) = match t.strip_prefix('!') {
            Some(r) if !r.starts_with('=') => (true, r.trim_start()),
            _ => (false, t),
        };
        let range = body
            .split_once("<>")
            .or_else(|| body.split_once('-').filter(|(a, _)| !a.trim().is_empty()));
        if let Some((a, b)) = range {
            let (a, b) = (number(a, max)?, number(b, max)?);
            if b <= a || b - a <= 1 {
                return Err(format!("`{s}`: empty range (values strictly between)"));
            }
            let mode = if neg {
                UintMode::NotRange
            } else {
                UintMode::Range
            };
            return Ok(Uint { mode, a, b });
        }
        let (mode, rest) = if let Some(r) = t.strip_prefix(">=") {
            (UintMode::Ge, r)
        } else if let Some(r) = t.strip_prefix("<=") {
            (UintMode::Le, r)
        } else if let Some(r) = t.strip_prefix("!=") {
            (UintMode::Ne, r)
        } else if let Some(r) = t.strip_prefix('>') {
            (UintMode::Gt, r)
        } else if let Some(r) = t.strip_prefix('<') {
            (UintMode::Lt, r)
        } else if let Some(r) = t.strip_prefix('!') {
            (UintMode::Ne, r)
        } else if let Some(r) = t.strip_prefix('=') {
            (UintMode::Eq, r)
        } else {
            (UintMode::Eq, t)
        };
        let a = number(rest, max)?;
        let impossible = match mode {
            UintMode::Lt | UintMode::Ge => a == 0,
            UintMode::Gt | UintMode::Le => a == max,
            _ => false,
        };
        if impossible {
            return Err(format!("`{s}` can never (or always) match"));
        }
        Ok(Uint { mode, a, b: 0 })
    }
}

/// Parses one number: decimal or `0x` hex, with an optional size unit.
pub fn number(s: &str, max: u64) -> Result<u64, String> {
    let t = s.trim();
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).map_err(|_| format!("`{t}` is not a hex number"))?
    } else {
        let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (n, unit) = t.split_at(digits);
        let n: u64 = n.parse().map_err(|_| format!("`{t}` is not a number"))?;
        let mult: u64 = match unit.to_ascii_lowercase().as_str() {
            "" => 1,
            "kb" | "kib" => 1 << 10,
            "mb" | "mib" => 1 << 20,
            "gb" | "gib" => 1 << 30,
            _ => return Err(format!("`{t}` is not a number")),
        };
        n.checked_mul(mult)
            .ok_or_else(|| format!("`{t}` overflows"))?
    };
    if v > max {
        return Err(format!("{v} is larger than {max}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str, v: u64) -> bool {
        Uint::parse(s, 65535).unwrap().matches(v)
    }

    #[test]
    fn modes() {
        assert!(m("8", 8) && !m("8", 9));
        assert!(m("<15", 14) && !m("<15", 15));
        assert!(m(">7", 8) && !m(">7", 7));
        assert!(m("<=7", 7) && m(">=7", 7));
        assert!(m("!8", 7) && !m("!8", 8) && m("!=8", 9));
        // Suricata ranges exclude both ends: itype:7<>20 is 8..=19.
        assert!(!m("7<>20", 7) && m("7<>20", 8) && m("7<>20", 19) && !m("7<>20", 20));
        assert!(m("100-300", 101) && !m("100-300", 100));
        assert!(m("!100-300", 100) && !m("!100-300", 200));
        assert!(m("&0x0f=0x01", 0x31) && !m("&0x0f=0x01", 0x32));
        assert!(m("&0x0f!=0x01", 0x32));
        assert!(m("= 5", 5));
        assert_eq!(Uint::parse("1kb", u64::MAX).unwrap().a, 1024);
    }

    #[test]
    fn rejects() {
        for s in [
            "",
            "x",
            "256",
            "<0",
            ">255",
            "5-6",
            "6-5",
            "&0x0f=0x10",
            "1zb",
        ] {
            assert!(Uint::parse(s, 255).is_err(), "{s}");
        }
    }
}
