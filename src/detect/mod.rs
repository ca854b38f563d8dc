//! IDS engine core: Suricata 7's rule language and its evaluation on byte
//! slices and header views, independent of the packet pipeline.
//!
//! * [`rule`]: lexer, header (addresses, ports, variables), parse.
//! * [`keywords`]: the one keyword registry; one file per family.
//! * [`load`]: rule files and directories → [`RuleSet`] and a report
//!   (loaded, unsupported by keyword, failed with file:line).
//! * [`engine`]: evaluation of a packet or stream chunk: prefilter,
//!   packet conditions, content inspection, flowbits, thresholds; and of
//!   one application-layer transaction ([`tx`]).
//!
//! vxtap is a passive sensor: `drop` and `reject*` rules alert like
//! `alert` (see [`signature::Action`]).

pub mod anomaly;
pub mod classify;
pub mod engine;
pub mod error;
pub mod events;
pub mod inspect;
pub mod iponly;
pub mod keywords;
pub mod load;
pub mod packet;
pub mod prefilter;
pub mod rule;
pub mod signature;
pub mod state;
pub mod tx;
pub mod uint;

pub use engine::{Alert, DetectCtx, Input, Inspection, RuleSet};
pub use error::{Location, ParseError, RuleError};
pub use events::{Event, Events};
pub use keywords::applayer::FlowApp;
pub use keywords::flow::FlowInfo;
pub use load::{LoadReport, load_paths};
pub use packet::PacketView;
pub use rule::vars::RuleVars;
pub use signature::{Action, Signature};
pub use state::{FlowDetectState, HostTable, ThresholdTable};
pub use tx::Tx;
