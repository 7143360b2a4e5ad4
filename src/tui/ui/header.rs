//! The header: controller URL, user, controller version, connection state, and the window tabs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::state::{App, Connection, Window};
use crate::tui::theme::{Status, Theme, symbol};
use crate::tui::ui::clock;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let version = app.fleet.snapshot().map_or("…".to_owned(), |snapshot| {
        snapshot.controller.current_version.to_string()
    });
    let (status, words) = connection(app);
    let mut first = vec![
        Span::styled("avx-upgrade ", theme.title),
        Span::raw(app.url.as_str()),
        Span::styled("  user ", theme.muted),
        Span::raw(app.user.as_str()),
        Span::styled("  controller ", theme.muted),
        Span::raw(version),
        Span::raw("  "),
        Span::styled(format!("{} {words}", symbol(status)), theme.of(status)),
    ];
    if app.readonly {
        first.push(Span::styled("  READ-ONLY", theme.warn));
    }
    let tab = |window: Window, key: &str| {
        let text = format!(" {key} {} ", window.title());
        if app.window == window {
            Span::styled(text, theme.focus)
        } else {
            Span::styled(text, theme.muted)
        }
    };
    let second = Line::from(vec![
        tab(Window::Platform, "1"),
        Span::raw(" "),
        tab(Window::Gateways, "2"),
        Span::raw(" "),
        tab(Window::Rollout, "3"),
    ]);
    frame.render_widget(Paragraph::new(vec![Line::from(first), second]), area);
}

fn connection(app: &App) -> (Status, String) {
    match &app.connection {
        Connection::Connecting => (Status::Pending, "connecting".into()),
        Connection::Ok if app.refreshing() => (Status::Pending, "OK, reading".into()),
        Connection::Ok => (Status::Ok, "OK".into()),
        Connection::Reconnecting => (Status::Warn, "reconnecting".into()),
        Connection::Stale {
            since: Some(since), ..
        } => (Status::Error, format!("stale since {} UTC", clock(*since))),
        Connection::Stale { since: None, .. } => (Status::Error, "unreachable".into()),
    }
}
