//! Which EVE event types are written (`[eve] types` in the config,
//! `--eve-types` on the command line) and the bodies of the transaction
//! events (`event_type` `http`, `dns`, `tls`, `ssh`) of one transaction.
//!
//! Transaction events are opt-in, as in Suricata's `eve-log.types`: the
//! default is alerts only, and with no transaction type enabled the
//! detection workers build nothing (no check runs per packet; the
//! application layer is asked for due transactions only when a type is
//! on). When enabled, one transaction makes at most one event (DNS: one
//! per question of a request, one per response), each built once when the
//! transaction is logged, so the cost is bounded by the transactions the
//! parsers keep (see `docs/eve.md`).

use std::str::FromStr;

use crate::applayer::AppProto;
use crate::detect::Tx;
use crate::detect::keywords::app::AppBuf;
use crate::detect::keywords::buffers::BufferKind;
use crate::output::eve_app::{
    DnsFormats, EveHttp, EveTls, TxBody, dns_answer_event, dns_query_events, tls_event_due,
};
use crate::output::eve_ssh::EveSsh;

/// The EVE event types vxtap writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EveTypes {
    /// `alert`.
    pub alert: bool,
    /// `http`: one event per HTTP transaction.
    pub http: bool,
    /// `dns`: one per question of a request, one per response.
    pub dns: bool,
    /// `tls`: one per TLS session, when the handshake is done.
    pub tls: bool,
    /// `ssh`: one per SSH session, when both banners are known.
    pub ssh: bool,
}

impl Default for EveTypes {
    /// Alerts only (Suricata's transaction events are opt-in here).
    fn default() -> Self {
        EveTypes {
            alert: true,
            http: false,
            dns: false,
            tls: false,
            ssh: false,
        }
    }
}

/// An event type vxtap does not write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown EVE event type `{0}`: vxtap writes {names}", names = EveTypes::NAMES.join(", "))]
pub struct UnknownEveType(pub String);

impl EveTypes {
    /// The names accepted, in the order Suricata's stock config lists them.
    pub const NAMES: [&'static str; 5] = ["alert", "http", "dns", "tls", "ssh"];

    /// No type at all.
    pub const NONE: EveTypes = EveTypes {
        alert: false,
        http: false,
        dns: false,
        tls: false,
        ssh: false,
    };

    /// The types named in `names` (each one of [`NAMES`](Self::NAMES);
    /// repeats allowed).
    pub fn from_names<S: AsRef<str>>(
        names: impl IntoIterator<Item = S>,
    ) -> Result<Self, UnknownEveType> {
        let mut t = EveTypes::NONE;
        for n in names {
            let n = n.as_ref().trim();
            match n {
                "alert" => t.alert = true,
                "http" => t.http = true,
                "dns" => t.dns = true,
                "tls" => t.tls = true,
                "ssh" => t.ssh = true,
                _ => return Err(UnknownEveType(n.to_owned())),
            }
        }
        Ok(t)
    }

    /// Whether any transaction event type is on.
    pub fn any_tx(&self) -> bool {
        self.http || self.dns || self.tls || self.ssh
    }

    /// Whether transactions of `p` are logged.
    pub fn logs(&self, p: AppProto) -> bool {
        match p {
            AppProto::Http => self.http,
            AppProto::Dns => self.dns,
            AppProto::Tls => self.tls,
            AppProto::Ssh => self.ssh,
            _ => false,
        }
    }
}

impl FromStr for EveTypes {
    type Err = UnknownEveType;

    /// A comma-separated list: `alert,http,dns`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EveTypes::from_names(s.split(',').filter(|n| !n.trim().is_empty()))
    }
}

/// The fingerprints Suricata computes (and so writes in EVE) only when
/// enabled: with its stock `ja3-fingerprints: auto` and `hassh` unset,
/// when a loaded rule uses a JA3 / HASSH keyword.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fingerprints {
    /// JA3/JA3S in `tls` objects.
    pub ja3: bool,
    /// HASSH in `ssh` objects (and, as in Suricata, the SSH session is
    /// then followed up to its key exchange before it is logged).
    pub hassh: bool,
}

impl Fingerprints {
    /// What the buffers of a rule set enable.
    pub fn of_buffers<'a>(kinds: impl IntoIterator<Item = &'a BufferKind>) -> Self {
        let mut f = Fingerprints::default();
        for k in kinds {
            match k {
                BufferKind::App(
                    AppBuf::Ja3Hash | AppBuf::Ja3String | AppBuf::Ja3sHash | AppBuf::Ja3sString,
                ) => f.ja3 = true,
                BufferKind::App(
                    AppBuf::SshHassh
                    | AppBuf::SshHasshString
                    | AppBuf::SshHasshServer
                    | AppBuf::SshHasshServerString,
                ) => f.hassh = true,
                _ => {}
            }
        }
        f
    }
}

/// What the detection workers log: the enabled types and fingerprints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TxLogging {
    /// Enabled types.
    pub types: EveTypes,
    /// Enabled fingerprints.
    pub fp: Fingerprints,
}

impl TxLogging {
    /// Whether transactions of `p` are logged.
    #[inline]
    pub fn logs(&self, p: AppProto) -> bool {
        self.types.logs(p)
    }
}

/// Appends the event bodies of transaction `tx` (Suricata's id `tx_id`)
/// to `out`: HTTP one, DNS one per question of a request or one for a
/// response, TLS one when Suricata writes one for the session
/// ([`tls_event_due`]), SSH one once a banner is known.
pub fn tx_bodies(tx: Tx<'_>, tx_id: u64, fp: Fingerprints, out: &mut Vec<TxBody>) {
    match tx {
        Tx::Http(t) => out.push(TxBody::Http {
            tx_id,
            http: EveHttp::from_tx(t),
        }),
        Tx::Dns(t) => {
            out.extend(dns_query_events(t, tx_id).into_iter().map(TxBody::DnsQuery));
            out.extend(dns_answer_event(t, DnsFormats::ALL).map(TxBody::DnsAnswer));
        }
        Tx::Tls(t) => {
            if tls_event_due(t) {
                out.push(TxBody::Tls(EveTls::from_state(t, fp.ja3)));
            }
        }
        Tx::Ssh(t) => {
            if let Some(ssh) = EveSsh::from_state(t, fp.hassh) {
                out.push(TxBody::Ssh { tx_id, ssh });
            }
        }
        // No `krb5` transaction events yet (not among the opt-in types).
        Tx::Krb5(_) => {}
        // `smb`, `dcerpc`, `ftp` and `ftp_data` transaction events are not
        // written yet.
        Tx::Smb(..) | Tx::Dcerpc(..) | Tx::Ftp { .. } | Tx::FtpData(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_and_reject_unknown_names() {
        let t: EveTypes = "alert,http, dns".parse().unwrap();
        assert!(t.alert && t.http && t.dns && !t.tls && !t.ssh);
        assert!(t.any_tx());
        assert!(!EveTypes::default().any_tx());
        assert_eq!(
            "alert,flow".parse::<EveTypes>().unwrap_err(),
            UnknownEveType("flow".into())
        );
        assert_eq!("".parse::<EveTypes>().unwrap(), EveTypes::NONE);
        let msg = UnknownEveType("x".into()).to_string();
        assert!(msg.contains("alert, http, dns, tls, ssh"), "{msg}");
    }

    #[test]
    fn fingerprints_follow_the_rules_buffers() {
        let ja3 = [BufferKind::Payload, BufferKind::App(AppBuf::Ja3sHash)];
        assert_eq!(
            Fingerprints::of_buffers(&ja3),
            Fingerprints {
                ja3: true,
                hassh: false
            }
        );
        let hassh = [BufferKind::App(AppBuf::SshHasshServerString)];
        assert!(Fingerprints::of_buffers(&hassh).hassh);
        assert_eq!(
            Fingerprints::of_buffers(&[BufferKind::Payload]),
            Fingerprints::default()
        );
    }
}
