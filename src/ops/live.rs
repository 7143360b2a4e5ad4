//! What the controller last said about one gateway's upgrade, beside its record.

use crate::snapshot::{Gateway, UpdateStatus};

/// One gateway's live status from `list_gateway_upgrade_status` and the pollers. A fleet
/// keeps one per gateway, so it stays small (16 bytes): a status this build knows is kept as
/// its place among [`UpdateStatus::WORDS`], and the rare parts (a word it does not know, the
/// live state, the controller's message) are kept apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Live {
    /// The status's place in [`KNOWN`], or [`NOT_KNOWN`] when it is in the notes.
    status: u8,
    pub progress: Option<u8>,
    notes: Option<Box<Notes>>,
}

/// The statuses a [`Live`] points at.
static KNOWN: [(&str, UpdateStatus); 8] = UpdateStatus::WORDS;

/// A status outside [`KNOWN`].
const NOT_KNOWN: u8 = u8::MAX;

/// The rare parts of a [`Live`] status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Notes {
    /// A status word this build does not know.
    other: Option<UpdateStatus>,
    /// The state during an operation, when it differs from the record's.
    state: Option<String>,
    /// The controller's message about the last operation (why it failed), when it gave one.
    message: Option<String>,
}

impl Live {
    /// No status read yet: what a gateway shows while the statuses are being read.
    pub const PENDING: Live = Live {
        status: 0,
        progress: None,
        notes: None,
    };

    /// A status with no live state and no message.
    pub fn new(update_status: UpdateStatus, progress: Option<u8>) -> Live {
        let place = KNOWN.iter().position(|(_, known)| *known == update_status);
        let mut live = Live {
            status: place
                .and_then(|place| u8::try_from(place).ok())
                .unwrap_or(NOT_KNOWN),
            progress,
            notes: None,
        };
        if live.status == NOT_KNOWN {
            live.notes_mut().other = Some(update_status);
        }
        live
    }

    /// The controller's Update Status word for the gateway.
    pub fn update_status(&self) -> &UpdateStatus {
        let other = self.notes.as_ref().and_then(|notes| notes.other.as_ref());
        match KNOWN.get(usize::from(self.status)) {
            Some((_, known)) => known,
            None => other.unwrap_or(&KNOWN[0].1),
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
        assert!(size_of::<Live>() <= 16, "{} bytes", size_of::<Live>());
        for word in ["", "complete", "upgrade_fail", "rebooting"] {
            let status = UpdateStatus::from_wire(word);
            assert_eq!(Live::new(status.clone(), None).update_status(), &status);
        }
        assert_eq!(Live::PENDING.update_status(), &UpdateStatus::None);
        assert_eq!(Live::PENDING, Live::default());
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
