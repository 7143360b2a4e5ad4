//! A rollout killed at a deterministic point (`AVX_UPGRADE_CRASH`) and resumed: it ends with
//! every gateway on target and no gateway operated on twice, whether the process died with a
//! call written but not sent, or sent but its answer not recorded, in the first wave or a
//! later one. The simulator counts, for each gateway, the requests that named it and the jobs
//! it had.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use avx_upgrade::sim::RunningSim;
use avx_upgrade::snapshot::{GatewayType, Snapshot};
use common::{CURRENT, PREVIOUS};

/// Four spoke pairs on [`PREVIOUS`].
fn fleet() -> Snapshot {
    let mut gateways = Vec::new();
    for number in 0..4 {
        gateways.extend(common::pair(
            &format!("spoke-{number}"),
            GatewayType::Spoke,
            PREVIOUS,
        ));
    }
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("valid fleet")
}

async fn avx(url: &str, state_dir: &Path, crash: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_avx-upgrade"));
    command
        .args(["rollout"])
        .args(args)
        .args(["--controller", url])
        .env("AVX_PASSWORD", common::PASSWORD)
        .env("AVX_UPGRADE_STATE_DIR", state_dir)
        .env(
            "AVX_UPGRADE_CONFIG_DIR",
            std::env::temp_dir().join("avx-upgrade-no-config"),
        )
        .stdin(std::process::Stdio::null());
    if let Some(point) = crash {
        command.env("AVX_UPGRADE_CRASH", point);
    }
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .expect("joined")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn on_target_and_once(running: &RunningSim) -> (usize, Vec<(String, u64)>) {
    running.with_state(|state| {
        let on_target = state
            .snapshot
            .gateways()
            .iter()
            .filter(|gateway| gateway.software_version == common::v(CURRENT))
            .count();
        let jobs = state
            .jobs_per_gateway
            .iter()
            .chain(&state.calls_per_gateway)
            .map(|(name, count)| (name.clone(), *count))
            .collect();
        (on_target, jobs)
    })
}

/// Plans, applies with the crash point, checks it died there, resumes, checks the end.
async fn crash_and_resume(point: &str) {
    let running = avx_upgrade::sim::start(common::config(fleet(), 600.0))
        .await
        .expect("the simulator starts");
    let dir = tempfile::tempdir().expect("a state directory");
    let planned = avx(
        &running.url,
        dir.path(),
        None,
        &[
            "plan",
            "--action",
            "software-upgrade",
            "--all",
            "--wave-size",
            "3",
            "--json",
        ],
    )
    .await;
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned));
    let plan = dir.path().join("plan.json");
    std::fs::write(&plan, &planned.stdout).expect("written");
    let plan = plan.to_str().expect("UTF-8");

    let crashed = avx(
        &running.url,
        dir.path(),
        Some(point),
        &["apply", plan, "--yes", "--ci", "--poll-ms", "50"],
    )
    .await;
    assert_eq!(
        crashed.status.code(),
        None,
        "killed at {point}: {}",
        text(&crashed)
    );
    let (on_target, _) = on_target_and_once(&running);
    assert!(on_target < 8, "the crash came before the end");

    let status = avx(&running.url, dir.path(), None, &["status"]).await;
    assert!(
        text(&status).contains("passed their gate"),
        "{}",
        text(&status)
    );

    let resumed = avx(
        &running.url,
        dir.path(),
        None,
        &["resume", "--yes", "--ci", "--poll-ms", "50"],
    )
    .await;
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
    let (on_target, jobs) = on_target_and_once(&running);
    assert_eq!(on_target, 8, "every gateway on target: {}", text(&resumed));
    assert_eq!(jobs.len(), 16, "a job and a call for each: {jobs:?}");
    assert!(
        jobs.iter().all(|(_, count)| *count == 1),
        "no gateway operated on or sent twice: {jobs:?}"
    );
    let after = avx(&running.url, dir.path(), None, &["status"]).await;
    assert!(
        text(&after).contains("no unfinished rollout"),
        "{}",
        text(&after)
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_with_the_first_call_written_but_not_sent() {
    // 1 the plan, 2 wave 1's intent, 3 its call: the process dies before sending it.
    crash_and_resume("after:3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_with_the_first_call_sent_but_its_answer_not_recorded() {
    // The 4th record is the answer to wave 1's call: it was sent, then the process died.
    crash_and_resume("before:4").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_in_a_later_wave_with_its_call_sent_but_not_answered() {
    // Wave 1: 2 intent, 3 call, 4 answer, 5 outcome, 6 gate; wave 2: 7 intent, 8 call, 9 answer.
    crash_and_resume("before:9").await;
}

/// Issue 12: a signal exits 128+N after the calls in flight are recorded. SIGTERM arrives while
/// wave 1's request is out (every answer comes late): no request is sent after it, the answer
/// to the one out is recorded before the process exits 143, and a resume ends the rollout with
/// every gateway operated on once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_wave_records_the_answer_in_flight_exits_143_and_resume_finishes() {
    let config = common::with_faults(common::config(fleet(), 600.0), "slow=150");
    let running = avx_upgrade::sim::start(config)
        .await
        .expect("the simulator starts");
    let dir = tempfile::tempdir().expect("a state directory");
    let plan_args = [
        "plan",
        "--action",
        "software-upgrade",
        "--all",
        "--wave-size",
        "3",
        "--json",
    ];
    let planned = avx(&running.url, dir.path(), None, &plan_args).await;
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned));
    let plan = dir.path().join("plan.json");
    std::fs::write(&plan, &planned.stdout).expect("written");

    let url = running.url.clone();
    let state_dir = dir.path().to_owned();
    let (code, said) = tokio::task::spawn_blocking(move || {
        signalled_on_first_send(&url, &state_dir, plan.to_str().expect("UTF-8"))
    })
    .await
    .expect("joined");
    assert_eq!(code, Some(143), "128 + SIGTERM: {said}");
    assert!(said.contains("STOPPED BY SIGTERM"), "{said}");

    let path = avx_upgrade::journal::file_for(dir.path(), &running.url).expect("a path");
    let mut unanswered = std::collections::BTreeSet::new();
    for record in avx_upgrade::journal::read(&path).expect("reads") {
        let record = record.expect("a good line");
        match record.entry {
            avx_upgrade::journal::Entry::Call(call) => {
                unanswered.insert((record.op.to_string(), call.call));
            }
            avx_upgrade::journal::Entry::Answer(answer) => {
                unanswered.remove(&(record.op.to_string(), answer.call));
            }
            _ => {}
        }
    }
    assert!(
        unanswered.is_empty(),
        "every call sent has its answer recorded: {unanswered:?}"
    );

    let resumed = avx(
        &running.url,
        dir.path(),
        None,
        &["resume", "--yes", "--ci", "--poll-ms", "50"],
    )
    .await;
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
    let (on_target, jobs) = on_target_and_once(&running);
    assert_eq!(on_target, 8, "every gateway on target: {}", text(&resumed));
    assert!(
        jobs.iter().all(|(_, count)| *count == 1),
        "no gateway operated on or sent twice: {jobs:?}"
    );
    running.stop().await;
}

/// Runs `rollout apply` and sends it SIGTERM as soon as it says it is sending its first wave:
/// its exit code and everything it printed.
fn signalled_on_first_send(url: &str, state_dir: &Path, plan: &str) -> (Option<i32>, String) {
    use std::io::{BufRead, BufReader, Read};

    let mut child = Command::new(env!("CARGO_BIN_EXE_avx-upgrade"))
        .args(["rollout", "apply", plan, "--yes", "--ci", "--poll-ms", "50"])
        .args(["--controller", url])
        .env("AVX_PASSWORD", common::PASSWORD)
        .env("AVX_UPGRADE_STATE_DIR", state_dir)
        .env(
            "AVX_UPGRADE_CONFIG_DIR",
            std::env::temp_dir().join("avx-upgrade-no-config"),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut said = String::new();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        said.push_str(&line);
        said.push('\n');
        if line.contains("sending") {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
            nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("signalled");
            break;
        }
    }
    for line in lines {
        said.push_str(&line.expect("a line"));
        said.push('\n');
    }
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    said.push_str(&stderr);
    let status = child.wait().expect("it exits");
    (status.code(), said)
}
