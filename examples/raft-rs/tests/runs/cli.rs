//! This crate's binary is the whole `quorumsim` command line with raft-rs beside Raft and
//! FLE: a campaign finds a misuse variant, writes the failure as a scenario file naming
//! raft-rs and the bug, and the file replays byte for byte through the same binary.

use std::process::{Command, Output};

use crate::{crate_path, fresh_dir};

fn quorumsim_raft_rs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quorumsim-raft-rs"))
        .current_dir(crate_path(""))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_campaign_failure_replays_byte_for_byte_through_the_binary() {
    let out = fresh_dir("cli-ignore-light-ready");
    let out_arg = out.to_str().expect("a UTF-8 path");
    let fuzzed = quorumsim_raft_rs(&[
        "fuzz",
        "--protocol",
        "raft-rs",
        "--bug",
        "ignore-light-ready",
        "--seeds",
        "4",
        "--jobs",
        "2",
        "--out",
        out_arg,
        "--json",
    ]);
    assert_eq!(fuzzed.status.code(), Some(1), "{}", text(&fuzzed.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&fuzzed.stdout).expect("JSON");
    assert_eq!(summary["protocol"], "raft-rs");
    let failure = &summary["failing_seeds"][0];
    let path = out.join(failure["file"].as_str().expect("a file name"));
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("written")).expect("JSON");
    assert_eq!(file["protocol"], "raft-rs");
    assert_eq!(file["raft-rs"]["bug"], "ignore-light-ready");
    assert_eq!(file["expect"]["trace_hash"], failure["trace_hash"]);

    let path_arg = path.to_str().expect("a UTF-8 path");
    let replayed = quorumsim_raft_rs(&["replay", path_arg]);
    let stdout = text(&replayed.stdout);
    assert_eq!(
        replayed.status.code(),
        Some(0),
        "{stdout}{}",
        text(&replayed.stderr)
    );
    assert!(
        stdout.contains("reproduced: the run ends as the file records"),
        "{stdout}"
    );
    let hash = failure["trace_hash"].as_str().expect("a hash");
    assert!(stdout.contains(&format!("trace-hash: {hash}")), "{stdout}");
    let twice = quorumsim_raft_rs(&["replay", path_arg, "--check-determinism"]);
    assert_eq!(twice.status.code(), Some(0), "{}", text(&twice.stdout));
}

#[test]
fn the_binary_knows_every_protocol_and_names_the_misuse_variants() {
    let out = fresh_dir("cli-unknown");
    let refused = quorumsim_raft_rs(&[
        "fuzz",
        "--protocol",
        "raft-rs",
        "--bug",
        "forget-everything",
        "--seeds",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = text(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for bug in [
        "send-before-persist",
        "apply-before-commit",
        "entries-without-hard-state",
        "ignore-light-ready",
    ] {
        assert!(stderr.contains(bug), "{stderr}");
    }
    let raft = quorumsim_raft_rs(&["run", "../../scenarios/raft/leader-crash.json"]);
    assert_eq!(raft.status.code(), Some(0), "{}", text(&raft.stderr));
    let raft_rs = quorumsim_raft_rs(&["run", "scenarios/leader-crash.json"]);
    assert_eq!(raft_rs.status.code(), Some(0), "{}", text(&raft_rs.stdout));
}
