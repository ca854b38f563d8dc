//! EVE rendering against lines Suricata 7.0.10 wrote (tests/data/eve/).

use super::*;

const SURICATA: &str = include_str!("../../../tests/data/eve/suricata-7.0.10-vxlan-alerts.jsonl");

fn a(s: &str) -> Addr {
    s.parse::<std::net::IpAddr>().unwrap().into()
}

fn info(sid: u32, msg: &str) -> AlertInfo {
    AlertInfo {
        gid: 1,
        signature_id: sid,
        rev: 1,
        signature: msg.into(),
        category: "".into(),
        severity: 3,
        metadata: Arc::from(Vec::new()),
    }
}

/// 2019-06-27T14:01:10.047299 UTC.
const TS: u64 = 1_561_644_070_047_299_000;

fn inner_event() -> AlertEvent {
    AlertEvent {
        ts_ns: TS,
        flow_id: 1892000618706163,
        pcap_cnt: None,
        src: a("172.31.0.238"),
        src_port: 60631,
        dst: a("78.46.93.39"),
        dst_port: 123,
        protocol: 17,
        icmp: None,
        alert: info(9, "inner: NTPv4 client request"),
        app_proto: Some("ntp"),
        app: None,
        tx_id: None,
        direction: Some(Direction::ToServer),
        pkt_src: PktSrc::Vxlan,
        flow: Some(FlowSummary {
            pkts_toserver: 1,
            pkts_toclient: 0,
            bytes_toserver: 76,
            bytes_toclient: 0,
            start_ns: TS,
            src: a("172.31.0.238"),
            dst: a("78.46.93.39"),
            src_port: 60631,
            dst_port: 123,
        }),
        community_id: None,
        tunnel: Some(TunnelInfo {
            src: a("172.31.0.238"),
            src_port: 65445,
            dst: a("172.31.17.188"),
            dst_port: 4789,
            protocol: 17,
            depth: 1,
            pcap_cnt: Some(1),
        }),
        mirror: None,
    }
}

#[test]
fn same_json_as_suricata_key_order_included() {
    let lines: Vec<&str> = SURICATA.lines().collect();
    assert_eq!(serde_json::to_string(&inner_event()).unwrap(), lines[0]);

    let outer = AlertEvent {
        flow_id: 1892001175310978,
        pcap_cnt: Some(1),
        src_port: 65445,
        dst: a("172.31.17.188"),
        dst_port: 4789,
        alert: info(1, "outer: VXLAN UDP datagram to the mirror target"),
        app_proto: Some("failed"),
        app: None,
        tx_id: None,
        pkt_src: PktSrc::Wire,
        flow: Some(FlowSummary {
            pkts_toserver: 1,
            pkts_toclient: 0,
            bytes_toserver: 140,
            bytes_toclient: 0,
            start_ns: TS,
            src: a("172.31.0.238"),
            dst: a("172.31.17.188"),
            src_port: 65445,
            dst_port: 4789,
        }),
        tunnel: None,
        ..inner_event()
    };
    assert_eq!(serde_json::to_string(&outer).unwrap(), lines[1]);
}

#[test]
fn icmp_metadata_and_mirror_context() {
    let mut e = inner_event();
    e.protocol = 58;
    e.icmp = Some((128, 0));
    e.alert.metadata = Arc::from(vec![
        (
            "policy".to_string(),
            vec!["balanced".to_string(), "security".to_string()],
        ),
        ("tag".to_string(), vec!["x".to_string()]),
    ]);
    e.community_id = Some("1:abc=".into());
    e.mirror = Some(MirrorContext {
        vni: Some(7),
        interface_id: Some("eni-0123".into()),
        mirror_src: Some(a("10.0.1.10")),
        gwlb: GwlbOptions {
            endpoint_id: Some(0xab),
            attachment_id: None,
            flow_cookie: Some(0x1234),
        },
    });
    let v = e.to_json();
    assert_eq!(v["proto"], "IPv6-ICMP");
    assert!(v.get("src_port").is_none() && v.get("dest_port").is_none());
    assert_eq!(
        (v["icmp_type"].as_u64(), v["icmp_code"].as_u64()),
        (Some(128), Some(0))
    );
    assert_eq!(v["alert"]["metadata"]["policy"][1], "security");
    assert_eq!(v["vxtap"]["vni"], 7);
    assert_eq!(v["vxtap"]["interface_id"], "eni-0123");
    assert_eq!(v["vxtap"]["gwlb_endpoint_id"], "00000000000000ab");
    assert_eq!(v["vxtap"]["gwlb_flow_cookie"], "00001234");
    assert_eq!(proto_name(250), "250");
}

#[test]
fn file_is_renamed_into_place_when_closed() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = EveFile::create(dir.path()).unwrap();
    f.write(&inner_event()).unwrap();
    f.write(&inner_event()).unwrap();
    assert!(!dir.path().join("eve.json").exists());
    assert_eq!(f.alerts(), 2);
    let path = f.close().unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(!dir.path().join(".eve.json.tmp").exists());
}

/// IPv6 addresses as Suricata 7.0.10 writes them (uncompressed groups):
/// the address pair of an alert in
/// tests/data/ids/sample-mirror.suricata-7.0.10.alerts.jsonl.
#[test]
fn ipv6_addresses_written_uncompressed_as_suricata() {
    let mut e = inner_event();
    e.src = a("2001:503:83eb::30");
    e.dst = a("2003:de:2016:120::a08:53");
    let v = e.to_json();
    assert_eq!(v["src_ip"], "2001:0503:83eb:0000:0000:0000:0000:0030");
    assert_eq!(v["dest_ip"], "2003:00de:2016:0120:0000:0000:0a08:0053");
}
