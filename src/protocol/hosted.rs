//! What the tools need of a protocol beyond the node contract: its section of a scenario file,
//! its deliberately broken variants, how a fuzz seed draws its settings, and the names of the
//! invariants it checks itself. A protocol that implements [`Hosted`] and is registered (see
//! `quorumsim::registry::Registry`) gets every tool: scenario files, `run`, `fuzz`, `replay`,
//! `shrink`, pictures and reports.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Protocol;
use crate::prng::Prng;
use crate::time::DAY_MS;

/// A protocol the tools can host. Raft and FLE implement it the same way a user's protocol
/// does (`src/raft/hosted.rs`, `src/fle/hosted.rs`).
pub trait Hosted: Protocol + 'static {
    /// The protocol's section of a scenario file, under the key [`Protocol::NAME`]: a serde
    /// type that rejects unknown fields, with every field optional (`Default` is the section
    /// of a file that leaves it out). The key `bug` is not part of it: the tools read and
    /// write it for every protocol and hand the chosen variant to [`Hosted::configure`].
    type Section: Serialize + DeserializeOwned + Default + Clone + fmt::Debug + Send + Sync;

    /// The deliberately broken variants; [`NoBugs`] for a protocol without any.
    type Bug: BugVariant;

    /// The node configuration of a cluster of `node_count` nodes, from a section, with `bug`
    /// switched on. An error names the field inside the section (`election_timeout_ms_max`,
    /// `initial_history_lengths[2]`) and the reason; the tools add the file and section.
    fn configure(
        section: &Self::Section,
        bug: Option<Self::Bug>,
        node_count: u16,
    ) -> Result<Self::Config, SectionError>;

    /// One fuzz seed's section, drawn within the bounds the base scenario's section sets
    /// (for example a timeout range inside the base's range). Draw only from `draw.rng()`,
    /// so the seed alone fixes the result. The default keeps the base as it is.
    fn swarm(base: &Self::Section, draw: &mut SwarmDraw<'_>) -> Self::Section {
        let _ = draw;
        base.clone()
    }

    /// The protocol's on/off options and whether `section` turns each on, listed whatever
    /// their value: a campaign report counts the seeds and failures with each one on.
    fn options(section: &Self::Section) -> Vec<(&'static str, bool)> {
        let _ = section;
        Vec::new()
    }

    /// Whether a cluster configured by `section` replaces a leader that can still send but
    /// hears nobody (as Raft does with CheckQuorum and PreVote). Only then may a fuzz seed
    /// keep such a cut into the leader through its liveness phase: a protocol without the
    /// rule is expected to stall under it, which is no finding.
    fn replaces_deaf_leader(section: &Self::Section) -> bool {
        let _ = section;
        false
    }

    /// Names of the invariants [`Protocol::check_local`] and [`Protocol::check_cluster`] may
    /// report, so a regression file's `expect.violation` can be checked when it is loaded.
    const INVARIANTS: &'static [&'static str] = &[];

    /// The base scenario `quorumsim fuzz --protocol NAME` uses when given none.
    const FUZZ_BASE: Option<BundledScenario> = None;
}

/// A scenario file compiled into the binary, with the path it is known by in messages.
#[derive(Clone, Copy, Debug)]
pub struct BundledScenario {
    pub path: &'static str,
    pub text: &'static str,
}

/// A protocol's deliberately broken variants: checkers that never fire prove nothing, so
/// each variant shows one of them firing. Chosen by name in a section's `bug` or with
/// `--bug`; never the default.
pub trait BugVariant: Copy + Eq + fmt::Debug + Send + Sync + 'static {
    /// Every variant, in the order help and reports list them.
    const ALL: &'static [Self];

    /// The kebab-case name used in scenario files and on the command line.
    fn name(self) -> &'static str;

    /// What is wrong, in one line.
    fn summary(self) -> &'static str;

    /// The variant called `name`, if there is one.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|bug| bug.name() == name)
    }
}

/// The bug type of a protocol without broken variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoBugs {}

impl BugVariant for NoBugs {
    const ALL: &'static [NoBugs] = &[];

    fn name(self) -> &'static str {
        match self {}
    }

    fn summary(self) -> &'static str {
        match self {}
    }
}

/// Why a section is not valid: the field inside the section and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionError {
    pub field: String,
    pub reason: String,
}

impl SectionError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> SectionError {
        SectionError {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A millisecond setting, when given, is at most one virtual day (so it converts to
    /// microseconds exactly instead of saturating into "never").
    pub fn check_ms(field: &str, value_ms: Option<u64>) -> Result<Option<u64>, SectionError> {
        match value_ms {
            Some(value) if value > DAY_MS => Err(SectionError::new(
                field,
                format!("must be at most {DAY_MS} (one virtual day), got {value}"),
            )),
            other => Ok(other),
        }
    }
}

impl fmt::Display for SectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.reason)
    }
}

/// What one fuzz seed's draw of a protocol section can see and ask for.
pub struct SwarmDraw<'a> {
    rng: &'a mut Prng,
    node_count: u64,
    heal_ms: u64,
    has_workload: bool,
    hold_workload: bool,
}

impl<'a> SwarmDraw<'a> {
    /// The fuzzer builds one per seed; tests of a protocol's [`Hosted::swarm`] can too.
    pub fn new(rng: &'a mut Prng, node_count: u64, heal_ms: u64, has_workload: bool) -> Self {
        SwarmDraw {
            rng,
            node_count,
            heal_ms,
            has_workload,
            hold_workload: false,
        }
    }

    /// The seed's random stream (the generator's own, not any stream of the run).
    pub fn rng(&mut self) -> &mut Prng {
        self.rng
    }

    /// The seed's cluster size, already drawn.
    pub fn node_count(&self) -> u64 {
        self.node_count
    }

    /// When the seed's safety phase ends: everything is healed and restarted then.
    pub fn heal_ms(&self) -> u64 {
        self.heal_ms
    }

    /// Whether the base scenario has a client workload.
    pub fn has_workload(&self) -> bool {
        self.has_workload
    }

    /// Holds the seed's workload back until the heal (unless it stops before then), so the
    /// whole safety phase runs without client commands.
    pub fn hold_workload_until_heal(&mut self) {
        self.hold_workload = true;
    }

    /// A `(min, max)` range inside `lo..=hi` that keeps at least half of its spread: a seed
    /// narrows a timeout range but never collapses one a protocol relies on being wide (a
    /// narrow election timeout range against tens of ms of latency splits votes by design).
    pub fn range_within(&mut self, lo: u64, hi: u64) -> (u64, u64) {
        let hi = hi.max(lo);
        let half_spread = (hi - lo) / 2;
        let min = self.rng.range_inclusive(lo, lo + half_spread);
        let max = self.rng.range_inclusive(min + half_spread, hi);
        (min, max)
    }

    /// A value between half of `max` (rounded up) and all of it: a seed shortens a wait or
    /// an interval the base bounds, but not to nothing.
    pub fn half_to_all(&mut self, max: u64) -> u64 {
        self.rng.range_inclusive(max.div_ceil(2), max)
    }

    /// Whether [`SwarmDraw::hold_workload_until_heal`] was asked for.
    pub fn holds_workload(&self) -> bool {
        self.hold_workload
    }
}
