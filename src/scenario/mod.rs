//! Scenario files: JSON on disk ([`file::ScenarioFile`]) validated into a typed [`Scenario`].
//!
//! Errors are one line, naming the file, the field (as a path such as `faults[2].node`) and the
//! reason, so a user can fix the file without reading code.

pub mod file;
mod validate;

use std::fmt;
use std::path::Path;

use std::sync::Arc;

use crate::registry::{ConfiguredProtocol, Registry};
use crate::sim::SimConfig;
pub use file::ScenarioFile;

/// A validated scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The protocol the file names, configured by its section.
    pub protocol: Arc<dyn ConfiguredProtocol>,
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

/// Names the deliberately broken variant `name` in the protocol section of a raw scenario
/// file (creating the section if the file has none), replacing any it named: what `--bug`
/// does to a fuzz campaign's base, so every generated run and every written failure carries it.
pub fn set_file_bug(
    registry: &Registry,
    file: &mut ScenarioFile,
    name: &str,
) -> Result<(), String> {
    let entry = registry.lookup(&file.protocol)?;
    let section = entry.with_bug(file.section(), name)?;
    file.set_section(section);
    Ok(())
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

/// Reads, parses and validates the scenario at `path`, for a protocol `registry` knows.
pub fn load(registry: &Registry, path: &Path) -> Result<Scenario, ScenarioError> {
    let file_name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| ScenarioError {
        file: file_name.clone(),
        field: String::new(),
        reason: format!("cannot read: {error}"),
    })?;
    parse(registry, &file_name, &text)
}

/// Parses and validates scenario text; `file_name` is only used in errors.
pub fn parse(registry: &Registry, file_name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let raw = parse_file(registry, file_name, text)?;
    validate::validate(registry, &raw).map_err(|(field, reason)| ScenarioError {
        file: file_name.to_string(),
        field,
        reason,
    })
}

/// Validates a raw scenario built in memory (a generated or shrunk one); `file_name` is only
/// used in errors.
pub fn from_file(
    registry: &Registry,
    file_name: &str,
    raw: &ScenarioFile,
) -> Result<Scenario, ScenarioError> {
    validate::validate(registry, raw).map_err(|(field, reason)| ScenarioError {
        file: file_name.to_string(),
        field,
        reason,
    })
}

/// Parses scenario text into its raw shape, without validating values: a file whose protocol
/// `registry` does not know, or with a key that is neither a field nor that protocol's
/// section, is an error here as a malformed one is.
pub fn parse_file(
    registry: &Registry,
    file_name: &str,
    text: &str,
) -> Result<ScenarioFile, ScenarioError> {
    check_version(file_name, text)?;
    check_keys(registry, file_name, text)?;
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
    registry
        .lookup(&raw.protocol)
        .map_err(|reason| ScenarioError {
            file: file_name.to_string(),
            field: "protocol".to_string(),
            reason,
        })?;
    Ok(raw)
}

/// The file's keys, read before its full shape: a misspelt field lands among the protocol
/// sections (the one key the shape does not list), so it is reported here as unknown, before
/// the full parse would report the field it misspells as missing. Anything that is not a JSON
/// object with a string `protocol` is left to the full parse.
fn check_keys(registry: &Registry, file_name: &str, text: &str) -> Result<(), ScenarioError> {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(text) else {
        return Ok(());
    };
    let Some(serde_json::Value::String(protocol)) = fields.get("protocol") else {
        return Ok(());
    };
    let others = fields
        .keys()
        .map(String::as_str)
        .filter(|key| !file::KEYS.contains(key));
    file::check_section_keys(protocol, others, &registry.names()).map_err(|(field, reason)| {
        ScenarioError {
            file: file_name.to_string(),
            field,
            reason,
        }
    })
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
