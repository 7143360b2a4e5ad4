//! A large fleet on screen before it is read whole: the first rows as soon as they arrive,
//! their statuses pending, the count read so far, and nothing marked or sent until every
//! gateway and its status is in.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;
mod console;

use avx_upgrade::api::records::FIRST_ROWS;
use avx_upgrade::ops::{Event, Job, Live, Loaded, Reading, Taken};
use avx_upgrade::snapshot::{GatewayType, Snapshot};
use avx_upgrade::tui::keymap::Keymap;
use avx_upgrade::tui::message::Msg;
use avx_upgrade::tui::state::App;
use avx_upgrade::tui::theme::Theme;
use avx_upgrade::tui::update::update;
use common::{CURRENT, PREVIOUS};
use console::{draw, fixed_now, press, text_of, type_into};
use crossterm::event::KeyCode;

fn fleet(count: usize) -> Snapshot {
    let gateways = (0..count)
        .map(|i| {
            common::gateway(
                &format!("spoke-{i:05}"),
                GatewayType::Spoke,
                avx_upgrade::snapshot::Role::Primary,
                PREVIOUS,
            )
        })
        .collect();
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet")
}

fn first_rows() -> Snapshot {
    fleet(FIRST_ROWS)
}

fn flash(app: &App) -> String {
    app.flash
        .as_ref()
        .map(|flash| flash.text.clone())
        .unwrap_or_default()
}

fn reading(app: &mut App, reading: Reading) {
    let effects = update(app, Msg::Ops(Event::Reading(reading)));
    assert!(effects.is_empty(), "{effects:?}");
}

#[test]
fn the_first_rows_show_with_pending_statuses_and_nothing_can_be_marked_until_all_is_read() {
    let mut app = App::new(
        "https://ctl.example.com".into(),
        "admin".into(),
        false,
        Keymap::default(),
        fixed_now(),
    );
    assert_eq!(app.request_refresh(), Some(Job::Refresh));
    reading(
        &mut app,
        Reading::Gateways {
            read: FIRST_ROWS,
            first: Some(Box::new(first_rows())),
        },
    );
    reading(
        &mut app,
        Reading::Gateways {
            read: 12_400,
            first: None,
        },
    );
    press(&mut app, KeyCode::Char('2'));
    let screen = text_of(&draw(&app, 120, 40, &Theme::monochrome()));
    assert!(screen.contains("spoke-00000"), "{screen}");
    assert!(screen.contains("… reading"), "statuses pending:\n{screen}");
    assert!(
        screen.contains("loading: 12,400 gateways read, the first shown"),
        "{screen}"
    );
    assert!(
        screen.contains("500/500 shown of 12,400 read so far"),
        "the title never passes the first rows for the fleet:\n{screen}"
    );

    // Every way of marking or acting waits for the whole fleet.
    for key in [' ', 'a', 'F', 'd', 'U', 'R', 'I'] {
        let effects = press(&mut app, KeyCode::Char(key));
        assert!(effects.is_empty(), "{key}: {effects:?}");
        assert_eq!(app.fleet.marked_count(), 0, "{key} marked something");
        assert!(app.overlay().is_none(), "{key} opened {:?}", app.overlay());
        assert!(
            flash(&app).contains("the fleet is still being read (12400 gateways so far)"),
            "{key}: {}",
            flash(&app)
        );
    }
    press(&mut app, KeyCode::Char(':'));
    type_into(&mut app, "mark all");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.fleet.marked_count(), 0);
    // Looking is allowed: moving and filtering.
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.fleet.cursor(), 1);

    let (taken, mut refresh_waits) = Taken::new();
    reading(
        &mut app,
        Reading::Statuses {
            total: 2_000,
            fleet: std::sync::Arc::new(fleet(2_000)),
            taken,
        },
    );
    assert_eq!(
        refresh_waits.try_recv(),
        Ok(()),
        "the refresh asks for the statuses once the table holds the whole fleet"
    );
    let screen = text_of(&draw(&app, 120, 40, &Theme::monochrome()));
    assert!(
        screen.contains("loading: 2,000 gateways read, their statuses next"),
        "{screen}"
    );
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.fleet.marked_count(), 0);

    let whole = fleet(2_000);
    let live = vec![Live::new("complete".into(), None); whole.gateways().len()];
    let effects = update(
        &mut app,
        Msg::Ops(Event::Loaded(Box::new(Loaded {
            preflight: None,
            snapshot: whole.into(),
            catalog: common::catalog(),
            live,
            skipped: Vec::new(),
            platform_running: None,
            gateways_running: Vec::new(),
        }))),
    );
    assert!(effects.is_empty(), "{effects:?}");
    assert!(app.loading.is_none());
    let screen = text_of(&draw(&app, 120, 40, &Theme::monochrome()));
    assert!(!screen.contains("… reading"), "{screen}");
    assert!(screen.contains("✓ complete"), "{screen}");
    assert_eq!(app.fleet.cursor(), 1, "the cursor stays on its gateway");
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(
        app.fleet.marked_count(),
        1,
        "marking works once all is read"
    );
}

/// A later refresh of a fleet already shown keeps it whole and only counts.
#[test]
fn a_later_refresh_keeps_the_whole_fleet_and_counts() {
    let mut app = console::loaded_app(fleet(600), false);
    press(&mut app, KeyCode::Char('2'));
    reading(
        &mut app,
        Reading::Gateways {
            read: FIRST_ROWS,
            first: Some(Box::new(first_rows())),
        },
    );
    assert_eq!(app.fleet.total(), 600, "the whole fleet stays");
    assert!(!app.fleet_is_partial());
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.fleet.marked_count(), 1);
    let screen = text_of(&draw(&app, 120, 40, &Theme::monochrome()));
    assert!(
        screen.contains("reading the controller again: 500 gateways"),
        "{screen}"
    );
}

/// The whole path, against the simulator with its status list held back: the console shows
/// the first rows of 2,000 gateways with their statuses pending, refuses to mark, and takes
/// marks once the statuses are released and arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_show_before_the_statuses_arrive_and_marking_waits_for_them() {
    let sim = avx_upgrade::sim::start(common::config(fleet(2_000), 1.0))
        .await
        .expect("the simulator starts");
    let hold = sim.hold_statuses();
    let url = format!("http://{}", sim.addr);
    let mut console = console::Console::open_on(&url).await;
    console.press(KeyCode::Char('2'));
    assert!(console.app.fleet_is_partial(), "the statuses are held back");
    console
        .until("the count of every gateway read", |app| {
            app.loading.is_some_and(|loading| loading.statuses)
        })
        .await;
    let screen = console.screen(120, 40);
    assert!(screen.contains("spoke-00000"), "{screen}");
    assert!(screen.contains("… reading"), "{screen}");
    assert!(
        screen.contains("loading: 2,000 gateways read, their statuses next"),
        "{screen}"
    );
    assert_eq!(
        console.app.fleet.total(),
        2_000,
        "every gateway is shown once read, before its status"
    );
    assert!(
        screen.contains("2000/2000 shown of 2,000 read so far"),
        "{screen}"
    );
    console.press(KeyCode::Char(' '));
    console.press(KeyCode::Char('a'));
    assert_eq!(console.app.fleet.marked_count(), 0, "nothing marked yet");
    assert!(flash(&console.app).contains("the fleet is still being read"));

    hold.release();
    console
        .until("the whole fleet and its statuses", |app| {
            app.loading.is_none()
        })
        .await;
    assert_eq!(console.app.fleet.total(), 2_000);
    let screen = console.screen(120, 40);
    assert!(!screen.contains("… reading"), "{screen}");
    console.press(KeyCode::Char('a'));
    assert_eq!(console.app.fleet.marked_count(), 2_000);
    console.close().await;
    sim.stop().await;
}
