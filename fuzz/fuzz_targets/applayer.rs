//! Fuzzes the application layer: the first byte picks the parser (probe,
//! DNS over UDP/TCP, HTTP, TLS, SSH, FTP, Kerberos, DCE/RPC, SMB) and the
//! second a split point; the rest is fed as both directions' bytes, whole
//! and split in two pieces. Nothing may panic, and a split must give what
//! the whole gives (DNS over TCP, SSH, FTP, Kerberos, DCE/RPC, SMB; HTTP
//! and TLS are checked the same way in their unit tests).
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run applayer -- -max_total_time=600`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vxtap::applayer::dcerpc::{Carrier, DcerpcState};
use vxtap::applayer::dns::DnsState;
use vxtap::applayer::ftp::FtpState;
use vxtap::applayer::http::{HttpConfig, HttpState};
use vxtap::applayer::krb5::Krb5State;
use vxtap::applayer::smb::SmbState;
use vxtap::applayer::ssh::SshState;
use vxtap::applayer::tls::TlsState;
use vxtap::applayer::{Direction, Prober, Transport};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (which, cut, body) = (data[0], data[1] as usize, &data[2..]);
    let cut = cut.min(body.len());
    let (a, b) = body.split_at(cut);
    match which % 9 {
        0 => {
            for t in [Transport::Tcp, Transport::Udp] {
                let mut p = Prober::new(t, u16::from(which) * 7, 40000);
                p.feed(Direction::ToServer, a);
                p.feed(Direction::ToServer, body);
                p.feed(Direction::ToClient, b);
            }
        }
        1 => {
            let mut whole = DnsState::new(Transport::Tcp);
            whole.parse(Direction::ToServer, body);
            let mut split = DnsState::new(Transport::Tcp);
            split.parse(Direction::ToServer, a);
            split.parse(Direction::ToServer, b);
            assert_eq!(whole.txs(), split.txs());
            let mut udp = DnsState::new(Transport::Udp);
            udp.parse(Direction::ToClient, body);
        }
        2 => {
            let mut s = HttpState::new(HttpConfig::default());
            s.parse(Direction::ToServer, a);
            s.parse(Direction::ToClient, b);
            s.parse(Direction::ToServer, b);
            s.close();
            let _ = s.txs().map(|t| (t.host(), t.header_buffer(Direction::ToServer))).count();
        }
        3 => {
            let mut whole = SshState::new();
            whole.parse(Direction::ToServer, body);
            let mut split = SshState::new();
            split.parse(Direction::ToServer, a);
            split.parse(Direction::ToServer, b);
            assert_eq!(whole.hassh(), split.hassh());
            assert_eq!(whole.events, split.events);
            split.parse(Direction::ToClient, body);
        }
        4 => {
            let mut whole = FtpState::new();
            whole.parse(Direction::ToServer, body);
            let mut split = FtpState::new();
            split.parse(Direction::ToServer, a);
            split.parse(Direction::ToServer, b);
            assert_eq!(whole.txs(), split.txs());
            split.parse(Direction::ToClient, body);
            let _ = (split.take_expectations().count(), split.take_done().len());
        }
        5 => {
            let mut whole = Krb5State::new(Transport::Tcp);
            whole.parse(Direction::ToClient, body);
            let mut split = Krb5State::new(Transport::Tcp);
            split.parse(Direction::ToClient, a);
            split.parse(Direction::ToClient, b);
            assert_eq!(whole.txs(), split.txs());
            let mut udp = Krb5State::new(Transport::Udp);
            udp.parse(Direction::ToServer, body);
        }
        6 => {
            for carrier in [Carrier::Tcp, Carrier::Smb] {
                let mut whole = DcerpcState::new(carrier);
                whole.parse(Direction::ToServer, body);
                let mut split = DcerpcState::new(carrier);
                split.parse(Direction::ToServer, a);
                split.parse(Direction::ToServer, b);
                assert_eq!(whole.txs(), split.txs());
                split.parse(Direction::ToClient, body);
            }
        }
        7 => {
            let mut whole = SmbState::new();
            whole.parse(Direction::ToServer, body);
            let mut split = SmbState::new();
            split.parse(Direction::ToServer, a);
            split.parse(Direction::ToServer, b);
            assert_eq!(whole.txs(), split.txs());
            assert_eq!(whole.files(), split.files());
            split.parse(Direction::ToClient, body);
            split.close();
        }
        _ => {
            let mut s = TlsState::new();
            s.parse(Direction::ToServer, a);
            s.parse(Direction::ToClient, b);
            let _ = (s.ja3_hash(), s.ja3s_hash(), s.leaf());
        }
    }
});
