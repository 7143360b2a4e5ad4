//! What the controller last said about one gateway's upgrade, beside its record.

use crate::snapshot::{Gateway, UpdateStatus};

/// One gateway's live status from `list_gateway_upgrade_status` and the pollers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Live {
    pub update_status: UpdateStatus,
    /// The state during an operation, when it differs from the record's.
    pub state: Option<String>,
    pub progress: Option<u8>,
    /// The controller's message about the last operation (why it failed), when it gave one.
    pub message: Option<String>,
}

impl Live {
    /// The state to show for `gateway`: the live one during an operation, else the record's.
    pub fn shown_state<'a>(&'a self, gateway: &'a Gateway) -> &'a str {
        self.state.as_deref().unwrap_or(gateway.state.name())
    }
}
