//! Rollouts run against the simulator on 127.0.0.1: waves in order with their gates, the
//! failure budget stopping the rollout before anything else is sent, an HA peer down stopping
//! it before its wave, an abort between waves, and the journal holding the plan, each wave's
//! operation and every gate.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use avx_upgrade::api::poll::{PollSettings, Progress};
use avx_upgrade::api::{Client, ClientSettings, TrustMode};
use avx_upgrade::journal::history::{self, Ending, Kind};
use avx_upgrade::journal::{self, Entry};
use avx_upgrade::ops::rollout::{Channels, Control, RolloutEnd, RolloutEvent, Rollouts};
use avx_upgrade::plan::rollout::{self, Advance, Document, Policy, Size};
use avx_upgrade::plan::{Request, Selection};
use avx_upgrade::report::model::{GatewayOutcome, RowOutcome};
use avx_upgrade::report::{self, ChangeRecord};
use avx_upgrade::secret::{Credentials, Secret};
use avx_upgrade::sim::{self, RunningSim, SimConfig};
use avx_upgrade::snapshot::{GatewayState, GatewayType, Snapshot};
use common::{CURRENT, PREVIOUS};
use tokio::sync::mpsc::unbounded_channel;

const SPEED: f64 = 240.0;

/// `pairs` spoke pairs on [`PREVIOUS`] under a controller on [`CURRENT`].
fn fleet(pairs: usize) -> Snapshot {
    let mut gateways = Vec::new();
    for number in 0..pairs {
        gateways.extend(common::pair(
            &format!("spoke-{number:02}"),
            GatewayType::Spoke,
            PREVIOUS,
        ));
    }
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("valid fleet")
}

struct Setup {
    running: RunningSim,
    rollouts: Rollouts,
    state_dir: tempfile::TempDir,
}

async fn setup(config: SimConfig) -> Setup {
    let running = sim::start(config).await.expect("the simulator starts");
    let credentials = Credentials {
        user: common::USER.into(),
        password: Secret::new(common::PASSWORD),
    };
    let client = Client::new(ClientSettings::new(
        running.url.clone(),
        credentials,
        TrustMode::Insecure,
    ))
    .expect("a client");
    client.login().await.expect("login");
    let state_dir = tempfile::tempdir().expect("a state directory");
    let interval = Duration::from_secs_f64(10.0 / SPEED).max(Duration::from_millis(50));
    let rollouts = Rollouts {
        client: Arc::new(client),
        state_dir: Some(state_dir.path().to_owned()),
        poll: PollSettings {
            interval,
            give_up_after: Duration::from_secs(60),
        },
    };
    Setup {
        running,
        rollouts,
        state_dir,
    }
}

fn document(snapshot: &Snapshot, policy: Policy) -> Document {
    let request = Request::SoftwareUpgrade {
        gateways: Selection::All,
        target: None,
    };
    let catalog = common::catalog();
    let planned = rollout::plan(
        snapshot,
        &catalog,
        &request,
        &policy,
        jiff::Timestamp::now(),
    )
    .expect("planned");
    Document {
        format: rollout::document::FORMAT,
        planned_at: jiff::Timestamp::now(),
        controller: None,
        controller_version: snapshot.controller.current_version,
        fleet: rollout::fingerprint(snapshot),
        target: Some(snapshot.controller.current_version),
        rollout: planned,
        hops: Vec::new(),
    }
}

fn automatic(wave_size: Size, max_failures: Size) -> Policy {
    Policy {
        wave_size,
        max_failures,
        advance: Advance::Automatic,
        ..Policy::default()
    }
}

/// Runs `document` and collects its events; `controls` are sent at each wait for a key.
async fn run(
    setup: &Setup,
    document: Document,
    controls: Vec<Control>,
) -> (RolloutEnd, Vec<String>) {
    let (events, mut received) = unbounded_channel();
    let (control, receiver) = unbounded_channel();
    let collector = tokio::spawn(async move {
        let mut lines = Vec::new();
        let mut controls = controls.into_iter();
        while let Some(event) = received.recv().await {
            match event {
                RolloutEvent::Note(line) => lines.push(line),
                RolloutEvent::Progress {
                    step,
                    progress: Progress::Restarting { .. },
                } => lines.push(format!("step {step}: restarting")),
                RolloutEvent::Progress {
                    step,
                    progress: Progress::LoggedInAgain,
                } => lines.push(format!("step {step}: logged in again")),
                RolloutEvent::WaitingForKey { step: wave, .. } => {
                    lines.push(format!("waiting for wave {wave}"));
                    let _ = control.send(controls.next().unwrap_or(Control::Abort));
                }
                _ => {}
            }
        }
        lines
    });
    let end = tokio::time::timeout(
        Duration::from_secs(60),
        setup.rollouts.run(
            document,
            "--yes by test".into(),
            Channels {
                events,
                control: receiver,
            },
        ),
    )
    .await
    .expect("the rollout ends");
    (end, collector.await.expect("collected"))
}

fn versions(running: &RunningSim) -> Vec<(String, String)> {
    running.with_state(|state| {
        state
            .snapshot
            .gateways()
            .iter()
            .map(|gateway| {
                (
                    gateway.name.to_string(),
                    gateway.software_version.to_string(),
                )
            })
            .collect()
    })
}

/// The journal's one history line (a rollout) and the change record built from it.
fn history_and_record(setup: &Setup) -> (history::Summary, ChangeRecord) {
    let path = journal::file_for(setup.state_dir.path(), &setup.running.url).expect("a path");
    let (lines, found) = history::history(&path, None).expect("reads");
    assert_eq!(found.bad_line_count, 0);
    let [line] = lines.as_slice() else {
        panic!("one line, the rollout (its steps are part of it): {lines:#?}");
    };
    let id: journal::OperationId = line.id.parse().expect("the id reads back");
    let (story, _) = history::change_story(&path, &id).expect("reads");
    let record = report::build::change_record(&story.expect("the rollout is found"));
    (line.clone(), record)
}

fn journal_entries(setup: &Setup) -> Vec<Entry> {
    let path = journal::file_for(setup.state_dir.path(), &setup.running.url).expect("a path");
    journal::read(&path)
        .expect("reads")
        .map(|record| record.expect("a good line").entry)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_runs_every_wave_through_its_gate_and_the_journal_tells_it() {
    let snapshot = fleet(10);
    let setup = setup(common::config(snapshot.clone(), SPEED)).await;
    let document = document(&snapshot, automatic(Size::Count(6), Size::Count(0)));
    let waves = document.rollout.waves.len();
    assert!(waves >= 4, "{:?}", document.rollout.waves);
    let (end, lines) = run(&setup, document, Vec::new()).await;
    assert_eq!(end, RolloutEnd::Done, "{lines:#?}");
    assert!(
        versions(&setup.running)
            .iter()
            .all(|(_, version)| version == CURRENT),
        "every gateway on target"
    );
    let entries = journal_entries(&setup);
    let plans = entries
        .iter()
        .filter(|entry| matches!(entry, Entry::Rollout(_)))
        .count();
    let intents: Vec<u32> = entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Operation(operation) => operation.rollout.as_ref().map(|step| step.wave),
            _ => None,
        })
        .collect();
    let gates: Vec<bool> = entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Gate(gate) => Some(gate.passed),
            _ => None,
        })
        .collect();
    assert_eq!(plans, 1);
    assert_eq!(
        intents,
        (1..=waves as u32).collect::<Vec<_>>(),
        "one operation per wave, in order"
    );
    assert_eq!(gates.len(), waves + 1, "a gate per wave and the end");
    assert!(gates.iter().all(|passed| *passed));

    // History and the change record tell the same rollout.
    let (line, record) = history_and_record(&setup);
    assert_eq!(
        (line.kind, line.outcome, line.gateways),
        (Kind::Rollout, Ending::Succeeded, 20)
    );
    assert!(line.ended.is_some());
    assert_eq!(record.outcome, Ending::Succeeded);
    assert_eq!(record.plan.len(), waves);
    assert_eq!(record.timeline.len(), waves, "a row per wave");
    assert!(
        record
            .timeline
            .iter()
            .all(|row| row.outcome == RowOutcome::Passed && row.end.is_some())
    );
    assert_eq!(record.gateways.len(), 20);
    for gateway in &record.gateways {
        assert_eq!(gateway.outcome, GatewayOutcome::Passed, "{gateway:?}");
        assert_eq!(gateway.before.software, PREVIOUS);
        let after = gateway.after.as_ref().expect("read back after its wave");
        assert_eq!(after.software, CURRENT);
        assert!(gateway.changed().software && !gateway.changed().state);
    }
    assert!(record.failures.is_empty(), "{:?}", record.failures);
    assert_eq!(record.confirmations[0].how, "--yes by test");
    assert_eq!(record.confirmations[0].what, "the rollout");
    setup.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failure_budget_stops_the_rollout_before_the_next_wave_is_sent() {
    let snapshot = fleet(10);
    let config = common::with_faults(common::config(snapshot.clone(), SPEED), "gw-fail=0.5");
    let setup = setup(config).await;
    let document = document(&snapshot, automatic(Size::Count(4), Size::Count(1)));
    let (end, lines) = run(&setup, document, Vec::new()).await;
    let RolloutEnd::Stopped(reason) = &end else {
        panic!("{end:?}: {lines:#?}");
    };
    assert!(reason.contains("failure budget is spent"), "{reason}");
    let untouched = versions(&setup.running)
        .iter()
        .filter(|(_, version)| version == PREVIOUS)
        .count();
    let running = setup.running.with_state(|state| state.is_busy());
    assert!(!running, "nothing is left running");
    assert!(untouched > 0, "later waves were never sent: {lines:#?}");

    // A stopped rollout stays open (resume goes on): unfinished, its failures with reasons.
    let (line, record) = history_and_record(&setup);
    assert_eq!(line.outcome, Ending::Unfinished);
    assert_eq!(record.outcome, Ending::Unfinished);
    assert!(
        record.timeline.len() < record.plan.len(),
        "later waves never ran"
    );
    let failed: Vec<_> = record
        .gateways
        .iter()
        .filter(|gateway| gateway.outcome == GatewayOutcome::Failed)
        .collect();
    assert!(
        failed.len() >= 2,
        "more failed than the budget: {failed:#?}"
    );
    for gateway in failed {
        let reason = gateway.failure.as_deref().unwrap_or_default();
        assert!(reason.contains("upgrade_fail"), "{reason}");
        assert!(
            record
                .failures
                .iter()
                .any(|failure| failure.what == gateway.name)
        );
    }
    assert!(
        record
            .failures
            .iter()
            .any(|failure| failure.what.starts_with("wave") && failure.reason.contains("tolerated")),
        "the gate that stopped it: {:#?}",
        record.failures
    );
    setup.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ha_peer_down_stops_the_rollout_before_its_wave() {
    let snapshot = fleet(4);
    let setup = setup(common::config(snapshot.clone(), SPEED)).await;
    let document = document(&snapshot, automatic(Size::Count(8), Size::Count(0)));
    // The canary is spoke-00; its HA peer goes down after the plan was made.
    assert_eq!(document.rollout.waves[0].gateways, ["spoke-00"]);
    setup.running.with_state(|state| {
        let mut gateways = state.snapshot.gateways().to_vec();
        common::named(&mut gateways, "spoke-00-hagw").state = GatewayState::Down;
        state.snapshot = Snapshot::new(state.snapshot.controller.clone(), gateways).expect("valid");
    });
    let (end, lines) = run(&setup, document, Vec::new()).await;
    let RolloutEnd::Stopped(reason) = &end else {
        panic!("{end:?}: {lines:#?}");
    };
    assert!(reason.contains("HA peer"), "{reason}");
    setup.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abort_between_waves_sends_nothing_more() {
    let snapshot = fleet(4);
    let setup = setup(common::config(snapshot.clone(), SPEED)).await;
    let policy = Policy {
        wave_size: Size::Count(2),
        ..Policy::default()
    };
    let document = document(&snapshot, policy);
    let (end, lines) = run(&setup, document, vec![Control::Abort]).await;
    assert_eq!(end, RolloutEnd::Aborted, "{lines:#?}");
    let upgraded = versions(&setup.running)
        .iter()
        .filter(|(_, version)| version == CURRENT)
        .count();
    assert_eq!(upgraded, 1, "only the canary ran: {lines:#?}");
    setup.running.stop().await;
}

/// `pairs` AWS spoke pairs on [`CURRENT`] still on the image of [`PREVIOUS`]'s train, in four
/// regions: an image upgrade replaces every one.
fn old_images(pairs: usize) -> Snapshot {
    let mut gateways = Vec::new();
    for number in 0..pairs {
        let mut pair = common::pair(&format!("spoke-{number:03}"), GatewayType::Spoke, CURRENT);
        for gateway in &mut pair {
            gateway.image_version = Some(common::AWS_IMAGE_70.into());
            gateway.region = format!("region-{}", number % 4).into();
        }
        gateways.extend(pair);
    }
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("valid fleet")
}

/// Issue 12's flow: 200 gateways, an image upgrade in waves with one gateway job in ten
/// failing. The failure budget stops it; each resume retries the failed gateways of the wave
/// that stopped (a deliberate retry) and goes on, until every gateway runs the new image. No
/// gateway is ever named while its job runs, and the ones that passed are never sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_upgrade_of_200_stops_on_the_budget_resumes_retries_and_completes() {
    let snapshot = old_images(100);
    let config = common::with_faults(common::config(snapshot.clone(), SPEED), "gw-fail=0.1");
    let setup = setup(config).await;
    let request = Request::ImageUpgrade {
        gateways: Selection::All,
    };
    let policy = automatic(Size::Percent(25), Size::Percent(3));
    let planned = rollout::plan(
        &snapshot,
        &common::catalog(),
        &request,
        &policy,
        jiff::Timestamp::now(),
    )
    .expect("planned");
    assert_eq!(planned.changing(), 200);
    let document = Document {
        format: rollout::document::FORMAT,
        planned_at: jiff::Timestamp::now(),
        controller: None,
        controller_version: snapshot.controller.current_version,
        fleet: rollout::fingerprint(&snapshot),
        target: Some(snapshot.controller.current_version),
        rollout: planned,
        hops: Vec::new(),
    };
    let (mut end, mut lines) = run(&setup, document, Vec::new()).await;
    let mut stops = 0;
    let path = journal::file_for(setup.state_dir.path(), &setup.running.url).expect("a path");
    while let RolloutEnd::Stopped(reason) = &end {
        assert!(reason.contains("budget"), "{reason}");
        stops += 1;
        assert!(stops < 20, "it converges: {lines:#?}");
        let story = journal::unfinished_rollout(&path)
            .expect("reads")
            .expect("a stopped rollout stays open");
        let (events, mut received) = unbounded_channel();
        let (_control, controls) = unbounded_channel();
        let collector = tokio::spawn(async move {
            let mut lines = Vec::new();
            while let Some(event) = received.recv().await {
                if let RolloutEvent::Note(line) = event {
                    lines.push(line);
                }
            }
            lines
        });
        end = tokio::time::timeout(
            Duration::from_secs(60),
            setup.rollouts.resume(
                story,
                Channels {
                    events,
                    control: controls,
                },
            ),
        )
        .await
        .expect("the resume ends");
        lines = collector.await.expect("collected");
    }
    assert_eq!(end, RolloutEnd::Done, "{lines:#?}");
    assert!(stops >= 1, "gw-fail=0.1 spends a 3% budget at least once");
    eprintln!("200 gateways: {stops} stops, each resumed");
    let new_image = setup.running.with_state(|state| {
        state
            .snapshot
            .gateways()
            .iter()
            .filter(|gateway| gateway.image_version.as_deref() == Some(common::AWS_IMAGE_71))
            .count()
    });
    assert_eq!(new_image, 200, "every gateway replaced");
    let (jobs, calls) = setup.running.with_state(|state| {
        (
            state.jobs_per_gateway.clone(),
            state.calls_per_gateway.clone(),
        )
    });
    for (name, count) in &calls {
        assert_eq!(
            jobs.get(name),
            Some(count),
            "{name}: every request that named it started a job (never named while busy or done)"
        );
    }
    assert!(journal::unfinished_rollout(&path).expect("reads").is_none());
    setup.running.stop().await;
}

/// Issue 12's runbook: a target two trains ahead runs as one rollout — the lagging gateways
/// up to the controller's version, platform hop 1 (through its restart window and the
/// re-login), every gateway in waves, platform hop 2, every gateway again — each step checked
/// against the controller when it comes, and every gateway operated on once per stage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_train_runbook_runs_end_to_end_through_both_restart_windows() {
    let mut gateways = Vec::new();
    for number in 0..4 {
        let version = if number < 2 { "6.9.349" } else { PREVIOUS };
        gateways.extend(common::pair(
            &format!("spoke-{number:02}"),
            GatewayType::Spoke,
            version,
        ));
    }
    let controller = common::controller(PREVIOUS, Some("6.9.349"));
    let snapshot = Snapshot::new(controller, gateways).expect("valid fleet");
    let setup = setup(common::config(snapshot.clone(), SPEED)).await;
    let policy = automatic(Size::Count(4), Size::Count(0));
    let target = avx_upgrade::version::Target::Version(common::v(common::NEXT));
    let now = jiff::Timestamp::now();
    let catalog = common::catalog();
    let (first, hops) = rollout::runbook(&snapshot, &catalog, Selection::All, target, &policy, now)
        .expect("planned");
    assert_eq!(first.changing(), 4, "the two pairs on 6.9 catch up first");
    assert_eq!(hops.len(), 2, "{hops:#?}");
    let mut document = self::document(&snapshot, policy);
    document.rollout = first;
    document.hops = hops;
    document.target = Some(common::v(common::NEXT));
    let steps = document.steps().len();
    let (end, lines) = run(&setup, document, Vec::new()).await;
    assert_eq!(end, RolloutEnd::Done, "{lines:#?}");
    let (platform, on_target) = setup.running.with_state(|state| {
        let next = common::v(common::NEXT);
        let on_target = state
            .snapshot
            .gateways()
            .iter()
            .filter(|gateway| gateway.software_version == next)
            .count();
        (state.snapshot.controller.current_version, on_target)
    });
    assert_eq!(platform, common::v(common::NEXT));
    assert_eq!(on_target, 8, "every gateway on the final version");
    for hop in [
        "the platform from 7.0.2239 to 7.1.4183",
        "the platform from 7.1.4183 to 7.2.5090",
    ] {
        assert!(
            lines.iter().any(|line| line.contains(hop)),
            "{hop}: {lines:#?}"
        );
    }
    let restarts = lines
        .iter()
        .filter(|line| line.ends_with("restarting"))
        .count();
    let logins = lines
        .iter()
        .filter(|line| line.ends_with("logged in again"))
        .count();
    assert!(
        restarts >= 2 && logins >= 2,
        "both restart windows: {lines:#?}"
    );
    let jobs = setup
        .running
        .with_state(|state| state.jobs_per_gateway.clone());
    for (name, count) in &jobs {
        let expected = if name.starts_with("spoke-00") || name.starts_with("spoke-01") {
            3
        } else {
            2
        };
        assert_eq!(*count, expected, "{name}: once per stage it needed");
    }
    let gates = journal_entries(&setup)
        .into_iter()
        .filter_map(|entry| match entry {
            Entry::Gate(gate) => Some((gate.wave, gate.passed)),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(
        gates.len(),
        steps + 1,
        "a gate per step and the end: {gates:?}"
    );
    assert!(gates.iter().all(|(_, passed)| *passed), "{gates:?}");
    setup.running.stop().await;
}

/// The console's controls: a pause makes the next wave wait for a key even when the policy
/// goes on its own, and a skipped gateway is left out of every wave not sent yet — in the
/// journal too, so a resume leaves it out as well.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_waits_for_a_key_and_a_skipped_gateway_is_never_sent() {
    let snapshot = fleet(3);
    let setup = setup(common::config(snapshot.clone(), SPEED)).await;
    let document = document(&snapshot, automatic(Size::Count(2), Size::Count(0)));
    let last = document.rollout.waves.last().expect("waves").gateways[0].clone();
    let (events, mut received) = unbounded_channel();
    let (control, receiver) = unbounded_channel();
    control.send(Control::Pause).expect("sent");
    control.send(Control::Skip(last.clone())).expect("sent");
    let collector = tokio::spawn(async move {
        let mut waits = Vec::new();
        while let Some(event) = received.recv().await {
            if let RolloutEvent::WaitingForKey { step, paused, .. } = event {
                waits.push((step, paused));
                let _ = control.send(Control::Next);
            }
        }
        waits
    });
    let channels = Channels {
        events,
        control: receiver,
    };
    let end = tokio::time::timeout(
        Duration::from_secs(60),
        setup
            .rollouts
            .run(document, "--yes by test".into(), channels),
    )
    .await
    .expect("the rollout ends");
    assert_eq!(end, RolloutEnd::Done);
    let waits = collector.await.expect("collected");
    assert_eq!(
        waits,
        vec![(2, true)],
        "one wait, for the pause, before wave 2"
    );
    let untouched: Vec<String> = versions(&setup.running)
        .into_iter()
        .filter(|(_, version)| version == PREVIOUS)
        .map(|(name, _)| name)
        .collect();
    assert_eq!(untouched, vec![last.clone()], "only the skipped gateway");
    let skips: Vec<String> = journal_entries(&setup)
        .into_iter()
        .filter_map(|entry| match entry {
            Entry::Skip(skip) => Some(skip.gateway),
            _ => None,
        })
        .collect();
    assert_eq!(skips, vec![last]);
    setup.running.stop().await;
}
