//! The `quorumsim` command line with Viewstamped Replication beside the built-in protocols.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
