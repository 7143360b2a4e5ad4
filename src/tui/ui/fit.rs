//! Fitting text into a width without cutting a word: lines wrapped at spaces (keeping their
//! styles, continuation rows indented), text shortened after its last whole word with `…`,
//! and titles that drop their least needed parts. A word longer than a whole row is the only
//! thing ever broken, and its break is marked with `…`.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// The mark of text left out or carried on to the next row.
const ELLIPSIS: char = '…';

/// One character and its style.
type Cell = (char, Style);

/// `line` in rows of at most `width` columns, broken at spaces and keeping its styles; rows
/// after the first start with `indent` spaces. Always at least one row.
pub fn wrap_line(line: &Line<'_>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let indent = indent.min(width / 2);
    let cells: Vec<Cell> = line
        .spans
        .iter()
        .flat_map(|span| {
            let style = line.style.patch(span.style);
            span.content.chars().map(move |c| (c, style))
        })
        .collect();
    let mut rows: Vec<Vec<Cell>> = vec![Vec::new()];
    for token in tokens(&cells) {
        place(&mut rows, token, width, indent);
    }
    rows.iter().map(|row| line_of(trimmed(row))).collect()
}

/// Every line of `lines` wrapped (see [`wrap_line`]).
pub fn wrap_lines(lines: &[Line<'_>], width: usize, indent: usize) -> Vec<Line<'static>> {
    lines
        .iter()
        .flat_map(|line| wrap_line(line, width, indent))
        .collect()
}

/// `text` in rows of at most `width` columns, broken at spaces (see [`wrap_line`]).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    wrap_line(&Line::raw(text), width, 0)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// `text` in `width` columns: whole, or cut after its last whole word that fits, with `…`
/// (one word longer than `width` keeps what fits of it).
pub fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let head: String = text.chars().take(width.saturating_sub(1)).collect();
    let kept = match head.rfind(' ') {
        Some(space) if space > 0 => &head[..space],
        _ => head.as_str(),
    };
    format!("{}{ELLIPSIS}", kept.trim_end())
}

/// A part of a title: its text, and how soon it goes when the title is too wide (the highest
/// rank first; rank 0 never goes).
pub struct TitlePart {
    span: Span<'static>,
    rank: u8,
    shrinks: bool,
}

impl TitlePart {
    /// A part that stays whole or goes.
    pub fn new(text: impl Into<String>, style: Style, rank: u8) -> TitlePart {
        TitlePart {
            span: Span::styled(text.into(), style),
            rank,
            shrinks: false,
        }
    }

    /// A part shortened by words before it goes (it goes when it would keep only its first
    /// word, such as `filter:`).
    pub fn shrinking(text: impl Into<String>, style: Style, rank: u8) -> TitlePart {
        TitlePart {
            shrinks: true,
            ..TitlePart::new(text, style, rank)
        }
    }

    fn width(&self) -> usize {
        self.span.content.chars().count()
    }
}

/// The title of a box `width` columns wide (its corners left free): `parts` in order, less
/// those of the highest rank while they do not fit (a shrinking one is shortened first); what
/// still does not fit is shortened by words.
pub fn title(mut parts: Vec<TitlePart>, width: usize) -> Line<'static> {
    let room = width.saturating_sub(2);
    while let Some(at) = least_needed(&parts).filter(|_| total(&parts) > room) {
        let others = total(&parts) - parts[at].width();
        let left = room.saturating_sub(others);
        match parts[at].shrinks && keeps_words(&parts[at], left) {
            true => shrink(&mut parts[at], left),
            false => {
                parts.remove(at);
            }
        }
    }
    let mut used = 0;
    let spans = parts.into_iter().map(|mut part| {
        shrink(&mut part, room.saturating_sub(used));
        used += part.width();
        part.span
    });
    Line::from(spans.collect::<Vec<_>>())
}

/// The part that goes first: the highest rank above 0, the last of equals.
fn least_needed(parts: &[TitlePart]) -> Option<usize> {
    (0..parts.len())
        .filter(|&at| parts[at].rank > 0)
        .max_by_key(|&at| (parts[at].rank, at))
}

/// Whether `part` shortened to `width` keeps more than its first word.
fn keeps_words(part: &TitlePart, width: usize) -> bool {
    let text = part.span.content.trim();
    shorten(text, width.saturating_sub(1)).contains(' ')
}

fn total(parts: &[TitlePart]) -> usize {
    parts.iter().map(TitlePart::width).sum()
}

/// `part` shortened by words to `width`, keeping a trailing space as the gap after it.
fn shrink(part: &mut TitlePart, width: usize) {
    if part.width() <= width {
        return;
    }
    let text = shorten(part.span.content.trim_end(), width.saturating_sub(1));
    part.span.content = format!("{text} ").into();
}

/// Runs of spaces and runs of anything else.
fn tokens(cells: &[Cell]) -> Vec<&[Cell]> {
    let mut tokens = Vec::new();
    let mut start = 0;
    for at in 1..=cells.len() {
        let boundary = at == cells.len() || (cells[at].0 == ' ') != (cells[start].0 == ' ');
        if boundary {
            tokens.push(&cells[start..at]);
            start = at;
        }
    }
    tokens
}

/// Puts `token` on the last row, or on a new one when it does not fit; a word longer than a
/// whole row is broken, each break marked with `…`.
fn place(rows: &mut Vec<Vec<Cell>>, token: &[Cell], width: usize, indent: usize) {
    let is_space = token.first().is_some_and(|(c, _)| *c == ' ');
    let continued = rows.len() > 1;
    let Some(row) = rows.last_mut() else {
        return;
    };
    let fresh = continued && row.len() == indent;
    if is_space {
        if !fresh {
            row.extend(token.iter().take(width.saturating_sub(row.len())));
        }
        return;
    }
    let started = row.iter().any(|(c, _)| *c != ' ');
    if row.len() + token.len() > width && started {
        rows.push(indented(indent));
    }
    let mut token = token;
    loop {
        let Some(row) = rows.last_mut() else {
            return;
        };
        let room = width.saturating_sub(row.len());
        if token.len() <= room {
            row.extend_from_slice(token);
            return;
        }
        let (head, rest) = token.split_at(room.saturating_sub(1).max(1).min(token.len()));
        row.extend_from_slice(head);
        row.push((
            ELLIPSIS,
            head.last().map_or(Style::new(), |(_, style)| *style),
        ));
        token = rest;
        rows.push(indented(indent));
    }
}

fn indented(indent: usize) -> Vec<Cell> {
    vec![(' ', Style::new()); indent]
}

/// `row` without its trailing spaces.
fn trimmed(row: &[Cell]) -> &[Cell] {
    let end = row
        .iter()
        .rposition(|(c, _)| *c != ' ')
        .map_or(0, |last| last + 1);
    &row[..end]
}

/// The line of `cells`, one span a run of one style.
fn line_of(cells: &[Cell]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = cells.first().map_or(Style::new(), |(_, style)| *style);
    for &(c, cell_style) in cells {
        if cell_style != style && !text.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut text), style));
        }
        style = cell_style;
        text.push(c);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_wraps_at_spaces_and_only_a_word_too_long_for_a_row_is_broken() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abc…", "def…", "ghij"]);
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(wrap("a bcdefgh", 3), ["a", "bc…", "de…", "fgh"]);
        assert_eq!(wrap("  indented text", 10), ["  indented", "text"]);
    }

    #[test]
    fn continuation_rows_are_indented_and_styles_kept() {
        let bold = Style::new().add_modifier(ratatui::style::Modifier::BOLD);
        let line = Line::from(vec![
            Span::styled("key ", bold),
            Span::raw("does one thing and then another"),
        ]);
        let rows = wrap_line(&line, 16, 4);
        let text: Vec<String> = rows.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["key does one", "    thing and", "    then another"]);
        assert_eq!(rows[0].spans[0].style, bold);
        assert_eq!(rows[0].spans[0].content, "key ");
    }

    #[test]
    fn text_that_does_not_fit_is_shortened_after_a_whole_word() {
        assert_eq!(shorten("wave 12 (canary)", 20), "wave 12 (canary)");
        assert_eq!(
            shorten("step 4, the platform upgrade from 7.0.2239", 24),
            "step 4, the platform…"
        );
        assert_eq!(
            shorten("abcdefghij", 5),
            "abcd…",
            "one long word keeps what fits"
        );
    }

    #[test]
    fn a_title_drops_its_least_needed_parts_whole() {
        let parts = || {
            vec![
                TitlePart::new(" Gateways ", Style::new(), 3),
                TitlePart::new("12/200 shown ", Style::new(), 1),
                TitlePart::new("● 73 marked ", Style::new(), 0),
                TitlePart::shrinking("filter: role:primary region:us-east-1 ", Style::new(), 2),
            ]
        };
        let text = |width| title(parts(), width).to_string();
        assert_eq!(
            text(80),
            " Gateways 12/200 shown ● 73 marked filter: role:primary region:us-east-1 "
        );
        assert_eq!(text(60), "12/200 shown ● 73 marked filter: role:primary… ");
        assert_eq!(text(44), "12/200 shown ● 73 marked ");
        assert_eq!(text(16), "● 73 marked ");
        assert_eq!(text(10), "● 73… ");
    }
}
