//! FastLeaderElection's timing parameters, the start-up histories, and the bug switches.

/// Static parameters shared by every node of an FLE cluster.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FleConfig {
    /// After a quorum agrees on the proposal, wait this long for a better vote before
    /// deciding (ZooKeeper's `finalizeWait`).
    pub finalize_wait_us: u64,
    /// A LOOKING node that hears nothing for this long re-sends its notifications; the wait
    /// doubles each time (ZooKeeper starts it at `finalizeWait`)…
    pub notification_timeout_us_initial: u64,
    /// …up to this cap (ZooKeeper's `maxNotificationInterval`).
    pub notification_timeout_us_max: u64,
    /// Leader and followers ping each other this often.
    pub ping_interval_us: u64,
    /// A synchronised follower that hears nothing from its leader for this long, or an
    /// established leader that hears from less than a quorum for this long, goes back to
    /// LOOKING (ZooKeeper's `syncLimit`).
    pub sync_timeout_us: u64,
    /// How long discovery and synchronisation may take after an election before the node
    /// gives up and goes back to LOOKING (ZooKeeper's `initLimit`).
    pub init_timeout_us: u64,
    /// Per node, how many entries of one common committed history it holds at first boot
    /// (empty: none). Lets a scenario start servers with different last zxids.
    pub initial_history_lengths: Vec<u64>,
    /// A deliberately planted bug, to show that the invariants catch it. Never on by default.
    pub bug: Option<FleBug>,
}

impl Default for FleConfig {
    fn default() -> Self {
        FleConfig {
            finalize_wait_us: 200_000,
            notification_timeout_us_initial: 200_000,
            notification_timeout_us_max: 60_000_000,
            ping_interval_us: 50_000,
            sync_timeout_us: 300_000,
            init_timeout_us: 1_000_000,
            initial_history_lengths: Vec::new(),
            bug: None,
        }
    }
}

impl FleConfig {
    /// How many entries of the common history `node` starts with.
    pub fn initial_history_length(&self, node: usize) -> u64 {
        self.initial_history_lengths.get(node).copied().unwrap_or(0)
    }
}

/// Known ways to get FastLeaderElection or Zab wrong, each a switch in [`FleConfig::bug`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FleBug {
    /// The vote order of the ZOOKEEPER-1419 era: `epoch > || (epoch == && zxid >) ||
    /// (zxid == && id >)`. The last clause forgets the epoch, so the order is not total: a
    /// stale server with the same zxid and a higher id beats one with a newer epoch.
    ZxidBeforeEpoch,
    /// Notifications are taken whatever their election round (logical clock): votes of old
    /// rounds count towards a quorum and a newer round never resets the vote set.
    IgnoreRound,
    /// Out-of-election votes decide without the checkLeader rule (ZOOKEEPER-975 class): a
    /// quorum naming a leader is enough, whether or not that leader says it is LEADING.
    NoCheckLeader,
    /// Decide on the first quorum for the proposal, without waiting `finalizeWait` for a
    /// better vote that may be on its way.
    NoFinalizeWait,
    /// The accepted epoch lives in memory only: after a restart a node has forgotten which
    /// epoch it promised, and a new leader may pick an epoch that was already used.
    AcceptedEpochNotPersisted,
}

impl FleBug {
    pub const ALL: [FleBug; 5] = [
        FleBug::ZxidBeforeEpoch,
        FleBug::IgnoreRound,
        FleBug::NoCheckLeader,
        FleBug::NoFinalizeWait,
        FleBug::AcceptedEpochNotPersisted,
    ];

    /// The kebab-case name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            FleBug::ZxidBeforeEpoch => "zxid-before-epoch",
            FleBug::IgnoreRound => "ignore-round",
            FleBug::NoCheckLeader => "no-check-leader",
            FleBug::NoFinalizeWait => "no-finalize-wait",
            FleBug::AcceptedEpochNotPersisted => "accepted-epoch-not-persisted",
        }
    }

    pub fn from_name(name: &str) -> Option<FleBug> {
        FleBug::ALL.into_iter().find(|bug| bug.name() == name)
    }

    /// Every name, comma-separated, for error messages.
    pub fn names() -> String {
        let names: Vec<&str> = FleBug::ALL.iter().map(|bug| bug.name()).collect();
        names.join(", ")
    }
}
