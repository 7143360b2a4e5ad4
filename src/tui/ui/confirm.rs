//! The confirmation dialog: the exact operation, target and number of gateways that will
//! change, the gateways the filter hides (by name, apart from the shown ones), warnings and
//! blockers, and the skipped gateways (already at the target) apart; for a platform upgrade,
//! the restart and the age of the last backup; *Cancel* focused; what to type when the rules
//! ask for it.
//!
//! The dialog widens with the terminal. Its text is wrapped to the dialog's width here, so it
//! scrolls exactly when it is longer than the dialog, and only the rows on screen are built
//! (a list can name 100,000 gateways).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::ops::rollout::describe;
use crate::plan::counted;
use crate::plan::finding::Finding;
use crate::plan::request::Request;
use crate::plan::rollout::{Document, Step};
use crate::tui::confirm::{Choice, Confirm};
use crate::tui::theme::{Theme, severity};
use crate::tui::ui::fit::{self, TitlePart, shorten, wrap, wrap_line};
use crate::tui::ui::{dialog_width, duration, finding_line, popup, scrolled_title};

/// Findings listed before "and N more".
const LISTED: usize = 6;

/// The width of a label, and so the indent of what follows it.
const LABEL: usize = 11;

/// The indent of a finding's rows after its first.
const FINDING_INDENT: usize = 2;

/// The dialog's least height; it grows with its text up to the window's height.
const HEIGHT: u16 = 20;

/// What a platform upgrade does to everyone using the controller, and for how long.
const RESTART: &str = "the controller restarts and logs everyone out (this console logs in again): it cannot be reached for about 3 minutes; the whole upgrade takes about 10";

pub fn draw(frame: &mut Frame, body: Rect, dialog: &Confirm, theme: &Theme) {
    let outer = dialog_width(body);
    let width = usize::from(outer.saturating_sub(2));
    let mut bottom = controls(dialog, theme);
    if let Some(hint) = &dialog.hint {
        bottom.push(Line::styled(hint.clone(), theme.warn));
    }
    let bottom: Vec<Line<'static>> = bottom
        .iter()
        .flat_map(|line| wrap_line(line, width, 0))
        .collect();
    let text = Text::of(dialog, width, theme);
    // Borders, the text, a blank row and the controls; within the window, less a margin.
    let wanted = text.len() + bottom.len() + 3;
    let tallest = body.height.saturating_sub(2).max(HEIGHT);
    let area = popup(
        frame,
        body,
        outer,
        u16::try_from(wanted)
            .unwrap_or(u16::MAX)
            .clamp(HEIGHT, tallest),
    );
    let (title, style) = title(dialog, theme);
    let block = Block::bordered()
        .title(fit::title(title, usize::from(area.width)))
        .border_style(style);
    // The controls always show, after a blank row; the text takes what is left and scrolls.
    let [details, _, controls_area] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(bottom.len() as u16),
    ])
    .areas(block.inner(area));
    let height = usize::from(details.height);
    let last_first = text.len().saturating_sub(height);
    dialog.scroll_max.set(last_first);
    let first = dialog.scroll.min(last_first);
    let block = block.title_bottom(scrolled_title(first, height, text.len(), theme));
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(text.rows(first, height)), details);
    frame.render_widget(Paragraph::new(bottom), controls_area);
}

/// "Confirm Software Upgrade", or "Software Upgrade — BLOCKED", in the style that says which.
fn title(dialog: &Confirm, theme: &Theme) -> (Vec<TitlePart>, Style) {
    let operation = format!(" {} ", dialog.operation);
    if dialog.blocked() {
        let parts = vec![
            TitlePart::new(operation, theme.error, 0),
            TitlePart::new("— BLOCKED ", theme.error, 0),
        ];
        return (parts, theme.error);
    }
    let parts = vec![
        TitlePart::new(" Confirm", theme.warn, 1),
        TitlePart::new(operation, theme.warn, 0),
    ];
    (parts, theme.warn)
}

/// The dialog's text as rows of its width.
struct Text<'a> {
    parts: Vec<Part<'a>>,
}

/// Rows made at once, or a list of gateway names, one a row, made when on screen.
enum Part<'a> {
    Rows(Vec<Line<'static>>),
    Names(&'a [String], usize),
}

impl Part<'_> {
    fn len(&self) -> usize {
        match self {
            Part::Rows(rows) => rows.len(),
            Part::Names(names, _) => names.len(),
        }
    }

    fn row(&self, at: usize) -> Line<'static> {
        match self {
            Part::Rows(rows) => rows[at].clone(),
            Part::Names(names, width) => {
                let room = width.saturating_sub(LABEL).max(1);
                Line::raw(format!("{:LABEL$}{}", "", shorten(&names[at], room)))
            }
        }
    }
}

impl<'a> Text<'a> {
    /// Operation, target and count; the hidden gateways; the findings; the shown gateways.
    /// The hidden ones come first because the table does not show them; the shown ones last.
    fn of(dialog: &'a Confirm, width: usize, theme: &Theme) -> Text<'a> {
        let mut head = Vec::new();
        head.extend(labelled(
            "Operation",
            &dialog.operation,
            theme.title,
            width,
            theme,
        ));
        head.extend(labelled(
            "Target",
            &dialog.target,
            theme.title,
            width,
            theme,
        ));
        head.extend(labelled(
            "Gateways",
            &count(dialog),
            theme.title,
            width,
            theme,
        ));
        if let Request::PlatformUpgrade { .. } = dialog.request {
            head.extend(labelled("Restart", RESTART, theme.warn, width, theme));
            head.extend(labelled(
                "Backup",
                &backup(dialog),
                theme.title,
                width,
                theme,
            ));
        }
        if let Some(notes) = &dialog.release_notes {
            head.extend(labelled("Release", notes, theme.title, width, theme));
        }
        let mut parts = vec![Part::Rows(head)];
        if let Some(start) = &dialog.rollout {
            steps(&mut parts, &start.document, width, theme);
        }
        let named = &dialog.named;
        if !named.hidden.is_empty() {
            let what = format!("{} marked, hidden by the filter:", named.hidden.len());
            parts.push(Part::Rows(labelled(
                "Hidden", &what, theme.warn, width, theme,
            )));
            parts.push(Part::Names(&named.hidden, width));
        }
        let mut found = Vec::new();
        for group in [&dialog.blockers, &dialog.warnings, &dialog.notes] {
            findings(&mut found, group, theme);
        }
        parts.push(Part::Rows(
            found
                .iter()
                .flat_map(|line| wrap_line(line, width, FINDING_INDENT))
                .collect(),
        ));
        if !named.shown.is_empty() {
            let what = format!("{} in the table:", named.shown.len());
            parts.push(Part::Rows(labelled(
                "Shown",
                &what,
                theme.title,
                width,
                theme,
            )));
            parts.push(Part::Names(&named.shown, width));
        }
        if !dialog.skipped.is_empty() {
            let what = format!("{} will not change and are not sent:", dialog.skipped.len());
            parts.push(Part::Rows(labelled(
                "Skipped",
                &what,
                theme.muted,
                width,
                theme,
            )));
            parts.push(Part::Names(&dialog.skipped, width));
        }
        Text { parts }
    }

    fn len(&self) -> usize {
        self.parts.iter().map(Part::len).sum()
    }

    /// `height` rows from row `first`.
    fn rows(&self, first: usize, height: usize) -> Vec<Line<'static>> {
        let mut rows = Vec::with_capacity(height);
        let mut start = 0;
        for part in &self.parts {
            let end = start + part.len();
            let from = first.max(start);
            let to = (first + height).min(end);
            rows.extend((from..to).map(|row| part.row(row - start)));
            start = end;
        }
        rows
    }
}

/// A rollout's policy and every step, each wave's gateways one a row.
fn steps<'a>(parts: &mut Vec<Part<'a>>, document: &'a Document, width: usize, theme: &Theme) {
    let policy = document.rollout.policy.describe(document.budget_base());
    parts.push(Part::Rows(labelled(
        "Policy",
        &policy,
        theme.title,
        width,
        theme,
    )));
    for step in document.steps() {
        let what = describe(&step);
        match step {
            Step::Wave { wave, .. } => {
                let value = format!("{what}: {}", counted(wave.gateways.len(), "gateway"));
                let label = if wave.number == 1 { "Steps" } else { "" };
                parts.push(Part::Rows(labelled(
                    label,
                    &value,
                    theme.title,
                    width,
                    theme,
                )));
                parts.push(Part::Names(&wave.gateways, width));
            }
            Step::Platform(_) => {
                let label = if step.number() == 1 { "Steps" } else { "" };
                let value = format!("{what}: {RESTART}");
                parts.push(Part::Rows(labelled(
                    label, &value, theme.warn, width, theme,
                )));
            }
        }
    }
}

/// "2 will change; 1 skipped (listed below)", or the platform's words.
fn count(dialog: &Confirm) -> String {
    if let Request::PlatformUpgrade { .. } = dialog.request {
        return match dialog.gateways {
            0 => "the controller (gateways follow in later steps)".into(),
            n => format!(
                "the controller and all {n} gateways: before 6.5 there is no selective upgrade, so this step upgrades them too"
            ),
        };
    }
    match dialog.skipped.len() {
        0 => format!("{} will change", dialog.gateways),
        n => format!(
            "{} will change; {n} skipped (listed below)",
            dialog.gateways
        ),
    }
}

/// "taken 3h12m ago", or that there is none.
fn backup(dialog: &Confirm) -> String {
    match dialog.backup_age {
        Some(age) => format!("the last one was taken {} ago", duration(age)),
        None => "none taken: take one first (Backup Now)".into(),
    }
}

/// `label` and `value`, the value wrapped to the rows beside the label.
fn labelled(
    label: &str,
    value: &str,
    style: Style,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let room = width.saturating_sub(LABEL).max(1);
    wrap(value, room)
        .into_iter()
        .enumerate()
        .map(|(row, text)| {
            let lead = if row == 0 { label } else { "" };
            Line::from(vec![
                Span::styled(format!("{lead:<LABEL$}"), theme.muted),
                Span::styled(text, style),
            ])
        })
        .collect()
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
    if dialog.typed_answer().is_some() {
        return vec![
            Line::from(vec![
                Span::raw(format!("{}: ", dialog.typed_prompt())),
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
