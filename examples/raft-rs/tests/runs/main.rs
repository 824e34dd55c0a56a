//! raft-rs through quorumsim's whole toolchain, as a user's protocol gets it from the
//! registry: the generic swarm's campaigns (correct use passes, every misuse variant is
//! caught as a named failure within a stated seed budget), determinism across runs and
//! processes, the bundled scenarios, and the command line of this crate's binary.

mod campaigns;
mod cli;
mod determinism;
mod regressions;
mod scenarios;

use std::path::{Path, PathBuf};

use quorumsim::fuzz::{self, Choices};
use quorumsim::registry::Registry;
use quorumsim::scenario::{self, ScenarioFile};
use quorumsim_raft_rs::RaftRsNode;

/// The protocols this crate's binary knows.
pub fn registry() -> Registry {
    Registry::builtin().with::<RaftRsNode>()
}

/// A file of this crate, by its path relative to the crate.
pub fn crate_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The bundled fuzz base, running `bug` when one is named.
pub fn fuzz_base(bug: Option<&str>) -> ScenarioFile {
    let registry = registry();
    let bundled = fuzz::default_base(&registry, "raft-rs").expect("raft-rs bundles a fuzz base");
    let base = scenario::parse_file(&registry, bundled.path, bundled.text).expect("it parses");
    let choices = Choices {
        protocol: Some("raft-rs".to_string()),
        bug: bug.map(str::to_string),
    };
    fuzz::apply_choices(&registry, base, &choices).expect("the choices apply")
}

/// A fresh, empty folder under the target directory.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("raft-rs")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}
