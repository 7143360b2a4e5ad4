//! The progress pane: the operation, a gauge (done/total, failures), elapsed time and an
//! estimate of the rest (none once it has run out), a warning with what to check when progress
//! has stalled, and the latest events with their times: the newest wrapped at words, the
//! ones before it shortened by words to a row each.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, LineGauge, Paragraph};

use crate::plan::request::Action;
use crate::tui::operation::{Operation, Phase};
use crate::tui::theme::{Status, Theme, symbol};
use crate::tui::ui::fit::{self, TitlePart, shorten, wrap_line, wrap_lines};
use crate::tui::ui::{clock, duration};

/// The width of an event's time, and so the indent of its further rows.
const CLOCK: usize = 9;

pub fn draw(frame: &mut Frame, area: Rect, operation: &Operation, now: Timestamp, theme: &Theme) {
    let (status, word) = phase(operation);
    let parts = vec![
        TitlePart::shrinking(format!(" {} ", operation.title), theme.title, 1),
        TitlePart::new(format!("{} {word} ", symbol(status)), theme.of(status), 0),
    ];
    let block = Block::bordered().title(fit::title(parts, usize::from(area.width)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let warning = wrap_lines(&stall_lines(operation, now, theme), width, 2);
    let [gauge_area, warning_area, log_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(warning.len() as u16),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(warning), warning_area);
    let label = gauge_label(operation, now);
    let gauge = LineGauge::default()
        .filled_style(theme.of(status))
        .ratio(operation.ratio())
        .label(label);
    frame.render_widget(gauge, gauge_area);
    let rows = usize::from(log_area.height);
    frame.render_widget(
        Paragraph::new(latest(operation, rows, width, theme)),
        log_area,
    );
}

/// The last `rows` rows of the event log: the newest event wrapped to `width` under its
/// text, the ones before it a row each, shortened by words (so the pane keeps showing what
/// led up to it).
fn latest(operation: &Operation, rows: usize, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let Some(((newest_time, newest), earlier)) = operation.log.split_last() else {
        return Vec::new();
    };
    let text_width = width.saturating_sub(CLOCK);
    let event = |time: &Timestamp, text: String| {
        Line::from(vec![
            Span::styled(format!("{} ", clock(*time)), theme.muted),
            Span::raw(text),
        ])
    };
    let mut lines = wrap_line(&event(newest_time, newest.clone()), width, CLOCK);
    let room = rows.saturating_sub(lines.len());
    let before = earlier.len().saturating_sub(room);
    let mut shown: Vec<Line<'static>> = earlier[before..]
        .iter()
        .map(|(time, text)| event(time, shorten(text, text_width)))
        .collect();
    shown.append(&mut lines);
    let extra = shown.len().saturating_sub(rows);
    shown.split_off(extra)
}

/// The stall warning and what to check, when progress has not moved for well past its estimate.
fn stall_lines(operation: &Operation, now: Timestamp, theme: &Theme) -> Vec<Line<'static>> {
    let Some(stall) = operation.stall(now) else {
        return Vec::new();
    };
    let style = theme.of(Status::Warn);
    vec![
        Line::styled(
            format!(
                "{} no progress for {} (expected ~{})",
                symbol(Status::Warn),
                duration(stall.stalled),
                duration(stall.expected)
            ),
            style,
        ),
        Line::styled(
            "  check the controller's console or `avx-upgrade status`; a stuck controller needs Aviatrix Support (:support writes a summary for them)".to_string(),
            style,
        ),
    ]
}

fn phase(operation: &Operation) -> (Status, &'static str) {
    match &operation.phase {
        Phase::Requesting => (Status::Pending, "sending"),
        Phase::Running => (Status::Pending, "running"),
        Phase::Restarting => (Status::Warn, "controller restarting"),
        Phase::Succeeded(_) => (Status::Ok, "done"),
        Phase::Failed(_) => (Status::Error, "FAILED"),
    }
}

fn gauge_label(operation: &Operation, now: Timestamp) -> String {
    let work = match operation.action {
        Action::PlatformUpgrade => {
            let step = operation
                .step
                .as_deref()
                .map(|s| format!("phase {s} "))
                .unwrap_or_default();
            format!("{step}{}%", operation.percent.unwrap_or(0))
        }
        _ => format!(
            "{}/{} done, {} failed",
            operation.done,
            operation.total(),
            operation.failed
        ),
    };
    let elapsed = duration(operation.elapsed(now));
    let rest = operation
        .remaining(now)
        .map(|left| format!(", about {} left", duration(left)))
        .unwrap_or_default();
    format!("{work} · {elapsed} elapsed{rest}  ")
}
