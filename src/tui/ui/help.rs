//! The help screen, generated from the keymap in effect.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::command_line::{COMMANDS, HELP_COMMAND_WIDTH};
use crate::tui::state::App;
use crate::tui::theme::Theme;
use crate::tui::ui::popup;

pub fn draw(frame: &mut Frame, body: Rect, app: &App, scroll: u16, theme: &Theme) {
    let mut lines: Vec<Line> = app
        .keymap
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
                Span::styled(format!("{keys:>16}  "), theme.key),
                Span::raw(command.describe()),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Commands (:) — Tab completes, Up and Down recall:",
        theme.title,
    ));
    lines.extend(COMMANDS.iter().map(|spec| {
        let command = format!(":{} {}", spec.name, spec.usage);
        Line::from(vec![
            Span::styled(
                format!(
                    "{:<width$}  ",
                    command.trim_end(),
                    width = HELP_COMMAND_WIDTH
                ),
                theme.key,
            ),
            Span::raw(spec.describe),
        ])
    }));
    lines.extend([
        Line::raw(""),
        Line::styled(
            "Filter (/): words match name, region, account, version;",
            theme.muted,
        ),
        Line::styled(
            "  cloud: region: type: role: state: version: account: name: status:",
            theme.muted,
        ),
        Line::styled(
            "  same key twice = OR, different keys = AND, ! negates, value* = prefix",
            theme.muted,
        ),
        Line::styled(
            "Keys: keymap.toml in the config directory (see README). Mouse is off:",
            theme.muted,
        ),
        Line::styled("  select text with your terminal as usual.", theme.muted),
    ]);
    let area = popup(frame, body, 78, body.height);
    let block = Block::bordered().title(Span::styled(
        " Help — j/k scroll · Esc closes ",
        theme.title,
    ));
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}
