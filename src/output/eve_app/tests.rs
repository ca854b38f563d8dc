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
