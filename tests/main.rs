//! One integration-test binary (faster to build than one per file); each module is a topic.

mod bugs;
mod cli;
mod determinism;
mod faults;
mod paranoid;
mod robustness;
mod scenarios;
mod support;
mod user_protocol;
