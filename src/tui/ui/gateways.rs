//! Window 2, Selective Gateway Upgrade: the gateway table. Only the rows on screen are built.
//! The columns are the operator's choice or, by default, as many as fit by priority
//! ([`ColumnChoice`]); each column is as wide as its widest cell on screen; a long list says
//! which row the cursor is on.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use crate::catalog::Catalog;
use crate::ops::Live;
use crate::snapshot::{Controller, Gateway, UpdateStatus};
use crate::tui::columns::{ColumnChoice, ColumnId};
use crate::tui::fleet::FleetView;
use crate::tui::state::{App, Window};
use crate::tui::theme::{Status, Theme, state_status, symbol, update_status};
use crate::tui::ui::fit::{self, TitlePart};

/// What a cell needs besides its gateway.
struct Context<'a> {
    /// The statuses are not read yet: the rows shown are the first of a fleet being read.
    statuses_pending: bool,
    controller: &'a Controller,
    catalog: Option<&'a Catalog>,
    theme: &'a Theme,
}

/// The widest a column gets: on screen it is as wide as its header or its widest cell among
/// the rows shown, up to this; a longer value is shortened with `…`.
fn max_width(column: ColumnId) -> u16 {
    match column {
        ColumnId::Name => 36,
        ColumnId::State => 13,
        ColumnId::Status => 19,
        ColumnId::Current | ColumnId::Target | ColumnId::Previous | ColumnId::Rollback => 10,
        ColumnId::Cloud => 11,
        ColumnId::Region => 16,
        ColumnId::Type => 10,
        ColumnId::Role => 9,
        ColumnId::Account => 14,
        ColumnId::Vpc => 24,
        ColumnId::Tunnels => 7,
        ColumnId::Image | ColumnId::TargetImage | ColumnId::PrevImage | ColumnId::RollbackImage => {
            24
        }
        ColumnId::Kernel => 16,
    }
}

/// Which end of a long value says the most: a name's start, an image's end
/// (`…ubuntu2204-7.2-20241118`, not the prefix every image shares).
#[derive(Clone, Copy)]
enum Keep {
    Head,
    Tail,
}

/// `text` whole when it fits in `width`, else the end that says the most with `…` where it
/// was shortened: never cut silently.
fn fitted(text: String, width: usize, keep: Keep) -> String {
    let count = text.chars().count();
    if count <= width {
        return text;
    }
    let room = width.saturating_sub(1);
    match keep {
        Keep::Head => format!("{}…", text.chars().take(room).collect::<String>()),
        Keep::Tail => format!("…{}", text.chars().skip(count - room).collect::<String>()),
    }
}

/// One cell.
fn cell(column: ColumnId, context: &Context, gateway: &Gateway, live: &Live) -> Span<'static> {
    let width = usize::from(max_width(column));
    let plain = |text: String, keep: Keep| Span::raw(fitted(text, width, keep));
    match column {
        ColumnId::Name => plain(gateway.name.to_string(), Keep::Head),
        ColumnId::State => state_cell(context, gateway, live, width),
        ColumnId::Status if context.statuses_pending => Span::styled(
            format!("{} reading", symbol(Status::Pending)),
            context.theme.pending,
        ),
        ColumnId::Status => update_cell(context, live, width),
        ColumnId::Current => plain(gateway.software_version.to_string(), Keep::Head),
        ColumnId::Target => target_cell(context, gateway),
        ColumnId::Previous => plain(
            text(
                gateway
                    .previous_software_version
                    .map(|v| v.to_string())
                    .as_deref(),
            ),
            Keep::Head,
        ),
        ColumnId::Cloud => plain(gateway.cloud.name().to_owned(), Keep::Head),
        ColumnId::Region => plain(gateway.region.to_string(), Keep::Head),
        ColumnId::Type => plain(gateway.gw_type.name().to_owned(), Keep::Head),
        ColumnId::Role => plain(gateway.role.name().to_owned(), Keep::Head),
        ColumnId::Account => plain(text(gateway.account.as_deref()), Keep::Head),
        ColumnId::Vpc => plain(text(gateway.vpc_id.as_deref()), Keep::Head),
        ColumnId::Tunnels => tunnels_cell(context, gateway),
        ColumnId::Image => plain(text(gateway.image_version.as_deref()), Keep::Tail),
        ColumnId::TargetImage => {
            let train = context.controller.current_version.train();
            plain(image(context, gateway, train), Keep::Tail)
        }
        ColumnId::PrevImage => plain(text(gateway.previous_image_version.as_deref()), Keep::Tail),
        ColumnId::Kernel => plain(text(gateway.kernel_version.as_deref()), Keep::Tail),
        ColumnId::Rollback => plain(
            text(
                context
                    .controller
                    .previous_version
                    .map(|v| v.to_string())
                    .as_deref(),
            ),
            Keep::Head,
        ),
        ColumnId::RollbackImage => match context.controller.previous_version {
            Some(previous) => plain(image(context, gateway, previous.train()), Keep::Tail),
            None => Span::raw("—"),
        },
    }
}

/// A value, or `—` for none.
fn text(value: Option<&str>) -> String {
    value.unwrap_or("—").to_owned()
}

fn state_cell(context: &Context, gateway: &Gateway, live: &Live, width: usize) -> Span<'static> {
    let state = live.shown_state(gateway);
    let status = state_status(state);
    let shown = fitted(format!("{} {state}", symbol(status)), width, Keep::Head);
    Span::styled(shown, context.theme.of(status))
}

fn update_cell(context: &Context, live: &Live, width: usize) -> Span<'static> {
    let status = update_status(live.update_status());
    let word = match live.update_status() {
        UpdateStatus::None => "—",
        other => other.label(),
    };
    let progress = live
        .progress
        .filter(|_| status == Status::Pending)
        .map(|p| format!(" {p}%"))
        .unwrap_or_default();
    let shown = fitted(
        format!("{} {word}{progress}", symbol(status)),
        width,
        Keep::Head,
    );
    Span::styled(shown, context.theme.of(status))
}

fn target_cell(context: &Context, gateway: &Gateway) -> Span<'static> {
    let target = context.controller.current_version;
    if gateway.software_version == target {
        Span::styled(format!("= {target}"), context.theme.muted)
    } else {
        Span::raw(target.to_string())
    }
}

fn tunnels_cell(context: &Context, gateway: &Gateway) -> Span<'static> {
    let status = if gateway.tunnels_up {
        Status::Ok
    } else {
        Status::Error
    };
    let word = if gateway.tunnels_up { "up" } else { "down" };
    Span::styled(
        format!("{} {word}", symbol(status)),
        context.theme.of(status),
    )
}

fn image(context: &Context, gateway: &Gateway, train: crate::version::Train) -> String {
    context
        .catalog
        .and_then(|catalog| catalog.image_for(gateway.cloud, train))
        .map_or("—".into(), |entry| entry.image.clone())
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let fleet = &app.fleet;
    let mut block = Block::bordered().title(title(app, area.width, theme));
    let inner = block.inner(area);
    let Some(snapshot) = fleet.snapshot() else {
        frame.render_widget(block, area);
        frame.render_widget(Paragraph::new(format!("reading {} …", app.url)), inner);
        return;
    };
    let rows_height = inner.height.saturating_sub(1);
    app.page_rows.set(rows_height);
    if fleet.shown_len() == 0 {
        frame.render_widget(block, area);
        let message = if fleet.total() == 0 {
            "the controller lists no gateways"
        } else {
            "no gateway matches the filter: / edits it, Esc clears it"
        };
        frame.render_widget(Paragraph::new(Span::styled(message, theme.warn)), inner);
        return;
    }
    let offset = scroll_offset(app, rows_height as usize);
    let visible = offset..fleet.shown_len().min(offset + rows_height as usize);
    let context = Context {
        statuses_pending: app.fleet_is_partial(),
        controller: &snapshot.controller,
        catalog: app.catalog.as_ref(),
        theme,
    };
    let candidates = app.columns.by_priority(app.busy());
    let widths = widths(&candidates, &context, fleet, visible.clone());
    let mut chosen = fit(&candidates, &widths, inner.width.saturating_sub(2));
    let left_out = match app.columns {
        ColumnChoice::Auto => {
            chosen.sort_unstable();
            0
        }
        ColumnChoice::Chosen(_) => candidates.len() - chosen.len(),
    };
    app.shown_columns
        .replace(chosen.iter().map(|(column, _)| *column).collect());
    if let Some(position) = position(app, rows_height as usize, left_out) {
        block = block.title_bottom(Line::from(position).right_aligned());
    }
    frame.render_widget(block, area);
    let mut header_cells = vec![Cell::from(" ")];
    header_cells.extend(
        chosen
            .iter()
            .map(|&(column, _)| Cell::from(Span::styled(header_text(column, fleet), theme.title))),
    );
    let header = Row::new(header_cells);
    let rows = visible.filter_map(|row| {
        let index = fleet.shown_index(row)?;
        let gateway = fleet.gateway(index)?;
        let live = fleet.live(index)?;
        Some(table_row(
            &context,
            &chosen,
            gateway,
            live,
            fleet.is_marked(index),
            row == fleet.cursor(),
        ))
    });
    let mut widths = vec![Constraint::Length(1)];
    widths.extend(chosen.iter().map(|&(_, width)| Constraint::Length(width)));
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        inner,
    );
}

/// `row 1,204 of 19,938` when the rows do not all fit, how many of the operator's columns do
/// not, and how far a fleet being read has got.
fn position(app: &App, height: usize, left_out: usize) -> Option<String> {
    let fleet = &app.fleet;
    let mut parts = Vec::new();
    if let Some(loading) = app.loading {
        let read = grouped(loading.read);
        parts.push(match (loading.partial, loading.statuses) {
            (true, false) => format!("loading: {read} gateways read, the first shown"),
            (true, true) => format!("loading: {read} gateways read, their statuses next"),
            (false, _) => format!("reading the controller again: {read} gateways"),
        });
    }
    if fleet.shown_len() > height {
        parts.push(format!(
            "row {} of {}",
            grouped(fleet.cursor() + 1),
            grouped(fleet.shown_len())
        ));
    }
    if left_out > 0 {
        parts.push(format!("{left_out} chosen columns do not fit: :cols"));
    }
    (!parts.is_empty()).then(|| format!(" {} ", parts.join(" · ")))
}

/// `19938` as `19,938`.
fn grouped(number: usize) -> String {
    let digits = number.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The window's title, its count shown, its marks and its filter; when narrow, it drops the
/// window's name (its tab names it too), then the filter's last words, the filter and the
/// count, never a mark.
fn title(app: &App, width: u16, theme: &Theme) -> Line<'static> {
    let fleet = &app.fleet;
    let name = format!(" {} ", Window::Gateways.title());
    let mut parts = vec![
        TitlePart::new(name, theme.title, 3),
        TitlePart::new(count(app), Style::new(), 1),
    ];
    if fleet.marked_count() > 0 {
        let marked = format!("● {} marked", fleet.marked_count());
        parts.push(TitlePart::new(marked, theme.marked, 0));
        let hidden = fleet.hidden_marked_count();
        if hidden > 0 {
            parts.push(TitlePart::new(format!(", {hidden} hidden"), theme.warn, 0));
        }
        parts.push(TitlePart::new(" ", Style::new(), 0));
    }
    if !fleet.query().is_empty() {
        let filter = format!("filter: {} ", fleet.query().text());
        parts.push(TitlePart::shrinking(filter, theme.pending, 2));
    }
    fit::title(parts, usize::from(width))
}

/// `12/200 shown`; while a fleet is read, how many of the first rows are shown of how many
/// read so far, so a partial table never passes for the fleet.
fn count(app: &App) -> String {
    let fleet = &app.fleet;
    match app.loading.filter(|loading| loading.partial) {
        Some(loading) => format!(
            "{}/{} shown of {} read so far ",
            fleet.shown_len(),
            fleet.total(),
            grouped(loading.read)
        ),
        None => format!("{}/{} shown ", fleet.shown_len(), fleet.total()),
    }
}

/// A column's header, with the sort's arrow when the table is sorted by it.
fn header_text(column: ColumnId, fleet: &FleetView) -> String {
    let arrow = match (fleet.sort(), column.sort_key()) {
        (Some((key, descending)), Some(own)) if key == own => {
            if descending {
                " ▼"
            } else {
                " ▲"
            }
        }
        _ => "",
    };
    format!("{}{arrow}", column.title())
}

fn table_row(
    context: &Context,
    chosen: &[(ColumnId, u16)],
    gateway: &Gateway,
    live: &Live,
    marked: bool,
    cursor: bool,
) -> Row<'static> {
    let theme = context.theme;
    let mark = if marked {
        Span::styled("●", theme.marked)
    } else {
        Span::raw(" ")
    };
    let mut cells = vec![Cell::from(mark)];
    cells.extend(
        chosen
            .iter()
            .map(|&(column, _)| Cell::from(cell(column, context, gateway, live))),
    );
    let style = if cursor { theme.cursor } else { Style::new() };
    Row::new(cells).style(style)
}

/// Each candidate column's width: its header or its widest cell among the rows on screen,
/// up to its [`max_width`].
fn widths(
    candidates: &[ColumnId],
    context: &Context,
    fleet: &FleetView,
    rows: std::ops::Range<usize>,
) -> Vec<u16> {
    let shown: Vec<(&Gateway, &Live)> = rows
        .filter_map(|row| {
            let index = fleet.shown_index(row)?;
            Some((fleet.gateway(index)?, fleet.live(index)?))
        })
        .collect();
    candidates
        .iter()
        .map(|&column| {
            let header = Span::raw(header_text(column, fleet)).width();
            let widest = shown
                .iter()
                .map(|(gateway, live)| cell(column, context, gateway, live).width())
                .max()
                .unwrap_or(0);
            u16::try_from(header.max(widest))
                .unwrap_or(u16::MAX)
                .min(max_width(column))
        })
        .collect()
}

/// The columns that fit in `width`, trying `candidates` in order, each with its width.
fn fit(candidates: &[ColumnId], widths: &[u16], width: u16) -> Vec<(ColumnId, u16)> {
    let mut used: u16 = 0;
    let mut chosen = Vec::new();
    for (&column, &column_width) in candidates.iter().zip(widths) {
        let needed = column_width + 1;
        if used + needed > width {
            continue;
        }
        used += needed;
        chosen.push((column, column_width));
    }
    chosen
}

/// The first row shown, so that the cursor stays visible; remembered between frames.
fn scroll_offset(app: &App, height: usize) -> usize {
    let cursor = app.fleet.cursor();
    let mut offset = app.table_offset.get();
    if cursor < offset {
        offset = cursor;
    }
    if height > 0 && cursor >= offset + height {
        offset = cursor + 1 - height;
    }
    offset = offset.min(app.fleet.shown_len().saturating_sub(height.max(1)));
    app.table_offset.set(offset);
    offset
}
