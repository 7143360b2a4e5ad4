//! Reading the controller: versions, gateways, upgrade status, compatible images, and the
//! release catalog extension.

use serde::Serialize;

use crate::cloud::Cloud;
use crate::sim::actions::Reply;
use crate::sim::listing::{GatewayFilter, Listing};
use crate::sim::params::Params;
use crate::sim::state::SimState;
use crate::sim::views;
use crate::version::{Train, Version};

#[derive(Serialize)]
struct VersionInfo {
    current_version: String,
    previous_version: String,
    kernel_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    latest_version: Option<String>,
}

/// `list_version_info`: `UserConnect-` versions; `previous_version` is empty on a controller
/// that was never upgraded; `latest_version` when asked with `latest_version=true`.
pub fn list_version_info(state: &SimState, params: &Params) -> Result<Reply, String> {
    let controller = &state.snapshot.controller;
    let latest = params.flag("latest_version")?.then(|| {
        let newest = state.catalog.latest().max(controller.current_version);
        newest.user_connect()
    });
    Ok(Reply::done(&VersionInfo {
        current_version: controller.current_version.user_connect(),
        previous_version: controller
            .previous_version
            .map(Version::user_connect)
            .unwrap_or_default(),
        kernel_version: controller.kernel_version.clone().unwrap_or_default(),
        latest_version: latest,
    }))
}

/// `list_vpcs_summary`, optionally narrowed by `gateway_name`, `account_name`, `transit_only`
/// or `spoke_only`; the records are written as the answer is sent ([`Listing`]).
pub fn list_vpcs_summary(params: &Params) -> Result<Reply, String> {
    let filter = GatewayFilter::read(params)?;
    Ok(Reply::Listing(Listing::Gateways(filter)))
}

/// `get_gateway_info`: one gateway's record.
pub fn get_gateway_info(state: &SimState, params: &Params) -> Result<Reply, String> {
    let name = params.require("gateway_name")?;
    let index = gateway_index(state, name)?;
    Ok(Reply::done(&views::record(
        &state.snapshot,
        &state.runtime,
        index,
    )))
}

/// `list_gateway_upgrade_status`: every gateway with its State and Update Status, plus the
/// window's other columns as extensions; written as the answer is sent ([`Listing`]).
pub fn list_gateway_upgrade_status() -> Reply {
    Reply::Listing(Listing::UpgradeStatus)
}

#[derive(Serialize)]
struct CompatibleImage<'a> {
    image_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kernel_version: Option<&'a str>,
}

/// `get_compatible_image_version`: the matrix's image for `cloud_type` and `software_version`.
pub fn get_compatible_image_version(state: &SimState, params: &Params) -> Result<Reply, String> {
    let code = params.require("cloud_type")?;
    let cloud = code
        .parse::<u32>()
        .ok()
        .and_then(Cloud::from_cloud_type)
        .ok_or_else(|| format!("invalid cloud_type \"{code}\": expected one of 1, 4, 8, 16, 32, 256, 1024, 2048, 8192"))?;
    let software = params.require("software_version")?;
    let train = software_train(software)?;
    let entry = state
        .catalog
        .image_for(cloud, train)
        .ok_or_else(|| format!("no compatible image for {cloud} and software {train}"))?;
    Ok(Reply::done(&CompatibleImage {
        image_version: &entry.image,
        kernel_version: entry.kernel.as_deref(),
    }))
}

/// The train of a `software_version` parameter: a version or a train.
fn software_train(text: &str) -> Result<Train, String> {
    if let Ok(version) = text.parse::<Version>() {
        return Ok(version.train());
    }
    text.trim()
        .parse::<Train>()
        .map_err(|error| error.to_string())
}

/// `get_release_catalog` (extension): the catalog as the release server offers it, in the
/// format of `spec/formats.md`.
pub fn get_release_catalog(state: &SimState) -> Reply {
    Reply::Done(state.catalog.to_json())
}

/// The position of the gateway called `name`, or the refusal for an unknown one.
pub fn gateway_index(state: &SimState, name: &str) -> Result<usize, String> {
    state
        .snapshot
        .index_of(name.trim())
        .ok_or_else(|| format!("Gateway {} does not exist.", crate::quote::quoted(name)))
}
