//! The full runbook to a target: every platform and gateway step, in order.
//!
//! 1. Bring lagging gateways up to the controller's version.
//! 2. Upgrade the platform one hop.
//! 3. Upgrade all gateways to it.
//! 4. Repeat from 2 until the target is reached.
//!
//! A controller older than 6.5 has no selective upgrade: its platform upgrade upgrades every
//! gateway at once, so that hop has no gateway step.

use serde::Serialize;

use crate::catalog::{Catalog, Release};
use crate::plan::finding::{Code, Finding};
use crate::plan::path::{self, Path};
use crate::plan::rules;
use crate::snapshot::Snapshot;
use crate::version::{Target, Version};

/// What a step asks the controller to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepAction {
    PlatformUpgrade,
    GatewayUpgrade,
}

/// One numbered step of a runbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub step: usize,
    pub action: StepAction,
    /// The platform version before a platform step; `None` for gateway steps.
    pub from: Option<Version>,
    /// The version the step lands on.
    pub version: Version,
    /// How many gateways the step upgrades, when a snapshot is known.
    pub gateways: Option<usize>,
    pub text: String,
}

/// A path with its steps and what stands in its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runbook {
    pub path: Path,
    pub latest: Version,
    pub release_versions: String,
    pub steps: Vec<Step>,
    /// `already-current` when there is nothing to do; `stuck-mixed-versions` when the fleet
    /// is in the guide's corner case.
    pub findings: Vec<Finding>,
    /// The catalog's release of each hop, in order: what to read before upgrading.
    pub releases: Vec<Release>,
}

/// The runbook from a controller version alone (no gateway counts).
pub fn for_version(
    current: Version,
    requested: Option<Target>,
    catalog: &Catalog,
) -> Result<Runbook, Finding> {
    build(current, requested, catalog, None)
}

/// The runbook from a snapshot: starts from its controller version and counts its gateways.
pub fn for_fleet(
    snapshot: &Snapshot,
    requested: Option<Target>,
    catalog: &Catalog,
) -> Result<Runbook, Finding> {
    build(
        snapshot.controller.current_version,
        requested,
        catalog,
        Some(snapshot),
    )
}

fn build(
    current: Version,
    requested: Option<Target>,
    catalog: &Catalog,
    fleet: Option<&Snapshot>,
) -> Result<Runbook, Finding> {
    let path = path::plan_path(current, requested, catalog)?;
    let mut steps = Vec::new();
    if let Some(snapshot) = fleet {
        steps.extend(catch_up_step(snapshot));
    }
    let total = fleet.map(|snapshot| snapshot.gateways().len());
    let mut from = current;
    for &hop in &path.hops {
        steps.push(platform_step(from, hop, total));
        if !from.train().before_selective_upgrade() {
            steps.push(gateway_step(hop, total));
        }
        from = hop;
    }
    for (index, step) in steps.iter_mut().enumerate() {
        step.step = index + 1;
    }
    let mut findings: Vec<Finding> = fleet
        .and_then(rules::stuck_mixed_versions)
        .into_iter()
        .collect();
    if path.is_empty() {
        findings.push(Finding::new(
            Code::AlreadyCurrent,
            format!("the platform already runs {current}: there is no platform upgrade to make"),
        ));
    }
    let releases = path
        .hops
        .iter()
        .filter_map(|hop| catalog.release(*hop).cloned())
        .collect();
    Ok(Runbook {
        releases,
        latest: catalog.latest(),
        release_versions: path::release_versions(current, catalog),
        path,
        steps,
        findings,
    })
}

fn catch_up_step(snapshot: &Snapshot) -> Option<Step> {
    let current = snapshot.controller.current_version;
    let lagging = snapshot
        .gateways()
        .iter()
        .filter(|gateway| gateway.software_version != current)
        .count();
    if lagging == 0 {
        return None;
    }
    let how = if current.train().before_selective_upgrade() {
        "; this controller is older than 6.5 and has no selective upgrade, so use its gateway upgrade for all gateways"
    } else {
        " (Selective Gateway Upgrade)"
    };
    Some(Step {
        step: 0,
        action: StepAction::GatewayUpgrade,
        from: None,
        version: current,
        gateways: Some(lagging),
        text: format!(
            "Upgrade the {lagging} gateway{} not on {current} to {current}, the controller's version{how}: the platform cannot be upgraded while any gateway lags",
            if lagging == 1 { "" } else { "s" }
        ),
    })
}

fn platform_step(from: Version, to: Version, total: Option<usize>) -> Step {
    let all_gateways = from.train().before_selective_upgrade();
    let note = match (all_gateways, total) {
        (false, _) => String::new(),
        (true, Some(count)) => format!(
            "; the controller is older than 6.5, which has no selective upgrade, so this also upgrades all {count} gateways"
        ),
        (true, None) => "; the controller is older than 6.5, which has no selective upgrade, so this also upgrades every gateway".to_owned(),
    };
    Step {
        step: 0,
        action: StepAction::PlatformUpgrade,
        from: Some(from),
        version: to,
        gateways: if all_gateways { total } else { None },
        text: format!("Upgrade the platform from {from} to {to}{note}"),
    }
}

fn gateway_step(to: Version, total: Option<usize>) -> Step {
    let which = match total {
        Some(count) => format!("all {count} gateways"),
        None => "all gateways".to_owned(),
    };
    Step {
        step: 0,
        action: StepAction::GatewayUpgrade,
        from: None,
        version: to,
        gateways: total,
        text: format!("Upgrade {which} to {to} (Selective Gateway Upgrade)"),
    }
}
