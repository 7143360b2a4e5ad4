//! The record that ends an operation: its verdict gateway by gateway, with each gateway as
//! read back afterwards.

use serde::{Deserialize, Serialize};

#[cfg(doc)]
use super::GatewayBefore;
use crate::version::Version;

/// The end of the operation, verified gateway by gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<VerdictRecord>,
}

impl Outcome {
    /// An outcome that is ok when every gateway passed.
    pub fn from_verdicts(message: impl Into<String>, verdicts: Vec<VerdictRecord>) -> Self {
        Self {
            ok: verdicts.iter().all(VerdictRecord::passed),
            message: message.into(),
            verdicts,
        }
    }
}

/// One gateway's verdict after the operation: `failure` says what is wrong, if anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictRecord {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The gateway as read back after the operation; absent when it was not listed, and in
    /// records written before the change record needed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<GatewayAfter>,
}

/// A gateway as read back after an operation: what the change record's before-and-after
/// table shows next to [`GatewayBefore`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayAfter {
    pub software: Version,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub state: String,
    pub tunnels_up: bool,
}

impl VerdictRecord {
    pub fn pass(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            failure: None,
            after: None,
        }
    }

    pub fn fail(name: impl Into<String>, failure: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            failure: Some(failure.into()),
            after: None,
        }
    }

    /// The same verdict, with the gateway as read back after the operation.
    pub fn with_after(mut self, after: Option<GatewayAfter>) -> Self {
        self.after = after;
        self
    }

    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}
