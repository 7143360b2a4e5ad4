//! The controller client (`avx_upgrade::api`) against the simulated controller, over real
//! HTTP(S) on 127.0.0.1 with an ephemeral port: login and the re-login on expiry (one shared
//! re-login for concurrent callers), typed decoding of every action, a gateway upgrade followed
//! through the pollers (and what it costs in requests), a platform upgrade followed through its
//! 503 restart window with the re-login after, `flaky` reads recovered by retry, a timed-out
//! mutating call resolved by a status check instead of a resend, the trust-on-first-use flow of
//! the real binary (first use, pinned, changed certificate), secrets absent from a trace-level
//! log, and the `snapshot` → `check` round trip.
//!
//! Every test starts its own simulator on a manual clock that stands still unless the test
//! advances it: a session expires because the test moved the clock past its idle time, and an
//! operation followed by the pollers moves one step per poll, whatever the speed of the machine.
//! Every wait for an answer has a deadline, so a hang fails instead of blocking CI.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::future::Future;
use std::io::{Read, Seek};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use avx_upgrade::api::actions::{Started, TaskState};
use avx_upgrade::api::poll::{self, PlatformStart, PollSettings, Progress};
use avx_upgrade::api::{ApiError, Client, ClientSettings, TrustMode};
use avx_upgrade::catalog::Catalog;
use avx_upgrade::cloud::Cloud;
use avx_upgrade::plan::{Action, Code, Severity};
use avx_upgrade::secret::{Credentials, Secret};
use avx_upgrade::sim::clock::Clock;
use avx_upgrade::sim::fleet::{FleetSpec, generate};
use avx_upgrade::sim::{self, DEFAULT_BODY_LIMIT, DEFAULT_SESSION_TTL, RunningSim, SimConfig};
use avx_upgrade::snapshot::{GatewayState, Snapshot};
use avx_upgrade::version::{Target, Train, Version};
use futures::{Stream, StreamExt};
use serde_json::Value;

const USER: &str = "admin";
/// Distinctive, so a leak is found by a plain substring search.
const PASSWORD: &str = "Pw-9f3kQz-never-in-logs";
const WRONG_PASSWORD: &str = "Wrong-7hX2m-never-in-logs";
/// The longest any single wait may take.
const DEADLINE: Duration = Duration::from_secs(20);
/// Advancing the clock this far lets an idle session expire.
const PAST_TTL: Duration = DEFAULT_SESSION_TTL.saturating_add(Duration::from_secs(1));

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn catalog() -> Catalog {
    Catalog::builtin().expect("the built-in catalog loads")
}

/// A mid-rollout fleet of `gateways` with the given shares (per mille) of gateways on the
/// previous version and unhealthy ones.
fn fleet(gateways: usize, seed: u64, lagging_per_mille: u32, unhealthy_per_mille: u32) -> Snapshot {
    let catalog = catalog();
    let spec = FleetSpec {
        lagging_per_mille,
        unhealthy_per_mille,
        ..FleetSpec::mid_rollout(&catalog, gateways, seed)
    };
    generate(&spec, &catalog).expect("a valid fleet")
}

/// The names of the gateways not on the controller's version, sorted.
fn lagging(snapshot: &Snapshot) -> Vec<String> {
    let current = snapshot.controller.current_version;
    let mut names: Vec<String> = snapshot
        .gateways()
        .iter()
        .filter(|gateway| gateway.software_version != current)
        .map(|gateway| gateway.name.to_string())
        .collect();
    names.sort();
    names
}

/// The train after the one `current` is on, and its newest build.
fn next_hop(current: Version) -> (Train, Version) {
    let catalog = catalog();
    let train = catalog
        .next_train(current.train())
        .expect("the catalog has a train after the controller's");
    let newest = catalog.newest_in(train).expect("the train has builds");
    (train, newest)
}

/// HTTPS on an ephemeral loopback port, with `faults` (a `--faults` list), on a manual clock at
/// speed 1 (a second advanced is a simulated second).
fn sim_config(snapshot: Snapshot, faults: &str) -> SimConfig {
    SimConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        tls: true,
        snapshot,
        catalog: catalog(),
        credentials: Credentials {
            user: USER.into(),
            password: Secret::new(PASSWORD),
        },
        speed: 1.0,
        clock: Clock::manual(),
        faults: faults.parse().expect(faults),
        session_ttl: DEFAULT_SESSION_TTL,
        seed: 11,
        require_access_key: false,
        body_limit: DEFAULT_BODY_LIMIT,
    }
}

async fn start(config: SimConfig) -> RunningSim {
    sim::start(config).await.expect("the simulator starts")
}

/// Moves the simulator's manual clock `by` forward.
fn advance(running: &RunningSim, by: Duration) {
    running
        .clock()
        .as_manual()
        .expect("the simulator runs on a manual clock")
        .advance(by);
}

/// Client settings for `running` (its certificate pinned, or plain HTTP), with short timeouts
/// and backoff so retries stay quick.
fn settings_for(url: &str, trust: TrustMode, password: &str) -> ClientSettings {
    let credentials = Credentials {
        user: USER.into(),
        password: Secret::new(password),
    };
    let mut settings = ClientSettings::new(url, credentials, trust);
    settings.read_timeout = Duration::from_secs(5);
    settings.mutate_timeout = Duration::from_secs(5);
    settings.backoff = Duration::from_millis(20);
    settings.backoff_cap = Duration::from_millis(200);
    settings
}

/// The simulator's certificate pinned, or the system roots for plain HTTP.
fn trust(running: &RunningSim) -> TrustMode {
    match &running.fingerprint {
        Some(fingerprint) => TrustMode::Pinned(fingerprint.clone()),
        None => TrustMode::System,
    }
}

fn settings(running: &RunningSim) -> ClientSettings {
    settings_for(&running.url, trust(running), PASSWORD)
}

fn client(running: &RunningSim) -> Client {
    Client::new(settings(running)).expect("a client")
}

/// How many times the simulator handled `action`.
fn calls(running: &RunningSim, action: &str) -> u64 {
    running.with_state(|state| state.calls.get(action).copied().unwrap_or(0))
}

/// Awaits `future`, failing the test after [`DEADLINE`].
async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {DEADLINE:?}"))
}

/// Every event of a poller up to and including `Finished`, under [`DEADLINE`].
async fn follow(stream: impl Stream<Item = Progress>) -> Vec<Progress> {
    let mut stream = std::pin::pin!(stream);
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut events = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(event)) => {
                let last = matches!(event, Progress::Finished { .. });
                events.push(event);
                if last {
                    return events;
                }
            }
            Ok(None) => panic!("the poller ended without Finished: {events:?}"),
            Err(_) => panic!("no Finished within {DEADLINE:?}: {events:?}"),
        }
    }
}

/// Like [`follow`], and moves the simulator's clock `step` forward after every event but the
/// last: the operation moves one step per poll, however long a poll takes.
async fn follow_stepping(
    stream: impl Stream<Item = Progress>,
    running: &RunningSim,
    step: Duration,
) -> Vec<Progress> {
    let mut stream = std::pin::pin!(stream);
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut events = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(event)) => {
                let last = matches!(event, Progress::Finished { .. });
                events.push(event);
                if last {
                    return events;
                }
                advance(running, step);
            }
            Ok(None) => panic!("the poller ended without Finished: {events:?}"),
            Err(_) => panic!("no Finished within {DEADLINE:?}: {events:?}"),
        }
    }
}

fn fast_polling() -> PollSettings {
    PollSettings {
        interval: Duration::from_millis(100),
        give_up_after: DEADLINE,
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Login and re-login on expiry
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_and_one_shared_relogin_after_the_session_expires() {
    let snapshot = fleet(20, 1, 30, 0);
    let current = snapshot.controller.current_version;
    let running = start(sim_config(snapshot, "")).await;
    let client = Arc::new(client(&running));

    within("login", client.login()).await.expect("login");
    assert_eq!(calls(&running, "get_api_token"), 1);
    assert_eq!(calls(&running, "login"), 1);
    let info = within("version_info", client.version_info())
        .await
        .expect("a read with the session");
    assert_eq!(info.current, current);
    assert_eq!(calls(&running, "login"), 1, "the session is reused");
    // Idle for just under its lifetime, the session is still good.
    advance(&running, DEFAULT_SESSION_TTL - Duration::from_secs(1));
    within("version_info before expiry", client.version_info())
        .await
        .expect("a read with the session");
    assert_eq!(calls(&running, "login"), 1, "the session is still reused");

    // One caller after expiry: refused once, logs in once, repeats the call.
    advance(&running, PAST_TTL);
    let before = calls(&running, "list_version_info");
    let info = within("version_info after expiry", client.version_info())
        .await
        .expect("a read after the session expired");
    assert_eq!(info.current, current);
    assert_eq!(calls(&running, "login"), 2, "exactly one re-login");
    assert_eq!(
        calls(&running, "list_version_info") - before,
        2,
        "the refused call and its repetition"
    );

    // Ten concurrent callers after expiry share one re-login.
    advance(&running, PAST_TTL);
    let callers: Vec<_> = (0..10)
        .map(|_| {
            let client = Arc::clone(&client);
            tokio::spawn(async move { client.version_info().await })
        })
        .collect();
    let results = within("10 concurrent reads", futures::future::join_all(callers)).await;
    for result in results {
        let info = result.expect("the task ran").expect("a read after expiry");
        assert_eq!(info.current, current);
    }
    assert_eq!(
        calls(&running, "login"),
        3,
        "ten concurrent callers after expiry log in once between them"
    );

    // A wrong password is a typed login error, after which nothing was logged in.
    let wrong =
        Client::new(settings_for(&running.url, trust(&running), WRONG_PASSWORD)).expect("client");
    match within("wrong login", wrong.login()).await {
        Err(ApiError::Login(reason)) => {
            assert!(reason.contains("Invalid username or password"), "{reason}")
        }
        other => panic!("a wrong password must fail the login: {other:?}"),
    }
    assert!(
        within("read without a session", wrong.version_info())
            .await
            .is_err()
    );
    running.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 2. Typed decoding of every action
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_decodes_into_typed_results() {
    let snapshot = fleet(80, 3, 80, 60);
    let controller = snapshot.controller.clone();
    let current = controller.current_version;
    let lagging = lagging(&snapshot);
    assert!(
        lagging.len() >= 2,
        "the fleet has lagging gateways: {lagging:?}"
    );
    let (next_train, next_newest) = next_hop(current);
    let catalog = catalog();
    let running = start(sim_config(snapshot.clone(), "")).await;
    let client = client(&running);
    within("login", client.login()).await.expect("login");

    // list_version_info
    let info = within("version_info", client.version_info())
        .await
        .expect("versions");
    assert_eq!(info.current, current);
    assert_eq!(info.previous, controller.previous_version);
    assert_eq!(info.latest, Some(catalog.latest().max(current)));
    assert_eq!(info.kernel, controller.kernel_version);

    // list_vpcs_summary, mapped into the model
    let read = within("gateways", client.gateways())
        .await
        .expect("gateways");
    assert!(read.skipped.is_empty(), "skipped: {:?}", read.skipped);
    assert_eq!(read.gateways.len(), snapshot.gateways().len());
    let clouds: BTreeSet<Cloud> = read.gateways.iter().map(|gateway| gateway.cloud).collect();
    assert!(clouds.len() >= 3, "several clouds in the fleet: {clouds:?}");
    let pairs = read.gateways.iter().filter(|g| g.peer.is_some()).count();
    assert!(pairs >= 2, "HA pairs in the fleet");
    assert!(
        read.gateways
            .iter()
            .any(|g| g.state != GatewayState::Up || !g.tunnels_up),
        "unhealthy gateways in the fleet"
    );
    for (decoded, expected) in read.gateways.iter().zip(snapshot.gateways()) {
        assert_eq!(decoded.name, expected.name);
        assert_eq!(
            decoded.cloud, expected.cloud,
            "cloud_type of {}",
            expected.name
        );
        assert_eq!(decoded.peer, expected.peer, "HA peer of {}", expected.name);
        assert_eq!(decoded.role, expected.role, "role of {}", expected.name);
        assert_eq!(
            decoded.gw_type, expected.gw_type,
            "type of {}",
            expected.name
        );
        assert_eq!(decoded.software_version, expected.software_version);
        assert_eq!(decoded.state, expected.state, "state of {}", expected.name);
        assert_eq!(decoded.tunnels_up, expected.tunnels_up);
    }
    assert_eq!(
        read.gateways,
        snapshot.gateways(),
        "every field round-trips"
    );

    // list_gateway_upgrade_status
    let statuses = within("upgrade status", client.gateway_upgrade_status())
        .await
        .expect("statuses");
    assert_eq!(statuses.len(), snapshot.gateways().len());
    assert!(statuses.iter().all(|s| s.update_status
        == avx_upgrade::snapshot::UpdateStatus::Complete
        && !s.in_progress()));

    // get_compatible_image_version
    for cloud in [Cloud::Aws, Cloud::Azure] {
        let image = within("image", client.compatible_image(cloud, current))
            .await
            .expect("an image");
        let expected = catalog
            .image_for(cloud, current.train())
            .expect("in the matrix");
        assert_eq!(image, expected.image, "{cloud}");
    }

    // upgrade_platform dry run: blocked by the lagging gateways
    let dry = within(
        "platform dry run",
        client.platform_dry_run(Target::Train(next_train)),
    )
    .await
    .expect("a platform dry run");
    assert!(dry.blocked, "{dry:?}");
    assert_eq!(dry.target, Some(next_newest.to_string()));
    let behind = dry
        .findings
        .iter()
        .find(|finding| finding.code == Code::GatewaysBehindController)
        .unwrap_or_else(|| panic!("gateways-behind-controller in {dry:?}"));
    assert_eq!(behind.severity, Severity::Blocker);
    let mut named = behind.gateways.clone();
    named.sort();
    assert_eq!(named, lagging);

    // upgrade_selected_gateway dry run: upgrading the lagging gateways is allowed
    let healthy_lagging: Vec<String> = lagging
        .iter()
        .filter(|name| {
            snapshot
                .gateway(name)
                .is_some_and(|gateway| gateway.is_healthy())
        })
        .take(1)
        .cloned()
        .collect();
    assert_eq!(healthy_lagging.len(), 1, "a healthy lagging gateway");
    let dry = within(
        "gateway dry run",
        client.gateway_dry_run(Action::SoftwareUpgrade, &healthy_lagging),
    )
    .await
    .expect("a gateway dry run");
    assert!(!dry.blocked, "{dry:?}");
    assert_eq!(dry.target, Some(current.to_string()));
    assert!(matches!(
        client
            .gateway_dry_run(Action::PlatformUpgrade, &healthy_lagging)
            .await,
        Err(ApiError::Config(_))
    ));

    // platform_upgrade_status before any platform upgrade
    let platform = within("platform status", client.platform_upgrade_status())
        .await
        .expect("platform status");
    assert!(!platform.in_progress);
    assert_eq!(platform.status, "");
    assert!(
        platform.message.contains("No platform upgrade"),
        "{platform:?}"
    );

    // get_cloudn_backup_config and enable_cloudn_backup_config now=true
    let backup = within("backup config", client.backup_config())
        .await
        .expect("backup");
    assert_eq!(backup, controller.checklist.backup);
    assert!(!backup.enabled);
    within("backup now", client.backup_now())
        .await
        .expect("a backup");
    let backup = within("backup config", client.backup_config())
        .await
        .expect("backup");
    assert!(backup.enabled && backup.last_backup.is_some() && backup.files_kept >= 1);
    assert_eq!(
        running.with_state(|state| state.snapshot.controller.checklist.backup.clone()),
        backup
    );

    // get_release_catalog
    let served = within("catalog", client.release_catalog())
        .await
        .expect("catalog");
    assert_eq!(served, catalog);

    // get_upgrade_checklist
    let checklist = within("checklist", client.checklist())
        .await
        .expect("checklist");
    assert_eq!(checklist.dns_ok, controller.checklist.dns_ok);
    assert_eq!(checklist.internet_ok, controller.checklist.internet_ok);
    assert_eq!(checklist.accounts, controller.checklist.accounts);
    assert_eq!(checklist.controller_ha, controller.checklist.controller_ha);
    assert_eq!(checklist.cloud, controller.checklist.cloud);
    assert_eq!(checklist.instance_type, controller.checklist.instance_type);
    assert_eq!(
        checklist.t2_t3_unlimited,
        controller.checklist.t2_t3_unlimited
    );
    assert_eq!(checklist.backup, backup);

    // An operation in progress: check_task_status, check_upgrade_status, the gateway's status
    let started = within(
        "start",
        client.start_gateway_operation(Action::SoftwareUpgrade, &healthy_lagging),
    )
    .await
    .expect("the upgrade starts");
    let Started::RequestId(id) = started else {
        panic!("an answered start carries a request id: {started:?}");
    };
    assert!(id.parse::<u64>().is_ok(), "numeric request id: {id}");
    assert_eq!(
        within("task", client.task_status(&id)).await.expect("task"),
        TaskState::InProgress
    );
    let legacy = within("legacy status", client.legacy_upgrade_status(&id))
        .await
        .expect("check_upgrade_status");
    assert!(!legacy.done && legacy.status, "{legacy:?}");
    let statuses = within("upgrade status", client.gateway_upgrade_status())
        .await
        .expect("statuses");
    let mine = statuses
        .iter()
        .find(|status| status.name == healthy_lagging[0])
        .expect("listed");
    assert!(mine.in_progress(), "{mine:?}");
    match within("unknown task", client.task_status("999999")).await {
        Ok(TaskState::Failed(reason)) => assert!(reason.contains("unknown"), "{reason}"),
        other => panic!("an unknown request id is a failed task: {other:?}"),
    }
    // A second operation is refused while one runs, as a typed refusal.
    let refused = within(
        "second start",
        client.start_gateway_operation(Action::SoftwareUpgrade, &healthy_lagging),
    )
    .await
    .expect_err("refused while busy");
    assert_eq!(refused.refusal(), Some("Active upgrade in progress."));
    running.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 3. A gateway upgrade through the pollers
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_upgrade_is_followed_to_completion_by_the_pollers() {
    let snapshot = fleet(40, 5, 100, 0);
    let current = snapshot.controller.current_version;
    let lagging = lagging(&snapshot);
    let gateway = lagging.first().cloned().expect("a lagging gateway");
    let old_version = snapshot.gateway(&gateway).expect("listed").software_version;
    // The clock moves 10 s after each poll of the gateways: one poll per 10 simulated seconds,
    // the spec's default interval.
    let running = start(sim_config(snapshot, "")).await;
    let client = Arc::new(client(&running));
    let watcher = Arc::new(self::client(&running));
    within("login", client.login()).await.expect("login");
    within("login", watcher.login()).await.expect("login");
    let selection = vec![gateway.clone()];
    let dry = within(
        "dry run",
        client.gateway_dry_run(Action::SoftwareUpgrade, &selection),
    )
    .await
    .expect("dry run");
    assert!(!dry.blocked, "{dry:?}");

    let before = client.requests_sent();
    let started = within(
        "start",
        client.start_gateway_operation(Action::SoftwareUpgrade, &selection),
    )
    .await
    .expect("the upgrade starts");
    let Started::RequestId(id) = started else {
        panic!("{started:?}");
    };
    let settings = fast_polling();
    let by_gateways = follow_stepping(
        poll::gateways(Arc::clone(&client), selection.clone(), settings),
        &running,
        Duration::from_secs(10),
    );
    let by_task = follow(poll::task(Arc::clone(&watcher), id, settings));
    let (gateway_events, task_events) = tokio::join!(by_gateways, by_task);
    let cost = client.requests_sent() - before;
    eprintln!(
        "one gateway software upgrade cost {cost} requests (1 start + {} polls of list_gateway_upgrade_status, one poll per 10 simulated seconds)",
        cost - 1
    );

    // The gateway poller saw the stages and finished well.
    let seen: Vec<&str> = gateway_events
        .iter()
        .filter_map(|event| match event {
            Progress::Gateways { gateways, .. } => {
                assert_eq!(gateways.len(), 1, "{event:?}");
                assert_eq!(gateways[0].name, gateway);
                Some(gateways[0].update_status.as_str())
            }
            _ => None,
        })
        .collect();
    assert!(
        seen.iter().any(|status| *status != "complete"),
        "at least one in-progress status: {seen:?}"
    );
    assert_eq!(seen.last(), Some(&"complete"), "{seen:?}");
    match gateway_events.last() {
        Some(Progress::Finished { ok: true, message }) => {
            assert!(message.contains("1 of 1"), "{message}")
        }
        other => panic!("finished well: {other:?}"),
    }
    match task_events.last() {
        Some(Progress::Finished { ok: true, message }) => {
            assert!(message.contains("completed"), "{message}")
        }
        other => panic!("the task finished well: {other:?}"),
    }
    // The job takes 204 to 356 simulated seconds and the clock moves at most 10 s per poll, so
    // at least 21 polls see it in progress before one sees it complete.
    assert!(
        (23..=60).contains(&cost),
        "a gateway upgrade costs a start and a poll per 10 simulated seconds, not {cost} requests"
    );

    // The simulator moved the gateway, and the client reads it back.
    let moved = running.with_state(|state| state.snapshot.gateway(&gateway).cloned());
    let moved = moved.expect("still listed");
    assert_eq!(moved.software_version, current);
    assert_eq!(moved.previous_software_version, Some(old_version));
    let fleet = within("gateways", client.gateways())
        .await
        .expect("gateways");
    let read = fleet
        .gateways
        .iter()
        .find(|g| *g.name == *gateway)
        .expect("listed");
    assert_eq!(read.software_version, current);
    running.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 4. A platform upgrade through its 503 restart window
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_upgrade_is_followed_through_the_restart_and_logs_in_again() {
    // Every gateway on the controller's version, so the planner allows the platform upgrade.
    let snapshot = fleet(20, 7, 0, 0);
    let from = snapshot.controller.current_version;
    let (next_train, next_newest) = next_hop(from);
    // `restart`: a restart window of 540 to 660 simulated seconds. The clock moves a minute
    // after each poll, so at least eight polls land in it.
    let running = start(sim_config(snapshot, "restart")).await;
    let mut settings = settings(&running);
    // Few quick retries, so the client reports the restart instead of hiding it in retries.
    settings.read_attempts = 2;
    settings.read_timeout = Duration::from_secs(2);
    let client = Arc::new(Client::new(settings).expect("client"));
    within("login", client.login()).await.expect("login");
    within("backup", client.backup_now())
        .await
        .expect("a backup first");
    let dry = within(
        "dry run",
        client.platform_dry_run(Target::Train(next_train)),
    )
    .await
    .expect("dry run");
    assert!(!dry.blocked, "{dry:?}");

    let logins_before = calls(&running, "login");
    let started = within(
        "start",
        client.start_platform_upgrade(Target::Train(next_train)),
    )
    .await
    .expect("the platform upgrade starts");
    assert!(matches!(started, Started::RequestId(_)), "{started:?}");
    let events = follow_stepping(
        poll::platform(
            Arc::clone(&client),
            fast_polling(),
            PlatformStart::Requested { from },
        ),
        &running,
        Duration::from_secs(60),
    )
    .await;

    let restarting = events
        .iter()
        .filter(|event| matches!(event, Progress::Restarting { .. }))
        .count();
    // At least 540 s of restart and at most two steps (120 s) between two polls' views of the
    // clock, even when a poll comes before the clock moved for the one before it.
    assert!(restarting >= 4, "the restart window was seen: {events:?}");
    let platform = events
        .iter()
        .position(|event| matches!(event, Progress::Platform { .. }))
        .expect("progress before the restart");
    let first_restart = events
        .iter()
        .position(|event| matches!(event, Progress::Restarting { .. }))
        .expect("a restart");
    assert!(platform < first_restart, "{events:?}");
    let n = events.len();
    assert!(n >= 2, "{events:?}");
    assert_eq!(events[n - 2], Progress::LoggedInAgain, "{events:?}");
    assert!(
        matches!(&events[n - 1], Progress::Finished { ok: true, .. }),
        "{events:?}"
    );
    let logins = calls(&running, "login") - logins_before;
    eprintln!(
        "platform upgrade: {restarting} Restarting events, {logins} logins after the restart, {n} events"
    );
    assert!(logins >= 1, "logged in again after the upgrade");

    // One hop: the newest build of the next train.
    let controller = running.with_state(|state| state.snapshot.controller.clone());
    assert_eq!(controller.current_version, next_newest);
    assert_eq!(controller.previous_version, Some(from));
    let info = within("version_info", client.version_info())
        .await
        .expect("versions");
    assert_eq!(info.current, next_newest);
    assert_eq!(info.previous, Some(from));
    running.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 5. Flaky reads
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flaky_reads_are_recovered_by_retry() {
    let snapshot = fleet(30, 9, 30, 0);
    let current = snapshot.controller.current_version;
    let count = snapshot.gateways().len();
    let running = start(sim_config(snapshot, "flaky")).await;
    let client = client(&running);
    // The login's own get_api_token is not retried (see `logins_survive_flaky_reads`), so the
    // test retries the login itself: what is tested here is the reads.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match within("login", client.login()).await {
            Ok(()) => break,
            Err(error) if attempts < 10 => eprintln!("flaky login attempt {attempts}: {error}"),
            Err(error) => panic!("no login in 10 attempts: {error}"),
        }
    }
    let before = client.requests_sent();
    for round in 0..50 {
        if round % 2 == 0 {
            let info = within("version_info", client.version_info())
                .await
                .unwrap_or_else(|error| panic!("read {round}: {error}"));
            assert_eq!(info.current, current);
        } else {
            let fleet = within("gateways", client.gateways())
                .await
                .unwrap_or_else(|error| panic!("read {round}: {error}"));
            assert_eq!(fleet.gateways.len(), count);
        }
    }
    let sent = client.requests_sent() - before;
    let handled = calls(&running, "list_version_info") + calls(&running, "list_vpcs_summary");
    eprintln!("flaky: 50 reads took {sent} requests; the simulator handled {handled}");
    assert_eq!(
        handled, 50,
        "each read reached the controller's handler once"
    );
    assert!(sent > 50, "some reads were retried ({sent} requests)");
    running.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 6. A lost answer to a mutating call
// ---------------------------------------------------------------------------------------------

/// A client whose mutating calls give up long before the `slow=400` answers come.
fn impatient(running: &RunningSim) -> Client {
    let mut settings = settings(running);
    settings.mutate_timeout = Duration::from_millis(150);
    settings.read_timeout = Duration::from_secs(3);
    Client::new(settings).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_gateway_start_is_confirmed_by_status_not_resent() {
    let snapshot = fleet(30, 13, 100, 0);
    let (next_train, _) = next_hop(snapshot.controller.current_version);
    let gateway = lagging(&snapshot)
        .first()
        .cloned()
        .expect("a lagging gateway");
    let running = start(sim_config(snapshot, "slow=400")).await;
    let client = impatient(&running);
    within("login", client.login()).await.expect("login");

    let before = client.requests_sent();
    let started = within(
        "start",
        client.start_gateway_operation(Action::SoftwareUpgrade, std::slice::from_ref(&gateway)),
    )
    .await
    .expect("the lost start is resolved");
    assert_eq!(started, Started::ConfirmedByStatus);
    assert_eq!(
        calls(&running, "upgrade_selected_gateway"),
        1,
        "never resent"
    );
    assert_eq!(
        calls(&running, "list_gateway_upgrade_status"),
        2,
        "one status before the call, one after the answer was lost"
    );
    assert_eq!(
        client.requests_sent() - before,
        3,
        "the call and two status checks"
    );
    let running_op = running.with_state(|state| state.gateway_ops.len());
    assert_eq!(running_op, 1, "one operation runs");

    // A lost start that did not take (the controller refused it: an operation runs) is
    // reported as not started, again after one status check and no resend.
    let error = within(
        "platform start",
        client.start_platform_upgrade(Target::Train(next_train)),
    )
    .await
    .expect_err("the platform upgrade did not start");
    let text = error.to_string();
    assert!(text.contains("did not start"), "{text}");
    assert_eq!(calls(&running, "upgrade_platform"), 1, "never resent");
    assert_eq!(calls(&running, "platform_upgrade_status"), 1);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_platform_start_is_confirmed_by_status_not_resent() {
    let snapshot = fleet(10, 17, 0, 0);
    let (next_train, _) = next_hop(snapshot.controller.current_version);
    let running = start(sim_config(snapshot, "slow=400")).await;
    let client = impatient(&running);
    within("login", client.login()).await.expect("login");
    let before = client.requests_sent();
    let started = within(
        "start",
        client.start_platform_upgrade(Target::Train(next_train)),
    )
    .await
    .expect("the lost start is resolved");
    assert_eq!(started, Started::ConfirmedByStatus);
    assert_eq!(calls(&running, "upgrade_platform"), 1, "never resent");
    assert_eq!(calls(&running, "platform_upgrade_status"), 1);
    assert_eq!(client.requests_sent() - before, 2);
    assert_eq!(running.with_state(|state| state.platform_ops.len()), 1);
    running.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `avx-upgrade args` with the config dir `config`, the password in `AVX_PASSWORD` and
/// stdin closed, while this runtime keeps serving the simulator; killed after [`DEADLINE`].
async fn run_binary(args: &[&str], config: &Path) -> Run {
    let mut stdout = tempfile::tempfile().expect("a temp file");
    let mut stderr = tempfile::tempfile().expect("a temp file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_avx-upgrade"))
        .args(args)
        .env("AVX_UPGRADE_CONFIG_DIR", config)
        .env("AVX_PASSWORD", PASSWORD)
        .env_remove("XDG_CONFIG_HOME")
        .stdin(Stdio::null())
        .stdout(stdout.try_clone().expect("clone"))
        .stderr(stderr.try_clone().expect("clone"))
        .spawn()
        .expect("the binary runs");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("avx-upgrade {args:?} did not finish within {DEADLINE:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let read = |file: &mut std::fs::File| {
        let mut text = String::new();
        file.rewind().expect("rewind");
        file.read_to_string(&mut text).expect("utf-8 output");
        text
    };
    Run {
        code: status.code(),
        stdout: read(&mut stdout),
        stderr: read(&mut stderr),
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Trust on first use
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_on_first_use_pins_and_a_changed_certificate_is_refused() {
    let config_dir = tempfile::tempdir().expect("temp dir");
    let config = config_dir.path();
    let known = config.join("known_controllers");
    let snapshot = fleet(10, 19, 30, 0);
    let running = start(sim_config(snapshot.clone(), "")).await;
    let fingerprint = running.fingerprint.clone().expect("HTTPS");
    let url = running.url.clone();
    let status = ["status", "--controller", url.as_str()];

    // First use without --trust: refused, with the fingerprint to verify.
    let run = run_binary(&status, config).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains(&fingerprint), "{run:?}");
    assert!(run.stderr.contains("--trust"), "{run:?}");
    assert!(!known.exists(), "nothing pinned without consent");

    // First use with a wrong fingerprint: refused, nothing pinned.
    let wrong = "AB:".repeat(31) + "AB";
    let run = run_binary(&["status", "--controller", &url, "--trust", &wrong], config).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains(&fingerprint) && run.stderr.contains(&wrong),
        "{run:?}"
    );
    assert!(!known.exists(), "nothing pinned for a wrong fingerprint");

    // First use with the right fingerprint: connects and pins.
    let run = run_binary(
        &["status", "--controller", &url, "--trust", &fingerprint],
        config,
    )
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let current = snapshot.controller.current_version;
    assert!(run.stdout.contains(&current.user_connect()), "{run:?}");
    let pins = std::fs::read_to_string(&known).expect("the known-controllers file");
    let line = format!("{} {fingerprint}", running.addr);
    assert!(pins.lines().any(|l| l == line), "{pins}");

    // Pinned: no --trust needed.
    let run = run_binary(&status, config).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains(&current.user_connect()), "{run:?}");

    // The same address with a new certificate: a hard error that says so.
    let addr = running.addr;
    running.stop().await;
    let mut config_again = sim_config(snapshot, "");
    config_again.listen = addr;
    let impostor = start(config_again).await;
    let new_fingerprint = impostor.fingerprint.clone().expect("HTTPS");
    assert_ne!(new_fingerprint, fingerprint, "a new certificate");
    let logins = calls(&impostor, "login");
    let run = run_binary(&status, config).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    let said = run.stderr.to_lowercase();
    assert!(said.contains("certificate has changed"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert_eq!(calls(&impostor, "login"), logins, "no password sent to it");
    assert_eq!(
        std::fs::read_to_string(&known).expect("still there"),
        pins,
        "the pin is left alone"
    );
    impostor.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 8. Secrets never in logs
// ---------------------------------------------------------------------------------------------

/// A minimal subscriber that writes every event and span field, at every level, into a buffer.
struct Recorder {
    log: Arc<Mutex<String>>,
    next_span: AtomicU64,
}

struct Line<'a>(&'a mut String);

impl tracing::field::Visit for Line<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}

impl Recorder {
    fn push(&self, line: String) {
        if let Ok(mut log) = self.log.lock() {
            log.push_str(&line);
            log.push('\n');
        }
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut line = format!("span {}", span.metadata().name());
        span.record(&mut Line(&mut line));
        self.push(line);
        tracing::span::Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut line = format!("span {} record", span.into_u64());
        values.record(&mut Line(&mut line));
        self.push(line);
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let meta = event.metadata();
        let mut line = format!("{} {}:", meta.level(), meta.target());
        event.record(&mut Line(&mut line));
        self.push(line);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

/// A loopback TCP relay that records every byte in both directions, so the test learns the
/// CIDs and API tokens the simulator handed out.
async fn recording_proxy(
    upstream: std::net::SocketAddr,
) -> (std::net::SocketAddr, Arc<Mutex<Vec<u8>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let wire = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&wire);
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let Ok(outbound) = tokio::net::TcpStream::connect(upstream).await else {
                continue;
            };
            let (in_read, in_write) = inbound.into_split();
            let (out_read, out_write) = outbound.into_split();
            for (mut from, mut to) in [
                (
                    Box::new(in_read) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
                    Box::new(out_write) as Box<dyn tokio::io::AsyncWrite + Unpin + Send>,
                ),
                (Box::new(out_read) as _, Box::new(in_write) as _),
            ] {
                let wire = Arc::clone(&recorded);
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 16 * 1024];
                    while let Ok(read) = from.read(&mut buffer).await {
                        if read == 0 {
                            break;
                        }
                        if let Ok(mut wire) = wire.lock() {
                            wire.extend_from_slice(&buffer[..read]);
                        }
                        if to.write_all(&buffer[..read]).await.is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown().await;
                });
            }
        }
    });
    (addr, wire)
}

/// The string values of `"key":"..."` in `text`.
fn json_strings(text: &str, key: &str) -> BTreeSet<String> {
    let needle = format!("\"{key}\":\"");
    text.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &text[at + needle.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .filter(|value| !value.is_empty())
        .collect()
}

#[test]
fn secrets_never_reach_logs_errors_or_debug_output() {
    let log = Arc::new(Mutex::new(String::new()));
    let recorder = Recorder {
        log: Arc::clone(&log),
        next_span: AtomicU64::new(1),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (texts, wire) = tracing::subscriber::with_default(recorder, || {
        // A callsite another test's thread registered while this recorder was being set up
        // may have cached "no one listens": ask every callsite again, now that it does.
        tracing::callsite::rebuild_interest_cache();
        runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(40), logged_session())
                .await
                .expect("the session finishes in time")
        })
    });

    let log = log.lock().expect("log").clone();
    let wire = String::from_utf8_lossy(&wire).into_owned();
    let cids = json_strings(&wire, "CID");
    let tokens = json_strings(&wire, "api_token");
    assert!(
        cids.len() >= 2,
        "a login and a re-login were recorded: {cids:?}"
    );
    assert!(!tokens.is_empty(), "API tokens were recorded");
    assert!(wire.contains(PASSWORD), "the proxy saw the login");
    assert!(!log.is_empty(), "the session logged something");
    assert!(
        log.contains("logged in"),
        "the client's events were captured:\n{log}"
    );
    assert!(log.contains("TRACE"), "trace level was on:\n{log}");
    let secrets: Vec<&str> = [PASSWORD, WRONG_PASSWORD]
        .into_iter()
        .chain(cids.iter().map(String::as_str))
        .chain(tokens.iter().map(String::as_str))
        .collect();
    for secret in &secrets {
        assert!(!log.contains(secret), "a secret in the log:\n{log}");
        for text in &texts {
            assert!(!text.contains(secret), "a secret in {text}");
        }
    }
    eprintln!(
        "secrets: {} log lines, {} texts checked against {} secrets",
        log.lines().count(),
        texts.len(),
        secrets.len()
    );
}

/// A whole session under the recording subscriber: login, reads, dry runs, a refusal, a failed
/// login, a re-login after expiry, a connection error. Returns every `Debug` and `Display`
/// text it produced, and what crossed the wire.
async fn logged_session() -> (Vec<String>, Vec<u8>) {
    let snapshot = fleet(20, 23, 100, 0);
    let (next_train, _) = next_hop(snapshot.controller.current_version);
    let mut config = sim_config(snapshot, "");
    config.tls = false;
    let running = start(config).await;
    let (proxy, wire) = recording_proxy(running.addr).await;
    let url = format!("http://{proxy}");
    let mut texts = Vec::new();
    let note = |texts: &mut Vec<String>, error: &ApiError| {
        texts.push(error.to_string());
        texts.push(format!("{error:?}"));
    };

    let settings = settings_for(&url, TrustMode::System, PASSWORD);
    texts.push(format!("{settings:?}"));
    let client = Client::new(settings).expect("client");
    client.login().await.expect("login");
    client.version_info().await.expect("versions");
    let fleet = client.gateways().await.expect("gateways");
    client.gateway_upgrade_status().await.expect("statuses");
    client.checklist().await.expect("checklist");
    client
        .platform_dry_run(Target::Train(next_train))
        .await
        .expect("dry run");
    let names: Vec<String> = fleet
        .gateways
        .iter()
        .take(2)
        .map(|g| g.name.to_string())
        .collect();
    client
        .gateway_dry_run(Action::SoftwareUpgrade, &names)
        .await
        .expect("dry run");
    let refused = client
        .start_platform_upgrade(Target::Train(next_train))
        .await
        .expect_err("blocked by the lagging gateways");
    note(&mut texts, &refused);

    let wrong = Client::new(settings_for(&url, TrustMode::System, WRONG_PASSWORD)).expect("client");
    texts.push(format!("{wrong:?}"));
    let failed = wrong.login().await.expect_err("a wrong password");
    note(&mut texts, &failed);
    let failed = wrong.version_info().await.expect_err("no session");
    note(&mut texts, &failed);

    advance(&running, PAST_TTL);
    client
        .version_info()
        .await
        .expect("a read after a re-login");
    texts.push(format!("{client:?}"));

    // A controller that is gone: a connection error.
    running.stop().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    let mut gone = settings_for(&format!("http://{closed}"), TrustMode::System, PASSWORD);
    gone.read_attempts = 1;
    let gone = Client::new(gone).expect("client");
    let error = gone.version_info().await.expect_err("nobody listens");
    note(&mut texts, &error);
    texts.push(format!("{gone:?}"));
    let wire = wire.lock().expect("wire").clone();
    (texts, wire)
}

// ---------------------------------------------------------------------------------------------
// 9. snapshot → check round trip
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_is_read_back_by_check_and_plan() {
    let config_dir = tempfile::tempdir().expect("temp dir");
    let snapshot = fleet(60, 29, 80, 20);
    let lagging = lagging(&snapshot);
    assert!(!lagging.is_empty(), "the fleet has lagging gateways");
    let (next_train, _) = next_hop(snapshot.controller.current_version);
    let running = start(sim_config(snapshot.clone(), "")).await;
    let fingerprint = running.fingerprint.clone().expect("HTTPS");

    let run = run_binary(
        &[
            "snapshot",
            "--controller",
            &running.url,
            "--trust",
            &fingerprint,
        ],
        config_dir.path(),
    )
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let state = config_dir.path().join("state.json");
    std::fs::write(&state, &run.stdout).expect("write the snapshot");
    let read_back = Snapshot::load(&state).expect("the snapshot file loads");
    assert_eq!(
        read_back.gateways(),
        snapshot.gateways(),
        "every gateway round-trips"
    );
    assert_eq!(
        read_back.controller.current_version,
        snapshot.controller.current_version
    );
    assert_eq!(
        read_back.controller.previous_version,
        snapshot.controller.previous_version
    );
    assert_eq!(
        read_back.controller.checklist.accounts,
        snapshot.controller.checklist.accounts
    );
    running.stop().await;

    let state_arg = state.to_str().expect("utf-8 path");
    let target = next_train.to_string();
    let run = run_binary(
        &[
            "check",
            "--state",
            state_arg,
            "--action",
            "platform-upgrade",
            "--target",
            &target,
            "--json",
        ],
        config_dir.path(),
    )
    .await;
    assert_eq!(run.code, Some(1), "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let findings = report["findings"].as_array().expect("findings");
    let behind = findings
        .iter()
        .find(|finding| finding["code"] == "gateways-behind-controller")
        .unwrap_or_else(|| panic!("gateways-behind-controller in {report}"));
    assert_eq!(behind["severity"], "blocker");
    let mut named: Vec<String> = behind["gateways"]
        .as_array()
        .expect("gateways")
        .iter()
        .map(|name| name.as_str().expect("a name").to_owned())
        .collect();
    named.sort();
    assert_eq!(named, lagging);

    let run = run_binary(&["plan", "--state", state_arg], config_dir.path()).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.stdout.is_empty(), "{run:?}");
}

// ---------------------------------------------------------------------------------------------
// Known client bugs: each test states the right behaviour and is ignored until it is fixed
// (`cargo test --test client -- --ignored` runs them).
// ---------------------------------------------------------------------------------------------

/// `login()` sends `get_api_token` (a GET) through `send`, not `read_with_retry`, so under the
/// `flaky` fault about one login in eight fails with a 502/503 or a reset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_survive_flaky_reads() {
    let running = start(sim_config(fleet(10, 9, 30, 0), "flaky")).await;
    for attempt in 0..20 {
        let client = client(&running);
        if let Err(error) = within("login", client.login()).await {
            panic!("login {attempt} failed under flaky: {error}");
        }
    }
    running.stop().await;
}

/// A lost answer to `upgrade_selected_gateway` is resolved by looking for a selected gateway
/// still in progress; an operation that already finished (fast clock here, a long
/// `mutate_timeout` or a small job on a real controller) ran but is reported "did not start".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_start_of_an_operation_that_already_finished_is_not_reported_as_not_started() {
    let snapshot = fleet(30, 13, 100, 0);
    let current = snapshot.controller.current_version;
    let gateway = lagging(&snapshot)
        .first()
        .cloned()
        .expect("a lagging gateway");
    // On the wall clock at speed 20000 the upgrade ends within ~20 ms, long before the status
    // check comes (150 ms later, when the client gives up on the answer): a slower machine only
    // makes that surer.
    let running = start(SimConfig {
        speed: 20_000.0,
        clock: Clock::Wall,
        ..sim_config(snapshot, "slow=400")
    })
    .await;
    let client = impatient(&running);
    within("login", client.login()).await.expect("login");
    let result = within(
        "start",
        client.start_gateway_operation(Action::SoftwareUpgrade, std::slice::from_ref(&gateway)),
    )
    .await;
    let moved = running.with_state(|state| {
        state
            .snapshot
            .gateway(&gateway)
            .map(|gateway| gateway.software_version)
    });
    assert_eq!(moved, Some(current), "the upgrade ran");
    assert_eq!(calls(&running, "upgrade_selected_gateway"), 1);
    assert!(
        result.is_ok(),
        "the operation ran, yet the client says: {result:?}"
    );
    running.stop().await;
}

/// `poll::gateways` ends with `ok: failed == 0`, so a selection the controller does not list
/// (none done) finishes "ok".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_gateways_the_controller_does_not_list_does_not_finish_ok() {
    let running = start(sim_config(fleet(10, 13, 0, 0), "")).await;
    let client = Arc::new(client(&running));
    within("login", client.login()).await.expect("login");
    let names = vec!["no-such-gateway".to_owned()];
    let events = follow(poll::gateways(Arc::clone(&client), names, fast_polling())).await;
    assert!(
        matches!(events.last(), Some(Progress::Finished { ok: false, .. })),
        "0 of 1 gateways done is not a success: {events:?}"
    );
    running.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 14: a newer controller's dry-run findings
// ---------------------------------------------------------------------------------------------

mod console;

// ---------------------------------------------------------------------------------------------
// Issue 13: every era's shapes, concurrent operations, named targets, synchronous answers
// ---------------------------------------------------------------------------------------------

#[path = "client/eras.rs"]
mod eras;

/// How a fake controller answers one request: an HTTP response, or the connection dropped.
type FakeAnswer = Result<hyper::Response<http_body_util::Full<bytes::Bytes>>, &'static str>;

/// A JSON answer of a fake controller.
fn fake_json(value: Value) -> FakeAnswer {
    hyper::Response::builder()
        .header("content-type", "text/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            value.to_string(),
        )))
        .map_err(|_| "no response")
}

/// A fake controller on 127.0.0.1 (plain HTTP) that logs anyone in and answers every other
/// action with `answer(action)`.
async fn fake_controller(
    answer: impl Fn(&str) -> FakeAnswer + Clone + Send + Sync + 'static,
) -> std::net::SocketAddr {
    use http_body_util::BodyExt;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let answer = answer.clone();
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let answer = answer.clone();
                async move {
                    let query = request.uri().query().unwrap_or_default().to_owned();
                    let body = request.into_body().collect().await;
                    let body = body.map(|body| body.to_bytes()).unwrap_or_default();
                    let form = format!("{query}&{}", String::from_utf8_lossy(&body));
                    let action = form
                        .split('&')
                        .find_map(|pair| pair.strip_prefix("action="))
                        .unwrap_or_default()
                        .to_owned();
                    match action.as_str() {
                        "get_api_token" => fake_json(
                            serde_json::json!({"return": true, "results": {"api_token": "token"}}),
                        ),
                        "login" => fake_json(
                            serde_json::json!({"return": true, "results": "welcome", "CID": "fake-cid"}),
                        ),
                        other => answer(other),
                    }
                }
            });
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A fake controller that answers every dry run with `dry_run`: what a controller newer than
/// this build may send.
async fn newer_controller(dry_run: Value) -> std::net::SocketAddr {
    fake_controller(move |action| match action {
        "upgrade_selected_gateway" => {
            fake_json(serde_json::json!({"return": true, "results": dry_run}))
        }
        other => fake_json(serde_json::json!({"return": false, "reason": format!("no {other}")})),
    })
    .await
}

/// A finding whose code and severity this build does not know is kept, shown as the controller
/// wrote it and counted as a blocker, so the pane never says BLOCKED over an empty list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_controllers_unknown_dry_run_finding_is_kept_and_shown() {
    use avx_upgrade::ops::{Event, Job};
    use avx_upgrade::plan::request::{Request, Selection};
    use avx_upgrade::snapshot::{Controller, Gateway, GatewayType, Role};
    use avx_upgrade::tui::message::Msg;
    use avx_upgrade::tui::theme::Theme;
    use avx_upgrade::tui::update::update;
    use crossterm::event::KeyCode;

    let addr = newer_controller(serde_json::json!({
        "blocked": true,
        "findings": [{
            "severity": "critical",
            "code": "quantum-tunnel-misaligned",
            "message": "realign the quantum tunnels of spoke-1 first",
            "gateways": ["spoke-1"],
        }],
    }))
    .await;
    let current: Version = "7.1.4183".parse().expect("version");
    let gateway = Gateway::new(
        "spoke-1",
        Cloud::Aws,
        "us-east-1",
        GatewayType::Spoke,
        Role::Primary,
        current,
    );
    let snapshot = Snapshot::new(Controller::new(current), vec![gateway]).expect("snapshot");
    let mut app = console::loaded_app(snapshot, false);
    console::press(&mut app, KeyCode::Char('2'));
    let effects = console::press(&mut app, KeyCode::Char('d'));
    let Some(Job::DryRun(prepared)) = effects.into_iter().next() else {
        panic!("d asks for a dry run");
    };
    let request = prepared.request;
    let Request::SoftwareUpgrade {
        gateways: Selection::Named(names),
        ..
    } = &request
    else {
        panic!("a software upgrade of the gateway under the cursor: {request:?}");
    };

    let client = Client::new(settings_for(
        &format!("http://{addr}"),
        TrustMode::System,
        PASSWORD,
    ))
    .expect("a client");
    let result = within("dry run", client.gateway_dry_run(request.action(), names)).await;
    let dry_run = result.expect("the answer decodes");
    assert!(dry_run.blocked);
    let [finding] = dry_run.findings.as_slice() else {
        panic!("the finding is kept: {:?}", dry_run.findings);
    };
    assert_eq!(finding.code.as_str(), "quantum-tunnel-misaligned");
    assert_eq!(finding.severity, Severity::Blocker);

    update(
        &mut app,
        Msg::Ops(Event::DryRunDone {
            request,
            result: Ok(dry_run),
        }),
    );
    let screen = console::text_of(&console::draw(&app, 120, 40, &Theme::colored()));
    for expected in [
        "BLOCKED",
        "1 blocker",
        "Blockers (1)",
        "quantum-tunnel-misaligned",
        "realign the quantum tunnels of spoke-1 first",
    ] {
        assert!(screen.contains(expected), "no {expected:?} in:\n{screen}");
    }
}
