//! What detection reads from the application layer: one transaction of a
//! flow's parser at a time ([`Tx`]), inspected in the direction of the
//! packet that carries the inspection, as Suricata's `DetectRunTx` does.
//!
//! A rule whose conditions read a transaction (an application-layer buffer
//! such as `http.uri`, or a condition such as `urilen`, `ssl_state`,
//! `app-layer-event`) is a *transaction rule*: it is evaluated only on
//! transactions, never on a packet or stream chunk, and alerts at most once
//! per transaction (the caller keeps which rules matched which
//! transaction, and re-inspects a transaction when [`Tx::stamp`] grows).

use crate::applayer::dcerpc::{DcerpcState, DcerpcTx};
use crate::applayer::dns::DnsTx;
use crate::applayer::ftp::{FtpDataState, FtpTx};
use crate::applayer::http::HttpTx;
use crate::applayer::http::Progress;
use crate::applayer::krb5::Krb5Tx;
use crate::applayer::smb::{SmbState, SmbTx};
use crate::applayer::ssh::SshState;
use crate::applayer::tls::TlsState;
pub use crate::applayer::{AppProto, Direction};

/// One transaction of a flow's application-layer state.
#[derive(Debug, Clone, Copy)]
pub enum Tx<'a> {
    /// An HTTP/1.x request and its response.
    Http(&'a HttpTx),
    /// One DNS message.
    Dns(&'a DnsTx),
    /// The TLS session (one per flow, as in Suricata).
    Tls(&'a TlsState),
    /// The SSH session (one per flow).
    Ssh(&'a SshState),
    /// One Kerberos message (request, reply or error), inspected in the
    /// direction it travelled.
    Krb5(&'a Krb5Tx),
    /// An SMB transaction, with its flow's state (the file a file
    /// transaction carries).
    Smb(&'a SmbState, &'a SmbTx),
    /// A DCE/RPC call or bind, with the state that knows which interfaces
    /// the server accepted: DCE/RPC over TCP, or over an SMB flow's named
    /// pipes (as Suricata, `dce_*` keywords read both).
    Dcerpc(&'a DcerpcState, &'a DcerpcTx),
    /// One FTP command and its replies.
    Ftp {
        /// The transaction.
        tx: &'a FtpTx,
        /// `ftpbounce` holds for the control state now (the last command
        /// was a PORT naming a host other than the client).
        bounce: bool,
    },
    /// The file of an `ftp-data` flow (one transaction per flow).
    FtpData(&'a FtpDataState),
}

impl Tx<'_> {
    /// The protocol of the parser that made it.
    pub fn proto(&self) -> AppProto {
        match self {
            Tx::Http(_) => AppProto::Http,
            Tx::Dns(_) => AppProto::Dns,
            Tx::Tls(_) => AppProto::Tls,
            Tx::Ssh(_) => AppProto::Ssh,
            Tx::Krb5(_) => AppProto::Krb5,
            Tx::Smb(..) => AppProto::Smb,
            Tx::Dcerpc(..) => AppProto::Dcerpc,
            Tx::Ftp { .. } => AppProto::Ftp,
            Tx::FtpData(_) => AppProto::FtpData,
        }
    }

    /// A value that grows whenever what direction `dir` holds in this
    /// transaction grows (progress, body bytes, records): an unchanged
    /// stamp needs no new inspection.
    pub fn stamp(&self, dir: Direction) -> u64 {
        match self {
            Tx::Http(t) => {
                let (p, body) = match dir {
                    Direction::ToServer => (t.request_progress, t.request_body.len()),
                    Direction::ToClient => (t.response_progress, t.response_body.len()),
                };
                ((p as u64) << 40) | body as u64
            }
            // A message is whole when parsed.
            Tx::Dns(t) => u64::from(t.dir == dir),
            // Records of the direction, and the session's events: Suricata
            // inspects its single TLS transaction on every packet, so an
            // event raised while parsing one side is seen by the next
            // packet of each direction.
            Tx::Tls(t) => (t.events.0 << 32) ^ t.records(dir),
            // Banners are not records: count them too, for both sides (a
            // session's banners and key exchanges grow independently).
            Tx::Ssh(t) => [Direction::ToServer, Direction::ToClient]
                .iter()
                .map(|&d| 2 * t.records(d) + u64::from(t.proto(d).is_some()))
                .sum::<u64>(),
            // A message is whole when parsed.
            Tx::Krb5(t) => u64::from(t.dir == dir),
            // Progress of both sides, the status, events raised, and the
            // bytes of the file this transaction carries in `dir`.
            Tx::Smb(s, t) => {
                let file = t
                    .file
                    .and_then(|i| s.files().get(i))
                    .filter(|f| f.dir == dir)
                    .map_or(0, |f| ((f.data().len() as u64) << 1) | u64::from(f.closed));
                (file << 32)
                    | ((t.events.0 & 0xff_ffff) << 8)
                    | (u64::from(t.is_pipe.is_some()) << 3)
                    | (u64::from(t.status.is_some()) << 2)
                    | (u64::from(t.response_done) << 1)
                    | u64::from(t.request_done)
            }
            // Fragments of both sides (stubs grow with them) and
            // completion.
            Tx::Dcerpc(_, t) => {
                ((u64::from(t.frag_cnt[0]) + u64::from(t.frag_cnt[1])) << 3)
                    | (u64::from(t.request_seen) << 2)
                    | (u64::from(t.resp_done) << 1)
                    | u64::from(t.req_done)
            }
            // The request is whole when parsed; replies grow until the
            // final one.
            Tx::Ftp { tx, .. } => match dir {
                Direction::ToServer => u64::from(!tx.request.is_empty()),
                Direction::ToClient => ((tx.replies.len() as u64) << 1) | u64::from(tx.done),
            },
            // The file grows and completes in its own direction only.
            Tx::FtpData(d) if d.direction() == dir => (d.size() << 1) | u64::from(d.closed()),
            Tx::FtpData(_) => 0,
        }
    }

    /// How far an HTTP side got (`Complete` for other protocols).
    pub fn http_progress(&self, dir: Direction) -> Progress {
        match (self, dir) {
            (Tx::Http(t), Direction::ToServer) => t.request_progress,
            (Tx::Http(t), Direction::ToClient) => t.response_progress,
            _ => Progress::Complete,
        }
    }
}
