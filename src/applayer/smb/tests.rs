use super::*;

use crate::applayer::test_hex as hex;

// ../shared/acceptance/smb-named-pipe-ascii/input.pcap frames 11 and 12
// (TCP payloads, `tshark -x`): SMB1 TREE_CONNECT_ANDX of
// \\127.0.0.1\IPC$ with ASCII strings, and its response (service "IPC").
const SMB1_TREE_REQ: &str = "00000043ff534d427500000000184348000000000000000000000000ffff64060010030004ff0000000c0001001800005c5c3132372e302e302e315c49504324003f3f3f3f3f00";
const SMB1_TREE_RESP: &str = "00000036ff534d427500000000984348000000000000000000000000010864060010030007ff0036000100ffff1f00ffff1f0005004950430000";

// ../shared/acceptance/bug-5162/input.pcap frames 2929-2932: SMB2
// TREE_CONNECT \\192.168.56.102\IPC$ (UTF-16), its response (share type
// pipe, tree 1), CREATE "svcctl" and its response.
const SMB2_TREE_REQ: &str = "00000072fe534d42400001000000000003007f000800000000000000040000000000000000000000000000007100000400140000049e6fe4091f87447619697f966f5e150900000048002a005c005c003100390032002e003100360038002e00350036002e003100300032005c004900500043002400";
const SMB2_TREE_RESP: &str = "00000050fe534d42400001000000000003007f000900000000000000040000000000000000000000010000007100000400140000059b5071f59a55fe47fe8028c3fa5bf9100002003000000000000000ff011f01";
const SMB2_CREATE_REQ: &str = "00000088fe534d42400001000000000005007f000800000000000000050000000000000000000000010000007100000400140000c7426d2f2f7d4f212fa170c1a2abfea1390000000200000000000000000000000000000000000000030000008000000001000000010000004000000078000c000000000000000000730076006300630074006c0007000000";
const SMB2_CREATE_RESP: &str = "00000098fe534d42400001000000000005007f0009000000000000000500000000000000000000000100000071000004001400006a8ff3e4fa3876e4063000dddc37e8be59000000010000000000000000000000000000000000000000000000000000000000000000000000001000000000000000000000000000008000000063006300ad0500000500000001000000050000000000000000000000";

// The DCE/RPC BIND of ../shared/acceptance/dcerpc-issue-7187-01 frame 4.
const DCE_BIND: &str = "05000b03100000007400000001000000d016d016000000000200000000000100aa622b5d0aee954a91aeb064fdb471fc01000000045d888aeb1cc9119fe808002b1048600200000001000100aa622b5d0aee954a91aeb064fdb471fc010000002c1cb76c12984045030000000000000001000000";

fn feed(s: &mut SmbState, msgs: &[(Direction, Vec<u8>)]) {
    for (d, b) in msgs {
        s.parse(*d, b);
    }
}

/// The file id the CREATE response above returns.
fn create_file_id() -> parser::FileId {
    let r = hex(SMB2_CREATE_RESP);
    r[4 + 128..4 + 144].try_into().unwrap()
}

/// An NBSS record holding one SMB2 message.
fn smb2(cmd: u16, response: bool, msg_id: u64, body: &[u8]) -> Vec<u8> {
    let mut m = hex(SMB2_CREATE_REQ)[4..68].to_vec();
    m[12..14].copy_from_slice(&cmd.to_le_bytes());
    m[16] = response as u8;
    m[24..32].copy_from_slice(&msg_id.to_le_bytes());
    m.extend(body);
    let mut r = vec![0, 0, 0, 0];
    let len = m.len() as u32;
    r[1..4].copy_from_slice(&len.to_be_bytes()[1..4]);
    r.extend(m);
    r
}

/// The body of an SMB2 WRITE of `data` at `offset` to `fid`.
fn write_body(fid: parser::FileId, offset: u64, data: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(49u16.to_le_bytes());
    b.extend(0x70u16.to_le_bytes());
    b.extend((data.len() as u32).to_le_bytes());
    b.extend(offset.to_le_bytes());
    b.extend(fid);
    b.extend([0u8; 16]);
    b.extend(data);
    b
}

fn share_session(share_type: u8) -> Vec<(Direction, Vec<u8>)> {
    let mut resp = hex(SMB2_TREE_RESP);
    resp[4 + 66] = share_type;
    vec![
        (Direction::ToServer, hex(SMB2_TREE_REQ)),
        (Direction::ToClient, resp),
        (Direction::ToServer, hex(SMB2_CREATE_REQ)),
        (Direction::ToClient, hex(SMB2_CREATE_RESP)),
    ]
}

#[test]
fn smb1_ascii_tree_connect_is_the_named_pipe() {
    let stream = [hex(SMB1_TREE_REQ), hex(SMB1_TREE_RESP)];
    for cut in 0..=stream[0].len() {
        let mut s = SmbState::new();
        s.parse(Direction::ToServer, &stream[0][..cut]);
        s.parse(Direction::ToServer, &stream[0][cut..]);
        s.parse(Direction::ToClient, &stream[1]);
        let t = &s.txs()[0];
        assert_eq!(t.command.name(), "SMB1_COMMAND_TREE_CONNECT_ANDX");
        // Suricata 7.0.10's EVE: "named_pipe":"\\127.0.0.1\\IPC$" (an
        // SMB1 path loses its first byte), tree 2049.
        assert_eq!(t.named_pipe(), Some(&br"\127.0.0.1\IPC$"[..]), "cut {cut}");
        assert_eq!(t.share(), None);
        assert_eq!((t.status, t.tree_id, t.session_id), (Some(0), 2049, 4096));
        assert!(t.complete());
    }
}

#[test]
fn smb2_tree_connect_and_create_byte_by_byte() {
    let mut s = SmbState::new();
    for (d, b) in share_session(2) {
        for x in &b {
            s.parse(d, std::slice::from_ref(x));
        }
    }
    let t = s.txs();
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].command.name(), "SMB2_COMMAND_TREE_CONNECT");
    assert_eq!(t[0].named_pipe(), Some(&br"\\192.168.56.102\IPC$"[..]));
    assert_eq!(t[0].tree_id, 1);
    assert_eq!(t[0].session_id, 21990299664497);
    assert_eq!(t[1].filename(), Some(&b"svcctl"[..]));
    assert_eq!(s.take_complete().len(), 2);
}

#[test]
fn a_disk_share_is_smb_share_not_named_pipe() {
    let mut s = SmbState::new();
    feed(&mut s, &share_session(1));
    assert_eq!(s.txs()[0].share(), Some(&br"\\192.168.56.102\IPC$"[..]));
    assert_eq!(s.txs()[0].named_pipe(), None);
}

#[test]
fn file_writes_out_of_order_give_the_file_in_order() {
    let fid = create_file_id();
    let mut s = SmbState::new();
    feed(&mut s, &share_session(1));
    let parts: [(u64, &[u8]); 3] = [(6, b"world"), (0, b"hello "), (11, b"!")];
    for (i, (off, data)) in parts.iter().enumerate() {
        let rec = smb2(9, false, 10 + i as u64, &write_body(fid, *off, data));
        // Each record split in two pieces.
        s.parse(Direction::ToServer, &rec[..7]);
        s.parse(Direction::ToServer, &rec[7..]);
        // The WRITE response makes no transaction of its own.
        s.parse(Direction::ToClient, &smb2(9, true, 10 + i as u64, &[17, 0]));
    }
    assert_eq!(s.files().len(), 1);
    let f = &s.files()[0];
    assert_eq!(f.data(), b"hello world!");
    assert_eq!(f.name, b"svcctl");
    assert_eq!(f.dir, Direction::ToServer);
    assert_eq!(f.size, 12);
    let file_txs: Vec<_> = s.txs().iter().filter(|t| t.file.is_some()).collect();
    assert_eq!(file_txs.len(), 1);
    assert_eq!(s.txs().len(), 3);
    // An overlap with other bytes is an event.
    s.parse(
        Direction::ToServer,
        &smb2(9, false, 20, &write_body(fid, 0, b"HELLO")),
    );
    assert!(s.has_event(SmbEvent::FileOverlap));
    assert_eq!(s.files()[0].data(), b"hello world!");
    // CLOSE completes the file transaction.
    let mut close = vec![24, 0, 0, 0, 0, 0, 0, 0];
    close.extend(fid);
    s.parse(Direction::ToServer, &smb2(6, false, 21, &close));
    assert!(s.files()[0].closed);
    assert!(
        s.txs()
            .iter()
            .filter(|t| t.file.is_some())
            .all(|t| t.complete())
    );
}

#[test]
fn a_large_write_is_streamed_and_capped() {
    let fid = create_file_id();
    let data: Vec<u8> = (0..120_000u32).map(|i| (i % 251) as u8).collect();
    let rec = smb2(9, false, 30, &write_body(fid, 0, &data));
    for piece in [1usize, 1000, 65536] {
        let mut s = SmbState::new();
        feed(&mut s, &share_session(1));
        for c in rec.chunks(piece) {
            s.parse(Direction::ToServer, c);
        }
        let f = &s.files()[0];
        assert!(f.data() == &data[..MAX_FILE_DATA], "piece {piece}");
        assert!(f.truncated);
        assert_eq!(f.size, 120_000);
        // The next record parses normally.
        s.parse(Direction::ToServer, &hex(SMB2_TREE_REQ));
        assert_eq!(s.txs().last().unwrap().command, Command::V2(3));
    }
}

#[test]
fn pipe_writes_go_to_dcerpc() {
    let fid = create_file_id();
    let mut s = SmbState::new();
    feed(&mut s, &share_session(2));
    s.parse(
        Direction::ToServer,
        &smb2(9, false, 40, &write_body(fid, 0, &hex(DCE_BIND))),
    );
    assert!(s.files().is_empty());
    let d = s.dcerpc();
    assert_eq!(d.txs().len(), 1);
    assert_eq!(d.interfaces().len(), 2);
    assert_eq!(s.txs().last().unwrap().command.name(), "SMB2_COMMAND_WRITE");
}

#[test]
fn compounded_messages_are_all_parsed() {
    // TREE_CONNECT and CREATE in one record, NextCommand linking them.
    let a = hex(SMB2_TREE_REQ)[4..].to_vec();
    let b = hex(SMB2_CREATE_REQ)[4..].to_vec();
    let mut first = a.clone();
    while !first.len().is_multiple_of(8) {
        first.push(0);
    }
    let next = first.len() as u32;
    first[20..24].copy_from_slice(&next.to_le_bytes());
    let mut m = first;
    m.extend(&b);
    let mut rec = vec![0, 0, (m.len() >> 8) as u8, m.len() as u8];
    rec.extend(m);
    let mut s = SmbState::new();
    s.parse(Direction::ToServer, &rec);
    let cmds: Vec<_> = s.txs().iter().map(|t| t.command).collect();
    assert_eq!(cmds, vec![Command::V2(3), Command::V2(5)]);
    assert_eq!(s.txs()[1].filename(), Some(&b"svcctl"[..]));
}

#[test]
fn wrong_direction_and_garbage_raise_events() {
    let mut s = SmbState::new();
    s.parse(Direction::ToClient, &hex(SMB2_TREE_REQ));
    assert!(s.has_event(SmbEvent::RequestToClient));
    s.parse(Direction::ToServer, &hex(SMB2_TREE_RESP));
    assert!(s.has_event(SmbEvent::ResponseToServer));
    let mut s = SmbState::new();
    s.parse(Direction::ToServer, &hex("00000004 41424344"));
    assert!(s.has_event(SmbEvent::MalformedData));
    assert_eq!(s.stats().malformed, 1);
    // A huge record that is not file data is skipped, then parsing goes on.
    let mut s = SmbState::new();
    let mut big = vec![0u8, 1, 0xff, 0xff];
    big.extend(&hex(SMB2_TREE_REQ)[4..]);
    big.resize(4 + 0x1ffff, 0);
    s.parse(Direction::ToServer, &big);
    assert!(s.has_event(SmbEvent::RecordOverflow));
    s.parse(Direction::ToServer, &hex(SMB2_TREE_REQ));
    assert_eq!(s.txs().len(), 1);
}

#[test]
fn every_truncation_is_incomplete_not_wrong() {
    for m in [SMB1_TREE_REQ, SMB2_TREE_REQ, SMB2_CREATE_REQ] {
        let b = hex(m);
        for n in 0..b.len() {
            let mut s = SmbState::new();
            s.parse(Direction::ToServer, &b[..n]);
            assert!(s.txs().is_empty() && s.events.is_empty(), "{m} cut {n}");
        }
        // The same bytes with the NBSS length cut: parsed, no panic.
        let mut b = hex(m);
        for cut in 0..b.len().saturating_sub(4) {
            b[3] = cut as u8;
            let mut s = SmbState::new();
            s.parse(Direction::ToServer, &b[..4 + cut]);
        }
    }
}

#[test]
fn transactions_are_bounded() {
    let mut s = SmbState::new();
    for i in 0..MAX_TXS as u64 + 3 {
        s.parse(Direction::ToServer, &smb2(0x0d, false, i, &[4, 0, 0, 0]));
    }
    assert_eq!(s.txs().len(), MAX_TXS);
    assert_eq!(s.stats().dropped_txs, 3);
    assert!(s.has_event(SmbEvent::TooManyTransactions));
}

#[test]
fn event_names_round_trip() {
    for e in SmbEvent::ALL {
        assert_eq!(SmbEvent::from_name(e.name()), Some(*e));
    }
    assert_eq!(SmbEvent::ALL.len(), 20);
}

proptest::proptest! {
    #[test]
    fn no_input_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..600), cut in 0usize..600, v1 in proptest::bool::ANY) {
        let mut s = SmbState::new();
        let cut = cut.min(data.len());
        s.parse(Direction::ToServer, &data[..cut]);
        s.parse(Direction::ToClient, &data[cut..]);
        // A valid record header and SMB magic, random rest.
        let mut s = SmbState::new();
        feed(&mut s, &share_session(1));
        let magic: &[u8] = if v1 { b"\xffSMB" } else { b"\xfeSMB" };
        let len = magic.len() + data.len();
        let mut rec = vec![0, (len >> 16) as u8 & 1, (len >> 8) as u8, len as u8];
        rec.extend(magic);
        rec.extend(&data);
        s.parse(Direction::ToServer, &rec[..cut.min(rec.len())]);
        s.parse(Direction::ToServer, &rec[cut.min(rec.len())..]);
        s.parse(Direction::ToClient, &rec);
    }
}

/// An NBSS record with one SMB1 message: the header of SMB1_TREE_REQ
/// (ASCII, tid 2049 once connected) with `cmd`, reply flag, status, then
/// `words` and `bytes`.
fn smb1(cmd: u8, reply: bool, mid: u16, words: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut m = hex(SMB1_TREE_REQ)[4..36].to_vec();
    m[4] = cmd;
    m[9] = if reply { 0x98 } else { 0x18 };
    m[24..26].copy_from_slice(&2049u16.to_le_bytes());
    m[30..32].copy_from_slice(&mid.to_le_bytes());
    m.push((words.len() / 2) as u8);
    m.extend(words);
    m.extend((bytes.len() as u16).to_le_bytes());
    m.extend(bytes);
    let mut r = vec![0, 0, (m.len() >> 8) as u8, m.len() as u8];
    r.extend(m);
    r
}

/// SMB1 TREE_CONNECT to `\\127.0.0.1\IPC$` (or a disk share) and an
/// NT_CREATE_ANDX of `name` answered with fid 0x4005.
fn smb1_open(ipc: bool, name: &[u8]) -> Vec<(Direction, Vec<u8>)> {
    let mut tree_resp = hex(SMB1_TREE_RESP);
    if !ipc {
        // Service "A:" instead of "IPC".
        let at = tree_resp.len() - 5;
        tree_resp[at..at + 4].copy_from_slice(b"A:\0\0");
    }
    let mut words = vec![0xff, 0, 0, 0, 0];
    words.extend((name.len() as u16).to_le_bytes());
    words.resize(48, 0);
    let mut resp_words = vec![0xff, 0, 0, 0, 0];
    resp_words.extend(0x4005u16.to_le_bytes());
    resp_words.resize(68, 0);
    vec![
        (Direction::ToServer, hex(SMB1_TREE_REQ)),
        (Direction::ToClient, tree_resp),
        (Direction::ToServer, smb1(0xa2, false, 7, &words, name)),
        (Direction::ToClient, smb1(0xa2, true, 7, &resp_words, &[])),
    ]
}

#[test]
fn smb1_trans_on_a_pipe_carries_dcerpc() {
    let mut s = SmbState::new();
    feed(&mut s, &smb1_open(true, b"\\srvsvc\0"));
    assert_eq!(s.txs()[1].filename(), Some(&b"\\srvsvc"[..]));
    let dce = hex(DCE_BIND);
    // TransactNmPipe: data after the words (32 bytes), byte count and
    // the 8 bytes "\PIPE\" + padding: at 32 + 1 + 32 + 2 + 8 = 75.
    let mut w = vec![0u8; 32];
    w[2..4].copy_from_slice(&(dce.len() as u16).to_le_bytes());
    w[22..24].copy_from_slice(&(dce.len() as u16).to_le_bytes());
    w[24..26].copy_from_slice(&75u16.to_le_bytes());
    w[26] = 2;
    w[28..30].copy_from_slice(&0x26u16.to_le_bytes());
    w[30..32].copy_from_slice(&0x4005u16.to_le_bytes());
    let mut bytes = b"\\PIPE\\\0\0".to_vec();
    bytes.extend(&dce);
    let rec = smb1(0x25, false, 8, &w, &bytes);
    for b in &rec {
        s.parse(Direction::ToServer, std::slice::from_ref(b));
    }
    assert_eq!(s.dcerpc().txs().len(), 1);
    assert_eq!(s.dcerpc().interfaces().len(), 2);
    assert!(s.files().is_empty());
}

#[test]
fn smb1_read_andx_of_a_file_is_file_data() {
    let mut s = SmbState::new();
    feed(&mut s, &smb1_open(false, b"\\eicar\0"));
    assert_eq!(s.txs()[0].share(), Some(&br"\127.0.0.1\IPC$"[..]));
    for (mid, off, data) in [(9u16, 5u32, &b"world"[..]), (10, 0, &b"hello"[..])] {
        // READ_ANDX request: fid, offset.
        let mut w = vec![0xff, 0, 0, 0];
        w.extend(0x4005u16.to_le_bytes());
        w.extend(off.to_le_bytes());
        w.resize(24, 0);
        s.parse(Direction::ToServer, &smb1(0x2e, false, mid, &w, &[]));
        // Response: data length at words 10, offset at 12 (32 + 1 + 24 + 2 = 59).
        let mut rw = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        rw.extend((data.len() as u16).to_le_bytes());
        rw.extend(59u16.to_le_bytes());
        rw.resize(24, 0);
        s.parse(Direction::ToClient, &smb1(0x2e, true, mid, &rw, data));
    }
    let f = &s.files()[0];
    assert_eq!(f.data(), b"helloworld");
    assert_eq!(f.name, b"\\eicar");
    assert_eq!(f.dir, Direction::ToClient);
    // READ makes no transaction of its own: tree, create, the file.
    assert_eq!(s.txs().len(), 3);
}

// After a sequence gap, as Suricata 7.0.10's `search_smb_record` and its
// caller in `parse_tcp_data_ts` find the next record.

#[test]
fn record_after_gap_finds_the_nbss_header_before_the_marker() {
    let rec = b"\x00\x00\x00\x10\xffSMBrest".to_vec();
    assert_eq!(record_after_gap(&rec), Some(0));
    let mut junk = b"abc".to_vec();
    junk.extend(&rec);
    assert_eq!(record_after_gap(&junk), Some(3));
    // An NBSS type other than a session message 4 bytes before: passed over.
    assert_eq!(record_after_gap(b"\x85\x00\x00\x10\xfeSMB...."), None);
    // "SMB" right at the start of what is searched ends the search, as
    // Suricata's `smb_basic_search` answers 0 for it.
    assert_eq!(record_after_gap(b"SMB\x00\x00\x00\x10\xfeSMB"), None);
    // A marker with no room for its NBSS header is skipped, the search
    // goes on 4 bytes after it.
    let mut two = b"\xffSMBxxxx".to_vec();
    two.extend(b"\x00\x00\x00\x10\xfeSMB");
    assert_eq!(record_after_gap(&two), Some(8));
    assert_eq!(record_after_gap(b"\xfd"), None);
}

#[test]
fn after_a_gap_parsing_resumes_at_the_next_record() {
    let req = hex(SMB1_TREE_REQ);
    // The end of a record whose start was lost, then a whole record: in
    // one piece, or with the next record's NBSS header cut after 2 bytes
    // (the last 3 bytes searched are kept for the next search).
    let junk = b"\x01\x02lost record tail\xffSM".to_vec();
    let whole = [junk.as_slice(), &req].concat();
    let cut = junk.len() + 2;
    for pieces in [vec![&whole[..]], vec![&whole[..cut], &whole[cut..]]] {
        let mut s = SmbState::new();
        // Half a record, then the gap: the half is dropped.
        s.parse(Direction::ToServer, &req[..20]);
        s.gap(Direction::ToServer, 100);
        for p in &pieces {
            s.parse(Direction::ToServer, p);
        }
        s.parse(Direction::ToClient, &hex(SMB1_TREE_RESP));
        assert_eq!(s.stats().gaps, 1);
        assert_eq!(s.txs().len(), 1, "{} pieces", pieces.len());
        let t = &s.txs()[0];
        assert_eq!(t.named_pipe(), Some(&br"\127.0.0.1\IPC$"[..]));
        assert!(t.complete());
    }
}

#[test]
fn after_a_failed_search_the_next_waits_for_8_bytes() {
    // Byte by byte after a gap, a record is only found if its NBSS header
    // is still among the bytes searched: Suricata searches the 3 bytes it
    // kept plus at least 5 new ones, so this record's header (its first 4
    // bytes) is consumed before its marker is seen and the record is lost,
    // while the next one, arriving whole, is parsed.
    let req = hex(SMB1_TREE_REQ);
    let mut s = SmbState::new();
    s.gap(Direction::ToServer, 10);
    for b in b"junk".iter().chain(&req) {
        s.parse(Direction::ToServer, std::slice::from_ref(b));
    }
    assert!(s.txs().is_empty());
    s.parse(Direction::ToServer, &req);
    assert_eq!(s.txs().len(), 1);
}

#[test]
fn a_gap_inside_a_skipped_record_keeps_the_record_boundary() {
    let req = hex(SMB1_TREE_REQ);
    let mut s = SmbState::new();
    // A record larger than the parser keeps: its head is parsed, its body
    // skipped (Suricata's `handle_skip`).
    let big = 100_000usize;
    let mut head = vec![0x00, (big >> 16) as u8, (big >> 8) as u8, big as u8];
    head.extend(b"\xffSMB");
    head.resize(4 + RECORD_HEAD, 0);
    s.parse(Direction::ToServer, &head);
    // The gap falls inside the skipped body and is taken from it; what is
    // left of the body is skipped, not searched (a record-like pattern in
    // it is not parsed), and the next record is.
    s.gap(Direction::ToServer, 1000);
    let mut rest = vec![0x41; big - RECORD_HEAD - 1000];
    rest[100..109].copy_from_slice(b"\x00\x00\x00\x05\xffSMB\x00");
    s.parse(Direction::ToServer, &rest);
    s.parse(Direction::ToServer, &req);
    s.parse(Direction::ToClient, &hex(SMB1_TREE_RESP));
    assert_eq!(s.stats().malformed, 0);
    assert_eq!(s.txs().len(), 1);
    assert_eq!(s.txs()[0].named_pipe(), Some(&br"\127.0.0.1\IPC$"[..]));
}
