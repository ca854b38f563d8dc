use super::*;

// The control channel of ../shared/acceptance/ftp-download-passive/input.pcap
// (tcp.stream 0), as `tshark -q -z follow,tcp,ascii,0` shows it.
const CLIENT: &[u8] = b"USER bob\r\nPASS password\r\nTYPE A\r\nPASV\r\nNLST\r\nTYPE I\r\nPASV\r\n\
RETR index.html\r\nTYPE A\r\nPASV\r\nNLST\r\nQUIT\r\n";
const SERVER: &[&[u8]] = &[
    b"220 FTP Sandbox Ready.\r\n",
    b"331 Please specify the password.\r\n",
    b"230 Login successful.\r\n",
    b"200 Switching to ASCII mode.\r\n",
    b"227 Entering Passive Mode (172,23,0,2,82,9).\r\n",
    b"150 Here comes the directory listing.\r\n226 Directory send OK.\r\n",
    b"200 Switching to Binary mode.\r\n",
    b"227 Entering Passive Mode (172,23,0,2,82,16).\r\n",
    b"150 Opening BINARY mode data connection for index.html (39 bytes).\r\n226 Transfer complete.\r\n",
    b"200 Switching to ASCII mode.\r\n",
    b"227 Entering Passive Mode (172,23,0,2,82,16).\r\n",
    b"150 Here comes the directory listing.\r\n226 Directory send OK.\r\n",
    b"221 Goodbye.\r\n",
];

/// Plays the session in order: greeting, then each request and its
/// replies, each piece cut at `cut` (or byte by byte).
fn play(cut: Option<usize>) -> FtpState {
    let mut s = FtpState::new();
    let feed = |s: &mut FtpState, d: Direction, b: &[u8]| match cut {
        None => b.iter().for_each(|x| s.parse(d, std::slice::from_ref(x))),
        Some(c) => {
            let c = c.min(b.len());
            s.parse(d, &b[..c]);
            s.parse(d, &b[c..]);
        }
    };
    feed(&mut s, Direction::ToClient, SERVER[0]);
    let reqs: Vec<&[u8]> = CLIENT.split_inclusive(|&b| b == b'\n').collect();
    for (r, rep) in reqs.iter().zip(&SERVER[1..]) {
        feed(&mut s, Direction::ToServer, r);
        feed(&mut s, Direction::ToClient, rep);
    }
    s
}

fn check(s: &mut FtpState) {
    let txs = s.txs();
    assert_eq!(txs.len(), 13);
    assert_eq!(txs[0].command, FtpCommand::Unknown);
    assert_eq!(txs[0].completion_codes().collect::<Vec<_>>(), [&b"220"[..]]);
    assert_eq!(txs[1].command, FtpCommand::User);
    assert_eq!(txs[1].command_data(), Some(&b"bob"[..]));
    assert_eq!(txs[4].dyn_port, Some(82 * 256 + 9));
    // NLST: 150 keeps it open, 226 closes it.
    assert_eq!(
        txs[5].completion_codes().collect::<Vec<_>>(),
        [&b"150"[..], b"226"]
    );
    assert!(txs.iter().all(|t| t.done && t.events.is_empty()));
    assert_eq!(txs[8].command, FtpCommand::Retr);
    assert_eq!(txs[8].request_line(), Some(&b"RETR index.html"[..]));
    let exp: Vec<FtpExpectation> = s.take_expectations().collect();
    assert_eq!(
        exp,
        [FtpExpectation {
            port: 21008,
            addr: Some("172.23.0.2".parse().unwrap()),
            active: false,
            command: FtpCommand::Retr,
            file_name: b"index.html".to_vec(),
            direction: Direction::ToClient,
            tx_id: 8,
        }]
    );
    // The last PASV is still unused.
    assert_eq!(
        s.data_channel(),
        Some((Some("172.23.0.2".parse().unwrap()), 21008, false))
    );
    assert!(!s.failed());
}

#[test]
fn real_session_whole_split_and_bytewise() {
    check(&mut play(Some(usize::MAX)));
    check(&mut play(None));
    for cut in 0..20 {
        check(&mut play(Some(cut)));
    }
}

#[test]
fn take_done_keeps_open_transactions() {
    let mut s = FtpState::new();
    s.parse(Direction::ToServer, b"RETR x\r\n");
    assert!(s.failed(), "RETR without PASV/PORT stops the parser");
    let mut s = FtpState::new();
    s.parse(Direction::ToServer, b"LIST\r\n");
    s.parse(Direction::ToClient, b"150 here\r\n");
    assert!(s.take_done().is_empty());
    s.parse(Direction::ToClient, b"226 ok\r\n");
    assert_eq!(s.take_done().len(), 1);
    assert!(s.txs().is_empty());
}

#[test]
fn active_mode_port_and_eprt() {
    let mut s = FtpState::new();
    s.parse(Direction::ToServer, b"PORT 192,168,0,13,234,10\r\n");
    s.parse(Direction::ToClient, b"200 PORT command successful.\r\n");
    assert_eq!(s.data_channel().unwrap().1, 59914);
    assert!(s.ftpbounce(Ipv4Addr::new(10, 0, 0, 1)));
    assert!(!s.ftpbounce(Ipv4Addr::new(192, 168, 0, 13)));
    s.parse(Direction::ToServer, b"RETR a.txt\r\n");
    let e: Vec<_> = s.take_expectations().collect();
    assert_eq!(e[0].port, 59914);
    assert!(e[0].active);
    // Active RETR: on the data flow the FTP server is the client.
    assert_eq!(e[0].direction, Direction::ToServer);
    s.parse(
        Direction::ToServer,
        b"EPRT |2|2a01:e34:ee97:b130:8c3e:45ea:5ac6:e301|41813|\r\n",
    );
    s.parse(Direction::ToClient, b"200 EPRT ok\r\n");
    s.parse(Direction::ToServer, b"stor b.bin\r\n");
    let e: Vec<_> = s.take_expectations().collect();
    assert_eq!((e[0].port, e[0].command), (41813, FtpCommand::Stor));
    assert_eq!(e[0].direction, Direction::ToClient);
    assert_eq!(
        e[0].addr,
        "2a01:e34:ee97:b130:8c3e:45ea:5ac6:e301".parse().ok()
    );
}

#[test]
fn announcement_parsers() {
    assert_eq!(
        parser::pasv_reply(b"227 Entering Passive Mode (212,27,32,66,221,243)."),
        Some((Ipv4Addr::new(212, 27, 32, 66), 56819))
    );
    assert_eq!(
        parser::pasv_reply(b"227 Entering Passive Mode (212,27,32,66,257,243)."),
        None
    );
    assert_eq!(parser::pasv_reply(b"227 (1,2,3,4,5)"), None);
    assert_eq!(
        parser::epsv_reply(b"229 Entering Extended Passive Mode (|||48758|)."),
        Some(48758)
    );
    assert_eq!(parser::epsv_reply(b"229 (|||99999|)"), None);
    assert_eq!(parser::port_request(b"PORT 212,27,32,66,255,65535"), None);
    assert_eq!(parser::eprt_request(b"EPRT |2|::1|81813|"), None);
    assert!(parser::is_preliminary(b"150 ok"));
    assert!(!parser::is_preliminary(b"226 ok"));
    assert!(!parser::is_preliminary(b"1x0 ok"));
    assert_eq!(parser::command(b"auth tls"), Some(FtpCommand::AuthTls));
    assert_eq!(parser::command(b"AUTH SSL"), Some(FtpCommand::Auth));
    assert_eq!(parser::command(b"GET / HTTP/1.0"), None);
}

#[test]
fn long_lines_are_cut_and_flagged() {
    let mut line = b"USER ".to_vec();
    line.extend(std::iter::repeat_n(b'a', 5000));
    line.extend(b"\r\nPASS x\r\n");
    for bytewise in [false, true] {
        let mut s = FtpState::new();
        if bytewise {
            line.iter()
                .for_each(|b| s.parse(Direction::ToServer, std::slice::from_ref(b)));
        } else {
            s.parse(Direction::ToServer, &line);
        }
        let t = s.txs();
        assert_eq!(t.len(), 2);
        assert!(t[0].has_event(FtpEvent::RequestCommandTooLong));
        assert_eq!(t[0].request.len(), MAX_LINE_LEN);
        assert_eq!(t[1].command, FtpCommand::Pass);
    }
    let mut s = FtpState::new();
    s.parse(Direction::ToClient, &[b'2'; MAX_LINE_LEN]);
    s.parse(Direction::ToClient, b"\n220 x\n");
    assert!(s.txs()[0].has_event(FtpEvent::ResponseCommandTooLong));
}

#[test]
fn auth_tls_stops_at_the_upgrade() {
    let mut s = FtpState::new();
    s.parse(Direction::ToServer, b"AUTH TLS\r\n");
    s.parse(
        Direction::ToClient,
        b"234 Proceed with negotiation.\r\n\x16\x03\x01",
    );
    assert!(s.tls_upgrade());
    s.parse(Direction::ToServer, b"\x16\x03\x01\x00\x05USER x\r\n");
    assert_eq!(s.txs().len(), 1);
}

#[test]
fn ftp_data_keeps_one_direction_bounded() {
    let exp = FtpExpectation {
        port: 1,
        addr: None,
        active: false,
        command: FtpCommand::Retr,
        file_name: b"f".to_vec(),
        direction: Direction::ToClient,
        tx_id: 0,
    };
    let mut d = FtpDataState::new(&exp);
    d.parse(Direction::ToServer, b"ignored");
    assert_eq!(d.file_data(), None);
    d.parse(Direction::ToClient, &vec![7u8; data::MAX_FILE_DATA + 10]);
    d.parse(Direction::ToClient, b"more");
    assert_eq!(d.file_data().unwrap().len(), data::MAX_FILE_DATA);
    assert_eq!(d.size(), data::MAX_FILE_DATA as u64 + 14);
    assert_eq!(d.wrong_direction_bytes(), 7);
    assert_eq!(d.command_name(), "retr");
    assert_eq!(d.file_name(), b"f");
}

#[test]
fn event_names_round_trip() {
    for e in FtpEvent::ALL {
        assert_eq!(FtpEvent::from_name(e.name()), Some(*e));
    }
}

proptest::proptest! {
    #[test]
    fn no_input_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..600), cut in 0usize..600) {
        let mut a = FtpState::new();
        let mut b = FtpState::new();
        let mut bytes = b"PASV\r\n227 (1,2,3,4,5,6)\r\nRETR x\r\n".to_vec();
        bytes.extend(&data);
        let cut = cut.min(bytes.len());
        for d in [Direction::ToServer, Direction::ToClient] {
            a.parse(d, &bytes[..cut]);
            a.parse(d, &bytes[cut..]);
            b.parse(d, &bytes);
        }
        proptest::prop_assert_eq!(a.txs(), b.txs());
        let _ = (a.take_expectations().count(), a.take_done().len(), a.ftpbounce(Ipv4Addr::LOCALHOST));
    }
}
