//! The dry-run result pane: the checklist items checked, each ✓ pass or ✗ FAIL, then the
//! findings grouped by blocker, warning and info, each with its code, message and gateways.
//! The selected finding that names gateways is pointed at (`▶`): Tab moves on, space marks
//! exactly its gateways. Its text wraps at words and it scrolls only as far as its content.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::plan::finding::{ChecklistItem, Finding, Severity};
use crate::tui::state::DryRunPane;
use crate::tui::theme::{Status, Theme, symbol};
use crate::tui::ui::fit::{self, TitlePart, wrap_lines};
use crate::tui::ui::{checklist_line, popup, scrolled_title};

/// Gateway names listed under a finding before "and N more".
const NAMES: usize = 8;

/// The indent of a line's further rows.
const INDENT: usize = 4;

pub fn draw(frame: &mut Frame, body: Rect, pane: &DryRunPane, theme: &Theme) {
    let area = popup(frame, body, body.width.saturating_sub(4), body.height);
    let lines = match &pane.result {
        None => vec![Line::styled(
            "… the controller is running the dry run",
            theme.pending,
        )],
        Some(Err(error)) => vec![Line::styled(
            format!("{} the dry run failed: {error}", symbol(Status::Error)),
            theme.error,
        )],
        Some(Ok(result)) => findings(result, pane, theme),
    };
    let lines = wrap_lines(&lines, usize::from(area.width.saturating_sub(2)), INDENT);
    let height = usize::from(area.height.saturating_sub(2));
    let first = pane.scroll.first_drawn(lines.len(), height);
    let parts = vec![
        TitlePart::new(" Upgrade Result ", theme.title, 0),
        TitlePart::shrinking(format!("— dry run of {} ", pane.title), theme.title, 2),
        TitlePart::new("· j/k scroll ", theme.title, 1),
        TitlePart::new("· Esc closes ", theme.title, 1),
    ];
    let block = Block::bordered()
        .title(fit::title(parts, usize::from(area.width)))
        .title_bottom(scrolled_title(first, height, lines.len(), theme));
    let shown: Vec<Line> = lines.into_iter().skip(first).take(height).collect();
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

fn findings(
    result: &crate::api::actions::DryRun,
    pane: &DryRunPane,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let checklist = &pane.checklist;
    let selected = pane.selected_finding();
    let (status, verdict) = if result.blocked {
        (Status::Error, "BLOCKED: fix the blockers before upgrading")
    } else {
        (Status::Ok, "PASSED: nothing blocks this operation")
    };
    let target = result
        .target
        .as_deref()
        .map(|t| format!(" (target {t})"))
        .unwrap_or_default();
    let mut lines = vec![
        Line::styled(
            format!("{} {verdict}{target}", symbol(status)),
            theme.of(status),
        ),
        Line::raw(tally(&result.findings)),
    ];
    if selected.is_some() {
        lines.push(Line::styled(
            "Tab selects a finding that names gateways (▶); space marks exactly them",
            theme.muted,
        ));
    }
    lines.extend(checklist_lines(checklist, &result.findings, theme));
    for (severity, status, word) in [
        (Severity::Blocker, Status::Error, "Blockers"),
        (Severity::Warning, Status::Warn, "Warnings"),
        (Severity::Info, Status::Pending, "Info"),
    ] {
        let group: Vec<&Finding> = result
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("{word} ({})", group.len()),
            theme.title,
        ));
        for finding in group {
            let pointer = match selected.is_some_and(|chosen| std::ptr::eq(chosen, finding)) {
                true => Span::styled("▶ ", theme.cursor),
                false => Span::raw("  "),
            };
            lines.push(Line::from(vec![
                pointer,
                Span::styled(
                    format!("{} {} ", symbol(status), finding.code.as_str()),
                    theme.of(status),
                ),
                Span::raw(finding.message.clone()),
            ]));
            if !finding.gateways.is_empty() {
                lines.push(Line::styled(
                    format!("      gateways: {}", names(&finding.gateways)),
                    theme.muted,
                ));
            }
        }
    }
    lines
}

/// "Checklist (n)" and one line an item: symbol, "pass" or "FAIL", name and detail. An item
/// the controller's answer reports a finding for fails, whatever our snapshot said.
fn checklist_lines(
    checklist: &[ChecklistItem],
    findings: &[Finding],
    theme: &Theme,
) -> Vec<Line<'static>> {
    if checklist.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        Line::raw(""),
        Line::styled(format!("Checklist ({})", checklist.len()), theme.title),
    ];
    for item in checklist {
        let reported = findings.iter().any(|finding| finding.code == item.code);
        let line = match reported {
            false => checklist_line(item.passed, &item.item, &item.detail, theme),
            true => checklist_line(
                false,
                &item.item,
                "the controller reports it (below)",
                theme,
            ),
        };
        lines.push(line);
    }
    lines
}

fn names(gateways: &[String]) -> String {
    let shown = gateways
        .iter()
        .take(NAMES)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    match gateways.len().saturating_sub(NAMES) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

/// The number of findings of each severity, e.g. "1 blocker, 2 warnings, 0 info".
fn tally(findings: &[Finding]) -> String {
    let count = |severity: Severity| findings.iter().filter(|f| f.severity == severity).count();
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
