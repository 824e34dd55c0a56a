//! The `quorumsim` binary: parse arguments, hand over to `app::run`, exit with its code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    quorumsim::sim::panic::install_quiet_hook();
    let cli = quorumsim::cli::Cli::parse();
    ExitCode::from(quorumsim::app::run(cli))
}
