//! The checks Suricata 7's decoders make on a packet's transport layer
//! (TCP options, UDP lengths, ICMPv4/ICMPv6 types and codes and the IP
//! header they quote, GRE headers), raised as [`Events`] on the packet.
//! [`super::PacketView::from_ip`] calls them with the transport bytes the
//! IP header declares; they only read, never fail, never panic.

use super::events::{Event, Events};

/// Transport length below which Suricata's decoders give up.
pub const TCP_HEADER_LEN: usize = 20;
/// UDP header length.
pub const UDP_HEADER_LEN: usize = 8;
/// ICMPv4/ICMPv6 header length.
pub const ICMP_HEADER_LEN: usize = 8;
/// GRE base header length.
pub const GRE_HEADER_LEN: usize = 4;

/// TCP options (Suricata's `DecodeTCPOptions`): a length that does not fit
/// or is wrong for its kind raises `tcp.opt_invalid_len` (and, when it
/// does not fit, ends the walk); a second WS/MSS/SACK-permitted/timestamp/
/// SACK/TFO option raises `tcp.opt_duplicate`.
pub fn tcp_options(mut opts: &[u8], ev: &mut Events) {
    // Seen so far: WS, MSS, SACK permitted, timestamps, SACK, TFO.
    let mut seen = [false; 6];
    while let Some(&kind) = opts.first() {
        match kind {
            0 => break,
            1 => opts = &opts[1..],
            _ => {
                let Some(&olen) = opts.get(1) else { break };
                let olen = olen as usize;
                if olen > opts.len() || olen < 2 {
                    ev.insert(Event::TcpOptInvalidLen);
                    return;
                }
                // (length right for the kind, duplicate slot)
                let check = match kind {
                    3 => Some((olen == 3, 0)),
                    2 => Some((olen == 4, 1)),
                    4 => Some((olen == 2, 2)),
                    8 => Some((olen == 10, 3)),
                    5 => Some(((10..=34).contains(&olen) && (olen - 2).is_multiple_of(8), 4)),
                    34 => Some((
                        olen == 2 || ((6..=18).contains(&olen) && olen.is_multiple_of(2)),
                        5,
                    )),
                    // Experimental options; magic 0xf989 carries TCP Fast Open.
                    0xfd | 0xfe => {
                        let ok = olen == 4 || (6..=18).contains(&olen);
                        if ok && opts[2..4] != [0xf9, 0x89] {
                            None
                        } else {
                            Some((ok, 5))
                        }
                    }
                    19 => Some((olen == 18, usize::MAX)),
                    29 => Some((olen >= 4, usize::MAX)),
                    _ => None,
                };
                match check {
                    Some((false, _)) => ev.insert(Event::TcpOptInvalidLen),
                    Some((true, slot)) if slot < seen.len() => {
                        if seen[slot] {
                            ev.insert(Event::TcpOptDuplicate);
                        }
                        seen[slot] = true;
                    }
                    _ => {}
                }
                opts = &opts[olen..];
            }
        }
    }
}

/// The options of an IPv6 hop-by-hop (`hop`) or destination options
/// header, after its two fixed bytes (Suricata's option walk in
/// `DecodeIPV6ExtHdrs`): lengths that do not fit, zero-length PadN,
/// unknown options, and headers holding nothing but padding.
pub fn ipv6_options(opts: &[u8], hop: bool, ev: &mut Events) {
    let (mut padding, mut other) = (0u32, 0u32);
    let mut off = 0usize;
    while off < opts.len() {
        let kind = opts[off];
        if kind == 0 {
            // Pad1.
            padding += 1;
            off += 1;
            continue;
        }
        if off + 1 >= opts.len() {
            ev.insert(Event::Ipv6ExthdrInvalidOptlen);
            break;
        }
        let olen = opts[off + 1] as usize;
        if off + 1 + olen > opts.len() {
            ev.insert(Event::Ipv6ExthdrInvalidOptlen);
            break;
        }
        // The least data each known option needs, and whether it counts
        // as content (not padding).
        let (min, content) = match kind {
            1 => {
                padding += 1;
                if olen == 0 {
                    ev.insert(Event::Ipv6ZeroLenPadn);
                }
                (0, false)
            }
            // Router alert, home address.
            5 => (2, true),
            0xc9 => (16, true),
            // Jumbo payload (not counted as content, as in Suricata).
            0xc2 => (4, false),
            _ => {
                ev.insert(if hop {
                    Event::Ipv6HopoptsUnknownOpt
                } else {
                    Event::Ipv6DstoptsUnknownOpt
                });
                (0, true)
            }
        };
        if olen < min {
            ev.insert(Event::Ipv6ExthdrInvalidOptlen);
            break;
        }
        other += content as u32;
        off += olen + 2;
    }
    if padding > 0 && other == 0 {
        ev.insert(if hop {
            Event::Ipv6HopoptsOnlyPadding
        } else {
            Event::Ipv6DstoptsOnlyPadding
        });
    }
}

/// The IP header an ICMPv4 error quotes (Suricata's `DecodePartialIPV4`).
fn quoted_ipv4(q: &[u8], ev: &mut Events) {
    if q.len() < 20 {
        ev.insert(Event::Icmpv4Ipv4TruncPkt);
    } else if q[0] >> 4 != 4 {
        ev.insert(Event::Icmpv4Ipv4UnknownVer);
    }
}

/// ICMPv4 (Suricata's `DecodeICMPV4`); `m` is the whole message, at least
/// [`ICMP_HEADER_LEN`] bytes.
pub fn icmpv4(m: &[u8], ev: &mut Events) {
    let (t, code) = (m[0], m[1]);
    let rest = &m[ICMP_HEADER_LEN..];
    // Error messages quote the offending IP header when their code is known.
    let error = |max: u8, ev: &mut Events, inclusive_empty: bool| {
        if code > max {
            ev.insert(Event::Icmpv4UnknownCode);
        } else if !rest.is_empty() || inclusive_empty {
            quoted_ipv4(rest, ev);
        }
    };
    match t {
        // Destination unreachable: codes 0..=15.
        3 => error(15, ev, false),
        // Source quench: code 0; quoted header checked even when empty.
        4 => error(0, ev, true),
        // Redirect: codes 0..=3.
        5 => error(3, ev, false),
        // Time exceeded: codes 0..=1.
        11 => error(1, ev, false),
        // Parameter problem: code 0.
        12 => error(0, ev, false),
        0 | 8 | 15 | 16 | 17 | 18 => {
            if code != 0 {
                ev.insert(Event::Icmpv4UnknownCode);
            }
        }
        13 | 14 => {
            if code != 0 {
                ev.insert(Event::Icmpv4UnknownCode);
            }
            // Originate, receive and transmit timestamps.
            if rest.len() < 12 {
                ev.insert(Event::Icmpv4Ipv4TruncPkt);
            }
        }
        9 => {
            // Router advertisement: addresses × entry size × 4 bytes.
            let advert = m[4] as usize * m[5] as usize * 4;
            if m.len() < advert + ICMP_HEADER_LEN {
                ev.insert(Event::Icmpv4Ipv4TruncPkt);
            }
        }
        _ => ev.insert(Event::Icmpv4UnknownType),
    }
}

/// ICMPv6 (Suricata's `DecodeICMPV6`); `m` is the whole message, at least
/// [`ICMP_HEADER_LEN`] bytes; `hop_limit` of the IPv6 header (MLD).
pub fn icmpv6(m: &[u8], hop_limit: u8, ev: &mut Events) {
    let (t, code) = (m[0], m[1]);
    let unknown_code = |bad: bool, ev: &mut Events| {
        if bad {
            ev.insert(Event::Icmpv6UnknownCode);
        }
    };
    let error = |max: u8, ev: &mut Events| {
        if code > max {
            ev.insert(Event::Icmpv6UnknownCode);
        } else {
            let q = &m[ICMP_HEADER_LEN..];
            if q.len() < 40 {
                ev.insert(Event::Icmpv6Ipv6TruncPkt);
            } else if q[0] >> 4 != 6 {
                ev.insert(Event::Icmpv6Ipv6UnknownVersion);
            }
        }
    };
    match t {
        1 => error(6, ev),
        2 => error(0, ev),
        3 => error(1, ev),
        4 => error(2, ev),
        130..=132 => {
            unknown_code(code != 0, ev);
            if hop_limit != 1 {
                ev.insert(Event::Icmpv6MldMessageWithInvalidHl);
            }
        }
        138 => unknown_code(code > 2 && code != 255, ev),
        139 | 140 => unknown_code(code > 2, ev),
        150..=153 => {}
        155 => unknown_code((code > 3 && code < 128) || code > 132, ev),
        128 | 129 | 133..=137 | 141..=149 | 154 | 156..=159 => unknown_code(code != 0, ev),
        5..=99 | 102..=126 | 160..=199 | 202..=255 => ev.insert(Event::Icmpv6UnassignedType),
        100 | 101 | 200 | 201 => ev.insert(Event::Icmpv6ExperimentationType),
        _ => ev.insert(Event::Icmpv6UnknownType),
    }
}

/// GRE (Suricata's `DecodeGRE`): `g` is the IP payload of a protocol-47
/// packet. Version 0 must not set recursion or the reserved flags;
/// version 1 (PPTP) must carry PPP with a key and no checksum, routing,
/// strict source route or recursion; the optional fields must fit.
pub fn gre(g: &[u8], ev: &mut Events) {
    if g.len() < GRE_HEADER_LEN {
        ev.insert(Event::GrePktTooSmall);
        return;
    }
    let (flags, ver) = (g[0], g[1]);
    let (csum, route, key, seq, ssr, recur) = (
        flags & 0x80 != 0,
        flags & 0x40 != 0,
        flags & 0x20 != 0,
        flags & 0x10 != 0,
        flags & 0x08 != 0,
        flags & 0x07 != 0,
    );
    let mut hlen = GRE_HEADER_LEN;
    match ver & 0x07 {
        0 => {
            let e = if recur {
                Event::GreVersion0Recur
            } else if ver & 0x78 != 0 {
                Event::GreVersion0Flags
            } else {
                hlen += 4 * key as usize + 4 * seq as usize + 4 * (csum || route) as usize;
                if hlen <= g.len() {
                    return;
                }
                Event::GreVersion0HdrTooBig
            };
            ev.insert(e);
        }
        1 => {
            let e = if csum {
                Event::GreVersion1Chksum
            } else if route {
                Event::GreVersion1Route
            } else if ssr {
                Event::GreVersion1Ssr
            } else if recur {
                Event::GreVersion1Recur
            } else if ver & 0x78 != 0 {
                Event::GreVersion1Flags
            } else if g[2..4] != [0x88, 0x0b] {
                Event::GreVersion1WrongProtocol
            } else if !key {
                Event::GreVersion1NoKey
            } else {
                hlen += 4 + 4 * seq as usize + 4 * (ver & 0x80 != 0) as usize;
                if hlen <= g.len() {
                    return;
                }
                Event::GreVersion1HdrTooBig
            };
            ev.insert(e);
        }
        _ => ev.insert(Event::GreWrongVersion),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(f: impl FnOnce(&mut Events)) -> Vec<&'static str> {
        let mut e = Events::empty();
        f(&mut e);
        e.iter().map(Event::name).collect()
    }

    #[test]
    fn tcp_options_lengths_and_duplicates() {
        // MSS 1460, NOP, WS 7, SACK permitted, timestamps: all fine.
        let ok = [
            2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
        ];
        assert!(ev(|e| tcp_options(&ok, e)).is_empty());
        // Two MSS options.
        assert_eq!(
            ev(|e| tcp_options(&[2, 4, 5, 0xb4, 2, 4, 5, 0xb4], e)),
            ["tcp.opt_duplicate"]
        );
        // MSS of length 3: wrong for its kind, the walk goes on.
        assert_eq!(
            ev(|e| tcp_options(&[2, 3, 5, 1, 1, 1, 1, 1], e)),
            ["tcp.opt_invalid_len"]
        );
        // A length past the end, or below 2.
        assert_eq!(
            ev(|e| tcp_options(&[8, 12, 0, 0], e)),
            ["tcp.opt_invalid_len"]
        );
        assert_eq!(
            ev(|e| tcp_options(&[8, 1, 0, 0], e)),
            ["tcp.opt_invalid_len"]
        );
        // A lone kind byte at the end, EOL, experimental TFO.
        assert!(ev(|e| tcp_options(&[1, 1, 1, 8], e)).is_empty());
        assert!(ev(|e| tcp_options(&[0, 99, 99], e)).is_empty());
        assert_eq!(
            ev(|e| tcp_options(&[34, 2, 0xfe, 4, 0xf9, 0x89], e)),
            ["tcp.opt_duplicate"]
        );
    }

    #[test]
    fn ipv6_option_walk() {
        // Router alert then PadN of 0: content, so not "only padding".
        assert_eq!(
            ev(|e| ipv6_options(&[5, 2, 0, 0, 1, 0], true, e)),
            ["ipv6.zero_len_padn"]
        );
        // PadN 4: only padding.
        assert_eq!(
            ev(|e| ipv6_options(&[1, 4, 0, 0, 0, 0], false, e)),
            ["ipv6.dstopts_only_padding"]
        );
        assert_eq!(
            ev(|e| ipv6_options(&[0, 0, 0, 0, 0, 0], true, e)),
            ["ipv6.hopopts_only_padding"]
        );
        // An unknown option; an option running past the header.
        assert_eq!(
            ev(|e| ipv6_options(&[0x1e, 4, 0, 0, 0, 0], true, e)),
            ["ipv6.hopopts_unknown_opt"]
        );
        assert_eq!(
            ev(|e| ipv6_options(&[5, 9, 0, 0, 0, 0], true, e)),
            ["ipv6.exthdr_invalid_optlen"]
        );
        // A router alert too short for its value.
        assert_eq!(
            ev(|e| ipv6_options(&[5, 1, 0, 1, 2, 0], true, e)),
            ["ipv6.exthdr_invalid_optlen"]
        );
    }

    #[test]
    fn icmpv4_types_codes_and_quoted_header() {
        let echo = [8, 0, 0, 0, 0, 1, 0, 1];
        assert!(ev(|e| icmpv4(&echo, e)).is_empty());
        assert_eq!(
            ev(|e| icmpv4(&[8, 1, 0, 0, 0, 0, 0, 0], e)),
            ["icmpv4.unknown_code"]
        );
        // Router solicitation (10) is not among the types Suricata decodes.
        assert_eq!(
            ev(|e| icmpv4(&[10, 0, 0, 0, 0, 0, 0, 0], e)),
            ["icmpv4.unknown_type"]
        );
        // Unreachable quoting 4 bytes, then quoting an IPv6 header.
        let mut un = vec![3, 3, 0, 0, 0, 0, 0, 0, 0x45, 0, 0, 20];
        assert_eq!(ev(|e| icmpv4(&un, e)), ["icmpv4.ipv4_trunc_pkt"]);
        un.truncate(8);
        assert!(ev(|e| icmpv4(&un, e)).is_empty());
        un.extend_from_slice(&[0x60; 20]);
        assert_eq!(ev(|e| icmpv4(&un, e)), ["icmpv4.ipv4_unknown_ver"]);
        assert_eq!(
            ev(|e| icmpv4(&[3, 16, 0, 0, 0, 0, 0, 0], e)),
            ["icmpv4.unknown_code"]
        );
        // Source quench checks the quoted header even when there is none.
        assert_eq!(
            ev(|e| icmpv4(&[4, 0, 0, 0, 0, 0, 0, 0], e)),
            ["icmpv4.ipv4_trunc_pkt"]
        );
        // Timestamp request without its 12 bytes of timestamps.
        assert_eq!(
            ev(|e| icmpv4(&[13, 0, 0, 0, 0, 0, 0, 0], e)),
            ["icmpv4.ipv4_trunc_pkt"]
        );
    }

    #[test]
    fn icmpv6_types_codes_and_mld_hop_limit() {
        assert!(ev(|e| icmpv6(&[128, 0, 0, 0, 0, 1, 0, 1], 64, e)).is_empty());
        assert_eq!(
            ev(|e| icmpv6(&[135, 1, 0, 0, 0, 0, 0, 0], 255, e)),
            ["icmpv6.unknown_code"]
        );
        assert_eq!(
            ev(|e| icmpv6(&[131, 0, 0, 0, 0, 0, 0, 0], 64, e)),
            ["icmpv6.mld_message_with_invalid_hl"]
        );
        assert!(ev(|e| icmpv6(&[131, 0, 0, 0, 0, 0, 0, 0], 1, e)).is_empty());
        assert_eq!(
            ev(|e| icmpv6(&[7, 0, 0, 0, 0, 0, 0, 0], 1, e)),
            ["icmpv6.unassigned_type"]
        );
        assert_eq!(
            ev(|e| icmpv6(&[200, 0, 0, 0, 0, 0, 0, 0], 1, e)),
            ["icmpv6.experimentation_type"]
        );
        assert_eq!(
            ev(|e| icmpv6(&[0, 0, 0, 0, 0, 0, 0, 0], 1, e)),
            ["icmpv6.unknown_type"]
        );
        assert_eq!(
            ev(|e| icmpv6(&[127, 0, 0, 0, 0, 0, 0, 0], 1, e)),
            ["icmpv6.unknown_type"]
        );
        // Packet too big quoting less than an IPv6 header, then a v4 one.
        let mut ptb = vec![2, 0, 0, 0, 0, 0, 5, 0xdc];
        assert_eq!(ev(|e| icmpv6(&ptb, 1, e)), ["icmpv6.ipv6_trunc_pkt"]);
        ptb.extend_from_slice(&[0x45; 40]);
        assert_eq!(ev(|e| icmpv6(&ptb, 1, e)), ["icmpv6.ipv6_unknown_version"]);
        assert_eq!(
            ev(|e| icmpv6(&[1, 7, 0, 0, 0, 0, 0, 0], 1, e)),
            ["icmpv6.unknown_code"]
        );
    }

    #[test]
    fn gre_headers() {
        // suricata-verify decode-too-small, packet 4: two bytes of GRE.
        assert_eq!(ev(|e| gre(&[0, 0], e)), ["gre.pkt_too_small"]);
        // Plain GRE carrying IPv4; with key and sequence numbers.
        assert!(ev(|e| gre(&[0, 0, 8, 0], e)).is_empty());
        assert!(ev(|e| gre(&[0x30, 0, 8, 0, 0, 0, 0, 1, 0, 0, 0, 2], e)).is_empty());
        assert_eq!(
            ev(|e| gre(&[0x30, 0, 8, 0, 0, 0, 0, 1], e)),
            ["gre.version0_hdr_too_big"]
        );
        assert_eq!(ev(|e| gre(&[0x01, 0, 8, 0], e)), ["gre.version0_recur"]);
        assert_eq!(ev(|e| gre(&[0, 0x08, 8, 0], e)), ["gre.version0_flags"]);
        assert_eq!(ev(|e| gre(&[0, 2, 8, 0], e)), ["gre.wrong_version"]);
        // PPTP: PPP with key (payload length, call id).
        let pptp = [0x20, 0x01, 0x88, 0x0b, 0, 0, 0, 1];
        assert!(ev(|e| gre(&pptp, e)).is_empty());
        assert_eq!(
            ev(|e| gre(&[0x00, 0x01, 0x88, 0x0b], e)),
            ["gre.version1_no_key"]
        );
        assert_eq!(
            ev(|e| gre(&[0x20, 0x01, 0x08, 0x00], e)),
            ["gre.version1_wrong_protocol"]
        );
        assert_eq!(
            ev(|e| gre(&[0xa0, 0x01, 0x88, 0x0b], e)),
            ["gre.version1_chksum"]
        );
        assert_eq!(
            ev(|e| gre(&[0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 1], e)),
            ["gre.version1_hdr_too_big"]
        );
    }
}
