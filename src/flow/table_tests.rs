//! Flow-table tests: directions, windows, flags, eviction, expiry.

use super::*;

fn pkt(ts_s: f64, src: u8, sport: u16, dst: u8, dport: u16, flags: Option<u8>) -> PacketMeta {
    PacketMeta {
        ts_ns: (ts_s * 1e9) as u64,
        vni: Some(1),
        mirror_src: Some(Addr::v4([10, 0, 1, 10])),
        tunnel: Tunnel::Vxlan,
        gwlb: GwlbOptions::default(),
        src: Addr::v4([10, 0, 0, src]),
        dst: Addr::v4([10, 0, 0, dst]),
        src_port: sport,
        dst_port: dport,
        protocol: if flags.is_some() { 6 } else { 17 },
        ip_len: 100,
        tcp_flags: flags,
        icmp: None,
    }
}

fn cfg(interval: u64) -> FlowConfig {
    FlowConfig {
        interval,
        ..FlowConfig::default()
    }
}

#[test]
fn one_record_per_direction() {
    let mut t = FlowTable::new(cfg(600));
    let mut out = Vec::new();
    t.packet(&pkt(1000.5, 1, 40000, 2, 80, Some(0x02)), &mut out);
    t.packet(&pkt(1000.6, 2, 80, 1, 40000, Some(0x12)), &mut out);
    t.packet(&pkt(1001.0, 1, 40000, 2, 80, Some(0x10)), &mut out);
    t.packet(&pkt(1002.9, 1, 40000, 2, 80, Some(0x11)), &mut out);
    assert!(out.is_empty());
    t.finish(&mut out);
    out.sort_by_key(|r| r.src_port);
    assert_eq!(out.len(), 2);
    let (rev, fwd) = (&out[0], &out[1]);
    assert_eq!(
        (
            fwd.packets,
            fwd.bytes,
            fwd.start(),
            fwd.end(),
            fwd.tcp_flags
        ),
        (3, 300, 1000, 1002, 3)
    );
    assert_eq!(
        (rev.packets, rev.tcp_flags, rev.src_port, rev.dst_port),
        (1, 18, 80, 40000)
    );
    assert_eq!(fwd.window, 600);
    assert_eq!(fwd.community_id, rev.community_id);
}

#[test]
fn windows_are_aligned_to_the_clock() {
    let mut t = FlowTable::new(cfg(60));
    let mut out = Vec::new();
    t.packet(&pkt(119.0, 1, 1, 2, 2, None), &mut out);
    t.packet(&pkt(121.0, 1, 1, 2, 2, None), &mut out); // rollover into window 120
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].window, out[0].packets), (60, 1));
    t.packet(&pkt(122.0, 1, 1, 2, 2, None), &mut out);
    t.finish(&mut out);
    assert_eq!(
        (out[1].window, out[1].packets, out[1].start(), out[1].end()),
        (120, 2, 121, 122)
    );
}

#[test]
fn window_flush_after_grace_and_idle_expiry() {
    let mut t = FlowTable::new(FlowConfig {
        interval: 60,
        grace: 10,
        udp_timeout: 40,
        ..FlowConfig::default()
    });
    let mut out = Vec::new();
    t.packet(&pkt(100.0, 1, 1, 2, 2, None), &mut out);
    t.advance(129_000_000_000, &mut out);
    assert!(out.is_empty(), "window 60..120 is still within its grace");
    t.advance(130_000_000_000, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(t.len(), 1, "idle 30 s of a 40 s timeout at 130");
    t.advance(139_000_000_000, &mut out);
    assert_eq!(t.len(), 1);
    t.advance(140_000_000_000, &mut out);
    assert_eq!(t.len(), 0);
    assert_eq!(t.stats().flows_expired, 1);
}

#[test]
fn tcp_close_frees_at_flush() {
    let mut t = FlowTable::new(cfg(60));
    let mut out = Vec::new();
    t.packet(&pkt(10.0, 1, 5, 2, 6, Some(0x04)), &mut out);
    t.advance(90_000_000_000, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].tcp_flags, 4);
    assert!(t.is_empty());
}

#[test]
fn full_table_evicts_and_counts() {
    let mut t = FlowTable::new(FlowConfig {
        max_flows: 2,
        ..cfg(600)
    });
    let mut out = Vec::new();
    for port in 1..=5 {
        t.packet(&pkt(10.0, 1, port, 2, 80, None), &mut out);
    }
    assert_eq!(t.len(), 2);
    assert_eq!(t.stats().flows_evicted, 3);
    assert_eq!(out.len(), 3);
    t.finish(&mut out);
    assert_eq!(
        out.iter().map(|r| r.packets).sum::<u64>(),
        5,
        "eviction loses no packet"
    );
}

#[test]
fn vni_separates_flows() {
    let mut t = FlowTable::new(cfg(600));
    let mut out = Vec::new();
    let a = pkt(1.0, 1, 1, 2, 2, None);
    let b = PacketMeta { vni: Some(2), ..a };
    t.packet(&a, &mut out);
    t.packet(&b, &mut out);
    t.finish(&mut out);
    assert_eq!(out.len(), 2);
}

#[test]
fn late_packets_merge_into_the_open_window() {
    let mut t = FlowTable::new(cfg(60));
    let mut out = Vec::new();
    t.packet(&pkt(70.0, 1, 1, 2, 2, None), &mut out);
    t.packet(&pkt(65.0, 1, 1, 2, 2, None), &mut out);
    t.finish(&mut out);
    assert_eq!(
        (out.len(), out[0].packets, out[0].start(), out[0].end()),
        (1, 2, 65, 70)
    );
}

#[test]
fn entries_stay_compact() {
    // bench/replay/flow-memory.sh measures the resident cost per flow
    // (entry + index + bucket refs); these bound its largest parts.
    assert!(std::mem::size_of::<FlowKey>() <= 48);
    assert!(std::mem::size_of::<Entry>() <= 216);
}
