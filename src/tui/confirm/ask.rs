//! The light confirmation: a question answered with `y` (or `n`/`Esc`), for what starts no
//! operation — pausing, aborting or resuming a rollout between steps, skipping a gateway. It
//! keeps the dialog's guard: keys pressed before it was on screen for
//! [`KEY_GUARD`](super::KEY_GUARD) are ignored, and so is pasted text. It carries exactly what
//! `y` does: the job it sends, or quitting while an operation runs.

use crossterm::event::{KeyCode, KeyEvent};
use jiff::Timestamp;

use crate::ops::Job;
use crate::tui::confirm::{KEY_GUARD, Outcome};

/// What `y` does.
#[derive(Debug, Clone)]
pub enum Then {
    Send(Job),
    /// Close the console (an operation in flight goes on at the controller).
    Quit,
}

/// An open question.
#[derive(Debug, Clone)]
pub struct Ask {
    pub question: String,
    pub then: Then,
    /// What the log and the status line say once it is sent.
    pub done: String,
    pub hint: Option<String>,
    pub first_drawn: Option<Timestamp>,
}

impl Ask {
    pub fn new(question: String, job: Job, done: String) -> Ask {
        Ask {
            question,
            then: Then::Send(job),
            done,
            hint: None,
            first_drawn: None,
        }
    }

    /// Asks before quitting; `question` says what goes on without the console.
    pub fn quit(question: String) -> Ask {
        Ask {
            question,
            then: Then::Quit,
            done: "quitting".into(),
            hint: None,
            first_drawn: None,
        }
    }

    /// A frame showed the question at `at`.
    pub fn drawn(&mut self, at: Timestamp) {
        self.first_drawn = Some(self.first_drawn.map_or(at, |first| first.min(at)));
    }

    pub fn refuse_paste(&mut self) {
        self.hint = Some("pasted text is ignored here: press y or n".into());
    }

    /// Handles one key pressed at `now`.
    pub fn handle_key(&mut self, key: &KeyEvent, now: Timestamp) -> Outcome {
        let on_screen = self
            .first_drawn
            .is_some_and(|drawn| now.duration_since(drawn) >= KEY_GUARD);
        if !on_screen {
            self.hint = Some("ignored a key pressed before this question was on screen".into());
            return Outcome::Open;
        }
        match key.code {
            KeyCode::Char('y' | 'Y') => Outcome::Confirmed,
            KeyCode::Char('n' | 'N') | KeyCode::Esc => Outcome::Cancelled,
            _ => {
                self.hint = Some("press y to go ahead, n or Esc to cancel".into());
                Outcome::Open
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyModifiers;

    use super::*;
    use crate::ops::rollout::Control;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn keys_before_the_guard_are_ignored_then_y_confirms_and_esc_cancels() {
        let at = Timestamp::from_second(1_800_000_000).expect("a time");
        let job = Job::ControlRollout(Control::Abort);
        let mut ask = Ask::new("Abort?".into(), job, "aborting".into());
        assert_eq!(ask.handle_key(&key(KeyCode::Char('y')), at), Outcome::Open);
        ask.drawn(at);
        let early = at + jiff::SignedDuration::from_millis(50);
        assert_eq!(
            ask.handle_key(&key(KeyCode::Char('y')), early),
            Outcome::Open
        );
        let later = at + KEY_GUARD;
        assert_eq!(ask.handle_key(&key(KeyCode::Enter), later), Outcome::Open);
        assert_eq!(
            ask.handle_key(&key(KeyCode::Char('y')), later),
            Outcome::Confirmed
        );
        assert_eq!(
            ask.handle_key(&key(KeyCode::Esc), later),
            Outcome::Cancelled
        );
    }
}
