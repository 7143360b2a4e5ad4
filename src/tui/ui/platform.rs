//! Window 1, Platform Upgrade: the controller's versions, the upgrade path, the Target Release
//! Version field with the planner's verdict, the runbook for that target, and the live
//! preflight checklist, refreshed with the fleet. Values and the verdict wrap beside their
//! labels, never cut.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::plan::path::release_versions;
use crate::plan::runbook::Runbook;
use crate::tui::message::Command;
use crate::tui::state::{App, Window};
use crate::tui::theme::{Status, Theme, symbol};
use crate::tui::ui::fit::{wrap_line, wrap_lines};
use crate::tui::ui::{checklist_line, finding_line};

const LABEL_WIDTH: usize = 24;

/// The indent of a runbook step's further rows, past its number.
const RUNBOOK_INDENT: usize = 4;

/// Where a value starts, after its label and a gap; a long value's further rows start here.
const VALUE_COLUMN: usize = LABEL_WIDTH + 2;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let name = format!(" {} ", Window::Platform.title());
    let block = Block::bordered().title(Span::styled(name, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(snapshot) = app.fleet.snapshot() else {
        frame.render_widget(Paragraph::new(loading(app)), inner);
        return;
    };
    let controller = &snapshot.controller;
    let releases = app.catalog.as_ref().map_or("…".into(), |catalog| {
        release_versions(controller.current_version, catalog)
    });
    let head = vec![
        field(
            "Previous Version",
            optional(controller.previous_version),
            theme,
        ),
        field(
            "Current Version",
            controller.current_version.to_string(),
            theme,
        ),
        field(
            "Kernel Version",
            controller
                .kernel_version
                .clone()
                .unwrap_or_else(|| "—".into()),
            theme,
        ),
        field("Release Versions", releases, theme),
    ];
    let width = usize::from(inner.width);
    let mut lines = wrap_lines(&head, width, VALUE_COLUMN);
    let target_row = lines.len() as u16;
    lines.extend(wrap_line(&target_line(app, theme), width, VALUE_COLUMN));
    lines.extend(wrap_line(&verdict_line(app, theme), width, VALUE_COLUMN));
    let [fields, runbook] = Layout::vertical([
        Constraint::Length(lines.len() as u16 + 1),
        Constraint::Min(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(lines), fields);
    if app.editing_target() {
        let x = fields.x + VALUE_COLUMN as u16 + app.platform.input.visual_cursor() as u16;
        frame.set_cursor_position(Position::new(
            x.min(fields.right().saturating_sub(1)),
            fields.y + target_row,
        ));
    }
    let mut lines = match &app.platform.verdict {
        Some(Ok(plan)) => runbook_lines(plan, theme),
        _ => Vec::new(),
    };
    lines.extend(preflight_lines(app, theme));
    let lines = wrap_lines(&lines, usize::from(runbook.width), RUNBOOK_INDENT);
    frame.render_widget(Paragraph::new(lines), runbook);
}

/// The live preflight: the checklist of a platform upgrade on the fleet as last read, and
/// the key that marks the gateways its failing items name.
fn preflight_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let Some(report) = &app.platform.preflight else {
        return Vec::new();
    };
    let read = app
        .last_refresh
        .map(|at| format!(" (the fleet as read at {} UTC)", super::clock(at)))
        .unwrap_or_default();
    let mut lines = vec![
        Line::raw(""),
        Line::styled(format!("Preflight{read}"), theme.title),
    ];
    // The key first: the window may be too short for every item.
    let (names, codes) = app.platform.preflight_summary();
    if names > 0 {
        let key = app.keymap.key_for(Command::MarkPreflight);
        lines.push(Line::styled(
            format!(
                "{key}: mark the {} of {}, to see them",
                crate::plan::counted(names, "gateway"),
                codes.join(", ")
            ),
            theme.muted,
        ));
    }
    // Failing items in full; the passing ones on one line, so it fits at 80×24.
    lines.extend(
        report
            .checklist
            .iter()
            .filter(|item| !item.passed)
            .map(|item| checklist_line(false, &item.item, &item.detail, theme)),
    );
    let passing: Vec<&str> = report
        .checklist
        .iter()
        .filter(|item| item.passed)
        .map(|item| item.item.as_str())
        .collect();
    if !passing.is_empty() {
        let detail = format!("{} of {} items", passing.len(), report.checklist.len());
        lines.push(checklist_line(true, &passing.join(", "), &detail, theme));
    }
    lines
}

fn loading(app: &App) -> Vec<Line<'static>> {
    vec![Line::from(format!("reading {} …", app.url))]
}

fn optional(version: Option<crate::version::Version>) -> String {
    version.map_or("— (never upgraded)".into(), |version| version.to_string())
}

fn field(label: &str, value: String, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL_WIDTH$}  "), theme.muted),
        Span::raw(value),
    ])
}

fn target_line(app: &App, theme: &Theme) -> Line<'static> {
    let value = app.platform.input.value();
    let shown = if value.is_empty() && !app.editing_target() {
        Span::styled("(empty: newest build of the running train)", theme.muted)
    } else {
        Span::raw(value.to_owned())
    };
    let hint = if app.editing_target() {
        Span::styled("   Enter/Esc: done", theme.muted)
    } else {
        let key = app.keymap.key_for(Command::EditTarget);
        Span::styled(format!("   {key}: edit"), theme.muted)
    };
    let label_style = if app.editing_target() {
        theme.focus
    } else {
        theme.muted
    };
    Line::from(vec![
        Span::styled(
            format!("{:<LABEL_WIDTH$}", "Target Release Version"),
            label_style,
        ),
        Span::raw("  "),
        shown,
        hint,
    ])
}

fn verdict_line(app: &App, theme: &Theme) -> Line<'static> {
    let pad = Span::raw(" ".repeat(VALUE_COLUMN));
    match &app.platform.verdict {
        None => Line::from(vec![pad, Span::styled("…", theme.pending)]),
        Some(Err(why)) => Line::from(vec![
            pad,
            Span::styled(
                format!("{} invalid target: {why}", symbol(Status::Error)),
                theme.error,
            ),
        ]),
        Some(Ok(plan)) => {
            let text = if plan.path.is_empty() {
                format!(
                    "{} nothing to do: already at {}",
                    symbol(Status::Ok),
                    plan.path.current
                )
            } else {
                format!("{} valid: {}", symbol(Status::Ok), hops_in_words(plan))
            };
            Line::from(vec![pad, Span::styled(text, theme.ok)])
        }
    }
}

/// "1 hop, to 7.1.4183", or "2 hops, 7.1 first: 7.0.2239 → 7.1.4183 → 7.2.5090": a bare
/// "valid" would read like "go".
fn hops_in_words(plan: &Runbook) -> String {
    let hops = &plan.path.hops;
    let Some(first) = hops.first() else {
        return "nothing to do".to_owned();
    };
    if hops.len() == 1 {
        return format!("1 hop, to {first}");
    }
    let path: Vec<String> = hops.iter().map(ToString::to_string).collect();
    format!(
        "{}, {} first: {} → {}",
        crate::plan::counted(hops.len(), "hop"),
        first.train(),
        plan.path.current,
        path.join(" → ")
    )
}

fn runbook_lines(plan: &Runbook, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled("Runbook", theme.title)];
    for step in &plan.steps {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>2}. ", step.step), theme.key),
            Span::raw(step.text.clone()),
        ]));
    }
    lines.extend(
        plan.findings
            .iter()
            .map(|finding| finding_line(finding, theme)),
    );
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::plan::runbook;

    /// A target two trains ahead says how many hops and which train comes first.
    #[test]
    fn a_multi_hop_target_names_its_hops_and_the_first_train() {
        let catalog = Catalog::builtin().expect("the built-in catalog");
        let plan = |current: &str, target: &str| {
            let current = current.parse().expect("version");
            let target = Some(target.parse().expect("target"));
            runbook::for_version(current, target, &catalog).expect("a valid target")
        };
        assert_eq!(
            hops_in_words(&plan("7.0.2239", "7.2")),
            "2 hops, 7.1 first: 7.0.2239 → 7.1.4183 → 7.2.5090"
        );
        assert_eq!(
            hops_in_words(&plan("7.1.4183", "7.2")),
            "1 hop, to 7.2.5090"
        );
    }
}
