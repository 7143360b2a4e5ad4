//! The confirmation dialog's rules, kept pure so they are tested on their own.
//!
//! - *Cancel* has the focus when the dialog opens; `y` confirms, `n` and `Esc` cancel.
//! - Keys count only once the dialog has been on screen for [`KEY_GUARD`]: keys typed ahead
//!   (`Uy` in one burst) or in the first moment it shows are ignored, and so is pasted text.
//! - A request the planner blocks cannot be confirmed: the dialog lists the blockers.
//! - The gateway count is the number of gateways that will change ([`crate::plan::scope`]):
//!   those the filter hides included; the ones already at the target are listed apart and
//!   not sent.
//! - Disruptive operations (software rollback, image upgrade) and any operation that changes
//!   more than [`TYPED_COUNT_ABOVE`] gateways need that count typed before `Enter` confirms.
//! - A platform upgrade, the operation with the biggest effect, needs its target version
//!   typed in full (e.g. `7.2.5090`).
//!
//! The dialog carries the exact request it confirms, so it can never confirm something else.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent};
use jiff::{SignedDuration, Timestamp};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::plan::finding::{Finding, Report, Severity};
use crate::plan::request::{Action, Request, Scope};
use crate::tui::fleet::Named;

/// Above this many gateways the count must be typed.
pub const TYPED_COUNT_ABOVE: usize = 10;

/// How long the dialog must have been on screen before a key counts: longer than a frame
/// (33 ms), shorter than anyone reads it.
pub const KEY_GUARD: SignedDuration = SignedDuration::from_millis(200);

/// Rows a page key scrolls.
const PAGE: i32 = 10;

/// Which button has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Cancel,
    Confirm,
}

/// An open confirmation.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub request: Request,
    /// e.g. "Software Upgrade", with the target: "to 7.1.2100".
    pub operation: String,
    pub target: String,
    /// The gateways that will change; the count to type. For a platform upgrade, the
    /// gateways upgraded with the controller (all of them before 6.5).
    pub gateways: usize,
    /// The gateways that will change, shown and hidden: those the request names.
    pub named: Named,
    /// Gateways selected but not changed (already at the target): listed apart, not sent.
    pub skipped: Vec<String>,
    /// How long ago the last backup was taken; `None` when none was. Shown for a platform
    /// upgrade.
    pub backup_age: Option<SignedDuration>,
    pub blockers: Vec<Finding>,
    pub warnings: Vec<Finding>,
    /// Info findings, e.g. gateways already at the target.
    pub notes: Vec<Finding>,
    pub typed: Input,
    pub focus: Choice,
    /// Why the last key did not confirm, shown in the dialog.
    pub hint: Option<String>,
    /// When the dialog was first on screen; `None` until a frame showed it.
    pub first_drawn: Option<Timestamp>,
    /// The first row of the dialog's text on screen.
    pub scroll: usize,
    /// The last row `scroll` can reach, written by the draw that knows the dialog's height.
    pub scroll_max: Cell<usize>,
}

/// What a key did to the dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Open,
    Confirmed,
    Cancelled,
}

impl Confirm {
    /// The dialog for `scope`'s request; `named` splits the gateways it names into those the
    /// table shows and those the filter hides.
    pub fn new(scope: Scope, target: String, named: Named, report: &Report) -> Confirm {
        let operation = scope.request.action().title().to_owned();
        Confirm {
            request: scope.request,
            operation,
            target,
            gateways: scope.changes,
            named,
            skipped: scope.skipped,
            backup_age: None,
            blockers: report.with_severity(Severity::Blocker).cloned().collect(),
            warnings: report.with_severity(Severity::Warning).cloned().collect(),
            notes: report.with_severity(Severity::Info).cloned().collect(),
            typed: Input::default(),
            focus: Choice::Cancel,
            hint: None,
            first_drawn: None,
            scroll: 0,
            scroll_max: Cell::new(0),
        }
    }

    pub fn blocked(&self) -> bool {
        !self.blockers.is_empty()
    }

    /// Whether the gateway count must be typed before `Enter` confirms.
    pub fn needs_typed_count(&self) -> bool {
        let disruptive = matches!(
            self.request.action(),
            Action::SoftwareRollback | Action::ImageUpgrade
        );
        let gateway_operation = self.request.action() != Action::PlatformUpgrade;
        gateway_operation && (disruptive || self.gateways > TYPED_COUNT_ABOVE)
    }

    /// With the age of the last backup, shown for a platform upgrade.
    pub fn with_backup_age(mut self, age: Option<SignedDuration>) -> Confirm {
        self.backup_age = age;
        self
    }

    /// What must be typed before `Enter` confirms: the target version of a platform upgrade,
    /// the gateway count when [`Confirm::needs_typed_count`]; `None` when `y` is enough.
    pub fn typed_answer(&self) -> Option<String> {
        if self.request.action() == Action::PlatformUpgrade {
            return Some(self.target.clone());
        }
        self.needs_typed_count().then(|| self.gateways.to_string())
    }

    /// What to type, when something must be typed.
    pub fn typed_prompt(&self) -> String {
        if self.request.action() == Action::PlatformUpgrade {
            return format!("Type {}, the target version, then Enter", self.target);
        }
        format!(
            "Type {}, the number of gateways that will change, then Enter",
            self.gateways
        )
    }

    /// A frame showed the dialog at `at`. The earliest frame counts (a clock set back counts
    /// from the new time).
    pub fn drawn(&mut self, at: Timestamp) {
        self.first_drawn = Some(self.first_drawn.map_or(at, |first| first.min(at)));
    }

    /// Whether a key at `now` counts: the dialog has been on screen for [`KEY_GUARD`].
    pub fn takes_keys(&self, now: Timestamp) -> bool {
        self.first_drawn
            .is_some_and(|drawn| now.duration_since(drawn) >= KEY_GUARD)
    }

    /// Pasted text never answers a confirmation.
    pub fn refuse_paste(&mut self) {
        self.hint = Some("pasted text is ignored here: type the answer".into());
    }

    /// Scrolls the dialog's text by `rows`, within what the last draw could show.
    pub fn scroll_by(&mut self, rows: i32) {
        let moved = self.scroll.saturating_add_signed(rows as isize);
        self.scroll = moved.min(self.scroll_max.get());
    }

    /// Handles one key pressed at `now`.
    pub fn handle_key(&mut self, key: &KeyEvent, now: Timestamp) -> Outcome {
        if !self.takes_keys(now) {
            self.hint = Some(
                "ignored a key pressed before this dialog was on screen: read it, then answer"
                    .into(),
            );
            return Outcome::Open;
        }
        self.hint = None;
        match key.code {
            KeyCode::Esc | KeyCode::Char('n' | 'N') => return Outcome::Cancelled,
            KeyCode::Up => self.scroll_by(-1),
            KeyCode::Down => self.scroll_by(1),
            KeyCode::PageUp => self.scroll_by(-PAGE),
            KeyCode::PageDown => self.scroll_by(PAGE),
            _ => return self.answer(key),
        }
        Outcome::Open
    }

    /// A key that answers: `y`, `Enter`, the focus keys, or the count.
    fn answer(&mut self, key: &KeyEvent) -> Outcome {
        if self.blocked() {
            self.hint = Some("blocked by the planner: fix the blockers first (Esc closes)".into());
            return Outcome::Open;
        }
        if let Some(expected) = self.typed_answer() {
            return self.typed_key(key, &expected);
        }
        match key.code {
            KeyCode::Char('y' | 'Y') => Outcome::Confirmed,
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right => {
                self.focus = match self.focus {
                    Choice::Cancel => Choice::Confirm,
                    Choice::Confirm => Choice::Cancel,
                };
                Outcome::Open
            }
            KeyCode::Enter if self.focus == Choice::Confirm => Outcome::Confirmed,
            KeyCode::Enter => Outcome::Cancelled,
            _ => Outcome::Open,
        }
    }

    /// A key while `expected` (digits and dots) must be typed.
    fn typed_key(&mut self, key: &KeyEvent, expected: &str) -> Outcome {
        match key.code {
            KeyCode::Enter if self.typed.value().trim() == expected => Outcome::Confirmed,
            KeyCode::Enter | KeyCode::Char('y' | 'Y') => {
                self.hint = Some(format!("not yet: {}", self.typed_prompt()));
                Outcome::Open
            }
            KeyCode::Char(c) if !(c.is_ascii_digit() || c == '.') => Outcome::Open,
            _ => {
                self.typed.handle_event(&crossterm::event::Event::Key(*key));
                Outcome::Open
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::finding::Code;
    use crate::plan::request::Selection;
    use crossterm::event::KeyModifiers;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_millisecond(1_800_000_000_000 + millis).expect("time")
    }

    /// A moment when every dialog below takes keys.
    fn later() -> Timestamp {
        at(1_000)
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn names(count: usize) -> Vec<String> {
        (0..count).map(|i| format!("gw-{i}")).collect()
    }

    fn shown(names: Vec<String>) -> Named {
        Named {
            shown: names,
            hidden: Vec::new(),
        }
    }

    /// `request` changing `changes` gateways, none skipped.
    fn scope(request: Request, changes: usize) -> Scope {
        Scope {
            request,
            changes,
            skipped: Vec::new(),
        }
    }

    fn on_screen(mut dialog: Confirm) -> Confirm {
        dialog.drawn(at(0));
        dialog
    }

    fn upgrade(count: usize) -> Confirm {
        let request = Request::SoftwareUpgrade {
            gateways: Selection::Named(names(count)),
            target: None,
        };
        on_screen(Confirm::new(
            scope(request, count),
            "7.1.2100".into(),
            shown(names(count)),
            &Report::default(),
        ))
    }

    fn rollback() -> Confirm {
        let request = Request::SoftwareRollback {
            gateways: Selection::Named(names(1)),
            target: None,
        };
        on_screen(Confirm::new(
            scope(request, 1),
            "7.0.2000".into(),
            shown(names(1)),
            &Report::default(),
        ))
    }

    #[test]
    fn cancel_is_focused_and_enter_cancels() {
        let mut dialog = upgrade(3);
        assert_eq!(dialog.focus, Choice::Cancel);
        assert_eq!(
            dialog.handle_key(&key(KeyCode::Enter), later()),
            Outcome::Cancelled
        );
    }

    #[test]
    fn y_confirms_a_small_upgrade_and_n_or_esc_cancel() {
        let answer = |code| upgrade(3).handle_key(&key(code), later());
        assert_eq!(answer(KeyCode::Char('y')), Outcome::Confirmed);
        assert_eq!(answer(KeyCode::Char('n')), Outcome::Cancelled);
        assert_eq!(answer(KeyCode::Esc), Outcome::Cancelled);
        let mut tabbed = upgrade(3);
        assert_eq!(
            tabbed.handle_key(&key(KeyCode::Tab), later()),
            Outcome::Open
        );
        assert_eq!(
            tabbed.handle_key(&key(KeyCode::Enter), later()),
            Outcome::Confirmed
        );
    }

    #[test]
    fn keys_count_only_a_guard_after_the_dialog_is_first_drawn() {
        let request = Request::SoftwareUpgrade {
            gateways: Selection::Named(names(1)),
            target: None,
        };
        let mut dialog = Confirm::new(
            scope(request, 1),
            "7.1.2100".into(),
            shown(names(1)),
            &Report::default(),
        );
        let y = key(KeyCode::Char('y'));
        assert_eq!(dialog.handle_key(&y, later()), Outcome::Open, "never drawn");
        assert!(
            dialog
                .hint
                .as_deref()
                .unwrap_or("")
                .contains("before this dialog")
        );
        dialog.drawn(at(100));
        dialog.drawn(at(150));
        assert_eq!(dialog.first_drawn, Some(at(100)), "the first frame counts");
        assert_eq!(
            dialog.handle_key(&y, at(250)),
            Outcome::Open,
            "150 ms on screen"
        );
        assert!(!dialog.takes_keys(at(299)));
        assert!(dialog.takes_keys(at(300)));
        dialog.drawn(at(50));
        assert_eq!(
            dialog.first_drawn,
            Some(at(50)),
            "a clock set back counts from the new time"
        );
        assert_eq!(dialog.handle_key(&y, at(300)), Outcome::Confirmed);
    }

    #[test]
    fn more_than_ten_gateways_need_the_count_typed() {
        assert!(!upgrade(10).needs_typed_count());
        let mut dialog = upgrade(11);
        assert!(dialog.needs_typed_count());
        assert_eq!(
            dialog.handle_key(&key(KeyCode::Char('y')), later()),
            Outcome::Open
        );
        assert!(dialog.hint.as_deref().unwrap_or("").contains("Type 11,"));
        dialog.handle_key(&key(KeyCode::Char('1')), later());
        assert_eq!(
            dialog.handle_key(&key(KeyCode::Enter), later()),
            Outcome::Open,
            "1 is not 11"
        );
        dialog.handle_key(&key(KeyCode::Char('1')), later());
        assert_eq!(
            dialog.handle_key(&key(KeyCode::Enter), later()),
            Outcome::Confirmed
        );
    }

    #[test]
    fn the_count_is_what_changes_hidden_included_and_the_skipped_are_apart() {
        let request = Request::SoftwareUpgrade {
            gateways: Selection::Named(names(12)[2..].to_vec()),
            target: None,
        };
        let named = Named {
            shown: names(12)[2..4].to_vec(),
            hidden: names(12)[4..].to_vec(),
        };
        let scope = Scope {
            request,
            changes: 10,
            skipped: names(2),
        };
        let dialog = Confirm::new(scope, "7.1.2100".into(), named, &Report::default());
        assert_eq!((dialog.gateways, dialog.skipped.len()), (10, 2));
        assert!(!dialog.needs_typed_count(), "10 change: y is enough");
        assert_eq!(dialog.typed_answer(), None);
    }

    fn platform_upgrade() -> Confirm {
        let request = Request::PlatformUpgrade { target: None };
        on_screen(Confirm::new(
            scope(request, 0),
            "7.2.5090".into(),
            Named::default(),
            &Report::default(),
        ))
    }

    #[test]
    fn a_platform_upgrade_needs_its_full_target_version_typed() {
        let mut dialog = platform_upgrade();
        assert_eq!(dialog.typed_answer().as_deref(), Some("7.2.5090"));
        assert_eq!(
            dialog.handle_key(&key(KeyCode::Char('y')), later()),
            Outcome::Open,
            "y is not enough"
        );
        assert!(
            dialog
                .hint
                .as_deref()
                .unwrap_or("")
                .contains("Type 7.2.5090,"),
            "{:?}",
            dialog.hint
        );
        for c in "7.2".chars() {
            dialog.handle_key(&key(KeyCode::Char(c)), later());
        }
        assert_eq!(
            dialog.handle_key(&key(KeyCode::Enter), later()),
            Outcome::Open,
            "the train is not the version"
        );
        for c in ".5090".chars() {
            dialog.handle_key(&key(KeyCode::Char(c)), later());
        }
        assert_eq!(dialog.typed.value(), "7.2.5090");
        assert_eq!(
            dialog.handle_key(&key(KeyCode::Enter), later()),
            Outcome::Confirmed
        );
    }

    #[test]
    fn disruptive_operations_need_the_count_even_for_one_gateway() {
        let mut dialog = rollback();
        assert!(dialog.needs_typed_count());
        assert_eq!(
            dialog.handle_key(&key(KeyCode::Char('y')), later()),
            Outcome::Open
        );
        dialog.handle_key(&key(KeyCode::Char('x')), later());
        assert_eq!(dialog.typed.value(), "", "only digits are typed");
        dialog.handle_key(&key(KeyCode::Char('1')), later());
        assert_eq!(
            dialog.handle_key(&key(KeyCode::Enter), later()),
            Outcome::Confirmed
        );
    }

    #[test]
    fn a_blocked_request_cannot_be_confirmed() {
        let report = Report::new(vec![Finding::new(Code::TrainSkip, "skips a train")]);
        let request = Request::PlatformUpgrade { target: None };
        let mut dialog = on_screen(Confirm::new(
            scope(request, 0),
            "7.2.100".into(),
            Named::default(),
            &report,
        ));
        assert!(dialog.blocked());
        for code in [KeyCode::Char('y'), KeyCode::Tab, KeyCode::Enter] {
            assert_eq!(dialog.handle_key(&key(code), later()), Outcome::Open);
        }
        assert!(dialog.hint.is_some());
        assert_eq!(
            dialog.handle_key(&key(KeyCode::Esc), later()),
            Outcome::Cancelled
        );
    }

    #[test]
    fn scrolling_stays_within_what_the_draw_allows() {
        let mut dialog = upgrade(3);
        dialog.scroll_max.set(4);
        dialog.handle_key(&key(KeyCode::PageDown), later());
        assert_eq!(dialog.scroll, 4);
        dialog.handle_key(&key(KeyCode::Up), later());
        assert_eq!(dialog.scroll, 3);
        dialog.scroll_by(-PAGE);
        assert_eq!(dialog.scroll, 0);
    }
}
