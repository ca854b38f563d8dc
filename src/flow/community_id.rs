//! Community ID v1 (the flow hash Suricata, Zeek and Arkime log), so vxtap's
//! records join with their logs.

use base64::Engine;
use sha1::{Digest, Sha1};

use crate::wire::Addr;
use crate::wire::transport::proto;

/// ICMP type pairs that form two-way "flows" (request ↔ reply).
fn icmp_peer(protocol: u8, t: u8) -> Option<u8> {
    let pairs: &[(u8, u8)] = if protocol == proto::ICMP {
        &[(8, 0), (13, 14), (15, 16), (10, 9), (17, 18)]
    } else {
        &[(128, 129), (133, 134), (135, 136), (130, 131), (144, 145)]
    };
    pairs.iter().find_map(|&(a, b)| {
        if t == a {
            Some(b)
        } else if t == b {
            Some(a)
        } else {
            None
        }
    })
}

/// The Community ID (seed 0) of a flow seen from one packet: for TCP, UDP
/// and SCTP the ports; for ICMP/ICMPv6 `sport`/`dport` are the packet's type
/// and code.
pub fn community_id(protocol: u8, src: Addr, dst: Addr, sport: u16, dport: u16) -> String {
    let (mut sp, mut dp) = (sport, dport);
    let mut one_way = false;
    let icmp = protocol == proto::ICMP || protocol == proto::ICMPV6;
    if icmp {
        match icmp_peer(protocol, sport as u8) {
            Some(peer) => dp = peer as u16,
            None => one_way = true,
        }
        sp = sport as u8 as u16;
    }
    let (mut a, mut b) = (src, dst);
    let swap = !one_way && (a.bits() > b.bits() || (a.bits() == b.bits() && sp > dp));
    if swap {
        std::mem::swap(&mut a, &mut b);
        std::mem::swap(&mut sp, &mut dp);
    }
    let mut h = Sha1::new();
    h.update(0u16.to_be_bytes());
    let mut buf = [0u8; 16];
    let n = a.octets(&mut buf);
    h.update(&buf[..n]);
    let n = b.octets(&mut buf);
    h.update(&buf[..n]);
    h.update([protocol, 0]);
    if icmp || crate::wire::transport::has_ports(protocol) {
        h.update(sp.to_be_bytes());
        h.update(dp.to_be_bytes());
    }
    let digest = h.finalize();
    format!(
        "1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Addr {
        Addr::from(s.parse::<std::net::IpAddr>().unwrap())
    }

    #[test]
    fn spec_example_tcp() {
        // The example of the Community ID specification's README.
        let id = community_id(6, a("128.232.110.120"), a("66.35.250.204"), 34855, 80);
        assert_eq!(id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
        // Symmetric.
        assert_eq!(
            id,
            community_id(6, a("66.35.250.204"), a("128.232.110.120"), 80, 34855)
        );
    }

    #[test]
    fn icmp_echo_pairs_are_one_flow() {
        let req = community_id(1, a("192.168.0.89"), a("192.168.0.1"), 8, 0);
        let rep = community_id(1, a("192.168.0.1"), a("192.168.0.89"), 0, 0);
        assert_eq!(req, rep);
    }
}
