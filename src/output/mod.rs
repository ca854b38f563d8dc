//! Output stage: flow-log records rendered in AWS's text syntax, delivered
//! as AWS delivers them to S3 (gzip files in the `AWSLogs/…` layout) or to
//! standard output.

pub mod delivery;
pub mod fields;
pub mod format;

pub use delivery::{Delivery, DeliveryError, S3Layout, StdoutSink};
pub use fields::Field;
pub use format::{FormatError, LogFormat};
