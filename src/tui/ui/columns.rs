//! The column chooser (`:cols`): every column of the gateway table, on or off, with what it
//! shows.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::columns::Chooser;
use crate::tui::theme::Theme;
use crate::tui::ui::fit::shorten;
use crate::tui::ui::{dialog_width, list_row, popup, scrolled_title};

pub fn draw(frame: &mut Frame, body: Rect, chooser: &Chooser, theme: &Theme) {
    let area = popup(frame, body, dialog_width(body), body.height);
    let rows = usize::from(area.height.saturating_sub(3));
    let width = usize::from(area.width.saturating_sub(2));
    let offset = chooser.cursor.saturating_sub(rows.saturating_sub(1));
    let mut lines: Vec<Line> = chooser
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, (column, on))| {
            let mark = if *on { "[x]" } else { "[ ]" };
            let text = format!("{mark} {:<15} {}", column.name(), column.describe());
            list_row(shorten(&text, width), i == chooser.cursor, theme)
        })
        .collect();
    lines.push(Line::styled(
        "space on/off · Enter shows and keeps · a as many as fit · Esc",
        theme.muted,
    ));
    let block = Block::bordered()
        .title(Span::styled(" Columns ", theme.title))
        .title_bottom(scrolled_title(offset, rows, chooser.rows.len(), theme));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
