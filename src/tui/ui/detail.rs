//! The detail pane: every field of one gateway, the guide's columns first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::state::App;
use crate::tui::theme::Theme;
use crate::tui::ui::popup;

pub fn draw(frame: &mut Frame, body: Rect, app: &App, index: usize, theme: &Theme) {
    let (Some(gateway), Some(live), Some(snapshot)) = (
        app.fleet.gateway(index),
        app.fleet.live(index),
        app.fleet.snapshot(),
    ) else {
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
        ("Gateway", gateway.name.clone()),
        ("Current Version", gateway.software_version.to_string()),
        (
            "Previous Version",
            text(gateway.previous_software_version.map(|v| v.to_string())),
        ),
        ("Target Version", controller.current_version.to_string()),
        (
            "Previous Image Version",
            text(gateway.previous_image_version.clone()),
        ),
        ("Current Image Version", text(gateway.image_version.clone())),
        (
            "Target Image Version",
            image(Some(controller.current_version.train())),
        ),
        ("Kernel Version", text(gateway.kernel_version.clone())),
        (
            "Rollback Version",
            text(controller.previous_version.map(|v| v.to_string())),
        ),
        (
            "Rollback Image Version",
            image(controller.previous_version.map(|v| v.train())),
        ),
        ("Account", text(gateway.account.clone())),
        ("Cloud", gateway.cloud.name().to_owned()),
        ("Region", gateway.region.clone()),
        ("Gateway Type", gateway.gw_type.name().to_owned()),
        ("Gateway Role", gateway.role.name().to_owned()),
        ("HA Peer", text(gateway.peer.clone())),
        (
            "State",
            live.state
                .clone()
                .unwrap_or_else(|| gateway.state.name().to_owned()),
        ),
        (
            "Update Status",
            if live.update_status.is_empty() {
                "—".into()
            } else {
                live.update_status.to_string()
            },
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
                Span::styled(format!("{label:<24}"), theme.muted),
                Span::raw(value),
            ])
        })
        .collect();
    let height = lines.len() as u16 + 2;
    let area = popup(frame, body, 72, height);
    let block = Block::bordered().title(Span::styled(
        format!(" {} — Esc closes ", gateway.name),
        theme.title,
    ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn yes_no(value: bool) -> String {
    if value { "yes".into() } else { "no".into() }
}
