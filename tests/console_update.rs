//! Pure tests of the console's `update`: filters, marks (hidden ones too), sort, the
//! confirmation rules (the key guard, pastes, the count), the operation state machine and
//! signals, with no terminal and no controller; and a fuzz of the filter language.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;
mod console;
#[path = "fuzz/mutate.rs"]
mod mutate;

use avx_upgrade::api::poll::{GatewayProgress, Progress};
use avx_upgrade::cloud::Cloud;
use avx_upgrade::ops::verify::Verdict;
use avx_upgrade::ops::{Event, Follow, Job, Live, Loaded};
use avx_upgrade::plan::request::{Request, Selection};
use avx_upgrade::snapshot::{GatewayType, Snapshot};
use avx_upgrade::tui::confirm::{Confirm, KEY_GUARD};
use avx_upgrade::tui::fleet::{FleetView, SortKey};
use avx_upgrade::tui::message::{Command, Msg, Signal};
use avx_upgrade::tui::operation::Phase;
use avx_upgrade::tui::state::{App, Overlay, Prompt, Window};
use avx_upgrade::tui::theme::Theme;
use avx_upgrade::tui::update::update;
use common::{CURRENT, NEXT, PREVIOUS};
use console::{draw, loaded_app, press, shown, text_of, type_into};
use crossterm::event::KeyCode;

/// 12 AWS spokes (6 pairs), a GCP transit pair, all behind the controller on `PREVIOUS`.
fn fleet() -> Snapshot {
    let mut gateways = Vec::new();
    for i in 0..6 {
        gateways.extend(common::pair(
            &format!("spoke-{i:02}"),
            GatewayType::Spoke,
            PREVIOUS,
        ));
    }
    let mut gcp = common::pair("gcp-transit", GatewayType::Transit, PREVIOUS);
    for gateway in &mut gcp {
        gateway.cloud = Cloud::Gcp;
        gateway.region = "us-central1".into();
    }
    gateways.extend(gcp);
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet")
}

fn gateways_window(readonly: bool) -> App {
    let mut app = loaded_app(fleet(), readonly);
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(app.window, Window::Gateways);
    app
}

fn shown_names(app: &App) -> Vec<String> {
    (0..app.fleet.shown_len())
        .filter_map(|row| app.fleet.shown_index(row))
        .filter_map(|index| app.fleet.gateway(index))
        .map(|gateway| gateway.name.to_string())
        .collect()
}

#[test]
fn the_query_filters_as_you_type_enter_keeps_it_and_esc_clears_it() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char('/'));
    assert!(matches!(app.prompt(), Some(Prompt::Query(_))));
    type_into(&mut app, "cloud:gcp");
    assert_eq!(shown_names(&app), ["gcp-transit", "gcp-transit-hagw"]);
    press(&mut app, KeyCode::Enter);
    assert!(app.prompt().is_none());
    assert_eq!(app.fleet.query().text(), "cloud:gcp");
    press(&mut app, KeyCode::Char('/'));
    type_into(&mut app, " !role:secondary");
    assert_eq!(shown_names(&app), ["gcp-transit"]);
    press(&mut app, KeyCode::Esc);
    assert!(app.fleet.query().is_empty());
    assert_eq!(app.fleet.shown_len(), 14);
}

#[test]
fn a_bad_query_says_why_and_enter_does_not_accept_it() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char('/'));
    type_into(&mut app, "colour:red");
    let error = app.query_error.clone().expect("an error");
    assert!(error.contains("unknown filter key \"colour\""), "{error}");
    press(&mut app, KeyCode::Enter);
    assert!(app.prompt().is_some(), "the prompt stays open on an error");
    assert_eq!(
        app.fleet.query().text(),
        "colour",
        "the last filter that parsed stays"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.fleet.shown_len(), 14);
}

#[test]
fn filter_keys_read_in_any_case_and_an_unknown_one_lists_them_all() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char('/'));
    type_into(&mut app, "CLOUD:gcp Role:primary");
    assert_eq!(shown_names(&app), ["gcp-transit"]);
    type_into(&mut app, " zone:a");
    let error = app.query_error.clone().expect("an error");
    assert!(
        error.ends_with("use cloud, region, type, role, state, version, account, name, status"),
        "{error}"
    );
}

#[test]
fn same_key_twice_is_or_and_the_picker_adds_predicates() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char('/'));
    type_into(&mut app, "cloud:gcp cloud:aws");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.fleet.shown_len(), 14);
    press(&mut app, KeyCode::Esc);
    assert!(
        app.fleet.query().is_empty(),
        "Esc with no pane open clears the filter"
    );
    press(&mut app, KeyCode::Char('f'));
    let Some(Overlay::Picker(picker)) = app.overlay() else {
        panic!("the picker opens");
    };
    assert_eq!(picker.entries[0].1, "aws", "most common value first");
    assert_eq!(picker.entries[0].2, 12);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay().is_none());
    assert_eq!(app.fleet.query().text(), "cloud:gcp");
    assert_eq!(app.fleet.shown_len(), 2);
}

#[test]
fn the_picker_offers_every_field_as_the_table_shows_it_with_counts() {
    let mut app = gateways_window(false);
    let failed = app.fleet.index_of("spoke-03").expect("spoke-03");
    app.fleet.set_live(
        failed,
        Live::new("upgrade_fail".into(), None).with_state(Some("down".into())),
    );
    press(&mut app, KeyCode::Char('f'));
    let Some(Overlay::Picker(picker)) = app.overlay() else {
        panic!("the picker opens");
    };
    let mut fields: Vec<String> = picker
        .entries
        .iter()
        .map(|(field, _, _)| field.to_string())
        .collect();
    fields.dedup();
    assert_eq!(
        fields,
        [
            "cloud", "region", "type", "role", "state", "status", "version", "account"
        ]
    );
    let offered: Vec<String> = picker
        .entries
        .iter()
        .map(|(field, value, count)| format!("{field}:{value} {count}"))
        .collect();
    for entry in [
        "state:up 13",
        "state:down 1",
        "status:complete 13",
        "status:FAILED 1",
        &format!("version:{PREVIOUS} 14"),
        "account:prod-aws 14",
    ] {
        assert!(
            offered.iter().any(|offer| offer == entry),
            "{entry} in {offered:?}"
        );
    }
    let at = offered
        .iter()
        .position(|offer| offer == "status:FAILED 1")
        .expect("offered");
    for _ in 0..at {
        press(&mut app, KeyCode::Char('j'));
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.fleet.query().text(), "status:FAILED");
    assert_eq!(shown_names(&app), ["spoke-03"]);
}

#[test]
fn marks_space_a_and_capital_a_and_they_survive_a_refresh() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.fleet.marked_count(), 1);
    assert_eq!(app.fleet.cursor(), 1, "space moves to the next row");
    press(&mut app, KeyCode::Char('/'));
    type_into(&mut app, "gcp");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(
        app.fleet.marked_count(),
        3,
        "a marks the shown gateways, keeping others"
    );
    let loaded = Loaded {
        snapshot: fleet().into(),
        catalog: common::catalog(),
        live: Vec::new(),
        skipped: Vec::new(),
        platform_running: None,
        gateways_running: Vec::new(),
        preflight: None,
    };
    update(&mut app, Msg::Ops(Event::Loaded(Box::new(loaded))));
    assert_eq!(
        app.fleet.marked_names(),
        ["spoke-00", "gcp-transit", "gcp-transit-hagw"]
    );
    assert_eq!(
        app.fleet.query().text(),
        "gcp",
        "the filter survives the refresh"
    );
    press(&mut app, KeyCode::Char('A'));
    assert_eq!(app.fleet.marked_count(), 0);
}

#[test]
fn s_cycles_the_sort_and_capital_s_reverses_it() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.fleet.sort(), Some((SortKey::Name, false)));
    assert_eq!(shown_names(&app)[0], "gcp-transit");
    press(&mut app, KeyCode::Char('S'));
    assert_eq!(app.fleet.sort(), Some((SortKey::Name, true)));
    assert_eq!(shown_names(&app)[0], "spoke-05-hagw");
    for _ in 0..4 {
        press(&mut app, KeyCode::Char('s'));
    }
    assert_eq!(app.fleet.sort(), Some((SortKey::Cloud, false)));
    assert_eq!(
        shown_names(&app)[0],
        "spoke-00",
        "aws before gcp, then by name"
    );
}

#[test]
fn moving_stays_within_the_rows() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char('k'));
    assert_eq!(app.fleet.cursor(), 0);
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.fleet.cursor(), 13);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.fleet.cursor(), 13);
    press(&mut app, KeyCode::PageUp);
    assert_eq!(
        app.fleet.cursor(),
        3,
        "a page is 10 rows before the first draw"
    );
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.fleet.cursor(), 0);
}

#[test]
fn the_upgrade_asks_for_confirmation_and_sends_exactly_what_it_showed() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    let Some(Overlay::Confirm(dialog)) = app.overlay() else {
        panic!("U opens the confirmation");
    };
    assert_eq!(dialog.target, CURRENT);
    assert_eq!(dialog.gateways, 2);
    assert!(!dialog.needs_typed_count());
    let effects = press(&mut app, KeyCode::Char('y'));
    let expected = Request::SoftwareUpgrade {
        gateways: Selection::Named(vec!["spoke-00".into(), "spoke-00-hagw".into()]),
        target: None,
    };
    let [
        Job::Start {
            operation: 1,
            prepared,
        },
    ] = effects.as_slice()
    else {
        panic!("one start: {effects:?}");
    };
    assert_eq!(prepared.request, expected);
    assert_eq!(
        prepared.groups,
        [vec!["spoke-00".to_owned(), "spoke-00-hagw".to_owned()]],
        "an HA pair travels in one request"
    );
    assert_eq!(prepared.expected.len(), 2, "both members are verified");
    assert!(app.busy());
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    assert!(
        app.overlay().is_none(),
        "no second operation while one runs"
    );
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|flash| flash.text.contains("already running"))
    );
}

#[test]
fn more_than_ten_gateways_need_the_count_typed() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char('a'));
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    assert!(
        press(&mut app, KeyCode::Char('y')).is_empty(),
        "y is not enough for 14"
    );
    type_into(&mut app, "13");
    assert!(press(&mut app, KeyCode::Enter).is_empty(), "13 is not 14");
    press(&mut app, KeyCode::Backspace);
    type_into(&mut app, "4");
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Job::Start { .. }]),
        "{effects:?}"
    );
}

#[test]
fn cancel_is_the_default_and_nothing_is_sent() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(app.overlay().is_none());
    assert!(app.operation.is_none());
    press(&mut app, KeyCode::Char('I'));
    shown(&mut app);
    assert!(press(&mut app, KeyCode::Char('n')).is_empty());
    assert!(app.operation.is_none());
}

#[test]
fn a_blocked_platform_upgrade_shows_its_blockers_and_cannot_be_confirmed() {
    let mut app = loaded_app(fleet(), false);
    press(&mut app, KeyCode::Char('t'));
    type_into(&mut app, "7.2");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    let Some(Overlay::Confirm(dialog)) = app.overlay() else {
        panic!("U opens the dialog");
    };
    assert!(dialog.blocked());
    assert!(
        dialog
            .blockers
            .iter()
            .any(|f| f.code.as_str() == "gateways-behind-controller")
    );
    for code in [KeyCode::Char('y'), KeyCode::Tab, KeyCode::Enter] {
        assert!(press(&mut app, code).is_empty());
    }
    assert!(app.operation.is_none());
}

#[test]
fn the_target_field_takes_keys_only_while_edited_and_validates_as_you_type() {
    let mut app = loaded_app(fleet(), false);
    press(&mut app, KeyCode::Char('t'));
    type_into(&mut app, "6.4");
    let verdict = app.platform.verdict.clone().expect("a verdict");
    let why = verdict.expect_err("6.4 is below the running train");
    assert!(why.starts_with("target-below-current"), "{why}");
    assert_eq!(
        app.window,
        avx_upgrade::tui::state::Window::Platform,
        "keys went to the field"
    );
    press(&mut app, KeyCode::Esc);
    assert!(!app.editing_target());
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(
        app.window,
        Window::Gateways,
        "after Esc, keys act as everywhere"
    );
    assert_eq!(app.platform.input.value(), "6.4");
}

#[test]
fn readonly_refuses_and_the_command_line_switches_windows() {
    let mut app = gateways_window(true);
    for key in ['U', 'R', 'I'] {
        press(&mut app, KeyCode::Char(key));
        assert!(app.overlay().is_none());
    }
    press(&mut app, KeyCode::Char(':'));
    type_into(&mut app, "platform");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.window, Window::Platform);
    press(&mut app, KeyCode::Char(':'));
    type_into(&mut app, "nope");
    press(&mut app, KeyCode::Enter);
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|flash| flash.text.contains("unknown command :nope"))
    );
    press(&mut app, KeyCode::Char(':'));
    type_into(&mut app, "q");
    press(&mut app, KeyCode::Enter);
    assert!(app.quit);
}

#[test]
fn the_operation_follows_progress_updates_the_table_and_refreshes_at_the_end() {
    let mut app = gateways_window(false);
    let id = start_upgrade(&mut app);
    let progress = Progress::Gateways {
        gateways: vec![GatewayProgress {
            name: "spoke-00".into(),
            state: "waiting".into(),
            update_status: "upgrading".into(),
            progress: Some(40),
            message: None,
        }],
        done: 0,
        failed: 0,
    };
    update(
        &mut app,
        Msg::Ops(Event::Progress {
            operation: id,
            progress,
        }),
    );
    let index = app.fleet.index_of("spoke-00").expect("gateway");
    assert_eq!(
        app.fleet.live(index),
        Some(&Live::new("upgrading".into(), Some(40)).with_state(Some("waiting".into())))
    );
    let stale = update(
        &mut app,
        Msg::Ops(Event::Progress {
            operation: id + 7,
            progress: Progress::LoggedInAgain,
        }),
    );
    assert!(stale.is_empty(), "events of another operation are ignored");
    let effects = update(
        &mut app,
        Msg::Ops(Event::Progress {
            operation: id,
            progress: Progress::Finished {
                ok: true,
                message: "1 of 1 done".into(),
            },
        }),
    );
    assert_eq!(effects, [Job::Refresh]);
    assert!(matches!(
        app.operation.as_ref().map(|op| &op.phase),
        Some(Phase::Succeeded(_))
    ));
    assert!(!app.busy());
}

#[test]
fn a_refused_start_is_shown_and_frees_the_console() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    press(&mut app, KeyCode::Char('y'));
    update(
        &mut app,
        Msg::Ops(Event::StartFailed {
            operation: 1,
            error: "Active upgrade in progress.".into(),
        }),
    );
    assert!(!app.busy());
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|flash| flash.text.contains("Active upgrade in progress."))
    );
}

#[test]
fn an_operation_found_running_is_followed() {
    let mut app = loaded_app(fleet(), false);
    let loaded = Loaded {
        snapshot: fleet().into(),
        catalog: common::catalog(),
        live: Vec::new(),
        skipped: Vec::new(),
        platform_running: None,
        gateways_running: vec!["spoke-03".into()],
        preflight: None,
    };
    let effects = update(&mut app, Msg::Ops(Event::Loaded(Box::new(loaded))));
    assert_eq!(
        effects,
        [Job::Follow {
            operation: 1,
            follow: Follow::Gateways(vec!["spoke-03".into()])
        }]
    );
    assert!(app.busy());
}

#[test]
fn a_failed_refresh_marks_the_data_stale_and_keeps_it() {
    let mut app = gateways_window(false);
    update(
        &mut app,
        Msg::Ops(Event::LoadFailed("connection refused".into())),
    );
    assert!(matches!(
        app.connection,
        avx_upgrade::tui::state::Connection::Stale { .. }
    ));
    assert_eq!(app.fleet.total(), 14, "the last data stays");
    let effects = update(&mut app, Msg::Command(Command::Refresh));
    assert_eq!(effects, [Job::Refresh]);
    assert!(
        update(&mut app, Msg::Command(Command::Refresh)).is_empty(),
        "one refresh at a time"
    );
}

/// A refresh's answer with `snapshot`, nothing running at the controller.
fn loaded(snapshot: Snapshot) -> Msg {
    Msg::Ops(Event::Loaded(Box::new(Loaded {
        snapshot: snapshot.into(),
        catalog: common::catalog(),
        live: Vec::new(),
        skipped: Vec::new(),
        platform_running: None,
        gateways_running: Vec::new(),
        preflight: None,
    })))
}

#[test]
fn an_operation_ending_during_a_refresh_reads_the_controller_again_after_it() {
    let mut app = gateways_window(false);
    let id = start_upgrade(&mut app);
    assert_eq!(
        update(&mut app, Msg::Command(Command::Refresh)),
        [Job::Refresh]
    );
    let finished = Progress::Finished {
        ok: true,
        message: "1 of 1 done".into(),
    };
    let effects = update(
        &mut app,
        Msg::Ops(Event::Progress {
            operation: id,
            progress: finished,
        }),
    );
    assert!(effects.is_empty(), "one refresh at a time: {effects:?}");
    assert_eq!(
        update(&mut app, loaded(fleet())),
        [Job::Refresh],
        "the refresh in flight may predate the end: read again"
    );
    assert!(update(&mut app, loaded(fleet())).is_empty());
}

#[test]
fn d_dry_runs_the_window_operation_after_a_cancelled_rollback() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char('R'));
    shown(&mut app);
    press(&mut app, KeyCode::Esc);
    let effects = press(&mut app, KeyCode::Char('d'));
    let expected = Request::SoftwareUpgrade {
        gateways: Selection::Named(vec!["spoke-00".into()]),
        target: None,
    };
    let [Job::DryRun(prepared)] = effects.as_slice() else {
        panic!("one dry run: {effects:?}");
    };
    assert_eq!(prepared.request, expected);
    let screen = text_of(&draw(&app, 120, 40, &Theme::colored()));
    assert!(screen.contains("Software Upgrade of 1 gateway"), "{screen}");
}

#[test]
fn the_detail_pane_keeps_its_gateway_when_a_refresh_reorders_the_fleet() {
    let mut app = gateways_window(false);
    for _ in 0..2 {
        press(&mut app, KeyCode::Char('j'));
    }
    press(&mut app, KeyCode::Enter);
    let title = " spoke-01 — Esc closes ";
    let screen = text_of(&draw(&app, 120, 40, &Theme::colored()));
    assert!(screen.contains(title), "{screen}");
    let mut reversed = fleet().gateways().to_vec();
    reversed.reverse();
    let snapshot =
        Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), reversed).expect("fleet");
    update(&mut app, loaded(snapshot));
    let screen = text_of(&draw(&app, 120, 40, &Theme::colored()));
    assert!(screen.contains(title), "{screen}");
    assert!(
        screen.contains("Gateway                 spoke-01"),
        "{screen}"
    );
    let mut without = fleet().gateways().to_vec();
    without.retain(|gateway| !gateway.name.starts_with("spoke-01"));
    let snapshot =
        Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), without).expect("fleet");
    update(&mut app, loaded(snapshot));
    let screen = text_of(&draw(&app, 120, 40, &Theme::colored()));
    assert!(screen.contains(title), "{screen}");
    assert!(
        screen.contains("the controller no longer lists this gateway"),
        "{screen}"
    );
}

fn dialog(app: &App) -> &Confirm {
    match app.overlay() {
        Some(Overlay::Confirm(dialog)) => dialog,
        other => panic!("no confirmation open: {other:?}"),
    }
}

fn hint(app: &App) -> String {
    dialog(app).hint.clone().unwrap_or_default()
}

fn flash(app: &App) -> String {
    app.flash
        .as_ref()
        .map(|flash| flash.text.clone())
        .unwrap_or_default()
}

fn paste(app: &mut App, text: &str) -> Vec<Job> {
    update(app, Msg::Paste(text.into()))
}

#[test]
fn keys_typed_before_the_confirmation_was_on_screen_for_the_guard_are_dropped() {
    let mut app = gateways_window(false);
    // `Uy` in one burst: the y arrives before any frame showed the dialog.
    press(&mut app, KeyCode::Char('U'));
    assert!(press(&mut app, KeyCode::Char('y')).is_empty());
    assert!(
        hint(&app).contains("before this dialog was on screen"),
        "{}",
        hint(&app)
    );
    let now = app.now;
    update(&mut app, Msg::Drawn { at: now });
    assert!(
        press(&mut app, KeyCode::Char('y')).is_empty(),
        "drawn this very moment"
    );
    app.now += jiff::SignedDuration::from_millis(150);
    assert!(
        press(&mut app, KeyCode::Char('y')).is_empty(),
        "150 ms on screen"
    );
    assert!(app.operation.is_none());
    assert!(
        KEY_GUARD > jiff::SignedDuration::from_millis(33),
        "more than a frame"
    );
    app.now += KEY_GUARD;
    let effects = press(&mut app, KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Job::Start { .. }]),
        "{effects:?}"
    );
}

#[test]
fn a_paste_never_answers_a_confirmation() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    assert!(paste(&mut app, "y").is_empty());
    assert!(paste(&mut app, "\r").is_empty());
    assert!(
        hint(&app).contains("pasted text is ignored"),
        "{}",
        hint(&app)
    );
    assert!(app.operation.is_none());
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('I'));
    shown(&mut app);
    assert!(dialog(&app).needs_typed_count());
    assert!(paste(&mut app, "1\r").is_empty());
    assert!(paste(&mut app, "1").is_empty());
    assert_eq!(
        dialog(&app).typed.value(),
        "",
        "the count field takes no paste"
    );
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    type_into(&mut app, "1");
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Job::Start { .. }]),
        "typed, it confirms: {effects:?}"
    );
}

#[test]
fn a_paste_goes_only_into_the_filter_and_the_target_field() {
    let mut app = gateways_window(false);
    assert!(paste(&mut app, "U").is_empty());
    assert!(paste(&mut app, "q").is_empty());
    assert!(app.overlay().is_none() && !app.quit, "a paste is not keys");
    assert!(
        flash(&app).contains("pasted text is ignored"),
        "{}",
        flash(&app)
    );

    press(&mut app, KeyCode::Char('/'));
    paste(&mut app, "cloud:gcp\n!role:secondary");
    assert!(
        matches!(app.prompt(), Some(Prompt::Query(_))),
        "a pasted line break does not end the filter"
    );
    assert_eq!(app.fleet.query().text(), "cloud:gcp !role:secondary");
    assert_eq!(shown_names(&app), ["gcp-transit"]);
    press(&mut app, KeyCode::Esc);

    press(&mut app, KeyCode::Char(':'));
    paste(&mut app, "q");
    let Some(Prompt::Command(line)) = app.prompt() else {
        panic!("the command line is open");
    };
    assert_eq!(
        line.value(),
        "",
        "the command line takes typed commands only"
    );
    press(&mut app, KeyCode::Esc);

    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char('t'));
    paste(&mut app, "7.2\r\n");
    assert!(
        app.editing_target(),
        "a pasted Enter does not end the field"
    );
    assert_eq!(app.platform.input.value().trim(), "7.2");
    assert!(
        app.platform.verdict.is_some(),
        "the pasted target is validated"
    );
}

/// The issue's steps: transits marked, the filter changed so they are hidden, one spoke marked.
fn transits_hidden_and_a_spoke_marked() -> App {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char('/'));
    type_into(&mut app, "gcp");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('a'));
    press(&mut app, KeyCode::Char('/'));
    for _ in 0..3 {
        press(&mut app, KeyCode::Backspace);
    }
    type_into(&mut app, "name:spoke-03");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char(' '));
    app
}

#[test]
fn hidden_marks_are_counted_apart_and_named_in_the_confirmation() {
    let mut app = transits_hidden_and_a_spoke_marked();
    assert_eq!(app.fleet.marked_count(), 3);
    assert_eq!(app.fleet.hidden_marked_count(), 2);
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    let dialog = dialog(&app);
    assert_eq!(dialog.named.hidden, ["gcp-transit", "gcp-transit-hagw"]);
    assert_eq!(dialog.named.shown, ["spoke-03"]);
    assert_eq!(dialog.gateways, 3, "hidden ones change too");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(
        (app.fleet.marked_count(), app.fleet.hidden_marked_count()),
        (3, 2),
        "a marks what is shown and says the hidden ones are still marked"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        app.fleet.hidden_marked_count(),
        0,
        "no filter, nothing hidden"
    );
}

#[test]
fn the_typed_count_is_what_changes_hidden_included_and_only_that_is_sent_and_followed() {
    let mut gateways = fleet().gateways().to_vec();
    for gateway in gateways
        .iter_mut()
        .filter(|g| g.name.starts_with("spoke-00"))
    {
        gateway.software_version = common::v(CURRENT);
    }
    let snapshot =
        Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet");
    let mut app = loaded_app(snapshot, false);
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('a'));
    press(&mut app, KeyCode::Char('/'));
    type_into(&mut app, "spoke");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    let dialog = dialog(&app);
    assert_eq!(
        (dialog.named.shown.len(), dialog.named.hidden.len()),
        (10, 2),
        "the gateways that change, hidden ones included"
    );
    assert_eq!(
        dialog.skipped,
        ["spoke-00", "spoke-00-hagw"],
        "already on {CURRENT}: listed apart"
    );
    assert_eq!(dialog.gateways, 12);
    assert!(dialog.needs_typed_count(), "12 change: more than 10");
    let text = text_of(&draw(&app, 120, 40, &Theme::colored()));
    assert!(text.contains("12 will change; 2 skipped"), "{text}");
    assert!(text.contains("Skipped"), "{text}");
    type_into(&mut app, "14");
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "14 are named, 12 change"
    );
    assert!(hint(&app).contains("Type 12,"), "{}", hint(&app));
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    type_into(&mut app, "12");
    let effects = press(&mut app, KeyCode::Enter);
    let [Job::Start { prepared, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let request = &prepared.request;
    let Some(Selection::Named(names)) = request.selection() else {
        panic!("{request:?}");
    };
    assert_eq!(names.len(), 12, "the request names only what changes");
    assert!(!names.iter().any(|name| name.starts_with("spoke-00")));
    let operation = app.operation.as_ref().expect("started");
    assert_eq!(operation.total(), 12, "progress counts only what changes");
}

#[test]
fn gateways_all_at_the_target_open_no_confirmation() {
    let mut gateways = fleet().gateways().to_vec();
    for gateway in &mut gateways {
        gateway.software_version = common::v(CURRENT);
    }
    let snapshot =
        Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet");
    let mut app = loaded_app(snapshot, false);
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char('U'));
    assert!(app.overlay().is_none(), "nothing to confirm");
    assert!(flash(&app).contains("nothing to do"), "{}", flash(&app));
}

/// The console with every gateway on `software`, the controller on `current` with a backup
/// taken 3 hours before the console's clock, a target of `target` in the platform window and
/// its confirmation open.
fn platform_confirmation(current: &str, software: &str, target: &str) -> App {
    let mut gateways = fleet().gateways().to_vec();
    for gateway in &mut gateways {
        gateway.software_version = common::v(software);
    }
    let mut controller = common::controller(current, None);
    controller.checklist.backup.last_backup =
        Some(console::fixed_now() - jiff::SignedDuration::from_hours(3));
    let snapshot = Snapshot::new(controller, gateways).expect("fleet");
    let mut app = loaded_app(snapshot, false);
    press(&mut app, KeyCode::Char('t'));
    type_into(&mut app, target);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    app
}

#[test]
fn a_platform_upgrade_needs_the_version_typed_and_says_what_it_does() {
    let mut app = platform_confirmation(CURRENT, CURRENT, "7.2");
    assert!(!dialog(&app).blocked(), "{:?}", dialog(&app).blockers);
    assert_eq!(dialog(&app).target, NEXT);
    let text = text_of(&draw(&app, 120, 40, &Theme::colored()));
    assert!(text.contains("logs everyone out"), "{text}");
    assert!(text.contains("about 3 minutes"), "{text}");
    assert!(text.contains("taken 3h00m ago"), "{text}");
    assert!(
        text.contains(&format!("Type {NEXT}, the target version")),
        "{text}"
    );
    assert!(
        press(&mut app, KeyCode::Char('y')).is_empty(),
        "y is not enough"
    );
    assert!(
        hint(&app).contains(&format!("Type {NEXT},")),
        "{}",
        hint(&app)
    );
    type_into(&mut app, "7.2");
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "the train is not the version"
    );
    type_into(&mut app, &NEXT["7.2".len()..]);
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(
            effects.as_slice(),
            [Job::Start { prepared, .. }]
                if matches!(prepared.request, Request::PlatformUpgrade { .. })
        ),
        "{effects:?}"
    );
}

#[test]
fn a_platform_upgrade_before_6_5_says_it_upgrades_every_gateway() {
    let catalog = avx_upgrade::catalog::Catalog::builtin().expect("catalog");
    let train = |text: &str| text.parse().expect("train");
    let old = catalog.newest_in(train("6.4")).expect("a 6.4 build");
    let app = platform_confirmation(&old.to_string(), &old.to_string(), "6.5");
    let dialog = dialog(&app);
    assert!(!dialog.blocked(), "{:?}", dialog.blockers);
    assert_eq!(
        dialog.gateways, 14,
        "every gateway goes with the controller"
    );
    let text = text_of(&draw(&app, 120, 40, &Theme::colored()));
    assert!(
        text.contains("the controller and all 14 gateways"),
        "{text}"
    );
    assert!(!text.contains("gateways follow in later steps"), "{text}");
}

#[test]
fn marks_of_gateways_done_are_cleared_when_the_operation_ends() {
    let mut app = transits_hidden_and_a_spoke_marked();
    press(&mut app, KeyCode::Char('/'));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('g'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(
        app.fleet.marked_names(),
        [
            "spoke-00-hagw",
            "spoke-03",
            "gcp-transit",
            "gcp-transit-hagw"
        ]
    );
    let id = start_upgrade(&mut app);
    let status = |name: &str, update_status: &str| GatewayProgress {
        name: name.into(),
        state: "up".into(),
        update_status: update_status.into(),
        progress: None,
        message: None,
    };
    let progress = Progress::Gateways {
        gateways: vec![
            status("spoke-00-hagw", "complete"),
            status("spoke-03", "upgrade_fail"),
            status("gcp-transit", "complete"),
            status("gcp-transit-hagw", "complete"),
        ],
        done: 3,
        failed: 1,
    };
    update(
        &mut app,
        Msg::Ops(Event::Progress {
            operation: id,
            progress,
        }),
    );
    assert_eq!(app.fleet.marked_count(), 4, "marks stay while it runs");
    let finished = Progress::Finished {
        ok: false,
        message: "3 of 4 gateways done, 1 failed".into(),
    };
    update(
        &mut app,
        Msg::Ops(Event::Progress {
            operation: id,
            progress: finished,
        }),
    );
    assert_eq!(
        app.fleet.marked_names(),
        ["spoke-03"],
        "the failed gateway stays marked for another try"
    );
}

#[test]
fn every_signal_ends_the_console_with_its_own_exit_code() {
    let codes: Vec<(&str, u8)> = Signal::ALL
        .iter()
        .map(|signal| (signal.name(), signal.exit_code()))
        .collect();
    assert_eq!(
        codes,
        [
            ("SIGHUP", 129),
            ("SIGINT", 130),
            ("SIGQUIT", 131),
            ("SIGTERM", 143)
        ]
    );
    let mut app = gateways_window(false);
    assert!(update(&mut app, Msg::Signal(Signal::Interrupt)).is_empty());
    assert!(app.quit);
    assert_eq!(app.signal, Some(Signal::Interrupt));
}

/// Filters that parse, for the fuzz to mutate; the last ones hold letters whose lower case is
/// longer or shorter than they are.
const VALID_FILTERS: &[&str] = &[
    "cloud:aws",
    "cloud:aws cloud:gcp type:transit",
    "!role:secondary",
    "region:us-* !state:down",
    "version:7.0",
    "version:7.1.4183 status:complete",
    "spoke !name:spoke-00*",
    "account:prod* type:spoke",
    "name:Zürich-GW !cloud:oci",
    "İSTANBUL ẞ \u{212a}elvin region:*ß*",
];

/// The longest filter fed to the parser: far beyond anything typed or pasted.
const FILTER_FUZZ_LIMIT: usize = 4096;

/// The pure fleet with a gateway whose name is not lower-case ASCII, so both ways of matching
/// free words run.
fn fuzz_fleet() -> FleetView {
    let mut gateways = fleet().gateways().to_vec();
    gateways.push(common::gateway(
        "Zürich-GW",
        GatewayType::Spoke,
        avx_upgrade::snapshot::Role::Primary,
        PREVIOUS,
    ));
    let snapshot =
        Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet");
    let mut view = FleetView::default();
    view.replace(snapshot, Vec::new());
    view
}

/// Parses and applies `text` as the filter, matching it against every gateway: no panic, and
/// either the filter is exactly the text (trimmed) or the previous filter stays, with a reason.
fn filter_holds(view: &mut FleetView, text: &str) {
    let before = view.query().text().to_owned();
    match view.set_filter(text) {
        Ok(()) => {
            assert_eq!(view.query().text(), text.trim());
            assert!(view.shown_len() <= view.total());
            if text.trim().is_empty() {
                assert_eq!(view.shown_len(), view.total(), "no filter shows all");
            }
        }
        Err(error) => {
            assert!(!error.0.is_empty(), "an error says why");
            assert_eq!(view.query().text(), before, "a bad filter keeps the last");
        }
    }
}

/// The rows a view shows, by gateway position.
fn shown_rows(view: &FleetView) -> Vec<usize> {
    (0..view.shown_len())
        .filter_map(|row| view.shown_index(row))
        .collect()
}

/// Types `text` into `view` one character at a time, as an operator does (each keystroke may
/// narrow the rows shown rather than filter the fleet again), and checks that the rows are
/// those a fresh view shows for the same query.
fn typed_filter_matches_a_fresh_one(view: &mut FleetView, fresh: &mut FleetView, text: &str) {
    let mut typed = String::new();
    for c in text.chars().take(TYPED_LIMIT) {
        typed.push(c);
        if view.set_filter(&typed).is_err() {
            continue;
        }
        fresh.set_filter("").expect("no filter");
        fresh.set_filter(&typed).expect("the same query parses");
        assert_eq!(shown_rows(view), shown_rows(fresh), "typed {typed:?}");
    }
}

/// How many characters of a fuzz case are typed one at a time.
const TYPED_LIMIT: usize = 48;

/// Runs `cases` arbitrary texts and mutated filters through the parser and the fleet, whole
/// and typed a character at a time.
fn fuzz_filters(cases: u32) {
    let views = std::sync::Mutex::new((fuzz_fleet(), fuzz_fleet()));
    let strategy = mutate::texts(VALID_FILTERS, FILTER_FUZZ_LIMIT);
    mutate::check("the filter language", cases, strategy, move |text| {
        let mut views = views
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (view, fresh) = &mut *views;
        filter_holds(view, &text);
        view.set_filter("").expect("no filter");
        typed_filter_matches_a_fresh_one(view, fresh, &text);
    });
}

#[test]
fn a_filter_typed_key_by_key_shows_what_the_whole_query_shows() {
    let (mut view, mut fresh) = (fuzz_fleet(), fuzz_fleet());
    for text in [
        "spoke-0",
        "spoke 0 hagw",
        "gcp tr",
        "!spoke x",
        "cloud:aws spo",
        "spoke-01-hagw",
        "ZÜR",
        "spoke* 1",
    ] {
        view.set_filter("").expect("no filter");
        typed_filter_matches_a_fresh_one(&mut view, &mut fresh, text);
    }
}

#[test]
fn the_filter_language_takes_any_text_and_any_mutation_of_a_valid_filter() {
    let mut view = fuzz_fleet();
    for text in VALID_FILTERS {
        assert!(view.set_filter(text).is_ok(), "{text} parses");
    }
    fuzz_filters(mutate::CASES * 8);
}

/// The long run: `cargo test --release --test console_update -- --ignored fuzz`
/// (`FUZZ_CASES=N` sets the number of cases).
#[test]
#[ignore = "long: cargo test --release --test console_update -- --ignored fuzz"]
fn filter_language_fuzz_long() {
    fuzz_filters(mutate::long_cases());
}

/// Starts an upgrade of `names` (marked first) on `app`; returns its operation id.
fn upgrade_of(app: &mut App, names: &[&str]) -> u64 {
    let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    app.fleet.mark_only(&names);
    start_upgrade(app)
}

#[test]
fn the_verdict_follows_verification_not_the_job_status() {
    let mut app = gateways_window(false);
    let id = upgrade_of(&mut app, &["spoke-00", "spoke-01"]);
    let status = |name: &str| GatewayProgress {
        name: name.into(),
        state: "up".into(),
        update_status: "complete".into(),
        progress: None,
        message: None,
    };
    update(
        &mut app,
        Msg::Ops(Event::Progress {
            operation: id,
            progress: Progress::Gateways {
                gateways: vec![status("spoke-00"), status("spoke-01")],
                done: 2,
                failed: 0,
            },
        }),
    );
    let verdicts = vec![
        Verdict {
            name: "spoke-00".into(),
            failure: None,
            after: None,
        },
        Verdict {
            name: "spoke-01".into(),
            failure: Some(format!("still on {PREVIOUS}, not {CURRENT}")),
            after: None,
        },
    ];
    update(
        &mut app,
        Msg::Ops(Event::Verified {
            operation: id,
            verdicts,
        }),
    );
    update(
        &mut app,
        Msg::Ops(Event::Progress {
            operation: id,
            progress: Progress::Finished {
                ok: false,
                message: "1 of 2 gateways verified, 1 failed".into(),
            },
        }),
    );
    let operation = app.operation.as_ref().expect("operation");
    assert!(matches!(operation.phase, Phase::Failed(_)));
    assert_eq!((operation.done, operation.failed), (1, 1));
    let log: Vec<&str> = operation
        .log
        .iter()
        .map(|(_, line)| line.as_str())
        .collect();
    assert!(
        log.contains(&format!("spoke-01: FAILED: still on {PREVIOUS}, not {CURRENT}").as_str()),
        "{log:?}"
    );
    assert!(
        log.last().is_some_and(|line| line.starts_with("next: F (or :mark failed) marks the 1 failed gateways; then U retries them or R rolls them back")),
        "{log:?}"
    );
    assert_eq!(
        app.fleet.marked_names(),
        ["spoke-01"],
        "the gateway the job called complete but that failed verification stays marked"
    );
}

#[test]
fn mark_failed_marks_exactly_the_failed_gateways_by_key_or_command() {
    let mut app = gateways_window(false);
    let mut live = Vec::new();
    let snapshot = app.fleet.snapshot().expect("fleet").clone();
    for gateway in snapshot.gateways() {
        let word = match gateway.name.as_ref() {
            "spoke-02" | "gcp-transit-hagw" => "upgrade_fail",
            _ => "complete",
        };
        live.push(Live::new(word.into(), None));
    }
    update(
        &mut app,
        Msg::Ops(Event::Loaded(Box::new(Loaded {
            snapshot: snapshot.into(),
            catalog: common::catalog(),
            live,
            skipped: Vec::new(),
            platform_running: None,
            gateways_running: Vec::new(),
            preflight: None,
        }))),
    );
    // Hidden by the filter, and another gateway marked: F marks exactly the failed ones.
    type_into(&mut app, "/name:spoke*");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char('F'));
    assert_eq!(app.fleet.marked_names(), ["spoke-02", "gcp-transit-hagw"]);
    assert_eq!(app.fleet.hidden_marked_count(), 1);

    press(&mut app, KeyCode::Char('A'));
    type_into(&mut app, ":mark failed");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.fleet.marked_names(), ["spoke-02", "gcp-transit-hagw"]);

    type_into(&mut app, ":mark nonsense");
    press(&mut app, KeyCode::Enter);
    let flash = app.flash.as_ref().map(|flash| flash.text.clone());
    assert!(
        flash.as_deref().is_some_and(
            |text| text.contains("unknown set \"nonsense\" for :mark: use :mark failed")
        ),
        "{flash:?}"
    );

    // status:failed matches the rows shown as FAILED, as the wire word does.
    press(&mut app, KeyCode::Esc);
    type_into(&mut app, "/status:failed");
    press(&mut app, KeyCode::Enter);
    assert_eq!(shown_names(&app), ["spoke-02", "gcp-transit-hagw"]);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    type_into(&mut app, "/status:upgrade_fail");
    press(&mut app, KeyCode::Enter);
    assert_eq!(shown_names(&app), ["spoke-02", "gcp-transit-hagw"]);
}

/// The fleet after an operation: `change` applied to `fleet()`.
fn fleet_after(change: impl Fn(&mut avx_upgrade::snapshot::Gateway)) -> Snapshot {
    let before = fleet();
    let mut gateways = before.gateways().to_vec();
    gateways.iter_mut().for_each(change);
    Snapshot::new(before.controller.clone(), gateways).expect("fleet")
}

#[test]
fn verification_checks_status_state_version_image_and_tunnels_in_that_order() {
    use avx_upgrade::ops::verify::{expectations, summary, verify};
    use avx_upgrade::snapshot::GatewayState;
    let before = fleet();
    let catalog = common::catalog();
    let names = vec!["spoke-00".to_owned(), "spoke-01".to_owned()];
    let upgrade = Request::SoftwareUpgrade {
        gateways: Selection::Named(names.clone()),
        target: None,
    };
    let expected = expectations(&before, &catalog, &upgrade);
    let live = |snapshot: &Snapshot| vec![Live::default(); snapshot.gateways().len()];
    let reasons = |after: &Snapshot, live: &[Live]| -> Vec<Option<String>> {
        verify(&expected, after, live)
            .into_iter()
            .map(|verdict| verdict.failure)
            .collect()
    };

    // The job's word alone proves nothing: nobody moved.
    let unchanged = before.clone();
    let still = format!("still on {PREVIOUS}, not {CURRENT}");
    assert_eq!(
        reasons(&unchanged, &live(&unchanged)),
        [Some(still.clone()), Some(still)]
    );

    let upgraded = fleet_after(|gateway| gateway.software_version = common::v(CURRENT));
    let verdicts = verify(&expected, &upgraded, &live(&upgraded));
    assert!(verdicts.iter().all(|verdict| verdict.passed()));
    assert_eq!(summary(&verdicts), "2 of 2 gateways verified, 0 failed");

    let broken = fleet_after(|gateway| {
        gateway.software_version = common::v(CURRENT);
        match gateway.name.as_ref() {
            "spoke-00" => gateway.state = GatewayState::ConfigFail,
            "spoke-01" => gateway.tunnels_up = false,
            _ => {}
        }
    });
    let mut statuses = live(&broken);
    let index = broken.index_of("spoke-00").expect("spoke-00");
    statuses[index] = statuses[index]
        .clone()
        .with_message(Some("config_fail: routes not restored".into()));
    assert_eq!(
        reasons(&broken, &statuses),
        [
            Some("ended in config_fail: config_fail: routes not restored".into()),
            Some("tunnels down".into())
        ]
    );

    // The controller's failure comes first, whatever else is true.
    let message = statuses[index].message().map(str::to_owned);
    statuses[index] = Live::new("upgrade_fail".into(), None).with_message(message);
    assert_eq!(
        reasons(&broken, &statuses)[0].as_deref(),
        Some("the controller reports upgrade_fail: config_fail: routes not restored")
    );

    // A gateway gone from the fleet failed too.
    let gone = Snapshot::new(
        before.controller.clone(),
        before
            .gateways()
            .iter()
            .filter(|gateway| &*gateway.name != "spoke-01" && &*gateway.name != "spoke-01-hagw")
            .cloned()
            .collect(),
    )
    .expect("fleet");
    assert_eq!(
        reasons(&gone, &live(&gone))[1].as_deref(),
        Some("no longer listed by the controller")
    );

    // A rollback goes to the controller's previous version; an image upgrade to the matrix's
    // image for the running train.
    let rollback = Request::SoftwareRollback {
        gateways: Selection::Named(names.clone()),
        target: None,
    };
    let back = expectations(&upgraded, &catalog, &rollback);
    assert!(
        back.iter()
            .all(|e| e.expect_software == Some(common::v(PREVIOUS)))
    );
    let image = Request::ImageUpgrade {
        gateways: Selection::Named(names),
    };
    let images = expectations(&before, &catalog, &image);
    let wanted = catalog
        .image_for(Cloud::Aws, common::v(CURRENT).train())
        .map(|entry| entry.image.clone());
    assert!(wanted.is_some() && images.iter().all(|e| e.expect_image == wanted));
}

/// Starts a software upgrade of the marked-by-default gateways and reports one gateway upgrading
/// at 40 %, at `app.now`; gives the operation's id.
fn upgrading(app: &mut App) -> u64 {
    let id = start_upgrade(app);
    gateway_status(app, id, "upgrading", 0);
    id
}

fn gateway_status(app: &mut App, id: u64, update_status: &str, done: usize) {
    let progress = Progress::Gateways {
        gateways: vec![GatewayProgress {
            name: "spoke-00".into(),
            state: "up".into(),
            update_status: update_status.into(),
            progress: None,
            message: None,
        }],
        done,
        failed: 0,
    };
    update(
        app,
        Msg::Ops(Event::Progress {
            operation: id,
            progress,
        }),
    );
}

#[test]
fn progress_stuck_well_past_its_estimate_is_called_a_stall_and_drops_the_estimate() {
    let mut app = gateways_window(false);
    app.now += jiff::SignedDuration::from_secs(60);
    let id = upgrading(&mut app);
    app.now += jiff::SignedDuration::from_mins(5);
    let screen = text_of(&draw(&app, 120, 40, &Theme::colored()));
    assert!(
        !screen.contains("no progress"),
        "not yet a stall:\n{screen}"
    );
    for _ in 0..25 {
        app.now += jiff::SignedDuration::from_secs(60);
        gateway_status(&mut app, id, "upgrading", 0);
    }
    let screen = text_of(&draw(&app, 120, 40, &Theme::colored()));
    assert!(
        screen.contains("no progress for 30m00s (expected"),
        "{screen}"
    );
    assert!(screen.contains("Aviatrix Support"), "{screen}");
    assert!(screen.contains("avx-upgrade status"), "{screen}");
    assert!(
        !screen.contains("left"),
        "no estimate once it ran out:\n{screen}"
    );
}

#[test]
fn progress_that_moves_is_no_stall() {
    let mut app = gateways_window(false);
    app.now += jiff::SignedDuration::from_secs(60);
    let id = upgrading(&mut app);
    app.now += jiff::SignedDuration::from_mins(30);
    gateway_status(&mut app, id, "complete", 1);
    let screen = text_of(&draw(&app, 120, 40, &Theme::colored()));
    assert!(!screen.contains("no progress"), "{screen}");
    let operation = app.operation.as_ref().expect("running");
    assert_eq!(operation.stall(app.now), None);
    assert_eq!(operation.moved_at(), app.now);
}

#[test]
fn support_writes_a_summary_of_the_operation_with_no_secret() {
    let mut app = gateways_window(false);
    press(&mut app, KeyCode::Char(':'));
    type_into(&mut app, "support");
    let effects = press(&mut app, KeyCode::Enter);
    assert!(effects.is_empty(), "nothing to summarise yet: {effects:?}");
    let id = upgrading(&mut app);
    app.now += jiff::SignedDuration::from_mins(20);
    press(&mut app, KeyCode::Char(':'));
    type_into(&mut app, "support");
    let effects = press(&mut app, KeyCode::Enter);
    let [Job::WriteSupportSummary { name, text }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert!(
        name.starts_with("support-") && name.ends_with(".txt"),
        "{name}"
    );
    for expected in [
        CURRENT,
        "Software Upgrade",
        "spoke-00",
        "elapsed       1200s",
        "stalled",
        "spoke-00: upgrading",
        "running",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
    for secret in ["password", "CID", "cid="] {
        assert!(!text.contains(secret), "{secret:?} in\n{text}");
    }
    assert!(app.operation.as_ref().is_some_and(|op| op.id == id));
    update(
        &mut app,
        Msg::Ops(Event::SupportSummaryWritten(Ok(
            "/state/support-x.txt".into()
        ))),
    );
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|flash| flash.text.contains("/state/support-x.txt")),
    );
}

/// `U`, the dialog on screen, `y`, and the controller's acceptance; gives the operation's id.
fn start_upgrade(app: &mut App) -> u64 {
    press(app, KeyCode::Char('U'));
    shown(app);
    let effects = press(app, KeyCode::Char('y'));
    let [Job::Start { operation, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let id = *operation;
    update(app, Msg::Ops(Event::Started { operation: id }));
    id
}
