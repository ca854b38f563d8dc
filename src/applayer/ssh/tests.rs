use super::*;

use crate::applayer::test_hex;

/// The bytes of a `testdata/*.hex` file (its `#` lines say where they
/// came from).
fn stream(text: &str) -> Vec<u8> {
    let hex: String = text.lines().filter(|l| !l.starts_with('#')).collect();
    test_hex(&hex)
}

fn client() -> Vec<u8> {
    stream(include_str!("testdata/sv-ssh-hassh-client.hex"))
}

fn server() -> Vec<u8> {
    stream(include_str!("testdata/sv-ssh-hassh-server.hex"))
}

// tshark -r ../shared/pcaps/plain/sv-ssh-hassh.pcap -Y 'ssh.kex.hassh || ssh.kex.hasshserver'
//   -T fields -e ssh.kex.hassh -e ssh.kex.hasshserver -e ssh.kex.hassh_algorithms
const HASSH: &str = "2dd6531c7e89d3c925db9214711be76a";
const HASSH_SERVER: &str = "6832f1ce43d4397c2c0a3e2f8c94334e";
const HASSH_STRING: &str = "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,\
ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,\
diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,\
diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,ext-info-c;\
chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,\
aes256-gcm@openssh.com;umac-64-etm@openssh.com,umac-128-etm@openssh.com,\
hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,\
umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1;none";

fn check_real(s: &SshState) {
    let b = |x: Option<&[u8]>| String::from_utf8_lossy(x.unwrap_or(b"<none>")).into_owned();
    assert_eq!(b(s.proto(Direction::ToServer)), "2.0");
    assert_eq!(
        b(s.software(Direction::ToServer)),
        "OpenSSH_for_Windows_7.7"
    );
    assert_eq!(b(s.proto(Direction::ToClient)), "2.0");
    assert_eq!(b(s.software(Direction::ToClient)), "OpenSSH_7.4");
    assert_eq!(b(s.hassh()), HASSH);
    assert_eq!(b(s.hassh_string()), HASSH_STRING);
    assert_eq!(b(s.hassh_server()), HASSH_SERVER);
    assert_eq!(
        crate::applayer::md5_hex(s.hassh_server_string().unwrap()),
        HASSH_SERVER
    );
    assert!(s.done());
    assert!(s.events.is_empty(), "{:?}", s.events);
}

#[test]
fn real_handshake_whole() {
    let mut s = SshState::new();
    s.parse(Direction::ToServer, &client());
    s.parse(Direction::ToClient, &server());
    check_real(&s);
    // Banner, KEXINIT, ECDH init, NEWKEYS; the encrypted rest is not read.
    assert_eq!(s.records(Direction::ToServer), 3);
}

#[test]
fn real_handshake_split_anywhere() {
    let (c, v) = (client(), server());
    for cut in 0..c.len().max(v.len()) {
        let mut s = SshState::new();
        s.parse(Direction::ToServer, &c[..cut.min(c.len())]);
        s.parse(Direction::ToClient, &v[..cut.min(v.len())]);
        s.parse(Direction::ToServer, &c[cut.min(c.len())..]);
        s.parse(Direction::ToClient, &v[cut.min(v.len())..]);
        check_real(&s);
    }
}

#[test]
fn real_handshake_byte_by_byte() {
    let mut s = SshState::new();
    for (a, b) in client().iter().zip(server().iter()) {
        s.parse(Direction::ToServer, std::slice::from_ref(a));
        s.parse(Direction::ToClient, std::slice::from_ref(b));
    }
    let (c, v) = (client(), server());
    let n = c.len().min(v.len());
    s.parse(Direction::ToServer, &c[n..]);
    s.parse(Direction::ToClient, &v[n..]);
    check_real(&s);
}

#[test]
fn every_truncation_is_partial_not_wrong() {
    let c = client();
    for cut in 0..c.len() {
        let mut s = SshState::new();
        s.parse(Direction::ToServer, &c[..cut]);
        assert!(s.events.is_empty(), "cut {cut}");
        // HASSH appears only once the whole KEXINIT is there, and right.
        if let Some(h) = s.hassh() {
            assert_eq!(h, HASSH.as_bytes());
        }
    }
}

#[test]
fn banner_forms() {
    // (line, proto, software) — Suricata's split: software ends at the
    // first space/CR/LF; an empty software takes the rest of the line.
    let cases: &[(&[u8], &str, &str)] = &[
        (b"SSH-2.0-OpenSSH_7.4\r\n", "2.0", "OpenSSH_7.4"),
        (b"SSH-2.0-OpenSSH_7.9p1 Ubuntu-10\n", "2.0", "OpenSSH_7.9p1"),
        (b"SSH-1.99-Cisco-1.25\r\n", "1.99", "Cisco-1.25"),
        (b"SSH-2.0-\r\n", "2.0", ""),
        (b"SSH-2.0- comment\n", "2.0", " comment"),
        (b"SSH-2.0-x\rmore", "2.0", "x"),
    ];
    for (line, proto, sw) in cases {
        let mut s = SshState::new();
        s.parse(Direction::ToClient, line);
        assert_eq!(s.proto(Direction::ToClient), Some(proto.as_bytes()));
        assert_eq!(
            s.software(Direction::ToClient).unwrap_or(b""),
            sw.as_bytes()
        );
        assert!(s.events.is_empty());
        assert_eq!(s.progress(Direction::ToClient), SshProgress::BannerDone);
    }
}

#[test]
fn cr_at_the_end_waits_for_the_next_byte() {
    let mut s = SshState::new();
    s.parse(Direction::ToServer, b"SSH-2.0-a\r");
    assert_eq!(s.progress(Direction::ToServer), SshProgress::InProgress);
    // CR LF then a NEWKEYS packet.
    s.parse(
        Direction::ToServer,
        &test_hex("0a 0000000c 0a 15 00000000000000000000"),
    );
    assert_eq!(s.software(Direction::ToServer), Some(&b"a"[..]));
    assert_eq!(s.progress(Direction::ToServer), SshProgress::Finished);
}

#[test]
fn invalid_banners_stop_the_flow() {
    for line in [
        &b"HTTP/1.1 200 OK\r\n"[..],
        b"SSH-2.0\r\n",
        b"SSH--x\r\n",
        b"\n",
        b"SS\n",
    ] {
        let mut s = SshState::new();
        s.parse(Direction::ToServer, line);
        assert!(s.has_event(SshEvent::InvalidBanner), "{line:?}");
        assert!(s.failed() && s.done());
        s.parse(Direction::ToClient, b"SSH-2.0-x\r\n");
        assert_eq!(s.proto(Direction::ToClient), None);
    }
}

#[test]
fn long_banners() {
    // 300 bytes of software then CR LF in one piece and byte by byte: the
    // banner is cut at 257 bytes, long_banner raised, the line skipped.
    let mut line = b"SSH-2.0-".to_vec();
    line.extend(std::iter::repeat_n(b'A', 300));
    line.extend(b"\r\n");
    line.extend(test_hex("0000000c 0a 15 00000000000000000000"));
    for bytewise in [false, true] {
        let mut s = SshState::new();
        if bytewise {
            for b in &line {
                s.parse(Direction::ToServer, std::slice::from_ref(b));
            }
        } else {
            s.parse(Direction::ToServer, &line);
        }
        assert!(s.has_event(SshEvent::LongBanner));
        assert_eq!(s.software(Direction::ToServer).unwrap().len(), 257 - 8);
        assert_eq!(s.progress(Direction::ToServer), SshProgress::Finished);
    }
    // Exactly 256 bytes before CR LF: long, but whole.
    let mut line = b"SSH-2.0-".to_vec();
    line.extend(std::iter::repeat_n(b'B', 256 - 8));
    line.extend(b"\r\n");
    let mut s = SshState::new();
    s.parse(Direction::ToServer, &line);
    assert!(s.has_event(SshEvent::LongBanner));
    assert_eq!(s.progress(Direction::ToServer), SshProgress::BannerDone);
    // 255: not long.
    let mut line = b"SSH-2.0-".to_vec();
    line.extend(std::iter::repeat_n(b'B', 255 - 8));
    line.extend(b"\r\n");
    let mut s = SshState::new();
    s.parse(Direction::ToServer, &line);
    assert!(s.events.is_empty());
}

#[test]
fn invalid_record_and_long_kexinit() {
    let mut s = SshState::new();
    s.parse(Direction::ToServer, b"SSH-2.0-x\n");
    s.parse(Direction::ToServer, &test_hex("00000001 00 14"));
    assert!(s.has_event(SshEvent::InvalidRecord));
    assert!(s.failed());
    // A KEXINIT announcing 70000 bytes: not reassembled, skipped.
    let mut s = SshState::new();
    s.parse(Direction::ToServer, b"SSH-2.0-x\n");
    s.parse(Direction::ToServer, &test_hex("00011172 04 14"));
    assert!(s.has_event(SshEvent::LongKexRecord));
    s.parse(Direction::ToServer, &vec![0u8; 70000]);
    s.parse(
        Direction::ToServer,
        &test_hex("0000000c 0a 15 00000000000000000000"),
    );
    assert_eq!(s.progress(Direction::ToServer), SshProgress::Finished);
    assert_eq!(s.hassh(), None);
}

#[test]
fn malformed_kexinit_gives_no_hassh() {
    let mut s = SshState::new();
    s.parse(Direction::ToServer, b"SSH-2.0-x\n");
    // KEXINIT body: cookie, then a name-list claiming 255 bytes.
    let mut pkt = test_hex("00000020 04 14");
    pkt.extend([0u8; 16]);
    pkt.extend(test_hex("000000ff"));
    pkt.extend([0u8; 0x20 - 2 - 16 - 4]);
    s.parse(Direction::ToServer, &pkt);
    assert_eq!(s.hassh(), None);
    assert!(s.events.is_empty());
    assert_eq!(s.records(Direction::ToServer), 1);
}

#[test]
fn event_names_round_trip() {
    for e in SshEvent::ALL {
        assert_eq!(SshEvent::from_name(e.name()), Some(*e));
    }
}

proptest::proptest! {
    #[test]
    fn no_input_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..700), cut in 0usize..700) {
        let mut s = SshState::new();
        s.parse(Direction::ToServer, &data);
        s.parse(Direction::ToClient, &data);
        // After a valid banner, arbitrary packets split anywhere.
        let mut t = SshState::new();
        let mut u = SshState::new();
        let mut bytes = b"SSH-2.0-x\r\n".to_vec();
        bytes.extend(&data);
        let cut = cut.min(bytes.len());
        t.parse(Direction::ToServer, &bytes[..cut]);
        t.parse(Direction::ToServer, &bytes[cut..]);
        u.parse(Direction::ToServer, &bytes);
        proptest::prop_assert_eq!(t.hassh(), u.hassh());
        proptest::prop_assert_eq!(t.events, u.events);
        proptest::prop_assert_eq!(t.progress(Direction::ToServer), u.progress(Direction::ToServer));
    }
}
