//! Address expressions of rule headers: `any`, `1.2.3.4`, `10.0.0.0/8`,
//! `10.0.0.0/255.0.0.0`, `1.2.3.4-1.2.3.9`, IPv6 forms, `$VAR`, negation and
//! groups (see [`super::group`]). The result is an exact set per family.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::group::{self, GroupSet};
use super::ranges::RangeSet;
use super::vars::RuleVars;
use crate::wire::Addr;

const V4_MAX: u128 = u32::MAX as u128;
const V6_MAX: u128 = u128::MAX;

/// A set of IPv4 and IPv6 addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpSet {
    /// IPv4 addresses as their 32-bit values.
    pub v4: RangeSet,
    /// IPv6 addresses as their 128-bit values.
    pub v6: RangeSet,
}

impl IpSet {
    /// Whether `a` is in the set.
    #[inline]
    pub fn contains(&self, a: Addr) -> bool {
        if a.v6 {
            self.v6.contains(a.bits())
        } else {
            self.v4.contains(a.bits())
        }
    }

    /// Whether every address of both families is in the set.
    pub fn is_any(&self) -> bool {
        self.v4.is_full(V4_MAX) && self.v6.is_full(V6_MAX)
    }

    /// Parses an address expression, expanding variables from `vars`.
    pub fn parse(text: &str, vars: &RuleVars) -> Result<IpSet, String> {
        group::eval::<IpSet>(text, &|name| vars.address(name).map(str::to_owned))
    }
}

impl GroupSet for IpSet {
    fn full() -> Self {
        IpSet {
            v4: RangeSet::full(V4_MAX),
            v6: RangeSet::full(V6_MAX),
        }
    }
    fn empty() -> Self {
        IpSet {
            v4: RangeSet::empty(),
            v6: RangeSet::empty(),
        }
    }
    fn union(&self, o: &Self) -> Self {
        IpSet {
            v4: self.v4.union(&o.v4),
            v6: self.v6.union(&o.v6),
        }
    }
    fn complement(&self) -> Self {
        IpSet {
            v4: self.v4.complement(V4_MAX),
            v6: self.v6.complement(V6_MAX),
        }
    }
    fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
    fn leaf(text: &str) -> Result<Self, String> {
        leaf(text).map_err(|e| format!("address `{text}`: {e}"))
    }
}

fn leaf(text: &str) -> Result<IpSet, String> {
    let mut set = IpSet::empty();
    if let Some((lo, hi)) = text.split_once('-') {
        let (lo, hi) = (parse_ip(lo.trim())?, parse_ip(hi.trim())?);
        match (lo, hi) {
            (IpAddr::V4(a), IpAddr::V4(b)) if u32::from(a) <= u32::from(b) => {
                set.v4 = RangeSet::range(u32::from(a).into(), u32::from(b).into())
            }
            (IpAddr::V6(a), IpAddr::V6(b)) if u128::from(a) <= u128::from(b) => {
                set.v6 = RangeSet::range(a.into(), b.into())
            }
            _ => return Err("range ends out of order or of different families".into()),
        }
        return Ok(set);
    }
    let (ip, mask) = match text.split_once('/') {
        Some((ip, m)) => (parse_ip(ip.trim())?, Some(m.trim())),
        None => (parse_ip(text)?, None),
    };
    match ip {
        IpAddr::V4(a) => {
            let bits = match mask {
                None => 32,
                Some(m) if m.contains('.') => {
                    let m: Ipv4Addr = m.parse().map_err(|_| format!("bad netmask `{m}`"))?;
                    let m = u32::from(m);
                    if m.leading_ones() + m.trailing_zeros() != 32 {
                        return Err(format!("netmask `{m}` is not contiguous"));
                    }
                    m.leading_ones()
                }
                Some(m) => m
                    .parse::<u32>()
                    .ok()
                    .filter(|&b| b <= 32)
                    .ok_or_else(|| format!("bad prefix length `{m}`"))?,
            };
            let net_mask: u32 = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            let lo = u32::from(a) & net_mask;
            set.v4 = RangeSet::range(lo.into(), (lo | !net_mask).into());
        }
        IpAddr::V6(a) => {
            let bits = match mask {
                None => 128,
                Some(m) => m
                    .parse::<u32>()
                    .ok()
                    .filter(|&b| b <= 128)
                    .ok_or_else(|| format!("bad prefix length `{m}`"))?,
            };
            let net_mask: u128 = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            let lo = u128::from(a) & net_mask;
            set.v6 = RangeSet::range(lo, lo | !net_mask);
        }
    }
    Ok(set)
}

fn parse_ip(s: &str) -> Result<IpAddr, String> {
    if let Ok(a) = s.parse::<Ipv4Addr>() {
        return Ok(IpAddr::V4(a));
    }
    s.parse::<Ipv6Addr>()
        .map(IpAddr::V6)
        .map_err(|_| format!("`{s}` is not an IP address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Addr {
        Addr::from(s.parse::<IpAddr>().unwrap())
    }

    #[test]
    fn home_net_and_external_net_defaults() {
        let vars = RuleVars::default();
        let home = IpSet::parse("$HOME_NET", &vars).unwrap();
        let ext = IpSet::parse("$EXTERNAL_NET", &vars).unwrap();
        for a in ["10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1"] {
            assert!(home.contains(v4(a)) && !ext.contains(v4(a)), "{a}");
        }
        for a in ["8.8.8.8", "172.32.0.1", "11.0.0.0", "::1"] {
            assert!(!home.contains(v4(a)) && ext.contains(v4(a)), "{a}");
        }
    }

    #[test]
    fn groups_negation_ranges_masks() {
        let vars = RuleVars::default();
        let s = IpSet::parse("[10.0.0.0/8, !10.1.0.0/16, 1.2.3.4-1.2.3.6]", &vars).unwrap();
        assert!(s.contains(v4("10.2.0.1")));
        assert!(!s.contains(v4("10.1.9.9")));
        assert!(s.contains(v4("1.2.3.5")) && !s.contains(v4("1.2.3.7")));
        let only_neg = IpSet::parse("[!1.1.1.1]", &vars).unwrap();
        assert!(!only_neg.contains(v4("1.1.1.1")) && only_neg.contains(v4("1.1.1.2")));
        let m = IpSet::parse("192.168.0.0/255.255.0.0", &vars).unwrap();
        assert!(m.contains(v4("192.168.44.1")) && !m.contains(v4("192.169.0.1")));
        let v6 = IpSet::parse("ff00::/8", &vars).unwrap();
        assert!(v6.contains(v4("ff02::1")) && !v6.contains(v4("fe80::1")));
        assert!(IpSet::parse("any", &vars).unwrap().is_any());
        let nested = IpSet::parse("![$HOME_NET,!10.0.0.1]", &vars).unwrap();
        assert!(nested.contains(v4("10.0.0.1")) && !nested.contains(v4("10.0.0.2")));
    }

    #[test]
    fn errors_say_what() {
        let vars = RuleVars::default();
        for (text, needle) in [
            ("$NOPE", "undefined variable"),
            ("!any", "matches nothing"),
            ("[1.2.3.4", "unbalanced"),
            ("1.2.3.4/33", "prefix length"),
            ("1.2.3", "not an IP"),
            ("[1.1.1.1,!1.1.1.1]", "matches nothing"),
            ("1.1.1.1,2.2.2.2", "needs brackets"),
        ] {
            let e = IpSet::parse(text, &vars).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
        let mut cyc = RuleVars::default();
        cyc.address_groups.insert("A".into(), "$B".into());
        cyc.address_groups.insert("B".into(), "$A".into());
        assert!(IpSet::parse("$A", &cyc).unwrap_err().contains("too deep"));
    }
}
