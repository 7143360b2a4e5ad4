//! The light confirmation: the question, and `y` / `n` under it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::tui::confirm::Ask;
use crate::tui::theme::Theme;
use crate::tui::ui::popup;

const WIDTH: u16 = 64;
const HEIGHT: u16 = 8;

pub fn draw(frame: &mut Frame, body: Rect, dialog: &Ask, theme: &Theme) {
    let area = popup(frame, body, WIDTH, HEIGHT);
    let block = Block::bordered()
        .title(Span::styled(" Confirm ", theme.warn))
        .border_style(theme.warn);
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
    let text = Paragraph::new(lines).wrap(Wrap { trim: true }).block(block);
    frame.render_widget(text, area);
}
