//! The `quorumsim` binary: parse arguments, hand over to `app::run`, exit with its code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    quorumsim::sim::panic::install_quiet_hook();
    let code = match quorumsim::cli::Cli::try_parse() {
        Ok(cli) => quorumsim::app::run(cli),
        Err(error) => quorumsim::app::arguments_error(&error),
    };
    ExitCode::from(code)
}
