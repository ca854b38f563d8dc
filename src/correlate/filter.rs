//! Traffic mirror filters in AWS's terms (`[[mirror-filter]]` in the
//! configuration): which traffic a mirror session copies. AWS evaluates the
//! rules of the packet's direction in rule-number order; the first rule that
//! matches decides (accept: mirrored, reject: not mirrored); traffic no rule
//! matches is not mirrored. Used by `vxtap correlate` to explain flows AWS
//! logged that were never mirrored.

use std::net::IpAddr;

use serde::Deserialize;

/// An address block (`10.0.0.0/8`, `::/0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Cidr {
    /// Network address.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix: u8,
}

impl TryFrom<String> for Cidr {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let (a, p) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not a CIDR block (expected address/prefix)"))?;
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("`{a}` in `{s}` is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = p
            .parse()
            .ok()
            .filter(|&p| p <= max)
            .ok_or_else(|| format!("prefix `{p}` in `{s}` is not 0..={max}"))?;
        Ok(Cidr { addr, prefix })
    }
}

impl Cidr {
    /// True if `ip` lies in the block (never across address families).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix as u32).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix as u32).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// `TrafficDirection` of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrafficDirection {
    /// Into the source ENI.
    Ingress,
    /// Out of the source ENI.
    Egress,
}

/// `RuleAction` of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleAction {
    /// Mirror matching traffic.
    Accept,
    /// Do not mirror matching traffic.
    Reject,
}

/// One `[[mirror-filter.rule]]`: AWS's `TrafficMirrorFilterRule`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FilterRule {
    /// `RuleNumber`, 1..=32766: lower numbers are evaluated first.
    pub rule_number: u16,
    /// `TrafficDirection`: `ingress` or `egress`.
    pub traffic_direction: TrafficDirection,
    /// `RuleAction`: `accept` or `reject`.
    pub rule_action: RuleAction,
    /// `Protocol` (IANA number); absent: all protocols.
    pub protocol: Option<u8>,
    /// `SourceCidrBlock`; absent: any address.
    pub source_cidr_block: Option<Cidr>,
    /// `DestinationCidrBlock`; absent: any address.
    pub destination_cidr_block: Option<Cidr>,
    /// `SourcePortRange` as `[from, to]`; absent: all ports.
    pub source_port_range: Option<[u16; 2]>,
    /// `DestinationPortRange` as `[from, to]`; absent: all ports.
    pub destination_port_range: Option<[u16; 2]>,
}

/// One `[[mirror-filter]]`: a `TrafficMirrorFilter` and the interfaces
/// whose sessions use it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MirrorFilter {
    /// The filter's id (`tmf-…`), shown in reasons; optional.
    pub id: Option<String>,
    /// Interface ids (`eni-…`) whose mirror sessions use this filter;
    /// empty: every interface.
    #[serde(default)]
    pub interfaces: Vec<String>,
    /// The rules.
    #[serde(default, rename = "rule")]
    pub rules: Vec<FilterRule>,
}

/// The flow a verdict is asked for.
#[derive(Debug, Clone, Copy)]
pub struct FlowTuple {
    /// IANA protocol.
    pub protocol: u8,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Source port (0 without ports).
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
}

/// What a filter does with a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Mirrored (by this rule number).
    Mirrored(u16),
    /// Not mirrored: rejected by this rule number.
    Rejected(u16),
    /// Not mirrored: no rule of the direction matches.
    NoRule,
}

impl FilterRule {
    fn matches(&self, f: &FlowTuple) -> bool {
        let port_in = |r: Option<[u16; 2]>, p: u16| r.is_none_or(|[a, b]| (a..=b).contains(&p));
        self.protocol.is_none_or(|p| p == f.protocol)
            && self.source_cidr_block.is_none_or(|c| c.contains(f.src))
            && self
                .destination_cidr_block
                .is_none_or(|c| c.contains(f.dst))
            && port_in(self.source_port_range, f.sport)
            && port_in(self.destination_port_range, f.dport)
    }
}

impl MirrorFilter {
    /// True if the filter applies to `interface`.
    pub fn applies_to(&self, interface: &str) -> bool {
        self.interfaces.is_empty() || self.interfaces.iter().any(|i| i == interface)
    }

    /// The verdict for a flow in `direction` (AWS's evaluation order).
    pub fn verdict(&self, direction: TrafficDirection, f: &FlowTuple) -> Verdict {
        let mut rules: Vec<&FilterRule> = self
            .rules
            .iter()
            .filter(|r| r.traffic_direction == direction)
            .collect();
        rules.sort_by_key(|r| r.rule_number);
        match rules.into_iter().find(|r| r.matches(f)) {
            Some(r) if r.rule_action == RuleAction::Accept => Verdict::Mirrored(r.rule_number),
            Some(r) => Verdict::Rejected(r.rule_number),
            None => Verdict::NoRule,
        }
    }

    /// Why the filter does not mirror the flow, or `None` if it does. With
    /// the direction unknown, the flow counts as filtered only if neither
    /// direction's rules mirror it.
    pub fn why_not_mirrored(
        &self,
        direction: Option<TrafficDirection>,
        f: &FlowTuple,
    ) -> Option<String> {
        let id = self.id.as_deref().unwrap_or("mirror filter");
        let explain = |d: TrafficDirection| match self.verdict(d, f) {
            Verdict::Mirrored(_) => None,
            Verdict::Rejected(n) => Some(format!("{id} rule {n} ({d:?}) rejects").to_lowercase()),
            Verdict::NoRule => Some(format!("{id}: no {d:?} rule accepts").to_lowercase()),
        };
        match direction {
            Some(d) => explain(d),
            None => {
                let i = explain(TrafficDirection::Ingress)?;
                explain(TrafficDirection::Egress)?;
                Some(i)
            }
        }
    }
}

/// Checks what serde cannot: rule numbers 1..=32766 and unique per
/// direction, port ranges with from ≤ to. Returns the dotted key and what is wrong.
pub fn validate(filters: &[MirrorFilter]) -> Result<(), (String, String)> {
    for (i, f) in filters.iter().enumerate() {
        let mut seen = std::collections::HashSet::new();
        for (j, r) in f.rules.iter().enumerate() {
            let key = |k: &str| format!("mirror-filter[{i}].rule[{j}].{k}");
            if !(1..=32766).contains(&r.rule_number) {
                return Err((
                    key("rule-number"),
                    format!("{} is outside 1..=32766", r.rule_number),
                ));
            }
            if !seen.insert((r.rule_number, r.traffic_direction as u8)) {
                return Err((
                    key("rule-number"),
                    format!(
                        "{} is used twice for {:?} rules",
                        r.rule_number, r.traffic_direction
                    ),
                ));
            }
            for (k, range) in [
                ("source-port-range", r.source_port_range),
                ("destination-port-range", r.destination_port_range),
            ] {
                if let Some([a, b]) = range
                    && a > b
                {
                    return Err((key(k), format!("[{a}, {b}]: from is above to")));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(toml_text: &str) -> MirrorFilter {
        #[derive(Deserialize)]
        struct W {
            #[serde(rename = "mirror-filter")]
            f: Vec<MirrorFilter>,
        }
        let w: W = toml::from_str(toml_text).unwrap();
        w.f.into_iter().next().unwrap()
    }

    fn udp(src: &str, dst: &str, sport: u16, dport: u16) -> FlowTuple {
        FlowTuple {
            protocol: 17,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            sport,
            dport,
        }
    }

    const DNS_GAP: &str = r#"
[[mirror-filter]]
id = "tmf-1"
[[mirror-filter.rule]]
rule-number = 200
traffic-direction = "egress"
rule-action = "accept"
[[mirror-filter.rule]]
rule-number = 100
traffic-direction = "egress"
rule-action = "reject"
protocol = 17
destination-port-range = [53, 53]
destination-cidr-block = "10.0.0.0/8"
[[mirror-filter.rule]]
rule-number = 100
traffic-direction = "ingress"
rule-action = "accept"
source-cidr-block = "0.0.0.0/0"
"#;

    #[test]
    fn first_rule_by_number_decides() {
        let f = filter(DNS_GAP);
        let dns = udp("10.0.1.10", "10.0.0.2", 40000, 53);
        assert_eq!(
            f.verdict(TrafficDirection::Egress, &dns),
            Verdict::Rejected(100)
        );
        assert_eq!(
            f.why_not_mirrored(Some(TrafficDirection::Egress), &dns)
                .unwrap(),
            "tmf-1 rule 100 (egress) rejects"
        );
        let other = udp("10.0.1.10", "192.0.2.1", 40000, 53);
        assert_eq!(
            f.verdict(TrafficDirection::Egress, &other),
            Verdict::Mirrored(200)
        );
        // 0.0.0.0/0 is IPv4 only, as in AWS: IPv6 ingress matches no rule.
        let v6 = udp("2001:db8::1", "2001:db8::2", 1, 2);
        assert_eq!(f.verdict(TrafficDirection::Ingress, &v6), Verdict::NoRule);
        // Unknown direction: filtered only if neither direction mirrors it.
        assert_eq!(f.why_not_mirrored(None, &dns), None);
        assert_eq!(f.why_not_mirrored(None, &v6), None);
        assert_eq!(
            f.why_not_mirrored(Some(TrafficDirection::Ingress), &v6)
                .unwrap(),
            "tmf-1: no ingress rule accepts"
        );
    }

    #[test]
    fn cidr_edges() {
        let c = Cidr::try_from("10.1.0.0/16".to_string()).unwrap();
        assert!(c.contains("10.1.255.255".parse().unwrap()));
        assert!(!c.contains("10.2.0.0".parse().unwrap()));
        let all = Cidr::try_from("::/0".to_string()).unwrap();
        assert!(all.contains("::1".parse().unwrap()));
        assert!(!all.contains("1.2.3.4".parse().unwrap()));
        for bad in ["10.0.0.0", "10.0.0.0/33", "x/8", "::/129", "10.0.0.0/-1"] {
            assert!(Cidr::try_from(bad.to_string()).is_err(), "{bad}");
        }
    }

    #[test]
    fn validation_names_the_key() {
        let mut f = filter(DNS_GAP);
        f.rules[1].destination_port_range = Some([60, 53]);
        let (k, _) = validate(&[f]).unwrap_err();
        assert_eq!(k, "mirror-filter[0].rule[1].destination-port-range");
        let mut f = filter(DNS_GAP);
        f.rules[0].rule_number = 100;
        let (k, w) = validate(&[f]).unwrap_err();
        assert_eq!(k, "mirror-filter[0].rule[1].rule-number");
        assert!(w.contains("twice"), "{w}");
    }
}
