//! Starting operations: `upgrade` (platform and every gateway), `upgrade_platform`,
//! `upgrade_selected_gateway` (software upgrade, rollback with `software_version=previous`,
//! image upgrade with a new `image_version`), `replace_gateway` (image upgrade alias), and the
//! `dry_run=true` form of each (controller-api.md §3.3; the dry-run flag is Invented).
//!
//! Every request goes through the planner. A dry run answers its findings; a real request that
//! breaks a rule is refused with the finding's code first in the reason.

use jiff::Timestamp;
use serde::Serialize;
use tokio::time::Instant;

use crate::plan::path::Unnamed;
use crate::plan::{self, Action, Finding, Request, Selection};
use crate::sim::actions::Reply;
use crate::sim::actions::inventory::gateway_index;
use crate::sim::engine;
use crate::sim::params::Params;
use crate::sim::state::SimState;
use crate::version::{Target, Version};

#[derive(Serialize)]
struct DryRun<'a> {
    dry_run: bool,
    operation: &'static str,
    target: Option<String>,
    blocked: bool,
    findings: &'a [Finding],
}

/// `upgrade`: the platform one step to `version` (default: the newest build of the running
/// train), and every gateway with it.
pub fn upgrade(state: &mut SimState, params: &Params, now: Instant) -> Result<Reply, String> {
    platform(state, params, "version", true, now)
}

/// `upgrade_platform`: the controller only; `gateway_list` must be empty.
pub fn upgrade_platform(
    state: &mut SimState,
    params: &Params,
    now: Instant,
) -> Result<Reply, String> {
    if params
        .get("gateway_list")
        .is_some_and(|list| !list.trim().is_empty())
    {
        return Err("upgrade_platform upgrades the controller only: gateway_list must be empty; use upgrade_selected_gateway for gateways".into());
    }
    let key = if params.get("software_version").is_some() {
        "software_version"
    } else {
        "version"
    };
    platform(state, params, key, false, now)
}

fn platform(
    state: &mut SimState,
    params: &Params,
    target_key: &str,
    with_gateways: bool,
    now: Instant,
) -> Result<Reply, String> {
    let target = platform_target(state, params.get(target_key))?;
    let request = Request::PlatformUpgrade { target };
    let asynchronous = params.flag("async")?;
    if params.flag("dry_run")? {
        let current = state.snapshot.controller.current_version;
        let resolved = plan::path::resolve_target(current, target, &state.catalog)
            .map(|version| version.to_string())
            .ok();
        return dry_run(state, &request, resolved);
    }
    let request_id = engine::start_platform(state, target, with_gateways, now)?;
    Ok(started(state, request_id, asynchronous))
}

/// The platform target of a request. An empty version is the guide's empty Release Version
/// field (the newest build of the running train); no version, or `latest`, is the provider's
/// "latest release", taken one step at a time ([`Unnamed`]).
fn platform_target(state: &SimState, value: Option<&str>) -> Result<Option<Target>, String> {
    let latest = || {
        let current = state.snapshot.controller.current_version;
        Target::Version(Unnamed::LatestRelease.resolve(current, &state.catalog))
    };
    match value.map(str::trim) {
        Some("") => Ok(None),
        None | Some("latest") => Ok(Some(latest())),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|error: crate::version::VersionError| error.to_string()),
    }
}

/// `upgrade_selected_gateway`.
pub fn upgrade_selected_gateway(
    state: &mut SimState,
    params: &Params,
    now: Instant,
) -> Result<Reply, String> {
    let names = params.list("gateway_list")?;
    for name in &names {
        gateway_index(state, name)?;
    }
    let request = gateway_request(state, params, names)?;
    let asynchronous = params.flag("async")?;
    if params.flag("dry_run")? {
        let target = request_target(state, &request);
        return dry_run(state, &request, target);
    }
    let request_id = engine::start_gateway_op(state, &request, now)?;
    Ok(started(state, request_id, asynchronous))
}

/// `replace_gateway`: an image upgrade of `gateway_name`.
pub fn replace_gateway(
    state: &mut SimState,
    params: &Params,
    now: Instant,
) -> Result<Reply, String> {
    let name = params.require("gateway_name")?;
    gateway_index(state, name)?;
    let request = Request::ImageUpgrade {
        gateways: Selection::Named(vec![name.trim().to_owned()]),
    };
    let asynchronous = params.flag("async")?;
    if params.flag("dry_run")? {
        let target = request_target(state, &request);
        return dry_run(state, &request, target);
    }
    let request_id = engine::start_gateway_op(state, &request, now)?;
    Ok(started(state, request_id, asynchronous))
}

/// Which operation the parameters ask for: `operation` (extension) when given; otherwise a
/// rollback for `software_version=previous` or the controller's previous version, an image
/// upgrade when `image_version` differs from a selected gateway's image, else a software upgrade.
fn gateway_request(
    state: &SimState,
    params: &Params,
    names: Vec<String>,
) -> Result<Request, String> {
    let software = software_version(state, params.get("software_version"))?;
    let action = match params.get("operation").map(str::trim) {
        Some(explicit) => explicit
            .parse::<Action>()
            .map_err(|error| error.to_string())?,
        None => implied_action(state, params, &names, software)?,
    };
    let gateways = Selection::Named(names);
    Ok(match action {
        Action::SoftwareRollback => Request::SoftwareRollback {
            gateways,
            target: software.filter(|_| params.get("software_version") != Some("previous")),
        },
        Action::ImageUpgrade => Request::ImageUpgrade { gateways },
        Action::SoftwareUpgrade => Request::SoftwareUpgrade {
            gateways,
            target: software,
        },
        Action::PlatformUpgrade => {
            return Err("operation platform-upgrade belongs to upgrade_platform".into());
        }
    })
}

/// `software_version`: a version, `latest` (the controller's current version) or `previous`
/// (its previous version); absent means latest.
fn software_version(state: &SimState, value: Option<&str>) -> Result<Option<Version>, String> {
    let controller = &state.snapshot.controller;
    match value.map(str::trim) {
        None | Some("") | Some("latest") => Ok(Some(controller.current_version)),
        Some("previous") => Ok(controller.previous_version),
        Some(text) => text
            .parse::<Version>()
            .map(Some)
            .map_err(|error| format!("software_version: {error}, latest or previous")),
    }
}

fn implied_action(
    state: &SimState,
    params: &Params,
    names: &[String],
    software: Option<Version>,
) -> Result<Action, String> {
    let controller = &state.snapshot.controller;
    let rollback = params.get("software_version").map(str::trim) == Some("previous")
        || (software.is_some()
            && software == controller.previous_version
            && software < Some(controller.current_version));
    if rollback {
        return Ok(Action::SoftwareRollback);
    }
    let Some(image) = params
        .get("image_version")
        .map(str::trim)
        .filter(|image| !image.is_empty())
    else {
        return Ok(Action::SoftwareUpgrade);
    };
    let changes_image = names.iter().any(|name| {
        state
            .snapshot
            .gateway(name)
            .is_some_and(|gateway| gateway.image_version.as_deref() != Some(image))
    });
    if !changes_image {
        return Ok(Action::SoftwareUpgrade);
    }
    if image != "latest" {
        compatible_everywhere(state, names, image)?;
    }
    Ok(Action::ImageUpgrade)
}

/// An explicit `image_version` must be the matrix's image for every selected gateway.
fn compatible_everywhere(state: &SimState, names: &[String], image: &str) -> Result<(), String> {
    let train = state.snapshot.controller.current_version.train();
    for name in names {
        let Some(gateway) = state.snapshot.gateway(name) else {
            continue;
        };
        let expected = state
            .catalog
            .image_for(gateway.cloud, train)
            .map(|entry| entry.image.as_str());
        if expected != Some(image) {
            return Err(format!(
                "image_version {image} is not the compatible image for gateway {name} ({} with software {train}): expected {}",
                gateway.cloud,
                expected.unwrap_or("none (no-compatible-image)")
            ));
        }
    }
    Ok(())
}

fn request_target(state: &SimState, request: &Request) -> Option<String> {
    let controller = &state.snapshot.controller;
    match request {
        Request::PlatformUpgrade { target } => target.map(|target| target.to_string()),
        Request::SoftwareUpgrade { target, .. } => {
            Some(target.unwrap_or(controller.current_version).to_string())
        }
        Request::SoftwareRollback { .. } => controller
            .previous_version
            .map(|version| version.to_string()),
        Request::ImageUpgrade { .. } => Some(controller.current_version.to_string()),
    }
}

/// The planner's findings for `request`, without starting anything.
fn dry_run(state: &SimState, request: &Request, target: Option<String>) -> Result<Reply, String> {
    let report = plan::check(&state.snapshot, &state.catalog, request, Timestamp::now())
        .map_err(|error| error.to_string())?;
    Ok(Reply::done(&DryRun {
        dry_run: true,
        operation: request.action().as_str(),
        target,
        blocked: report.has_blocker(),
        findings: &report.findings,
    }))
}

/// The answer to a started operation: its request id with `async=true` (a number on a 6.5–7.0
/// controller, a string since), otherwise the result once it has finished.
fn started(state: &SimState, request_id: u64, asynchronous: bool) -> Reply {
    match (asynchronous, state.legacy_era()) {
        (false, _) => Reply::WaitFor(request_id),
        (true, true) => Reply::done(&request_id),
        (true, false) => Reply::done(&request_id.to_string()),
    }
}
