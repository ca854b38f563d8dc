use super::*;

#[test]
fn bytes_are_written_as_suricatas_jsonbuilder_does() {
    assert_eq!(eve_string(b"caf\xc3\xa9"), "café");
    // Not UTF-8: ASCII kept, high bytes as \xNN.
    assert_eq!(eve_string(b"a\xff\x01b"), "a\\xff\x01b");
    assert_eq!(
        serde_json::to_string(&Bytes(b"\xfe\"")).unwrap(),
        r#""\\xfe\"""#
    );
}

#[test]
fn strtoul_reads_like_c() {
    assert_eq!(strtoul(b"200"), 200);
    assert_eq!(strtoul(b" 404 x"), 404);
    assert_eq!(strtoul(b"abc"), 0);
    assert_eq!(strtoul(b""), 0);
    assert_eq!(strtoul(b"2x0"), 2);
}

#[test]
fn content_range_forms() {
    assert_eq!(
        parse_content_range(b"bytes 0-99/1234"),
        Some((Some(0), Some(99), Some(1234)))
    );
    assert_eq!(
        parse_content_range(b"bytes 5-9/*"),
        Some((Some(5), Some(9), None))
    );
    assert_eq!(
        parse_content_range(b"bytes */77"),
        Some((None, None, Some(77)))
    );
    assert_eq!(parse_content_range(b"bytes x-1/2"), None);
    assert_eq!(parse_content_range(b""), None);
}

#[test]
fn names_of_types_codes_and_versions() {
    assert_eq!(dns_rrtype(1), "A");
    assert_eq!(dns_rrtype(23), "NSAPPT");
    assert_eq!(dns_rrtype(4242), "4242");
    assert_eq!(dns_rcode(0x8183), "NXDOMAIN");
    assert_eq!(dns_rcode(0x000c), "12");
    assert_eq!(tls_version_string(0x0301), "TLSv1");
    assert_eq!(tls_version_string(0x7f12), "TLS 1.3 draft-18");
    // ../shared/pcaps/plain/sv-tls_tls13-draft14_tls13_draft14.pcap, as
    // Suricata 7.0.10 names it.
    assert_eq!(tls_version_string(0x7f0e), "TLS 1.3 draft-<16");
    assert_eq!(tls_version_string(0), "UNDETERMINED");
    assert_eq!(iso_seconds(1_423_764_447), "2015-02-12T18:07:27");
}

#[test]
fn ports_libhtp_accepts() {
    assert_eq!(port_number(b"8080"), Some(8080));
    assert_eq!(port_number(b" 81 "), Some(81));
    assert_eq!(port_number(b"0"), None);
    assert_eq!(port_number(b"65536"), None);
    assert_eq!(port_number(b"8x"), None);
    assert_eq!(port_number(b""), None);
}

use crate::applayer::Transport;
use crate::applayer::dns::DnsState;
use crate::applayer::http::{HttpConfig, HttpState};
use crate::applayer::test_hex as hex;

/// The NXDOMAIN answer (id 52300) of ../shared/acceptance/bug-2158, frame
/// 10, UDP payload.
fn nxdomain() -> Vec<u8> {
    hex(
        "cc4c 8183 0001 0000 0001 0000 0b736f667475706461746573 04696e666f 00 0001 0001 \
         c018 0006 0001 00000383 0030 026130 04696e666f 0b6166696c6961732d6e7374 c018 \
         036e6f63 c036 77dde56c 00000e10 00000708 00093a80 00000e10",
    )
}

/// Suricata 7.0.10's objects for that message (tests/data/eve_app/suricata.jsonl).
const NXDOMAIN_EVENT: &str = r#"{"version":2,"type":"answer","id":52300,"flags":"8183","qr":true,"rd":true,"ra":true,"opcode":0,"rrname":"softupdates.info","rrtype":"A","rcode":"NXDOMAIN","authorities":[{"rrname":"info","rrtype":"SOA","ttl":899,"soa":{"mname":"a0.info.afilias-nst.info","rname":"noc.afilias-nst.info","serial":2011030892,"refresh":3600,"retry":1800,"expire":604800,"minimum":3600}}]}"#;

#[test]
fn dns_answer_event_and_alert_forms() {
    let mut s = DnsState::new(Transport::Udp);
    s.parse(Direction::ToClient, &nxdomain());
    let tx = &s.txs()[0];
    assert!(dns_logged(tx));
    let ev = dns_answer_event(tx, DnsFormats::ALL).unwrap();
    assert_eq!(serde_json::to_string(&ev).unwrap(), NXDOMAIN_EVENT);
    let alert = EveDnsAlert::from_tx(tx, 1).unwrap();
    assert_eq!(
        serde_json::to_string(&alert).unwrap(),
        format!(r#"{{"version":2,"answer":{NXDOMAIN_EVENT}}}"#)
    );
    assert!(dns_query_events(tx, 1).is_empty());
    // A question of a type Suricata's alert logger does not know (CAA, 257,
    // as in ../shared/pcaps/plain/zeek-dns-caa.pcap): Suricata 7.0.10 writes
    // only the version there.
    let mut caa = nxdomain();
    caa[12 + 18] = 0x01;
    caa[12 + 19] = 0x01;
    let mut s = DnsState::new(Transport::Udp);
    s.parse(Direction::ToClient, &caa);
    assert_eq!(
        serde_json::to_string(&EveDnsAlert::from_tx(&s.txs()[0], 1).unwrap()).unwrap(),
        r#"{"version":2}"#
    );
    // Every truncation: never a panic, and nothing logged for a message
    // that does not parse.
    let m = nxdomain();
    for n in 0..m.len() {
        let mut s = DnsState::new(Transport::Udp);
        s.parse(Direction::ToClient, &m[..n]);
        for tx in s.txs() {
            if tx.message.is_none() {
                assert!(!dns_logged(tx) && dns_answer_event(tx, DnsFormats::ALL).is_none());
            }
            let _ = EveDnsAlert::from_tx(tx, 0).map(|a| serde_json::to_string(&a));
        }
    }
}

#[test]
fn dns_response_suricata_rejects_is_not_logged() {
    // As the prerequisite of ../shared/pcaps/plain/zeek-dns_dynamic-update.pcap
    // frame 2: a CNAME record with no data (Suricata's record parser needs a
    // name there and drops the message; tshark shows it, Suricata logs
    // nothing for it).
    let m = hex("0001 8180 0001 0001 0000 0000 0161 00 0001 0001 c00c 0005 00fe 00000000 0000");
    let mut s = DnsState::new(Transport::Udp);
    s.parse(Direction::ToClient, &m);
    let tx = &s.txs()[0];
    assert!(tx.message.is_some());
    assert!(!dns_logged(tx));
    assert_eq!(dns_answer_event(tx, DnsFormats::ALL), None);
    // A request sent to the client is not a transaction either.
    let q = hex("0001 0100 0001 0000 0000 0000 0161 00 0001 0001");
    let mut s = DnsState::new(Transport::Udp);
    s.parse(Direction::ToClient, &q);
    assert!(!dns_logged(&s.txs()[0]));
}

#[test]
fn http_length_counts_chunk_framing_and_empty_values_are_left_out() {
    let mut s = HttpState::new(HttpConfig::default());
    s.parse(
        Direction::ToServer,
        b"GET http://Ex.COM:8080/a HTTP/1.1\r\nHost: other\r\nUser-Agent:\r\nReferer: r\r\n\r\n",
    );
    // Body as sent: "3\r\nabc\r\n" (8) + "2;x\r\nde\r\n" (9) + "0\r\n" (3) = 20
    // bytes; the trailer and the final empty line are not counted.
    s.parse(
        Direction::ToClient,
        b"HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Type: text/html; charset=x\r\n\
          Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x\r\nde\r\n0\r\nX-T: 1\r\n\r\n",
    );
    let tx = s.txs().next().unwrap();
    assert_eq!(
        serde_json::to_string(&EveHttp::from_tx(tx)).unwrap(),
        r#"{"hostname":"ex.com","http_port":8080,"url":"http://Ex.COM:8080/a","http_content_type":"text/html","http_refer":"r","http_method":"GET","protocol":"HTTP/1.1","status":302,"redirect":"/x","length":20}"#
    );
    // Before the response: no status, no redirect, length 0.
    let mut s = HttpState::new(HttpConfig::default());
    s.parse(Direction::ToServer, b"GET / HTTP/1.0\r\nHost: h:99\r\n\r\n");
    let tx = s.txs().next().unwrap();
    assert_eq!(
        serde_json::to_string(&AppObject::Http(EveHttp::from_tx(tx))).unwrap(),
        r#"{"hostname":"h","http_port":99,"url":"/","http_method":"GET","protocol":"HTTP/1.0","length":0}"#
    );
}

#[test]
fn dns_query_event_line_equals_suricatas() {
    // ../shared/acceptance/derived-vxlan-aws-mirror/input.pcap frame 22: the
    // inner UDP payload of a PTR query, decapsulated from VXLAN.
    let q = hex("3a2e01000001000000000000033232340331343503313936023138\
         07696e2d61646472046172706100000c0001");
    let mut s = DnsState::new(Transport::Udp);
    s.parse(Direction::ToServer, &q);
    let tx = &s.txs()[0];
    let [query] = &dns_query_events(tx, 0)[..] else {
        panic!("one question")
    };
    let a = |s: &str| -> crate::wire::Addr { s.parse::<std::net::IpAddr>().unwrap().into() };
    let ev = TxEvent {
        ts_ns: 1_561_644_079_993_541_000,
        flow_id: 2015428545754088,
        pcap_cnt: None,
        client: a("172.31.0.238"),
        client_port: 47227,
        server: a("172.31.0.2"),
        server_port: 53,
        protocol: 17,
        pkt_src: PktSrc::Vxlan,
        community_id: None,
        body: TxBody::DnsQuery(query.clone()),
        mirror: None,
    };
    // The line Suricata 7.0.10 wrote for it (stock yaml, `-k none
    // --runmode single`); its flow_id is Suricata's own, given above.
    assert_eq!(
        serde_json::to_string(&ev).unwrap(),
        r#"{"timestamp":"2019-06-27T14:01:19.993541+0000","flow_id":2015428545754088,"event_type":"dns","src_ip":"172.31.0.238","src_port":47227,"dest_ip":"172.31.0.2","dest_port":53,"proto":"UDP","pkt_src":"vxlan encapsulation","dns":{"version":2,"type":"query","id":14894,"rrname":"224.145.196.18.in-addr.arpa","rrtype":"PTR","tx_id":0,"opcode":0}}"#
    );
}
