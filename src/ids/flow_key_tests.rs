//! Detection flow keys: VLAN ids and tunnel depth split a 5-tuple into
//! flows of their own, both directions meet, and a flow idle past its
//! timeout is replaced when a packet finds it.

use super::IdsStats;
use super::flows::{DetectFlows, DetectKey, FlowTimeouts};
use crate::decap::Tunnel;
use crate::flow::{Layer, PacketMeta};
use crate::wire::Addr;

const S: u64 = 1_000_000_000;

fn udp(ts_s: u64, from: (u8, u16), to: (u8, u16)) -> PacketMeta {
    PacketMeta {
        ts_ns: ts_s * S,
        vni: None,
        mirror_src: None,
        tunnel: Tunnel::None,
        gwlb: Default::default(),
        src: Addr::v4([10, 0, 0, from.0]),
        dst: Addr::v4([10, 0, 0, to.0]),
        src_port: from.1,
        dst_port: to.1,
        protocol: 17,
        ip_len: 28,
        tcp_flags: None,
        icmp: None,
    }
}

fn key(m: &PacketMeta, vlan_ids: [u16; 3], depth: u8) -> (DetectKey, usize) {
    let (flow, dir) = m.key();
    let layer = Layer { vlan_ids, depth };
    (DetectKey { flow, layer }, dir)
}

#[test]
fn vlans_and_depth_are_flows_of_their_own() {
    let mut t = DetectFlows::new(16, FlowTimeouts::default());
    let mut st = IdsStats::default();
    let out = udp(1, (1, 1111), (2, 2222));
    let back = udp(2, (2, 2222), (1, 1111));
    // As zeek-vlan-collisions: untagged, VLAN 42, QinQ 10/20.
    for (vlans, depth) in [
        ([0, 0, 0], 0),
        ([42, 0, 0], 0),
        ([10, 20, 0], 0),
        ([10, 21, 0], 0),
        ([0, 0, 0], 1),
    ] {
        for m in [&out, &back] {
            let (k, dir) = key(m, vlans, depth);
            let mut expired = None;
            let f = t.get_or_insert(&k, dir, m, &mut st, &mut expired).unwrap();
            f.account(dir, m.ts_ns, 28);
            assert!(expired.is_none());
        }
    }
    assert_eq!(t.len(), 5);
    assert_eq!(st.flows, 5);
    // Each flow holds one packet per direction: both directions met.
    for (_, f) in t.drain() {
        assert_eq!(f.pkts, [1, 1]);
    }
}

#[test]
fn a_flow_idle_past_its_timeout_is_replaced_on_lookup() {
    let mut t = DetectFlows::new(16, FlowTimeouts::default());
    let mut st = IdsStats::default();
    // One direction only: UDP "new", 30 s. Last seen at 26.x s: alive at
    // 56.x s (whole seconds: 56 > 26 + 30 is false), gone at 57 s.
    for (ts, replaced) in [(26, false), (56, false), (87, true)] {
        let m = udp(ts, (1, 546), (2, 547));
        let (k, dir) = key(&m, [0; 3], 1);
        let mut expired = None;
        let f = t.get_or_insert(&k, dir, &m, &mut st, &mut expired).unwrap();
        f.account(dir, m.ts_ns, 28);
        assert_eq!(expired.is_some(), replaced, "at {ts} s");
        if let Some(old) = expired {
            assert_eq!((old.pkts, old.last_ns), ([2, 0], 56 * S));
        }
    }
    assert_eq!((t.len(), st.flows), (1, 2));
}

#[test]
fn a_full_table_tracks_no_new_layer() {
    let mut t = DetectFlows::new(1, FlowTimeouts::default());
    let mut st = IdsStats::default();
    let m = udp(1, (1, 1), (2, 2));
    let mut expired = None;
    let (k0, d) = key(&m, [0; 3], 0);
    assert!(t.get_or_insert(&k0, d, &m, &mut st, &mut expired).is_some());
    let (k1, d) = key(&m, [7, 0, 0], 0);
    assert!(t.get_or_insert(&k1, d, &m, &mut st, &mut expired).is_none());
    assert_eq!((st.flows, st.flows_untracked), (1, 1));
}
