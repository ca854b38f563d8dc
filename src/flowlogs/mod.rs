//! Reader of AWS VPC Flow Logs (issue 5): typed records from every delivery
//! form — S3 text objects with a header line (versions 2–8, custom formats,
//! Transit Gateway v6), header-less CloudWatch Logs data (with `--format`),
//! CloudWatch exports (`<ISO timestamp> ` prefixes) and subscription payloads,
//! gzip (multi-member, streamed), S3 and Hive key layouts, and Parquet.
//!
//! Guarantees: no input makes it panic, hang or allocate without bound (lines
//! are capped at [`parse::MAX_LINE`]); every bad line is an [`Error`] with
//! file, line and [`ErrorKind`], and reading goes on; memory is constant in
//! the size of the input.
//!
//! ```no_run
//! use vxtap::flowlogs::{FileReader, ReadOptions};
//! let mut reader = FileReader::open("flows.log.gz".as_ref(), &ReadOptions::default());
//! while let Some(item) = reader.next_record() {
//!     match item {
//!         Ok(rec) => println!("{:?} -> {:?} {:?}", rec.srcaddr(), rec.dstaddr(), rec.action()),
//!         Err(e) => eprintln!("{e}"),
//!     }
//! }
//! ```
//!
//! Files: `fields` (the field table), `schema`/`header` (columns of a file),
//! `lines`/`parse` (bounded line splitting, typing; the general path),
//! `fast`/`addr` (the one-pass fast path for well-formed lines), `text`/`parquet`/
//! `subscription`/`source` (the forms), `inflate` (gzip on a helper thread), `igzip` (ISA-L's inflate, feature `isal`), `layout` (S3 keys, directory walk),
//! `record` (typed records), `render` (text and JSON), `stats` (with `counters`,
//! its integer-keyed tables), `parallel`.

pub mod addr;
pub mod counters;
pub mod error;
pub mod fast;
pub mod fastjson;
pub mod fields;
pub mod gzip;
pub mod header;
#[cfg(feature = "isal")]
pub mod igzip;
pub mod inflate;
pub mod layout;
pub mod lenient;
pub mod lines;
pub mod parallel;
pub mod parquet;
pub mod parse;
pub mod reader;
pub mod record;
pub mod render;
pub mod schema;
pub mod source;
pub mod stats;
pub mod subscription;
pub mod text;

pub use error::{Error, ErrorKind, LineError};
pub use fields::{FieldId, FieldKind};
pub use layout::{SourceInfo, collect_inputs};
pub use lenient::Repairs;
pub use reader::{FileReader, Records, read_path};
pub use record::{Action, Direction, LogStatus, OwnedRecord, Record, Value};
pub use render::{JSON_ROOM, JsonWriter, Template, render_original};
pub use schema::Schema;
pub use stats::{Stats, Summary};
pub use text::ReadOptions;
