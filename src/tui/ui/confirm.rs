//! The confirmation dialog: the exact operation, target, gateway count, warnings and blockers;
//! *Cancel* focused; the count to type when the rules ask for it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::plan::finding::Finding;
use crate::tui::confirm::{Choice, Confirm};
use crate::tui::theme::{Status, Theme, symbol};
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
    let mut lines = vec![
        line("Operation", dialog.operation.clone(), theme),
        line("Target", dialog.target.clone(), theme),
        line("Gateways", gateways(dialog), theme),
    ];
    findings(
        &mut lines,
        &dialog.blockers,
        Status::Error,
        "BLOCKER",
        theme,
    );
    findings(&mut lines, &dialog.warnings, Status::Warn, "WARNING", theme);
    lines.push(Line::raw(""));
    lines.extend(controls(dialog, theme));
    if let Some(hint) = &dialog.hint {
        lines.push(Line::styled(hint.clone(), theme.warn));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
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

fn findings(
    lines: &mut Vec<Line<'static>>,
    findings: &[Finding],
    status: Status,
    word: &str,
    theme: &Theme,
) {
    for finding in findings.iter().take(LISTED) {
        lines.push(Line::styled(
            format!(
                "{} {word} {}: {}",
                symbol(status),
                finding.code.as_str(),
                finding.message
            ),
            theme.of(status),
        ));
    }
    if findings.len() > LISTED {
        lines.push(Line::styled(
            format!("  … and {} more {word}s", findings.len() - LISTED),
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
