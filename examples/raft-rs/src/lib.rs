//! tikv/raft-rs (crate `raft` 0.7, the Raft inside TiKV) hosted in quorumsim through its
//! public API only, unmodified: the library's `RawNode` is the protocol, and this crate is
//! the application around it that every raft-rs user writes — a tick loop, a transport, a
//! disk, a state machine and the handling of each `Ready` — made sans-IO and deterministic.
//!
//! **What the adapter does.** A periodic timer ticks the `RawNode` (tick length and the
//! election and heartbeat ticks come from the scenario); delivered messages go to
//! `RawNode::step`, a client command to `RawNode::propose` on the leader (other nodes answer
//! `NotLeader` with the leader they know). After every call the adapter handles each `Ready`
//! in the order raft-rs documents, writing the log and hard state to `ctx.durable`, which
//! holds raft-rs's own `MemStorage`, and applying committed entries to quorumsim's
//! key-value store. It reports what raft-rs exposes as the observations quorumsim's generic
//! checkers read, so election safety, log matching, leader completeness and the rest are
//! checked on the library after every step.
//!
//! **Determinism without patching the library.** raft-rs draws its randomized election
//! timeout from `rand::thread_rng()`; the adapter overwrites every such draw with one from
//! the node's own seeded stream before a tick can read it (`timeout`), and raft-rs's logger
//! is a discarding `slog::Logger`. Its maps use a fixed hasher (FxHash), so their order is
//! the same in every run and process.
//!
//! **What it does not do.** The configuration is fixed (no membership changes), the log is
//! never compacted (so raft-rs never sends a snapshot: quorumsim's checkers follow whole logs
//! and have no observation for a prefix replaced by a snapshot), and no reads are issued.
//!
//! The module list is a map of the code:
//! - [`config`]: the adapter's settings ([`RaftRsConfig`]) and the misuse variants
//!   ([`RaftRsBug`]).
//! - [`wire`]: raft-rs's messages as quorumsim carries them ([`RaftRsMsg`]), commands as
//!   entry data, entry digests.
//! - [`disk`]: what survives a crash ([`RaftRsDurable`], raft-rs's `MemStorage`).
//! - [`timeout`]: the election timeout drawn from the node's stream after every reset.
//! - [`claims`]: role, leader and vote changes as observations.
//! - [`node`]: the [`quorumsim::protocol::Protocol`] implementation ([`RaftRsNode`]).
//! - `ready`: the `Ready` handling, in raft-rs's documented order.
//! - [`section`]: raft-rs as quorumsim hosts it: its scenario section, validation, swarm
//!   draw and bundled fuzz base.

pub mod claims;
pub mod config;
pub mod disk;
pub mod node;
mod ready;
pub mod section;
pub mod timeout;
pub mod wire;

pub use config::{RaftRsBug, RaftRsConfig};
pub use disk::RaftRsDurable;
pub use node::{RaftRsNode, RaftRsTimer};
pub use section::{raft_rs_config, RaftRsSection, ReadOnly};
pub use wire::RaftRsMsg;

#[cfg(test)]
mod tests;
