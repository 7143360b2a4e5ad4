//! Nothing is cut mid-word (issue 15): every screen, pane and dialog the console reaches is
//! drawn at 80×24, 120×40 and 200×60, and no word of the program's own vocabulary may end
//! cut where the text meets a border or the screen's edge. The vocabulary is read from the
//! program's tables (every Update Status label, gateway state, finding code, column title,
//! window title and command description), not from a hand-picked list, plus the words the
//! test itself feeds in (event lines, finding messages). A status word (or its percentage)
//! must fit wherever it shows, so a cut one is found anywhere after its symbol, in a table
//! column too. What is too tall for the window scrolls instead: the detail view and help,
//! within their content.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;
mod console;

use std::collections::BTreeSet;

use avx_upgrade::api::actions::DryRun;
use avx_upgrade::api::poll::{GatewayProgress, Progress};
use avx_upgrade::ops::Event;
use avx_upgrade::ops::rollout::RolloutEvent;
use avx_upgrade::plan::finding::{Code, Finding};
use avx_upgrade::plan::request::{Request, Selection};
use avx_upgrade::snapshot::{GatewayState, GatewayType, Role, Snapshot, UpdateStatus};
use avx_upgrade::tui::message::{Command, Msg};
use avx_upgrade::tui::state::{App, Window};
use avx_upgrade::tui::theme::{Status, Theme, symbol};
use avx_upgrade::tui::ui;
use avx_upgrade::tui::update::update;
use common::{CURRENT, NEXT, PREVIOUS};
use console::{draw, loaded_app, press, shown, text_of, type_into};
use crossterm::event::KeyCode;
use strum::IntoEnumIterator;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];

/// What the controller says while it restarts, as the client words it.
const RESTART_DETAIL: &str = "the controller is restarting (HTTP 502)";

/// A finding's message as long as the planner's.
const MESSAGE: &str = "the cloud keeps routing through the spoke's next hop while it upgrades";

/// The corners that end a box on the right, and its right side.
const RIGHT_CORNERS: [char; 2] = ['┐', '┘'];
const SIDES: [char; 2] = ['│', '┤'];

/// Every word the program draws from its own tables, and the words the test feeds in.
fn vocabulary() -> BTreeSet<String> {
    let mut phrases: Vec<String> = status_words();
    phrases.extend(Code::known().map(|code| code.as_str().to_owned()));
    phrases.extend(
        avx_upgrade::tui::columns::ColumnId::titles()
            .iter()
            .map(|&title| title.to_owned()),
    );
    phrases.extend(Window::iter().map(|window| window.title().to_owned()));
    phrases.extend(Command::iter().map(|command| command.describe().to_owned()));
    for spec in avx_upgrade::tui::command_line::COMMANDS {
        phrases.extend([spec.name, spec.usage, spec.describe].map(str::to_owned));
    }
    for column in avx_upgrade::tui::columns::ColumnId::iter() {
        phrases.extend([column.name(), column.describe()].map(str::to_owned));
    }
    phrases.extend([ui::CHECK_PASSED, ui::CHECK_FAILED].map(str::to_owned));
    phrases.extend([RESTART_DETAIL, MESSAGE, CURRENT, PREVIOUS, NEXT].map(str::to_owned));
    phrases
        .iter()
        .flat_map(|phrase| phrase.split_whitespace())
        .map(|word| word.trim_matches(|c: char| !is_word(c)).to_owned())
        .filter(|word| word.chars().count() >= 2)
        .collect()
}

/// The words of a status: every Update Status label and gateway state. They must fit their
/// column, so a cut one is found anywhere on a line, not only at a border.
fn status_words() -> Vec<String> {
    let mut words: Vec<String> = UpdateStatus::known()
        .iter()
        .map(|status| status.label().to_owned())
        .collect();
    words.extend(GatewayState::iter().map(|state| state.name().to_owned()));
    words
}

/// A character of a word, a code (`spoke-next-hop`, `config_fail`) or a version.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Whether the character at `row`, `column` of `grid` ends a box on its right: a right
/// corner, or a side under one (a dialog's left side is not: text beside a dialog is covered,
/// not cut).
fn ends_a_box(grid: &[Vec<char>], row: usize, column: usize) -> bool {
    let at = |row: usize| grid[row].get(column).copied().unwrap_or(' ');
    if RIGHT_CORNERS.contains(&at(row)) {
        return true;
    }
    if !SIDES.contains(&at(row)) {
        return false;
    }
    let above = (0..row).rev().map(at).find(|c| !SIDES.contains(c));
    above.is_some_and(|c| c == '┐')
}

/// The runs of word characters on row `row` of `grid`, each with whether it meets the right
/// end of a box or the edge of the screen (where a cut shows). Runs just right of another
/// box's end are left out: that box covers the text under it, it does not cut it.
fn runs(grid: &[Vec<char>], row: usize, width: usize) -> Vec<(String, bool)> {
    let chars = &grid[row];
    let mut found = Vec::new();
    let mut start = None;
    let mut covered = false;
    for (at, &c) in chars.iter().enumerate() {
        match (is_word(c), start) {
            (true, None) => {
                covered = at > 0 && ends_a_box(grid, row, at - 1);
                start = Some(at);
            }
            (false, Some(from)) => {
                if !covered {
                    let run = chars[from..at].iter().collect();
                    found.push((run, ends_a_box(grid, row, at)));
                }
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start.filter(|_| !covered) {
        found.push((chars[from..].iter().collect(), chars.len() >= width));
    }
    found
}

fn trimmed(run: &str) -> &str {
    run.trim_matches(|c: char| !c.is_alphanumeric())
}

/// The word of `vocabulary` that `run` is a cut start of, if any: `run` is a strict prefix of
/// it and no word itself.
fn cut_word<'a>(run: &str, vocabulary: &'a BTreeSet<String>) -> Option<&'a String> {
    let run = trimmed(run);
    if run.is_empty() || vocabulary.contains(run) {
        return None;
    }
    vocabulary
        .iter()
        .find(|word| word.len() > run.len() && word.starts_with(run))
}

/// Every cut on `screen`: the word, the cut, and the line. A run at an edge that the screen
/// shows whole elsewhere is a word that fits exactly, not a cut.
fn cuts(screen: &str, width: usize, vocabulary: &BTreeSet<String>) -> Vec<String> {
    let grid: Vec<Vec<char>> = screen.lines().map(|line| line.chars().collect()).collect();
    let runs: Vec<Vec<(String, bool)>> =
        (0..grid.len()).map(|row| runs(&grid, row, width)).collect();
    let whole: BTreeSet<&str> = runs
        .iter()
        .flatten()
        .filter(|(_, at_edge)| !at_edge)
        .map(|(run, _)| trimmed(run))
        .collect();
    let mut found = status_cuts(screen, vocabulary);
    for (line, row) in screen.lines().zip(&runs) {
        let at_edges = row
            .iter()
            .filter(|(run, at_edge)| *at_edge && !whole.contains(trimmed(run)));
        for (run, _) in at_edges {
            if let Some(word) = cut_word(run, vocabulary) {
                found.push(format!("`{word}` cut to `{run}` in: {line}"));
            }
        }
    }
    found
}

/// Every status cut where a status shows, after its symbol: a word (`✗ config_f`) or its
/// percentage (`… initializing 7`), anywhere on `screen` (in a column, say), but those the
/// column rework owns.
fn status_cuts(screen: &str, vocabulary: &BTreeSet<String>) -> Vec<String> {
    let statuses = status_words();
    let mut found = Vec::new();
    for line in screen.lines() {
        for (run, rest) in after_status_symbols(line) {
            let cut_word = statuses
                .iter()
                .find(|word| word.len() > run.len() && word.starts_with(run.as_str()))
                .filter(|_| run.len() >= 3 && !vocabulary.contains(&run));
            let cut = match (cut_word, cut_percentage(rest)) {
                (Some(_), _) => run.clone(),
                (None, Some(number)) => format!("{run} {number}"),
                (None, None) => continue,
            };
            found.push(format!("status cut to `{cut}` in: {line}"));
        }
    }
    found
}

/// The number after a status word that lost its `%`.
fn cut_percentage(rest: &str) -> Option<&str> {
    let rest = rest.strip_prefix(' ')?;
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let number = &rest[..digits];
    (!number.is_empty() && !rest[digits..].starts_with('%')).then_some(number)
}

/// The word right after each status symbol and a space on `line`, and the text after it.
fn after_status_symbols(line: &str) -> Vec<(String, &str)> {
    let symbols = [
        Status::Ok,
        Status::Warn,
        Status::Error,
        Status::Pending,
        Status::Muted,
    ]
    .map(symbol);
    let mut found = Vec::new();
    for shown in symbols {
        for (at, _) in line.match_indices(shown) {
            let Some(rest) = line[at + shown.len()..].strip_prefix(' ') else {
                continue;
            };
            let end = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
            found.push((trimmed(&rest[..end]).to_owned(), &rest[end..]));
        }
    }
    found
}

/// A small fleet with a gateway down, one behind and an HA pair.
fn fleet() -> Snapshot {
    let mut gateways = Vec::new();
    gateways.extend(common::pair("transit-use1", GatewayType::Transit, CURRENT));
    gateways.extend(common::pair("spoke-use1-web", GatewayType::Spoke, PREVIOUS));
    let mut down = common::gateway(
        "egress-use1",
        GatewayType::Standalone,
        Role::Primary,
        PREVIOUS,
    );
    down.state = GatewayState::ConfigFail;
    gateways.push(down);
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet")
}

/// A controller two trains behind the newest, with its gateways.
fn behind() -> Snapshot {
    let gateways = common::pair("spoke-use1-web", GatewayType::Spoke, PREVIOUS).to_vec();
    Snapshot::new(common::controller(PREVIOUS, None), gateways).expect("fleet")
}

/// 100 spoke pairs, for titles with many marks and a long filter.
fn big_fleet() -> Snapshot {
    let mut gateways = Vec::new();
    for i in 0..100 {
        let name = format!("spoke-{i:03}-use1");
        gateways.extend(common::pair(&name, GatewayType::Spoke, PREVIOUS));
    }
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet")
}

fn window(snapshot: Snapshot, key: char) -> App {
    let mut app = loaded_app(snapshot, false);
    press(&mut app, KeyCode::Char(key));
    app
}

fn platform_screens(screens: &mut Vec<(String, App)>) {
    screens.push(("platform".into(), loaded_app(fleet(), false)));
    for (name, snapshot, target) in [
        ("platform invalid target", fleet(), "6.4"),
        ("platform multi-hop target", behind(), "7.2"),
    ] {
        let mut app = loaded_app(snapshot, false);
        press(&mut app, KeyCode::Char('t'));
        type_into(&mut app, target);
        press(&mut app, KeyCode::Enter);
        screens.push((name.into(), app));
    }
}

fn gateway_screens(screens: &mut Vec<(String, App)>) {
    screens.push(("gateways".into(), window(fleet(), '2')));
    let mut app = window(big_fleet(), '2');
    press(&mut app, KeyCode::Char('a'));
    press(&mut app, KeyCode::Char('/'));
    type_into(&mut app, "spoke-0 !role:secondary region:us-east-1");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('s'));
    screens.push(("gateways with filter, marks and sort".into(), app));
    let mut app = window(fleet(), '2');
    press(&mut app, KeyCode::Enter);
    screens.push(("detail".into(), app));
    let mut app = window(fleet(), '2');
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('G'));
    screens.push(("detail at its end".into(), app));
    let mut app = window(fleet(), '2');
    press(&mut app, KeyCode::Char('f'));
    screens.push(("picker".into(), app));
}

fn dry_run_screen(screens: &mut Vec<(String, App)>) {
    let mut app = window(fleet(), '2');
    press(&mut app, KeyCode::Char('d'));
    let request = Request::SoftwareUpgrade {
        gateways: Selection::Named(vec!["transit-use1".into()]),
        target: None,
    };
    let findings = Code::known()
        .map(|code| Finding::about(code, MESSAGE, vec!["transit-use1".into()]))
        .collect();
    let result = Ok(DryRun {
        target: Some(CURRENT.into()),
        blocked: true,
        findings,
    });
    update(&mut app, Msg::Ops(Event::DryRunDone { request, result }));
    screens.push(("dry run".into(), app));
}

fn confirm_screens(screens: &mut Vec<(String, App)>) {
    for (name, keys) in [
        ("confirm upgrade", "jjU"),
        ("confirm rollback", "R"),
        ("confirm image upgrade", "aI"),
    ] {
        let mut app = window(fleet(), '2');
        for key in keys.chars() {
            press(&mut app, KeyCode::Char(key));
        }
        shown(&mut app);
        screens.push((name.into(), app));
    }
    let mut app = loaded_app(fleet(), false);
    press(&mut app, KeyCode::Char('t'));
    type_into(&mut app, "7.2");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    screens.push(("confirm blocked platform".into(), app));
}

fn progress_screen(screens: &mut Vec<(String, App)>) {
    let mut app = window(fleet(), '2');
    for key in "jj  U".chars() {
        press(&mut app, KeyCode::Char(key));
    }
    shown(&mut app);
    press(&mut app, KeyCode::Char('y'));
    update(&mut app, Msg::Ops(Event::Started { operation: 1 }));
    let status = |name: &str, update_status: &str, progress| GatewayProgress {
        name: name.into(),
        state: "up".into(),
        update_status: update_status.into(),
        progress,
        message: None,
    };
    for progress in [
        Progress::Gateways {
            gateways: vec![
                status("spoke-use1-web", "complete", None),
                status("spoke-use1-web-hagw", "initializing", Some(70)),
            ],
            done: 1,
            failed: 0,
        },
        Progress::Restarting {
            detail: RESTART_DETAIL.into(),
        },
    ] {
        let operation = 1;
        update(
            &mut app,
            Msg::Ops(Event::Progress {
                operation,
                progress,
            }),
        );
    }
    screens.push(("progress with a restart".into(), app));
}

fn rollout_screens(screens: &mut Vec<(String, App)>) {
    screens.push(("rollout empty".into(), window(big_fleet(), '3')));
    let mut app = window(big_fleet(), '3');
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    screens.push(("rollout confirm".into(), app));
    let mut app = window(big_fleet(), '3');
    press(&mut app, KeyCode::Char('U'));
    shown(&mut app);
    type_into(&mut app, "200");
    press(&mut app, KeyCode::Enter);
    let event = RolloutEvent::Starting {
        step: 1,
        what: "wave 1 (canary)".into(),
    };
    update(&mut app, Msg::Ops(Event::Rollout(event)));
    screens.push(("rollout running".into(), app));
}

fn help_screens(screens: &mut Vec<(String, App)>) {
    let mut app = window(fleet(), '2');
    press(&mut app, KeyCode::Char('?'));
    screens.push(("help".into(), app));
    let mut app = window(fleet(), '2');
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Char('G'));
    screens.push(("help at its end".into(), app));
}

/// The column chooser, the command line offering candidates, the question before quitting
/// during an operation, and a fleet still being read.
fn command_screens(screens: &mut Vec<(String, App)>) {
    let mut app = window(fleet(), '2');
    press(&mut app, KeyCode::Char(':'));
    type_into(&mut app, "cols");
    press(&mut app, KeyCode::Enter);
    screens.push(("column chooser".into(), app));
    let mut app = window(fleet(), '2');
    press(&mut app, KeyCode::Char(':'));
    type_into(&mut app, "s");
    press(&mut app, KeyCode::Tab);
    screens.push(("command line with candidates".into(), app));
    let mut app = window(fleet(), '2');
    let loaded = avx_upgrade::ops::Loaded {
        snapshot: fleet().into(),
        catalog: common::catalog(),
        live: Vec::new(),
        skipped: Vec::new(),
        platform_running: None,
        gateways_running: vec!["spoke-use1-web".into()],
        preflight: None,
    };
    update(&mut app, Msg::Ops(Event::Loaded(Box::new(loaded))));
    press(&mut app, KeyCode::Char('q'));
    screens.push(("quit during an operation".into(), app));
    let mut app = App::new(
        "https://ctl.example.com".into(),
        "admin".into(),
        false,
        avx_upgrade::tui::keymap::Keymap::default(),
        console::fixed_now(),
    );
    let first = avx_upgrade::ops::Reading::Gateways {
        read: 12_400,
        first: Some(Box::new(fleet())),
    };
    update(&mut app, Msg::Ops(Event::Reading(first)));
    press(&mut app, KeyCode::Char('2'));
    screens.push(("first rows of a fleet being read".into(), app));
}

/// Every screen the console reaches, named.
fn screens() -> Vec<(String, App)> {
    let mut screens = Vec::new();
    platform_screens(&mut screens);
    gateway_screens(&mut screens);
    dry_run_screen(&mut screens);
    confirm_screens(&mut screens);
    progress_screen(&mut screens);
    rollout_screens(&mut screens);
    help_screens(&mut screens);
    command_screens(&mut screens);
    screens
}

#[test]
fn nothing_is_cut_mid_word_at_any_size() {
    let vocabulary = vocabulary();
    let mut failures = Vec::new();
    for (name, app) in screens() {
        for (width, height) in SIZES {
            let screen = text_of(&draw(&app, width, height, &Theme::colored()));
            for cut in cuts(&screen, usize::from(width), &vocabulary) {
                failures.push(format!("{name} at {width}×{height}: {cut}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cuts:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `line` in a box as wide as it is.
fn boxed(line: &str) -> String {
    let inside = line.chars().count().saturating_sub(2);
    format!("┌{}┐\n{line}", "─".repeat(inside))
}

/// The check itself finds a cut where the text meets the end of a box, and only there.
#[test]
fn the_check_finds_a_word_cut_at_a_border() {
    let vocabulary = vocabulary();
    let cut = boxed("│ ✗ config_f│");
    assert!(!cuts(&cut, 80, &vocabulary).is_empty(), "{cut}");
    let whole = boxed("│ ✗ config_fail│");
    assert!(cuts(&whole, 80, &vocabulary).is_empty(), "{whole}");
    let inside = boxed("│ gateways-behind and more   │");
    assert!(cuts(&inside, 80, &vocabulary).is_empty(), "{inside}");
    let covered = format!("{}\nconfig_f│ a dialog │", boxed("        ┌──────────┐"));
    assert!(cuts(&covered, 80, &vocabulary).is_empty(), "{covered}");
    let column = "│  egress-use1         ✗ config_fa ✓ complete       7.0.2239   │";
    assert_eq!(cuts(&boxed(column), 80, &vocabulary).len(), 1, "{column}");
    let percentage = "│  spoke-use1-web … installing 6 7.0.2239   │";
    assert_eq!(
        cuts(&boxed(percentage), 80, &vocabulary).len(),
        1,
        "{percentage}"
    );
    let whole = "│  spoke-use1-web … installing 60%  7.0.2239   │";
    assert!(cuts(&boxed(whole), 80, &vocabulary).is_empty(), "{whole}");
    let edge = "the window ends in ma";
    assert_eq!(cuts(edge, edge.len(), &vocabulary).len(), 1, "{edge}");
}

/// The detail view (Enter) keeps its keys: at 80×24 it scrolls to its last fields, and `G`,
/// `g`, `j`, `k` move it, never the table under it.
#[test]
fn the_detail_view_scrolls_to_every_field_and_keeps_its_keys() {
    let mut app = window(fleet(), '2');
    press(&mut app, KeyCode::Enter);
    let cursor = app.fleet.cursor();
    let top = text_of(&draw(&app, 80, 24, &Theme::colored()));
    assert!(
        top.contains("Gateway                 transit-use1"),
        "{top}"
    );
    assert!(
        !top.contains("OpenVPN"),
        "80×24 is too short for every field\n{top}"
    );
    press(&mut app, KeyCode::Char('G'));
    let end = text_of(&draw(&app, 80, 24, &Theme::colored()));
    for field in ["ActiveMesh", "BGP Peers", "OpenVPN"] {
        assert!(end.contains(field), "{field} is reachable\n{end}");
    }
    assert_eq!(
        app.fleet.cursor(),
        cursor,
        "G moved the view, not the table"
    );
    assert!(app.overlay().is_some(), "the view stays open");
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(
        text_of(&draw(&app, 80, 24, &Theme::colored())),
        end,
        "it scrolls no further than its last field"
    );
    press(&mut app, KeyCode::Char('k'));
    let one_up = text_of(&draw(&app, 80, 24, &Theme::colored()));
    assert!(one_up.contains("Previous Image Version"), "{one_up}");
    assert!(!one_up.contains("OpenVPN"), "{one_up}");
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(text_of(&draw(&app, 80, 24, &Theme::colored())), top);
    assert_eq!(
        app.fleet.cursor(),
        cursor,
        "g moved the view, not the table"
    );
    press(&mut app, KeyCode::Esc);
    assert!(app.overlay().is_none());
}

/// Help scrolls only as far as its content: past the end, one key up moves it up at once.
#[test]
fn help_scrolls_only_as_far_as_its_content() {
    let mut app = window(fleet(), '2');
    press(&mut app, KeyCode::Char('?'));
    let top = text_of(&draw(&app, 80, 24, &Theme::colored()));
    for _ in 0..200 {
        press(&mut app, KeyCode::Char('j'));
    }
    let end = text_of(&draw(&app, 80, 24, &Theme::colored()));
    assert!(
        end.contains("select text with your terminal as usual."),
        "{end}"
    );
    assert_ne!(end, top);
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(text_of(&draw(&app, 80, 24, &Theme::colored())), end);
    press(&mut app, KeyCode::Char('k'));
    let up = text_of(&draw(&app, 80, 24, &Theme::colored()));
    assert_ne!(up, end, "one key up scrolls up at once");
    assert!(
        !up.contains("select text with your terminal as usual."),
        "{up}"
    );
    // A taller terminal shows more of it, and still scrolls no further than its end.
    for _ in 0..200 {
        press(&mut app, KeyCode::Char('j'));
    }
    let tall = text_of(&draw(&app, 200, 60, &Theme::colored()));
    assert!(
        tall.contains("select text with your terminal as usual."),
        "{tall}"
    );
    assert!(tall.contains(":cols"), "{tall}");
}
