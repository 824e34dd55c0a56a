//! The Indexed Job of deploy/k8s/campaign-job.yaml, emulated here with the real binary: its
//! script runs once per index, as each pod would, in a process group of its own with
//! `JOB_COMPLETION_INDEX` set (a small seed range, and the results volume a scratch folder).
//! One shard is killed with SIGKILL mid-way, its whole group at once as a container is, and
//! its script runs again as `restartPolicy: OnFailure` restarts the container. The merge
//! Job's script then merges the shard folders, and the merged summary must equal the summary
//! of the same script run as one shard of one.

use std::collections::BTreeMap;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use quorumsim::fuzz::ledger::{LEDGER_FILE, SUMMARY_FILE};
use quorumsim::fuzz::CampaignSummary;

use crate::deploy::{container, environment, manifest, pod_spec, run_script, script};
use crate::fuzz::fresh_dir;

/// Fewer shards than the manifest's, and seeds enough that a shard is still running well
/// after its first checkpoint (every 1024 seeds, or every second).
const SHARDS: u64 = 2;
const SEEDS: u64 = 3_000;

/// A pod of `manifest`'s container: its script with its environment, `overrides` on top.
struct Pod {
    script: String,
    env: BTreeMap<String, String>,
}

impl Pod {
    fn new(relative: &str, overrides: &[(&str, String)]) -> Pod {
        let document = manifest(relative);
        let container = container(pod_spec(&document));
        let mut env = environment(container, &BTreeMap::new());
        env.extend(
            overrides
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone())),
        );
        Pod {
            script: script(container),
            env,
        }
    }

    /// Starts the container for `index`, as the leader of a new process group; what it
    /// prints goes to its log in `cwd`, as a container's does.
    fn start(&self, index: u64, cwd: &Path) -> Child {
        let bin = Path::new(env!("CARGO_BIN_EXE_quorumsim")).parent().unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path(index, cwd))
            .unwrap();
        run_script(&self.script, &self.env, bin, cwd)
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("sh starts")
    }

    /// Runs the container for `index` to its end; it must succeed.
    fn run(&self, index: u64, cwd: &Path) {
        let status = self.start(index, cwd).wait().unwrap();
        assert_succeeded(status, index, cwd);
    }
}

fn log_path(index: u64, cwd: &Path) -> std::path::PathBuf {
    cwd.join(format!("pod-{index}.log"))
}

fn assert_succeeded(status: std::process::ExitStatus, index: u64, cwd: &Path) {
    let log = std::fs::read_to_string(log_path(index, cwd)).unwrap_or_default();
    assert!(status.success(), "index {index}: {status}\n{log}");
}

/// SIGKILL to every process of the group `leader` leads, as a container is killed.
fn kill_group(leader: &Child) {
    let status = std::process::Command::new("sh")
        .args(["-c", "kill -KILL -\"$1\"", "sh"])
        .arg(leader.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits until the ledger in `folder` holds a checkpoint past its first seeds, while `pod`
/// still runs.
fn wait_for_a_checkpoint(pod: &mut Child, folder: &Path) {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(folder.join(LEDGER_FILE)).unwrap_or_default();
        let first = text.lines().next().unwrap_or("");
        let taken = serde_json::from_str::<serde_json::Value>(first)
            .ok()
            .and_then(|line| line["checkpoint"]["seeds_taken"].as_u64());
        if taken.is_some_and(|taken| taken > 0) {
            return;
        }
        if let Some(status) = pod.try_wait().unwrap() {
            panic!("the shard ended ({status}) before its first checkpoint; raise SEEDS");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no checkpoint"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn summary(path: &Path) -> CampaignSummary {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_indexed_job_survives_a_killed_shard_and_merges_into_the_unsharded_campaign() {
    let results = fresh_dir("emulated-job");
    let cwd = fresh_dir("emulated-job-cwd");
    let campaign = |shards: u64, results: &Path| {
        Pod::new(
            "deploy/k8s/campaign-job.yaml",
            &[
                ("SEEDS", SEEDS.to_string()),
                ("SEED_START", "7".to_string()),
                ("SHARDS", shards.to_string()),
                ("RESULTS_DIR", results.display().to_string()),
            ],
        )
    };
    let job = campaign(SHARDS, &results);
    let mut pods: Vec<Child> = (0..SHARDS).map(|index| job.start(index, &cwd)).collect();
    let victim = 1;
    let folder = results.join(format!("shard-{victim}"));
    wait_for_a_checkpoint(&mut pods[victim as usize], &folder);
    kill_group(&pods[victim as usize]);
    let killed = pods[victim as usize].wait().unwrap();
    assert_eq!(killed.signal(), Some(9), "{killed}");
    assert!(!folder.join(SUMMARY_FILE).exists(), "killed mid-way");
    // The kubelet restarts the container: the same script, the same index.
    job.run(victim, &cwd);
    for (index, pod) in pods.iter_mut().enumerate() {
        if index as u64 != victim {
            assert_succeeded(pod.wait().unwrap(), index as u64, &cwd);
        }
    }

    let merge = Pod::new(
        "deploy/k8s/merge-job.yaml",
        &[("RESULTS_DIR", results.display().to_string())],
    );
    merge.run(0, &fresh_dir("emulated-job-merge"));
    let merged = summary(&results.join(SUMMARY_FILE));
    let whole_results = fresh_dir("emulated-job-whole");
    campaign(1, &whole_results).run(0, &fresh_dir("emulated-job-whole-cwd"));
    let whole = summary(&whole_results.join("shard-0").join(SUMMARY_FILE));
    assert_eq!(merged.without_timing(), whole.without_timing());
    assert_eq!((merged.seeds_run, merged.shard_count), (SEEDS, 1));
}
