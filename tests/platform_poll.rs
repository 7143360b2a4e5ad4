//! Following a platform upgrade with `poll::platform` (issue 11, point 10), against the
//! simulated controller over real HTTP on 127.0.0.1, its manual clock moved a step after every
//! event the poller reports: the first poll comes one interval after the start (no 90 s wait),
//! so a fast upgrade is followed through its restart; a `complete` read before the controller
//! has started the task (the `late-start` fault) is not taken as the end; the restart window's
//! 503 pages and dropped connections are reported as `Restarting` and polling goes on; and an
//! upgrade found running ends at its `complete`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use avx_upgrade::api::poll::{self, NOT_STARTED_YET, PlatformStart, PollSettings, Progress};
use avx_upgrade::api::{Client, ClientSettings, TrustMode};
use avx_upgrade::secret::{Credentials, Secret};
use avx_upgrade::sim::RunningSim;
use avx_upgrade::snapshot::Snapshot;
use avx_upgrade::version::{Target, Version};
use common::*;
use futures::{Stream, StreamExt};

/// How often the poller polls, in real time, where the test measures the first poll.
const INTERVAL: Duration = Duration::from_millis(250);
/// How often it polls elsewhere: quick, since the clock moves only when the test moves it.
const QUICK: Duration = Duration::from_millis(50);

fn polling(interval: Duration) -> PollSettings {
    PollSettings {
        interval,
        give_up_after: DEADLINE,
    }
}

/// A client for `sim` with few, quick read retries, so a restart is reported, not hidden.
async fn client(sim: &Sim) -> Arc<Client> {
    let credentials = Credentials {
        user: USER.into(),
        password: Secret::new(PASSWORD),
    };
    let mut settings = ClientSettings::new(sim.url.clone(), credentials, TrustMode::System);
    settings.read_timeout = Duration::from_secs(2);
    settings.read_attempts = 2;
    settings.backoff = Duration::from_millis(20);
    settings.backoff_cap = Duration::from_millis(100);
    let client = Arc::new(Client::new(settings).expect("a client"));
    client.login().await.expect("login");
    client
}

/// How many times the simulator handled `action`.
fn calls(running: &RunningSim, action: &str) -> u64 {
    running.with_state(|state| state.calls.get(action).copied().unwrap_or(0))
}

/// Asks for the platform upgrade to the newest build of `train`.
async fn start_upgrade(client: &Client, train: &str) {
    let target: Target = train.parse().expect("a train");
    client
        .start_platform_upgrade(target)
        .await
        .expect("the platform upgrade is accepted");
}

/// Every event up to `Finished`, moving the simulator's clock `step` after each one but the
/// last, under [`DEADLINE`]; also how long the first event took to come.
async fn follow(
    sim: &Sim,
    stream: impl Stream<Item = Progress>,
    step: Duration,
) -> (Vec<Progress>, Duration) {
    let mut stream = std::pin::pin!(stream);
    let begun = tokio::time::Instant::now();
    let deadline = begun + DEADLINE;
    let mut events = Vec::new();
    let mut first = None;
    loop {
        let event = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(event)) => event,
            Ok(None) => panic!("the poller ended without Finished: {events:?}"),
            Err(_) => panic!("no Finished within {DEADLINE:?}: {events:?}"),
        };
        first.get_or_insert_with(|| begun.elapsed());
        let last = matches!(event, Progress::Finished { .. });
        events.push(event);
        if last {
            return (events, first.unwrap_or_default());
        }
        sim.advance(step);
    }
}

fn is_restarting(event: &Progress) -> bool {
    matches!(event, Progress::Restarting { .. })
}

fn not_started(event: &Progress) -> bool {
    matches!(event, Progress::Platform { message, .. } if message == NOT_STARTED_YET)
}

fn running_phase(event: &Progress) -> bool {
    matches!(event, Progress::Platform { phase: Some(_), .. })
}

/// Asserts that `events` end with a new login and a success naming `version`.
fn assert_ended_well(events: &[Progress], version: &str) {
    let n = events.len();
    assert!(n >= 2, "{events:?}");
    assert_eq!(events[n - 2], Progress::LoggedInAgain, "{events:?}");
    match &events[n - 1] {
        Progress::Finished { ok: true, message } => {
            assert!(
                message.contains(version),
                "the end of this upgrade: {message}"
            )
        }
        other => panic!("a success: {other:?} in {events:?}"),
    }
}

fn current_version(sim: &Sim) -> Version {
    sim.running
        .with_state(|state| state.snapshot.controller.current_version)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_poll_comes_after_one_interval_and_a_fast_restart_is_followed_to_the_end() {
    let sim = Sim::start(manual(fleet(CURRENT))).await;
    let client = client(&sim).await;
    start_upgrade(&client, "7.2").await;
    // The download and install (405 to 495 simulated seconds) are over before the first poll:
    // it lands in the restart window (over by 540 to 660 s).
    sim.advance(Duration::from_secs(500));
    let versions_before = calls(&sim.running, "list_version_info");
    let stream = poll::platform(
        Arc::clone(&client),
        polling(INTERVAL),
        PlatformStart::Requested { from: v(CURRENT) },
    );
    let (events, first) = follow(&sim, stream, Duration::from_secs(30)).await;

    assert!(
        first >= INTERVAL,
        "the first poll waits one interval: {first:?}"
    );
    assert!(is_restarting(&events[0]), "{events:?}");
    assert!(
        !events.iter().any(not_started),
        "a restart is the upgrade at work: {events:?}"
    );
    assert_ended_well(&events, NEXT);
    assert!(
        calls(&sim.running, "list_version_info") > versions_before,
        "never seen in progress, the end is taken from the version that changed"
    );
    assert_eq!(current_version(&sim), v(NEXT));
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_complete_is_not_the_end_until_the_upgrade_ran_and_the_version_changed() {
    // No gateway, so two platform upgrades can follow each other: 7.0 → 7.1 → 7.2.
    let snapshot =
        Snapshot::new(controller(PREVIOUS, Some("6.9.349")), Vec::new()).expect("snapshot");
    let sim = Sim::start(with_faults(manual(snapshot), "late-start=120")).await;
    let client = client(&sim).await;
    let step = Duration::from_secs(30);

    // Before any platform upgrade the status is empty; the poller waits all the same.
    start_upgrade(&client, "7.1").await;
    let first = PlatformStart::Requested { from: v(PREVIOUS) };
    let (events, _) = follow(
        &sim,
        poll::platform(Arc::clone(&client), polling(QUICK), first),
        step,
    )
    .await;
    assert!(not_started(&events[0]), "{events:?}");
    assert_ended_well(&events, CURRENT);

    // Now the status reads `complete`, the result of the upgrade to 7.1, until the task starts.
    start_upgrade(&client, "7.2").await;
    let cid = sim.login().await;
    let status = sim
        .results(
            &cid,
            "platform_upgrade_status",
            &[("platform_only", "true")],
        )
        .await;
    assert_eq!(status["is_upgrade_in_progress"], false, "{status}");
    assert_eq!(
        status["platform_upgrade"]["results"]["status"], "complete",
        "{status}"
    );
    let second = PlatformStart::Requested { from: v(CURRENT) };
    let (events, _) = follow(
        &sim,
        poll::platform(Arc::clone(&client), polling(QUICK), second),
        step,
    )
    .await;

    let waiting = events.iter().take_while(|event| not_started(event)).count();
    // Polls at 0, 30, 60 and 90 simulated seconds come before the task starts at 120.
    assert!(
        waiting >= 4,
        "the early complete is not the end: {events:?}"
    );
    assert!(
        running_phase(&events[waiting]),
        "then the upgrade runs: {events:?}"
    );
    assert!(events.iter().any(is_restarting), "{events:?}");
    assert!(
        !events[waiting..].iter().any(not_started),
        "once seen running it never goes back: {events:?}"
    );
    assert_ended_well(&events, NEXT);
    assert_eq!(current_version(&sim), v(NEXT));
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_window_503s_and_dropped_connections_are_reported_as_restarting_and_polling_goes_on()
 {
    // `restart`: a window of 540 to 660 simulated seconds that drops 40% of connections; a
    // minute per poll puts some nine polls in it.
    let sim = Sim::start(with_faults(manual(fleet(CURRENT)), "restart")).await;
    let client = client(&sim).await;
    start_upgrade(&client, "7.2").await;
    let start = PlatformStart::Requested { from: v(CURRENT) };
    let stream = poll::platform(Arc::clone(&client), polling(QUICK), start);
    let (events, _) = follow(&sim, stream, Duration::from_secs(60)).await;

    let details: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            Progress::Restarting { detail } => Some(detail.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        details.iter().any(|detail| detail.contains("HTTP 503")),
        "a 503 page: {details:?}"
    );
    assert!(
        details
            .iter()
            .any(|detail| !detail.contains("HTTP 503") && !detail.is_empty()),
        "a dropped connection: {details:?}"
    );
    let first_restart = events.iter().position(is_restarting).expect("a restart");
    assert!(
        events[..first_restart].iter().any(running_phase),
        "{events:?}"
    );
    assert_ended_well(&events, NEXT);
    assert_eq!(current_version(&sim), v(NEXT));
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_found_running_ends_at_its_complete() {
    let sim = Sim::start(manual(fleet(CURRENT))).await;
    let client = client(&sim).await;
    start_upgrade(&client, "7.2").await;
    // Followed again (as after a console restart) once it is over.
    sim.advance(Duration::from_secs(700));
    let versions_before = calls(&sim.running, "list_version_info");
    let stream = poll::platform(Arc::clone(&client), polling(QUICK), PlatformStart::Running);
    let (events, _) = follow(&sim, stream, Duration::from_secs(30)).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_ended_well(&events, NEXT);
    assert_eq!(
        calls(&sim.running, "list_version_info"),
        versions_before,
        "an upgrade found running needs no version check"
    );
    sim.stop().await;
}
