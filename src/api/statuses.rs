//! `list_gateway_upgrade_status`: each gateway's Update Status, decoded once (the one
//! decoder of its stream, [`Decoded`]) and handed to whoever keeps it — a plain list for the
//! pollers, the console's live table for a refresh — as the 60 MB answer of 100,000 gateways
//! arrives.

use serde::Deserialize;

use crate::api::client::{Call, Client};
use crate::api::error::ApiError;
use crate::api::stream::{ListAt, ListSink};
use crate::snapshot::UpdateStatus;

/// One entry of `list_gateway_upgrade_status`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GatewayStatus {
    pub name: String,
    #[serde(default)]
    pub vpc_state: String,
    #[serde(default)]
    pub update_status: UpdateStatus,
    #[serde(default)]
    pub current_version: Option<String>,
    #[serde(default)]
    pub progress: Option<u8>,
    #[serde(default)]
    pub note: Option<String>,
    /// Why the gateway's last operation failed (extension; empty or absent otherwise).
    #[serde(default)]
    pub message: Option<String>,
}

impl GatewayStatus {
    /// One `gw_info` entry of `list_gateway_upgrade_status`, or why it does not decode.
    pub fn decode(element: &str) -> Result<GatewayStatus, String> {
        serde_json::from_str(element).map_err(|error| format!("gw_info entry: {error}"))
    }

    /// True while an operation works on the gateway.
    pub fn in_progress(&self) -> bool {
        self.update_status.in_progress()
    }

    /// The controller's message about the gateway's last operation, if it gave one.
    pub fn reason(&self) -> Option<String> {
        self.message
            .clone()
            .filter(|message| !message.trim().is_empty())
    }
}

/// Takes the decoded entries of `list_gateway_upgrade_status` one at a time, as they arrive
/// (see [`Client::gateway_statuses_into`]).
pub trait StatusSink: Send + 'static {
    fn take(&mut self, status: GatewayStatus);
}

impl StatusSink for Vec<GatewayStatus> {
    fn take(&mut self, status: GatewayStatus) {
        self.push(status);
    }
}

/// The one decoder of `list_gateway_upgrade_status`'s stream: each entry is decoded and handed
/// to `sink`; the first that does not decode fails the answer.
struct Decoded<T> {
    sink: T,
    error: Option<String>,
}

impl<T: StatusSink> ListSink for Decoded<T> {
    fn push(&mut self, element: &str) -> Result<(), String> {
        if self.error.is_some() {
            return Ok(());
        }
        match GatewayStatus::decode(element) {
            Ok(status) => self.sink.take(status),
            Err(error) => self.error = Some(error),
        }
        Ok(())
    }

    /// An entry that decodes where it starts is taken as `push` takes it.
    fn push_leading(&mut self, text: &str) -> Option<usize> {
        if self.error.is_some() {
            return None;
        }
        let (status, length) = crate::api::stream::leading::<GatewayStatus>(text)?;
        self.sink.take(status);
        Some(length)
    }
}

impl Client {
    /// `list_gateway_upgrade_status`, streamed: each entry is decoded as it arrives.
    pub async fn gateway_upgrade_status(&self) -> Result<Vec<GatewayStatus>, ApiError> {
        self.gateway_statuses_into(Vec::new).await
    }

    /// `list_gateway_upgrade_status` streamed into a sink from `new_sink` (a retry starts a
    /// new one), so 100,000 entries go where the caller keeps them without a list in between.
    pub async fn gateway_statuses_into<T: StatusSink>(
        &self,
        new_sink: impl Fn() -> T + Send + Sync,
    ) -> Result<T, ApiError> {
        let decoded = self
            .call_list(
                &Call::read("list_gateway_upgrade_status"),
                ListAt::Field("gw_info"),
                || Decoded {
                    sink: new_sink(),
                    error: None,
                },
            )
            .await?;
        match decoded.error {
            Some(detail) => Err(ApiError::Decode {
                action: "list_gateway_upgrade_status".into(),
                detail,
            }),
            None => Ok(decoded.sink),
        }
    }
}
