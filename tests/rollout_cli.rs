//! `avx-upgrade rollout plan`, run as a user runs it: against a snapshot file and against a
//! simulated controller on 127.0.0.1, as text and as the JSON document `rollout apply` takes,
//! and every bad input refused with one line that says what to give.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;

use std::collections::HashMap;
use std::process::{Command, Output};

use avx_upgrade::plan::rollout::{Document, fingerprint};
use avx_upgrade::snapshot::{GatewayType, Snapshot};
use common::{CURRENT, PREVIOUS};

/// Six spoke pairs on [`CURRENT`] in two regions, and one standalone gateway already on
/// [`PREVIOUS`] (where a rollback takes the others).
fn fleet() -> Snapshot {
    let mut gateways = Vec::new();
    for number in 0..6 {
        let mut pair = common::pair(&format!("spoke-{number}"), GatewayType::Spoke, CURRENT);
        for gateway in &mut pair {
            gateway.region = if number % 2 == 0 {
                "us-east-1"
            } else {
                "eu-west-1"
            }
            .into();
        }
        gateways.extend(pair);
    }
    gateways.push(common::gateway(
        "egress",
        GatewayType::Standalone,
        avx_upgrade::snapshot::Role::Primary,
        PREVIOUS,
    ));
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("valid fleet")
}

struct Files {
    _dir: tempfile::TempDir,
    state: String,
}

fn files(snapshot: &Snapshot) -> Files {
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("state.json");
    std::fs::write(&path, snapshot.to_json().expect("serialises")).expect("written");
    Files {
        state: path.to_str().expect("UTF-8").to_owned(),
        _dir: dir,
    }
}

fn rollout(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_avx-upgrade"))
        .arg("rollout")
        .args(args)
        .env("AVX_UPGRADE_STATE_DIR", std::env::temp_dir())
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8")
}

fn document(output: &Output) -> Document {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stderr(output),
        stdout(output)
    );
    Document::parse("stdout", &output.stdout).expect("a rollout plan document")
}

#[test]
fn the_json_plan_stages_the_pairs_apart_and_records_what_it_was_planned_against() {
    let snapshot = fleet();
    let files = files(&snapshot);
    let output = rollout(&[
        "plan",
        "--state",
        &files.state,
        "--action",
        "software-rollback",
        "--all",
        "--wave-size",
        "4",
        "--json",
    ]);
    let document = document(&output);
    assert_eq!(document.controller, None);
    assert_eq!(document.fleet, fingerprint(&snapshot));
    assert_eq!(document.controller_version, common::v(CURRENT));
    assert_eq!(document.target, Some(common::v(PREVIOUS)));
    let waves = &document.rollout.waves;
    assert!(waves[0].canary && waves[0].gateways.len() == 1, "{waves:?}");
    assert!(
        waves[1..].iter().all(|wave| wave.gateways.len() <= 4),
        "{waves:?}"
    );
    let wave_of: HashMap<&str, usize> = waves
        .iter()
        .flat_map(|wave| {
            wave.gateways
                .iter()
                .map(|name| (name.as_str(), wave.number))
        })
        .collect();
    assert_eq!(wave_of.len(), 12, "every pair member, once");
    for number in 0..6 {
        let primary = wave_of[format!("spoke-{number}").as_str()];
        let secondary = wave_of[format!("spoke-{number}-hagw").as_str()];
        assert!(
            primary < secondary,
            "spoke-{number}: {primary} then {secondary}"
        );
    }
    assert_eq!(
        document.rollout.skipped.len(),
        1,
        "egress already runs {PREVIOUS}"
    );
}

#[test]
fn the_text_plan_lists_each_wave_and_what_is_left_out() {
    let files = files(&fleet());
    let output = rollout(&[
        "plan",
        "--state",
        &files.state,
        "--action",
        "software-rollback",
        "--filter",
        "region:us-east-1",
        "--canary",
        "2",
        "--max-failures",
        "10%",
        "--soak",
        "60",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("Rollout: Software Rollback of 6 gateways in "),
        "{text}"
    );
    assert!(
        text.contains("Wave 1 (canary): 2 gateways\n  spoke-0\n  spoke-2\n"),
        "{text}"
    );
    assert!(
        text.contains("failure budget 10% (0 tolerated), soak 60s"),
        "{text}"
    );
    assert!(
        !text.contains("eu-west-1") && !text.contains("spoke-1\n"),
        "{text}"
    );
}

#[test]
fn bad_input_is_refused_with_what_to_give() {
    let files = files(&fleet());
    let state = files.state.as_str();
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "plan",
                "--state",
                state,
                "--action",
                "software-upgrade",
                "--all",
                "--wave-size",
                "0%",
            ],
            "e.g. 25%",
        ),
        (
            &["plan", "--state", state, "--action", "software-upgrade"],
            "--gateways a,b,c, --filter QUERY or --all",
        ),
        (
            &[
                "plan",
                "--state",
                state,
                "--action",
                "software-upgrade",
                "--filter",
                "cloud:gcp",
            ],
            "selects no gateway",
        ),
        (
            &[
                "plan",
                "--state",
                state,
                "--action",
                "platform-upgrade",
                "--all",
            ],
            "not a gateway operation",
        ),
        (
            &["plan", "--action", "software-upgrade", "--all"],
            "give --state SNAPSHOT, or a controller",
        ),
        (
            &[
                "plan",
                "--state",
                state,
                "--action",
                "software-upgrade",
                "--gateways",
                "nope",
            ],
            "nope",
        ),
    ];
    for (args, expected) in cases {
        let output = rollout(args);
        let error = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {error}");
        assert!(
            error.starts_with("error: ") && error.contains(expected),
            "{args:?}: {error}"
        );
        assert_eq!(error.lines().count(), 1, "{error}");
    }
}

#[test]
fn gateways_a_blocker_names_are_listed_with_its_reason_and_exit_1() {
    let mut snapshot = fleet();
    let controller = common::controller(CURRENT, None);
    snapshot = Snapshot::new(controller, snapshot.gateways().to_vec()).expect("valid");
    let files = files(&snapshot);
    let output = rollout(&[
        "plan",
        "--state",
        &files.state,
        "--action",
        "software-rollback",
        "--all",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("in 0 waves"), "{text}");
    assert!(text.contains("Skipped: 13 gateways"), "{text}");
    assert!(text.contains("spoke-0: no-rollback-target: "), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_against_a_controller_records_its_url() {
    let snapshot = fleet();
    let running = avx_upgrade::sim::start(common::config(snapshot.clone(), 1.0))
        .await
        .expect("the simulator starts");
    let url = running.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_avx-upgrade"))
            .args([
                "rollout",
                "plan",
                "--controller",
                &url,
                "--action",
                "software-rollback",
            ])
            .args([
                "--gateways",
                "spoke-0,spoke-0-hagw,egress",
                "--canary",
                "0",
                "--json",
            ])
            .env("AVX_PASSWORD", common::PASSWORD)
            .env("AVX_UPGRADE_STATE_DIR", std::env::temp_dir())
            .env(
                "AVX_UPGRADE_CONFIG_DIR",
                std::env::temp_dir().join("avx-upgrade-no-config"),
            )
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("joined");
    assert!(
        !stdout(&output).contains(common::PASSWORD) && !stderr(&output).contains(common::PASSWORD),
        "the password never shows"
    );
    let document = document(&output);
    assert_eq!(document.controller.as_deref(), Some(running.url.as_str()));
    let names: Vec<&Vec<String>> = document
        .rollout
        .waves
        .iter()
        .map(|wave| &wave.gateways)
        .collect();
    assert_eq!(
        names,
        [
            &vec!["spoke-0".to_owned()],
            &vec!["spoke-0-hagw".to_owned()]
        ]
    );
    assert_eq!(document.rollout.skipped[0].name, "egress");
    running.stop().await;
}

#[test]
fn a_gateway_a_blocker_names_stays_out_of_the_waves_and_the_others_are_planned() {
    let snapshot = fleet();
    let mut gateways = snapshot.gateways().to_vec();
    common::named(&mut gateways, "spoke-3").state = avx_upgrade::snapshot::GatewayState::Down;
    let snapshot = Snapshot::new(snapshot.controller.clone(), gateways).expect("valid");
    let files = files(&snapshot);
    let output = rollout(&[
        "plan",
        "--state",
        &files.state,
        "--action",
        "software-rollback",
        "--all",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let document = Document::parse("stdout", &output.stdout).expect("a document");
    let blocked: Vec<&str> = document
        .rollout
        .blocked
        .iter()
        .map(|left| left.name.as_str())
        .collect();
    assert!(blocked.contains(&"spoke-3"), "{blocked:?}");
    let in_waves: Vec<&String> = document
        .rollout
        .waves
        .iter()
        .flat_map(|wave| &wave.gateways)
        .collect();
    assert!(
        !in_waves.iter().any(|name| blocked.contains(&name.as_str())),
        "{in_waves:?}"
    );
    assert_eq!(
        in_waves.len() + blocked.len(),
        12,
        "every other pair member is planned"
    );
}

/// Runs `rollout apply` against the simulator at `url` in a blocking thread, with the
/// password in the environment, and `state_dir` as the state directory.
async fn apply(url: &str, args: &[&str], state_dir: &std::path::Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_avx-upgrade"));
    command
        .args(["rollout", "apply"])
        .args(args)
        .args(["--controller", url])
        .env("AVX_PASSWORD", common::PASSWORD)
        .env("AVX_UPGRADE_STATE_DIR", state_dir)
        .env(
            "AVX_UPGRADE_CONFIG_DIR",
            std::env::temp_dir().join("avx-upgrade-no-config"),
        )
        .stdin(std::process::Stdio::null());
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .expect("joined")
}

fn upgrade_calls(running: &avx_upgrade::sim::RunningSim) -> Option<u64> {
    running.with_state(|state| state.calls.get("upgrade_selected_gateway").copied())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_refuses_before_sending_anything_when_the_plan_or_the_confirmation_does_not_hold() {
    let snapshot = fleet();
    let running = avx_upgrade::sim::start(common::config(snapshot.clone(), 1.0))
        .await
        .expect("the simulator starts");
    let dir = tempfile::tempdir().expect("a directory");
    let files = files(&snapshot);
    let plan_path = dir.path().join("plan.json");
    let planned = rollout(&[
        "plan",
        "--state",
        &files.state,
        "--action",
        "software-rollback",
        "--all",
        "--json",
    ]);
    std::fs::write(&plan_path, &planned.stdout).expect("written");
    let plan = plan_path.to_str().expect("UTF-8");

    // No terminal and no --yes.
    let output = apply(&running.url, &[plan], dir.path()).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no terminal to confirm on; give --yes"),
        "{}",
        stderr(&output)
    );

    // A plan made against another controller version.
    let moved = Snapshot::new(
        common::controller(common::NEXT, Some(CURRENT)),
        snapshot.gateways().to_vec(),
    )
    .expect("valid");
    let moved_files = files_named(&moved, dir.path(), "moved.json");
    let other = rollout(&[
        "plan",
        "--state",
        &moved_files,
        "--action",
        "software-rollback",
        "--all",
        "--json",
    ]);
    let other_path = dir.path().join("other.json");
    std::fs::write(&other_path, &other.stdout).expect("written");
    let output = apply(
        &running.url,
        &[other_path.to_str().expect("UTF-8"), "--yes"],
        dir.path(),
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("as when the plan was made: plan the rollout again"),
        "{}",
        stderr(&output)
    );

    // Not a plan.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"format\": 2}").expect("written");
    let output = apply(
        &running.url,
        &[bad.to_str().expect("UTF-8"), "--yes"],
        dir.path(),
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("bad.json"), "{}", stderr(&output));

    // A journal that cannot be written: exit 4.
    let blocked_dir = dir.path().join("state-file");
    std::fs::write(&blocked_dir, "not a directory").expect("written");
    let output = apply(&running.url, &[plan, "--yes"], &blocked_dir).await;
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("CANNOT GO ON: nothing was sent"),
        "{}",
        stdout(&output)
    );

    assert_eq!(
        upgrade_calls(&running),
        None,
        "nothing reached the controller"
    );
    running.stop().await;
}

fn files_named(snapshot: &Snapshot, dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, snapshot.to_json().expect("serialises")).expect("written");
    path.to_str().expect("UTF-8").to_owned()
}

#[test]
fn a_target_trains_ahead_plans_the_whole_runbook_with_its_platform_hops() {
    let snapshot = fleet_on(PREVIOUS);
    let files = files(&snapshot);
    let args = [
        "plan",
        "--state",
        &files.state,
        "--action",
        "software-upgrade",
        "--all",
        "--target",
        "7.2",
        "--wave-size",
        "4",
    ];
    let output = rollout(&args);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(
        text.contains("to 7.2.5090, through 2 platform hops"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Step 1: platform {PREVIOUS} → {CURRENT}\n")),
        "{text}"
    );
    assert!(text.contains(&format!("(to {CURRENT})")), "{text}");
    // Each hop's release notes come with the runbook, read before it runs.
    assert!(
        text.contains(
            "  release notes: 7.2.5090 (2024-07-09, security patch; hitless; OpenVPN restarts"
        ),
        "{text}"
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let document = document(&rollout(&json_args));
    assert_eq!(document.hops.len(), 2);
    assert_eq!(document.final_platform(), Some(common::v(common::NEXT)));
    assert!(
        document.rollout.waves.is_empty(),
        "nothing lags the controller"
    );
    let blocked = rollout(&[
        "plan",
        "--state",
        &files.state,
        "--action",
        "software-upgrade",
        "--gateways",
        "spoke-0,spoke-0-hagw",
        "--target",
        "7.2",
    ]);
    assert_eq!(blocked.status.code(), Some(1), "{}", stderr(&blocked));
    let said = stdout(&blocked);
    assert!(
        said.starts_with("BLOCKED: ") && said.contains("cannot follow the waves before it"),
        "{said}"
    );
}

/// Six spoke pairs on `software` under a controller on it.
fn fleet_on(software: &str) -> Snapshot {
    let mut gateways = Vec::new();
    for number in 0..6 {
        gateways.extend(common::pair(
            &format!("spoke-{number}"),
            GatewayType::Spoke,
            software,
        ));
    }
    Snapshot::new(common::controller(software, None), gateways).expect("valid fleet")
}
