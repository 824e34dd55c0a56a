//! A replica's status (VR-Revisited §4: normal or view-change), with the state only that
//! status has. Normal status is split into primary and backup.

use std::collections::BTreeMap;

use quorumsim::protocol::NodeId;

use crate::message::Entry;

/// A set of replicas by index; groups are small, so a vector of flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSet {
    members: Vec<bool>,
}

impl NodeSet {
    pub fn new(node_count: u16) -> NodeSet {
        NodeSet {
            members: vec![false; usize::from(node_count)],
        }
    }

    /// Adds `node`; returns whether it was new.
    pub fn insert(&mut self, node: NodeId) -> bool {
        !std::mem::replace(&mut self.members[node.index()], true)
    }

    pub fn contains(&self, node: NodeId) -> bool {
        self.members[node.index()]
    }

    pub fn count(&self) -> usize {
        self.members.iter().filter(|&&member| member).count()
    }
}

#[derive(Clone, Debug)]
pub enum Role {
    /// Normal status, primary of the current view.
    Primary(PrimaryState),
    /// Normal status, backup of `primary`, the primary of the current view. `early_ops` holds
    /// Prepares that arrived before an op they follow (the network reorders), until the gap
    /// fills: without them every reordering would stall the backup until the next heartbeat.
    Backup {
        primary: NodeId,
        early_ops: BTreeMap<u64, Entry>,
    },
    /// View-change status: moving to the current view, whose StartView has not arrived.
    ViewChange(ViewChangeState),
}

impl Role {
    pub fn backup(primary: NodeId) -> Role {
        Role::Backup {
            primary,
            early_ops: BTreeMap::new(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Role::Primary(_) => "primary",
            Role::Backup { .. } => "backup",
            Role::ViewChange(_) => "view-change",
        }
    }

    pub fn is_normal(&self) -> bool {
        !matches!(self, Role::ViewChange(_))
    }
}

/// What the primary knows of its backups in this view.
#[derive(Clone, Debug)]
pub struct PrimaryState {
    /// Per replica, the highest op-number it has acknowledged in this view (PrepareOK); the
    /// primary's own slot is unused (its log is its own).
    pub acked_op_numbers: Vec<u64>,
    /// Per replica, the highest op-number sent to it since the last heartbeat, so a client
    /// request goes out at once to backups that are caught up and a lagging one is sent
    /// each missing op once per heartbeat, not once per request.
    pub sent_op_numbers: Vec<u64>,
}

impl PrimaryState {
    /// A primary that knows nothing yet of what its backups hold, but has sent them all up to
    /// `sent_op_number` (the StartView's log, or nothing after a restart).
    pub fn new(node_count: u16, sent_op_number: u64) -> PrimaryState {
        PrimaryState {
            acked_op_numbers: vec![0; usize::from(node_count)],
            sent_op_numbers: vec![sent_op_number; usize::from(node_count)],
        }
    }
}

/// A view change in progress towards the current view.
#[derive(Clone, Debug)]
pub struct ViewChangeState {
    /// Replicas known to be in this view change: their StartViewChange (or DoViewChange)
    /// arrived. This replica is one.
    pub start_view_changes: NodeSet,
    /// Whether this replica has sent its DoViewChange for the view (§4.2 step 2).
    pub do_view_change_sent: bool,
    /// At the new primary only: the DoViewChange messages counted so far.
    pub do_view_changes: DoViewChanges,
    /// The replica asked for the view's state (GetState) after a Prepare or Commit showed the
    /// view had started without this replica.
    pub state_source: Option<NodeId>,
}

impl ViewChangeState {
    pub fn new(me: NodeId, node_count: u16) -> ViewChangeState {
        let mut start_view_changes = NodeSet::new(node_count);
        start_view_changes.insert(me);
        ViewChangeState {
            start_view_changes,
            do_view_change_sent: false,
            do_view_changes: DoViewChanges::new(node_count),
            state_source: None,
        }
    }
}

/// The DoViewChange messages the new primary has received, folded as they arrive: who sent
/// one, the best log among them, and the largest commit-number (§4.2 step 3).
#[derive(Clone, Debug)]
pub struct DoViewChanges {
    pub senders: NodeSet,
    pub best: Option<CandidateLog>,
    pub commit_number_max: u64,
}

/// One DoViewChange's log with the view it was last normal in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidateLog {
    pub last_normal_view: u64,
    pub log: Vec<Entry>,
    pub sender: NodeId,
}

impl CandidateLog {
    /// The paper's order: the largest last normal view, then the largest op-number.
    pub fn rank(&self) -> (u64, u64) {
        (self.last_normal_view, self.log.len() as u64)
    }
}

impl DoViewChanges {
    pub fn new(node_count: u16) -> DoViewChanges {
        DoViewChanges {
            senders: NodeSet::new(node_count),
            best: None,
            commit_number_max: 0,
        }
    }
}
