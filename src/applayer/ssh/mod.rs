//! SSH: the identification line (banner) of each side, then the binary
//! packets up to NEWKEYS, as Suricata 7 keeps them — one state (one
//! transaction) per flow with a header per direction.
//!
//! * Banner: the first line of each direction, ended by LF, CR LF or a
//!   lone CR, must be `SSH-<proto>-<software>[ comments]`; it gives
//!   `ssh.proto` and `ssh.software`. A line of [`MAX_BANNER_LEN`] bytes or
//!   more raises `long_banner`; once [`MAX_BANNER_LEN`]+1 bytes are
//!   buffered without an end of line the banner is split from those bytes
//!   and the rest of the line is skipped. Anything else raises
//!   `invalid_banner` and stops the parser for the flow (Suricata's parser
//!   error disables the app layer of the flow).
//! * Packets: 4-byte packet_length, padding length, message code. A length
//!   of 0 or 1 raises `invalid_record` and stops the flow. KEXINIT bodies
//!   are reassembled (under [`MAX_KEXINIT_LEN`], else `long_kex_record`)
//!   and give HASSH / HASSH-server; other packets are skipped without
//!   copying. NEWKEYS ends a direction: what follows is encrypted.
//!
//! Memory per flow: at most [`MAX_BANNER_LEN`]+1 bytes of banner and one
//! KEXINIT under [`MAX_KEXINIT_LEN`] per direction.

pub mod parser;

use super::{Direction, EventSet, md5_hex};
use parser::{RecordError, RecordHeader};

/// A banner line this long or longer raises `long_banner` (Suricata's
/// `SSH_MAX_BANNER_LEN`).
pub const MAX_BANNER_LEN: usize = 256;

/// Largest KEXINIT body reassembled for HASSH (Suricata's
/// `SSH_MAX_REASSEMBLED_RECORD_LEN`).
pub const MAX_KEXINIT_LEN: usize = 65535;

app_events! {
    /// An SSH anomaly, named as Suricata's `ssh-events.rules`.
    SshEvent {
        /// The first line is not `SSH-<proto>-...`.
        InvalidBanner => "invalid_banner",
        /// The banner line is 256 bytes or longer.
        LongBanner => "long_banner",
        /// A binary packet with packet_length 0 or 1.
        InvalidRecord => "invalid_record",
        /// A KEXINIT too long to reassemble for HASSH.
        LongKexRecord => "long_kex_record",
    }
}

/// How far one direction got (Suricata's `SSHConnectionState`, the
/// progress detection waits for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum SshProgress {
    /// Waiting for the banner.
    #[default]
    InProgress,
    /// The banner was split from a line too long to wait for; skipping to
    /// its end.
    BannerWaitEol,
    /// The banner is known; packets follow.
    BannerDone,
    /// NEWKEYS seen: the rest is encrypted.
    Finished,
}

/// One direction: its banner, packet framing and HASSH.
#[derive(Debug, Default)]
struct Side {
    progress: SshProgress,
    /// The banner line so far (at most `MAX_BANNER_LEN + 1` bytes).
    line: Vec<u8>,
    /// Skipping a long banner: the last byte was a CR.
    cr: bool,
    proto: Vec<u8>,
    software: Vec<u8>,
    /// A packet header split across pieces.
    header: Vec<u8>,
    /// Bytes of the current packet still to skip.
    skip: u64,
    /// A KEXINIT body being reassembled, and its full length.
    kex: Vec<u8>,
    kex_len: usize,
    /// Lower-case hex MD5 of `hassh_string`.
    hassh: Vec<u8>,
    hassh_string: Vec<u8>,
    /// Packets seen.
    records: u64,
}

/// The SSH state of one flow.
#[derive(Debug, Default)]
pub struct SshState {
    sides: [Side; 2],
    /// The parser refused the flow (invalid banner or packet): nothing
    /// more is parsed in either direction.
    failed: bool,
    /// Events raised on the flow's (single) transaction.
    pub events: EventSet,
}

fn non_empty(v: &[u8]) -> Option<&[u8]> {
    (!v.is_empty()).then_some(v)
}

impl SshState {
    /// A fresh state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `ev` was raised.
    pub fn has_event(&self, ev: SshEvent) -> bool {
        self.events.has(ev as u32)
    }

    fn event(&mut self, ev: SshEvent) {
        self.events.set(ev as u32);
    }

    /// How far `dir` got.
    pub fn progress(&self, dir: Direction) -> SshProgress {
        self.sides[dir.index()].progress
    }

    /// Both directions reached NEWKEYS, or the parser gave up: nothing
    /// more will change (Suricata then stops inspecting the flow).
    pub fn done(&self) -> bool {
        self.failed
            || self
                .sides
                .iter()
                .all(|s| s.progress == SshProgress::Finished)
    }

    /// Both directions reached NEWKEYS: the rest is encrypted (Suricata
    /// then stops inspecting the flow's payload).
    pub fn encrypted(&self) -> bool {
        !self.failed
            && self
                .sides
                .iter()
                .all(|s| s.progress == SshProgress::Finished)
    }

    /// The parser refused the flow (`invalid_banner`, `invalid_record`).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// `ssh.proto` of `dir` (to server: the client's; EVE
    /// `ssh.client.proto_version` / `ssh.server.proto_version`).
    pub fn proto(&self, dir: Direction) -> Option<&[u8]> {
        non_empty(&self.sides[dir.index()].proto)
    }

    /// `ssh.software` of `dir` (EVE `software_version`).
    pub fn software(&self, dir: Direction) -> Option<&[u8]> {
        non_empty(&self.sides[dir.index()].software)
    }

    /// HASSH of `dir`'s KEXINIT, lower-case hex MD5 (EVE `hassh.hash`):
    /// to server `ssh.hassh`, to client `ssh.hassh.server`.
    pub fn hassh_of(&self, dir: Direction) -> Option<&[u8]> {
        non_empty(&self.sides[dir.index()].hassh)
    }

    /// The string hashed (EVE `hassh.string`): to server
    /// `ssh.hassh.string`, to client `ssh.hassh.server.string`.
    pub fn hassh_string_of(&self, dir: Direction) -> Option<&[u8]> {
        non_empty(&self.sides[dir.index()].hassh_string)
    }

    /// `ssh.hassh`: the client's HASSH.
    pub fn hassh(&self) -> Option<&[u8]> {
        self.hassh_of(Direction::ToServer)
    }

    /// `ssh.hassh.string`: the client's `kex;enc;mac;comp` lists.
    pub fn hassh_string(&self) -> Option<&[u8]> {
        self.hassh_string_of(Direction::ToServer)
    }

    /// `ssh.hassh.server`: the server's HASSH.
    pub fn hassh_server(&self) -> Option<&[u8]> {
        self.hassh_of(Direction::ToClient)
    }

    /// `ssh.hassh.server.string`.
    pub fn hassh_server_string(&self) -> Option<&[u8]> {
        self.hassh_string_of(Direction::ToClient)
    }

    /// Binary packets seen in `dir` (up to NEWKEYS).
    pub fn records(&self, dir: Direction) -> u64 {
        self.sides[dir.index()].records
    }

    /// Parses the next reassembled bytes of one direction.
    pub fn parse(&mut self, dir: Direction, data: &[u8]) {
        if self.failed || data.is_empty() {
            return;
        }
        let rest = match self.sides[dir.index()].progress {
            SshProgress::InProgress => self.banner(dir, data),
            SshProgress::BannerWaitEol => self.skip_line(dir, data),
            SshProgress::BannerDone => Some(data),
            SshProgress::Finished => None,
        };
        if let Some(rest) = rest {
            self.packets(dir, rest);
        }
    }

    /// Collects the banner line; returns the bytes after it once known.
    fn banner<'a>(&mut self, dir: Direction, data: &'a [u8]) -> Option<&'a [u8]> {
        let side = &mut self.sides[dir.index()];
        let old = side.line.len();
        let take = data.len().min(MAX_BANNER_LEN + 1 - old);
        side.line.extend_from_slice(&data[..take]);
        if let Some((end, used)) = parser::find_eol(&side.line) {
            let line = std::mem::take(&mut side.line);
            let ok = self.set_banner(dir, &line[..end]);
            if end >= MAX_BANNER_LEN {
                self.event(SshEvent::LongBanner);
            }
            if !ok {
                return None;
            }
            self.sides[dir.index()].progress = SshProgress::BannerDone;
            // `used` counts bytes of the old buffer too (at least all of it).
            return Some(&data[used - old..]);
        }
        if side.line.len() <= MAX_BANNER_LEN {
            return None;
        }
        // No end of line within the cap: split the banner from what is
        // buffered and skip to the end of the line.
        let line = std::mem::take(&mut side.line);
        side.cr = line.last() == Some(&b'\r');
        if !self.set_banner(dir, &line) {
            return None;
        }
        self.event(SshEvent::LongBanner);
        self.sides[dir.index()].progress = SshProgress::BannerWaitEol;
        self.skip_line(dir, &data[take..])
    }

    /// Records `line`'s parts; an invalid banner stops the flow.
    fn set_banner(&mut self, dir: Direction, line: &[u8]) -> bool {
        match parser::parse_banner(line) {
            Some(b) => {
                let side = &mut self.sides[dir.index()];
                side.proto = b.proto.to_vec();
                side.software = b.software.to_vec();
                true
            }
            None => {
                self.event(SshEvent::InvalidBanner);
                self.failed = true;
                false
            }
        }
    }

    /// Skips the rest of a long banner line.
    fn skip_line<'a>(&mut self, dir: Direction, data: &'a [u8]) -> Option<&'a [u8]> {
        let side = &mut self.sides[dir.index()];
        let mut data = data;
        if side.cr {
            let first = *data.first()?;
            side.cr = false;
            if first == b'\n' {
                data = &data[1..];
            }
            side.progress = SshProgress::BannerDone;
            return Some(data);
        }
        match parser::find_eol(data) {
            Some((_, used)) => {
                side.progress = SshProgress::BannerDone;
                Some(&data[used..])
            }
            None => {
                side.cr = data.last() == Some(&b'\r');
                None
            }
        }
    }

    /// Binary packets until NEWKEYS.
    fn packets(&mut self, dir: Direction, mut data: &[u8]) {
        let d = dir.index();
        while !data.is_empty() && !self.failed {
            let side = &mut self.sides[d];
            if side.progress == SshProgress::Finished {
                return;
            }
            if side.skip > 0 {
                let n = side.skip.min(data.len() as u64);
                side.skip -= n;
                data = &data[n as usize..];
                continue;
            }
            if side.kex_len > 0 {
                let n = (side.kex_len - side.kex.len()).min(data.len());
                side.kex.extend_from_slice(&data[..n]);
                data = &data[n..];
                if side.kex.len() == side.kex_len {
                    let body = std::mem::take(&mut side.kex);
                    side.kex_len = 0;
                    Self::kexinit(side, dir, &body);
                }
                continue;
            }
            // The header: straight from `data` when whole, else buffered.
            let h = if side.header.is_empty() && data.len() >= parser::RECORD_HEADER_LEN {
                let h = parser::record_header(data);
                data = &data[parser::RECORD_HEADER_LEN..];
                h
            } else {
                let n = (parser::RECORD_HEADER_LEN - side.header.len()).min(data.len());
                side.header.extend_from_slice(&data[..n]);
                data = &data[n..];
                if side.header.len() < parser::RECORD_HEADER_LEN {
                    return;
                }
                let h = parser::record_header(&side.header);
                side.header.clear();
                h
            };
            match h {
                Ok(h) => data = self.packet(dir, h, data),
                Err(RecordError::Incomplete) => return,
                Err(RecordError::Invalid) => {
                    self.event(SshEvent::InvalidRecord);
                    self.failed = true;
                }
            }
        }
    }

    /// A packet whose header was just read; `data` follows the header.
    /// Returns what is left of `data`.
    fn packet<'a>(&mut self, dir: Direction, h: RecordHeader, data: &'a [u8]) -> &'a [u8] {
        let side = &mut self.sides[dir.index()];
        side.records += 1;
        let body = h.body_len() as usize;
        match h.msg_code {
            parser::MSG_NEWKEYS => {
                side.progress = SshProgress::Finished;
                &[]
            }
            parser::MSG_KEXINIT if body < MAX_KEXINIT_LEN => {
                if data.len() >= body {
                    Self::kexinit(side, dir, &data[..body]);
                    &data[body..]
                } else {
                    side.kex_len = body;
                    side.kex.extend_from_slice(data);
                    &[]
                }
            }
            code => {
                if code == parser::MSG_KEXINIT {
                    self.event(SshEvent::LongKexRecord);
                }
                let side = &mut self.sides[dir.index()];
                let n = body.min(data.len());
                side.skip = u64::from(h.body_len()) - n as u64;
                &data[n..]
            }
        }
    }

    /// HASSH from a whole KEXINIT body (the first KEXINIT of a direction;
    /// a malformed one gives none, without an event, as in Suricata).
    fn kexinit(side: &mut Side, dir: Direction, body: &[u8]) {
        if !side.hassh.is_empty() {
            return;
        }
        if let Some(k) = parser::parse_kexinit(body) {
            side.hassh_string = parser::hassh_string(&k, dir == Direction::ToClient);
            side.hassh = md5_hex(&side.hassh_string).into_bytes();
        }
    }
}

#[cfg(test)]
mod tests;
