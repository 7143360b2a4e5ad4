//! Carries out a `:` command line ([`crate::tui::command_line`]) and the keys of its prompt:
//! Tab completes, Up and Down walk the history. Also the column chooser, which `:cols` opens,
//! and `q` while an operation runs, which asks first.

use crossterm::event::{Event, KeyCode, KeyEvent};
use tui_input::backend::crossterm::EventHandler;
use tui_input::{Input, InputRequest};

use crate::ops::Job;
use crate::tui::columns::{Chooser, ColumnChoice, ColumnId};
use crate::tui::command_line::{self, Line, Order};
use crate::tui::message::{Command, MarkSet};
use crate::tui::state::{App, Focus, Overlay, Prompt, Window};
use crate::tui::update::{dispatch, mark_exactly};

/// How many gateway names Tab offers after `:skip` at most.
const GATEWAY_CANDIDATES: usize = 50;

/// A key while the `:` prompt is open.
pub(super) fn key(app: &mut App, key: &KeyEvent) -> Vec<Job> {
    let Focus::Prompt(Prompt::Command(input)) = &mut app.focus else {
        return Vec::new();
    };
    let recall = &mut app.command_line;
    if key.code != KeyCode::Tab {
        recall.candidates.clear();
    }
    match key.code {
        KeyCode::Esc => {
            recall.recalled = None;
            app.focus = Focus::Window;
        }
        KeyCode::Enter => {
            let line = input.value().trim().to_owned();
            recall.recalled = None;
            recall.history.push(&line);
            app.focus = Focus::Window;
            return run(app, &line);
        }
        KeyCode::Up => {
            if let Some((at, line)) = recall.history.older(recall.recalled) {
                *input = at_end(line);
                recall.recalled = Some(at);
            }
        }
        KeyCode::Down => {
            if let Some(at) = recall.recalled {
                let newer = recall.history.newer(at);
                *input = at_end(newer.map_or("", |(_, line)| line));
                recall.recalled = newer.map(|(at, _)| at);
            }
        }
        KeyCode::Tab => complete(app),
        _ => {
            input.handle_event(&Event::Key(*key));
        }
    }
    Vec::new()
}

fn at_end(text: &str) -> Input {
    let mut input = Input::new(text.to_owned());
    input.handle(InputRequest::GoToEnd);
    input
}

/// Tab: the line completed as far as the candidates agree; pressed again with the same
/// candidates, the next one.
fn complete(app: &mut App) {
    let Focus::Prompt(Prompt::Command(input)) = &mut app.focus else {
        return;
    };
    let fleet = &app.fleet;
    let gateways = |prefix: &str| {
        fleet
            .gateways()
            .iter()
            .map(|gateway| &gateway.name)
            .filter(|name| name.starts_with(prefix))
            .take(GATEWAY_CANDIDATES)
            .map(|name| name.to_string())
            .collect()
    };
    let recall = &mut app.command_line;
    if let Some(next) = next_candidate(input.value(), &recall.candidates) {
        *input = at_end(&next);
        return;
    }
    let completion = command_line::complete(input.value(), &gateways);
    *input = at_end(&completion.line);
    recall.candidates = completion.candidates;
    if recall.candidates.len() == 1 {
        recall.candidates.clear();
    }
}

/// With several candidates offered, the line with its last word replaced by the candidate
/// after the one it ends with (the first after a stem).
fn next_candidate(line: &str, candidates: &[String]) -> Option<String> {
    if candidates.len() < 2 {
        return None;
    }
    let (head, word) = line.split_at(command_line::last_word_start(line));
    let next = match candidates.iter().position(|candidate| candidate == word) {
        Some(at) => &candidates[(at + 1) % candidates.len()],
        None => &candidates[0],
    };
    Some(format!("{head}{next}"))
}

/// Runs a command line.
pub(super) fn run(app: &mut App, line: &str) -> Vec<Job> {
    match command_line::parse(line) {
        Ok(parsed) => carry_out(app, parsed),
        Err(error) => {
            app.error(error);
            Vec::new()
        }
    }
}

fn carry_out(app: &mut App, line: Line) -> Vec<Job> {
    match line {
        Line::Empty => {}
        Line::Run(command) => return dispatch(app, command),
        Line::Filter(query) => filter(app, &query),
        Line::Sort(column, order) => sort(app, column, order),
        Line::Columns(None) => open_chooser(app),
        Line::Columns(Some(choice)) => return set_columns(app, choice),
        Line::Mark(set) => mark(app, set),
        Line::Readonly => readonly(app),
        Line::Policy(edits) => super::rollout::policy(app, &edits),
        Line::Skip(name) => super::rollout::skip(app, &name),
        Line::Support => match crate::tui::support::job(app) {
            Ok(job) => return vec![job],
            Err(error) => app.error(error),
        },
    }
    Vec::new()
}

/// `:filter QUERY`: the gateway window, showing what the query matches.
fn filter(app: &mut App, query: &str) {
    match app.fleet.set_filter(query) {
        Ok(()) => {
            app.query_error = None;
            app.window = Window::Gateways;
            let shown = app.fleet.shown_len();
            match query.trim() {
                "" => app.info(format!("filter cleared: {shown} gateways shown")),
                query => app.info(format!("filter {query}: {shown} gateways shown")),
            }
        }
        Err(error) => app.error(format!("filter not changed: {error}")),
    }
}

fn sort(app: &mut App, column: ColumnId, order: Order) {
    let Some(key) = column.sort_key() else {
        return;
    };
    app.fleet.sort_by(key, order == Order::Descending);
    app.window = Window::Gateways;
    let order = match order {
        Order::Ascending => "ascending",
        Order::Descending => "descending",
    };
    app.info(format!("sorted by {}, {order}", key.label()));
}

fn mark(app: &mut App, set: MarkSet) {
    if app.fleet_is_partial() {
        super::refuse_on_partial_fleet(app);
        return;
    }
    app.window = Window::Gateways;
    match set {
        MarkSet::None => {
            app.fleet.clear_marks();
            app.info("marks cleared");
        }
        set => {
            let names = app.named_set(set);
            mark_exactly(app, &names, &format!("{} gateways", set.name()));
        }
    }
}

/// `:readonly`: one way, for the rest of the session.
fn readonly(app: &mut App) {
    if app.readonly {
        app.info("already read-only: operations stay off until the console is closed");
        return;
    }
    app.readonly = true;
    app.info("read-only until the console is closed: upgrades, rollbacks, image upgrades and rollouts are off");
}

/// `:cols`: the chooser, starting from the columns on screen.
pub(super) fn open_chooser(app: &mut App) {
    let shown = app.shown_columns.borrow().clone();
    let shown = if shown.is_empty() {
        ColumnChoice::Auto.by_priority(false)[..5].to_vec()
    } else {
        shown
    };
    app.window = Window::Gateways;
    app.focus = Focus::Overlay(Overlay::Columns(Chooser::new(&shown)));
}

/// Shows `choice` and keeps it in the config file, if there is one.
pub(super) fn set_columns(app: &mut App, choice: ColumnChoice) -> Vec<Job> {
    app.window = Window::Gateways;
    let names = choice.names();
    let said = match &names {
        Some(names) => format!("columns: {}", names.join(", ")),
        None => "columns: as many as fit".to_owned(),
    };
    app.columns = choice;
    let Some(config) = app.config_path.clone() else {
        app.info(format!(
            "{said} (for this session: there is no config directory)"
        ));
        return Vec::new();
    };
    app.info(format!("{said}; saving them in {}", config.display()));
    vec![Job::SaveColumns {
        config,
        columns: names,
    }]
}

/// A command while the column chooser is open; `None` lets it through to the overlay's
/// usual handling.
pub(super) fn chooser_command(app: &mut App, command: Command) -> Option<Vec<Job>> {
    let Focus::Overlay(Overlay::Columns(chooser)) = &mut app.focus else {
        return None;
    };
    match command {
        Command::Up => chooser.move_cursor(-1),
        Command::Down => chooser.move_cursor(1),
        Command::PageUp => chooser.move_cursor(-10),
        Command::PageDown => chooser.move_cursor(10),
        Command::Top => chooser.move_cursor(isize::MIN),
        Command::Bottom => chooser.move_cursor(isize::MAX),
        Command::Mark => chooser.toggle(),
        Command::MarkShown => {
            app.focus = Focus::Window;
            return Some(set_columns(app, ColumnChoice::Auto));
        }
        Command::Details => match chooser.choice() {
            Ok(choice) => {
                app.focus = Focus::Window;
                return Some(set_columns(app, choice));
            }
            Err(error) => app.error(error),
        },
        Command::Close => {
            app.focus = Focus::Window;
            app.info("columns unchanged");
        }
        Command::Quit => return None,
        _ => {}
    }
    Some(Vec::new())
}

/// What the config file said to `:cols`.
pub(super) fn on_columns_saved(app: &mut App, saved: Result<std::path::PathBuf, String>) {
    match saved {
        Ok(path) => app.info(format!("columns saved in {}", path.display())),
        Err(error) => app.warn(format!("columns shown but not kept: {error}")),
    }
}

/// `q` (or `:q`): at once when nothing runs; while an operation or a rollout runs, a question
/// that says what goes on without the console and how to come back.
pub(super) fn quit(app: &mut App) {
    let Some(consequence) = crate::tui::leaving(app) else {
        app.quit = true;
        return;
    };
    let question = format!("Quit the console? {consequence}");
    let dialog = crate::tui::confirm::Ask::quit(question);
    app.focus = Focus::Overlay(Overlay::Ask(Box::new(dialog)));
}
