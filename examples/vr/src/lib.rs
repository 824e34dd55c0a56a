//! Viewstamped Replication, hosted in quorumsim through its public API only: normal
//! operation and the view change with log transfer, after *Viewstamped Replication
//! Revisited* (Liskov and Cowling, 2012), §4.1-4.2, with §5.2's state transfer.
//!
//! **The algorithm in short.** A group of 2f+1 replicas moves through a sequence of views;
//! the primary of view v is replica v mod n, the others are backups. The primary gives each
//! client request the next op-number and sends Prepare; backups append ops in order and
//! answer PrepareOK; an op is committed once f+1 replicas hold it, and the primary's Commit
//! messages (also its heartbeats) tell backups how far. A backup that stops hearing from the
//! primary starts a view change to view v+1 (StartViewChange); once f+1 replicas are in it,
//! each sends DoViewChange with its log, the last view in which it was normal and its
//! commit-number to the new primary, which takes the log with the largest (last normal view,
//! op-number), sends StartView and goes on. Views play Raft's terms for the checkers: a
//! log entry carries the view that gave it its op-number.
//!
//! **What is durable, and why it is enough** ([`VrDurable`]). VR-Revisited keeps state in
//! memory only, and its recovery protocol (§4.3) exists because a replica that restarts
//! without a disk may have forgotten promises: ops it acknowledged, views it moved to. Here
//! every replica has a disk, and writes these three before anything it sends leaves:
//! - the **view-number**: StartViewChange and DoViewChange for view v promise that the
//!   replica takes no more Prepares of older views, and a DoViewChange is its one vote in v
//!   (reported as `Voted`). A restart that forgot the view could acknowledge an old primary's
//!   op after its log was counted for the new view, and vote again in views it left.
//! - the **last normal view**: the key by which the new primary ranks logs. Forgetting it
//!   would let a stale log win over one that holds a committed op.
//! - the **log**: every PrepareOK and DoViewChange speaks for it.
//!
//! The status is not stored: normal exactly when the view equals the last normal view. With
//! these on disk, a crash is indistinguishable from a replica that was slow and missed
//! messages, which VR tolerates anyway: a restarted replica resumes normal status in its
//! view (a primary relearns what its backups hold from their PrepareOKs), or the view change
//! it was in. No recovery protocol is needed. The commit-number, the store, the primary's
//! acknowledgement table and the rest stay volatile: committed ops are in the log of every
//! later view, so a restarted replica relearns the commit-number from its primary and
//! applies again from op 1. There is no client table: the workload's commands carry unique
//! ids and clients do not retry.
//!
//! The module list is a map of the code:
//! - [`config`]: timings ([`VrConfig`]) and the deliberately broken variants ([`VrBug`]).
//! - [`message`]: the messages ([`VrMsg`]) and log entries.
//! - [`durable`]: what survives a crash ([`VrDurable`]).
//! - [`role`]: normal (primary, backup) and view-change status, with their own state.
//! - [`replica`]: the [`quorumsim::protocol::Protocol`] implementation, role transitions,
//!   commit and apply, and the local invariants.
//! - `normal`: normal operation and state transfer (§4.1, §5.2).
//! - `view_change`: the view-change protocol (§4.2).
//! - [`section`]: VR as quorumsim hosts it: the scenario-file section, its validation, its
//!   swarm draws and the bundled fuzz base.

pub mod config;
pub mod durable;
pub mod message;
pub(crate) mod normal;
pub mod replica;
pub mod role;
pub mod section;
mod view_change;

pub use config::{VrBug, VrConfig};
pub use durable::VrDurable;
pub use message::{Entry, VrMsg};
pub use replica::{VrReplica, VrTimer};
pub use section::{vr_config, VrSection};

#[cfg(test)]
mod tests;
