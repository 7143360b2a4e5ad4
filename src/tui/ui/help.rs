//! The help screen, generated from the keymap in effect and the command line's table. It
//! widens with the terminal, wraps each description beside its keys, and scrolls only as far
//! as its content.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::command_line::{COMMANDS, HELP_COMMAND_WIDTH};
use crate::tui::state::{App, Scroll};
use crate::tui::theme::Theme;
use crate::tui::ui::fit::{self, TitlePart, wrap_lines};
use crate::tui::ui::{dialog_width, popup, scrolled_title};

/// The width of the keys column, and so the indent of a description's further rows.
const KEYS: usize = 16;
const INDENT: usize = KEYS + 2;

pub fn draw(frame: &mut Frame, body: Rect, app: &App, scroll: &Scroll, theme: &Theme) {
    let area = popup(frame, body, dialog_width(body), body.height);
    let width = usize::from(area.width.saturating_sub(2));
    let mut lines = wrap_lines(&bindings(app, theme), width, INDENT);
    lines.extend(wrap_lines(&commands(theme), width, HELP_COMMAND_WIDTH + 2));
    lines.extend(wrap_lines(&filter_language(theme), width, 2));
    let height = usize::from(area.height.saturating_sub(2));
    let first = scroll.first_drawn(lines.len(), height);
    let parts = vec![
        TitlePart::new(" Help ", theme.title, 0),
        TitlePart::new("— j/k scroll · Esc closes ", theme.title, 1),
    ];
    let block = Block::bordered()
        .title(fit::title(parts, usize::from(area.width)))
        .title_bottom(scrolled_title(first, height, lines.len(), theme));
    let shown: Vec<Line> = lines.into_iter().skip(first).take(height).collect();
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

/// One line a command: its keys, and what it does.
fn bindings(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    app.keymap
        .help()
        .into_iter()
        .filter(|(_, command)| !(app.readonly && command.mutates()))
        .map(|(keys, command)| {
            let keys = if keys.is_empty() {
                "(unbound)".to_owned()
            } else {
                keys
            };
            Line::from(vec![
                Span::styled(format!("{keys:>KEYS$}  "), theme.key),
                Span::raw(command.describe()),
            ])
        })
        .collect()
}

/// The `:` commands: each with what it takes, and what it does.
fn commands(theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::raw(""),
        Line::styled(
            "Commands (:) — Tab completes, Up and Down recall:",
            theme.title,
        ),
    ];
    lines.extend(COMMANDS.iter().map(|spec| {
        let command = format!(":{} {}", spec.name, spec.usage);
        Line::from(vec![
            Span::styled(
                format!("{:<HELP_COMMAND_WIDTH$}  ", command.trim_end()),
                theme.key,
            ),
            Span::raw(spec.describe),
        ])
    }));
    lines
}

/// How the filter is written, and where the keys come from.
fn filter_language(theme: &Theme) -> Vec<Line<'static>> {
    [
        "",
        "Filter (/): words match name, region, account, version;",
        "  cloud: region: type: role: state: version: account: name: status:",
        "  same key twice = OR, different keys = AND, ! negates, value* = prefix",
        "Keys: keymap.toml in the config directory (see README). Mouse is off:",
        "  select text with your terminal as usual.",
    ]
    .into_iter()
    .map(|text| Line::styled(text, theme.muted))
    .collect()
}
