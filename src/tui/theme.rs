//! Semantic styles: ok, warn, error, pending, muted, and a few for structure. The default
//! theme sets foreground colours only, so the terminal's own background shows through.
//! With `NO_COLOR` set, the theme uses no colour at all (only bold, reverse, underline), so no
//! colour sequence is ever written. Status never relies on colour alone: every status carries a
//! word or symbol too (see [`symbol`]).

use ratatui::style::{Color, Modifier, Style};

use crate::plan::finding::Severity;
use crate::snapshot::UpdateStatus;

/// Styles by meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub pending: Style,
    pub muted: Style,
    pub title: Style,
    pub key: Style,
    pub cursor: Style,
    pub marked: Style,
    pub focus: Style,
}

impl Theme {
    /// Colours on the terminal's own background.
    pub fn colored() -> Theme {
        let fg = |color| Style::new().fg(color);
        Theme {
            ok: fg(Color::Green),
            warn: fg(Color::Yellow),
            error: fg(Color::Red).add_modifier(Modifier::BOLD),
            pending: fg(Color::Cyan),
            muted: fg(Color::DarkGray),
            title: Style::new().add_modifier(Modifier::BOLD),
            key: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            cursor: Style::new().add_modifier(Modifier::REVERSED),
            marked: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            focus: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }

    /// No colour at all: meaning comes from words, symbols and text attributes.
    pub fn monochrome() -> Theme {
        let plain = Style::new();
        Theme {
            ok: plain,
            warn: plain.add_modifier(Modifier::BOLD),
            error: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            pending: plain,
            muted: plain,
            title: plain.add_modifier(Modifier::BOLD),
            key: plain.add_modifier(Modifier::BOLD),
            cursor: plain.add_modifier(Modifier::REVERSED),
            marked: plain.add_modifier(Modifier::BOLD),
            focus: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }

    /// `monochrome` when `NO_COLOR` is set to anything non-empty (no-color.org), else `colored`.
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        if no_color {
            Theme::monochrome()
        } else {
            Theme::colored()
        }
    }

    /// The style of a status.
    pub fn of(&self, status: Status) -> Style {
        match status {
            Status::Ok => self.ok,
            Status::Warn => self.warn,
            Status::Error => self.error,
            Status::Pending => self.pending,
            Status::Muted => self.muted,
        }
    }
}

/// What a status means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Error,
    Pending,
    Muted,
}

/// The symbol shown with a status, so it reads without colour.
pub fn symbol(status: Status) -> &'static str {
    match status {
        Status::Ok => "✓",
        Status::Warn => "!",
        Status::Error => "✗",
        Status::Pending => "…",
        Status::Muted => "·",
    }
}

/// A gateway state's meaning.
pub fn state_status(state: &str) -> Status {
    match state {
        "up" => Status::Ok,
        "waiting" | "upgrading" => Status::Pending,
        "down" | "config_fail" => Status::Error,
        _ => Status::Warn,
    }
}

/// An update status's meaning.
pub fn update_status(update_status: &UpdateStatus) -> Status {
    match update_status {
        UpdateStatus::Complete => Status::Ok,
        UpdateStatus::UpgradeFail => Status::Error,
        UpdateStatus::None => Status::Muted,
        in_progress if in_progress.in_progress() => Status::Pending,
        _ => Status::Warn,
    }
}

/// A finding severity's status and word, e.g. `(Error, "BLOCKER")`.
pub fn severity(severity: Severity) -> (Status, &'static str) {
    match severity {
        Severity::Blocker => (Status::Error, "BLOCKER"),
        Severity::Warning => (Status::Warn, "WARNING"),
        Severity::Info => (Status::Pending, "INFO"),
    }
}
