//! Application layer: protocol detection and the parsers that turn the
//! reassembled bytes of a flow into transactions the detection engine
//! inspects (`http.uri`, `dns.query`, `tls.sni`, …).
//!
//! Every parser follows one shape, after Suricata's `rust/src/<proto>/`:
//!
//! * a pure `parser` (bytes → messages, no state, no I/O) that tells an
//!   *incomplete* message from a *malformed* one;
//! * a `State` per flow that is fed the bytes of each direction in whatever
//!   pieces the stream delivers them (a message split anywhere parses the
//!   same as whole), keeps a bounded buffer of the unfinished message, and
//!   produces transactions;
//! * every anomaly becomes an event named as Suricata's `app-layer-event:`
//!   keyword (`dns.z_flag_set`, `http.…`, `tls.…`) and is counted; nothing
//!   panics on any input and every buffer has a cap.
//!
//! What the pipeline calls and in which order is in `docs/applayer.md`.

/// Defines a protocol's event enum (bit order = declaration order) with
/// `ALL`, `name()` (the part after `<proto>.` in `app-layer-event:`) and
/// `from_name()`, so every parser names its events the same way. Defined
/// before the parser modules so they see it without an import.
macro_rules! app_events {
    ($(#[$edoc:meta])* $enum:ident { $($(#[$doc:meta])* $v:ident => $name:literal,)* }) => {
        $(#[$edoc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum $enum { $($(#[$doc])* $v,)* }

        impl $enum {
            /// Every event, in bit order.
            pub const ALL: &'static [$enum] = &[$($enum::$v,)*];

            /// The name after `<proto>.` in `app-layer-event:`.
            pub fn name(self) -> &'static str {
                match self { $($enum::$v => $name,)* }
            }

            /// The event a rule names.
            pub fn from_name(name: &str) -> Option<$enum> {
                match name { $($name => Some($enum::$v),)* _ => None }
            }
        }
    };
}

pub mod dcerpc;
pub mod dns;
pub mod ftp;
pub mod http;
pub mod krb5;
pub mod probe;
pub mod smb;
pub mod ssh;
pub mod tls;

pub use probe::{AppProto, Prober, Transport};

/// Which way bytes travel, relative to the side that opened the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client → server (Suricata's `STREAM_TOSERVER`).
    ToServer,
    /// Server → client (`STREAM_TOCLIENT`).
    ToClient,
}

impl Direction {
    /// 0 for to-server, 1 for to-client (index into per-direction arrays).
    #[inline]
    pub fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }

    /// The other direction.
    #[inline]
    pub fn flip(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
}

/// A set of app-layer events of one protocol, as a bit set over that
/// protocol's event enum (`E::ALL` lists them in bit order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct EventSet(pub u64);

impl EventSet {
    /// Adds event bit `bit`.
    #[inline]
    pub fn set(&mut self, bit: u32) {
        self.0 |= 1u64 << bit;
    }

    /// Whether event bit `bit` is present.
    #[inline]
    pub fn has(&self, bit: u32) -> bool {
        self.0 & (1u64 << bit) != 0
    }

    /// Whether no event is present.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The bits present, lowest first.
    pub fn bits(&self) -> impl Iterator<Item = u32> + '_ {
        (0..64).filter(move |b| self.has(*b))
    }
}

/// Lower-case hex of the MD5 of `data` (JA3, HASSH).
pub(crate) fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    let mut out = String::with_capacity(32);
    for b in Md5::digest(data) {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// Hex text (whitespace ignored) to bytes, for the parsers' test vectors.
#[cfg(test)]
pub(crate) fn test_hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
        .collect()
}
