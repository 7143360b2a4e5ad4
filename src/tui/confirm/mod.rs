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
//! - A rollout ([`RolloutStart`]) shows every step, and always needs a value typed: the
//!   number of gateways that change, or, when it includes a platform hop, the final platform
//!   version. Resuming one (retrying its failed gateways) asks the same.
//!
//! The dialog carries the exact request (or rollout) it confirms, so it can never confirm
//! something else.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent};
use jiff::{SignedDuration, Timestamp};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::plan::finding::{Finding, Report, Severity};
use crate::plan::request::{Action, Request, Scope};
use crate::plan::rollout::Document;
use crate::tui::fleet::Named;

pub mod ask;

pub use ask::Ask;

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
    /// The target release's notes (hitless, OpenVPN, contents), shown for a platform upgrade.
    pub release_notes: Option<String>,
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
    /// The rollout this dialog starts or resumes, when it is one; `request` is then its
    /// first stage's.
    pub rollout: Option<Box<RolloutStart>>,
}

/// A rollout to start (or to resume from the journal), as confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutStart {
    pub document: Document,
    pub resume: bool,
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
            release_notes: None,
            typed: Input::default(),
            focus: Choice::Cancel,
            hint: None,
            first_drawn: None,
            scroll: 0,
            scroll_max: Cell::new(0),
            rollout: None,
        }
    }

    /// The dialog that starts (or resumes) `start`; `request` is its first stage's, `named`
    /// its gateways split by the filter.
    pub fn rollout(start: RolloutStart, request: Request, named: Named) -> Confirm {
        let document = &start.document;
        let verb = if start.resume { "Resume" } else { "Staged" };
        let target = match (document.final_platform(), document.target) {
            (Some(last), _) => format!("{last}, platform and gateways"),
            (None, Some(version)) => version.to_string(),
            (None, None) => "the compatibility matrix's image".into(),
        };
        Confirm {
            operation: format!("{verb} {}", document.rollout.action.title()),
            target,
            gateways: document.budget_base(),
            named,
            // Left out of the first stage; after a platform hop every gateway changes.
            skipped: match document.hops.is_empty() {
                true => document
                    .rollout
                    .skipped
                    .iter()
                    .map(|left| left.name.clone())
                    .collect(),
                false => Vec::new(),
            },
            ..Confirm::new(
                Scope {
                    request,
                    changes: 0,
                    skipped: Vec::new(),
                },
                String::new(),
                Named::default(),
                &Report::default(),
            )
        }
        .with_rollout(start)
    }

    fn with_rollout(mut self, start: RolloutStart) -> Confirm {
        self.rollout = Some(Box::new(start));
        self
    }

    pub fn blocked(&self) -> bool {
        !self.blockers.is_empty()
    }

    /// Whether the gateway count must be typed before `Enter` confirms.
    pub fn needs_typed_count(&self) -> bool {
        if self.rollout.is_some() {
            return true;
        }
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

    /// The same dialog, with the target release's notes to read before confirming.
    pub fn with_release_notes(mut self, notes: Option<String>) -> Confirm {
        self.release_notes = notes;
        self
    }

    /// What must be typed before `Enter` confirms: the target version of a platform upgrade,
    /// the gateway count when [`Confirm::needs_typed_count`]; `None` when `y` is enough.
    pub fn typed_answer(&self) -> Option<String> {
        if let Some(last) = self.final_platform() {
            return Some(last.to_string());
        }
        if self.request.action() == Action::PlatformUpgrade {
            return Some(self.target.clone());
        }
        self.needs_typed_count().then(|| self.gateways.to_string())
    }

    /// What to type, when something must be typed.
    pub fn typed_prompt(&self) -> String {
        if let Some(last) = self.final_platform() {
            return format!("Type {last}, the final platform version, then Enter");
        }
        if self.request.action() == Action::PlatformUpgrade {
            return format!("Type {}, the target version, then Enter", self.target);
        }
        format!(
            "Type {}, the number of gateways that will change, then Enter",
            self.gateways
        )
    }

    /// The platform version a rollout with platform hops ends on.
    fn final_platform(&self) -> Option<crate::version::Version> {
        self.rollout.as_ref()?.document.final_platform()
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
mod tests;
