//! What the controller last said about one gateway's upgrade, beside its record.

use crate::snapshot::{Gateway, UpdateStatus};

/// One gateway's live status from `list_gateway_upgrade_status` and the pollers. A fleet
/// keeps one per gateway, so it stays small: the live state and the controller's message,
/// which only gateways in or after an operation have, are kept apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Live {
    pub update_status: UpdateStatus,
    pub progress: Option<u8>,
    notes: Option<Box<Notes>>,
}

/// The rare parts of a [`Live`] status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Notes {
    /// The state during an operation, when it differs from the record's.
    state: Option<String>,
    /// The controller's message about the last operation (why it failed), when it gave one.
    message: Option<String>,
}

impl Live {
    /// A status with no live state and no message.
    pub const fn new(update_status: UpdateStatus, progress: Option<u8>) -> Live {
        Live {
            update_status,
            progress,
            notes: None,
        }
    }

    /// This status with the state the controller gives during an operation.
    pub fn with_state(mut self, state: Option<String>) -> Live {
        self.notes_mut().state = state;
        self.tidy()
    }

    /// This status with the controller's message about the last operation.
    pub fn with_message(mut self, message: Option<String>) -> Live {
        self.notes_mut().message = message;
        self.tidy()
    }

    /// The state during an operation, when the controller gave one.
    pub fn state(&self) -> Option<&str> {
        self.notes.as_ref()?.state.as_deref()
    }

    /// The controller's message about the last operation, when it gave one.
    pub fn message(&self) -> Option<&str> {
        self.notes.as_ref()?.message.as_deref()
    }

    /// The state to show for `gateway`: the live one during an operation, else the record's.
    pub fn shown_state<'a>(&'a self, gateway: &'a Gateway) -> &'a str {
        self.state().unwrap_or(gateway.state.name())
    }

    fn notes_mut(&mut self) -> &mut Notes {
        self.notes.get_or_insert_with(Box::default)
    }

    /// Drops empty notes, so equal statuses compare equal however they were built.
    fn tidy(mut self) -> Live {
        if self.notes.as_deref() == Some(&Notes::default()) {
            self.notes = None;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_status_is_small_and_keeps_its_state_and_message() {
        assert!(size_of::<Live>() <= 40, "{} bytes", size_of::<Live>());
        let live = Live::new(UpdateStatus::UpgradeFail, Some(3))
            .with_state(Some("down".into()))
            .with_message(Some("disk full".into()));
        assert_eq!(live.state(), Some("down"));
        assert_eq!(live.message(), Some("disk full"));
        let plain = Live::new(UpdateStatus::Complete, None)
            .with_state(None)
            .with_message(None);
        assert_eq!(plain, Live::new(UpdateStatus::Complete, None));
    }
}
