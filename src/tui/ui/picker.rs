//! The filter picker: the clouds, regions, types, roles, states, update statuses, versions and
//! accounts present in the fleet, as the table shows them, with counts. It widens with the
//! terminal, as every dialog does.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

use crate::tui::state::Picker;
use crate::tui::theme::Theme;
use crate::tui::ui::fit::{self, TitlePart, shorten};
use crate::tui::ui::{dialog_width, list_row, popup};

pub fn draw(frame: &mut Frame, body: Rect, picker: &Picker, theme: &Theme) {
    let area = popup(frame, body, dialog_width(body), body.height);
    let width = usize::from(area.width.saturating_sub(2));
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
            list_row(shorten(&text, width), i == picker.cursor, theme)
        })
        .collect();
    let parts = vec![
        TitlePart::new(" Pick a filter ", theme.title, 0),
        TitlePart::new("— Enter adds ", theme.title, 1),
        TitlePart::new("· space adds more ", theme.title, 2),
        TitlePart::new("· Esc ", theme.title, 1),
    ];
    let block = Block::bordered().title(fit::title(parts, usize::from(area.width)));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
