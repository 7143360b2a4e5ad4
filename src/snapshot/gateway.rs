//! A gateway as a snapshot holds it: its persona, role and state, and every column of the
//! Selective Gateway Upgrade window that belongs to the gateway itself.

use crate::snapshot::shared_text::SharedText;
use std::fmt;

use serde::{Deserialize, Serialize};
use strum::EnumIter;

use crate::cloud::Cloud;
use crate::version::Version;

/// The gateway persona: the window's "Gateway Type".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, EnumIter,
)]
#[serde(rename_all = "lowercase")]
pub enum GatewayType {
    Transit,
    Spoke,
    Standalone,
}

/// Primary or HA secondary: the window's "Gateway Role".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, EnumIter,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Primary,
    Secondary,
}

/// The gateway state as the controller reports `vpc_state`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    EnumIter,
)]
#[serde(rename_all = "snake_case")]
pub enum GatewayState {
    #[default]
    Up,
    Down,
    Waiting,
    ConfigFail,
}

impl GatewayType {
    pub fn name(self) -> &'static str {
        match self {
            GatewayType::Transit => "transit",
            GatewayType::Spoke => "spoke",
            GatewayType::Standalone => "standalone",
        }
    }
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Secondary => "secondary",
        }
    }
}

impl GatewayState {
    pub fn name(self) -> &'static str {
        match self {
            GatewayState::Up => "up",
            GatewayState::Down => "down",
            GatewayState::Waiting => "waiting",
            GatewayState::ConfigFail => "config_fail",
        }
    }
}

impl fmt::Display for GatewayType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for GatewayState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One gateway with every column of the Selective Gateway Upgrade window that it owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gateway {
    pub name: Box<str>,
    pub cloud: Cloud,
    /// Shared text: a fleet has a few dozen regions, accounts, images and kernels, and each
    /// gateway points at its own rather than holding a copy.
    pub region: SharedText,
    #[serde(default)]
    pub account: Option<SharedText>,
    pub gw_type: GatewayType,
    pub role: Role,
    #[serde(default)]
    pub peer: Option<Box<str>>,
    /// The VPC, VNet or VCN the gateway is in, as the controller names it (`vpc_id`). An
    /// extension of the snapshot format: optional, and the simulator makes one up without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<Box<str>>,
    pub software_version: Version,
    #[serde(default)]
    pub previous_software_version: Option<Version>,
    #[serde(default)]
    pub image_version: Option<SharedText>,
    #[serde(default)]
    pub previous_image_version: Option<SharedText>,
    #[serde(default)]
    pub kernel_version: Option<SharedText>,
    #[serde(default)]
    pub state: GatewayState,
    #[serde(default = "super::controller::yes")]
    pub tunnels_up: bool,
    #[serde(default = "super::controller::yes")]
    pub active_mesh: bool,
    #[serde(default)]
    pub bgp_peers: u32,
    #[serde(default)]
    pub openvpn: bool,
    #[serde(default)]
    pub openvpn_users: u32,
}

impl Gateway {
    /// A healthy gateway with the defaults of the format for every optional field.
    pub fn new(
        name: impl Into<Box<str>>,
        cloud: Cloud,
        region: impl Into<SharedText>,
        gw_type: GatewayType,
        role: Role,
        software_version: Version,
    ) -> Self {
        Self {
            name: name.into(),
            cloud,
            region: region.into(),
            account: None,
            gw_type,
            role,
            peer: None,
            vpc_id: None,
            software_version,
            previous_software_version: None,
            image_version: None,
            previous_image_version: None,
            kernel_version: None,
            state: GatewayState::Up,
            tunnels_up: true,
            active_mesh: true,
            bgp_peers: 0,
            openvpn: false,
            openvpn_users: 0,
        }
    }

    /// Up, with every tunnel up.
    pub fn is_healthy(&self) -> bool {
        self.state == GatewayState::Up && self.tunnels_up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fleet keeps 100,000 of these: a field that grows the record shows here first.
    #[test]
    fn a_gateway_record_stays_small() {
        assert!(
            size_of::<Gateway>() <= 160,
            "{} bytes",
            size_of::<Gateway>()
        );
    }
}
