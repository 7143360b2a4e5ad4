//! Drawing: one pure function of the state per widget, one widget per file. Nothing here
//! changes the state (the table's scroll offset and how far a confirmation or a pane can
//! scroll, which only a draw knows, live in `Cell`s). Text is fitted to its width by
//! `fit`: wrapped or shortened at words, never cut mid-word.

mod ask;
mod columns;
mod confirm;
mod detail;
mod dry_run;
mod fit;
mod gateways;
mod header;
mod help;
mod picker;
mod platform;
mod progress;
mod rollout;
mod status;

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::tui::state::{App, Overlay, Window};
use crate::tui::theme::Theme;

/// The smallest terminal the console draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// A dialog's width: four fifths of the window, within these bounds (and the window).
const DIALOG_LEAST: u16 = 76;
const DIALOG_MOST: u16 = 100;

/// Lines the progress pane takes when shown.
const PROGRESS_HEIGHT: u16 = 8;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, theme);
        return;
    }
    let progress_height = if app.operation.is_some() && app.show_progress {
        PROGRESS_HEIGHT
    } else {
        0
    };
    let [top, body, progress_area, bottom] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(8),
        Constraint::Length(progress_height),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(frame, top, app, theme);
    match app.window {
        Window::Platform => platform::draw(frame, body, app, theme),
        Window::Gateways => gateways::draw(frame, body, app, theme),
        Window::Rollout => rollout::draw(frame, body, app, theme),
    }
    if let Some(operation) = app.operation.as_ref().filter(|_| progress_height > 0) {
        progress::draw(frame, progress_area, operation, app.now, theme);
    }
    status::draw(frame, bottom, app, theme);
    if let Some(overlay) = app.overlay() {
        draw_overlay(frame, body, app, overlay, theme);
    }
}

fn draw_overlay(frame: &mut Frame, body: Rect, app: &App, overlay: &Overlay, theme: &Theme) {
    match overlay {
        Overlay::Help { scroll } => help::draw(frame, body, app, scroll, theme),
        Overlay::DryRun(pane) => dry_run::draw(frame, body, pane, theme),
        Overlay::Confirm(dialog) => confirm::draw(frame, body, dialog, theme),
        Overlay::Ask(dialog) => ask::draw(frame, body, dialog, theme),
        Overlay::Detail { name, scroll } => detail::draw(frame, body, app, (name, scroll), theme),
        Overlay::Picker(picker) => picker::draw(frame, body, picker, theme),
        Overlay::Columns(chooser) => columns::draw(frame, body, chooser, theme),
    }
}

fn too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let lines = vec![
        Line::styled("terminal too small", theme.error),
        Line::from(format!(
            "this is {}×{}; need {MIN_WIDTH}×{MIN_HEIGHT}",
            area.width, area.height
        )),
        Line::from("enlarge the window, or press q to quit"),
    ];
    let height = (lines.len() as u16).min(area.height);
    let middle = Rect {
        y: area.y + area.height.saturating_sub(height) / 2,
        height,
        ..area
    };
    frame.render_widget(
        Paragraph::new(lines).centered().wrap(Wrap { trim: true }),
        middle,
    );
}

/// How wide a dialog over `body` is: it widens with the terminal.
fn dialog_width(body: Rect) -> u16 {
    (body.width / 5 * 4)
        .clamp(DIALOG_LEAST, DIALOG_MOST)
        .min(body.width)
}

/// One row of a list with a cursor (the picker, the column chooser): reversed when selected.
fn list_row(text: String, selected: bool, theme: &Theme) -> Line<'static> {
    let style = if selected {
        theme.cursor
    } else {
        ratatui::style::Style::new()
    };
    Line::from(ratatui::text::Span::styled(text, style))
}

/// A box of `width`×`height` in the middle of `area`, cleared.
fn popup(frame: &mut Frame, area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    rect
}

/// Which rows a pane that scrolls shows, and the keys that scroll it; nothing when it shows
/// all `rows` (from row `first`, `height` of them).
fn scrolled_title(first: usize, height: usize, rows: usize, theme: &Theme) -> Line<'static> {
    if rows <= height {
        return Line::default();
    }
    let last = (first + height).min(rows);
    Line::styled(
        format!(
            " rows {}–{last} of {rows} · ↑↓ PgUp PgDn scroll ",
            first + 1
        ),
        theme.muted,
    )
}

/// A finding on one line: symbol, severity word, code and message, in its severity's style.
fn finding_line(finding: &crate::plan::finding::Finding, theme: &Theme) -> Line<'static> {
    let (status, word) = crate::tui::theme::severity(finding.severity);
    Line::styled(
        format!(
            "{} {word} {}: {}",
            crate::tui::theme::symbol(status),
            finding.code.as_str(),
            finding.message
        ),
        theme.of(status),
    )
}

/// The word of a checklist item that passes, and of one that fails.
pub const CHECK_PASSED: &str = "pass";
pub const CHECK_FAILED: &str = "FAIL";

/// One checklist item: its symbol, `pass` or `FAIL`, its name and what was found.
fn checklist_line(passed: bool, item: &str, detail: &str, theme: &Theme) -> Line<'static> {
    let (status, word) = match passed {
        true => (crate::tui::theme::Status::Ok, CHECK_PASSED),
        false => (crate::tui::theme::Status::Error, CHECK_FAILED),
    };
    Line::from(vec![
        ratatui::text::Span::styled(
            format!("{} {word} ", crate::tui::theme::symbol(status)),
            theme.of(status),
        ),
        ratatui::text::Span::raw(format!("{item}: {detail}")),
    ])
}

/// `HH:MM:SS` in UTC.
fn clock(time: Timestamp) -> String {
    time.strftime("%H:%M:%S").to_string()
}

/// `1h02m`, `3m05s`, `12s`.
fn duration(span: jiff::SignedDuration) -> String {
    let seconds = span.as_secs().max(0);
    let (hours, minutes, secs) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (hours, minutes) {
        (0, 0) => format!("{secs}s"),
        (0, _) => format!("{minutes}m{secs:02}s"),
        _ => format!("{hours}h{minutes:02}m"),
    }
}
