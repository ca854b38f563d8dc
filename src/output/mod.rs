//! Output stage: flow-log records rendered in AWS's text syntax, delivered
//! as AWS delivers them to S3 (gzip files in the `AWSLogs/…` layout) or to
//! standard output.

pub mod delivery;
pub mod fields;
pub mod format;

pub use delivery::{Delivery, DeliveryError, S3Layout, StdoutSink};
pub use fields::Field;
pub use format::{FormatError, LogFormat};

/// Writes `bytes` to `path` atomically: a temporary file beside it, then a rename.
pub fn atomic_write(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
