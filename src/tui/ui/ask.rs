//! The light confirmation: the question, and `y` / `n` under it. It widens with the terminal
//! and wraps its text.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::confirm::Ask;
use crate::tui::theme::Theme;
use crate::tui::ui::fit::wrap_lines;
use crate::tui::ui::{dialog_width, popup};

/// The dialog's least height; it grows with its text.
const HEIGHT: u16 = 8;

pub fn draw(frame: &mut Frame, body: Rect, dialog: &Ask, theme: &Theme) {
    let width = dialog_width(body);
    let mut lines = vec![
        Line::raw(dialog.question.clone()),
        Line::raw(""),
        Line::from(vec![
            Span::styled("y", theme.key),
            Span::raw(" goes ahead · "),
            Span::styled("n", theme.key),
            Span::raw(" or "),
            Span::styled("Esc", theme.key),
            Span::raw(" cancels"),
        ]),
    ];
    if let Some(hint) = &dialog.hint {
        lines.push(Line::styled(hint.clone(), theme.warn));
    }
    let lines = wrap_lines(&lines, usize::from(width.saturating_sub(2)), 0);
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let area = popup(frame, body, width, height.max(HEIGHT));
    let block = Block::bordered()
        .title(Span::styled(" Confirm ", theme.warn))
        .border_style(theme.warn);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
