//! Flow keys: a direction-free key for lookup, and the direction of a packet in it.

use crate::wire::Addr;

/// One end of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// Address.
    pub addr: Addr,
    /// Port (0 for protocols without ports).
    pub port: u16,
}

/// Where a packet was met besides its addresses: what Suricata 7 adds to
/// its flow key (`FlowHashKey4/6`'s `vlan_id[]` and `recur`) and detection
/// adds to [`FlowKey`], so the same 5-tuple on two VLANs, or inside and
/// outside a tunnel, are separate detection flows. The flow stage (VPC
/// Flow Logs) keys by VNI and 5-tuple only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Layer {
    /// The ids of the packet's first three VLAN tags (0: none), as
    /// `vlan.use-for-tracking: true`.
    pub vlan_ids: crate::wire::ethernet::VlanIds,
    /// Tunnels (GRE, ERSPAN, IP-in-IP) looked through below the mirror
    /// tunnel to reach the packet (Suricata's recursion level, less the
    /// mirror tunnel's own level, which the VNI already separates). A
    /// datagram rebuilt from fragments is at its fragments' depth.
    pub depth: u8,
}

/// Direction-free flow key: the VNI and the two endpoints in a canonical order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// Mirror session (`u32::MAX` marks a packet that was not encapsulated;
    /// VNIs are 24-bit so it cannot collide).
    pub vni: u32,
    /// Transport protocol.
    pub protocol: u8,
    /// The smaller endpoint.
    pub lo: Endpoint,
    /// The larger endpoint.
    pub hi: Endpoint,
}

/// The `vni` of packets without a tunnel.
pub const NO_VNI: u32 = u32::MAX;

impl FlowKey {
    /// The key of a packet and its direction in it (0: `lo` → `hi`, 1: `hi` → `lo`).
    #[inline]
    pub fn of(vni: Option<u32>, protocol: u8, src: Endpoint, dst: Endpoint) -> (FlowKey, usize) {
        let vni = vni.unwrap_or(NO_VNI);
        if src <= dst {
            (
                FlowKey {
                    vni,
                    protocol,
                    lo: src,
                    hi: dst,
                },
                0,
            )
        } else {
            (
                FlowKey {
                    vni,
                    protocol,
                    lo: dst,
                    hi: src,
                },
                1,
            )
        }
    }

    /// Source and destination of direction `dir`.
    #[inline]
    pub fn endpoints(&self, dir: usize) -> (Endpoint, Endpoint) {
        if dir == 0 {
            (self.lo, self.hi)
        } else {
            (self.hi, self.lo)
        }
    }

    /// A hash that is the same for both directions (dispatch to workers).
    #[inline]
    pub fn symmetric_hash(&self) -> u64 {
        // The key is already direction-free; FxHash it.
        use std::hash::BuildHasher;
        let x = rustc_hash::FxBuildHasher.hash_one(self);
        // Fx's low bits are weak for small keys: mix once.
        (x ^ (x >> 29)).wrapping_mul(0xbf58476d1ce4e5b9) ^ (x >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(a: u8, p: u16) -> Endpoint {
        Endpoint {
            addr: Addr::v4([10, 0, 0, a]),
            port: p,
        }
    }

    #[test]
    fn both_directions_share_a_key() {
        let (k1, d1) = FlowKey::of(Some(1), 6, ep(1, 40000), ep(2, 80));
        let (k2, d2) = FlowKey::of(Some(1), 6, ep(2, 80), ep(1, 40000));
        assert_eq!(k1, k2);
        assert_eq!(k1.symmetric_hash(), k2.symmetric_hash());
        assert_ne!(d1, d2);
        assert_eq!(k1.endpoints(d1), (ep(1, 40000), ep(2, 80)));
        assert_eq!(k2.endpoints(d2), (ep(2, 80), ep(1, 40000)));
        let (k3, _) = FlowKey::of(Some(2), 6, ep(1, 40000), ep(2, 80));
        assert_ne!(k1, k3, "the VNI is part of the key");
        let (k4, _) = FlowKey::of(None, 6, ep(1, 40000), ep(2, 80));
        assert_eq!(k4.vni, NO_VNI);
    }
}
