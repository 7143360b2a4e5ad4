//! Headless flows of the console against the in-process simulator: the keys a user presses,
//! the controller's real answers, and what the screen then shows.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;
mod console;

use avx_upgrade::cloud::Cloud;
use avx_upgrade::journal;
use avx_upgrade::sim::SimConfig;
use avx_upgrade::sim::clock::Clock;
use avx_upgrade::snapshot::{GatewayType, Snapshot};
use avx_upgrade::tui::operation::Phase;
use avx_upgrade::tui::state::{Overlay, Window};
use common::{CURRENT, NEXT, PREVIOUS};
use console::Console;
use crossterm::event::KeyCode;

/// AWS and GCP transit pairs and an AWS spoke pair, all on `software`.
fn mixed_fleet(software: &str) -> Snapshot {
    let mut gateways = Vec::new();
    gateways.extend(common::pair("aws-transit", GatewayType::Transit, software));
    gateways.extend(common::pair("aws-spoke", GatewayType::Spoke, software));
    let mut gcp = common::pair("gcp-transit", GatewayType::Transit, software);
    for gateway in &mut gcp {
        gateway.cloud = Cloud::Gcp;
        gateway.region = "us-central1".into();
        gateway.image_version = common::catalog()
            .image_for(Cloud::Gcp, gateway.software_version.train())
            .map(|entry| entry.image.as_str().into());
    }
    gateways.extend(gcp);
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("valid fleet")
}

/// The controller has answered the operation's request.
fn accepted(app: &avx_upgrade::tui::state::App) -> bool {
    app.operation
        .as_ref()
        .is_some_and(|op| op.phase != Phase::Requesting)
}

fn finished(app: &avx_upgrade::tui::state::App) -> bool {
    app.operation.as_ref().is_some_and(|op| !op.is_running()) && !app.refreshing()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_aws_transit_mark_dry_run_upgrade_and_watch_them_complete() {
    let config = common::config(mixed_fleet(PREVIOUS), 120.0);
    let mut console = Console::open(config, false).await;
    console.press(KeyCode::Char('2'));
    console.press(KeyCode::Char('/'));
    console.type_text("cloud:aws type:transit");
    console.press(KeyCode::Enter);
    assert_eq!(console.app.fleet.shown_len(), 2);
    let screen = console.screen(120, 40);
    assert!(
        screen.contains("2/6 shown filter: cloud:aws type:transit"),
        "{screen}"
    );
    assert!(!screen.contains("gcp-transit"), "{screen}");

    console.press(KeyCode::Char('a'));
    assert_eq!(console.app.fleet.marked_count(), 2);
    console.press(KeyCode::Char('d'));
    console
        .until(
            "the dry run",
            |app| matches!(app.overlay(), Some(Overlay::DryRun(pane)) if pane.result.is_some()),
        )
        .await;
    let screen = console.screen(120, 40);
    assert!(screen.contains("PASSED"), "{screen}");
    assert!(screen.contains("0 blockers"), "{screen}");
    assert!(
        screen.contains("Software Upgrade of 2 gateways"),
        "{screen}"
    );
    console.press(KeyCode::Esc);

    console.press(KeyCode::Char('U'));
    console.shown();
    let screen = console.screen(120, 40);
    assert!(screen.contains("Confirm Software Upgrade"), "{screen}");
    assert!(
        screen.contains(&format!("Target     {CURRENT}")),
        "{screen}"
    );
    assert!(screen.contains("Gateways   2"), "{screen}");
    console.press(KeyCode::Char('y'));
    console.until("the upgrade to end", finished).await;
    let operation = console.app.operation.as_ref().expect("operation");
    assert!(
        matches!(operation.phase, Phase::Succeeded(_)),
        "{:?}",
        operation.phase
    );
    assert_eq!((operation.done, operation.failed), (2, 0));
    assert!(
        operation
            .log
            .iter()
            .any(|(_, line)| line == "aws-transit: complete")
    );
    let screen = console.screen(120, 40);
    assert!(screen.contains("2/2 done, 0 failed"), "{screen}");
    for name in ["aws-transit", "aws-transit-hagw"] {
        let index = console.app.fleet.index_of(name).expect(name);
        let gateway = console.app.fleet.gateway(index).expect(name);
        assert_eq!(gateway.software_version.to_string(), CURRENT, "{name}");
    }
    let untouched = console.app.fleet.index_of("gcp-transit").expect("gcp");
    let gcp = console.app.fleet.gateway(untouched).expect("gcp");
    assert_eq!(
        gcp.software_version.to_string(),
        PREVIOUS,
        "only marked gateways change"
    );
    assert_eq!(
        console.app.fleet.query().text(),
        "cloud:aws type:transit",
        "the filter survives the refresh"
    );
    assert_eq!(
        console.app.fleet.marked_count(),
        0,
        "the marks of the gateways done are cleared"
    );
    console.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_upgrade_goes_through_the_restart_window_and_logs_back_in() {
    let config = common::config(mixed_fleet(CURRENT), 120.0);
    let mut console = Console::open(config, false).await;
    assert_eq!(console.app.window, Window::Platform);
    console.press(KeyCode::Char('t'));
    console.type_text("7.2");
    console.press(KeyCode::Enter);
    let screen = console.screen(80, 24);
    assert!(
        screen.contains(&format!("✓ valid: 1 hop, to {NEXT}")),
        "{screen}"
    );
    console.press(KeyCode::Char('U'));
    console.shown();
    let screen = console.screen(80, 24);
    assert!(screen.contains("Confirm Platform Upgrade"), "{screen}");
    assert!(screen.contains(NEXT), "{screen}");
    console.press(KeyCode::Char('y'));
    assert!(
        console.app.operation.is_none(),
        "y is not enough: type {NEXT}"
    );
    console.type_text(NEXT);
    console.press(KeyCode::Enter);
    console.until("the platform upgrade to end", finished).await;
    let operation = console.app.operation.as_ref().expect("operation");
    assert!(
        matches!(operation.phase, Phase::Succeeded(_)),
        "{:?}",
        operation.log
    );
    let log: Vec<&str> = operation
        .log
        .iter()
        .map(|(_, line)| line.as_str())
        .collect();
    assert!(
        log.iter()
            .any(|line| line.starts_with("controller restarting")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|line| line.starts_with("logged in again")),
        "{log:?}"
    );
    assert!(!log.iter().any(|line| line.contains("FAILED")), "{log:?}");
    let snapshot = console.app.fleet.snapshot().expect("snapshot");
    assert_eq!(snapshot.controller.current_version.to_string(), NEXT);
    let screen = console.screen(80, 24);
    assert!(screen.contains(&format!("controller {NEXT}")), "{screen}");
    console.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_needs_the_count_typed_and_returns_the_gateway() {
    let mut snapshot = mixed_fleet(CURRENT);
    let mut gateways = snapshot.gateways().to_vec();
    for gateway in &mut gateways {
        gateway.previous_software_version = Some(common::v(PREVIOUS));
    }
    snapshot = Snapshot::new(snapshot.controller.clone(), gateways).expect("fleet");
    let config = common::config(snapshot, 120.0);
    let mut console = Console::open(config, false).await;
    console.press(KeyCode::Char('2'));
    console.press(KeyCode::Char('/'));
    console.type_text("name:aws-spoke");
    console.press(KeyCode::Enter);
    console.press(KeyCode::Char('R'));
    console.shown();
    let screen = console.screen(80, 24);
    assert!(screen.contains("Confirm Software Rollback"), "{screen}");
    assert!(screen.contains("rollback-disruptive"), "{screen}");
    assert!(
        screen.contains("Type 1, the number of gateways that will change"),
        "{screen}"
    );
    console.press(KeyCode::Char('y'));
    assert!(
        console.app.operation.is_none(),
        "y alone does not confirm a rollback"
    );
    console.type_text("1");
    console.press(KeyCode::Enter);
    console.until("the rollback to end", finished).await;
    let operation = console.app.operation.as_ref().expect("operation");
    assert!(
        matches!(operation.phase, Phase::Succeeded(_)),
        "{:?}",
        operation.log
    );
    let index = console.app.fleet.index_of("aws-spoke").expect("spoke");
    let spoke = console.app.fleet.gateway(index).expect("spoke");
    assert_eq!(spoke.software_version.to_string(), PREVIOUS);

    // W writes the change record of the finished operation and says where.
    console.press(KeyCode::Char('W'));
    console
        .until("the report to be written", |app| {
            app.flash
                .as_ref()
                .is_some_and(|flash| flash.text.starts_with("change record written to "))
        })
        .await;
    let flash = console.app.flash.as_ref().expect("a message");
    let path = flash.text.trim_start_matches("change record written to ");
    assert!(
        path.starts_with(
            &console
                .state_dir
                .path()
                .join("reports")
                .display()
                .to_string()
        ),
        "{path}"
    );
    let html = std::fs::read_to_string(path).expect("the report exists");
    for expected in [
        "Software Rollback of 1 gateway to 7.0.2239",
        "aws-spoke",
        "typed 1",
        "class=\"gantt\"",
    ] {
        assert!(html.contains(expected), "no {expected:?} in the report");
    }
    console.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_platform_upgrade_cannot_be_confirmed() {
    // Gateways lag behind the controller: the planner forbids the platform upgrade.
    let config = common::config(mixed_fleet(PREVIOUS), 120.0);
    let mut console = Console::open(config, false).await;
    console.press(KeyCode::Char('t'));
    console.type_text("7.2");
    console.press(KeyCode::Esc);
    console.press(KeyCode::Char('d'));
    console
        .until(
            "the dry run",
            |app| matches!(app.overlay(), Some(Overlay::DryRun(pane)) if pane.result.is_some()),
        )
        .await;
    let screen = console.screen(120, 40);
    assert!(screen.contains("BLOCKED"), "{screen}");
    assert!(screen.contains("gateways-behind-controller"), "{screen}");
    console.press(KeyCode::Esc);
    console.press(KeyCode::Char('U'));
    console.shown();
    let screen = console.screen(80, 24);
    assert!(screen.contains("Platform Upgrade — BLOCKED"), "{screen}");
    assert!(screen.contains("gateways-behind-controller"), "{screen}");
    for key in [
        KeyCode::Char('y'),
        KeyCode::Enter,
        KeyCode::Tab,
        KeyCode::Enter,
    ] {
        console.press(key);
    }
    assert!(console.app.operation.is_none(), "nothing was started");
    assert!(matches!(console.app.overlay(), Some(Overlay::Confirm(_))));
    console.press(KeyCode::Esc);
    assert!(console.app.overlay().is_none());
    let calls_before = console.sim.with_state(|state| state.calls.clone());
    console.press(KeyCode::Char('U'));
    console.shown();
    console.press(KeyCode::Char('y'));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        console.sim.with_state(|state| state.calls.clone()),
        calls_before,
        "no request reached the controller"
    );
    console.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readonly_refuses_every_mutating_action() {
    let config = common::config(mixed_fleet(PREVIOUS), 120.0);
    let mut console = Console::open(config, true).await;
    console.press(KeyCode::Char('2'));
    for key in ['U', 'R', 'I'] {
        console.press(KeyCode::Char(key));
        assert!(console.app.overlay().is_none(), "{key} opened a dialog");
        let screen = console.screen(120, 40);
        assert!(screen.contains("read-only console"), "{screen}");
    }
    let screen = console.screen(120, 40);
    assert!(screen.contains("READ-ONLY"), "{screen}");
    console.press(KeyCode::Char('?'));
    let help = console.screen(120, 40);
    assert!(
        !help.contains("rollback of the gateways"),
        "help hides mutating keys: {help}"
    );
    console.close().await;
}

/// Issue 11, point 11: a console that dies during an operation (a killed SSH session) leaves
/// the story in the journal; the next console on the machine shows the operation's kind,
/// target, gateways and real start, says it was found running (not sent), verifies it against
/// the state recorded before it was sent, and completes the journal. A console on another
/// machine (no journal) follows it as the controller shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_opened_during_an_operation_takes_its_story_from_the_journal() {
    let config = common::config(mixed_fleet(PREVIOUS), 20.0);
    let mut first = Console::open(config, false).await;
    first.press(KeyCode::Char('2'));
    first.press(KeyCode::Char('U'));
    first.shown();
    first.press(KeyCode::Char('y'));
    first.until("the controller to accept", accepted).await;
    let sent = first
        .app
        .operation
        .clone()
        .expect("the first console's operation");
    first.hang_up();
    let journal = journal::file_for(first.state_dir.path(), first.sim.url()).expect("a journal");
    let open = journal::unfinished(&journal).expect("the journal reads");
    let story = open.story.expect("the operation is open in the journal");
    assert_eq!(
        story.calls.len(),
        1,
        "one request, recorded before it was sent"
    );
    assert!(
        story.calls[0]
            .1
            .as_ref()
            .is_some_and(|answer| answer.accepted)
    );
    assert_eq!(
        story.operation.confirmation.as_deref(),
        Some("pressed y in the console")
    );

    let mut elsewhere = console::Console::attach_elsewhere(&first).await;
    let found = elsewhere.app.operation.clone().expect("found running");
    assert_eq!(found.title, "Gateway operation on 1 gateways");
    assert!(logged(&found, "found running at the controller"));

    let mut second = console::Console::attach(&first, false).await;
    let resumed = |app: &avx_upgrade::tui::state::App| {
        app.operation
            .as_ref()
            .is_some_and(|op| op.log.iter().any(|(_, line)| line.starts_with("journal: ")))
    };
    second.until("the journal's story", resumed).await;
    let operation = second.app.operation.clone().expect("resumed");
    assert_eq!(
        operation.title, sent.title,
        "kind and target from the journal"
    );
    assert_eq!(operation.gateways, sent.gateways);
    assert_eq!(
        operation.started, story.started,
        "the real start, not the reopening"
    );
    assert!(
        operation.started
            <= sent
                .started
                .checked_add(jiff::SignedDuration::from_secs(1))
                .expect("time")
    );
    assert!(logged(&operation, "found running at the controller"));
    assert!(
        !logged(&operation, "sent to the controller"),
        "nothing was sent by this console: {:?}",
        operation.log
    );
    second.until("the operation to end", finished).await;
    let ended = second.app.operation.clone().expect("ended");
    assert!(
        matches!(ended.phase, Phase::Succeeded(_)),
        "{:?}",
        ended.phase
    );
    assert!(
        logged(&ended, "verified"),
        "checked against the state recorded before it was sent: {:?}",
        ended.log
    );
    let done = journal::story(&journal, &story.id).expect("reads");
    let outcome = done
        .story
        .and_then(|story| story.outcome)
        .expect("the story is complete");
    assert!(outcome.ok);
    assert_eq!(outcome.verdicts.len(), 1);
    assert!(
        journal::unfinished(&journal)
            .expect("reads")
            .story
            .is_none()
    );
    elsewhere
        .until("the operation to end elsewhere", finished)
        .await;
    let Some(Phase::Succeeded(message)) = elsewhere.app.operation.as_ref().map(|op| &op.phase)
    else {
        panic!("{:?}", elsewhere.app.operation);
    };
    assert!(message.contains("not verified"), "{message}");
    drop(second);
    drop(elsewhere);
    first.close().await;
}

fn logged(operation: &avx_upgrade::tui::operation::Operation, text: &str) -> bool {
    operation.log.iter().any(|(_, line)| line.contains(text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_7_0_platform_upgrade_is_followed_with_the_legacy_status_call() {
    let snapshot = Snapshot::new(
        common::controller(PREVIOUS, Some("6.9.349")),
        mixed_fleet(PREVIOUS).gateways().to_vec(),
    )
    .expect("fleet");
    let config = common::config(snapshot, 120.0);
    let mut console = Console::open(config, false).await;
    console.press(KeyCode::Char('t'));
    console.type_text("7.1");
    console.press(KeyCode::Enter);
    console.press(KeyCode::Char('U'));
    console.shown();
    let Some(Overlay::Confirm(dialog)) = console.app.overlay() else {
        panic!("U opens the confirmation");
    };
    let version = dialog.target.clone();
    console.type_text(&version);
    console.press(KeyCode::Enter);
    console.until("the platform upgrade to end", finished).await;
    let operation = console.app.operation.as_ref().expect("operation");
    assert!(
        matches!(operation.phase, Phase::Succeeded(_)),
        "{:?}",
        operation.log
    );
    let calls = console.sim.with_state(|state| state.calls.clone());
    assert!(
        calls.get("check_upgrade_status").copied().unwrap_or(0) > 0,
        "{calls:?}"
    );
    assert_eq!(
        calls.get("platform_upgrade_status"),
        calls.get("list_vpcs_summary"),
        "only refreshes ask it, never the poller: {calls:?}"
    );
    let snapshot = console.app.fleet.snapshot().expect("snapshot");
    assert_eq!(snapshot.controller.current_version.to_string(), CURRENT);
    console.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_quits_even_while_typing() {
    let config = common::config(mixed_fleet(PREVIOUS), 120.0);
    let mut console = Console::open(config, false).await;
    console.press(KeyCode::Char('2'));
    console.press(KeyCode::Char('/'));
    console.type_text("clo");
    console.ctrl('c');
    assert!(console.app.quit);
    console.close().await;
}

/// The marked gateways' names, sorted.
fn marked(app: &avx_upgrade::tui::state::App) -> Vec<String> {
    let mut names = app.fleet.marked_names();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_into_config_fail_is_failed_with_its_reason_and_f_marks_exactly_those() {
    let mut snapshot = mixed_fleet(CURRENT);
    let mut gateways = snapshot.gateways().to_vec();
    for gateway in &mut gateways {
        gateway.previous_software_version = Some(common::v(PREVIOUS));
    }
    snapshot = Snapshot::new(snapshot.controller.clone(), gateways).expect("fleet");
    let config = common::with_faults(common::config(snapshot, 120.0), "config-fail");
    let mut console = Console::open(config, false).await;
    console.press(KeyCode::Char('2'));
    console.press(KeyCode::Char('/'));
    console.type_text("cloud:aws type:transit");
    console.press(KeyCode::Enter);
    console.press(KeyCode::Char('a'));
    console.press(KeyCode::Esc);
    console.press(KeyCode::Char('R'));
    console.shown();
    console.type_text("2");
    console.press(KeyCode::Enter);
    console.until("the rollback to end", finished).await;
    let operation = console.app.operation.as_ref().expect("operation");
    assert!(
        matches!(&operation.phase, Phase::Failed(message) if message.contains("0 of 2 gateways verified, 2 failed")),
        "{:?} {:?}",
        operation.phase,
        operation.log
    );
    let reasons: Vec<&str> = operation.failures.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .all(|reason| reason.starts_with("ended in config_fail: config_fail:")),
        "the check and the controller's message: {reasons:?}"
    );
    let screen = console.screen(120, 40);
    assert!(screen.contains("FAILED"), "{screen}");
    assert!(!screen.contains("✓ done"), "{screen}");
    assert!(
        screen.contains("aws-transit: FAILED: ended in config_fail"),
        "{screen}"
    );
    assert!(
        screen.contains("F (or :mark failed) marks the 2 failed"),
        "{screen}"
    );

    // Another mark, then the key: exactly the failed ones are marked.
    console.press(KeyCode::Char('A'));
    console.press(KeyCode::Char('/'));
    console.type_text("name:aws-spoke");
    console.press(KeyCode::Enter);
    console.press(KeyCode::Char(' '));
    console.press(KeyCode::Char('F'));
    assert_eq!(marked(&console.app), ["aws-transit", "aws-transit-hagw"]);

    // The controller's message reaches the detail view.
    console.press(KeyCode::Esc);
    console.press(KeyCode::Char('/'));
    console.type_text("name:aws-transit");
    console.press(KeyCode::Enter);
    console.press(KeyCode::Char('g'));
    console.press(KeyCode::Enter);
    let screen = console.screen(120, 40);
    assert!(
        screen.contains("Controller Message      config_fail: the replaced gateway"),
        "{screen}"
    );
    console.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_the_controller_calls_complete_but_that_changed_nothing_is_failed() {
    let config = common::with_faults(common::config(mixed_fleet(PREVIOUS), 120.0), "no-op=1");
    let mut console = Console::open(config, false).await;
    console.press(KeyCode::Char('2'));
    console.press(KeyCode::Char('/'));
    console.type_text("name:aws-spoke");
    console.press(KeyCode::Enter);
    console.press(KeyCode::Char('U'));
    console.shown();
    console.press(KeyCode::Char('y'));
    console.until("the upgrade to end", finished).await;
    let operation = console.app.operation.as_ref().expect("operation");
    assert!(
        matches!(operation.phase, Phase::Failed(_)),
        "the job said complete, the version did not move: {:?}",
        operation.log
    );
    assert_eq!(
        operation.failures,
        [(
            "aws-spoke".to_owned(),
            format!("still on {PREVIOUS}, not {CURRENT}")
        )]
    );
    assert_eq!((operation.done, operation.failed), (0, 1));
    console.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_r_during_an_operation_keeps_its_log_and_elapsed_time() {
    // A manual clock, scaled so that one step of it ends the upgrade.
    let config = SimConfig {
        clock: Clock::manual(),
        ..common::config(mixed_fleet(PREVIOUS), 100.0)
    };
    let mut console = Console::open(config, false).await;
    console.press(KeyCode::Char('2'));
    console.press(KeyCode::Char('/'));
    console.type_text("name:aws-spoke");
    console.press(KeyCode::Enter);
    console.press(KeyCode::Char('U'));
    console.shown();
    console.press(KeyCode::Char('y'));
    console.until("the controller to accept", accepted).await;
    let before = console.app.operation.clone().expect("operation");

    // Ctrl-R reads the controller while the upgrade runs; its answer arrives only after the
    // upgrade has ended, as it does when reading a large fleet takes a while.
    console.ctrl('r');
    let stale = loop {
        match console.next_event("the refresh").await {
            event @ avx_upgrade::ops::Event::Loaded(_) => break event,
            event => console.apply_event(event),
        }
    };
    console.sim.advance(std::time::Duration::from_secs(10));
    console
        .until("the upgrade to end", |app| {
            app.operation.as_ref().is_some_and(|op| !op.is_running())
        })
        .await;
    let ended = console.app.operation.clone().expect("operation");
    console.apply_event(stale);

    let after = console.app.operation.as_ref().expect("operation");
    assert_eq!(after.id, before.id, "the same operation: {:?}", after.title);
    assert_eq!(after.started, before.started, "elapsed time goes on");
    assert_eq!(after.phase, ended.phase, "{:?}", after.log);
    assert!(
        after.log.starts_with(&before.log),
        "the log is kept: {:?}",
        after.log
    );
    console.close().await;
}

/// A journal that cannot be written stops the operation before anything is sent: an audit
/// gap is worse than a delay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_journal_stops_the_operation_before_anything_is_sent() {
    let config = common::config(mixed_fleet(PREVIOUS), 20.0);
    let mut console = Console::open(config, false).await;
    std::fs::write(console.state_dir.path().join("journal"), "not a directory")
        .expect("a file where the journal's directory goes");
    console.press(KeyCode::Char('2'));
    console.press(KeyCode::Char('U'));
    console.shown();
    console.press(KeyCode::Char('y'));
    console.until("the operation to end", finished).await;
    let operation = console.app.operation.clone().expect("an operation");
    let Phase::Failed(error) = &operation.phase else {
        panic!("{:?}", operation.phase);
    };
    assert!(
        error.contains("nothing was sent: the journal cannot be written"),
        "{error}"
    );
    assert_eq!(
        requests_sent(&console),
        None,
        "the controller never saw the request"
    );

    // Once the journal can be written, the same operation goes out (and is counted).
    std::fs::remove_file(console.state_dir.path().join("journal")).expect("removed");
    console.press(KeyCode::Char('U'));
    console.shown();
    console.press(KeyCode::Char('y'));
    console.until("the controller to accept", accepted).await;
    assert_eq!(requests_sent(&console), Some(1));
    console.close().await;
}

/// How many gateway operation requests the console's simulator has received.
fn requests_sent(console: &Console) -> Option<u64> {
    let console::Sim::Owned(running) = &console.sim else {
        panic!("the console owns its simulator");
    };
    running.with_state(|state| state.calls.get("upgrade_selected_gateway").copied())
}

/// Issue 11, point 13: a selection larger than one request is split into requests under the
/// limit (HA pairs together), checked by the planner as a whole, dry-run and sent at once,
/// and followed to one verified end. Here 300 gateways need about 6.6 KB of names; the
/// simulator reads bodies of 4 KB at most, and the client sends 4 KB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selection_over_the_request_limit_goes_in_several_requests_at_once() {
    let fleet = spoke_pairs(150);
    let names: Vec<String> = fleet
        .gateways()
        .iter()
        .map(|g| g.name.to_string())
        .collect();
    let mut config = common::config(fleet, 120.0);
    config.body_limit = 4096;
    let mut console = Console::open_sending_at_most(config, false, 4096).await;

    // Without the split, the simulator refuses the selection.
    let whole = console::logged_in_client(console.sim.url()).await;
    let refused = whole
        .gateway_dry_run(avx_upgrade::plan::Action::SoftwareUpgrade, &names)
        .await
        .expect_err("one request of 300 names is over the limit");
    assert!(refused.to_string().contains("too large"), "{refused}");

    console.press(KeyCode::Char('2'));
    console.press(KeyCode::Char('a'));
    assert_eq!(console.app.fleet.marked_count(), 300);
    console.press(KeyCode::Char('d'));
    console
        .until(
            "the dry run",
            |app| matches!(app.overlay(), Some(Overlay::DryRun(pane)) if pane.result.is_some()),
        )
        .await;
    let screen = console.screen(120, 40);
    assert!(screen.contains("PASSED"), "{screen}");
    console.press(KeyCode::Esc);
    let dry_runs = requests_sent(&console).expect("the dry run was sent");
    assert!(dry_runs >= 2, "the dry run is split too: {dry_runs}");

    console.press(KeyCode::Char('U'));
    console.shown();
    console.type_text("300");
    console.press(KeyCode::Enter);
    console.until("the operation to end", finished).await;
    let operation = console.app.operation.clone().expect("an operation");
    let requests = requests_sent(&console).expect("requests were sent") - dry_runs;
    assert!(requests >= 2, "{requests} request(s)");
    let journal = journal::file_for(console.state_dir.path(), console.sim.url()).expect("a path");
    let records: Vec<journal::Record> = journal::read(&journal)
        .expect("the journal reads")
        .map(|record| record.expect("a good line"))
        .collect();
    let answers: Vec<&journal::Answer> = records
        .iter()
        .filter_map(|record| match &record.entry {
            journal::Entry::Answer(answer) => Some(answer),
            _ => None,
        })
        .collect();
    assert_eq!(answers.len() as u64, requests, "every request recorded");
    assert!(answers.iter().all(|answer| answer.accepted));
    assert!(
        matches!(&operation.phase, Phase::Succeeded(message) if message.contains("300 of 300 gateways verified")),
        "{:?}",
        operation.phase
    );
    assert_eq!(on_current(&console), 300);
    console.close().await;
}

/// Issue 11, point 11, for the platform: a console that dies during a platform upgrade leaves
/// it open in the journal; the next one shows it as the journal tells it, follows it through
/// the restart, and completes the story.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_upgrade_found_running_takes_its_story_from_the_journal() {
    let config = common::config(mixed_fleet(CURRENT), 120.0);
    let mut first = Console::open(config, false).await;
    first.press(KeyCode::Char('t'));
    first.type_text("7.2");
    first.press(KeyCode::Enter);
    first.press(KeyCode::Char('U'));
    first.shown();
    first.type_text(NEXT);
    first.press(KeyCode::Enter);
    first.until("the controller to accept", accepted).await;
    let sent = first
        .app
        .operation
        .clone()
        .expect("the first console's operation");
    first.hang_up();

    let mut second = console::Console::attach(&first, false).await;
    second
        .until("the journal's story", |app| {
            app.operation
                .as_ref()
                .is_some_and(|op| logged(op, "journal: "))
        })
        .await;
    let operation = second.app.operation.clone().expect("resumed");
    assert_eq!(operation.title, format!("Platform Upgrade to {NEXT}"));
    assert_eq!(operation.title, sent.title);
    second.until("the platform upgrade to end", finished).await;
    let ended = second.app.operation.clone().expect("ended");
    assert!(
        matches!(ended.phase, Phase::Succeeded(_)),
        "{:?}",
        ended.log
    );
    let journal = journal::file_for(first.state_dir.path(), first.sim.url()).expect("a path");
    assert!(
        journal::unfinished(&journal)
            .expect("reads")
            .story
            .is_none()
    );
    drop(second);
    first.close().await;
}

/// `pairs` spoke HA pairs on [`PREVIOUS`], under a controller on [`CURRENT`].
fn spoke_pairs(pairs: usize) -> Snapshot {
    let mut gateways = Vec::new();
    for number in 0..pairs {
        let name = format!("spoke-use1-{number:03}");
        gateways.extend(common::pair(&name, GatewayType::Spoke, PREVIOUS));
    }
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("valid fleet")
}

/// How many of the simulator's gateways run [`CURRENT`].
fn on_current(console: &Console) -> usize {
    let console::Sim::Owned(running) = &console.sim else {
        panic!("the console owns its simulator");
    };
    running.with_state(|state| {
        state
            .snapshot
            .gateways()
            .iter()
            .filter(|gateway| gateway.software_version == common::v(CURRENT))
            .count()
    })
}

/// Issue 11, point 13: when the controller refuses one of the requests (here: one of its
/// gateways is already being upgraded by someone else), the gateways of that request fail
/// with the controller's reason, the others go on, and the operation is not called a success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_fails_its_gateways_and_the_others_go_on() {
    let mut config = common::config(spoke_pairs(150), 60.0);
    config.body_limit = 4096;
    let mut console = Console::open_sending_at_most(config, false, 4096).await;
    let elsewhere = console::logged_in_client(console.sim.url()).await;
    console.press(KeyCode::Char('2'));
    console.press(KeyCode::Char('a'));
    console.press(KeyCode::Char('U'));
    console.shown();
    console.type_text("300");
    // Someone else starts an upgrade of the last gateway before this console sends its own.
    elsewhere
        .start_gateway_operation(
            avx_upgrade::plan::Action::SoftwareUpgrade,
            &["spoke-use1-149".to_owned()],
        )
        .await
        .expect("the other upgrade starts");
    console.press(KeyCode::Enter);
    console.until("the operation to end", finished).await;
    let operation = console.app.operation.clone().expect("an operation");
    let Phase::Failed(message) = &operation.phase else {
        panic!("not a success: {:?}", operation.phase);
    };
    let failed = &operation.failures;
    assert!(!failed.is_empty() && failed.len() < 300, "{message}");
    assert!(
        failed.iter().any(|(name, _)| name == "spoke-use1-149"),
        "{failed:?}"
    );
    assert!(
        failed.iter().all(|(_, reason)| reason
            .contains("not started: the controller refused its request (")
            && reason.contains("Active upgrade in progress.")),
        "{failed:?}"
    );
    assert_eq!(
        on_current(&console),
        300 - failed.len() + 1,
        "the other requests went on (and the other console's upgrade ended too)"
    );
    console.close().await;
}
