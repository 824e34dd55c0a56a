//! quorumsim: a deterministic simulator for distributed consensus.
//!
//! One single-threaded discrete-event scheduler with a virtual clock hosts many nodes over a
//! simulated network that drops, delays, duplicates, reorders and partitions messages, crashes
//! and restarts nodes, and checks safety invariants after every step. Same scenario and seed,
//! same trace hash.
//!
//! The module list is a map of the code, from the bottom layer up; a module imports only
//! from layers below it (`tests/layering.rs` checks that no two modules import each other).
//! - [`prng`], [`hash`], [`time`]: leaf utilities (the seeded random streams, the fixed trace
//!   hasher, virtual-time units); they import nothing of the crate.
//! - [`protocol`]: the sans-IO node contract ([`protocol::Protocol`], [`protocol::Ctx`]), the
//!   observations nodes report, and what the tools need of a protocol ([`protocol::Hosted`]).
//! - [`net`]: links (latency, loss, duplication) and connectivity (partitions, one-way cuts).
//! - [`check`]: the generic safety invariants over observations, with their ghost state.
//! - [`sim`]: the engine — event queue, faults, workload, the run loop, trace hashing,
//!   outcomes. Knows no protocol.
//! - [`raft`], [`fle`]: the built-in protocols, each hosted the way a user's protocol is:
//!   Raft per Figure 2 of the paper with PreVote and CheckQuorum; ZooKeeper-style
//!   FastLeaderElection with a small Zab-like atomic broadcast.
//! - [`registry`]: the protocols a binary knows, by name; [`builtin`] registers Raft and FLE.
//! - [`scenario`]: JSON scenario files, validated into typed scenarios with clear errors.
//! - [`run`]: running a scenario for the protocol it names, and the summaries of a run.
//! - [`fuzz`]: seed campaigns (swarm-generated runs on all cores), replay, shrink, merge.
//! - [`viz`]: pictures of a recorded run: the space-time diagram as SVG or HTML.
//! - [`bench`]: `quorumsim bench`, engine throughput against a bare event loop.
//! - [`experiment`]: seeded experiments built on the engine (Raft Figure 16 downtime).
//! - [`cli`]: the `quorumsim` command line for the protocols of a registry; [`heap`] its
//!   allocator policy.
//! - [`prelude`]: what a crate hosting its own protocol needs, in one `use`.
//!
//! The `cli` feature (on by default) brings the command line, the experiments and the
//! campaign reports with their charts; a crate that only embeds the simulator turns it off.

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
pub mod prelude;
pub mod prng;
pub mod protocol;
pub mod raft;
pub mod registry;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod time;
pub mod viz;
