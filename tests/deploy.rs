//! The files in deploy/ stay true to the command line. Every Kubernetes manifest and the CI
//! workflow is read as YAML; the scripts their containers and steps run are run by `sh`, with
//! the environment the manifest gives them and a stand-in `quorumsim` that records its
//! arguments; each recorded command line must parse with quorumsim's own parser (an unknown
//! flag fails here), and then say what the manifest around it promises: one shard per index,
//! `--jobs` as many as the cores requested, `--resume` where pods restart, a seed range that
//! advances with the night. The Dockerfile's toolchain and user are checked against the crate
//! and the manifests. (`kubernetes-validate --strict`, run by `.ci/run`, checks the manifests
//! against Kubernetes' own schemas.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use quorumsim::cli::{self, Cli, FuzzArgs, MergeArgs};
use quorumsim::registry::Registry;
use serde::Deserialize;
use serde_norway::Value;

use crate::fuzz::fresh_dir;
use crate::support::repo_path;

/// Every YAML document of a file under deploy/.
pub(crate) fn documents(relative: &str) -> Vec<Value> {
    let path = repo_path(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
    serde_norway::Deserializer::from_str(&text)
        .map(|document| {
            Value::deserialize(document).unwrap_or_else(|e| panic!("{relative}: not YAML: {e}"))
        })
        .collect()
}

/// The one document of a manifest.
pub(crate) fn manifest(relative: &str) -> Value {
    let mut all = documents(relative);
    assert_eq!(all.len(), 1, "{relative}: one document");
    all.remove(0)
}

/// `value` at a dotted path of keys; panics naming the path when it is missing.
pub(crate) fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(value, |value, key| {
        value
            .get(key)
            .unwrap_or_else(|| panic!("no `{path}` (at `{key}`)"))
    })
}

pub(crate) fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value:?}"))
}

pub(crate) fn number(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not a number: {value:?}"))
}

/// The pod spec of a Job or of a CronJob's Jobs.
pub(crate) fn pod_spec(document: &Value) -> &Value {
    match text(at(document, "kind")) {
        "Job" => at(document, "spec.template.spec"),
        "CronJob" => at(document, "spec.jobTemplate.spec.template.spec"),
        other => panic!("no pods in a {other}"),
    }
}

/// The only container of a pod spec.
pub(crate) fn container(pod: &Value) -> &Value {
    let containers = at(pod, "containers").as_sequence().expect("a list");
    assert_eq!(containers.len(), 1, "one container");
    &containers[0]
}

/// The shell script a container runs (`command: ["/bin/sh", "-c"]`, the script as its one
/// argument).
pub(crate) fn script(container: &Value) -> String {
    let command: Vec<&str> = (at(container, "command")
        .as_sequence()
        .expect("a list")
        .iter())
    .map(text)
    .collect();
    assert_eq!(command, ["/bin/sh", "-c"]);
    let args = at(container, "args").as_sequence().expect("a list");
    assert_eq!(args.len(), 1, "the script is the one argument");
    text(&args[0]).to_string()
}

/// A container's environment: plain values as written, and the downward-API fields this
/// test knows given by `fields` (field path to value).
pub(crate) fn environment(
    container: &Value,
    fields: &BTreeMap<&str, String>,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for variable in at(container, "env").as_sequence().expect("a list") {
        let name = text(at(variable, "name")).to_string();
        let value = match variable.get("value") {
            Some(value) => text(value).to_string(),
            None => {
                let field = text(at(variable, "valueFrom.fieldRef.fieldPath"));
                (fields.get(field).cloned()).unwrap_or_else(|| panic!("{name}: field {field}"))
            }
        };
        env.insert(name, value);
    }
    env
}

/// Where the container mounts the results volume.
pub(crate) fn results_mount(container: &Value) -> String {
    let mounts = at(container, "volumeMounts").as_sequence().expect("a list");
    let mount = (mounts.iter())
        .find(|mount| text(at(mount, "name")) == "results")
        .expect("the results volume is mounted");
    text(at(mount, "mountPath")).to_string()
}

/// A folder with a stand-in `quorumsim`: it writes its arguments, NUL-terminated, to a new
/// file in `$QUORUMSIM_ARGV_DIR` and exits with `$QUORUMSIM_EXIT` (default 0).
fn stand_in(name: &str) -> PathBuf {
    let dir = fresh_dir(&format!("deploy-{name}"));
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let program = bin.join("quorumsim");
    std::fs::write(
        &program,
        "#!/bin/sh\nlog=$(mktemp \"$QUORUMSIM_ARGV_DIR/argv.XXXXXX\")\n\
         for argument in \"$@\"; do printf '%s\\0' \"$argument\"; done > \"$log\"\n\
         exit \"${QUORUMSIM_EXIT:-0}\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Runs `script` under `sh` in `cwd` with only `env` and a PATH that finds `bin` first.
pub(crate) fn run_script(
    script: &str,
    env: &BTreeMap<String, String>,
    bin: &Path,
    cwd: &Path,
) -> Command {
    std::fs::create_dir_all(cwd).unwrap();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .env_clear()
        .envs(env)
        .env(
            "PATH",
            format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display()),
        );
    command
}

/// The script run with the stand-in: its output and the command lines it gave quorumsim.
fn record(script: &str, env: &BTreeMap<String, String>, cwd: &Path) -> (Output, Vec<Cli>) {
    let dir = stand_in(&cwd.file_name().unwrap().to_string_lossy());
    let argv_dir = dir.join("argv");
    std::fs::create_dir_all(&argv_dir).unwrap();
    let output = run_script(script, env, &dir.join("bin"), cwd)
        .env("QUORUMSIM_ARGV_DIR", &argv_dir)
        .output()
        .expect("sh runs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&argv_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let commands = files
        .iter()
        .map(|file| {
            let bytes = std::fs::read(file).unwrap();
            let mut argv = vec!["quorumsim".to_string()];
            argv.extend(
                (bytes
                    .split(|&byte| byte == 0)
                    .filter(|part| !part.is_empty()))
                .map(|part| String::from_utf8(part.to_vec()).unwrap()),
            );
            cli::parse(&Registry::builtin(), &argv)
                .unwrap_or_else(|error| panic!("{argv:?}: {}", cli::argument_error_line(&error)))
        })
        .collect();
    (output, commands)
}

/// The one command line the script ran, after checking the script ended well.
fn only(output: &Output, mut commands: Vec<Cli>, context: &str) -> Cli {
    assert!(
        output.status.success(),
        "{context}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(commands.len(), 1, "{context}: one quorumsim command");
    commands.remove(0)
}

fn fuzz_args(cli: Cli) -> FuzzArgs {
    match cli.command {
        cli::Command::Fuzz(args) => args,
        other => panic!("expected fuzz, got {other:?}"),
    }
}

fn merge_args(cli: Cli) -> MergeArgs {
    match cli.command {
        cli::Command::Merge(args) => args,
        other => panic!("expected merge, got {other:?}"),
    }
}

fn env_number(env: &BTreeMap<String, String>, name: &str) -> u64 {
    env[name]
        .parse()
        .unwrap_or_else(|_| panic!("{name}: a number"))
}

/// `--time-budget` in seconds.
fn budget_s(args: &FuzzArgs) -> u64 {
    args.time_budget.expect("a time budget").as_secs()
}

/// The container's CPU request and limit, as whole cores, which `--jobs` must match.
fn cores(container: &Value) -> (u64, u64) {
    let cpu = |path: &str| {
        text(at(container, path))
            .parse::<u64>()
            .expect("whole cores")
    };
    (cpu("resources.requests.cpu"), cpu("resources.limits.cpu"))
}

/// Pod security every manifest keeps: the image's non-root user, no privilege escalation.
fn assert_locked_down(pod: &Value, container: &Value) {
    assert_eq!(
        at(pod, "securityContext.runAsNonRoot").as_bool(),
        Some(true)
    );
    assert_eq!(number(at(pod, "securityContext.runAsUser")), IMAGE_USER);
    let privileged = at(container, "securityContext.allowPrivilegeEscalation");
    assert_eq!(privileged.as_bool(), Some(false));
}

/// The user the Dockerfile runs as.
const IMAGE_USER: u64 = 10001;

#[test]
fn the_indexed_job_runs_one_resumable_shard_per_index() {
    let job = manifest("deploy/k8s/campaign-job.yaml");
    let spec = at(&job, "spec");
    assert_eq!(text(at(spec, "completionMode")), "Indexed");
    let completions = number(at(spec, "completions"));
    assert_eq!(number(at(spec, "parallelism")), completions);
    assert!(number(at(spec, "backoffLimit")) >= completions);
    let pod = pod_spec(&job);
    assert_eq!(text(at(pod, "restartPolicy")), "OnFailure");
    let container = container(pod);
    assert_locked_down(pod, container);
    let env = environment(container, &BTreeMap::new());
    assert_eq!(env_number(&env, "SHARDS"), completions);
    let mount = results_mount(container);
    assert_eq!(env["RESULTS_DIR"], mount);
    let script = script(container);
    let mut outs = Vec::new();
    for index in 0..completions {
        let mut env = env.clone();
        env.insert("JOB_COMPLETION_INDEX".to_string(), index.to_string());
        let cwd = fresh_dir(&format!("deploy-indexed-{index}"));
        let (output, commands) = record(&script, &env, &cwd);
        let args = fuzz_args(only(&output, commands, "indexed job"));
        let shard = args.shard.expect("--shard");
        assert_eq!((shard.index, shard.count), (index + 1, completions));
        assert_eq!(args.seeds, env_number(&env, "SEEDS"));
        assert_eq!(args.start, env_number(&env, "SEED_START"));
        assert!(args.resume, "a restarted pod continues its shard");
        let jobs = args.jobs.expect("--jobs") as u64;
        assert_eq!(cores(container), (jobs, jobs), "a core per worker");
        assert!(number(at(spec, "activeDeadlineSeconds")) > budget_s(&args));
        assert!(args.out.starts_with(&mount), "{}", args.out.display());
        outs.push(args.out);
    }
    outs.dedup();
    assert_eq!(outs.len() as u64, completions, "a folder per shard");
}

#[test]
fn a_shard_that_found_failures_completes_and_bad_input_fails_the_pod() {
    let job = manifest("deploy/k8s/campaign-job.yaml");
    let container = container(pod_spec(&job));
    let mut env = environment(container, &BTreeMap::new());
    env.insert("JOB_COMPLETION_INDEX".to_string(), "0".to_string());
    for (quorumsim_exit, pod_exit) in [(0, 0), (1, 0), (2, 2), (3, 3)] {
        env.insert("QUORUMSIM_EXIT".to_string(), quorumsim_exit.to_string());
        let cwd = fresh_dir(&format!("deploy-exit-{quorumsim_exit}"));
        let (output, _) = record(&script(container), &env, &cwd);
        assert_eq!(
            output.status.code(),
            Some(pod_exit),
            "quorumsim {quorumsim_exit}"
        );
    }
}

#[test]
fn the_merge_job_merges_every_shard_folder_with_a_report() {
    let campaign = manifest("deploy/k8s/campaign-job.yaml");
    let completions = number(at(&campaign, "spec.completions"));
    let job = manifest("deploy/k8s/merge-job.yaml");
    let pod = pod_spec(&job);
    let container = container(pod);
    assert_locked_down(pod, container);
    let rules = at(&job, "spec.podFailurePolicy.rules")
        .as_sequence()
        .unwrap();
    assert_eq!(text(at(&rules[0], "onExitCodes.containerName")), "merge");
    let mut env = environment(container, &BTreeMap::new());
    let results = fresh_dir("deploy-merge-results");
    for index in 0..completions {
        let shard = results.join(format!("shard-{index}"));
        std::fs::create_dir_all(&shard).unwrap();
        std::fs::write(shard.join("summary.json"), "{}").unwrap();
    }
    env.insert("RESULTS_DIR".to_string(), results.display().to_string());
    let (output, commands) = record(&script(container), &env, &fresh_dir("deploy-merge"));
    let args = merge_args(only(&output, commands, "merge job"));
    assert_eq!(
        args.summaries.len() as u64,
        completions,
        "{:?}",
        args.summaries
    );
    assert!(args.report.is_some() && args.output.is_some());
}

#[test]
fn the_nightly_cronjob_fuzzes_new_seeds_each_night_and_resumes_its_own() {
    let cron = manifest("deploy/k8s/nightly-cronjob.yaml");
    let spec = at(&cron, "spec");
    assert_eq!(text(at(spec, "concurrencyPolicy")), "Forbid");
    assert!(number(at(spec, "successfulJobsHistoryLimit")) > 0);
    assert!(number(at(spec, "failedJobsHistoryLimit")) > 0);
    let pod = pod_spec(&cron);
    assert_eq!(text(at(pod, "restartPolicy")), "OnFailure");
    let container = container(pod);
    assert_locked_down(pod, container);
    let night = |job_name: &str| {
        let field = "metadata.labels['batch.kubernetes.io/job-name']";
        let env = environment(container, &BTreeMap::from([(field, job_name.to_string())]));
        let cwd = fresh_dir(&format!("deploy-nightly-{job_name}"));
        let (output, commands) = record(&script(container), &env, &cwd);
        let args = fuzz_args(only(&output, commands, job_name));
        assert!(args.resume && args.report.is_some() && args.time_budget.is_some());
        let jobs = args.jobs.expect("--jobs") as u64;
        assert_eq!(cores(container), (jobs, jobs), "a core per worker");
        assert!(args.out.starts_with(results_mount(container)));
        (args.start, args.seeds, args.out)
    };
    // 2025-06-01 01:00 UTC, as the CronJob names that night's Job.
    let day = 20_240;
    let (start, seeds, out) = night(&format!("quorumsim-nightly-{}", day * 1440 + 60));
    assert_eq!(start, day * seeds);
    assert!(out.ends_with("nightly/2025-06-01"), "{}", out.display());
    let (next_start, _, next_out) = night(&format!("quorumsim-nightly-{}", (day + 1) * 1440 + 60));
    assert_eq!(
        next_start,
        start + seeds,
        "the next night's seeds follow on"
    );
    assert!(next_out.ends_with("nightly/2025-06-02"));
    // A Job started by hand under another name takes tonight's range.
    let (manual_start, _, _) = night("quorumsim-nightly-manual");
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    assert!([today, today + 1].contains(&(manual_start / seeds)));
}

#[test]
fn the_ci_workflow_runs_a_matrix_of_shards_and_merges_their_artifacts() {
    let workflow = manifest("deploy/github-actions/fuzz-campaign.yml");
    let global = mapping_env(workflow.get("env"));
    let shards: u64 = global["SHARDS"].parse().unwrap();
    let jobs = at(&workflow, "jobs");
    let matrix: Vec<u64> = (at(jobs, "shard.strategy.matrix.shard")
        .as_sequence()
        .unwrap())
    .iter()
    .map(number)
    .collect();
    assert_eq!(matrix, (1..=shards).collect::<Vec<u64>>());
    assert_eq!(text(at(jobs, "shard.needs")), "build");
    for &shard in &matrix {
        let (args, step_env) = step_commands(jobs, "shard", &global, shard);
        let args = fuzz_args(args);
        let expected = quorumsim::fuzz::Shard {
            index: shard,
            count: shards,
        };
        assert_eq!(args.shard, Some(expected));
        assert_eq!(args.seeds.to_string(), step_env["SEEDS"]);
        assert_eq!(
            uploaded(jobs, "shard", shard),
            vec![args.out.display().to_string()]
        );
    }
    let (args, _) = step_commands(jobs, "merge", &global, 1);
    let args = merge_args(args);
    assert_eq!(args.summaries.len() as u64, shards);
    let report = args.report.expect("--report").display().to_string();
    assert!(uploaded(jobs, "merge", 1).contains(&report));
}

/// A workflow `env:` mapping, `${{ matrix.shard }}` replaced by `shard`. Any other expression
/// is refused: the test would have to learn it.
fn expand_env(env: Option<&Value>, shard: u64) -> BTreeMap<String, String> {
    mapping_env(env)
        .into_iter()
        .map(|(name, value)| (name, expand(&value, shard)))
        .collect()
}

fn mapping_env(env: Option<&Value>) -> BTreeMap<String, String> {
    let Some(env) = env else {
        return BTreeMap::new();
    };
    (env.as_mapping().expect("env is a mapping").iter())
        .map(|(name, value)| (text(name).to_string(), text(value).to_string()))
        .collect()
}

fn expand(value: &str, shard: u64) -> String {
    let expanded = value.replace("${{ matrix.shard }}", &shard.to_string());
    assert!(!expanded.contains("${{"), "unknown expression in {value:?}");
    expanded
}

/// Runs the one step of job `name` that calls quorumsim, for matrix value `shard`, in a
/// scratch folder where every shard's summary exists (for the merge's glob). Returns the
/// command line and the step's environment.
fn step_commands(
    jobs: &Value,
    name: &str,
    global: &BTreeMap<String, String>,
    shard: u64,
) -> (Cli, BTreeMap<String, String>) {
    let job = at(jobs, name);
    let steps = at(job, "steps").as_sequence().unwrap();
    let calls: Vec<&Value> = (steps.iter())
        .filter(|step| {
            let run = step.get("run").and_then(Value::as_str).unwrap_or("");
            run.lines()
                .any(|line| line.trim_start().starts_with("quorumsim "))
        })
        .collect();
    assert_eq!(calls.len(), 1, "{name}: one step calls quorumsim");
    let step = calls[0];
    let run = text(at(step, "run"));
    assert!(
        !run.contains("${{"),
        "{name}: pass expressions through env:"
    );
    let mut env = global.clone();
    env.extend(expand_env(job.get("env"), shard));
    env.extend(expand_env(step.get("env"), shard));
    let cwd = fresh_dir(&format!("deploy-workflow-{name}-{shard}"));
    for index in 1..=global["SHARDS"].parse::<u64>().unwrap() {
        let folder = cwd.join(format!("results/shard-{index}"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("summary.json"), "{}").unwrap();
    }
    let (output, commands) = record(run, &env, &cwd);
    (only(&output, commands, name), env)
}

/// The paths job `name` uploads as artifacts, for matrix value `shard`.
fn uploaded(jobs: &Value, name: &str, shard: u64) -> Vec<String> {
    let steps = at(at(jobs, name), "steps").as_sequence().unwrap();
    (steps.iter())
        .filter(|step| {
            let uses = step.get("uses").and_then(Value::as_str).unwrap_or("");
            uses.starts_with("actions/upload-artifact@")
        })
        .flat_map(|step| {
            let paths = expand(text(at(step, "with.path")), shard);
            assert_eq!(
                step.get("if").and_then(Value::as_str),
                Some("always()"),
                "{name}: uploads whatever the verdict"
            );
            paths.lines().map(str::to_string).collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_image_builds_with_the_crates_toolchain_and_runs_as_the_manifests_user() {
    let dockerfile = std::fs::read_to_string(repo_path("deploy/Dockerfile")).unwrap();
    let stages: Vec<&str> = (dockerfile.lines())
        .filter(|line| line.starts_with("FROM "))
        .collect();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    let manifest = std::fs::read_to_string(repo_path("Cargo.toml")).unwrap();
    let rust_version = (manifest.lines())
        .find_map(|line| line.strip_prefix("rust-version = "))
        .expect("Cargo.toml names its rust-version")
        .trim_matches('"');
    assert!(
        stages[0].starts_with(&format!("FROM rust:{rust_version}-")),
        "{}",
        stages[0]
    );
    let runtime = &dockerfile[dockerfile.find(stages[1]).unwrap()..];
    assert!(
        runtime.contains("COPY --from=build "),
        "only the binary is carried over"
    );
    assert!(
        runtime.contains("COPY scenarios "),
        "the bundled scenarios ship"
    );
    let user = (runtime.lines())
        .find_map(|line| line.strip_prefix("USER "))
        .expect("a USER line");
    assert_eq!(user, format!("{IMAGE_USER}:{IMAGE_USER}"));
}
