//! Port expressions: `any`, `80`, `1024:`, `:1023`, `80:90`, `!80`, `$VAR`
//! and groups `[80,443,8000:8100,!8080]` (see [`super::group`]).

use super::group::{self, GroupSet};
use super::ranges::RangeSet;
use super::vars::RuleVars;

const PORT_MAX: u128 = u16::MAX as u128;

/// A set of ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSet(pub RangeSet);

impl PortSet {
    /// Whether `p` is in the set.
    #[inline]
    pub fn contains(&self, p: u16) -> bool {
        self.0.contains(p as u128)
    }

    /// Whether every port is in the set.
    pub fn is_any(&self) -> bool {
        self.0.is_full(PORT_MAX)
    }

    /// The ports when there are at most `limit` of them.
    pub fn few(&self, limit: usize) -> Option<Vec<u16>> {
        if self.0.count() > limit as u128 {
            return None;
        }
        Some(
            self.0
                .ranges()
                .iter()
                .flat_map(|&(lo, hi)| (lo as u16)..=(hi as u16))
                .collect(),
        )
    }

    /// Parses a port expression, expanding variables from `vars`.
    pub fn parse(text: &str, vars: &RuleVars) -> Result<PortSet, String> {
        group::eval::<PortSet>(text, &|name| vars.port(name).map(str::to_owned))
    }
}

impl GroupSet for PortSet {
    fn full() -> Self {
        PortSet(RangeSet::full(PORT_MAX))
    }
    fn empty() -> Self {
        PortSet(RangeSet::empty())
    }
    fn union(&self, o: &Self) -> Self {
        PortSet(self.0.union(&o.0))
    }
    fn complement(&self) -> Self {
        PortSet(self.0.complement(PORT_MAX))
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn leaf(text: &str) -> Result<Self, String> {
        let num = |s: &str, default: u16| -> Result<u16, String> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(default);
            }
            s.parse::<u16>()
                .map_err(|_| format!("port `{s}` is not a number 0..=65535"))
        };
        let (lo, hi) = match text.split_once(':') {
            Some((a, b)) => (num(a, 0)?, num(b, u16::MAX)?),
            None => {
                let p = num(text, 0)?;
                if text.trim().is_empty() {
                    return Err("empty port".into());
                }
                (p, p)
            }
        };
        if lo > hi {
            return Err(format!("port range `{text}` ends before it starts"));
        }
        Ok(PortSet(RangeSet::range(lo.into(), hi.into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let v = RuleVars::default();
        let p = PortSet::parse("[80,443,8000:8100,!8080]", &v).unwrap();
        assert!(p.contains(80) && p.contains(8000) && !p.contains(8080) && !p.contains(81));
        assert!(PortSet::parse("1024:", &v).unwrap().contains(65535));
        assert!(!PortSet::parse(":1023", &v).unwrap().contains(1024));
        assert!(!PortSet::parse("!80", &v).unwrap().contains(80));
        assert!(PortSet::parse("$SHELLCODE_PORTS", &v).unwrap().contains(81));
        let fd = PortSet::parse("$FILE_DATA_PORTS", &v).unwrap();
        assert_eq!(fd.few(8), Some(vec![80, 110, 143]));
        assert!(PortSet::parse("any", &v).unwrap().is_any());
    }

    #[test]
    fn errors() {
        let v = RuleVars::default();
        for (t, needle) in [
            ("65536", "not a number"),
            ("90:80", "ends before"),
            ("$NOPE", "undefined"),
            ("!any", "nothing"),
            ("[80,!80]", "nothing"),
        ] {
            let e = PortSet::parse(t, &v).unwrap_err();
            assert!(e.contains(needle), "{t}: {e}");
        }
    }
}
