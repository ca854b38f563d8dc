//! Flow stage: a per-worker flow table keyed by (VNI, inner 5-tuple) that
//! aggregates packets into VPC-Flow-Log records, one per direction per
//! aggregation window, with bounded memory and capture-time expiry.

mod community_id;
mod key;
mod record;
mod table;

pub use community_id::community_id;
pub use key::{Endpoint, FlowKey, Layer};
pub use record::{FlowRecord, RecordSink};
pub use table::{FlowConfig, FlowStats, FlowTable, PacketMeta};
