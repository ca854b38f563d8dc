//! `ftp-data`: the file one data connection carries, as Suricata 7's
//! FTP-DATA parser keeps it — one file per flow, in the direction the
//! control command set (bytes the other way are ignored), its name from
//! the RETR/STOR argument. `file.data` / `file_data` inspect
//! [`FtpDataState::file_data`]; `ftpdata_command` inspects
//! [`FtpDataState::command`].

use super::{FtpCommand, FtpExpectation};
use crate::applayer::Direction;

/// File bytes kept for inspection (as HTTP bodies); the rest is counted.
pub const MAX_FILE_DATA: usize = 100 * 1024;

/// The ftp-data state of one flow.
#[derive(Debug, Clone)]
pub struct FtpDataState {
    command: FtpCommand,
    direction: Direction,
    file_name: Vec<u8>,
    data: Vec<u8>,
    /// Bytes of the file seen (kept or not).
    size: u64,
    /// Bytes that came the other way (ignored).
    wrong_direction: u64,
    closed: bool,
}

impl FtpDataState {
    /// The state of a flow that matched `exp`.
    pub fn new(exp: &FtpExpectation) -> Self {
        FtpDataState {
            command: exp.command,
            direction: exp.direction,
            file_name: exp.file_name.clone(),
            data: Vec::new(),
            size: 0,
            wrong_direction: 0,
            closed: false,
        }
    }

    /// Feeds the next reassembled bytes of one direction.
    pub fn parse(&mut self, dir: Direction, bytes: &[u8]) {
        if dir != self.direction {
            self.wrong_direction += bytes.len() as u64;
            return;
        }
        if self.closed {
            return;
        }
        self.size += bytes.len() as u64;
        let n = (MAX_FILE_DATA - self.data.len()).min(bytes.len());
        self.data.extend_from_slice(&bytes[..n]);
    }

    /// The file's direction ended (FIN/RST): the file is complete.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// Whether the file is complete.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// `ftpdata_command`: RETR or STOR.
    pub fn command(&self) -> FtpCommand {
        self.command
    }

    /// `ftpdata_command` as the keyword spells it (`retr`, `stor`).
    pub fn command_name(&self) -> &'static str {
        match self.command {
            FtpCommand::Retr => "retr",
            FtpCommand::Stor => "stor",
            _ => "unknown",
        }
    }

    /// Which way the file travels on this flow (detection of `file.data`
    /// happens in this direction only).
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// `file.name`: the RETR/STOR argument.
    pub fn file_name(&self) -> &[u8] {
        &self.file_name
    }

    /// `file.data` / `file_data`: the file's first [`MAX_FILE_DATA`]
    /// bytes (`None` before any).
    pub fn file_data(&self) -> Option<&[u8]> {
        (!self.data.is_empty()).then_some(self.data.as_slice())
    }

    /// Bytes of the file seen, kept or not.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Bytes that came in the other direction (ignored).
    pub fn wrong_direction_bytes(&self) -> u64 {
        self.wrong_direction
    }
}
