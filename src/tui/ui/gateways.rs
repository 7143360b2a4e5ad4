//! Window 2, Selective Gateway Upgrade: the gateway table. Only the rows on screen are built,
//! and columns that do not fit drop off by priority (the name, state and update status stay).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use crate::catalog::Catalog;
use crate::ops::Live;
use crate::snapshot::{Controller, Gateway, UpdateStatus};
use crate::tui::fleet::{FleetView, SortKey};
use crate::tui::state::{App, Window};
use crate::tui::theme::{Status, Theme, state_status, symbol, update_status};
use crate::tui::ui::fit::{self, TitlePart};

/// What a cell needs besides its gateway.
struct Context<'a> {
    name_width: usize,
    controller: &'a Controller,
    catalog: Option<&'a Catalog>,
    theme: &'a Theme,
}

/// One column: its header, width, priority (lower stays longer) and content.
struct Column {
    title: &'static str,
    width: u16,
    priority: u8,
    sort: Option<SortKey>,
    cell: fn(&Context, &Gateway, &Live) -> Span<'static>,
}

const NAME_MIN: u16 = 14;
const NAME_MAX: u16 = 36;

fn columns(name_width: u16) -> [Column; 17] {
    [
        Column {
            title: "Gateway",
            width: name_width,
            priority: 0,
            sort: Some(SortKey::Name),
            cell: name_cell,
        },
        Column {
            title: "State",
            width: 10,
            priority: 1,
            sort: Some(SortKey::State),
            cell: state_cell,
        },
        Column {
            title: "Update Status",
            width: 16,
            priority: 2,
            sort: Some(SortKey::UpdateStatus),
            cell: update_cell,
        },
        Column {
            title: "Current",
            width: 10,
            priority: 3,
            sort: Some(SortKey::Version),
            cell: |_, g, _| Span::raw(g.software_version.to_string()),
        },
        Column {
            title: "Target",
            width: 10,
            priority: 4,
            sort: None,
            cell: target_cell,
        },
        Column {
            title: "Previous",
            width: 10,
            priority: 9,
            sort: None,
            cell: |_, g, _| Span::raw(text(g.previous_software_version.map(|v| v.to_string()))),
        },
        Column {
            title: "Cloud",
            width: 11,
            priority: 5,
            sort: Some(SortKey::Cloud),
            cell: |_, g, _| Span::raw(g.cloud.name()),
        },
        Column {
            title: "Region",
            width: 16,
            priority: 6,
            sort: Some(SortKey::Region),
            cell: |_, g, _| Span::raw(g.region.clone()),
        },
        Column {
            title: "Type",
            width: 10,
            priority: 7,
            sort: Some(SortKey::Type),
            cell: |_, g, _| Span::raw(g.gw_type.name()),
        },
        Column {
            title: "Role",
            width: 9,
            priority: 8,
            sort: Some(SortKey::Role),
            cell: |_, g, _| Span::raw(g.role.name()),
        },
        Column {
            title: "Account",
            width: 14,
            priority: 12,
            sort: Some(SortKey::Account),
            cell: |_, g, _| Span::raw(text(g.account.clone())),
        },
        Column {
            title: "Image",
            width: 16,
            priority: 10,
            sort: None,
            cell: |_, g, _| Span::raw(text(g.image_version.clone())),
        },
        Column {
            title: "Target Image",
            width: 16,
            priority: 11,
            sort: None,
            cell: target_image_cell,
        },
        Column {
            title: "Prev Image",
            width: 16,
            priority: 16,
            sort: None,
            cell: |_, g, _| Span::raw(text(g.previous_image_version.clone())),
        },
        Column {
            title: "Kernel",
            width: 12,
            priority: 13,
            sort: None,
            cell: |_, g, _| Span::raw(text(g.kernel_version.clone())),
        },
        Column {
            title: "Rollback",
            width: 10,
            priority: 14,
            sort: None,
            cell: rollback_cell,
        },
        Column {
            title: "Rollback Image",
            width: 16,
            priority: 15,
            sort: None,
            cell: rollback_image_cell,
        },
    ]
}

/// The name, or its start and `…` when longer than the column: never cut silently.
fn name_cell(context: &Context, gateway: &Gateway, _: &Live) -> Span<'static> {
    let name = &gateway.name;
    if name.chars().count() <= context.name_width {
        return Span::raw(name.clone());
    }
    let head: String = name
        .chars()
        .take(context.name_width.saturating_sub(1))
        .collect();
    Span::raw(format!("{head}…"))
}

fn text(value: Option<String>) -> String {
    value.unwrap_or_else(|| "—".into())
}

fn state_cell(context: &Context, gateway: &Gateway, live: &Live) -> Span<'static> {
    let state = live.state.as_deref().unwrap_or(gateway.state.name());
    let status = state_status(state);
    Span::styled(
        format!("{} {state}", symbol(status)),
        context.theme.of(status),
    )
}

fn update_cell(context: &Context, _: &Gateway, live: &Live) -> Span<'static> {
    let status = update_status(&live.update_status);
    let word = match &live.update_status {
        UpdateStatus::None => "—",
        other => other.label(),
    };
    let progress = live
        .progress
        .filter(|_| status == Status::Pending)
        .map(|p| format!(" {p}%"))
        .unwrap_or_default();
    Span::styled(
        format!("{} {word}{progress}", symbol(status)),
        context.theme.of(status),
    )
}

fn target_cell(context: &Context, gateway: &Gateway, _: &Live) -> Span<'static> {
    let target = context.controller.current_version;
    if gateway.software_version == target {
        Span::styled(format!("= {target}"), context.theme.muted)
    } else {
        Span::raw(target.to_string())
    }
}

fn target_image_cell(context: &Context, gateway: &Gateway, _: &Live) -> Span<'static> {
    let train = context.controller.current_version.train();
    Span::raw(image(context, gateway, train))
}

fn rollback_cell(context: &Context, _: &Gateway, _: &Live) -> Span<'static> {
    Span::raw(text(
        context.controller.previous_version.map(|v| v.to_string()),
    ))
}

fn rollback_image_cell(context: &Context, gateway: &Gateway, _: &Live) -> Span<'static> {
    match context.controller.previous_version {
        Some(previous) => Span::raw(image(context, gateway, previous.train())),
        None => Span::raw("—"),
    }
}

fn image(context: &Context, gateway: &Gateway, train: crate::version::Train) -> String {
    context
        .catalog
        .and_then(|catalog| catalog.image_for(gateway.cloud, train))
        .map_or("—".into(), |entry| entry.image.clone())
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let fleet = &app.fleet;
    let block = Block::bordered().title(title(app, area.width, theme));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(snapshot) = fleet.snapshot() else {
        frame.render_widget(Paragraph::new(format!("reading {} …", app.url)), inner);
        return;
    };
    let rows_height = inner.height.saturating_sub(1);
    app.page_rows.set(rows_height);
    if fleet.shown_len() == 0 {
        let message = if fleet.total() == 0 {
            "the controller lists no gateways"
        } else {
            "no gateway matches the filter: / edits it, Esc clears it"
        };
        frame.render_widget(Paragraph::new(Span::styled(message, theme.warn)), inner);
        return;
    }
    let width = name_width(fleet);
    let context = Context {
        name_width: usize::from(width),
        controller: &snapshot.controller,
        catalog: app.catalog.as_ref(),
        theme,
    };
    let all = columns(width);
    let chosen = fit(&all, inner.width.saturating_sub(2));
    let offset = scroll_offset(app, rows_height as usize);
    let mut header_cells = vec![Cell::from(" ")];
    header_cells.extend(chosen.iter().map(|&i| header_cell(&all[i], fleet, theme)));
    let header = Row::new(header_cells);
    let rows = (offset..fleet.shown_len().min(offset + rows_height as usize)).filter_map(|row| {
        let index = fleet.shown_index(row)?;
        let gateway = fleet.gateway(index)?;
        let live = fleet.live(index)?;
        Some(table_row(
            &context,
            &all,
            &chosen,
            gateway,
            live,
            fleet.is_marked(index),
            row == fleet.cursor(),
        ))
    });
    let mut widths = vec![Constraint::Length(1)];
    widths.extend(chosen.iter().map(|&i| Constraint::Length(all[i].width)));
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        inner,
    );
}

/// The window's title, its count shown, its marks and its filter; when narrow, it drops the
/// window's name (its tab names it too), then the filter's last words, the filter and the
/// count, never a mark.
fn title(app: &App, width: u16, theme: &Theme) -> Line<'static> {
    let fleet = &app.fleet;
    let name = format!(" {} ", Window::Gateways.title());
    let mut parts = vec![
        TitlePart::new(name, theme.title, 3),
        TitlePart::new(
            format!("{}/{} shown ", fleet.shown_len(), fleet.total()),
            Style::new(),
            1,
        ),
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

fn header_cell(column: &Column, fleet: &FleetView, theme: &Theme) -> Cell<'static> {
    let arrow = match (fleet.sort(), column.sort) {
        (Some((key, descending)), Some(own)) if key == own => {
            if descending {
                " ▼"
            } else {
                " ▲"
            }
        }
        _ => "",
    };
    Cell::from(Span::styled(
        format!("{}{arrow}", column.title),
        theme.title,
    ))
}

fn table_row(
    context: &Context,
    all: &[Column],
    chosen: &[usize],
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
            .map(|&i| Cell::from((all[i].cell)(context, gateway, live))),
    );
    let style = if cursor { theme.cursor } else { Style::new() };
    Row::new(cells).style(style)
}

/// The longest name, within bounds.
fn name_width(fleet: &FleetView) -> u16 {
    u16::try_from(fleet.longest_name())
        .unwrap_or(NAME_MAX)
        .clamp(NAME_MIN, NAME_MAX)
}

/// The columns that fit in `width`, by priority, in display order.
fn fit(all: &[Column], width: u16) -> Vec<usize> {
    let mut by_priority: Vec<usize> = (0..all.len()).collect();
    by_priority.sort_by_key(|&i| all[i].priority);
    let mut used: u16 = 0;
    let mut chosen = Vec::new();
    for i in by_priority {
        let needed = all[i].width + 1;
        if used + needed > width {
            continue;
        }
        used += needed;
        chosen.push(i);
    }
    chosen.sort_unstable();
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

/// Every column's title, in display order.
pub fn column_titles() -> Vec<&'static str> {
    columns(NAME_MIN)
        .iter()
        .map(|column| column.title)
        .collect()
}
