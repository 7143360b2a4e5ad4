//! The `:` command line and the column chooser, driven through `update` with keys as an
//! operator types them: every command, Tab completion, the history, `q` while an operation
//! runs, and the columns kept in the config file.

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

use avx_upgrade::ops::{Event, Job, Loaded};
use avx_upgrade::snapshot::{GatewayState, GatewayType, Snapshot};
use avx_upgrade::tui::columns::{ColumnChoice, ColumnId};
use avx_upgrade::tui::fleet::SortKey;
use avx_upgrade::tui::message::Msg;
use avx_upgrade::tui::state::{App, Overlay, Prompt, Window};
use avx_upgrade::tui::theme::Theme;
use avx_upgrade::tui::update::update;
use common::{CURRENT, PREVIOUS};
use console::{draw, loaded_app, press, shown, text_of, type_into};
use crossterm::event::KeyCode;

/// Two pairs on the controller's version, one pair behind, one gateway down.
fn fleet() -> Snapshot {
    let mut gateways = Vec::new();
    gateways.extend(common::pair("transit-a", GatewayType::Transit, CURRENT));
    gateways.extend(common::pair("spoke-b", GatewayType::Spoke, CURRENT));
    gateways.extend(common::pair("spoke-c", GatewayType::Spoke, PREVIOUS));
    let mut down = common::gateway(
        "egress-d",
        GatewayType::Standalone,
        avx_upgrade::snapshot::Role::Primary,
        CURRENT,
    );
    down.state = GatewayState::Down;
    gateways.push(down);
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet")
}

fn command(app: &mut App, line: &str) -> Vec<Job> {
    press(app, KeyCode::Char(':'));
    type_into(app, line);
    press(app, KeyCode::Enter)
}

fn flash(app: &App) -> String {
    app.flash
        .as_ref()
        .map(|flash| flash.text.clone())
        .unwrap_or_default()
}

fn typed(app: &App) -> String {
    match app.prompt() {
        Some(Prompt::Command(input)) => input.value().to_owned(),
        other => panic!("the command line is not open: {other:?}"),
    }
}

#[test]
fn filter_sort_mark_and_readonly_from_the_command_line() {
    let mut app = loaded_app(fleet(), false);
    assert!(command(&mut app, "filter type:spoke").is_empty());
    assert_eq!(app.window, Window::Gateways);
    assert_eq!(app.fleet.shown_len(), 4);
    assert_eq!(flash(&app), "filter type:spoke: 4 gateways shown");
    command(&mut app, "filter colour:red");
    assert!(flash(&app).starts_with("filter not changed: unknown filter key"));
    assert_eq!(app.fleet.shown_len(), 4, "a bad query changes nothing");
    command(&mut app, "filter");
    assert_eq!(app.fleet.shown_len(), 7);

    command(&mut app, "sort current desc");
    assert_eq!(app.fleet.sort(), Some((SortKey::Version, true)));
    command(&mut app, "sort name");
    assert_eq!(app.fleet.sort(), Some((SortKey::Name, false)));

    command(&mut app, "mark lagging");
    assert_eq!(app.fleet.marked_names(), ["spoke-c", "spoke-c-hagw"]);
    command(&mut app, "mark unhealthy");
    assert_eq!(app.fleet.marked_names(), ["egress-d"]);
    command(&mut app, "filter type:transit");
    command(&mut app, "mark all");
    assert_eq!(
        app.fleet.marked_names(),
        ["transit-a", "transit-a-hagw"],
        "all is every gateway shown"
    );
    command(&mut app, "mark none");
    assert_eq!(app.fleet.marked_count(), 0);

    command(&mut app, "readonly");
    assert!(app.readonly);
    command(&mut app, "mark all");
    press(&mut app, KeyCode::Char('U'));
    assert!(app.overlay().is_none(), "read-only: nothing to confirm");
    assert!(flash(&app).contains("read-only"), "{}", flash(&app));
    command(&mut app, "readonly");
    assert!(app.readonly, "one way");

    command(&mut app, "frobnicate");
    assert!(flash(&app).contains("unknown command :frobnicate"));
}

#[test]
fn tab_completes_and_up_and_down_recall() {
    let mut app = loaded_app(fleet(), false);
    press(&mut app, KeyCode::Char(':'));
    type_into(&mut app, "so");
    press(&mut app, KeyCode::Tab);
    assert_eq!(typed(&app), "sort ");
    type_into(&mut app, "cu");
    press(&mut app, KeyCode::Tab);
    assert_eq!(typed(&app), "sort current ");
    press(&mut app, KeyCode::Esc);

    // Several candidates: listed under the line, and Tab again goes through them.
    press(&mut app, KeyCode::Char(':'));
    type_into(&mut app, "s");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.command_line.candidates, ["skip", "sort", "support"]);
    let screen = text_of(&draw(&app, 80, 24, &Theme::monochrome()));
    assert!(screen.contains("Tab: skip  sort  support"), "{screen}");
    press(&mut app, KeyCode::Tab);
    assert_eq!(typed(&app), "skip");
    press(&mut app, KeyCode::Tab);
    assert_eq!(typed(&app), "sort");
    press(&mut app, KeyCode::Char(' '));
    assert!(app.command_line.candidates.is_empty());
    type_into(&mut app, "name");
    press(&mut app, KeyCode::Enter);
    command(&mut app, "mark lagging");

    press(&mut app, KeyCode::Char(':'));
    press(&mut app, KeyCode::Up);
    assert_eq!(typed(&app), "mark lagging");
    press(&mut app, KeyCode::Up);
    assert_eq!(typed(&app), "sort name");
    press(&mut app, KeyCode::Up);
    assert_eq!(typed(&app), "sort name", "the oldest stays");
    press(&mut app, KeyCode::Down);
    assert_eq!(typed(&app), "mark lagging");
    press(&mut app, KeyCode::Down);
    assert_eq!(typed(&app), "");
}

#[test]
fn cols_sets_the_columns_and_keeps_them_in_the_config_file() {
    let mut app = loaded_app(fleet(), false);
    let config = std::path::PathBuf::from("/nonexistent/avx-upgrade/config.toml");
    let effects = command(&mut app, "cols name,cloud,role,current,target");
    assert!(effects.is_empty(), "without a config file: {effects:?}");
    assert!(flash(&app).contains("for this session"), "{}", flash(&app));
    app.config_path = Some(config.clone());
    let effects = command(&mut app, "cols name,cloud,role,current,target");
    let names: Vec<String> = ["name", "cloud", "role", "current", "target"]
        .map(String::from)
        .into();
    assert_eq!(
        effects,
        [Job::SaveColumns {
            config: config.clone(),
            columns: Some(names)
        }]
    );
    let screen = text_of(&draw(&app, 80, 24, &Theme::monochrome()));
    let header = screen
        .lines()
        .find(|line| line.starts_with("│ ") && line.contains("Gateway"))
        .expect("a header");
    let titles: Vec<&str> = header
        .trim_matches(|c| c == '│' || c == ' ')
        .split_whitespace()
        .collect();
    assert_eq!(titles, ["Gateway", "Cloud", "Role", "Current", "Target"]);

    command(&mut app, "cols name,colour");
    assert!(flash(&app).contains("no column is called \"colour\""));
    assert!(matches!(app.columns, ColumnChoice::Chosen(ref c) if c.len() == 5));

    let effects = command(&mut app, "cols auto");
    assert_eq!(
        effects,
        [Job::SaveColumns {
            config: config.clone(),
            columns: None
        }]
    );
    update(
        &mut app,
        Msg::Ops(Event::ColumnsSaved(Err("disk full".into()))),
    );
    assert!(flash(&app).contains("not kept: disk full"));
}

#[test]
fn the_column_chooser_turns_columns_on_and_off() {
    let mut app = loaded_app(fleet(), false);
    app.config_path = Some("/tmp/unused/config.toml".into());
    press(&mut app, KeyCode::Char('2'));
    draw(&app, 80, 24, &Theme::monochrome());
    let before = app.shown_columns.borrow().clone();
    assert!(
        before.contains(&ColumnId::Cloud),
        "cloud at 80 columns: {before:?}"
    );
    command(&mut app, "cols");
    let Some(Overlay::Columns(chooser)) = app.overlay() else {
        panic!("the chooser is open");
    };
    assert_eq!(chooser.rows.len(), 19);
    let screen = text_of(&draw(&app, 80, 24, &Theme::monochrome()));
    assert!(screen.contains("[x] name"), "{screen}");
    assert!(screen.contains("[ ] kernel"), "{screen}");
    // Off with the second column (state), on with the first column not shown.
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char(' '));
    for _ in 0..before.len() - 1 {
        press(&mut app, KeyCode::Char('j'));
    }
    press(&mut app, KeyCode::Char(' '));
    let effects = press(&mut app, KeyCode::Enter);
    assert!(app.overlay().is_none());
    let ColumnChoice::Chosen(columns) = &app.columns else {
        panic!("chosen");
    };
    assert!(!columns.contains(&ColumnId::State));
    assert_eq!(columns.len(), before.len());
    assert!(matches!(effects.as_slice(), [Job::SaveColumns { .. }]));
    press(&mut app, KeyCode::Char('C'));
    assert!(
        matches!(app.overlay(), Some(Overlay::Columns(_))),
        "C opens it too"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(flash(&app), "columns unchanged");
}

#[test]
fn q_while_an_operation_runs_asks_first_and_says_what_goes_on() {
    let mut app = loaded_app(fleet(), false);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit, "nothing runs: q quits at once");

    let mut app = loaded_app(fleet(), false);
    let loaded = Loaded {
        snapshot: fleet().into(),
        catalog: common::catalog(),
        live: Vec::new(),
        skipped: Vec::new(),
        platform_running: None,
        gateways_running: vec!["spoke-c".into()],
        preflight: None,
    };
    update(&mut app, Msg::Ops(Event::Loaded(Box::new(loaded))));
    assert!(app.busy());
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quit);
    let Some(Overlay::Ask(ask)) = app.overlay() else {
        panic!("a question");
    };
    assert!(
        ask.question.contains("goes on at the controller"),
        "{}",
        ask.question
    );
    assert!(
        ask.question.contains("Start avx-upgrade again"),
        "{}",
        ask.question
    );
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quit, "q twice does not quit: the question wants y");
    shown(&mut app);
    press(&mut app, KeyCode::Char('n'));
    assert!(!app.quit && app.overlay().is_none());
    command(&mut app, "q");
    shown(&mut app);
    press(&mut app, KeyCode::Char('y'));
    assert!(app.quit);
}

#[test]
fn the_help_lists_every_command() {
    let mut app = loaded_app(fleet(), false);
    press(&mut app, KeyCode::Char('?'));
    let mut seen = String::new();
    for _ in 0..40 {
        seen.push_str(&text_of(&draw(&app, 120, 40, &Theme::monochrome())));
        press(&mut app, KeyCode::Char('j'));
    }
    for spec in avx_upgrade::tui::command_line::COMMANDS {
        assert!(seen.contains(&format!(":{}", spec.name)), ":{}", spec.name);
        assert!(seen.contains(spec.describe), "{}", spec.describe);
    }
}

/// 60 short names and one long one at the end; every image with the same long prefix.
fn long_list() -> Snapshot {
    let mut gateways: Vec<_> = (0..61)
        .map(|i| {
            let name = if i == 60 {
                "a-long-gateway-name-at-the-end".to_owned()
            } else {
                format!("gw-{i:02}")
            };
            let mut gateway = common::gateway(
                &name,
                GatewayType::Spoke,
                avx_upgrade::snapshot::Role::Primary,
                CURRENT,
            );
            gateway.image_version = Some(
                format!(
                    "aviatrix-companion-gateway-v13-ubuntu2204-7.2-2024111{}",
                    i % 10
                )
                .into(),
            );
            gateway
        })
        .collect();
    gateways.sort_by(|a, b| a.name.cmp(&b.name));
    gateways.rotate_left(1);
    Snapshot::new(common::controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet")
}

#[test]
fn the_gateway_column_fits_the_names_on_screen_and_a_long_list_says_where_you_are() {
    let mut app = loaded_app(long_list(), false);
    command(&mut app, "cols name,state,image");
    let top = text_of(&draw(&app, 80, 24, &Theme::monochrome()));
    assert!(top.contains("│  gw-00   ✓ up  …ubuntu"), "{top}");
    assert!(top.contains(" row 1 of 61 "), "{top}");
    // The end of the image name tells them apart, not the prefix they share.
    assert!(top.contains("…ubuntu2204-7.2-20241110"), "{top}");
    assert!(!top.contains("aviatrix-compani"), "{top}");
    press(&mut app, KeyCode::Char('G'));
    let bottom = text_of(&draw(&app, 80, 24, &Theme::monochrome()));
    assert!(
        bottom.contains("│  a-long-gateway-name-at-the-end ✓ up"),
        "{bottom}"
    );
    assert!(bottom.contains(" row 61 of 61 "), "{bottom}");
    command(&mut app, "filter gw-0");
    let short = text_of(&draw(&app, 80, 24, &Theme::monochrome()));
    assert!(
        !short.contains(" row "),
        "ten rows fit: no position\n{short}"
    );
}

/// Command lines a fuzz case starts from.
const VALID_LINES: &[&str] = &[
    "filter cloud:aws !role:secondary",
    "sort current desc",
    "cols name,cloud,role,current,target",
    "cols auto",
    "mark lagging",
    "readonly",
    "policy wave-size 25%",
    "skip spoke-b",
    "q",
    "help",
];

/// Any line, typed and run in the console: no panic, never an operation sent, an error
/// that says something; and Tab on it completes without losing what was typed before the
/// last word.
fn command_line_holds(app: &mut App, line: &str) {
    use avx_upgrade::tui::command_line::{complete, last_word_start, parse};
    let gateways = |_: &str| vec!["spoke-b".to_owned()];
    let completion = complete(line, &gateways);
    let head = &line[..last_word_start(line)];
    assert!(
        completion.line.starts_with(head),
        "{line:?} → {completion:?}"
    );
    if let Err(error) = parse(line) {
        assert!(!error.trim().is_empty(), "an error says why: {line:?}");
    }
    let effects = command(app, &line.replace(['\r', '\n', '\t', '\x1b'], " "));
    for effect in effects {
        assert!(
            matches!(
                effect,
                Job::SaveColumns { .. }
                    | Job::WriteReport
                    | Job::Refresh
                    | Job::WriteSupportSummary { .. }
            ),
            "a command line sent {effect:?} for {line:?}"
        );
    }
    app.focus = avx_upgrade::tui::state::Focus::Window;
    app.quit = false;
}

/// Runs `cases` arbitrary texts and mutated command lines through the console.
fn fuzz_command_lines(cases: u32) {
    let app = std::sync::Mutex::new(loaded_app(fleet(), false));
    let strategy = mutate::texts(VALID_LINES, 512);
    mutate::check("the command line", cases, strategy, move |line| {
        let mut app = app.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        command_line_holds(&mut app, &line);
    });
}

#[test]
fn the_command_line_takes_any_text_and_any_mutation_of_a_valid_line() {
    fuzz_command_lines(mutate::CASES * 4);
}

/// The long run: `cargo test --release --test console_commands -- --ignored fuzz`
/// (`FUZZ_CASES=N` sets the number of cases).
#[test]
#[ignore = "long: cargo test --release --test console_commands -- --ignored fuzz"]
fn command_line_fuzz_long() {
    fuzz_command_lines(mutate::long_cases());
}
