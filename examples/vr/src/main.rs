//! The `quorumsim` command line with Viewstamped Replication beside the built-in protocols:
//! `quorumsim-vr fuzz --protocol vr --seeds 2000`, `quorumsim-vr run scenario.json`,
//! `quorumsim-vr replay failure.json`, and every other command, for all three.

use std::process::ExitCode;

use quorumsim::registry::Registry;
use quorumsim_vr::VrReplica;

fn main() -> ExitCode {
    quorumsim::cli::main(Registry::builtin().with::<VrReplica>())
}
