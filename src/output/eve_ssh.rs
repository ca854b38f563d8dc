//! The EVE `ssh` object Suricata 7.0.10 writes in alerts on SSH flows and
//! in `event_type: "ssh"` events (its `rs_ssh_log_json`): `client` and
//! `server`, each with `proto_version`, `software_version` and, when HASSH
//! is enabled, `hassh` {`hash`, `string`}.
//!
//! A side is written only once its banner gave a protocol version; the
//! whole object only when one side did (an alert on a session without
//! either carries no `ssh` key). HASSH is written only when enabled: in
//! Suricata by `app-layer.protocols.ssh.hassh: yes` or, with the stock
//! configuration, by a loaded rule using an `ssh.hassh*` keyword (see
//! [`super::eve_tx::Fingerprints`]).

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::applayer::Direction;
use crate::applayer::ssh::SshState;
use crate::output::eve_app::eve_string;

/// One side's banner and key-exchange fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EveSshSide {
    /// `proto_version` (`2.0`, `1.99`, …).
    pub proto_version: Vec<u8>,
    /// `software_version`, when the banner had one.
    pub software_version: Option<Vec<u8>>,
    /// `hassh` {`hash`, `string`}, when enabled and the side's KEXINIT was
    /// seen.
    pub hassh: Option<(Vec<u8>, Vec<u8>)>,
}

/// The `ssh` object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EveSsh {
    /// The client (to-server banner).
    pub client: Option<EveSshSide>,
    /// The server.
    pub server: Option<EveSshSide>,
}

impl EveSsh {
    /// The object for `state` as it stands (`hassh`: whether HASSH is
    /// enabled), or `None` when neither banner gave a version (Suricata
    /// writes nothing then).
    pub fn from_state(state: &SshState, hassh: bool) -> Option<Self> {
        let side = |d: Direction| {
            state.proto(d).map(|p| EveSshSide {
                proto_version: p.to_vec(),
                software_version: state.software(d).map(<[u8]>::to_vec),
                hassh: if hassh {
                    match (state.hassh_of(d), state.hassh_string_of(d)) {
                        (None, None) => None,
                        (h, s) => Some((
                            h.unwrap_or_default().to_vec(),
                            s.unwrap_or_default().to_vec(),
                        )),
                    }
                } else {
                    None
                },
            })
        };
        let o = EveSsh {
            client: side(Direction::ToServer),
            server: side(Direction::ToClient),
        };
        (o.client.is_some() || o.server.is_some()).then_some(o)
    }
}

struct Str<'a>(&'a [u8]);

impl Serialize for Str<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&eve_string(self.0))
    }
}

struct Hassh<'a>(&'a [u8], &'a [u8]);

impl Serialize for Hassh<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if !self.0.is_empty() {
            m.serialize_entry("hash", &Str(self.0))?;
        }
        if !self.1.is_empty() {
            m.serialize_entry("string", &Str(self.1))?;
        }
        m.end()
    }
}

impl Serialize for EveSshSide {
    /// Suricata's order: proto_version, software_version, hassh.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("proto_version", &Str(&self.proto_version))?;
        if let Some(v) = self.software_version.as_deref().filter(|v| !v.is_empty()) {
            m.serialize_entry("software_version", &Str(v))?;
        }
        if let Some((h, st)) = &self.hassh {
            m.serialize_entry("hassh", &Hassh(h, st))?;
        }
        m.end()
    }
}

impl Serialize for EveSsh {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(c) = &self.client {
            m.serialize_entry("client", c)?;
        }
        if let Some(c) = &self.server {
            m.serialize_entry("server", c)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No object before a banner; a side once its banner is parsed (the
    /// client object as Suricata 7.0.10 wrote it for
    /// `../shared/acceptance/derived-vxlan-aws-mirror`). Whole sessions
    /// are compared with Suricata's events by `tests/eve_tx.rs`.
    #[test]
    fn sides_appear_with_their_banner() {
        let mut s = SshState::new();
        assert_eq!(EveSsh::from_state(&s, true), None);
        s.parse(Direction::ToServer, b"SSH-2.0-OpenSSH_7.9p1\r\n");
        let o = EveSsh::from_state(&s, true).unwrap();
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"client":{"proto_version":"2.0","software_version":"OpenSSH_7.9p1"}}"#
        );
    }
}
