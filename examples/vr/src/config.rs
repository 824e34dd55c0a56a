//! VR's timing parameters and its deliberately broken variants.

/// Static parameters shared by every replica of a VR group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VrConfig {
    /// A backup that hears nothing from its primary for this long, or a replica whose view
    /// change has not finished in this long, moves to the next view (VR-Revisited §4.2).
    /// Drawn uniformly from `min..=max` each time, so that replicas stuck together in one
    /// view change do not all move on at once.
    pub view_change_timeout_us_min: u64,
    pub view_change_timeout_us_max: u64,
    /// A primary sends Commit (and resends missing Prepares) to every backup this often; a
    /// replica in a view change resends its StartViewChange, DoViewChange and GetState as often.
    pub heartbeat_interval_us: u64,
    /// A deliberately broken variant, to show the checkers catch it; `None` is correct VR.
    pub bug: Option<VrBug>,
}

impl VrConfig {
    /// Whether this configuration runs the deliberately broken variant `bug`.
    pub fn has_bug(&self, bug: VrBug) -> bool {
        self.bug == Some(bug)
    }
}

impl Default for VrConfig {
    fn default() -> Self {
        VrConfig {
            view_change_timeout_us_min: 150_000,
            view_change_timeout_us_max: 300_000,
            heartbeat_interval_us: 50_000,
            bug: None,
        }
    }
}

/// Deliberately broken variants of VR. Each is one narrow deviation from the paper, made at
/// the place the correct rule lives (grep for `has_bug(VrBug::…)`), so that a test can show
/// the checkers catch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VrBug {
    /// The new primary starts the view with its own log instead of the DoViewChange log with
    /// the largest (last normal view, op-number) (§4.2 step 3).
    KeepOwnLog,
    /// The new primary takes the longest DoViewChange log, ignoring the last normal view: a
    /// long log from an old view's minority beats the shorter log of a later view.
    LogChoiceByOpNumber,
    /// The primary counts itself among the f PrepareOKs it waits for, so an op commits on f
    /// replicas rather than f+1 (§4.1 step 5).
    CommitOnFReplicas,
    /// Only the log is written to disk, as if VR-Revisited's in-memory replica had been given
    /// a disk for its log alone and no recovery protocol: a restart forgets the view-number
    /// and the last normal view and starts again from view 0, undoing the promises its
    /// StartViewChange and DoViewChange made.
    ViewNotPersisted,
}

impl VrBug {
    pub const ALL: [VrBug; 4] = [
        VrBug::KeepOwnLog,
        VrBug::LogChoiceByOpNumber,
        VrBug::CommitOnFReplicas,
        VrBug::ViewNotPersisted,
    ];

    /// The kebab-case name used in scenario files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            VrBug::KeepOwnLog => "keep-own-log",
            VrBug::LogChoiceByOpNumber => "log-choice-by-op-number",
            VrBug::CommitOnFReplicas => "commit-on-f-replicas",
            VrBug::ViewNotPersisted => "view-not-persisted",
        }
    }

    /// One line saying what is wrong, for listings.
    pub fn description(self) -> &'static str {
        match self {
            VrBug::KeepOwnLog => {
                "the new primary keeps its own log instead of the best DoViewChange log"
            }
            VrBug::LogChoiceByOpNumber => {
                "the new primary takes the longest DoViewChange log, ignoring the last normal view"
            }
            VrBug::CommitOnFReplicas => {
                "the primary commits once f replicas (itself included) hold an op, not f+1"
            }
            VrBug::ViewNotPersisted => {
                "only the log is on disk: a restart forgets its views and starts again from view 0"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quorumsim::protocol::BugVariant;

    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for bug in VrBug::ALL {
            assert_eq!(VrBug::from_name(bug.name()), Some(bug));
            assert!(!bug.description().is_empty());
        }
        let mut names: Vec<&str> = VrBug::ALL.iter().map(|bug| bug.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), VrBug::ALL.len());
        assert_eq!(VrBug::from_name("keep-own"), None);
    }

    #[test]
    fn correct_vr_is_the_default() {
        assert_eq!(VrConfig::default().bug, None);
        assert!(!VrConfig::default().has_bug(VrBug::KeepOwnLog));
    }
}
