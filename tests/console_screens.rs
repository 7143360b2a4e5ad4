//! Whole-screen snapshots (insta) of every window, pane and dialog at 80×24, 120×40 and 200×60 (a
//! confirmation with hidden marks, and one long enough to scroll, among them), and explicit
//! style checks: snapshots show text, not colour.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;
mod console;

use avx_upgrade::api::actions::DryRun;
use avx_upgrade::api::poll::{GatewayProgress, Progress};
use avx_upgrade::ops::Event;
use avx_upgrade::plan::finding::{Code, Finding};
use avx_upgrade::plan::request::{Request, Selection};
use avx_upgrade::snapshot::{GatewayState, GatewayType, Snapshot};
use avx_upgrade::tui::message::Msg;
use avx_upgrade::tui::state::{App, Focus, Window};
use avx_upgrade::tui::theme::Theme;
use avx_upgrade::tui::update::update;
use common::{CURRENT, PREVIOUS};
use console::{draw, loaded_app, press, shown, text_of, type_into};
use crossterm::event::KeyCode;
use ratatui::style::Color;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];

/// A small fleet with a gateway down, one behind and an HA pair.
fn fleet() -> Snapshot {
    let mut gateways = Vec::new();
    gateways.extend(common::pair("transit-use1", GatewayType::Transit, CURRENT));
    gateways.extend(common::pair("spoke-use1-web", GatewayType::Spoke, PREVIOUS));
    let mut down = common::gateway(
        "egress-use1",
        GatewayType::Standalone,
        avx_upgrade::snapshot::Role::Primary,
        PREVIOUS,
    );
    down.state = GatewayState::Down;
    gateways.push(down);
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet")
}

fn snap(name: &str, app: &App) {
    for (width, height) in SIZES {
        let screen = text_of(&draw(app, width, height, &Theme::colored()));
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
    }
}

fn gateways() -> App {
    let mut app = loaded_app(fleet(), false);
    press(&mut app, KeyCode::Char('2'));
    app
}

#[test]
fn platform_window() {
    let mut app = loaded_app(fleet(), false);
    snap("platform", &app);
    press(&mut app, KeyCode::Char('t'));
    type_into(&mut app, "6.4");
    snap("platform_invalid_target", &app);
}

/// The live preflight names the gateways in its way; m marks exactly them and shows them.
#[test]
fn the_platform_preflight_marks_the_gateways_it_names() {
    let mut app = loaded_app(fleet(), false);
    let report = app
        .platform
        .preflight
        .clone()
        .expect("a preflight once the fleet is read");
    assert!(
        report.checklist.iter().any(|item| !item.passed),
        "the down gateway fails an item: {:?}",
        report.checklist
    );
    let (expected, _) = app.platform.preflight_gateways();
    assert!(expected.contains(&"egress-use1".to_owned()), "{expected:?}");
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(app.window, Window::Gateways);
    let mut marked = app.fleet.marked_names();
    marked.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(marked, expected);
}

#[test]
fn gateway_window_with_filter_marks_and_sort() {
    let mut app = gateways();
    snap("gateways", &app);
    press(&mut app, KeyCode::Char('/'));
    type_into(&mut app, "spoke");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('a'));
    press(&mut app, KeyCode::Char('s'));
    snap("gateways_filtered_marked_sorted", &app);
}

#[test]
fn dry_run_pane() {
    let mut app = gateways();
    press(&mut app, KeyCode::Char('d'));
    let request = Request::SoftwareUpgrade {
        gateways: Selection::Named(vec!["transit-use1".into()]),
        target: None,
    };
    let findings = vec![
        Finding::about(
            Code::GatewayUnhealthy,
            "egress-use1 is down: bring it up first",
            vec!["egress-use1".into()],
        ),
        Finding::new(
            Code::BackupMissing,
            "no backup in the last 24 hours: back up the controller first",
        ),
        Finding::about(
            Code::BgpReconverge,
            "BGP sessions re-converge on transit-use1",
            vec!["transit-use1".into()],
        ),
    ];
    let result = Ok(DryRun {
        target: Some(CURRENT.into()),
        blocked: true,
        findings,
    });
    update(&mut app, Msg::Ops(Event::DryRunDone { request, result }));
    snap("dry_run", &app);

    // A key on a finding marks exactly its gateways: Tab moves to the next finding that names
    // gateways (the backup finding names none), space marks them in the gateway window.
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char(' '));
    assert!(matches!(app.focus, Focus::Window), "the pane closed");
    assert_eq!(app.window, Window::Gateways);
    assert_eq!(app.fleet.marked_names(), ["transit-use1"]);
    let screen = text_of(&draw(&app, 120, 40, &Theme::colored()));
    assert!(
        screen.contains("marked the 1 gateways of bgp-reconverge"),
        "{screen}"
    );
    // Tab wraps round to the first, the blocker.
    press(&mut app, KeyCode::Char('d'));
    let request = Request::SoftwareUpgrade {
        gateways: Selection::Named(vec!["transit-use1".into()]),
        target: None,
    };
    let findings = vec![
        Finding::about(Code::GatewayUnhealthy, "down", vec!["egress-use1".into()]),
        Finding::about(Code::BgpReconverge, "bgp", vec!["transit-use1".into()]),
    ];
    let result = Ok(DryRun {
        target: Some(CURRENT.into()),
        blocked: true,
        findings,
    });
    update(&mut app, Msg::Ops(Event::DryRunDone { request, result }));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.fleet.marked_names(), ["egress-use1"]);
}

#[test]
fn dry_run_pane_lists_the_checklist_of_a_passing_dry_run() {
    let mut app = gateways();
    press(&mut app, KeyCode::Char('d'));
    let request = Request::SoftwareUpgrade {
        gateways: Selection::Named(vec!["transit-use1".into()]),
        target: None,
    };
    let result = Ok(DryRun {
        target: Some(CURRENT.into()),
        blocked: false,
        findings: Vec::new(),
    });
    update(&mut app, Msg::Ops(Event::DryRunDone { request, result }));
    snap("dry_run_checklist", &app);
}

#[test]
fn confirmation_dialogs() {
    let mut app = gateways();
    // spoke-use1-web, behind the controller: the transits above it already run its version.
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    snap("confirm_upgrade", &app);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('g'));
    press(&mut app, KeyCode::Char('R'));
    shown(&mut app);
    type_into(&mut app, "1");
    snap("confirm_rollback_typed", &app);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char('t'));
    type_into(&mut app, "7.2");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    snap("confirm_blocked_platform", &app);
}

#[test]
fn hidden_marks_in_the_title_and_the_confirmation() {
    let mut app = gateways();
    // The steps: transits marked, the filter changed to hide them, a spoke marked, I.
    press(&mut app, KeyCode::Char('/'));
    type_into(&mut app, "transit");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('a'));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('/'));
    type_into(&mut app, "spoke-use1-web !role:secondary");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char(' '));
    for (width, height) in SIZES {
        let screen = text_of(&draw(&app, width, height, &Theme::colored()));
        assert!(screen.contains("● 3 marked, 2 hidden"), "{screen}");
    }
    press(&mut app, KeyCode::Char('I'));
    shown(&mut app);
    snap("confirm_hidden_marks", &app);
    let screen = text_of(&draw(&app, 120, 40, &Theme::colored()));
    assert!(
        screen.contains("Skipped    2 will not change and are not sent:"),
        "the hidden transits already run the image: named apart\n{screen}"
    );
    assert!(
        screen.contains("Type 1, the number of gateways that will change"),
        "the transits already run the image: only the spoke changes\n{screen}"
    );
    assert!(!screen.contains("replaces 3 gateways"), "{screen}");
}

/// The name of spoke `i` of [`many_spokes`]: longer than an 80-column dialog has room for.
fn long_name(i: usize) -> String {
    format!("spoke-{i:02}-a-rather-long-name-for-a-gateway-in-a-big-fleet-of-many-gateways")
}

/// 40 spokes (20 pairs) on the previous version, with names long enough to be shortened.
fn many_spokes() -> Snapshot {
    let mut gateways = Vec::new();
    for i in 0..20 {
        let name = long_name(i);
        gateways.extend(common::pair(&name, GatewayType::Spoke, PREVIOUS));
    }
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet")
}

#[test]
fn a_confirmation_longer_than_the_screen_scrolls() {
    let mut app = loaded_app(many_spokes(), false);
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('a'));
    press(&mut app, KeyCode::Char('/'));
    type_into(&mut app, "spoke-19 !role:secondary");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    // A dialog 74 columns wide inside, names after an 11-column label: 62 characters and `…`.
    let shortened = |name: String| format!("{}…", &name[..62]);
    let first_hidden = shortened(long_name(0));
    let last_hidden = shortened(format!("{}-hagw", long_name(19)));
    snap("confirm_scrolls", &app);
    // The last frame sets how far the dialog scrolls: this one is 80×24.
    let top = text_of(&draw(&app, 80, 24, &Theme::colored()));
    assert!(
        top.contains("Hidden     39 marked, hidden by the filter:"),
        "{top}"
    );
    assert!(top.contains(&first_hidden), "{top}");
    assert!(top.contains("rows 1–15 of 45"), "{top}");
    assert!(!top.contains("Shown "), "{top}");
    for _ in 0..10 {
        press(&mut app, KeyCode::PageDown);
    }
    let bottom = text_of(&draw(&app, 80, 24, &Theme::colored()));
    assert!(bottom.contains(&last_hidden), "{bottom}");
    assert!(bottom.contains("Shown      1 in the table:"), "{bottom}");
    assert!(!bottom.contains(&first_hidden), "{bottom}");
    let Some((_, rows)) = bottom.split_once(" rows ") else {
        panic!("the dialog says which rows it shows: {bottom}");
    };
    let (shown_rows, total) = rows.split_once(" of ").expect("rows a–b of n");
    let total: String = total.chars().take_while(char::is_ascii_digit).collect();
    assert!(
        shown_rows.ends_with(&format!("–{total}")),
        "scrolled to the end, not past it: {bottom}"
    );
    // The mouse wheel scrolls it too (one row a notch).
    let before = scroll(&app);
    update(
        &mut app,
        Msg::Command(avx_upgrade::tui::message::Command::Up),
    );
    assert_eq!(scroll(&app), before - 1);
    press(&mut app, KeyCode::Esc);
    assert!(app.overlay().is_none());
}

fn scroll(app: &App) -> usize {
    match app.overlay() {
        Some(avx_upgrade::tui::state::Overlay::Confirm(dialog)) => dialog.scroll,
        other => panic!("no confirmation: {other:?}"),
    }
}

#[test]
fn progress_pane() {
    let mut app = gateways();
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    press(&mut app, KeyCode::Char('y'));
    update(&mut app, Msg::Ops(Event::Started { operation: 1 }));
    app.now = console::fixed_now() + jiff::SignedDuration::from_secs(95);
    let status = |name: &str, update_status: &str, progress| GatewayProgress {
        name: name.into(),
        state: "up".into(),
        update_status: update_status.into(),
        progress,
        message: None,
    };
    let progress = Progress::Gateways {
        gateways: vec![
            status("spoke-use1-web", "complete", None),
            status("spoke-use1-web-hagw", "installing", Some(60)),
        ],
        done: 1,
        failed: 0,
    };
    update(
        &mut app,
        Msg::Ops(Event::Progress {
            operation: 1,
            progress,
        }),
    );
    snap("progress", &app);
}

#[test]
fn help_and_too_small() {
    let mut app = gateways();
    press(&mut app, KeyCode::Char('?'));
    snap("help", &app);
    let small = text_of(&draw(&app, 60, 20, &Theme::colored()));
    insta::assert_snapshot!("too_small_60x20", small);
    assert!(small.contains("need 80×24"));
}

/// The style of the first cell whose row contains `row_text`, at the column where `symbol` is.
fn style_at(
    terminal: &ratatui::Terminal<ratatui::backend::TestBackend>,
    row_text: &str,
    symbol: &str,
) -> ratatui::style::Style {
    let buffer = terminal.backend().buffer();
    let width = buffer.area.width as usize;
    let rows: Vec<String> = text_of(terminal).lines().map(str::to_owned).collect();
    let y = rows
        .iter()
        .position(|row| row.contains(row_text))
        .unwrap_or_else(|| panic!("no row with {row_text}"));
    let x = rows[y]
        .find(symbol)
        .map(|byte| rows[y][..byte].chars().count())
        .expect("symbol");
    buffer.content[y * width + x].style()
}

#[test]
fn status_colours_come_with_a_word_or_symbol() {
    let app = gateways();
    let terminal = draw(&app, 120, 40, &Theme::colored());
    let up = style_at(&terminal, "transit-use1-hagw", "✓ up");
    assert_eq!(up.fg, Some(Color::Green));
    let down = style_at(&terminal, "egress-use1", "✗ down");
    assert_eq!(down.fg, Some(Color::Red));
    let complete = style_at(&terminal, "egress-use1", "✓ complete");
    assert_eq!(complete.fg, Some(Color::Green));
    let header = style_at(&terminal, "avx-upgrade", "✓ OK");
    assert_eq!(header.fg, Some(Color::Green));
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content
            .iter()
            .all(|cell| cell.style().bg.is_none_or(|bg| bg == Color::Reset)),
        "the default theme keeps the terminal's own background"
    );
}

#[test]
fn no_color_uses_no_colour_at_all() {
    let mut app = gateways();
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    for (width, height) in SIZES {
        let terminal = draw(&app, width, height, &Theme::monochrome());
        let buffer = terminal.backend().buffer();
        for cell in &buffer.content {
            assert_eq!(cell.fg, Color::Reset, "{:?} has a colour", cell.symbol());
            assert_eq!(
                cell.bg,
                Color::Reset,
                "{:?} has a background",
                cell.symbol()
            );
        }
        let text = text_of(&terminal);
        assert!(text.contains("[ Cancel ]"), "{text}");
    }
    // Without colour the cursor row and the focused button still stand out, by reverse video.
    let terminal = draw(&app, 120, 40, &Theme::monochrome());
    let cancel = style_at(&terminal, "[ Cancel ]", "[ Cancel ]");
    assert!(
        cancel
            .add_modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
}

#[test]
fn no_color_is_read_from_the_environment() {
    // The only test that reads NO_COLOR; other tests pass a theme explicitly.
    unsafe { std::env::set_var("NO_COLOR", "1") };
    assert_eq!(Theme::from_env(), Theme::monochrome());
    unsafe { std::env::set_var("NO_COLOR", "") };
    assert_eq!(
        Theme::from_env(),
        Theme::colored(),
        "an empty NO_COLOR means colour (no-color.org)"
    );
    unsafe { std::env::remove_var("NO_COLOR") };
}

/// Six spoke pairs on [`PREVIOUS`], for the Rollout window.
fn spoke_fleet() -> Snapshot {
    let mut gateways = Vec::new();
    for number in 0..6 {
        gateways.extend(common::pair(
            &format!("spoke-use1-{number:02}"),
            GatewayType::Spoke,
            PREVIOUS,
        ));
    }
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet")
}

fn rollout_event(app: &mut App, event: avx_upgrade::ops::rollout::RolloutEvent) {
    update(app, Msg::Ops(Event::Rollout(event)));
}

#[test]
fn rollout_window_confirmation_and_timeline() {
    use avx_upgrade::ops::rollout::RolloutEvent;
    use avx_upgrade::ops::verify::Verdict;

    let mut app = loaded_app(spoke_fleet(), false);
    press(&mut app, KeyCode::Char('3'));
    snap("rollout_empty", &app);
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    snap("rollout_confirm", &app);
    type_into(&mut app, "12");
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(
            effects.as_slice(),
            [avx_upgrade::ops::Job::StartRollout { .. }]
        ),
        "{effects:?}"
    );
    let start = app.now;
    let at = |seconds: i64| start + jiff::SignedDuration::from_secs(seconds);
    rollout_event(
        &mut app,
        RolloutEvent::Starting {
            step: 1,
            what: "wave 1 (canary)".into(),
        },
    );
    rollout_event(
        &mut app,
        RolloutEvent::Note("wave 1 (canary): sending 1 gateway".into()),
    );
    app.now = at(240);
    rollout_event(
        &mut app,
        RolloutEvent::WaveEnded {
            step: 1,
            verdicts: vec![Verdict {
                name: "spoke-use1-00".into(),
                failure: None,
                after: None,
            }],
        },
    );
    rollout_event(
        &mut app,
        RolloutEvent::Gate {
            step: 1,
            passed: true,
            failed: 0,
        },
    );
    rollout_event(
        &mut app,
        RolloutEvent::Note("wave 1: 1 of 1 verified; 0 failed so far, 0 tolerated".into()),
    );
    rollout_event(
        &mut app,
        RolloutEvent::Starting {
            step: 2,
            what: "wave 2".into(),
        },
    );
    app.now = at(330);
    let gateways = (0..3)
        .map(|number| GatewayProgress {
            name: format!("spoke-use1-{number:02}"),
            state: "up".into(),
            update_status: avx_upgrade::snapshot::UpdateStatus::Installing,
            progress: Some(40),
            message: None,
        })
        .collect();
    rollout_event(
        &mut app,
        RolloutEvent::Progress {
            step: 2,
            progress: Progress::Gateways {
                gateways,
                done: 1,
                failed: 0,
            },
        },
    );
    snap("rollout_running", &app);
}
