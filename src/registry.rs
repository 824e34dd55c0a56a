//! The protocols a binary knows, by name: one list every tool dispatches through. A scenario
//! file names its protocol; the registry reads that protocol's section, validates it and
//! hands back a [`ConfiguredProtocol`] that runs the simulator for it. Nothing else in the
//! tools names a protocol.
//!
//! `Registry::builtin()` (in `builtin.rs`) holds Raft and FLE; a user's binary adds its own:
//!
//! ```no_run
//! use quorumsim::registry::Registry;
//!
//! fn main() -> std::process::ExitCode {
//!     // `.with::<MyProtocol>()` adds a protocol of one's own.
//!     let registry = Registry::builtin();
//!     quorumsim::cli::main(registry)
//! }
//! ```

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::protocol::{BugVariant, BundledScenario, Hosted, SectionError, SwarmDraw};
use crate::sim::{Recording, Retention, RunReport, SimConfig, Simulator, TraceSink};

/// The key of a protocol section that names a broken variant, read for every protocol.
pub const BUG_KEY: &str = "bug";

/// The protocols a binary knows, in the order they were registered.
#[derive(Clone, Default)]
pub struct Registry {
    entries: Vec<Arc<dyn ProtocolEntry>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Registry {
    /// A registry that knows no protocol.
    pub fn empty() -> Registry {
        Registry::default()
    }

    /// Adds protocol `H`. Two protocols with one name are a programming error: it panics.
    pub fn register<H: Hosted>(&mut self) -> &mut Registry {
        assert!(
            self.get(H::NAME).is_none(),
            "protocol {:?} is registered twice",
            H::NAME
        );
        assert!(
            is_section_name(H::NAME),
            "protocol name {:?} must be lowercase letters, digits and '-'",
            H::NAME
        );
        self.entries
            .push(Arc::new(Entry::<H>(std::marker::PhantomData)));
        self
    }

    /// [`Registry::register`], by value.
    pub fn with<H: Hosted>(mut self) -> Registry {
        self.register::<H>();
        self
    }

    pub fn get(&self, name: &str) -> Option<&dyn ProtocolEntry> {
        self.entries
            .iter()
            .find(|entry| entry.name() == name)
            .map(|entry| &**entry)
    }

    /// The protocol called `name`, or a one-line reason naming the ones there are.
    pub fn lookup(&self, name: &str) -> Result<&dyn ProtocolEntry, String> {
        self.get(name).ok_or_else(|| {
            format!(
                "unknown protocol {name:?}; this binary knows: {}",
                self.names().join(", ")
            )
        })
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|entry| entry.name()).collect()
    }

    pub fn entries(&self) -> impl Iterator<Item = &dyn ProtocolEntry> {
        self.entries.iter().map(|entry| &**entry)
    }
}

/// Protocol names double as scenario-file keys and file-name prefixes.
fn is_section_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

/// One registered protocol, seen without its type: what the tools call.
pub trait ProtocolEntry: Send + Sync {
    /// [`crate::protocol::Protocol::NAME`].
    fn name(&self) -> &'static str;

    /// Every broken variant: its name and what is wrong.
    fn bugs(&self) -> Vec<(&'static str, &'static str)>;

    /// [`Hosted::INVARIANTS`].
    fn invariants(&self) -> &'static [&'static str];

    /// [`Hosted::FUZZ_BASE`].
    fn fuzz_base(&self) -> Option<BundledScenario>;

    /// Validates a section (`None` when the file has none) for a cluster of `node_count`.
    /// The error's field is inside the section; an empty field is the section itself.
    fn configure(
        &self,
        section: Option<&Value>,
        node_count: u16,
    ) -> Result<Arc<dyn ConfiguredProtocol>, SectionError>;

    /// One fuzz seed's section, drawn within `base`'s bounds; the base's bug stays on.
    fn swarm(
        &self,
        base: Option<&Value>,
        draw: &mut SwarmDraw<'_>,
    ) -> Result<SwarmedSection, SectionError>;

    /// `section` with its bug set to the variant called `name`, or a one-line reason naming
    /// the variants there are.
    fn with_bug(&self, section: Option<&Value>, name: &str) -> Result<Value, String>;
}

/// A fuzz seed's protocol section and what the rest of the generator needs to know of it.
#[derive(Clone, Debug)]
pub struct SwarmedSection {
    pub section: Value,
    /// [`Hosted::options`] of the drawn section.
    pub options: Vec<(&'static str, bool)>,
    /// [`Hosted::replaces_deaf_leader`] of the drawn section.
    pub replaces_deaf_leader: bool,
}

/// A validated protocol section, ready to run: the protocol and its configuration.
pub trait ConfiguredProtocol: fmt::Debug + Send + Sync {
    fn name(&self) -> &'static str;

    /// The broken variant switched on, if any.
    fn bug(&self) -> Option<&'static str>;

    /// The same configuration with the broken variant called `name` instead (what `--bug`
    /// does), or a one-line reason naming the variants there are.
    fn with_bug(&self, name: &str) -> Result<Arc<dyn ConfiguredProtocol>, String>;

    /// Runs the simulator with this protocol.
    fn run(&self, sim: SimConfig, sink: TraceSink) -> RunReport;

    /// Runs it and records what `retention` keeps, for pictures; same trace hash.
    fn run_recorded(
        &self,
        sim: SimConfig,
        sink: TraceSink,
        retention: Retention,
    ) -> (RunReport, Recording);
}

struct Entry<H>(std::marker::PhantomData<fn() -> H>);

impl<H: Hosted> ProtocolEntry for Entry<H> {
    fn name(&self) -> &'static str {
        H::NAME
    }

    fn bugs(&self) -> Vec<(&'static str, &'static str)> {
        H::Bug::ALL
            .iter()
            .map(|bug| (bug.name(), bug.summary()))
            .collect()
    }

    fn invariants(&self) -> &'static [&'static str] {
        H::INVARIANTS
    }

    fn fuzz_base(&self) -> Option<BundledScenario> {
        H::FUZZ_BASE
    }

    fn configure(
        &self,
        section: Option<&Value>,
        node_count: u16,
    ) -> Result<Arc<dyn ConfiguredProtocol>, SectionError> {
        let (section, bug) = read_section::<H>(section)?;
        let config = H::configure(&section, bug, node_count)?;
        Ok(Arc::new(Configured::<H> {
            section,
            bug,
            node_count,
            config,
        }))
    }

    fn swarm(
        &self,
        base: Option<&Value>,
        draw: &mut SwarmDraw<'_>,
    ) -> Result<SwarmedSection, SectionError> {
        let (base, bug) = read_section::<H>(base)?;
        let drawn = H::swarm(&base, draw);
        Ok(SwarmedSection {
            section: write_section::<H>(&drawn, bug),
            options: H::options(&drawn),
            replaces_deaf_leader: H::replaces_deaf_leader(&drawn),
        })
    }

    fn with_bug(&self, section: Option<&Value>, name: &str) -> Result<Value, String> {
        let bug = bug_named::<H>(name)?;
        let mut section = section
            .cloned()
            .unwrap_or_else(|| Value::Object(Default::default()));
        match &mut section {
            Value::Object(fields) => {
                fields.insert(BUG_KEY.to_string(), Value::String(bug.name().to_string()));
                Ok(section)
            }
            _ => Err(format!("the {} section must be an object", H::NAME)),
        }
    }
}

/// The broken variant called `name`, or a one-line reason naming those there are.
fn bug_named<H: Hosted>(name: &str) -> Result<H::Bug, String> {
    H::Bug::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = H::Bug::ALL.iter().map(|bug| bug.name()).collect();
        if names.is_empty() {
            format!(
                "unknown bug {name:?}: protocol {} has no broken variants",
                H::NAME
            )
        } else {
            format!(
                "unknown bug {name:?} for protocol {}; valid names: {}",
                H::NAME,
                names.join(", ")
            )
        }
    })
}

/// A section's own fields and its bug, from the file's JSON.
fn read_section<H: Hosted>(
    section: Option<&Value>,
) -> Result<(H::Section, Option<H::Bug>), SectionError> {
    let Some(section) = section else {
        return Ok((H::Section::default(), None));
    };
    let Value::Object(fields) = section else {
        return Err(SectionError::new(
            "",
            format!("must be an object of {} settings", H::NAME),
        ));
    };
    let mut fields = fields.clone();
    let bug = match fields.remove(BUG_KEY) {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => {
            Some(bug_named::<H>(&name).map_err(|reason| SectionError::new(BUG_KEY, reason))?)
        }
        Some(_) => {
            return Err(SectionError::new(
                BUG_KEY,
                "must be the name of a broken variant (a string)",
            ))
        }
    };
    let own = serde_path_to_error::deserialize(Value::Object(fields)).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { String::new() } else { path };
        SectionError::new(field, error.inner().to_string())
    })?;
    Ok((own, bug))
}

/// A section as the file's JSON, with its bug.
fn write_section<H: Hosted>(section: &H::Section, bug: Option<H::Bug>) -> Value {
    let mut value = serde_json::to_value(section).expect("a protocol section serializes");
    if let (Value::Object(fields), Some(bug)) = (&mut value, bug) {
        fields.insert(BUG_KEY.to_string(), Value::String(bug.name().to_string()));
    }
    value
}

struct Configured<H: Hosted> {
    section: H::Section,
    bug: Option<H::Bug>,
    node_count: u16,
    config: H::Config,
}

impl<H: Hosted> fmt::Debug for Configured<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(H::NAME)
            .field("config", &self.config)
            .field("bug", &self.bug)
            .finish()
    }
}

impl<H: Hosted> ConfiguredProtocol for Configured<H> {
    fn name(&self) -> &'static str {
        H::NAME
    }

    fn bug(&self) -> Option<&'static str> {
        self.bug.map(BugVariant::name)
    }

    fn with_bug(&self, name: &str) -> Result<Arc<dyn ConfiguredProtocol>, String> {
        let bug = bug_named::<H>(name)?;
        let config = H::configure(&self.section, Some(bug), self.node_count)
            .map_err(|error| format!("{}: {error}", H::NAME))?;
        Ok(Arc::new(Configured::<H> {
            section: self.section.clone(),
            bug: Some(bug),
            node_count: self.node_count,
            config,
        }))
    }

    fn run(&self, sim: SimConfig, sink: TraceSink) -> RunReport {
        Simulator::<H>::new(sim, self.config.clone(), sink).run()
    }

    fn run_recorded(
        &self,
        sim: SimConfig,
        sink: TraceSink,
        retention: Retention,
    ) -> (RunReport, Recording) {
        Simulator::<H>::new(sim, self.config.clone(), sink).run_recorded(retention)
    }
}
