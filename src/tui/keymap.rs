//! The keymap is data: a table of key → [`Command`], with defaults below and overrides from a
//! TOML file. The help screen and the status line's hints are generated from it.
//!
//! The file (`keymap.toml` in the config directory, or `--keymap FILE`) maps key names to
//! command names, and a command name of `"none"` unbinds a key:
//!
//! ```toml
//! [keys]
//! "x" = "mark"
//! "ctrl-u" = "page-up"
//! "a" = "none"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use strum::IntoEnumIterator;

use crate::load::{self, FileKind};
use crate::tui::message::Command;

/// The default bindings.
const DEFAULTS: &[(&str, Command)] = &[
    ("q", Command::Quit),
    ("ctrl-c", Command::Quit),
    ("?", Command::Help),
    (":", Command::CommandLine),
    ("ctrl-r", Command::Refresh),
    ("1", Command::PlatformWindow),
    ("2", Command::GatewayWindow),
    ("3", Command::RolloutWindow),
    ("tab", Command::NextWindow),
    ("k", Command::Up),
    ("up", Command::Up),
    ("j", Command::Down),
    ("down", Command::Down),
    ("g", Command::Top),
    ("home", Command::Top),
    ("G", Command::Bottom),
    ("end", Command::Bottom),
    ("pageup", Command::PageUp),
    ("pagedown", Command::PageDown),
    ("space", Command::Mark),
    ("a", Command::MarkShown),
    ("F", Command::MarkFailed),
    ("A", Command::ClearMarks),
    ("s", Command::SortNext),
    ("S", Command::SortReverse),
    ("/", Command::Filter),
    ("f", Command::FilterPicker),
    ("C", Command::ChooseColumns),
    ("enter", Command::Details),
    ("t", Command::EditTarget),
    ("d", Command::DryRun),
    ("U", Command::Upgrade),
    ("R", Command::Rollback),
    ("I", Command::ImageUpgrade),
    ("p", Command::ToggleProgress),
    ("P", Command::PauseRollout),
    ("r", Command::ResumeRollout),
    ("X", Command::AbortRollout),
    ("W", Command::WriteReport),
    ("m", Command::MarkPreflight),
    ("esc", Command::Close),
];

/// A key as the keymap names it: a code and the modifiers that matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    code: KeyCodeName,
    ctrl: bool,
    alt: bool,
}

/// `KeyCode` with an order, for a stable help screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum KeyCodeName {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Backspace,
    Delete,
    F(u8),
}

impl Key {
    /// The key of a terminal event. Shift is part of a character (`U` is shift-u) and is
    /// otherwise ignored, except for shift-tab.
    pub fn from_event(event: &KeyEvent) -> Option<Key> {
        let code = match event.code {
            KeyCode::Char(c) => KeyCodeName::Char(c),
            KeyCode::Enter => KeyCodeName::Enter,
            KeyCode::Esc => KeyCodeName::Esc,
            KeyCode::Tab => KeyCodeName::Tab,
            KeyCode::BackTab => KeyCodeName::BackTab,
            KeyCode::Up => KeyCodeName::Up,
            KeyCode::Down => KeyCodeName::Down,
            KeyCode::Left => KeyCodeName::Left,
            KeyCode::Right => KeyCodeName::Right,
            KeyCode::Home => KeyCodeName::Home,
            KeyCode::End => KeyCodeName::End,
            KeyCode::PageUp => KeyCodeName::PageUp,
            KeyCode::PageDown => KeyCodeName::PageDown,
            KeyCode::Backspace => KeyCodeName::Backspace,
            KeyCode::Delete => KeyCodeName::Delete,
            KeyCode::F(n) => KeyCodeName::F(n),
            _ => return None,
        };
        Some(Key {
            code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
            alt: event.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// Parses `ctrl-r`, `alt-x`, `U`, `space`, `pagedown`, `f5` …
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text;
        loop {
            if let Some(tail) = strip_prefix_ignore_case(rest, "ctrl-") {
                ctrl = true;
                rest = tail;
            } else if let Some(tail) = strip_prefix_ignore_case(rest, "alt-") {
                alt = true;
                rest = tail;
            } else {
                break;
            }
        }
        let code = named_code(rest).ok_or_else(|| {
            format!(
                "unknown key \"{text}\": write one character, or enter, esc, tab, backtab, space, up, down, left, right, home, end, pageup, pagedown, backspace, delete or f1–f12, with ctrl- or alt- in front"
            )
        })?;
        Ok(Key { code, ctrl, alt })
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    (head.eq_ignore_ascii_case(prefix) && text.len() > prefix.len()).then(|| &text[prefix.len()..])
}

fn named_code(name: &str) -> Option<KeyCodeName> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCodeName::Char(c));
    }
    let code = match name.to_ascii_lowercase().as_str() {
        "enter" | "return" => KeyCodeName::Enter,
        "esc" | "escape" => KeyCodeName::Esc,
        "tab" => KeyCodeName::Tab,
        "backtab" | "shift-tab" => KeyCodeName::BackTab,
        "space" => KeyCodeName::Char(' '),
        "up" => KeyCodeName::Up,
        "down" => KeyCodeName::Down,
        "left" => KeyCodeName::Left,
        "right" => KeyCodeName::Right,
        "home" => KeyCodeName::Home,
        "end" => KeyCodeName::End,
        "pageup" | "pgup" => KeyCodeName::PageUp,
        "pagedown" | "pgdn" | "pgdown" => KeyCodeName::PageDown,
        "backspace" => KeyCodeName::Backspace,
        "delete" | "del" => KeyCodeName::Delete,
        other => {
            let number: u8 = other.strip_prefix('f')?.parse().ok()?;
            (1..=12)
                .contains(&number)
                .then_some(KeyCodeName::F(number))?
        }
    };
    Some(code)
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCodeName::Char(' ') => f.write_str("space"),
            KeyCodeName::Char(c) => write!(f, "{c}"),
            KeyCodeName::Enter => f.write_str("enter"),
            KeyCodeName::Esc => f.write_str("esc"),
            KeyCodeName::Tab => f.write_str("tab"),
            KeyCodeName::BackTab => f.write_str("shift-tab"),
            KeyCodeName::Up => f.write_str("↑"),
            KeyCodeName::Down => f.write_str("↓"),
            KeyCodeName::Left => f.write_str("←"),
            KeyCodeName::Right => f.write_str("→"),
            KeyCodeName::Home => f.write_str("home"),
            KeyCodeName::End => f.write_str("end"),
            KeyCodeName::PageUp => f.write_str("pgup"),
            KeyCodeName::PageDown => f.write_str("pgdn"),
            KeyCodeName::Backspace => f.write_str("backspace"),
            KeyCodeName::Delete => f.write_str("delete"),
            KeyCodeName::F(n) => write!(f, "f{n}"),
        }
    }
}

/// The bindings in effect.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<Key, Command>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    #[serde(default)]
    keys: BTreeMap<String, String>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = DEFAULTS
            .iter()
            .filter_map(|&(name, command)| Key::parse(name).ok().map(|key| (key, command)))
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with the overrides of `file` applied.
    pub fn load(file: &Path) -> Result<Keymap, String> {
        let text = load::read_text(file, FileKind::Keymap).map_err(|error| error.to_string())?;
        Keymap::with_overrides(&text)
            .map_err(|error| format!("{}: {}", file.display(), crate::quote::clipped(&error)))
    }

    /// The defaults with the overrides in TOML `text` applied.
    pub fn with_overrides(text: &str) -> Result<Keymap, String> {
        let file: KeymapFile = toml::from_str(text).map_err(|error| error.to_string())?;
        let mut keymap = Keymap::default();
        for (key_name, command_name) in file.keys {
            let key = Key::parse(&key_name)?;
            if command_name == "none" {
                keymap.bindings.remove(&key);
                continue;
            }
            let command = parse_command(&command_name)?;
            keymap.bindings.insert(key, command);
        }
        Ok(keymap)
    }

    /// The command bound to `event`, if any.
    pub fn command(&self, event: &KeyEvent) -> Option<Command> {
        Key::from_event(event).and_then(|key| self.bindings.get(&key).copied())
    }

    /// The keys bound to `command`, plain characters first, e.g. `j`, `↓`.
    pub fn keys(&self, command: Command) -> Vec<Key> {
        let mut keys: Vec<Key> = self
            .bindings
            .iter()
            .filter(|(_, bound)| **bound == command)
            .map(|(key, _)| *key)
            .collect();
        keys.sort_by_key(|key| {
            (
                key.ctrl || key.alt,
                !matches!(key.code, KeyCodeName::Char(_)),
                *key,
            )
        });
        keys
    }

    /// The keys bound to `command` as text, e.g. `j ↓`; empty when unbound.
    pub fn keys_for(&self, command: Command) -> String {
        let keys: Vec<String> = self.keys(command).iter().map(ToString::to_string).collect();
        keys.join(" ")
    }

    /// The first key bound to `command`, for hints; empty when unbound.
    pub fn key_for(&self, command: Command) -> String {
        self.keys(command)
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// Every command with its keys, in the order [`Command`] declares them.
    pub fn help(&self) -> Vec<(String, Command)> {
        Command::iter()
            .map(|command| (self.keys_for(command), command))
            .collect()
    }
}

fn parse_command(name: &str) -> Result<Command, String> {
    name.parse().map_err(|_| {
        let names: Vec<&str> = Command::iter().map(<&str>::from).collect();
        format!(
            "unknown command \"{name}\": use one of {}, or \"none\" to unbind",
            names.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn defaults_bind_the_documented_keys() {
        let keymap = Keymap::default();
        let upper_u = press(KeyCode::Char('U'), KeyModifiers::SHIFT);
        assert_eq!(keymap.command(&upper_u), Some(Command::Upgrade));
        let ctrl_r = press(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(keymap.command(&ctrl_r), Some(Command::Refresh));
        let plain_r = press(KeyCode::Char('r'), KeyModifiers::NONE);
        assert_eq!(
            keymap.command(&plain_r),
            Some(Command::ResumeRollout),
            "r alone resumes a rollout; ctrl-r refreshes"
        );
        assert_eq!(keymap.keys_for(Command::Down), "j ↓");
        assert_eq!(keymap.key_for(Command::Quit), "q");
        assert_eq!(keymap.key_for(Command::Filter), "/");
    }

    #[test]
    fn every_default_key_name_parses_and_every_command_has_a_key() {
        for (name, _) in DEFAULTS {
            assert!(Key::parse(name).is_ok(), "{name}");
        }
        let keymap = Keymap::default();
        for command in Command::iter() {
            assert!(!keymap.keys_for(command).is_empty(), "{command:?} unbound");
        }
    }

    #[test]
    fn command_names_are_kebab_case_and_read_back() {
        let names: Vec<&str> = [Command::PageDown, Command::DryRun, Command::ImageUpgrade]
            .into_iter()
            .map(<&str>::from)
            .collect();
        assert_eq!(names, ["page-down", "dry-run", "image-upgrade"]);
        for command in Command::iter() {
            assert_eq!(parse_command(command.into()), Ok(command));
        }
        assert!(parse_command("Mark").is_err(), "names are case-sensitive");
    }

    #[test]
    fn overrides_rebind_and_unbind() {
        let keymap =
            Keymap::with_overrides("[keys]\n\"x\" = \"mark\"\n\"space\" = \"none\"\n").expect("ok");
        let x = press(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(keymap.command(&x), Some(Command::Mark));
        let space = press(KeyCode::Char(' '), KeyModifiers::NONE);
        assert_eq!(keymap.command(&space), None);
    }

    #[test]
    fn bad_overrides_say_what_is_wrong() {
        let command = Keymap::with_overrides("[keys]\n\"x\" = \"explode\"\n").expect_err("bad");
        assert!(command.contains("unknown command \"explode\""), "{command}");
        assert!(command.contains("page-down"), "{command}");
        let key = Keymap::with_overrides("[keys]\n\"hyper-x\" = \"mark\"\n").expect_err("bad");
        assert!(key.contains("unknown key \"hyper-x\""), "{key}");
        let section = Keymap::with_overrides("[keyz]\n").expect_err("bad");
        assert!(section.contains("keyz"), "{section}");
    }
}
