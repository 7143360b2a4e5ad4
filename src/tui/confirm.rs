//! The confirmation dialog's rules, kept pure so they are tested on their own.
//!
//! - *Cancel* has the focus when the dialog opens; `y` confirms, `n` and `Esc` cancel.
//! - A request the planner blocks cannot be confirmed: the dialog lists the blockers.
//! - Disruptive operations (software rollback, image upgrade) and any operation on more than
//!   [`TYPED_COUNT_ABOVE`] gateways need the gateway count typed before `Enter` confirms.
//!
//! The dialog carries the exact request it confirms, so it can never confirm something else.

use crossterm::event::{KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::plan::finding::{Finding, Report, Severity};
use crate::plan::request::{Action, Request};

/// Above this many gateways the count must be typed.
pub const TYPED_COUNT_ABOVE: usize = 10;

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
    pub gateways: usize,
    pub blockers: Vec<Finding>,
    pub warnings: Vec<Finding>,
    /// Info findings, e.g. gateways already at the target.
    pub notes: Vec<Finding>,
    pub typed: Input,
    pub focus: Choice,
    /// Why the last key did not confirm, shown in the dialog.
    pub hint: Option<String>,
}

/// What a key did to the dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Open,
    Confirmed,
    Cancelled,
}

impl Confirm {
    pub fn new(request: Request, target: String, gateways: usize, report: &Report) -> Confirm {
        let operation = request.action().title().to_owned();
        Confirm {
            request,
            operation,
            target,
            gateways,
            blockers: report.with_severity(Severity::Blocker).cloned().collect(),
            warnings: report.with_severity(Severity::Warning).cloned().collect(),
            notes: report.with_severity(Severity::Info).cloned().collect(),
            typed: Input::default(),
            focus: Choice::Cancel,
            hint: None,
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

    /// Handles one key.
    pub fn handle_key(&mut self, key: &KeyEvent) -> Outcome {
        match key.code {
            KeyCode::Esc => return Outcome::Cancelled,
            KeyCode::Char('n' | 'N') => return Outcome::Cancelled,
            _ => {}
        }
        if self.blocked() {
            self.hint = Some("blocked by the planner: fix the blockers first (Esc closes)".into());
            return Outcome::Open;
        }
        if self.needs_typed_count() {
            return self.typed_key(key);
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

    fn typed_key(&mut self, key: &KeyEvent) -> Outcome {
        match key.code {
            KeyCode::Enter if self.typed.value().trim() == self.gateways.to_string() => {
                Outcome::Confirmed
            }
            KeyCode::Enter | KeyCode::Char('y' | 'Y') => {
                self.hint = Some(format!(
                    "type {} (the number of gateways), then Enter",
                    self.gateways
                ));
                Outcome::Open
            }
            KeyCode::Char(c) if !c.is_ascii_digit() => Outcome::Open,
            _ => {
                self.typed.handle_event(&crossterm::event::Event::Key(*key));
                self.hint = None;
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

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn upgrade(count: usize) -> Confirm {
        let names = (0..count).map(|i| format!("gw-{i}")).collect();
        let request = Request::SoftwareUpgrade {
            gateways: Selection::Named(names),
            target: None,
        };
        Confirm::new(request, "7.1.2100".into(), count, &Report::default())
    }

    fn rollback() -> Confirm {
        let request = Request::SoftwareRollback {
            gateways: Selection::Named(vec!["gw-0".into()]),
            target: None,
        };
        Confirm::new(request, "7.0.2000".into(), 1, &Report::default())
    }

    #[test]
    fn cancel_is_focused_and_enter_cancels() {
        let mut dialog = upgrade(3);
        assert_eq!(dialog.focus, Choice::Cancel);
        assert_eq!(dialog.handle_key(&key(KeyCode::Enter)), Outcome::Cancelled);
    }

    #[test]
    fn y_confirms_a_small_upgrade_and_n_or_esc_cancel() {
        assert_eq!(
            upgrade(3).handle_key(&key(KeyCode::Char('y'))),
            Outcome::Confirmed
        );
        assert_eq!(
            upgrade(3).handle_key(&key(KeyCode::Char('n'))),
            Outcome::Cancelled
        );
        assert_eq!(
            upgrade(3).handle_key(&key(KeyCode::Esc)),
            Outcome::Cancelled
        );
        let mut tabbed = upgrade(3);
        assert_eq!(tabbed.handle_key(&key(KeyCode::Tab)), Outcome::Open);
        assert_eq!(tabbed.handle_key(&key(KeyCode::Enter)), Outcome::Confirmed);
    }

    #[test]
    fn more_than_ten_gateways_need_the_count_typed() {
        assert!(!upgrade(10).needs_typed_count());
        let mut dialog = upgrade(11);
        assert!(dialog.needs_typed_count());
        assert_eq!(dialog.handle_key(&key(KeyCode::Char('y'))), Outcome::Open);
        assert!(dialog.hint.as_deref().unwrap_or("").contains("type 11"));
        dialog.handle_key(&key(KeyCode::Char('1')));
        assert_eq!(
            dialog.handle_key(&key(KeyCode::Enter)),
            Outcome::Open,
            "1 is not 11"
        );
        dialog.handle_key(&key(KeyCode::Char('1')));
        assert_eq!(dialog.handle_key(&key(KeyCode::Enter)), Outcome::Confirmed);
    }

    #[test]
    fn disruptive_operations_need_the_count_even_for_one_gateway() {
        let mut dialog = rollback();
        assert!(dialog.needs_typed_count());
        assert_eq!(dialog.handle_key(&key(KeyCode::Char('y'))), Outcome::Open);
        dialog.handle_key(&key(KeyCode::Char('x')));
        assert_eq!(dialog.typed.value(), "", "only digits are typed");
        dialog.handle_key(&key(KeyCode::Char('1')));
        assert_eq!(dialog.handle_key(&key(KeyCode::Enter)), Outcome::Confirmed);
    }

    #[test]
    fn a_blocked_request_cannot_be_confirmed() {
        let report = Report::new(vec![Finding::new(Code::TrainSkip, "skips a train")]);
        let request = Request::PlatformUpgrade { target: None };
        let mut dialog = Confirm::new(request, "7.2.100".into(), 0, &report);
        assert!(dialog.blocked());
        for code in [KeyCode::Char('y'), KeyCode::Tab, KeyCode::Enter] {
            assert_eq!(dialog.handle_key(&key(code)), Outcome::Open);
        }
        assert!(dialog.hint.is_some());
        assert_eq!(dialog.handle_key(&key(KeyCode::Esc)), Outcome::Cancelled);
    }
}
