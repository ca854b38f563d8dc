//! Packet header keywords: ttl, tos, id, ip_proto, sameip, fragbits,
//! fragoffset, flags (tcp.flags), window, seq, ack, tcp.mss, itype, icode,
//! icmp_id, icmp_seq, icmpv6.mtu, ipopts, dsize and the checksum keywords
//! (`ipv4-csum`, `tcpv4-csum`, … `:valid|invalid`), computed even though
//! vxtap never validates checksums to account traffic.

use super::Builder;
use crate::detect::packet::{PacketView, proto};
use crate::detect::signature::PacketMatch;
use crate::detect::uint::{Uint, UintMode, number};

/// How a flags/fragbits set compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitsMode {
    /// Exactly these bits (ignoring the mask).
    Exact,
    /// These bits and possibly others (`+`).
    All,
    /// Any of these bits (`*`).
    Any,
    /// Not all of these bits (`!`).
    Not,
}

impl BitsMode {
    fn matches(self, have: u8, want: u8, ignore: u8) -> bool {
        match self {
            BitsMode::Exact => have & !ignore == want,
            BitsMode::All => have & want == want,
            BitsMode::Any => have & want != 0,
            BitsMode::Not => have & want != want,
        }
    }
}

/// Which checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Csum {
    /// IPv4 header.
    Ipv4,
    /// TCP over IPv4.
    Tcpv4,
    /// TCP over IPv6.
    Tcpv6,
    /// UDP over IPv4.
    Udpv4,
    /// UDP over IPv6.
    Udpv6,
    /// ICMPv4.
    Icmpv4,
    /// ICMPv6.
    Icmpv6,
}

/// A header condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderMatch {
    /// `ttl` (IPv6 hop limit too).
    Ttl(Uint),
    /// `tos:[!]N`.
    Tos {
        /// `!`.
        negated: bool,
        /// The TOS byte.
        value: u8,
    },
    /// `id:N`.
    Id(u16),
    /// `ip_proto`.
    IpProto(Uint),
    /// `sameip`.
    SameIp,
    /// `fragbits` (M 1, D 2, R 4).
    FragBits {
        /// Comparison.
        mode: BitsMode,
        /// Bits.
        bits: u8,
        /// Ignored bits.
        ignore: u8,
    },
    /// `fragoffset` (8-byte units).
    FragOffset(Uint),
    /// `flags`.
    Flags {
        /// Comparison.
        mode: BitsMode,
        /// Bits.
        bits: u8,
        /// Ignored bits.
        ignore: u8,
    },
    /// `window:[!]N`.
    Window {
        /// `!`.
        negated: bool,
        /// Window value.
        value: u16,
    },
    /// `seq:N`.
    Seq(u32),
    /// `ack:N`.
    Ack(u32),
    /// `tcp.mss`.
    TcpMss(Uint),
    /// `itype`.
    Itype(Uint),
    /// `icode`.
    Icode(Uint),
    /// `icmp_id:N`.
    IcmpId(u16),
    /// `icmp_seq:N`.
    IcmpSeq(u16),
    /// `icmpv6.mtu`.
    Icmpv6Mtu(Uint),
    /// `ipopts`: option type, or `None` for `any`.
    IpOpts(Option<u8>),
    /// A checksum keyword: which, and whether it must be valid.
    Checksum(Csum, bool),
}

impl HeaderMatch {
    /// Whether the packet satisfies the condition.
    pub fn matches(&self, p: &PacketView) -> bool {
        match *self {
            HeaderMatch::Ttl(u) => u.matches(p.ttl() as u64),
            HeaderMatch::Tos { negated, value } => p.tos().is_some_and(|t| (t == value) != negated),
            HeaderMatch::Id(id) => p.ip_id() == Some(id),
            HeaderMatch::IpProto(u) => u.matches(p.proto as u64),
            HeaderMatch::SameIp => p.src == p.dst,
            // IPv4 only, as Suricata (an IPv6 fragment header never matches).
            HeaderMatch::FragBits { mode, bits, ignore } => {
                p.version == 4 && mode.matches(p.frag_flags(), bits, ignore)
            }
            HeaderMatch::FragOffset(u) => u.matches(p.frag_offset as u64),
            HeaderMatch::Flags { mode, bits, ignore } => {
                p.tcp_flags().is_some_and(|f| mode.matches(f, bits, ignore))
            }
            HeaderMatch::Window { negated, value } => {
                p.tcp_window().is_some_and(|w| (w == value) != negated)
            }
            HeaderMatch::Seq(s) => p.tcp_seq() == Some(s),
            HeaderMatch::Ack(a) => p.tcp_ack() == Some(a),
            HeaderMatch::TcpMss(u) => p.tcp_mss().is_some_and(|m| u.matches(m as u64)),
            HeaderMatch::Itype(u) => p.icmp_type().is_some_and(|t| u.matches(t as u64)),
            HeaderMatch::Icode(u) => p.icmp_code().is_some_and(|c| u.matches(c as u64)),
            HeaderMatch::IcmpId(id) => p.icmp_id_seq().is_some_and(|(i, _)| i == id),
            HeaderMatch::IcmpSeq(seq) => p.icmp_id_seq().is_some_and(|(_, s)| s == seq),
            HeaderMatch::Icmpv6Mtu(u) => p.icmpv6_mtu().is_some_and(|m| u.matches(m as u64)),
            HeaderMatch::IpOpts(kind) => has_ip_option(p, kind),
            HeaderMatch::Checksum(c, valid) => checksum_ok(p, c).is_some_and(|ok| ok == valid),
        }
    }
}

fn has_ip_option(p: &PacketView, kind: Option<u8>) -> bool {
    if p.version != 4 {
        return false;
    }
    let mut opts = &p.ip_header()[20..];
    while let Some(&t) = opts.first() {
        if kind.is_none_or(|k| k == t) {
            return true;
        }
        match t {
            0 => return false,
            1 => opts = &opts[1..],
            _ => {
                let len = opts.get(1).copied().unwrap_or(0) as usize;
                if len < 2 || len > opts.len() {
                    return false;
                }
                opts = &opts[len..];
            }
        }
    }
    false
}

fn sum16(data: &[u8], mut acc: u32) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    if let [last] = chunks.remainder() {
        acc += (*last as u32) << 8;
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// Whether the checksum verifies; `None` when the packet is not of that
/// kind or was cut short (the checksum cannot be computed).
fn checksum_ok(p: &PacketView, c: Csum) -> Option<bool> {
    let (ver, l4) = match c {
        Csum::Ipv4 => {
            if p.version != 4 {
                return None;
            }
            return Some(fold(sum16(p.ip_header(), 0)) == 0xffff);
        }
        Csum::Tcpv4 => (4, proto::TCP),
        Csum::Tcpv6 => (6, proto::TCP),
        Csum::Udpv4 => (4, proto::UDP),
        Csum::Udpv6 => (6, proto::UDP),
        Csum::Icmpv4 => (4, proto::ICMP),
        Csum::Icmpv6 => (6, proto::ICMPV6),
    };
    if p.version != ver || p.proto != l4 || p.truncated || p.l4_hdr_len == 0 {
        return None;
    }
    let seg = p.l4_segment();
    if l4 == proto::UDP && ver == 4 && seg[6] == 0 && seg[7] == 0 {
        return Some(true); // no checksum
    }
    let mut acc = 0u32;
    if l4 != proto::ICMP {
        let mut a = [0u8; 16];
        let n = p.src.octets(&mut a);
        acc = sum16(&a[..n], acc);
        let n = p.dst.octets(&mut a);
        acc = sum16(&a[..n], acc);
        acc += l4 as u32 + seg.len() as u32;
        if ver == 6 {
            acc += (seg.len() as u32) >> 16;
        }
    }
    Some(fold(sum16(seg, acc)) == 0xffff)
}

fn need(v: Option<&str>) -> Result<&str, String> {
    v.map(|s| s.trim_matches('"').trim())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| "needs a value".into())
}

fn neg_number(s: &str, max: u64) -> Result<(bool, u64), String> {
    match s.strip_prefix('!') {
        Some(r) => Ok((true, number(r, max)?)),
        None => Ok((false, number(s, max)?)),
    }
}

fn ip_proto_number(name: &str) -> Option<u8> {
    Some(match name.to_ascii_lowercase().as_str() {
        "hopopt" => 0,
        "icmp" => 1,
        "igmp" => 2,
        "ggp" => 3,
        "ipencap" | "ipip" | "ip-in-ip" => 4,
        "st" => 5,
        "tcp" => 6,
        "egp" => 8,
        "igp" => 9,
        "pup" => 12,
        "udp" => 17,
        "hmp" => 20,
        "xns-idp" => 22,
        "rdp" => 27,
        "iso-tp4" => 29,
        "dccp" => 33,
        "xtp" => 36,
        "ddp" => 37,
        "idpr-cmtp" => 38,
        "ipv6" => 41,
        "ipv6-route" => 43,
        "ipv6-frag" => 44,
        "idrp" => 45,
        "rsvp" => 46,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "skip" => 57,
        "ipv6-icmp" | "icmpv6" => 58,
        "ipv6-nonxt" => 59,
        "ipv6-opts" => 60,
        "rspf" => 73,
        "vmtp" => 81,
        "eigrp" => 88,
        "ospf" => 89,
        "ax.25" => 93,
        "ipip4" => 94,
        "etherip" => 97,
        "encap" => 98,
        "pim" => 103,
        "ipcomp" => 108,
        "vrrp" => 112,
        "l2tp" => 115,
        "isis" => 124,
        "sctp" => 132,
        "fc" => 133,
        "mobility-header" => 135,
        "udplite" => 136,
        "mpls-in-ip" => 137,
        "manet" => 138,
        "hip" => 139,
        "shim6" => 140,
        "wesp" => 141,
        "rohc" => 142,
        _ => return None,
    })
}

fn bits_spec(s: &str, letter: fn(char) -> Option<u8>) -> Result<(BitsMode, u8, u8), String> {
    let (main, mask) = match s.split_once(',') {
        Some((m, k)) => (m.trim(), Some(k.trim())),
        None => (s.trim(), None),
    };
    let mut mode = BitsMode::Exact;
    let mut bits = 0u8;
    let mut set_mode = |m: BitsMode| -> Result<(), String> {
        if mode != BitsMode::Exact {
            return Err("more than one modifier".into());
        }
        mode = m;
        Ok(())
    };
    let mut zero = false;
    for c in main.chars() {
        match c {
            '+' => set_mode(BitsMode::All)?,
            '*' => set_mode(BitsMode::Any)?,
            '!' => set_mode(BitsMode::Not)?,
            '0' => zero = true,
            ' ' => {}
            _ => bits |= letter(c).ok_or_else(|| format!("unknown flag `{c}`"))?,
        }
    }
    if zero && bits != 0 {
        return Err("`0` (no flags) cannot be combined with flags".into());
    }
    if !zero && bits == 0 {
        return Err(format!("`{s}`: no flags given"));
    }
    let mut ignore = 0u8;
    if let Some(m) = mask {
        for c in m.chars() {
            ignore |= letter(c).ok_or_else(|| format!("unknown flag `{c}` in mask"))?;
        }
    }
    Ok((mode, bits, ignore))
}

fn tcp_flag(c: char) -> Option<u8> {
    Some(match c.to_ascii_uppercase() {
        'F' => 0x01,
        'S' => 0x02,
        'R' => 0x04,
        'P' => 0x08,
        'A' => 0x10,
        'U' => 0x20,
        'E' | '2' => 0x40,
        'C' | '1' => 0x80,
        _ => return None,
    })
}

fn frag_bit(c: char) -> Option<u8> {
    Some(match c.to_ascii_uppercase() {
        'M' => 0x1,
        'D' => 0x2,
        'R' => 0x4,
        _ => return None,
    })
}

/// `dsize`: the packet payload length.
pub fn dsize(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let u = Uint::parse(need(v)?, u16::MAX as u64)?;
    b.sig.matches.push(PacketMatch::Dsize(u));
    Ok(())
}

/// Every header keyword.
pub fn setup(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let m = match name {
        "ttl" => HeaderMatch::Ttl(Uint::parse(need(v)?, 255)?),
        "tos" => {
            let (negated, value) = neg_number(need(v)?, 255)?;
            HeaderMatch::Tos {
                negated,
                value: value as u8,
            }
        }
        "id" => HeaderMatch::Id(number(need(v)?, 65535)? as u16),
        "ip_proto" => {
            let s = need(v)?;
            let (prefix, rest) = match s.find(|c: char| c.is_ascii_alphanumeric()) {
                Some(i) => s.split_at(i),
                None => return Err(format!("`{s}` is not a protocol")),
            };
            let n = match ip_proto_number(rest.trim()) {
                Some(n) => n.to_string(),
                None => rest.trim().to_owned(),
            };
            HeaderMatch::IpProto(Uint::parse(&format!("{prefix}{n}"), 255)?)
        }
        "sameip" => {
            if v.is_some_and(|x| !x.is_empty()) {
                return Err("takes no value".into());
            }
            HeaderMatch::SameIp
        }
        "fragbits" => {
            let (mode, bits, ignore) = bits_spec(need(v)?, frag_bit)?;
            HeaderMatch::FragBits { mode, bits, ignore }
        }
        "fragoffset" => {
            let s = need(v)?;
            let u = Uint::parse(s, 8191)?;
            if !matches!(
                u.mode,
                UintMode::Eq | UintMode::Ne | UintMode::Lt | UintMode::Gt
            ) {
                return Err(format!("`{s}`: expected [!<>]N"));
            }
            HeaderMatch::FragOffset(u)
        }
        "flags" | "tcp.flags" => {
            let (mode, bits, ignore) = bits_spec(need(v)?, tcp_flag)?;
            HeaderMatch::Flags { mode, bits, ignore }
        }
        "window" => {
            let (negated, value) = neg_number(need(v)?, 65535)?;
            HeaderMatch::Window {
                negated,
                value: value as u16,
            }
        }
        "seq" => HeaderMatch::Seq(number(need(v)?, u32::MAX as u64)? as u32),
        "ack" => HeaderMatch::Ack(number(need(v)?, u32::MAX as u64)? as u32),
        "tcp.mss" => HeaderMatch::TcpMss(Uint::parse(need(v)?, 65535)?),
        "itype" => HeaderMatch::Itype(Uint::parse(need(v)?, 255)?),
        "icode" => HeaderMatch::Icode(Uint::parse(need(v)?, 255)?),
        "icmp_id" => HeaderMatch::IcmpId(number(need(v)?, 65535)? as u16),
        "icmp_seq" => HeaderMatch::IcmpSeq(number(need(v)?, 65535)? as u16),
        "icmpv6.mtu" => HeaderMatch::Icmpv6Mtu(Uint::parse(need(v)?, u32::MAX as u64)?),
        "ipopts" => HeaderMatch::IpOpts(match need(v)? {
            "any" => None,
            "eol" => Some(0),
            "nop" => Some(1),
            "rr" => Some(7),
            "ts" => Some(68),
            "sec" => Some(130),
            "lsrr" => Some(131),
            "esec" => Some(133),
            "satid" => Some(136),
            "ssrr" => Some(137),
            o => return Err(format!("unknown IP option `{o}`")),
        }),
        _ => {
            let c = match name {
                "ipv4-csum" => Csum::Ipv4,
                "tcpv4-csum" => Csum::Tcpv4,
                "tcpv6-csum" => Csum::Tcpv6,
                "udpv4-csum" => Csum::Udpv4,
                "udpv6-csum" => Csum::Udpv6,
                "icmpv4-csum" => Csum::Icmpv4,
                "icmpv6-csum" => Csum::Icmpv6,
                _ => return Err(format!("not a header keyword: {name}")),
            };
            let valid = match need(v)? {
                "valid" => true,
                "invalid" => false,
                o => return Err(format!("`{o}`: expected valid or invalid")),
            };
            HeaderMatch::Checksum(c, valid)
        }
    };
    b.sig.matches.push(PacketMatch::Header(m));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::packet::tests::tcp4;

    fn parse(name: &str, v: &str) -> HeaderMatch {
        let mut b = crate::detect::rule::parse::test_builder();
        setup(&mut b, name, Some(v)).unwrap();
        match b.sig.matches.pop() {
            Some(PacketMatch::Header(h)) => h,
            _ => unreachable!(),
        }
    }

    #[test]
    fn flags_modes() {
        let syn = tcp4(0x02, b"");
        let synack_ece = tcp4(0x52, b"");
        let p = PacketView::from_ip(&syn).unwrap();
        let q = PacketView::from_ip(&synack_ece).unwrap();
        assert!(parse("flags", "S").matches(&p));
        assert!(!parse("flags", "S").matches(&q));
        assert!(parse("flags", "SA,12").matches(&q));
        assert!(parse("flags", "S+").matches(&q));
        assert!(parse("flags", "+S").matches(&q));
        assert!(parse("flags", "*AF").matches(&q) && !parse("flags", "*AF").matches(&p));
        assert!(parse("flags", "!A").matches(&p) && !parse("flags", "!A").matches(&q));
        assert!(parse("flags", "S,CE").matches(&p));
        let mut b = crate::detect::rule::parse::test_builder();
        assert!(setup(&mut b, "flags", Some("SX")).is_err());
        assert!(setup(&mut b, "flags", Some("0S")).is_err());
    }

    #[test]
    fn ip_fields() {
        let pkt = tcp4(0x18, b"xy");
        let p = PacketView::from_ip(&pkt).unwrap();
        assert!(parse("ttl", "64").matches(&p) && !parse("ttl", "<64").matches(&p));
        assert!(parse("tos", "0").matches(&p) && parse("tos", "!0x10").matches(&p));
        assert!(parse("id", "4660").matches(&p));
        assert!(parse("ip_proto", "tcp").matches(&p) && parse("ip_proto", "!17").matches(&p));
        assert!(parse("ip_proto", "6").matches(&p) && !parse("ip_proto", "gre").matches(&p));
        assert!(parse("fragbits", "D").matches(&p) && !parse("fragbits", "M+").matches(&p));
        assert!(parse("fragoffset", "0").matches(&p) && !parse("fragoffset", ">0").matches(&p));
        assert!(parse("window", "8192").matches(&p) && parse("window", "!1").matches(&p));
        assert!(parse("seq", "1").matches(&p) && parse("ack", "2").matches(&p));
        assert!(parse("tcp.mss", "<1461").matches(&p) && !parse("tcp.mss", "<536").matches(&p));
        assert!(!parse("sameip", "").matches(&p));
        assert!(!parse("itype", "8").matches(&p));
        assert!(!parse("ipopts", "any").matches(&p));
    }

    #[test]
    fn checksums_computed() {
        // Hand-built IPv4/UDP packet; tshark 4.0.17 with
        // `-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE` reports
        // header checksum 0x66c6 correct and UDP checksum 0x29c8 correct
        // (it called 0x1200 "incorrect, should be 0x29c8").
        let good: Vec<u8> = vec![
            0x45, 0x00, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x66, 0xc6, 0x0a, 0x00,
            0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x30, 0x39, 0x00, 0x35, 0x00, 0x10, 0x29, 0xc8,
            0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
        ];
        let p = PacketView::from_ip(&good).unwrap();
        assert!(parse("ipv4-csum", "valid").matches(&p));
        assert!(!parse("ipv4-csum", "invalid").matches(&p));
        assert!(parse("udpv4-csum", "valid").matches(&p));
        assert!(!parse("tcpv4-csum", "valid").matches(&p));
        let mut bad = good.clone();
        bad[11] = 0xc5;
        bad[26] = 0x12;
        bad[27] = 0x00;
        let q = PacketView::from_ip(&bad).unwrap();
        assert!(parse("ipv4-csum", "invalid").matches(&q));
        assert!(parse("udpv4-csum", "invalid").matches(&q));
        // UDP checksum 0 over IPv4 means "none": valid.
        let mut none = good.clone();
        none[26] = 0;
        none[27] = 0;
        let r = PacketView::from_ip(&none).unwrap();
        assert!(parse("udpv4-csum", "valid").matches(&r));
    }
}
