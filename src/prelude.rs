//! What a crate hosting its own protocol needs, in one `use quorumsim::prelude::*;`: the node
//! contract and its context, what the tools need of a protocol ([`Hosted`]), the registry and
//! the command line's entry, and the engine's configuration for runs built in code.

pub use crate::hash::stable_hash;
pub use crate::net::LinkModel;
pub use crate::prng::{Prng, Ratio};
pub use crate::protocol::{
    BugVariant, BundledScenario, ClientReply, ClusterView, Command, Ctx, Hosted, KvStore,
    LocalViolation, NoBugs, NodeId, Observation, Protocol, ScriptedNode, SectionError, SwarmDraw,
};
pub use crate::registry::Registry;
pub use crate::run::{run_scenario, run_scenario_unjudged};
pub use crate::scenario::{Scenario, ScenarioFile};
pub use crate::sim::{
    ClientTarget, Expectations, Fault, FaultAction, LinkChange, Outcome, RunReport, Selector,
    SimConfig, Simulator, TraceSink, Workload,
};
pub use crate::time::{ms, US_PER_MS};
