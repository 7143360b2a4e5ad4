//! The bottom line: the prompt being typed, the latest message, or the keys that work here.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::message::Command;
use crate::tui::state::{App, Focus, Level, Overlay, Prompt, Window};
use crate::tui::theme::{Status, Theme, symbol};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(prompt) = app.prompt() {
        draw_prompt(frame, area, app, prompt, theme);
        return;
    }
    let line = match &app.flash {
        Some(flash) => {
            let status = match flash.level {
                Level::Info => Status::Ok,
                Level::Warn => Status::Warn,
                Level::Error => Status::Error,
            };
            Line::styled(
                format!("{} {}", symbol(status), flash.text),
                theme.of(status),
            )
        }
        None => hints(app, theme),
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_prompt(frame: &mut Frame, area: Rect, app: &App, prompt: &Prompt, theme: &Theme) {
    let (lead, input) = match prompt {
        Prompt::Query(input) => ("/", input),
        Prompt::Command(input) => (":", input),
    };
    let mut spans = vec![
        Span::styled(lead, theme.key),
        Span::raw(input.value().to_owned()),
    ];
    if let (Prompt::Query(_), Some(error)) = (prompt, &app.query_error) {
        spans.push(Span::styled(
            format!("   {} {error}", symbol(Status::Error)),
            theme.error,
        ));
    } else if let Prompt::Query(_) = prompt {
        spans.push(Span::styled("   Enter keeps · Esc clears", theme.muted));
    } else if !app.command_line.candidates.is_empty() {
        let candidates = app.command_line.candidates.join("  ");
        spans.push(Span::styled(format!("   Tab: {candidates}"), theme.muted));
    } else if input.value().is_empty() {
        spans.push(Span::styled(
            "   Tab completes · ↑↓ history · :help lists commands",
            theme.muted,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let x = area.x + 1 + input.visual_cursor() as u16;
    frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
}

fn hints(app: &App, theme: &Theme) -> Line<'static> {
    let commands: &[Command] = match (&app.focus, app.window) {
        (
            Focus::Overlay(Overlay::Confirm(_) | Overlay::Ask(_))
            | Focus::Prompt(_)
            | Focus::Target,
            _,
        ) => &[],
        (Focus::Overlay(_), _) => &[Command::Close, Command::Up, Command::Down, Command::Quit],
        (Focus::Window, Window::Platform) => &[
            Command::EditTarget,
            Command::DryRun,
            Command::Upgrade,
            Command::GatewayWindow,
            Command::Refresh,
            Command::Help,
            Command::Quit,
        ],
        (Focus::Window, Window::Gateways) => &[
            Command::Filter,
            Command::FilterPicker,
            Command::Mark,
            Command::DryRun,
            Command::Upgrade,
            Command::Rollback,
            Command::ImageUpgrade,
            Command::Help,
            Command::Quit,
        ],
        (Focus::Window, Window::Rollout) => &[
            Command::Upgrade,
            Command::Rollback,
            Command::ImageUpgrade,
            Command::ResumeRollout,
            Command::PauseRollout,
            Command::AbortRollout,
            Command::CommandLine,
            Command::Help,
            Command::Quit,
        ],
    };
    let mut spans = Vec::new();
    for &command in commands.iter().filter(|c| !(app.readonly && c.mutates())) {
        let first = app.keymap.key_for(command);
        if first.is_empty() {
            continue;
        }
        spans.push(Span::styled(first, theme.key));
        spans.push(Span::styled(format!(" {} ", short(command)), theme.muted));
    }
    if app.editing_target() {
        spans.push(Span::styled(
            "typing the target: Enter or Esc ends",
            theme.muted,
        ));
    }
    Line::from(spans)
}

/// A one-word name for the hint line.
fn short(command: Command) -> &'static str {
    match command {
        Command::EditTarget => "target",
        Command::DryRun => "dry-run",
        Command::Upgrade => "upgrade",
        Command::Rollback => "rollback",
        Command::ImageUpgrade => "image",
        Command::GatewayWindow => "gateways",
        Command::PlatformWindow => "platform",
        Command::RolloutWindow => "rollout",
        Command::ResumeRollout => "resume",
        Command::PauseRollout => "pause",
        Command::AbortRollout => "abort",
        Command::CommandLine => ":policy",
        Command::Refresh => "refresh",
        Command::Help => "help",
        Command::Quit => "quit",
        Command::Filter => "filter",
        Command::FilterPicker => "pick",
        Command::Mark => "mark",
        Command::Details => "details",
        Command::Close => "close",
        Command::Up => "up",
        Command::Down => "down",
        _ => "",
    }
}
