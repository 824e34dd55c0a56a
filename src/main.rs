//! The `quorumsim` binary: parse arguments, hand over to `app::run`, exit with its code.

use std::io::Write;
use std::panic::{catch_unwind, UnwindSafe};
use std::process::ExitCode;

use clap::Parser;
use quorumsim::{app, cli::Cli, exit_code, heap, scenario, sim::panic};

fn main() -> ExitCode {
    panic::install_quiet_hook();
    heap::keep_freed_memory();
    let code = guarded(|| match Cli::try_parse() {
        Ok(cli) => app::run(cli),
        Err(error) => app::arguments_error(&error),
    })
    .unwrap_or_else(|line| {
        // Not `eprintln!`: it panics if stderr is gone, and nothing would catch that one.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
        exit_code::INTERNAL
    });
    ExitCode::from(code)
}

/// Runs `body`. A panic that escapes it (a bug in quorumsim, never bad input) becomes `Err`
/// with the one line to print, `error: internal error: <message> (at file:line)`, instead of a
/// panic report. Needs [`panic::install_quiet_hook`] for the location and for silence.
fn guarded(body: impl FnOnce() -> u8 + UnwindSafe) -> Result<u8, String> {
    catch_unwind(body).map_err(|payload| {
        format!(
            "error: internal error: {}",
            scenario::one_line(&panic::describe(&*payload))
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_one_line_naming_the_message_and_place() {
        panic::install_quiet_hook();
        let line = guarded(|| panic!("boom\nsecond\rthird")).unwrap_err();
        let prefix = r"error: internal error: boom second\rthird (at src/main.rs:";
        assert!(line.starts_with(prefix), "{line}");
        assert!(line.ends_with(')'), "{line}");
        assert!(!line.chars().any(char::is_control), "{line:?}");
        let line = guarded(|| std::panic::panic_any(7_u32)).unwrap_err();
        assert!(
            line.starts_with("error: internal error: non-text panic payload (at "),
            "{line}"
        );
    }

    #[test]
    fn without_a_panic_the_exit_code_passes_through() {
        assert_eq!(guarded(|| exit_code::BAD_INPUT), Ok(exit_code::BAD_INPUT));
        assert_eq!(guarded(|| exit_code::PASS), Ok(exit_code::PASS));
    }
}
