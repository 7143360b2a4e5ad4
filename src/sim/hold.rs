//! Holding back `list_gateway_upgrade_status` (an extension for tests): while any
//! [`StatusHold`] lives, a request for it waits, without the state lock and without polling,
//! and once the last hold is released it answers with the state at that moment. A test uses it
//! to see the console draw its rows before their statuses arrive.

use tokio::sync::watch;

/// The gate `list_gateway_upgrade_status` passes before it answers: open while nobody holds it.
#[derive(Debug, Clone)]
pub struct StatusGate {
    /// How many holds are alive.
    holds: watch::Sender<usize>,
}

impl Default for StatusGate {
    fn default() -> Self {
        Self {
            holds: watch::Sender::new(0),
        }
    }
}

impl StatusGate {
    /// Closes the gate until the returned hold is released (or dropped).
    pub fn hold(&self) -> StatusHold {
        self.holds.send_modify(|holds| *holds += 1);
        StatusHold {
            holds: self.holds.clone(),
        }
    }

    /// Waits until no hold is alive; at once when none is.
    pub async fn passed(&self) {
        let mut holds = self.holds.subscribe();
        // The sender lives in the gate, so the wait cannot fail for a closed channel.
        let _ = holds.wait_for(|holds| *holds == 0).await;
    }
}

/// Holds back `list_gateway_upgrade_status` until released or dropped.
#[must_use = "the answers are held back only while the hold is kept"]
#[derive(Debug)]
pub struct StatusHold {
    holds: watch::Sender<usize>,
}

impl StatusHold {
    /// Lets the waiting requests answer (as dropping the hold does).
    pub fn release(self) {}
}

impl Drop for StatusHold {
    fn drop(&mut self) {
        self.holds
            .send_modify(|holds| *holds = holds.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const SHORT: Duration = Duration::from_millis(50);

    #[tokio::test]
    async fn the_gate_waits_while_held_and_opens_when_every_hold_is_released() {
        let gate = StatusGate::default();
        tokio::time::timeout(SHORT, gate.passed())
            .await
            .expect("open while nobody holds it");
        let first = gate.hold();
        let second = gate.hold();
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.passed().await }
        });
        first.release();
        assert!(
            tokio::time::timeout(SHORT, gate.passed()).await.is_err(),
            "still held by the second hold"
        );
        assert!(!waiting.is_finished());
        drop(second);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("released")
            .expect("the waiting task");
    }
}
