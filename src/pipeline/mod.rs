//! Runtimes that wire the stages together. `replay` reads captures; the
//! live receiver will feed the same dispatch → flow → output stages.

pub mod replay;
mod worker;

pub use replay::{ReplayError, ReplayOptions, ReplayReport, Sink, replay};
