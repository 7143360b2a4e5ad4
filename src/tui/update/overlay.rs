//! Keys and commands while an overlay is open: moves scroll the overlay, never the window
//! under it; the dry-run pane marks a finding's gateways; a light confirmation takes its keys.

use crossterm::event::KeyEvent;

use crate::ops::Job;
use crate::tui::confirm::Outcome;
use crate::tui::confirm::ask::Then;
use crate::tui::message::Command;
use crate::tui::state::{App, Focus, Overlay, Window};

use super::mark_exactly;
use super::prompt::pick;

/// Commands while an overlay is open; `None` lets the command through (after closing it).
pub(super) fn overlay_command(app: &mut App, command: Command) -> Option<Vec<Job>> {
    let Focus::Overlay(overlay) = &mut app.focus else {
        return None;
    };
    let movement = match command {
        Command::Close => {
            app.focus = Focus::Window;
            return Some(Vec::new());
        }
        Command::Quit => return None,
        Command::Up => Move::By(-1),
        Command::Down => Move::By(1),
        Command::PageUp => Move::By(-OVERLAY_PAGE),
        Command::PageDown => Move::By(OVERLAY_PAGE),
        Command::Top => Move::Top,
        Command::Bottom => Move::End,
        Command::NextWindow if matches!(overlay, Overlay::DryRun(_)) => {
            if let Overlay::DryRun(pane) = overlay {
                pane.select_next();
            }
            return Some(Vec::new());
        }
        Command::Mark if matches!(overlay, Overlay::DryRun(_)) => {
            mark_selected_finding(app);
            return Some(Vec::new());
        }
        Command::Details | Command::Mark if matches!(overlay, Overlay::Picker(_)) => {
            let keep_open = command == Command::Mark;
            pick(app, keep_open);
            return Some(Vec::new());
        }
        _ => {
            app.focus = Focus::Window;
            return None;
        }
    };
    move_in(overlay, movement);
    Some(Vec::new())
}

/// Rows a page key moves in an overlay.
const OVERLAY_PAGE: isize = 10;

/// A move key in an overlay: it scrolls the overlay, never the window under it.
#[derive(Debug, Clone, Copy)]
enum Move {
    By(isize),
    Top,
    End,
}

fn move_in(overlay: &mut Overlay, movement: Move) {
    let scroll = match overlay {
        Overlay::Help { scroll } | Overlay::Detail { scroll, .. } => scroll,
        Overlay::DryRun(pane) => &mut pane.scroll,
        Overlay::Picker(picker) => {
            let last = picker.entries.len().saturating_sub(1);
            picker.cursor = match movement {
                Move::By(rows) => picker.cursor.saturating_add_signed(rows).min(last),
                Move::Top => 0,
                Move::End => last,
            };
            return;
        }
        Overlay::Confirm(dialog) => {
            let rows = match movement {
                Move::By(rows) => i32::try_from(rows).unwrap_or_default(),
                Move::Top => i32::MIN,
                Move::End => i32::MAX,
            };
            dialog.scroll_by(rows);
            return;
        }
        Overlay::Ask(_) | Overlay::Columns(_) => return,
    };
    match movement {
        Move::By(rows) => scroll.by(rows),
        Move::Top => scroll.to_top(),
        Move::End => scroll.to_end(),
    }
}

/// Closes a confirmation that was cancelled, saying so.
pub(super) fn cancelled(app: &mut App) -> Vec<Job> {
    app.focus = Focus::Window;
    app.info("cancelled: nothing was sent");
    Vec::new()
}

/// A key while a light confirmation is open.
pub(super) fn ask_key(app: &mut App, key: &KeyEvent) -> Vec<Job> {
    let Focus::Overlay(Overlay::Ask(dialog)) = &mut app.focus else {
        return Vec::new();
    };
    match dialog.handle_key(key, app.now) {
        Outcome::Open => Vec::new(),
        Outcome::Cancelled => cancelled(app),
        Outcome::Confirmed => {
            let (then, done) = (dialog.then.clone(), dialog.done.clone());
            app.focus = Focus::Window;
            app.info(done);
            match then {
                Then::Send(job) => vec![job],
                Then::Quit => {
                    app.quit = true;
                    Vec::new()
                }
            }
        }
    }
}

/// In the dry-run pane: closes it and marks exactly the gateways of the selected finding, in
/// the gateway window, so the operator acts on the set the finding names.
fn mark_selected_finding(app: &mut App) {
    let Focus::Overlay(Overlay::DryRun(pane)) = &app.focus else {
        return;
    };
    let Some(finding) = pane.selected_finding() else {
        app.info("no finding here names gateways to mark");
        return;
    };
    let (names, code) = (finding.gateways.clone(), finding.code.as_str().to_owned());
    app.focus = Focus::Window;
    app.window = Window::Gateways;
    mark_exactly(app, &names, &format!("gateways of {code}"));
}
