//! The filter picker: the clouds, regions, types, roles, states, update statuses, versions and
//! accounts present in the fleet, as the table shows them, with counts.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::state::Picker;
use crate::tui::theme::Theme;
use crate::tui::ui::popup;

pub fn draw(frame: &mut Frame, body: Rect, picker: &Picker, theme: &Theme) {
    let area = popup(frame, body, 50, body.height);
    let rows = usize::from(area.height.saturating_sub(2));
    let offset = picker.cursor.saturating_sub(rows.saturating_sub(1));
    let lines: Vec<Line> = picker
        .entries
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, (field, value, count))| {
            let text = format!("{:<8} {value:<24} {count:>7}", format!("{field}:"));
            let style = if i == picker.cursor {
                theme.cursor
            } else {
                ratatui::style::Style::new()
            };
            Line::from(Span::styled(text, style))
        })
        .collect();
    let block = Block::bordered().title(Span::styled(
        " Pick a filter — Enter adds · space adds more · Esc ",
        theme.title,
    ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
