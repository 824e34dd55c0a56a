//! The deterministic engine: virtual clock, event queue, seeded random streams, fault
//! schedule, workload, and the run loop that checks invariants after every step. It knows
//! nothing about any particular protocol.
//!
//! The files, as a map:
//! - `config`: [`SimConfig`], what a run is asked to do besides the protocol's settings.
//! - `simulator`: [`Simulator`] and its run loop: events dispatched to the nodes' handlers,
//!   each node's local checks after its step, the run's report.
//! - `engine`: what a handler's effects reach (queue, network, timers, checkers, trace,
//!   counters), and how each effect is applied as the handler makes it.
//! - `inject`: the fault schedule applied as it fires, selectors resolved.
//! - `leadership`: the engine's own view of who leads and how much is committed, which
//!   aims faults and the workload; the checkers (in [`crate::check`]) only judge.
//! - `liveness`: the liveness expectations, and the leader tracking that judges them.
//! - [`fault`], [`workload`]: the fault schedule's and the client load's types.
//! - [`queue`]: the event queue; `timers`: each node's pending timers, re-armed lazily.
//! - [`trace`]: the trace hash and its text; [`recording`]: a run recorded for pictures.
//! - [`outcome`]: verdicts, counters and reports; [`panic`](mod@panic): handler panics as outcomes.

mod clocks;
mod config;
mod connections;
mod engine;
pub mod fault;
mod inject;
mod leadership;
mod liveness;
pub mod outcome;
pub mod panic;
pub mod queue;
pub mod recording;
mod simulator;
mod storage;
mod timers;
pub mod trace;
pub mod workload;

pub use clocks::ClockModel;
pub use config::SimConfig;
pub use connections::Connections;
pub use fault::{Fault, FaultAction, LinkChange, Selector};
pub use outcome::{Expectations, Outcome, RunReport, RunStats};
pub use recording::{Recording, Retention};
pub use simulator::Simulator;
pub use storage::StorageModel;
pub use trace::TraceSink;
pub use workload::{ClientTarget, Workload};
