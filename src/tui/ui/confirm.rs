//! The confirmation dialog: the exact operation, target, gateway count, warnings and blockers;
//! *Cancel* focused; the count to type when the rules ask for it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::plan::finding::Finding;
use crate::tui::confirm::{Choice, Confirm};
use crate::tui::theme::{Theme, severity};
use crate::tui::ui::finding_line;
use crate::tui::ui::popup;

/// Findings listed before "and N more".
const LISTED: usize = 6;

pub fn draw(frame: &mut Frame, body: Rect, dialog: &Confirm, theme: &Theme) {
    let area = popup(frame, body, 76, 20);
    let title = if dialog.blocked() {
        format!(" {} — BLOCKED ", dialog.operation)
    } else {
        format!(" Confirm {} ", dialog.operation)
    };
    let style = if dialog.blocked() {
        theme.error
    } else {
        theme.warn
    };
    let block = Block::bordered()
        .title(Span::styled(title, style))
        .border_style(style);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![
        line("Operation", dialog.operation.clone(), theme),
        line("Target", dialog.target.clone(), theme),
        line("Gateways", gateways(dialog), theme),
    ];
    for group in [&dialog.blockers, &dialog.warnings, &dialog.notes] {
        findings(&mut lines, group, theme);
    }
    let mut bottom = controls(dialog, theme);
    if let Some(hint) = &dialog.hint {
        bottom.push(Line::styled(hint.clone(), theme.warn));
    }
    // The controls always show; the findings take what is left (the dry run lists them all).
    let [details, controls_area] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(bottom.len() as u16 + 1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), details);
    let [_, controls_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(controls_area);
    frame.render_widget(
        Paragraph::new(bottom).wrap(Wrap { trim: false }),
        controls_area,
    );
}

fn gateways(dialog: &Confirm) -> String {
    match &dialog.request {
        crate::plan::request::Request::PlatformUpgrade { .. } => {
            "the controller (gateways follow in later steps)".into()
        }
        _ => dialog.gateways.to_string(),
    }
}

fn line(label: &str, value: String, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<10} "), theme.muted),
        Span::styled(value, theme.title),
    ])
}

fn findings(lines: &mut Vec<Line<'static>>, findings: &[Finding], theme: &Theme) {
    lines.extend(
        findings
            .iter()
            .take(LISTED)
            .map(|finding| finding_line(finding, theme)),
    );
    if let Some(first) = findings.first().filter(|_| findings.len() > LISTED) {
        let (status, word) = severity(first.severity);
        lines.push(Line::styled(
            format!(
                "  … and {} more of {word} (d shows them all)",
                findings.len() - LISTED
            ),
            theme.of(status),
        ));
    }
}

fn controls(dialog: &Confirm, theme: &Theme) -> Vec<Line<'static>> {
    if dialog.blocked() {
        return vec![Line::from(vec![
            Span::styled("[ Cancel ]", theme.focus),
            Span::styled(
                "  the planner blocks this operation: it cannot be confirmed. Esc closes.",
                theme.error,
            ),
        ])];
    }
    if dialog.needs_typed_count() {
        return vec![
            Line::from(vec![
                Span::raw(format!(
                    "Type {} (the number of gateways) and press Enter: ",
                    dialog.gateways
                )),
                Span::styled(format!("[{:<6}]", dialog.typed.value()), theme.focus),
            ]),
            Line::styled("Esc or n cancels; nothing is sent until then.", theme.muted),
        ];
    }
    let button = |choice: Choice, text: &str| {
        let style = if dialog.focus == choice {
            theme.focus
        } else {
            theme.muted
        };
        Span::styled(format!("[ {text} ]"), style)
    };
    vec![
        Line::from(vec![
            button(Choice::Cancel, "Cancel"),
            Span::raw("  "),
            button(Choice::Confirm, "Confirm"),
        ]),
        Line::styled(
            "y confirms · n/Esc cancels · Tab moves the focus",
            theme.muted,
        ),
    ]
}
