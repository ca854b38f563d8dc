//! Ports for IP fragments. A non-first fragment has no transport header; it
//! takes the ports of its datagram's first fragment, matched on (VNI, src,
//! dst, protocol, IP id), whether the first fragment came before or after
//! it. Later fragments wait (bounded, by capture time) for their first
//! fragment; when it never comes they are counted with ports 0.

use hashbrown::HashMap;
use rustc_hash::FxBuildHasher;

use crate::flow::PacketMeta;
use crate::wire::Addr;

/// How long (capture time) a later fragment waits for its first fragment
/// (equal to the flow stage's default window grace, so it still lands in
/// its open window).
pub const FRAG_TIMEOUT_NS: u64 = 30 * 1_000_000_000;
/// How long (capture time) a first fragment's ports are remembered for
/// later fragments (bounded by [`MAX_TRACKED`] too).
pub const FIRST_TTL_NS: u64 = 300 * 1_000_000_000;
/// Most datagrams tracked, and most fragments waiting (bounds memory).
pub const MAX_TRACKED: usize = 65_536;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FragKey {
    vni: Option<u32>,
    src: Addr,
    dst: Addr,
    protocol: u8,
    id: u32,
}

/// Fragment tracker, owned by the reader thread.
#[derive(Debug, Default)]
pub struct FragTracker {
    firsts: HashMap<FragKey, (u16, u16, u64), FxBuildHasher>,
    waiting: HashMap<FragKey, Vec<PacketMeta>, FxBuildHasher>,
    waiting_len: usize,
    last_sweep_ns: u64,
    /// Later fragments given their datagram's ports.
    pub resolved: u64,
    /// Later fragments left with ports 0 (no first fragment).
    pub unresolved: u64,
}

fn key(p: &PacketMeta, id: u32) -> FragKey {
    FragKey {
        vni: p.vni,
        src: p.src,
        dst: p.dst,
        protocol: p.protocol,
        id,
    }
}

impl FragTracker {
    /// A first fragment: remember its ports and release fragments that waited for it.
    pub fn first(&mut self, p: &PacketMeta, id: u32, emit: &mut impl FnMut(PacketMeta)) {
        let k = key(p, id);
        if self.firsts.len() >= MAX_TRACKED {
            self.sweep(u64::MAX, emit);
        }
        self.firsts.insert(k, (p.src_port, p.dst_port, p.ts_ns));
        if let Some(list) = self.waiting.remove(&k) {
            self.waiting_len -= list.len();
            for mut w in list {
                w.src_port = p.src_port;
                w.dst_port = p.dst_port;
                self.resolved += 1;
                emit(w);
            }
        }
    }

    /// A later fragment: emitted now when its datagram's ports are known,
    /// else held until they are or until the timeout.
    pub fn later(&mut self, mut p: PacketMeta, id: u32, emit: &mut impl FnMut(PacketMeta)) {
        let k = key(&p, id);
        if let Some(&(sp, dp, _)) = self.firsts.get(&k) {
            p.src_port = sp;
            p.dst_port = dp;
            self.resolved += 1;
            emit(p);
        } else if self.waiting_len >= MAX_TRACKED {
            self.unresolved += 1;
            emit(p);
        } else {
            self.waiting.entry(k).or_default().push(p);
            self.waiting_len += 1;
        }
    }

    /// Capture time moved on: forget old datagrams, release fragments that
    /// waited too long (ports 0). Runs at most once per second of capture time.
    pub fn tick(&mut self, now_ns: u64, emit: &mut impl FnMut(PacketMeta)) {
        if now_ns < self.last_sweep_ns + 1_000_000_000 {
            return;
        }
        self.last_sweep_ns = now_ns;
        self.sweep(now_ns.saturating_sub(FRAG_TIMEOUT_NS), emit);
    }

    fn sweep(&mut self, older_than_ns: u64, emit: &mut impl FnMut(PacketMeta)) {
        self.firsts
            .retain(|_, v| v.2 >= older_than_ns && older_than_ns != u64::MAX);
        if self.waiting.is_empty() {
            return;
        }
        let expired: Vec<FragKey> = self
            .waiting
            .iter()
            .filter(|(_, v)| v.iter().map(|p| p.ts_ns).max().unwrap_or(0) < older_than_ns)
            .map(|(k, _)| *k)
            .collect();
        for k in expired {
            if let Some(list) = self.waiting.remove(&k) {
                self.waiting_len -= list.len();
                for p in list {
                    self.unresolved += 1;
                    emit(p);
                }
            }
        }
    }

    /// End of input: every waiting fragment leaves with ports 0.
    pub fn finish(&mut self, emit: &mut impl FnMut(PacketMeta)) {
        for (_, list) in self.waiting.drain() {
            for p in list {
                self.unresolved += 1;
                emit(p);
            }
        }
        self.waiting_len = 0;
        self.firsts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decap::Tunnel;
    use crate::wire::geneve::GwlbOptions;

    fn frag(ts: u64, sp: u16) -> PacketMeta {
        PacketMeta {
            ts_ns: ts * 1_000_000_000,
            vni: Some(1),
            mirror_src: None,
            tunnel: Tunnel::Vxlan,
            gwlb: GwlbOptions::default(),
            src: Addr::v4([1, 1, 1, 1]),
            dst: Addr::v4([2, 2, 2, 2]),
            src_port: sp,
            dst_port: if sp == 0 { 0 } else { 53 },
            protocol: 17,
            ip_len: 100,
            tcp_flags: None,
            icmp: None,
        }
    }

    #[test]
    fn later_before_and_after_first() {
        let mut t = FragTracker::default();
        let mut out = Vec::new();
        t.later(frag(1, 0), 7, &mut |p| out.push(p));
        assert!(out.is_empty(), "held until its first fragment");
        t.first(&frag(2, 5353), 7, &mut |p| out.push(p));
        t.later(frag(3, 0), 7, &mut |p| out.push(p));
        assert_eq!(
            out.iter()
                .map(|p| (p.src_port, p.dst_port))
                .collect::<Vec<_>>(),
            vec![(5353, 53); 2]
        );
        assert_eq!(t.resolved, 2);
    }

    #[test]
    fn orphans_time_out_with_ports_zero() {
        let mut t = FragTracker::default();
        let mut out = Vec::new();
        t.later(frag(1, 0), 9, &mut |p| out.push(p));
        t.tick(20_000_000_000, &mut |p| out.push(p));
        assert!(out.is_empty());
        t.tick(32_000_000_000, &mut |p| out.push(p));
        assert_eq!(out.len(), 1);
        assert_eq!(t.unresolved, 1);
        t.later(frag(40, 0), 10, &mut |p| out.push(p));
        t.finish(&mut |p| out.push(p));
        assert_eq!((out.len(), t.unresolved), (2, 2));
    }
}
