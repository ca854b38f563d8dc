//! Which expectation lookups must wait for the other workers ([`super::order`]).
//!
//! An FTP expectation names the two hosts of the control channel that
//! announced it, and only a flow between the same two hosts can take it
//! ([`crate::ids::expect`]). A control channel is a flow the prober named
//! FTP, and the prober names FTP only by a direction's first bytes
//! ([`crate::applayer::probe::tcp_patterns`]). So, in capture order:
//!
//! * a host pair is *armed* by the first TCP segment between its hosts
//!   whose payload could open an FTP stream (it starts with an FTP
//!   pattern, or with a beginning of one:
//!   [`crate::applayer::probe::may_open_ftp`]); the sequence number of
//!   that segment is published to every worker ([`ArmedPairs`]);
//! * from then on the dispatcher remembers which workers got packets of
//!   the pair (a bit per worker, [`PairGate`]).
//!
//! An expectation of a host pair is announced while a worker processes a
//! packet of its control channel, at or after the segment that armed the
//! pair, or when that worker ends the flow later (numbered with a later
//! packet). So a lookup made at sequence number `s`
//!
//! * for a pair not armed before `s` can find nothing, whoever is behind
//!   ([`ArmedPairs::armed_by`]: also for lookups at a flow's end);
//! * on a packet whose pair's packets since it was armed all went to the
//!   lookup's own worker (which processed them already) finds only what
//!   that worker announced: the dispatcher stamps that on the packet
//!   ([`super::Carried::pair_local`]).
//!
//! Neither waits for the other workers; every other lookup does.
//!
//! Host pairs are hashed into fixed tables ([`SLOTS`] slots); two pairs
//! sharing a slot only make lookups wait more, never less. A slot stays
//! armed for the whole replay. The cost on the reader thread is one hash
//! and one or two table words per TCP packet carried for detection, plus a
//! look at the first payload bytes while the slot is not armed; nothing is
//! allocated after the tables.
//!
//! One case is outside the argument: a control channel whose first
//! payload byte reaches its stream only inside a segment that starts
//! before the stream's first sequence number (a segment overlapping the
//! SYN's). Such a segment does not start with the pattern, so its pair is
//! not armed by it.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::applayer::probe::may_open_ftp;
use crate::flow::PacketMeta;
use crate::wire::Addr;

/// Slots of the host-pair table (a power of two; 8 bytes each).
pub const SLOTS: usize = 1 << 14;

/// TCP's protocol number.
const TCP: u8 = 6;

/// Per host-pair slot, the sequence number (plus one) of the packet that
/// armed it, 0 while unarmed: written by the dispatcher before it queues
/// that packet, read by the workers (shared through [`super::order::Order`]).
#[derive(Debug)]
pub struct ArmedPairs {
    slots: Box<[AtomicU64]>,
}

impl Default for ArmedPairs {
    fn default() -> Self {
        Self::new()
    }
}

impl ArmedPairs {
    /// Nothing armed.
    pub fn new() -> Self {
        ArmedPairs {
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Whether the slot of hosts `a`, `b` was armed by a packet numbered
    /// at most `seq` (a control channel between them may have announced
    /// an expectation a lookup at `seq` sees). A worker that processed its
    /// packet `seq` sees every arming before it: the dispatcher stored it
    /// before queueing the packet.
    #[inline]
    pub fn armed_by(&self, a: Addr, b: Addr, seq: u64) -> bool {
        let at = self.slots[slot_of(a, b)].load(Ordering::Acquire);
        at != 0 && at - 1 <= seq
    }

    fn arm(&self, slot: usize, seq: u64) {
        self.slots[slot].store(seq.saturating_add(1), Ordering::Release);
    }
}

/// The dispatcher's side: which workers got packets of each armed slot.
#[derive(Debug)]
pub struct PairGate {
    /// Per slot: the workers that got packets of an armed pair since it
    /// was armed (bit `w`, workers past 63 share bit 63); 0 while unarmed.
    slots: Box<[u64]>,
}

impl Default for PairGate {
    fn default() -> Self {
        Self::new()
    }
}

impl PairGate {
    /// An empty table: no pair armed.
    pub fn new() -> Self {
        PairGate {
            slots: vec![0u64; SLOTS].into_boxed_slice(),
        }
    }

    /// A TCP packet for detection (`meta`, its IP bytes `ip`, sequence
    /// number `seq`) goes to worker `w`: arms its host pair in `armed` if
    /// its payload could open an FTP stream, records the worker, and
    /// returns whether a lookup on it can skip waiting for the other
    /// workers. Other protocols: false (they make no lookup; the
    /// conservative answer).
    #[inline]
    pub fn stamp(
        &mut self,
        meta: &PacketMeta,
        ip: &[u8],
        (w, seq): (usize, u64),
        armed: &ArmedPairs,
    ) -> bool {
        if meta.protocol != TCP {
            return false;
        }
        let bit = 1u64 << w.min(63);
        let i = slot_of(meta.src, meta.dst);
        let slot = &mut self.slots[i];
        if *slot == 0 && tcp_payload(ip).is_none_or(may_open_ftp) {
            *slot = bit;
            armed.arm(i, seq);
        } else if *slot != 0 {
            *slot |= bit;
        }
        // Bit 63 is shared by the workers past 63: never local for them.
        *slot & !bit == 0 && (*slot == 0 || w < 63)
    }
}

/// The slot of the unordered host pair `a`, `b`.
#[inline]
fn slot_of(a: Addr, b: Addr) -> usize {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    let fold = |v: Addr| {
        let n = v.bits();
        (n as u64) ^ ((n >> 64) as u64).rotate_left(29) ^ v.v6 as u64
    };
    let h = fold(x).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ fold(y);
    let h = (h ^ (h >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (h >> (64 - SLOTS.trailing_zeros())) as usize
}

/// The TCP payload of an IP packet as detection cuts it (at the IP total
/// length): `Some(empty)` without payload or with a cut TCP header, None
/// when this simple walk cannot tell (not TCP directly after the IP
/// header: IPv6 extension headers, an IPv4 fragment, a malformed header),
/// which the gate treats as a possible FTP opening.
fn tcp_payload(ip: &[u8]) -> Option<&[u8]> {
    let (ip, hdr) = match ip.first()? >> 4 {
        4 if ip.len() >= 20 => {
            let ihl = (ip[0] & 0x0f) as usize * 4;
            let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
            let frag = u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff;
            if ihl < 20 || ip[9] != TCP || frag != 0 || (total != 0 && total < ihl) {
                return None;
            }
            let ip = if total == 0 {
                ip
            } else {
                &ip[..total.min(ip.len())]
            };
            (ip, ihl)
        }
        6 if ip.len() >= 40 => {
            if ip[6] != TCP {
                return None;
            }
            let plen = u16::from_be_bytes([ip[4], ip[5]]) as usize;
            let ip = if plen == 0 {
                ip
            } else {
                &ip[..(40 + plen).min(ip.len())]
            };
            (ip, 40)
        }
        _ => return None,
    };
    let Some(tcp) = ip.get(hdr..).filter(|t| t.len() >= 20) else {
        return Some(&[]);
    };
    let doff = (tcp[12] >> 4) as usize * 4;
    if doff < 20 {
        return None;
    }
    Some(tcp.get(doff..).unwrap_or(&[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The hosts of ../shared/acceptance/ftp-download-passive (client .3,
    // server .2) and an unrelated host.
    const C: [u8; 4] = [172, 23, 0, 3];
    const S: [u8; 4] = [172, 23, 0, 2];
    const X: [u8; 4] = [10, 9, 8, 7];

    /// A dispatcher's gate and the shared table, numbering packets.
    #[derive(Default)]
    struct T {
        g: PairGate,
        armed: ArmedPairs,
        seq: u64,
    }

    impl T {
        fn st(&mut self, m: &PacketMeta, ip: &[u8], w: usize) -> bool {
            self.seq += 1;
            self.g.stamp(m, ip, (w, self.seq - 1), &self.armed)
        }
    }

    fn meta(src: [u8; 4], dst: [u8; 4], protocol: u8) -> PacketMeta {
        super::super::test_meta((Addr::v4(src), Addr::v4(dst)), (40000, 21), protocol)
    }

    /// An IPv4 + TCP packet (20-byte headers each) carrying `payload`,
    /// plus `pad` bytes of Ethernet padding after the IP total length.
    fn v4_tcp(payload: &[u8], pad: usize) -> Vec<u8> {
        let total = 40 + payload.len();
        let mut p = vec![0u8; total + pad];
        p[0] = 0x45;
        p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        p[9] = TCP;
        p[32] = 0x50; // data offset 5
        p[40..total].copy_from_slice(payload);
        p
    }

    #[test]
    fn payload_is_cut_as_detection_cuts_it() {
        // Padding after the total length is not payload.
        assert_eq!(tcp_payload(&v4_tcp(b"", 6)), Some(&[][..]));
        assert_eq!(
            tcp_payload(&v4_tcp(b"USER a\r\n", 3)),
            Some(&b"USER a\r\n"[..])
        );
        // TCP options (data offset 8: 12 bytes of options).
        let mut p = v4_tcp(&[1; 12], 0);
        p[32] = 0x80;
        p.extend_from_slice(b"PASV\r\n");
        let total = (p.len() as u16).to_be_bytes();
        p[2..4].copy_from_slice(&total);
        assert_eq!(tcp_payload(&p), Some(&b"PASV\r\n"[..]));
        // A cut TCP header: no payload.
        assert_eq!(tcp_payload(&v4_tcp(b"", 0)[..30]), Some(&[][..]));
        // What the walk cannot tell: a fragment, another protocol, a bad
        // header, IPv6 with an extension header, not IP.
        let mut frag = v4_tcp(b"x", 0);
        frag[6] = 0x20;
        assert_eq!(tcp_payload(&frag), None);
        let mut udp = v4_tcp(b"x", 0);
        udp[9] = 17;
        assert_eq!(tcp_payload(&udp), None);
        let mut bad = v4_tcp(b"x", 0);
        bad[32] = 0x40;
        assert_eq!(tcp_payload(&bad), None);
        let mut v6 = vec![0u8; 40 + 20 + 4];
        v6[0] = 0x60;
        v6[4..6].copy_from_slice(&24u16.to_be_bytes());
        v6[6] = 0; // hop-by-hop options
        assert_eq!(tcp_payload(&v6), None);
        v6[6] = TCP;
        v6[52] = 0x50;
        v6[60..].copy_from_slice(b"FEAT");
        assert_eq!(tcp_payload(&v6), Some(&b"FEAT"[..]));
        assert_eq!(tcp_payload(&[0x20; 40]), None);
        assert_eq!(tcp_payload(&[]), None);
    }

    #[test]
    fn a_pair_is_armed_by_an_ftp_opening_only() {
        let mut g = T::default();
        // HTTP, TLS-looking bytes, empty segments: not armed, local for
        // every worker.
        for (p, w) in [
            (&b"GET / HTTP/1.1\r\n"[..], 0),
            (b"\x16\x03\x01\x00\x10", 1),
            (b"", 1),
            (b"POST /x HTTP/1.1\r\n", 0),
        ] {
            assert!(g.st(&meta(C, S, TCP), &v4_tcp(p, 0), w));
        }
        // Not TCP: never local (no lookup is made on it anyway), arms nothing.
        assert!(!g.st(&meta(C, S, 17), &v4_tcp(b"USER x", 0), 0));
        assert!(g.st(&meta(S, C, TCP), &v4_tcp(b"", 0), 1));
        // The server's greeting to the client arms the pair (either order
        // of the hosts), on worker 0.
        assert!(g.st(&meta(S, C, TCP), &v4_tcp(b"220 (vsFTPd 3.0.3)\r\n", 0), 0));
        // Worker 0's packets of the pair stay local to it...
        assert!(g.st(&meta(C, S, TCP), &v4_tcp(b"", 0), 0));
        // ...not to worker 1, and once worker 1 got one, to neither.
        assert!(!g.st(&meta(C, S, TCP), &v4_tcp(b"", 0), 1));
        assert!(!g.st(&meta(C, S, TCP), &v4_tcp(b"", 0), 0));
        // Another pair is untouched.
        assert!(g.st(&meta(C, X, TCP), &v4_tcp(b"", 0), 1));
    }

    #[test]
    fn beginnings_of_patterns_and_unknown_payloads_arm() {
        for opening in [
            &b"U"[..],
            b"us",
            b"pass x",
            b"Port 1,2",
            b"feat",
            b"EPSV",
            b"2",
        ] {
            let mut g = T::default();
            assert!(g.st(&meta(C, S, TCP), &v4_tcp(opening, 0), 0));
            assert!(!g.st(&meta(C, S, TCP), &v4_tcp(b"", 0), 1), "{opening:?}");
        }
        for other in [&b"USERX"[..], b"PUT ", b"POST", b"230 ok", b"SSH-2.0"] {
            let mut g = T::default();
            g.st(&meta(C, S, TCP), &v4_tcp(other, 0), 0);
            assert!(g.st(&meta(C, S, TCP), &v4_tcp(b"", 0), 1), "{other:?}");
        }
        // A segment the walk cannot read arms its pair.
        let mut g = T::default();
        let mut frag = v4_tcp(b"x", 0);
        frag[6] = 0x20;
        g.st(&meta(C, S, TCP), &frag, 0);
        assert!(!g.st(&meta(C, S, TCP), &v4_tcp(b"", 0), 1));
    }

    #[test]
    fn workers_see_when_a_pair_was_armed() {
        let mut g = T::default();
        let (c, s, x) = (Addr::v4(C), Addr::v4(S), Addr::v4(X));
        g.st(&meta(C, S, TCP), &v4_tcp(b"GET / HTTP/1.0\r\n", 0), 0);
        assert!(!g.armed.armed_by(c, s, u64::MAX));
        // Packet 1 arms the pair: lookups at 1 and later see it, in either
        // order of the hosts; earlier ones and other pairs do not.
        g.st(&meta(S, C, TCP), &v4_tcp(b"220 (x)\r\n", 0), 1);
        assert!(!g.armed.armed_by(c, s, 0));
        assert!(g.armed.armed_by(c, s, 1));
        assert!(g.armed.armed_by(s, c, u64::MAX));
        assert!(!g.armed.armed_by(c, x, u64::MAX));
        // Later openings do not move it.
        g.st(&meta(C, S, TCP), &v4_tcp(b"USER a\r\n", 0), 1);
        assert!(g.armed.armed_by(c, s, 1));
    }

    #[test]
    fn workers_past_63_are_never_local_once_armed() {
        let mut g = T::default();
        assert!(g.st(&meta(C, S, TCP), &v4_tcp(b"", 0), 70));
        assert!(!g.st(&meta(C, S, TCP), &v4_tcp(b"USER a", 0), 70));
        assert!(!g.st(&meta(C, S, TCP), &v4_tcp(b"", 0), 64));
        let mut g = T::default();
        g.st(&meta(C, S, TCP), &v4_tcp(b"USER a", 0), 5);
        assert!(g.st(&meta(C, S, TCP), &v4_tcp(b"", 0), 5));
    }

    #[test]
    fn slots_are_symmetric_and_spread() {
        let (a, b) = (Addr::v4(C), Addr::v4(S));
        assert_eq!(slot_of(a, b), slot_of(b, a));
        // 1,000 client addresses to one server: few share a slot.
        let mut seen = std::collections::HashSet::new();
        for i in 0..1000u32 {
            seen.insert(slot_of(Addr::v4((0x0a00_0000 + i).to_be_bytes()), b));
        }
        assert!(seen.len() > 950, "{}", seen.len());
        // IPv4 and the IPv6 address with the same bits differ.
        let mut v6 = [0u8; 16];
        v6[12..].copy_from_slice(&C);
        assert_ne!(slot_of(Addr::v6(v6), b), slot_of(a, b));
    }
}
