//! Capture input: pcap (µs and ns) and pcapng (several interfaces,
//! `if_tsresol`, `if_tsoffset`) files, streamed through a fixed buffer
//! (never loaded whole), and the expansion of files and directories into an
//! input list in timestamp order.
//!
//! A damaged record (absurd length, cut short, unparsable block) stops that
//! file with a [`CaptureError::Damaged`] naming the file and the packet
//! number; the frames before it have already been delivered.

mod file;
mod inputs;
mod legacy;

pub use file::{CaptureFile, Frame};
pub use inputs::expand_inputs;

use std::path::PathBuf;

/// Why a capture could not be read (to the end).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The capture.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is neither pcap nor pcapng.
    #[error("{path}: not a pcap or pcapng file (unknown magic number); convert it with editcap")]
    NotACapture {
        /// The file.
        path: PathBuf,
    },
    /// A record is damaged: the file is read up to it and no further.
    #[error("{path}: packet {packet}: {what}; the {kept} packets before it were kept")]
    Damaged {
        /// The capture.
        path: PathBuf,
        /// 1-based number of the damaged record (packets read so far + 1).
        packet: u64,
        /// What was wrong.
        what: String,
        /// Frames delivered before the damage.
        kept: u64,
    },
}

impl CaptureError {
    /// Metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            CaptureError::Io { .. } => "io",
            CaptureError::NotACapture { .. } => "not_a_capture",
            CaptureError::Damaged { .. } => "damaged_record",
        }
    }
}
