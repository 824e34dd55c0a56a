//! The `quorumsim` command line with raft-rs beside the built-in protocols:
//! `quorumsim-raft-rs fuzz --protocol raft-rs --seeds 2000`, `quorumsim-raft-rs run
//! scenario.json`, `quorumsim-raft-rs replay failure.json`, and every other command.

use std::process::ExitCode;

use quorumsim::registry::Registry;
use quorumsim_raft_rs::RaftRsNode;

fn main() -> ExitCode {
    quorumsim::cli::main(Registry::builtin().with::<RaftRsNode>())
}
