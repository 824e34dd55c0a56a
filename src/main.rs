//! The `quorumsim` binary: the command line with the built-in protocols.

use std::process::ExitCode;

use quorumsim::registry::Registry;

fn main() -> ExitCode {
    quorumsim::cli::main(Registry::builtin())
}
