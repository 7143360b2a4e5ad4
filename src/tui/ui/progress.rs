//! The progress pane: the operation, a gauge (done/total, failures), elapsed time and an
//! estimate of the rest (none once it has run out), a warning with what to check when progress
//! has stalled, and the latest events with their times.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, LineGauge, Paragraph};

use crate::plan::request::Action;
use crate::tui::operation::{Operation, Phase};
use crate::tui::theme::{Status, Theme, symbol};
use crate::tui::ui::{clock, duration};

pub fn draw(frame: &mut Frame, area: Rect, operation: &Operation, now: Timestamp, theme: &Theme) {
    let (status, word) = phase(operation);
    let block = Block::bordered().title(Line::from(vec![
        Span::styled(format!(" {} ", operation.title), theme.title),
        Span::styled(format!("{} {word} ", symbol(status)), theme.of(status)),
    ]));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let warning = stall_lines(operation, now, theme);
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
    let start = operation.log.len().saturating_sub(rows);
    let lines: Vec<Line> = operation.log[start..]
        .iter()
        .map(|(time, text)| {
            Line::from(vec![
                Span::styled(format!("{} ", clock(*time)), theme.muted),
                Span::raw(text.clone()),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), log_area);
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
