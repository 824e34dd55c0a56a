//! Scenario files: JSON on disk ([`file::ScenarioFile`]) validated into a typed [`Scenario`].
//!
//! Errors are one line, naming the file, the field (as a path such as `faults[2].node`) and the
//! reason, so a user can fix the file without reading code.

pub mod file;
mod validate;

use std::fmt;
use std::path::Path;

use crate::fle::{FleBug, FleConfig};
use crate::raft::{RaftBug, RaftConfig};
use crate::sim::SimConfig;
pub use file::ScenarioFile;

/// A validated scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub protocol: ProtocolConfig,
    /// Engine settings; `sim.seed` is the scenario's own seed.
    pub sim: SimConfig,
    /// How the run must end, for regression files; empty for an ordinary scenario.
    pub expected_end: ExpectedEnd,
}

/// What a regression file says its run must end in (`expect.violation`,
/// `expect.trace_hash`). A run that ends exactly so passes; see [`crate::run::judge`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpectedEnd {
    /// An invariant's name, or an outcome kind other than `pass`.
    pub failure: Option<String>,
    pub trace_hash: Option<u64>,
}

impl ExpectedEnd {
    pub fn is_empty(&self) -> bool {
        self.failure.is_none() && self.trace_hash.is_none()
    }
}

/// Which protocol a scenario runs, with its configuration.
#[derive(Clone, Debug)]
pub enum ProtocolConfig {
    Raft(RaftConfig),
    Fle(FleConfig),
}

impl ProtocolConfig {
    pub fn name(&self) -> &'static str {
        match self {
            ProtocolConfig::Raft(_) => "raft",
            ProtocolConfig::Fle(_) => "fle",
        }
    }

    /// Switches on the deliberately broken variant called `name`, replacing any the scenario
    /// named. The error is one line naming the valid bugs of this protocol.
    pub fn set_bug(&mut self, name: &str) -> Result<(), String> {
        match self {
            ProtocolConfig::Raft(config) => config.bug = Some(raft_bug(name)?),
            ProtocolConfig::Fle(config) => config.bug = Some(fle_bug(name)?),
        }
        Ok(())
    }

    /// The name of the deliberately broken variant this configuration runs, if any.
    pub fn bug_name(&self) -> Option<&'static str> {
        match self {
            ProtocolConfig::Raft(config) => config.bug.map(RaftBug::name),
            ProtocolConfig::Fle(config) => config.bug.map(FleBug::name),
        }
    }
}

/// Names the deliberately broken variant `name` in the protocol section of a raw scenario
/// file (creating the section if the file has none), replacing any it named: what `--bug`
/// does to a fuzz campaign's base, so every generated run and every written failure carries it.
pub fn set_file_bug(file: &mut ScenarioFile, name: &str) -> Result<(), String> {
    match file.protocol {
        file::ProtocolName::Raft => {
            let bug = raft_bug(name)?;
            file.raft.get_or_insert_with(Default::default).bug = Some(bug.name().to_string());
        }
        file::ProtocolName::Fle => {
            let bug = fle_bug(name)?;
            file.fle.get_or_insert_with(Default::default).bug = Some(bug.name().to_string());
        }
    }
    Ok(())
}

fn raft_bug(name: &str) -> Result<RaftBug, String> {
    RaftBug::from_name(name).ok_or_else(|| {
        format!(
            "unknown bug {name:?} for protocol raft; valid names: {}",
            RaftBug::names()
        )
    })
}

fn fle_bug(name: &str) -> Result<FleBug, String> {
    FleBug::from_name(name).ok_or_else(|| {
        format!(
            "unknown bug {name:?} for protocol fle; valid names: {}",
            FleBug::names()
        )
    })
}

/// Why a scenario cannot be used. `Display` is one line: `file: field: reason`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    /// Dotted path to the offending field; empty when the problem is not one field's.
    pub field: String,
    pub reason: String,
}

impl fmt::Display for ScenarioError {
    /// Control characters in any part (say, a newline inside an unknown key that serde quotes
    /// back) are escaped, so the message stays one line whatever the file contains.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = one_line(&self.file);
        let reason = one_line(&self.reason);
        if self.field.is_empty() {
            write!(f, "{file}: {reason}")
        } else {
            write!(f, "{file}: field `{}`: {reason}", one_line(&self.field))
        }
    }
}

/// `text` with control characters (and the Unicode line and paragraph separators) written as
/// Rust escapes (`\n`, `\r`, `\u{1b}`, …), everything else unchanged: safe to print as one line.
pub fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            line.extend(c.escape_debug());
        } else {
            line.push(c);
        }
    }
    line
}

impl std::error::Error for ScenarioError {}

/// Reads, parses and validates the scenario at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file_name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| ScenarioError {
        file: file_name.clone(),
        field: String::new(),
        reason: format!("cannot read: {error}"),
    })?;
    parse(&file_name, &text)
}

/// Parses and validates scenario text; `file_name` is only used in errors.
pub fn parse(file_name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let raw = parse_file(file_name, text)?;
    validate::validate(&raw).map_err(|(field, reason)| ScenarioError {
        file: file_name.to_string(),
        field,
        reason,
    })
}

/// Validates a raw scenario built in memory (a generated or shrunk one); `file_name` is only
/// used in errors.
pub fn from_file(file_name: &str, raw: &ScenarioFile) -> Result<Scenario, ScenarioError> {
    validate::validate(raw).map_err(|(field, reason)| ScenarioError {
        file: file_name.to_string(),
        field,
        reason,
    })
}

/// Parses scenario text into its raw shape, without validation.
pub fn parse_file(file_name: &str, text: &str) -> Result<ScenarioFile, ScenarioError> {
    check_version(file_name, text)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let raw: ScenarioFile =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let field = if path == "." { String::new() } else { path };
            ScenarioError {
                file: file_name.to_string(),
                field,
                reason: describe_json_error(error.inner()),
            }
        })?;
    // Trailing text after the object is a malformed file, not something to ignore.
    deserializer.end().map_err(|error| ScenarioError {
        file: file_name.to_string(),
        field: String::new(),
        reason: describe_json_error(&error),
    })?;
    Ok(raw)
}

/// Only the version, read before the full shape: a file written for another version may have
/// fields this build does not know, and "unsupported version" is then the useful error, not
/// "unknown field". Other fields are ignored (no `deny_unknown_fields`).
#[derive(serde::Deserialize)]
struct VersionProbe {
    version: Option<u64>,
}

/// Rejects valid JSON whose top-level object has an integer `version` other than
/// [`file::VERSION`]. Anything else (malformed text, no version, a version of the wrong type)
/// is left for the full parse to report in its own terms.
fn check_version(file_name: &str, text: &str) -> Result<(), ScenarioError> {
    // Only objects: serde would also read a struct from an array such as `[2]`.
    if !text.trim_start().starts_with('{') {
        return Ok(());
    }
    match serde_json::from_str::<VersionProbe>(text) {
        Ok(VersionProbe {
            version: Some(version),
        }) if version != u64::from(file::VERSION) => Err(ScenarioError {
            file: file_name.to_string(),
            field: "version".to_string(),
            reason: format!(
                "unsupported version {version}; this build reads version {}",
                file::VERSION
            ),
        }),
        _ => Ok(()),
    }
}

/// serde_json's message, with "at line L column C" kept but made to read as one clause.
fn describe_json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match error.classify() {
        serde_json::error::Category::Eof => {
            format!(
                "file ends early (line {} column {})",
                error.line(),
                error.column()
            )
        }
        _ => message,
    }
}

#[cfg(test)]
mod tests;
