//! No rule text makes the parser or loader panic: arbitrary strings,
//! mutated real rules, and rules assembled from real keywords with
//! arbitrary values. Round trips where the language has one: content hex
//! encoding, address/port set algebra.

use std::sync::Arc;

use proptest::prelude::*;
use vxtap::detect::error::Location;
use vxtap::detect::keywords::content::decode;
use vxtap::detect::load::Loader;
use vxtap::detect::rule::address::IpSet;
use vxtap::detect::rule::parse::parse_rule;
use vxtap::detect::rule::port::PortSet;
use vxtap::detect::rule::vars::RuleVars;

const SEEDS: &[&str] = &[
    r#"alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:"x"; flow:established,to_server; content:"GET"; depth:3; content:"|0d 0a|Host|3a 20|"; distance:0; within:200; nocase; fast_pattern; pcre:"/^\d+\x20/R"; byte_test:2,>,100,0,relative; sid:1; rev:1;)"#,
    r#"alert udp any any -> any 53 (content:"|01 00 00 01|"; offset:2; depth:4; byte_extract:1,12,len; isdataat:len,relative; threshold:type limit, track by_src, count 1, seconds 60; sid:2;)"#,
    r#"alert ip [10.0.0.0/8,!10.1.0.0/16] any <> ![1.2.3.4,5.6.7.8] [80:90,!85] (ipv4.hdr; byte_math:bytes 1, offset 0, oper -, rvalue 64, result r; byte_test:1,<,r,8; flowbits:isset,a|b; sid:3;)"#,
    r#"alert tcp any any -> any any (flags:S+,12; tcp.hdr; to_lowercase; content:"x"; hostbits:set,h,dst,expire 10; flowint:n,+,1; detection_filter:track by_dst, count 3, seconds 5; sid:4;)"#,
];

fn parse(text: &str) {
    let loc = Location {
        file: Arc::from("p.rules"),
        line: 1,
    };
    let _ = parse_rule(text, &RuleVars::default(), loc);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,400}") {
        parse(&s);
        let vars = RuleVars::default();
        let mut l = Loader::new(&vars, None);
        l.add_text(&s, "p.rules");
        let (_, r) = l.finish();
        prop_assert_eq!(r.loaded + r.unsupported + r.failed.len(), r.total);
    }

    #[test]
    fn mutated_real_rules_never_panic(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut b = SEEDS[seed].as_bytes().to_vec();
        for (i, c) in edits {
            let at = i.index(b.len());
            b[at] = c;
        }
        parse(&String::from_utf8_lossy(&b));
    }

    #[test]
    fn keyword_with_arbitrary_value_never_panics(
        kw in proptest::sample::select(vxtap::detect::keywords::REGISTRY.iter().map(|k| k.name).collect::<Vec<_>>()),
        v in "[ -~]{0,40}",
    ) {
        parse(&format!(r#"alert tcp any any -> any any (content:"ab"; tcp.hdr; content:"c"; {kw}:{v}; sid:1;)"#));
        parse(&format!(r#"alert tcp any any -> any any ({kw}; sid:1;)"#));
    }

    #[test]
    fn content_hex_round_trips(bytes in proptest::collection::vec(any::<u8>(), 1..64)) {
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let text = format!("|{}|", hex.join(" "));
        prop_assert_eq!(decode(&text).unwrap(), bytes);
    }

    #[test]
    fn negation_is_complement(a in 0u32..=u32::MAX, prefix in 0u8..=32, probe in any::<u32>()) {
        let vars = RuleVars::default();
        let net = format!("{}/{}", std::net::Ipv4Addr::from(a), prefix);
        let s = IpSet::parse(&net, &vars).unwrap();
        let n = IpSet::parse(&format!("!{net}"), &vars);
        let addr = vxtap::wire::Addr::v4(probe.to_be_bytes());
        match n {
            Ok(n) => prop_assert_ne!(s.contains(addr), n.contains(addr)),
            Err(e) => prop_assert!(prefix == 0 && e.contains("nothing"), "{e}"),
        }
    }

    #[test]
    fn port_ranges_contain_their_ends(lo in any::<u16>(), hi in any::<u16>()) {
        let vars = RuleVars::default();
        let r = PortSet::parse(&format!("{lo}:{hi}"), &vars);
        if lo <= hi {
            let r = r.unwrap();
            prop_assert!(r.contains(lo) && r.contains(hi));
            if lo > 0 { prop_assert!(!r.contains(lo - 1)); }
        } else {
            prop_assert!(r.is_err());
        }
    }
}
