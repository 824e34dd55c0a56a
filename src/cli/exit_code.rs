//! Exit codes of the `quorumsim` binary.

/// The run passed: every invariant held and every expectation was met.
pub const PASS: u8 = 0;
/// The run failed: an invariant broke, an expectation was not met, a node panicked, or a
/// hard limit was reached.
pub const FAILED: u8 = 1;
/// Bad input: a scenario file or argument that cannot be used. Nothing was run.
pub const BAD_INPUT: u8 = 2;
/// A bug in quorumsim itself (never bad input, never a protocol's fault): one line on stderr.
pub const INTERNAL: u8 = 3;
