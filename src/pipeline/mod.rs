//! Runtimes that wire the stages together. `replay` reads captures; `live`
//! receives datagrams from sockets; both feed the same dispatch → flow →
//! output stages ([`stages`]).

mod eve_output;
pub mod live;
pub mod live_metrics;
pub mod replay;
pub mod stages;
mod worker;

pub use eve_output::EveReport;
pub use live::{Live, LiveDetect, LiveError, LiveOptions, LiveProbe, LiveReport, Snapshot};
pub use replay::{ReplayError, ReplayOptions, ReplayReport, Sink, replay};
pub use stages::{OutputHealth, OutputSpec};
pub use worker::WorkerProbe;
