//! The deterministic engine: virtual clock, event queue, seeded random streams, fault
//! schedule, workload, and the run loop that checks invariants after every step. It knows
//! nothing about any particular protocol.

mod engine;
pub mod fault;
pub mod outcome;
pub mod panic;
pub mod queue;
pub mod recording;
mod simulator;
mod timers;
pub mod trace;
pub mod workload;

pub use fault::{Fault, FaultAction, LinkChange, Selector};
pub use outcome::{Expectations, Outcome, RunReport, RunStats};
pub use recording::{Recording, Retention};
pub use simulator::{SimConfig, Simulator};
pub use trace::TraceSink;
pub use workload::{ClientTarget, Workload};
