//! Address parsing for flow-log fields: hand parsers for the common textual
//! forms (dotted-quad IPv4, hexadecimal IPv6 groups with at most one `::`)
//! and `std`'s parser for everything else (embedded IPv4, errors).
//!
//! Guarantee: [`parse_addr`] accepts exactly what `str::parse::<IpAddr>`
//! accepts, with the same value; the hand parsers only ever answer "same as
//! std" or "ask std" (`None`), which the tests check against `std` on
//! generated inputs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest IPv6 text the hand parser takes (8 groups of 4 digits, 7 colons).
const MAX_IPV6_TEXT: usize = 39;

/// The address in `s`, by the rules of `std`'s `IpAddr` parser.
#[inline]
pub fn parse_addr(s: &[u8]) -> Option<IpAddr> {
    if let Some(a) = parse_ipv4(s) {
        return Some(IpAddr::V4(a));
    }
    if let Some(a) = parse_ipv6(s) {
        return Some(IpAddr::V6(a));
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Dotted-quad IPv4 with the rules of `std` (four decimal octets ≤ 255, no
/// leading zeros); `None` for anything else (IPv6, errors).
#[inline]
pub fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    // Octets are gathered in a u32 (not a byte array read back as a whole,
    // which stalls store forwarding).
    let mut addr = 0u32;
    let mut dots = 0;
    let mut value = 0u32;
    let mut digits = 0;
    for &b in s {
        match b {
            b'0'..=b'9' => {
                if digits == 1 && value == 0 {
                    return None;
                }
                value = value * 10 + u32::from(b - b'0');
                digits += 1;
                if value > 255 {
                    return None;
                }
            }
            b'.' if digits > 0 && dots < 3 => {
                addr = addr << 8 | value;
                dots += 1;
                value = 0;
                digits = 0;
            }
            _ => return None,
        }
    }
    if dots != 3 || digits == 0 {
        return None;
    }
    Some(Ipv4Addr::from(addr << 8 | value))
}

/// IPv6 made of 1–4 digit hexadecimal groups separated by `:`, with at most
/// one `::` standing for one or more zero groups (the rules of `std`).
/// `None` for anything else, including forms `std` accepts that this does
/// not handle (embedded IPv4 such as `::ffff:1.2.3.4`).
#[inline(never)]
pub fn parse_ipv6(s: &[u8]) -> Option<Ipv6Addr> {
    if s.len() < 2 || s.len() > MAX_IPV6_TEXT {
        return None;
    }
    let mut head = [0u16; 8];
    let mut tail = [0u16; 8];
    let (mut n_head, mut n_tail) = (0usize, 0usize);
    let mut gap = false;
    let mut i = 0;
    if s[0] == b':' {
        // Only `::` may start an address.
        if s[1] != b':' {
            return None;
        }
        gap = true;
        i = 2;
        if i == s.len() {
            return Some(Ipv6Addr::UNSPECIFIED);
        }
    }
    loop {
        // One group of 1–4 hex digits.
        let mut value = 0u32;
        let mut digits = 0;
        while let Some(&b) = s.get(i) {
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => break,
            };
            value = value << 4 | u32::from(d);
            digits += 1;
            i += 1;
        }
        if digits == 0 || digits > 4 {
            return None;
        }
        if gap {
            if n_tail == tail.len() {
                return None;
            }
            tail[n_tail] = value as u16;
            n_tail += 1;
        } else {
            if n_head == head.len() {
                return None;
            }
            head[n_head] = value as u16;
            n_head += 1;
        }
        match s.get(i) {
            None => break,
            Some(b':') => {
                i += 1;
                if s.get(i) == Some(&b':') {
                    if gap {
                        return None;
                    }
                    gap = true;
                    i += 1;
                    if i == s.len() {
                        break;
                    }
                }
            }
            // A `.` (embedded IPv4), `%` or anything else: ask std.
            Some(_) => return None,
        }
    }
    let groups = n_head + n_tail;
    if gap {
        // `::` stands for at least one zero group.
        if groups > 7 {
            return None;
        }
        head[8 - n_tail..].copy_from_slice(&tail[..n_tail]);
    } else if groups != 8 {
        return None;
    }
    Some(Ipv6Addr::from(head))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn std_addr(s: &[u8]) -> Option<IpAddr> {
        std::str::from_utf8(s).ok()?.parse().ok()
    }

    #[test]
    fn ipv4_agrees_with_std() {
        for s in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4 ",
            "2001:db8::1",
            "::",
            "1.2.3.04",
            "10.0.0.0",
            "1000.1.1.1",
            "",
        ] {
            let fast = parse_ipv4(s.as_bytes());
            let std = s.parse::<Ipv4Addr>().ok();
            assert!(fast.is_none() || fast == std, "{s}: {fast:?} vs {std:?}");
            assert_eq!(parse_addr(s.as_bytes()), std_addr(s.as_bytes()), "{s}");
        }
        assert_eq!(
            parse_ipv4(b"10.0.0.255"),
            Some(Ipv4Addr::new(10, 0, 0, 255))
        );
    }

    #[test]
    fn ipv6_agrees_with_std() {
        for s in [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4::5:6:7:8",
            "2001:db8::1",
            "2001:DB8::A:b",
            "2600:1f18:8d19:23::c52f",
            "fe80::1%eth0",
            "::ffff:1.2.3.4",
            "1::2::3",
            ":::",
            ":1::",
            "1:",
            ":1",
            "12345::",
            "0000:0000:0000:0000:0000:0000:0000:0001",
            "00000::1",
            "1:2:3:4:5:6:7",
            "g::1",
            "1::2:",
            "::1:",
        ] {
            let fast = parse_ipv6(s.as_bytes());
            let std = s.parse::<Ipv6Addr>().ok();
            assert!(fast.is_none() || fast == std, "{s}: {fast:?} vs {std:?}");
            assert_eq!(parse_addr(s.as_bytes()), std_addr(s.as_bytes()), "{s}");
        }
        // The common forms take the hand path.
        for s in [
            "2600:1f18:8d19:23::c52f",
            "2001:db8:7053:943e::562",
            "::",
            "1:2:3:4:5:6:7:8",
        ] {
            assert!(parse_ipv6(s.as_bytes()).is_some(), "{s}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20000))]

        #[test]
        fn hand_parsers_never_disagree_with_std(s in "[0-9a-fA-F:.]{0,42}") {
            let b = s.as_bytes();
            let std = std_addr(b);
            prop_assert_eq!(parse_addr(b), std);
            if let Some(a) = parse_ipv4(b) {
                prop_assert_eq!(Some(IpAddr::V4(a)), std);
            }
            if let Some(a) = parse_ipv6(b) {
                prop_assert_eq!(Some(IpAddr::V6(a)), std);
            }
        }

        #[test]
        fn generated_ipv6_round_trips(groups in proptest::collection::vec(any::<u16>(), 8), gap in 0usize..9, len in 0usize..9, upper in any::<bool>()) {
            // An address written with `::` over [gap, gap+len) when that is
            // a valid compression, else in full.
            let hex: Vec<String> = groups.iter().map(|g| if upper { format!("{g:X}") } else { format!("{g:x}") }).collect();
            let text = if len > 0 && gap + len <= 8 {
                format!("{}::{}", hex[..gap].join(":"), hex[gap + len..].join(":"))
            } else {
                hex.join(":")
            };
            let std = std_addr(text.as_bytes());
            prop_assert!(std.is_some(), "{}", text);
            prop_assert_eq!(parse_ipv6(text.as_bytes()).map(IpAddr::V6), std);
        }
    }
}
