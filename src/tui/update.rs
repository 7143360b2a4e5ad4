//! The pure heart of the console: `update(&mut App, Msg) -> Vec<Effect>`.
//!
//! Keys become commands through the keymap, except while text is typed (the filter query, a
//! `:` command, the Target Release Version, the count in a confirmation), which takes every
//! key. Controller results and progress arrive as messages too. Anything that must talk to the
//! controller is returned as an [`Effect`]; nothing here does I/O or reads the clock.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::api::actions::DryRun;
use crate::api::poll::Progress;
use crate::plan::checks::check;
use crate::plan::finding::Severity;
use crate::plan::path::resolve_target;
use crate::plan::request::{Action, Request};
use crate::plan::runbook;
use crate::snapshot::{Gateway, Snapshot};
use crate::tui::action::{Command, Effect, Follow, Loaded, Msg};
use crate::tui::confirm::{Confirm, Outcome};
use crate::tui::fleet::Live;
use crate::tui::operation::Operation;
use crate::tui::query::Field;
use crate::tui::state::{App, Connection, DryRunPane, Overlay, Picker, Prompt, Window};

/// Applies `msg` to `app`; returns what must be done outside.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) if key.kind == KeyEventKind::Press => on_key(app, &key),
        Msg::Key(_) | Msg::Resize | Msg::Tick => Vec::new(),
        Msg::Command(command) => {
            if let Some(effects) = overlay_command(app, command) {
                return effects;
            }
            run(app, command)
        }
        Msg::Loaded(loaded) => on_loaded(app, *loaded),
        Msg::LoadFailed(error) => {
            on_load_failed(app, error);
            Vec::new()
        }
        Msg::DryRunDone { request, result } => {
            on_dry_run(app, &request, result);
            Vec::new()
        }
        Msg::Started { operation } => {
            let now = app.now;
            if let Some(op) = current(app, operation) {
                op.started(now);
            }
            Vec::new()
        }
        Msg::StartFailed { operation, error } => {
            let now = app.now;
            if let Some(op) = current(app, operation) {
                op.start_failed(now, error.clone());
                app.error(format!("not started: {error}"));
            }
            Vec::new()
        }
        Msg::Progress {
            operation,
            progress,
        } => on_progress(app, operation, progress),
        Msg::Signal(name) => {
            app.quit = true;
            app.signal = Some(name);
            tracing::info!(signal = name, "quitting on a signal");
            Vec::new()
        }
    }
}

fn current(app: &mut App, id: u64) -> Option<&mut Operation> {
    app.operation.as_mut().filter(|op| op.id == id)
}

fn on_key(app: &mut App, key: &KeyEvent) -> Vec<Effect> {
    app.flash = None;
    let control = key
        .modifiers
        .contains(crossterm::event::KeyModifiers::CONTROL);
    if control && app.keymap.command(key) == Some(Command::Quit) {
        // Ctrl-C quits from anywhere, even while text is typed.
        app.quit = true;
        return Vec::new();
    }
    if app.prompt.is_some() {
        return prompt_key(app, key);
    }
    if app.platform.editing {
        target_key(app, key);
        return Vec::new();
    }
    if let Some(Overlay::Confirm(_)) = app.overlay {
        return confirm_key(app, key);
    }
    let Some(command) = app.keymap.command(key) else {
        return Vec::new();
    };
    if let Some(effects) = overlay_command(app, command) {
        return effects;
    }
    run(app, command)
}

/// Commands while an overlay is open; `None` lets the command through (after closing it).
fn overlay_command(app: &mut App, command: Command) -> Option<Vec<Effect>> {
    let overlay = app.overlay.as_mut()?;
    let step: i32 = match command {
        Command::Close => {
            app.overlay = None;
            return Some(Vec::new());
        }
        Command::Quit => return None,
        Command::Up => -1,
        Command::Down => 1,
        Command::PageUp => -10,
        Command::PageDown => 10,
        Command::Details | Command::Mark if matches!(overlay, Overlay::Picker(_)) => {
            let keep_open = command == Command::Mark;
            pick(app, keep_open);
            return Some(Vec::new());
        }
        _ => {
            app.overlay = None;
            return None;
        }
    };
    match overlay {
        Overlay::Help { scroll } => *scroll = scrolled(*scroll, step),
        Overlay::DryRun(pane) => pane.scroll = scrolled(pane.scroll, step),
        Overlay::Picker(picker) => {
            let last = picker.entries.len().saturating_sub(1);
            picker.cursor = picker.cursor.saturating_add_signed(step as isize).min(last);
        }
        Overlay::Detail(_) | Overlay::Confirm(_) => {}
    }
    Some(Vec::new())
}

fn scrolled(scroll: u16, step: i32) -> u16 {
    u16::try_from((i32::from(scroll) + step).max(0)).unwrap_or(u16::MAX)
}

/// A command with no overlay open.
fn run(app: &mut App, command: Command) -> Vec<Effect> {
    match command {
        Command::Quit => app.quit = true,
        Command::Help => app.overlay = Some(Overlay::Help { scroll: 0 }),
        Command::CommandLine => app.prompt = Some(Prompt::Command(Input::default())),
        Command::Refresh => return refresh(app),
        Command::PlatformWindow => app.window = Window::Platform,
        Command::GatewayWindow => app.window = Window::Gateways,
        Command::NextWindow => {
            app.window = match app.window {
                Window::Platform => Window::Gateways,
                Window::Gateways => Window::Platform,
            }
        }
        Command::EditTarget => edit_target(app),
        Command::DryRun => return dry_run(app),
        Command::Upgrade => {
            let action = match app.window {
                Window::Platform => Action::PlatformUpgrade,
                Window::Gateways => Action::SoftwareUpgrade,
            };
            ask_to_confirm(app, action);
        }
        Command::Rollback => gateway_only(app, command, |app| {
            ask_to_confirm(app, Action::SoftwareRollback)
        }),
        Command::ImageUpgrade => gateway_only(app, command, |app| {
            ask_to_confirm(app, Action::ImageUpgrade)
        }),
        Command::ToggleProgress => toggle_progress(app),
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

fn refresh(app: &mut App) -> Vec<Effect> {
    if app.refreshing {
        app.info("already reading the controller");
        return Vec::new();
    }
    app.refreshing = true;
    vec![Effect::Refresh]
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
        Command::ClearMarks => fleet.clear_marks(),
        Command::SortNext => fleet.cycle_sort(),
        Command::SortReverse => fleet.reverse_sort(),
        Command::Filter => {
            let mut input = Input::new(fleet.query().text().to_owned());
            input.handle(tui_input::InputRequest::GoToEnd);
            app.prompt = Some(Prompt::Query(input));
        }
        Command::FilterPicker => open_picker(app),
        Command::Details => {
            if let Some(index) = fleet.shown_index(fleet.cursor()) {
                app.overlay = Some(Overlay::Detail(index));
            }
        }
        _ => {}
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
    app.platform.editing = true;
}

fn target_key(app: &mut App, key: &KeyEvent) {
    match key.code {
        KeyCode::Enter | KeyCode::Esc => app.platform.editing = false,
        _ => {
            app.platform.input.handle_event(&Event::Key(*key));
            revalidate_target(app);
        }
    }
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

fn prompt_key(app: &mut App, key: &KeyEvent) -> Vec<Effect> {
    let Some(prompt) = app.prompt.as_mut() else {
        return Vec::new();
    };
    match prompt {
        Prompt::Query(input) => match key.code {
            KeyCode::Esc => {
                app.prompt = None;
                app.query_error = None;
                set_filter(app, "");
            }
            KeyCode::Enter if app.query_error.is_none() => app.prompt = None,
            KeyCode::Enter => {}
            _ => {
                input.handle_event(&Event::Key(*key));
                let text = input.value().to_owned();
                set_filter(app, &text);
            }
        },
        Prompt::Command(input) => match key.code {
            KeyCode::Esc => app.prompt = None,
            KeyCode::Enter => {
                let line = input.value().trim().to_owned();
                app.prompt = None;
                return command_line(app, &line);
            }
            _ => {
                input.handle_event(&Event::Key(*key));
            }
        },
    }
    Vec::new()
}

fn set_filter(app: &mut App, text: &str) {
    app.query_error = app.fleet.set_filter(text).err().map(|error| error.0);
}

/// Runs a `:` command.
fn command_line(app: &mut App, line: &str) -> Vec<Effect> {
    let command = match line.trim_start_matches(':') {
        "q" | "q!" | "quit" | "exit" => Command::Quit,
        "platform" | "p" | "1" => Command::PlatformWindow,
        "gateways" | "gateway" | "gw" | "2" => Command::GatewayWindow,
        "refresh" | "r" => Command::Refresh,
        "help" | "h" => Command::Help,
        "" => return Vec::new(),
        other => {
            app.error(format!(
                "unknown command :{other}: use :platform, :gateways, :refresh, :help or :q"
            ));
            return Vec::new();
        }
    };
    run(app, command)
}

/// Reads one field of a gateway, for the picker.
type Pick = fn(&Gateway) -> &str;

fn open_picker(app: &mut App) {
    let fleet = &app.fleet;
    let mut entries = Vec::new();
    let fields: [(Field, Pick); 4] = [
        (Field::Cloud, |g| g.cloud.name()),
        (Field::Type, |g| g.gw_type.name()),
        (Field::Role, |g| g.role.name()),
        (Field::Region, |g| g.region.as_str()),
    ];
    for (field, pick) in fields {
        entries.extend(
            fleet
                .values(pick)
                .into_iter()
                .map(|(value, count)| (field, value, count)),
        );
    }
    if entries.is_empty() {
        app.info("no gateways to pick from yet");
        return;
    }
    app.overlay = Some(Overlay::Picker(Picker { entries, cursor: 0 }));
}

/// Adds the picker's entry to the filter (the same key twice means OR).
fn pick(app: &mut App, keep_open: bool) {
    let Some(Overlay::Picker(picker)) = &app.overlay else {
        return;
    };
    let Some((field, value, _)) = picker.entries.get(picker.cursor) else {
        return;
    };
    let term = format!("{}:{}", field.key(), value);
    let current = app.fleet.query().text().to_owned();
    if current.split_whitespace().any(|word| word == term) {
        app.info(format!("{term} is already in the filter"));
    } else {
        let text = format!("{current} {term}").trim().to_owned();
        set_filter(app, &text);
        app.info(format!("filter: {text}"));
    }
    if !keep_open {
        app.overlay = None;
    }
}

fn confirm_key(app: &mut App, key: &KeyEvent) -> Vec<Effect> {
    let Some(Overlay::Confirm(dialog)) = app.overlay.as_mut() else {
        return Vec::new();
    };
    match dialog.handle_key(key) {
        Outcome::Open => Vec::new(),
        Outcome::Cancelled => {
            app.overlay = None;
            app.info("cancelled: nothing was sent");
            Vec::new()
        }
        Outcome::Confirmed => {
            let dialog = *dialog.clone();
            app.overlay = None;
            start(app, dialog)
        }
    }
}

fn start(app: &mut App, dialog: Confirm) -> Vec<Effect> {
    if app.readonly || app.busy() || dialog.blocked() {
        app.error("refused: read-only, busy or blocked");
        return Vec::new();
    }
    let id = app.next_operation;
    app.next_operation += 1;
    let names = match dialog.request.selection() {
        Some(crate::plan::request::Selection::Named(names)) => names.clone(),
        _ => Vec::new(),
    };
    let title = format!("{} to {}", dialog.operation, dialog.target);
    app.operation = Some(Operation::new(
        id,
        dialog.request.action(),
        title,
        names,
        app.now,
    ));
    app.show_progress = true;
    vec![Effect::Start {
        operation: id,
        request: dialog.request,
    }]
}

fn dry_run(app: &mut App) -> Vec<Effect> {
    let action = match app.window {
        Window::Platform => Action::PlatformUpgrade,
        Window::Gateways => app.gateway_action,
    };
    if app.fleet.snapshot().is_none() {
        app.warn("the controller has not been read yet: wait, or Ctrl-R");
        return Vec::new();
    }
    let request = match app.request_for(action) {
        Ok(request) => request,
        Err(error) => {
            app.error(error);
            return Vec::new();
        }
    };
    app.overlay = Some(Overlay::DryRun(DryRunPane {
        title: describe_request(app, &request),
        result: None,
        scroll: 0,
    }));
    vec![Effect::DryRun(request)]
}

fn on_dry_run(app: &mut App, request: &Request, result: Result<DryRun, String>) {
    let title = describe_request(app, request);
    match &mut app.overlay {
        Some(Overlay::DryRun(pane)) if pane.result.is_none() => {
            pane.title = title;
            pane.result = Some(result);
        }
        _ => app.info(format!(
            "dry run of {title} finished: press d to see it again"
        )),
    }
}

/// "Software Upgrade of 3 gateways", "Platform Upgrade to 7.1".
pub fn describe_request(app: &App, request: &Request) -> String {
    let action = request.action().title();
    match request {
        Request::PlatformUpgrade { target } => match target {
            Some(target) => format!("{action} to {target}"),
            None => format!("{action} to the newest build of the running train"),
        },
        _ => {
            let count = match request.selection() {
                Some(crate::plan::request::Selection::Named(names)) => names.len(),
                _ => app.fleet.total(),
            };
            let plural = if count == 1 { "" } else { "s" };
            format!("{action} of {count} gateway{plural}")
        }
    }
}

/// Checks `action` with the planner and opens the confirmation dialog.
fn ask_to_confirm(app: &mut App, action: Action) {
    if app.readonly {
        app.error("read-only console: upgrades, rollbacks and image upgrades are off (started with --readonly)");
        return;
    }
    if app.busy() {
        app.error("an operation is already running: wait for it to end (p shows its progress)");
        return;
    }
    if action != Action::PlatformUpgrade {
        app.gateway_action = action;
    }
    let (Some(snapshot), Some(catalog)) = (app.fleet.snapshot(), app.catalog.as_ref()) else {
        app.warn("the controller has not been read yet: wait, or Ctrl-R");
        return;
    };
    let request = match app.request_for(action) {
        Ok(request) => request,
        Err(error) => {
            app.error(error);
            return;
        }
    };
    let report = match check(snapshot, catalog, &request, app.now) {
        Ok(report) => report,
        Err(error) => {
            app.error(error.to_string());
            return;
        }
    };
    let target = target_text(snapshot, catalog, &request);
    let count = match request.selection() {
        Some(crate::plan::request::Selection::Named(names)) => names.len(),
        _ => snapshot.gateways().len(),
    };
    app.overlay = Some(Overlay::Confirm(Box::new(Confirm::new(
        request, target, count, &report,
    ))));
}

/// The exact version or image an operation goes to.
fn target_text(
    snapshot: &Snapshot,
    catalog: &crate::catalog::Catalog,
    request: &Request,
) -> String {
    let controller = &snapshot.controller;
    match request {
        Request::PlatformUpgrade { target } => {
            match resolve_target(controller.current_version, *target, catalog) {
                Ok(version) => version.to_string(),
                Err(_) => target.map_or("the newest build of the running train".into(), |t| {
                    t.to_string()
                }),
            }
        }
        Request::SoftwareUpgrade { .. } => controller.current_version.to_string(),
        Request::SoftwareRollback { .. } => controller
            .previous_version
            .map_or("no previous controller version".into(), |v| v.to_string()),
        Request::ImageUpgrade { gateways } => {
            let train = controller.current_version.train();
            let indices =
                crate::plan::request::resolve_selection(snapshot, gateways).unwrap_or_default();
            let mut images: Vec<&str> = indices
                .iter()
                .filter_map(|&i| catalog.image_for(snapshot.gateways()[i].cloud, train))
                .map(|entry| entry.image.as_str())
                .collect();
            images.sort_unstable();
            images.dedup();
            match images.len() {
                0 => "no compatible image".into(),
                1..=3 => format!("image {}", images.join(", ")),
                n => format!(
                    "{n} images from the compatibility matrix ({} …)",
                    images[..2].join(", ")
                ),
            }
        }
    }
}

fn on_loaded(app: &mut App, loaded: Loaded) -> Vec<Effect> {
    let Loaded {
        snapshot,
        catalog,
        live,
        skipped,
        platform_running,
        gateways_running,
    } = loaded;
    app.refreshing = false;
    app.connection = Connection::Ok;
    app.last_refresh = Some(app.now);
    app.fleet.replace(snapshot, live);
    app.catalog = Some(catalog);
    if !skipped.is_empty() && skipped != app.skipped {
        app.warn(format!(
            "{} gateways could not be read and are not shown (first: {})",
            skipped.len(),
            skipped[0]
        ));
    }
    app.skipped = skipped;
    revalidate_target(app);
    if app.busy() {
        return Vec::new();
    }
    follow_running(app, platform_running, gateways_running)
}

/// Follows an operation found running at the controller (started elsewhere, or before a restart
/// of this console).
fn follow_running(app: &mut App, platform: Option<String>, gateways: Vec<String>) -> Vec<Effect> {
    let (action, title, names, follow) = match (platform, gateways.is_empty()) {
        (Some(message), _) => (
            Action::PlatformUpgrade,
            format!("Platform Upgrade already running at the controller ({message})"),
            Vec::new(),
            Follow::Platform,
        ),
        (None, false) => (
            Action::SoftwareUpgrade,
            format!(
                "Gateway operation already running at the controller on {} gateways",
                gateways.len()
            ),
            gateways.clone(),
            Follow::Gateways(gateways),
        ),
        (None, true) => return Vec::new(),
    };
    let id = app.next_operation;
    app.next_operation += 1;
    let mut operation = Operation::new(id, action, title, names, app.now);
    operation.started(app.now);
    app.operation = Some(operation);
    app.show_progress = true;
    app.warn("an operation is running at the controller: following it");
    vec![Effect::Follow {
        operation: id,
        follow,
    }]
}

fn on_load_failed(app: &mut App, error: String) {
    app.refreshing = false;
    if app.busy() && app.connection == Connection::Reconnecting {
        return;
    }
    app.error(format!(
        "cannot read the controller: {error} (Ctrl-R retries)"
    ));
    app.connection = Connection::Stale {
        since: app.last_refresh,
        error,
    };
}

fn on_progress(app: &mut App, id: u64, progress: Progress) -> Vec<Effect> {
    let now = app.now;
    app.connection = match progress {
        Progress::Restarting { .. } => Connection::Reconnecting,
        _ => Connection::Ok,
    };
    let finished = match &progress {
        Progress::Finished { ok, message } => Some((*ok, message.clone())),
        _ => None,
    };
    let Some(operation) = current(app, id) else {
        return Vec::new();
    };
    let changed = operation.progress(now, progress);
    let title = operation.title.clone();
    for gateway in changed {
        if let Some(index) = app.fleet.index_of(&gateway.name) {
            app.fleet.set_live(
                index,
                Live {
                    update_status: Live::status(gateway.update_status),
                    state: Some(gateway.state),
                    progress: gateway.progress,
                },
            );
        }
    }
    let Some((ok, message)) = finished else {
        return Vec::new();
    };
    if ok {
        app.info(format!("{title}: done ({message})"));
    } else {
        app.error(format!("{title}: FAILED ({message})"));
    }
    app.refreshing = true;
    vec![Effect::Refresh]
}

/// The number of findings of each severity, e.g. "1 blocker, 2 warnings, 0 info".
pub fn tally(findings: &[crate::plan::finding::Finding]) -> String {
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    let blockers = count(Severity::Blocker);
    let warnings = count(Severity::Warning);
    let infos = count(Severity::Info);
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    format!(
        "{}, {}, {infos} info",
        plural(blockers, "blocker"),
        plural(warnings, "warning")
    )
}
