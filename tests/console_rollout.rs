//! The console's Rollout window (issue 12) against the in-process simulator: a staged upgrade
//! confirmed once with every wave shown, run wave by wave to the end; a rollout waiting for
//! its next wave, resumed with a light confirmation, then aborted; and a rollout left behind
//! by a console that died (a killed SSH session), found in the journal by the next console and
//! resumed there with every gateway operated on once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;
mod console;

use avx_upgrade::ops::rollout::RolloutEnd;
use avx_upgrade::snapshot::{GatewayType, Snapshot};
use avx_upgrade::tui::rollout::Phase;
use avx_upgrade::tui::state::{App, Overlay, Window};
use common::{CURRENT, PREVIOUS};
use console::Console;
use crossterm::event::KeyCode;

const SPEED: f64 = 240.0;

/// `pairs` spoke pairs on [`PREVIOUS`] under a controller on [`CURRENT`].
fn spoke_pairs(pairs: usize) -> Snapshot {
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

fn ended(app: &App) -> bool {
    app.rollout
        .as_ref()
        .is_some_and(|view| matches!(view.phase, Phase::Ended(_)))
        && !app.refreshing()
}

fn waiting(app: &App) -> bool {
    app.rollout
        .as_ref()
        .is_some_and(|view| matches!(view.phase, Phase::Waiting { .. }))
}

fn end_of(app: &App) -> Option<&RolloutEnd> {
    match &app.rollout.as_ref()?.phase {
        Phase::Ended(end) => Some(end),
        _ => None,
    }
}

fn on(console: &Console, version: &str) -> usize {
    console.sim.with_state(|state| {
        state
            .snapshot
            .gateways()
            .iter()
            .filter(|gateway| gateway.software_version.to_string() == version)
            .count()
    })
}

fn command(console: &mut Console, line: &str) {
    console.press(KeyCode::Char(':'));
    console.type_text(line);
    console.press(KeyCode::Enter);
}

/// Stages a software upgrade of every gateway in the Rollout window and confirms it with the
/// count typed.
fn stage_and_confirm(console: &mut Console, count: usize) {
    console.press(KeyCode::Char('3'));
    assert_eq!(console.app.window, Window::Rollout);
    console.press(KeyCode::Char('U'));
    console.shown();
    console.type_text(&count.to_string());
    console.press(KeyCode::Enter);
    assert!(console.app.rollout.is_some(), "{}", console.screen(120, 40));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staged_upgrade_is_confirmed_once_with_every_wave_and_runs_to_the_end() {
    let mut console = Console::open(common::config(spoke_pairs(4), SPEED), false).await;
    command(&mut console, "policy wave-size 3 automatic");
    console.press(KeyCode::Char('3'));
    let empty = console.screen(80, 24);
    assert!(empty.contains("No rollout."), "{empty}");
    assert!(empty.contains("waves of at most 3"), "{empty}");

    console.press(KeyCode::Char('U'));
    console.shown();
    let dialog = console.screen(120, 40);
    assert!(
        dialog.contains("Confirm Staged Software Upgrade"),
        "{dialog}"
    );
    assert!(dialog.contains("wave 1 (canary): 1 gateway"), "{dialog}");
    assert!(
        dialog.contains("Type 8, the number of gateways"),
        "{dialog}"
    );
    console.press(KeyCode::Char('y'));
    assert!(
        console.app.rollout.is_none(),
        "y alone does not start a rollout"
    );
    console.type_text("8");
    console.press(KeyCode::Enter);
    console.until("the rollout to end", ended).await;
    assert_eq!(end_of(&console.app), Some(&RolloutEnd::Done));
    assert_eq!(on(&console, CURRENT), 8, "every gateway on target");
    let screen = console.screen(80, 24);
    assert!(screen.contains("✓ done"), "{screen}");
    assert!(screen.contains("failure budget: 0 of 0 used"), "{screen}");
    let view = console.app.rollout.as_ref().expect("a rollout");
    assert!(
        view.steps.len() >= 3,
        "a canary and waves of 3: {:?}",
        view.steps
    );
    assert_eq!(view.done(), view.steps.len());
    console.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_rollout_goes_on_after_r_and_y_and_stops_after_x_and_y() {
    let mut console = Console::open(common::config(spoke_pairs(4), SPEED), false).await;
    command(&mut console, "policy wave-size 2");
    stage_and_confirm(&mut console, 8);
    console.until("the wait before wave 2", waiting).await;
    let screen = console.screen(80, 24);
    assert!(screen.contains("waiting: r starts wave 2"), "{screen}");
    assert_eq!(on(&console, CURRENT), 1, "only the canary ran");

    console.press(KeyCode::Char('r'));
    assert!(matches!(console.app.overlay(), Some(Overlay::Ask(_))));
    console.press(KeyCode::Char('y'));
    assert!(
        matches!(console.app.overlay(), Some(Overlay::Ask(_))),
        "a key before the question was on screen does not count"
    );
    console.shown();
    console.press(KeyCode::Char('y'));
    console
        .until("wave 2 to run", |app| {
            app.rollout.as_ref().is_some_and(|view| view.done() == 2) && waiting(app)
        })
        .await;
    assert_eq!(on(&console, CURRENT), 3);

    console.press(KeyCode::Char('X'));
    console.shown();
    console.press(KeyCode::Char('y'));
    console.until("the abort", ended).await;
    assert_eq!(end_of(&console.app), Some(&RolloutEnd::Aborted));
    assert_eq!(on(&console, CURRENT), 3, "nothing was sent after the abort");
    console.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_left_by_a_dead_console_is_found_by_the_next_and_resumed_there() {
    let mut first = Console::open(common::config(spoke_pairs(3), SPEED), false).await;
    command(&mut first, "policy wave-size 2");
    stage_and_confirm(&mut first, 6);
    first.until("the wait before wave 2", waiting).await;
    first.hang_up();

    let mut second = Console::attach(&first, false).await;
    second
        .until("the unfinished rollout", |app| {
            app.rollout
                .as_ref()
                .is_some_and(|view| view.phase == Phase::Unfinished)
        })
        .await;
    second.press(KeyCode::Char('3'));
    let screen = second.screen(80, 24);
    assert!(
        screen.contains("unfinished, found in the journal"),
        "{screen}"
    );
    second.press(KeyCode::Char('U'));
    assert!(
        second.app.overlay().is_none(),
        "no new rollout while one is unfinished"
    );
    second.press(KeyCode::Char('r'));
    second.shown();
    let dialog = second.screen(120, 40);
    assert!(
        dialog.contains("Confirm Resume Software Upgrade"),
        "{dialog}"
    );
    second.type_text("6");
    second.press(KeyCode::Enter);
    loop {
        second
            .until("a wait or the end", |app| waiting(app) || ended(app))
            .await;
        if ended(&second.app) {
            break;
        }
        second.press(KeyCode::Char('r'));
        second.shown();
        second.press(KeyCode::Char('y'));
        second.until("the step to start", |app| !waiting(app)).await;
    }
    assert_eq!(end_of(&second.app), Some(&RolloutEnd::Done));
    assert_eq!(on(&first, CURRENT), 6);
    let jobs = first.sim.with_state(|state| state.jobs_per_gateway.clone());
    assert!(
        jobs.values().all(|&count| count == 1) && jobs.len() == 6,
        "each gateway operated on once: {jobs:?}"
    );
    second.close().await;
    first.close().await;
}
