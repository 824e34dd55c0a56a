//! One integration-test binary (faster to build than one per file); each module is a topic.

mod bench;
mod bugs;
mod cli;
mod determinism;
mod experiment;
mod faults;
mod fle;
mod fuzz;
mod fuzz_report;
mod paranoid;
mod robustness;
mod scenarios;
mod support;
mod user_protocol;
mod viz;
