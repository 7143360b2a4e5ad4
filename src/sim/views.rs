//! How the simulator shows a gateway on the wire: the `list_vpcs_summary` / `get_gateway_info`
//! record (controller-api.md §4, Confirmed field names) and the `list_gateway_upgrade_status`
//! entry (`name`, `vpc_state`, `update_status` Confirmed; every other field an extension that
//! carries a column of the Selective Gateway Upgrade window). Values the snapshot does not hold
//! (ids, sizes, addresses) are derived from the gateway's position so they stay stable.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::cloud::Cloud;
use crate::sim::state::GatewayRuntime;
use crate::snapshot::{Gateway, GatewayState, GatewayType, Role, Snapshot, UpdateStatus};

/// A gateway as `list_vpcs_summary` returns it.
#[derive(Serialize)]
pub struct GatewayRecord<'a> {
    pub vpc_name: &'a str,
    pub cloud_type: u32,
    pub account_name: &'a str,
    pub vpc_id: String,
    pub vpc_region: &'a str,
    pub gateway_zone: String,
    pub vpc_size: &'static str,
    pub gw_software_version: String,
    pub gw_image_name: &'a str,
    pub transit_vpc: &'static str,
    pub spoke_vpc: &'static str,
    pub vpc_state: &'static str,
    pub inst_state: &'static str,
    pub public_ip: String,
    pub private_ip: String,
    pub is_hagw: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_gw_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hagw_details: Option<HaDetails<'a>>,
    // Simulator extensions.
    pub gw_type: &'static str,
    pub gw_role: &'static str,
    pub kernel_version: &'a str,
    pub previous_software_version: String,
    pub previous_image_name: &'a str,
    pub tunnels_up: bool,
    pub active_mesh: bool,
    pub bgp_peers: u32,
    pub openvpn: bool,
    pub openvpn_users: u32,
    pub update_status: UpdateStatus,
}

/// The nested HA gateway of a primary (`hagw_details`, Confirmed shape).
#[derive(Serialize)]
pub struct HaDetails<'a> {
    pub vpc_name: &'a str,
    pub cloud_type: u32,
    pub vpc_size: &'static str,
    pub public_ip: String,
    pub private_ip: String,
    pub gateway_zone: String,
    pub gw_image_name: &'a str,
    pub gw_software_version: String,
}

/// A gateway as `list_gateway_upgrade_status` returns it in `gw_info[]`.
#[derive(Serialize)]
pub struct UpgradeStatusEntry<'a> {
    pub name: &'a str,
    pub vpc_state: &'static str,
    pub update_status: UpdateStatus,
    // Simulator extensions: the Selective Gateway Upgrade window's columns.
    pub current_version: String,
    pub previous_version: String,
    pub target_version: String,
    pub image_version: &'a str,
    pub previous_image_version: &'a str,
    pub target_image_version: &'a str,
    pub kernel_version: &'a str,
    pub rollback_version: String,
    pub rollback_image_version: &'a str,
    pub account_name: &'a str,
    pub cloud_type: u32,
    pub cloud: &'static str,
    pub vpc_region: &'a str,
    pub gw_type: &'static str,
    pub gw_role: &'static str,
    pub is_hagw: &'static str,
    pub peer: &'a str,
    pub tunnels_up: bool,
    pub progress: u8,
    pub note: &'a str,
    /// Why the gateway's last operation failed (empty otherwise).
    pub message: &'a str,
}

/// The `list_vpcs_summary` record of the gateway at `index`.
pub fn record<'a>(
    snapshot: &'a Snapshot,
    runtime: &[GatewayRuntime],
    index: usize,
) -> GatewayRecord<'a> {
    let gateway = &snapshot.gateways()[index];
    let hagw_details = match (gateway.role, snapshot.peer_of(index)) {
        (Role::Primary, Some(peer)) => Some(ha_details(&snapshot.gateways()[peer], peer)),
        _ => None,
    };
    let primary_gw_name = match gateway.role {
        Role::Secondary => gateway.peer.as_deref(),
        Role::Primary => None,
    };
    GatewayRecord {
        vpc_name: &gateway.name,
        cloud_type: gateway.cloud.cloud_type(),
        account_name: text(&gateway.account),
        vpc_id: gateway
            .vpc_id
            .as_deref()
            .map_or_else(|| super::fleet::vpc_id(gateway, index), str::to_owned),
        vpc_region: &gateway.region,
        gateway_zone: zone(gateway),
        vpc_size: size(gateway.cloud),
        gw_software_version: gateway.software_version.to_string(),
        gw_image_name: text(&gateway.image_version),
        transit_vpc: yes_no(gateway.gw_type == GatewayType::Transit),
        spoke_vpc: yes_no(gateway.gw_type == GatewayType::Spoke),
        vpc_state: gateway.state.name(),
        inst_state: if gateway.state == GatewayState::Down {
            "stopped"
        } else {
            "running"
        },
        public_ip: public_ip(index),
        private_ip: private_ip(index),
        is_hagw: yes_no(gateway.role == Role::Secondary),
        primary_gw_name,
        hagw_details,
        gw_type: gateway.gw_type.name(),
        gw_role: gateway.role.name(),
        kernel_version: text(&gateway.kernel_version),
        previous_software_version: optional_version(gateway.previous_software_version),
        previous_image_name: text(&gateway.previous_image_version),
        tunnels_up: gateway.tunnels_up,
        active_mesh: gateway.active_mesh,
        bgp_peers: gateway.bgp_peers,
        openvpn: gateway.openvpn,
        openvpn_users: gateway.openvpn_users,
        update_status: runtime[index].update_status.clone(),
    }
}

fn ha_details(peer: &Gateway, index: usize) -> HaDetails<'_> {
    HaDetails {
        vpc_name: &peer.name,
        cloud_type: peer.cloud.cloud_type(),
        vpc_size: size(peer.cloud),
        public_ip: public_ip(index),
        private_ip: private_ip(index),
        gateway_zone: zone(peer),
        gw_image_name: text(&peer.image_version),
        gw_software_version: peer.software_version.to_string(),
    }
}

/// The `gw_info[]` entry of the gateway at `index`.
pub fn upgrade_status<'a>(
    snapshot: &'a Snapshot,
    catalog: &'a Catalog,
    runtime: &'a [GatewayRuntime],
    index: usize,
) -> UpgradeStatusEntry<'a> {
    let gateway = &snapshot.gateways()[index];
    let controller = &snapshot.controller;
    let image_for = |version: Option<crate::version::Version>| {
        version
            .and_then(|version| catalog.image_for(gateway.cloud, version.train()))
            .map(|entry| entry.image.as_str())
    };
    let current_image = text(&gateway.image_version);
    UpgradeStatusEntry {
        name: &gateway.name,
        vpc_state: gateway.state.name(),
        update_status: runtime[index].update_status.clone(),
        current_version: gateway.software_version.to_string(),
        previous_version: optional_version(gateway.previous_software_version),
        target_version: controller.current_version.to_string(),
        image_version: current_image,
        previous_image_version: text(&gateway.previous_image_version),
        target_image_version: image_for(Some(controller.current_version)).unwrap_or(""),
        kernel_version: text(&gateway.kernel_version),
        rollback_version: optional_version(controller.previous_version),
        rollback_image_version: controller
            .previous_version
            .map(|previous| image_for(Some(previous)).unwrap_or(current_image))
            .unwrap_or(""),
        account_name: text(&gateway.account),
        cloud_type: gateway.cloud.cloud_type(),
        cloud: gateway.cloud.name(),
        vpc_region: &gateway.region,
        gw_type: gateway.gw_type.name(),
        gw_role: gateway.role.name(),
        is_hagw: yes_no(gateway.role == Role::Secondary),
        peer: text(&gateway.peer),
        tunnels_up: gateway.tunnels_up,
        progress: runtime[index].progress,
        note: runtime[index].note.as_deref().unwrap_or(""),
        message: runtime[index].message.as_deref().unwrap_or(""),
    }
}

fn text<T: AsRef<str>>(value: &Option<T>) -> &str {
    value.as_ref().map_or("", AsRef::as_ref)
}

fn optional_version(version: Option<crate::version::Version>) -> String {
    version
        .map(|version| version.to_string())
        .unwrap_or_default()
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

fn size(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Azure | Cloud::AzureGov | Cloud::AzureChina => "Standard_B2ms",
        Cloud::Gcp => "n1-standard-2",
        Cloud::Oci => "VM.Standard2.2",
        Cloud::Alibaba => "ecs.g5ne.large",
        _ => "c5.xlarge",
    }
}

fn zone(gateway: &Gateway) -> String {
    let suffix = if gateway.role == Role::Secondary {
        1
    } else {
        0
    };
    match gateway.cloud {
        Cloud::Azure | Cloud::AzureGov | Cloud::AzureChina => format!("az-{}", suffix + 1),
        Cloud::Gcp => format!("{}-{}", gateway.region, ['b', 'c'][suffix]),
        Cloud::Oci => format!("AD-{}", suffix + 1),
        _ => format!("{}{}", gateway.region, ['a', 'b'][suffix]),
    }
}

fn private_ip(index: usize) -> String {
    format!(
        "10.{}.{}.{}",
        (index >> 14) & 0xff,
        (index >> 6) & 0xff,
        ((index & 0x3f) << 2) + 4
    )
}

fn public_ip(index: usize) -> String {
    // 198.18.0.0/15 is reserved for benchmarking: never a real public address.
    format!(
        "198.{}.{}.{}",
        18 + ((index >> 16) & 1),
        (index >> 8) & 0xff,
        index & 0xff
    )
}
