//! The pure heart of the console: `update(&mut App, Msg) -> Vec<Job>`.
//!
//! Keys go where the [`Focus`] is: they become commands through the keymap, except while text
//! is typed (the filter query, a `:` command, the Target Release Version, the count in a
//! confirmation), which takes every key. Pasted text goes only to the filter and the Target Release Version, never to a
//! confirmation. Controller results and progress arrive as messages too. Anything that must
//! talk to the controller is returned as an [`Job`]; nothing here does I/O or reads the
//! clock: the loop sets `App::now` before each message, and says when it drew a frame.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::ops::{self, Job};
use crate::plan::request::Action;
use crate::plan::runbook;
use crate::tui::message::{Command, MarkSet, Msg};
use crate::tui::operation::Operation;
use crate::tui::state::{App, Focus, Overlay, Prompt, Scroll, Window};

mod command;
mod controller;
mod operations;
mod overlay;
mod prompt;
mod rollout;

use controller::{on_load_failed, on_loaded, on_progress};
use operations::{ask_to_confirm, confirm_key, dry_run, on_dry_run};
use overlay::{ask_key, overlay_command};
use prompt::{on_paste, open_picker, prompt_key, set_filter};

pub use operations::describe_request;

/// Applies `msg` to `app`; returns what must be done outside.
pub fn update(app: &mut App, msg: Msg) -> Vec<Job> {
    match msg {
        Msg::Key(key) if key.kind == KeyEventKind::Press => on_key(app, &key),
        Msg::Key(_) | Msg::Resize | Msg::Tick => Vec::new(),
        Msg::Paste(text) => {
            on_paste(app, &text);
            Vec::new()
        }
        Msg::Drawn { at } => {
            match &mut app.focus {
                Focus::Overlay(Overlay::Confirm(dialog)) => dialog.drawn(at),
                Focus::Overlay(Overlay::Ask(dialog)) => dialog.drawn(at),
                _ => {}
            }
            Vec::new()
        }
        Msg::Command(command) => {
            if let Some(effects) = command::chooser_command(app, command) {
                return effects;
            }
            if let Some(effects) = overlay_command(app, command) {
                return effects;
            }
            dispatch(app, command)
        }
        Msg::Ops(ops::Event::Reading(reading)) => {
            controller::on_reading(app, reading);
            Vec::new()
        }
        Msg::Ops(ops::Event::Loaded(loaded)) => on_loaded(app, *loaded),
        Msg::Ops(ops::Event::LoadFailed(error)) => on_load_failed(app, error),
        Msg::Ops(ops::Event::DryRunDone { request, result }) => {
            on_dry_run(app, &request, result);
            Vec::new()
        }
        Msg::Ops(ops::Event::Started { operation }) => {
            let now = app.now;
            if let Some(op) = current(app, operation) {
                op.started(now);
            }
            Vec::new()
        }
        Msg::Ops(ops::Event::RequestAnswered {
            operation,
            number,
            of,
            gateways,
            result,
        }) => {
            let now = app.now;
            if let Some(op) = current(app, operation) {
                op.request_answered(now, (number, of, gateways), result);
            }
            Vec::new()
        }
        Msg::Ops(ops::Event::StartFailed { operation, error }) => {
            let now = app.now;
            if let Some(op) = current(app, operation) {
                op.start_failed(now, error.clone());
                app.error(format!("not started: {error}"));
            }
            Vec::new()
        }
        Msg::Ops(ops::Event::Progress {
            operation,
            progress,
        }) => on_progress(app, operation, progress),
        Msg::Ops(ops::Event::Verified {
            operation,
            verdicts,
        }) => {
            let now = app.now;
            if let Some(op) = current(app, operation) {
                op.verified(now, verdicts);
            }
            Vec::new()
        }
        Msg::Ops(ops::Event::Resumed { operation, resumed }) => {
            let now = app.now;
            if let Some(op) = current(app, operation) {
                op.resumed(now, &resumed);
            }
            Vec::new()
        }
        Msg::Ops(ops::Event::JournalFailed { operation, error }) => {
            let now = app.now;
            let line = format!("the journal could not be written: {error}");
            if let Some(op) = current(app, operation) {
                op.note(now, line.clone());
            }
            app.error(line);
            Vec::new()
        }
        Msg::Ops(ops::Event::Rollout(event)) => rollout::on_event(app, event),
        Msg::Ops(ops::Event::RolloutEnded(end)) => rollout::on_end(app, end),
        Msg::Ops(ops::Event::RolloutFound(found)) => {
            rollout::on_found(app, found);
            Vec::new()
        }
        Msg::Ops(ops::Event::SupportSummaryWritten(result)) => {
            match result {
                Ok(path) => app.info(format!("support summary written to {}", path.display())),
                Err(error) => app.error(error),
            }
            Vec::new()
        }
        Msg::Ops(ops::Event::ColumnsSaved(saved)) => {
            command::on_columns_saved(app, saved);
            Vec::new()
        }
        Msg::Ops(ops::Event::ReportWritten(result)) => {
            match result {
                Ok(path) => app.info(format!("change record written to {}", path.display())),
                Err(error) => app.error(error),
            }
            Vec::new()
        }
        Msg::Signal(signal) => {
            app.quit = true;
            app.signal = Some(signal);
            tracing::info!(signal = signal.name(), "quitting on a signal");
            Vec::new()
        }
    }
}

pub(super) fn current(app: &mut App, id: u64) -> Option<&mut Operation> {
    app.operation.as_mut().filter(|op| op.id == id)
}

fn on_key(app: &mut App, key: &KeyEvent) -> Vec<Job> {
    app.flash = None;
    let control = key
        .modifiers
        .contains(crossterm::event::KeyModifiers::CONTROL);
    if control && app.keymap.command(key) == Some(Command::Quit) {
        // Ctrl-C quits from anywhere, even while text is typed.
        app.quit = true;
        return Vec::new();
    }
    match app.focus {
        Focus::Prompt(_) => return prompt_key(app, key),
        Focus::Target => {
            target_key(app, key);
            return Vec::new();
        }
        Focus::Overlay(Overlay::Confirm(_)) => return confirm_key(app, key),
        Focus::Overlay(Overlay::Ask(_)) => return ask_key(app, key),
        Focus::Window | Focus::Overlay(_) => {}
    }
    let Some(command) = app.keymap.command(key) else {
        return Vec::new();
    };
    if let Some(effects) = command::chooser_command(app, command) {
        return effects;
    }
    if let Some(effects) = overlay_command(app, command) {
        return effects;
    }
    dispatch(app, command)
}

/// A command with no overlay open.
pub(super) fn dispatch(app: &mut App, command: Command) -> Vec<Job> {
    if command.needs_whole_fleet() && app.fleet_is_partial() {
        refuse_on_partial_fleet(app);
        return Vec::new();
    }
    match command {
        Command::Quit => command::quit(app),
        Command::Help => {
            let scroll = Scroll::default();
            app.focus = Focus::Overlay(Overlay::Help { scroll });
        }
        Command::CommandLine => app.focus = Focus::Prompt(Prompt::Command(Input::default())),
        Command::Refresh => return refresh(app),
        Command::PlatformWindow => app.window = Window::Platform,
        Command::GatewayWindow => app.window = Window::Gateways,
        Command::RolloutWindow => app.window = Window::Rollout,
        Command::NextWindow => {
            app.window = match app.window {
                Window::Platform => Window::Gateways,
                Window::Gateways => Window::Rollout,
                Window::Rollout => Window::Platform,
            }
        }
        Command::Upgrade | Command::Rollback | Command::ImageUpgrade
            if app.window == Window::Rollout =>
        {
            rollout::stage(app, staged(command));
        }
        Command::PauseRollout => rollout::pause(app),
        Command::ResumeRollout => rollout::resume(app),
        Command::AbortRollout => rollout::abort(app),
        Command::WriteReport => return vec![Job::WriteReport],
        Command::MarkPreflight => mark_preflight(app),
        Command::Up | Command::Down | Command::PageUp | Command::PageDown
            if app.window == Window::Rollout =>
        {
            move_rollout_cursor(app, command);
        }
        Command::EditTarget => edit_target(app),
        Command::DryRun => return dry_run(app),
        Command::Upgrade => ask_to_confirm(app, app.window.operation()),
        Command::Rollback => gateway_only(app, command, |app| {
            ask_to_confirm(app, Action::SoftwareRollback)
        }),
        Command::ImageUpgrade => gateway_only(app, command, |app| {
            ask_to_confirm(app, Action::ImageUpgrade)
        }),
        Command::ToggleProgress => toggle_progress(app),
        Command::ChooseColumns => command::open_chooser(app),
        Command::Close => {
            if app.window == Window::Gateways && !app.fleet.query().is_empty() {
                set_filter(app, "");
                app.info("filter cleared");
            }
        }
        table => gateway_only(app, table, |app| table_command(app, table)),
    }
    Vec::new()
}

/// Says why nothing can be marked or sent yet.
pub(super) fn refuse_on_partial_fleet(app: &mut App) {
    let read = app.loading.map_or(0, |loading| loading.read);
    app.warn(format!(
        "the fleet is still being read ({read} gateways so far): marking and operations wait until every gateway and its status is in"
    ));
}

/// The gateway operation a mutating command stages in the Rollout window.
fn staged(command: Command) -> Action {
    match command {
        Command::Rollback => Action::SoftwareRollback,
        Command::ImageUpgrade => Action::ImageUpgrade,
        _ => Action::SoftwareUpgrade,
    }
}

fn move_rollout_cursor(app: &mut App, command: Command) {
    let page = app.page_rows.get().max(1) as isize;
    let by = match command {
        Command::Up => -1,
        Command::Down => 1,
        Command::PageUp => -page,
        _ => page,
    };
    if let Some(view) = app.rollout.as_mut() {
        view.move_cursor(by);
    }
}

fn refresh(app: &mut App) -> Vec<Job> {
    let job = app.request_refresh();
    if job.is_none() {
        app.info("already reading the controller: reading it again once it answers");
    }
    job.into_iter().collect()
}

/// Runs `then` in the gateway window; elsewhere says where the command works.
fn gateway_only(app: &mut App, command: Command, then: impl FnOnce(&mut App)) {
    if app.window == Window::Gateways {
        then(app);
        return;
    }
    let keys = app.keymap.key_for(command);
    let window_key = app.keymap.key_for(Command::GatewayWindow);
    app.info(format!(
        "{keys} works in the Selective Gateway Upgrade window: press {window_key}"
    ));
}

fn table_command(app: &mut App, command: Command) {
    let page = app.page_rows.get().max(1) as isize;
    let fleet = &mut app.fleet;
    match command {
        Command::Up => fleet.move_cursor(-1),
        Command::Down => fleet.move_cursor(1),
        Command::PageUp => fleet.move_cursor(-page),
        Command::PageDown => fleet.move_cursor(page),
        Command::Top => fleet.cursor_to_top(),
        Command::Bottom => fleet.cursor_to_bottom(),
        Command::Mark => {
            fleet.toggle_mark();
            fleet.move_cursor(1);
        }
        Command::MarkShown => fleet.mark_shown(),
        Command::MarkFailed => mark_set(app, MarkSet::Failed),
        Command::ClearMarks => fleet.clear_marks(),
        Command::SortNext => fleet.cycle_sort(),
        Command::SortReverse => fleet.reverse_sort(),
        Command::Filter => {
            let mut input = Input::new(fleet.query().text().to_owned());
            input.handle(tui_input::InputRequest::GoToEnd);
            app.focus = Focus::Prompt(Prompt::Query(input));
        }
        Command::FilterPicker => open_picker(app),
        Command::Details => {
            if let Some(gateway) = fleet.cursor_gateway() {
                let name = gateway.name.to_string();
                let scroll = Scroll::default();
                app.focus = Focus::Overlay(Overlay::Detail { name, scroll });
            }
        }
        _ => {}
    }
}

/// Marks exactly the gateways of `set`, shown or not, and says how many.
fn mark_set(app: &mut App, set: MarkSet) {
    let names = app.named_set(set);
    mark_exactly(app, &names, &format!("{} gateways", set.name()));
}

/// Marks exactly `names`, shown or not, and says how many of `what` it marked.
pub(super) fn mark_exactly(app: &mut App, names: &[String], what: &str) {
    app.fleet.mark_only(names);
    let hidden = app.fleet.hidden_marked_count();
    match (names.len(), hidden) {
        (0, _) => app.info(format!("no {what}: marks cleared")),
        (count, 0) => app.info(format!("marked the {count} {what}")),
        (count, hidden) => app.info(format!(
            "marked the {count} {what} ({hidden} hidden by the filter)"
        )),
    }
}

fn toggle_progress(app: &mut App) {
    if app.operation.is_none() {
        app.info("no operation to show: start one with U, R or I");
        return;
    }
    app.show_progress = !app.show_progress;
}

fn edit_target(app: &mut App) {
    if app.window != Window::Platform {
        let key = app.keymap.key_for(Command::PlatformWindow);
        app.info(format!(
            "the Target Release Version is in the Platform Upgrade window: press {key}"
        ));
        return;
    }
    app.focus = Focus::Target;
}

fn target_key(app: &mut App, key: &KeyEvent) {
    match key.code {
        KeyCode::Enter | KeyCode::Esc => app.focus = Focus::Window,
        _ => {
            app.platform.input.handle_event(&Event::Key(*key));
            revalidate_target(app);
        }
    }
}

/// In the Platform Upgrade window: marks exactly the gateways the failing preflight items name
/// and shows them in the gateway window.
fn mark_preflight(app: &mut App) {
    let (names, codes) = app.platform.preflight_gateways();
    let what = match codes.is_empty() {
        true => "gateways the preflight names".to_owned(),
        false => format!("gateways of {}", codes.join(", ")),
    };
    if names.is_empty() {
        app.info("no preflight item names gateways: nothing to mark");
        return;
    }
    app.window = Window::Gateways;
    mark_exactly(app, &names, &what);
}

/// Recomputes the planner's verdict on the Target Release Version.
pub fn revalidate_target(app: &mut App) {
    let (Some(snapshot), Some(catalog)) = (app.fleet.snapshot(), app.catalog.as_ref()) else {
        app.platform.verdict = None;
        return;
    };
    let verdict = app.platform_target().and_then(|target| {
        runbook::for_fleet(snapshot, target, catalog)
            .map_err(|finding| format!("{}: {}", finding.code.as_str(), finding.message))
    });
    app.platform.verdict = Some(verdict);
}
