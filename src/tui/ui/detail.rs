//! The detail pane: every field of one gateway, the guide's columns first. It follows the
//! gateway by name across refreshes, and says so when the controller no longer lists it. It
//! widens with the terminal, wraps long values beside their labels, and scrolls when the
//! window is too short for every field.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::snapshot::UpdateStatus;
use crate::tui::state::{App, Scroll};
use crate::tui::theme::Theme;
use crate::tui::ui::fit::{self, TitlePart, wrap_lines};
use crate::tui::ui::{dialog_width, popup, scrolled_title};

/// The width of a label, and so the indent of a long value's further rows.
const LABEL: usize = 24;

pub fn draw(frame: &mut Frame, body: Rect, app: &App, shown: (&str, &Scroll), theme: &Theme) {
    let (name, scroll) = shown;
    let index = app.fleet.index_of(name);
    let (Some(gateway), Some(live), Some(snapshot)) = (
        index.and_then(|index| app.fleet.gateway(index)),
        index.and_then(|index| app.fleet.live(index)),
        app.fleet.snapshot(),
    ) else {
        gone(frame, body, name, theme);
        return;
    };
    let controller = &snapshot.controller;
    let image = |train: Option<crate::version::Train>| {
        train
            .and_then(|train| app.catalog.as_ref()?.image_for(gateway.cloud, train))
            .map_or("—".to_owned(), |entry| entry.image.clone())
    };
    let text = |value: Option<String>| value.unwrap_or_else(|| "—".into());
    let fields: Vec<(&str, String)> = vec![
        ("Gateway", gateway.name.to_string()),
        ("Current Version", gateway.software_version.to_string()),
        (
            "Previous Version",
            text(gateway.previous_software_version.map(|v| v.to_string())),
        ),
        ("Target Version", controller.current_version.to_string()),
        (
            "Previous Image Version",
            text(gateway.previous_image_version.as_deref().map(str::to_owned)),
        ),
        (
            "Current Image Version",
            text(gateway.image_version.as_deref().map(str::to_owned)),
        ),
        (
            "Target Image Version",
            image(Some(controller.current_version.train())),
        ),
        (
            "Kernel Version",
            text(gateway.kernel_version.as_deref().map(str::to_owned)),
        ),
        (
            "Rollback Version",
            text(controller.previous_version.map(|v| v.to_string())),
        ),
        (
            "Rollback Image Version",
            image(controller.previous_version.map(|v| v.train())),
        ),
        (
            "Account",
            text(gateway.account.as_deref().map(str::to_owned)),
        ),
        ("Cloud", gateway.cloud.name().to_owned()),
        ("Region", gateway.region.to_string()),
        ("Gateway Type", gateway.gw_type.name().to_owned()),
        ("Gateway Role", gateway.role.name().to_owned()),
        ("HA Peer", text(gateway.peer.as_deref().map(str::to_owned))),
        ("State", live.shown_state(gateway).to_owned()),
        (
            "Update Status",
            match live.update_status() {
                UpdateStatus::None => "—".into(),
                other => other.as_str().to_owned(),
            },
        ),
        (
            "Controller Message",
            live.message().unwrap_or("—").to_owned(),
        ),
        (
            "Tunnels",
            if gateway.tunnels_up {
                "all up".into()
            } else {
                "some down".into()
            },
        ),
        ("ActiveMesh", yes_no(gateway.active_mesh)),
        ("BGP Peers", gateway.bgp_peers.to_string()),
        (
            "OpenVPN",
            if gateway.openvpn {
                format!("yes, {} users", gateway.openvpn_users)
            } else {
                "no".into()
            },
        ),
    ];
    let lines: Vec<Line> = fields
        .into_iter()
        .map(|(label, value)| {
            Line::from(vec![
                Span::styled(format!("{label:<LABEL$}"), theme.muted),
                Span::raw(value),
            ])
        })
        .collect();
    draw_fields(frame, body, (name, scroll), &lines, theme);
}

/// The fields' lines in a pane as tall as they need, within the window, from the scrolled row.
fn draw_fields(
    frame: &mut Frame,
    body: Rect,
    (name, scroll): (&str, &Scroll),
    lines: &[Line],
    theme: &Theme,
) {
    let width = dialog_width(body);
    let lines = wrap_lines(lines, usize::from(width.saturating_sub(2)), LABEL);
    let wanted = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let area = popup(frame, body, width, wanted);
    let height = usize::from(area.height.saturating_sub(2));
    let first = scroll.first_drawn(lines.len(), height);
    let block = titled(name, area.width, theme).title_bottom(scrolled_title(
        first,
        height,
        lines.len(),
        theme,
    ));
    let shown: Vec<Line> = lines.into_iter().skip(first).take(height).collect();
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

/// The pane of a gateway the last refresh did not list.
fn gone(frame: &mut Frame, body: Rect, name: &str, theme: &Theme) {
    let area = popup(frame, body, dialog_width(body), 3);
    let line = Line::styled("the controller no longer lists this gateway", theme.muted);
    let block = titled(name, area.width, theme);
    frame.render_widget(Paragraph::new(line).block(block), area);
}

/// The pane's border, titled with the gateway's name.
fn titled(name: &str, width: u16, theme: &Theme) -> Block<'static> {
    let parts = vec![
        TitlePart::new(format!(" {name} "), theme.title, 0),
        TitlePart::new("— Esc closes ", theme.title, 1),
    ];
    Block::bordered().title(fit::title(parts, usize::from(width)))
}

fn yes_no(value: bool) -> String {
    if value { "yes".into() } else { "no".into() }
}
