//! Output stage: flow-log records rendered in AWS's text syntax, delivered
//! as AWS delivers them to S3 (gzip files in the `AWSLogs/…` layout) or to
//! standard output.

pub mod delivery;
pub mod eve;
pub mod eve_app;
pub mod eve_ssh;
pub mod eve_tx;
pub mod fields;
pub mod format;
pub mod parquet;
mod text;

pub use delivery::{Delivery, DeliveryError, S3Layout, StdoutSink, Tee};
pub use fields::Field;
pub use format::{FormatError, LogFormat};
pub use parquet::ParquetLayout;

/// Writes `bytes` to `path` atomically: a temporary file beside it, then a rename.
pub fn atomic_write(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// What a directory delivery writes: AWS's gzip text objects, Parquet
/// objects in AWS's Parquet schema, or both side by side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum OutputFormat {
    /// `*.log.gz` text objects (default).
    #[default]
    Text,
    /// `*.log.parquet` objects.
    Parquet,
    /// Both, the same records in each.
    Both,
}

/// Opens the delivery of `format` objects under `dir` (plain AWS layout or,
/// with `hive`, Hive-compatible partitions); fails before any record when
/// the directory is not writable.
pub fn open_dir(
    dir: &std::path::Path,
    format: &LogFormat,
    sessions: &crate::config::SessionMap,
    max_file_bytes: u64,
    output: OutputFormat,
    hive: bool,
) -> Result<Box<dyn Delivery>, DeliveryError> {
    let text = || -> Result<Box<dyn Delivery>, DeliveryError> {
        Ok(Box::new(
            S3Layout::new(dir, format.clone(), sessions.clone(), max_file_bytes)?.with_hive(hive),
        ))
    };
    let parquet = || -> Result<Box<dyn Delivery>, DeliveryError> {
        Ok(Box::new(ParquetLayout::new(
            dir,
            format.clone(),
            sessions.clone(),
            max_file_bytes,
            hive,
        )?))
    };
    Ok(match output {
        OutputFormat::Text => text()?,
        OutputFormat::Parquet => parquet()?,
        OutputFormat::Both => Box::new(Tee(text()?, parquet()?)),
    })
}
