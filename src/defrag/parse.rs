//! Reading a fragment's fields out of its IP bytes.

use super::{DefragKey, Fragment};
use crate::wire::Addr;

/// IPv6 next-header values walked before a fragment header.
const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const DEST_OPTS: u8 = 60;
/// Most extension headers walked (hostile chains stay bounded).
const MAX_EXT: usize = 16;

impl<'a> Fragment<'a> {
    /// The fragment an IP packet is, or `None` when it is not a fragment
    /// (or its headers are cut). `ip` is the packet's IP bytes as captured;
    /// lengths come from the IP header, so trailing capture padding is not
    /// taken as data.
    pub fn from_ip(vni: Option<u32>, ts_ns: u64, ip: &'a [u8]) -> Option<Fragment<'a>> {
        match ip.first()? >> 4 {
            4 => v4(vni, ts_ns, ip),
            6 => v6(vni, ts_ns, ip),
            _ => None,
        }
    }
}

fn v4(vni: Option<u32>, ts_ns: u64, b: &[u8]) -> Option<Fragment<'_>> {
    if b.len() < 20 {
        return None;
    }
    let ihl = (b[0] & 0x0f) as usize * 4;
    let total = u16::from_be_bytes([b[2], b[3]]) as usize;
    if ihl < 20 || b.len() < ihl || total < ihl {
        return None;
    }
    let flags = u16::from_be_bytes([b[6], b[7]]);
    let (offset, more) = ((flags & 0x1fff) as u32 * 8, flags & 0x2000 != 0);
    if offset == 0 && !more {
        return None;
    }
    let end = total.min(b.len());
    let mut src = [0u8; 4];
    let mut dst = [0u8; 4];
    src.copy_from_slice(&b[12..16]);
    dst.copy_from_slice(&b[16..20]);
    Some(Fragment {
        key: DefragKey {
            vni,
            vlan_ids: Default::default(),
            src: Addr::v4(src),
            dst: Addr::v4(dst),
            protocol: b[9],
            id: u16::from_be_bytes([b[4], b[5]]) as u32,
        },
        ts_ns,
        offset,
        more,
        data: &b[ihl..end],
        header: &b[..ihl],
        v6_next_header_at: None,
    })
}

fn v6(vni: Option<u32>, ts_ns: u64, b: &[u8]) -> Option<Fragment<'_>> {
    if b.len() < 40 {
        return None;
    }
    let plen = u16::from_be_bytes([b[4], b[5]]) as usize;
    let end = (40 + plen).min(b.len());
    let mut next_at = 6usize;
    let mut at = 40usize;
    for _ in 0..MAX_EXT {
        match b[next_at] {
            HOP_BY_HOP | ROUTING | DEST_OPTS => {
                let len = (*b.get(at + 1)? as usize + 1) * 8;
                if at + len > end {
                    return None;
                }
                next_at = at;
                at += len;
            }
            FRAGMENT => {
                let h = b.get(at..at + 8)?;
                let off_m = u16::from_be_bytes([h[2], h[3]]);
                let mut src = [0u8; 16];
                let mut dst = [0u8; 16];
                src.copy_from_slice(&b[8..24]);
                dst.copy_from_slice(&b[24..40]);
                return Some(Fragment {
                    key: DefragKey {
                        vni,
                        vlan_ids: Default::default(),
                        src: Addr::v6(src),
                        dst: Addr::v6(dst),
                        protocol: h[0],
                        id: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                    },
                    ts_ns,
                    offset: (off_m >> 3) as u32 * 8,
                    more: off_m & 1 != 0,
                    data: b.get(at + 8..end).unwrap_or(&[]),
                    header: &b[..at],
                    v6_next_header_at: Some(next_at),
                });
            }
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{Defrag, DefragConfig, Outcome};
    use super::*;

    /// IPv4: a UDP datagram built by etherparse, cut into two fragments by
    /// hand, read back with `from_ip` and rebuilt whole.
    #[test]
    fn ipv4_fragments_read_and_rebuilt() {
        let mut whole = Vec::new();
        etherparse::PacketBuilder::ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
            .udp(5000, 53)
            .write(&mut whole, &[0xab; 40])
            .unwrap();
        // etherparse sets DF; a fragmented datagram has it clear.
        whole[6] &= !0x40;
        let (hdr, body) = whole.split_at(20);
        let piece = |off: usize, len: usize, more: bool| {
            let mut h = hdr.to_vec();
            h[2..4].copy_from_slice(&((20 + len) as u16).to_be_bytes());
            let f = (off / 8) as u16 | if more { 0x2000 } else { 0 };
            h[6..8].copy_from_slice(&f.to_be_bytes());
            h.extend_from_slice(&body[off..off + len]);
            h
        };
        let a = piece(0, 24, true);
        let b = piece(24, 24, false);
        assert!(Fragment::from_ip(None, 0, &whole).is_none());
        let fa = Fragment::from_ip(Some(3), 1, &a).unwrap();
        let fb = Fragment::from_ip(Some(3), 2, &b).unwrap();
        assert_eq!((fa.offset, fa.more, fa.data.len()), (0, true, 24));
        assert_eq!((fb.offset, fb.more, fb.key), (24, false, fa.key));
        let mut d = Defrag::new(DefragConfig::default());
        let mut out = Vec::new();
        assert_eq!(d.fragment(&fb, &mut out), Outcome::Pending);
        assert_eq!(d.fragment(&fa, &mut out), Outcome::Complete);
        assert_eq!(out, whole);
    }

    /// IPv6 with a destination-options header before the fragment header.
    #[test]
    fn ipv6_fragment_header_after_options() {
        let mut p = vec![0x60, 0, 0, 0, 0, 24, 60, 64];
        p.extend_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        // Destination options: next = fragment, 8 bytes of PadN.
        p.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
        // Fragment header: next = UDP, offset 2 (16 bytes), M=0, id 0x01020304.
        p.extend_from_slice(&[17, 0, 0, 16, 1, 2, 3, 4]);
        p.extend_from_slice(&[0xcd; 8]);
        let f = Fragment::from_ip(None, 0, &p).unwrap();
        assert_eq!(f.key.protocol, 17);
        assert_eq!(f.key.id, 0x0102_0304);
        assert_eq!((f.offset, f.more), (16, false));
        assert_eq!(f.header.len(), 48);
        assert_eq!(f.v6_next_header_at, Some(40));
        assert_eq!(f.data, &[0xcd; 8]);
    }

    /// Cut and hostile headers are not fragments and never panic.
    #[test]
    fn cut_headers_are_not_fragments() {
        for n in 0..60 {
            let mut p = vec![0x60, 0, 0, 0, 0, 100, 0, 64];
            p.resize(40, 1);
            p.extend_from_slice(&[0, 200, 0, 0]);
            p.truncate(n);
            assert!(Fragment::from_ip(None, 0, &p).is_none());
            let mut q = vec![0x45, 0, 0, 10, 0, 0, 0x20, 0];
            q.truncate(n.min(8));
            assert!(Fragment::from_ip(None, 0, &q).is_none());
        }
    }
}
