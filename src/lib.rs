//! quorumsim: a deterministic simulator for distributed consensus.
//!
//! One single-threaded discrete-event scheduler with a virtual clock hosts many nodes over a
//! simulated network that drops, delays, duplicates, reorders and partitions messages, crashes
//! and restarts nodes, and checks safety invariants after every step. Same scenario and seed,
//! same trace hash.
//!
//! The module list is a map of the code, top to bottom:
//! - [`prng`], [`hash`], [`time`]: leaf utilities every layer uses (the seeded random
//!   streams, the fixed trace hasher, virtual-time units); they import nothing of the crate.
//! - [`sim`]: the engine — event queue, faults, workload, the run loop, trace hashing,
//!   outcomes. Knows no protocol.
//! - [`net`]: links (latency, loss, duplication) and connectivity (partitions, one-way cuts).
//! - [`protocol`]: the sans-IO node contract ([`protocol::Protocol`], [`protocol::Ctx`]) and the
//!   observations nodes report.
//! - [`raft`]: Raft per Figure 2 of the paper, with PreVote and CheckQuorum.
//! - [`fle`]: ZooKeeper-style FastLeaderElection with a small Zab-like atomic broadcast.
//! - [`check`]: the generic safety invariants over observations, with their ghost state.
//! - [`scenario`]: JSON scenario files, validated into typed scenarios with clear errors.
//! - [`run`]: running a scenario for a protocol, and the summaries of a run.
//! - [`fuzz`]: seed campaigns (swarm-generated runs on all cores), replay, shrink, merge.
//! - [`experiment`]: seeded experiments built on the engine (Raft Figure 16 downtime).
//! - [`bench`]: `quorumsim bench`, engine throughput against a bare event loop.
//! - [`viz`]: pictures of a recorded run: the space-time diagram as SVG or HTML.
//! - [`cli`]: the `quorumsim` command line for the protocols of a registry.

pub mod bench;
pub mod builtin;
pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
pub mod experiment;
pub mod fle;
pub mod fuzz;
pub mod hash;
pub mod heap;
pub mod net;
pub mod prng;
pub mod protocol;
pub mod raft;
pub mod registry;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod time;
pub mod viz;
