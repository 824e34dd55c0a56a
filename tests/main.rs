//! One integration-test binary (faster to build than one per file); each module is a topic.

mod bench;
mod bug_detection;
mod bugs;
mod campaign_footprint;
mod cli;
mod deploy;
mod deploy_emulation;
mod determinism;
mod experiment;
mod experiment_paper_setup;
mod faults;
mod fle;
mod fle_bug_detection;
mod fle_stream;
mod fuzz;
mod fuzz_report;
mod hosted_protocol;
mod layering;
mod paranoid;
mod robustness;
mod scenarios;
mod support;
mod time_models;
mod user_protocol;
mod viz;
mod vote_on_pending_write;
