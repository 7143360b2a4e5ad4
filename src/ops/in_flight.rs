//! The mutating requests in flight: each holds a [`Ticket`] from the moment it is written to
//! the journal until its answer is. A signal closes the door ([`Door::close`]) — no request is
//! sent after it — and waits for the answers of those already out to be recorded, so a process
//! ended by a signal leaves no request unanswered in its journal. The process has one door,
//! [`DOOR`], as it has one set of signals.

use std::sync::{Mutex, PoisonError};

use tokio::sync::Notify;

/// Why a request may not be sent.
pub const CLOSED: &str = "nothing was sent: the process is stopping on a signal";

/// The process's door.
pub static DOOR: Door = Door::new();

/// Counts the requests in flight, and refuses new ones once closed.
pub struct Door {
    state: Mutex<State>,
    answered: Notify,
}

struct State {
    closed: bool,
    in_flight: usize,
}

/// One request in flight: dropped once its answer is recorded (or it was never sent).
#[derive(Debug)]
pub struct Ticket<'a>(&'a Door);

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        drop(state);
        self.0.answered.notify_waiters();
    }
}

impl std::fmt::Debug for Door {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Door")
    }
}

impl Door {
    pub const fn new() -> Door {
        Door {
            state: Mutex::new(State {
                closed: false,
                in_flight: 0,
            }),
            answered: Notify::const_new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A ticket for a request about to be written and sent; refused once the door is closed.
    pub fn enter(&self) -> Result<Ticket<'_>, String> {
        let mut state = self.lock();
        if state.closed {
            return Err(CLOSED.to_owned());
        }
        state.in_flight += 1;
        Ok(Ticket(self))
    }

    /// Closes the door to new requests and waits until every request in flight is answered.
    pub async fn close(&self) {
        loop {
            // Registered before the count is read, so no answer between the two is missed.
            let answered = self.answered.notified();
            {
                let mut state = self.lock();
                state.closed = true;
                if state.in_flight == 0 {
                    return;
                }
            }
            answered.await;
        }
    }
}

impl Default for Door {
    fn default() -> Self {
        Door::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn close_waits_for_the_tickets_out_and_then_refuses_new_ones() {
        let door: &'static Door = Box::leak(Box::new(Door::new()));
        let ticket = door.enter().expect("open");
        let closing = tokio::spawn(door.close());
        tokio::task::yield_now().await;
        assert!(!closing.is_finished(), "a request is still in flight");
        drop(ticket);
        tokio::time::timeout(std::time::Duration::from_secs(10), closing)
            .await
            .expect("close returns once the answer is recorded")
            .expect("joined");
        assert_eq!(door.enter().map(|_| ()), Err(CLOSED.to_owned()));
    }
}
