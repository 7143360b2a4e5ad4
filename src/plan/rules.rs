//! The upgrade rules of the guide, each a function from state to findings:
//! valid platform targets, gateways at the controller's version, rollback targets, images,
//! health and release attributes.
//!
//! Rules only read; `checks::check` decides which rules apply to which request.
//! [`Destination`] says where a gateway operation takes each gateway, for the `already-current`
//! finding and for [`crate::plan::request::will_change`], which the disruption findings and
//! the console's count follow.

use strum::IntoEnumIterator;

use crate::catalog::Catalog;
use crate::cloud::Cloud;
use crate::plan::finding::{Code, Finding};
use crate::plan::path::{self, Path};
use crate::plan::request::Action;
use crate::snapshot::{Gateway, Snapshot};
use crate::version::{Target, Train, Version};

/// How many gateway names a message spells out before it says "and N more".
pub(super) const NAMES_IN_MESSAGE: usize = 5;

/// The names of the gateways at `indices`.
pub(super) fn names_of(snapshot: &Snapshot, indices: &[usize]) -> Vec<String> {
    let gateways = snapshot.gateways();
    indices
        .iter()
        .map(|&index| gateways[index].name.to_string())
        .collect()
}

/// "1 gateway (a)", "3 gateways (a, b, c)", "40 gateways (a, b, c, d, e and 35 more)".
pub(super) fn count_and_names(names: &[String]) -> String {
    let noun = if names.len() == 1 {
        "gateway"
    } else {
        "gateways"
    };
    let shown = names[..names.len().min(NAMES_IN_MESSAGE)].join(", ");
    let rest = names.len().saturating_sub(NAMES_IN_MESSAGE);
    if rest == 0 {
        format!("{} {noun} ({shown})", names.len())
    } else {
        format!("{} {noun} ({shown} and {rest} more)", names.len())
    }
}

/// The positions of the gateways among `indices` for which `keep` holds.
fn filter(snapshot: &Snapshot, indices: &[usize], keep: impl Fn(&Gateway) -> bool) -> Vec<usize> {
    let gateways = snapshot.gateways();
    indices
        .iter()
        .copied()
        .filter(|&index| keep(&gateways[index]))
        .collect()
}

/// The gateways a message is about: "3 gateways (a, b, c)", and verbs that agree with it.
struct Subject {
    list: String,
    one: bool,
}

impl Subject {
    /// `singular` for one gateway, `plural` for several.
    fn verb<'a>(&self, singular: &'a str, plural: &'a str) -> &'a str {
        if self.one { singular } else { plural }
    }
}

/// A finding about the gateways at `indices`, or none when there are none.
fn about(
    snapshot: &Snapshot,
    code: Code,
    indices: &[usize],
    message: impl FnOnce(&Subject) -> String,
) -> Option<Finding> {
    if indices.is_empty() {
        return None;
    }
    let names = names_of(snapshot, indices);
    let subject = Subject {
        list: count_and_names(&names),
        one: names.len() == 1,
    };
    Some(Finding::about(code, message(&subject), names))
}

/// The platform target, resolved and reachable in one platform upgrade; otherwise the finding
/// that says why not (`already-current` when there is nothing to do).
pub(super) fn platform_target(
    current: Version,
    requested: Option<Target>,
    catalog: &Catalog,
) -> Result<Version, Finding> {
    let plan = path::plan_path(current, requested, catalog)?;
    match plan.hops.as_slice() {
        [] => Err(already_current(current, catalog)),
        [single] => Ok(*single),
        [first, ..] => Err(train_skip(&plan, *first)),
    }
}

fn already_current(current: Version, catalog: &Catalog) -> Finding {
    let hint = match path::next_hop(current, catalog) {
        Some(next) => format!(
            "; the next upgrade is train {} ({next}): enter {} as the target",
            next.train(),
            next.train()
        ),
        None => " and that is the newest release in the catalog".to_owned(),
    };
    Finding::new(
        Code::AlreadyCurrent,
        format!("the platform already runs {current}, the newest build of its train{hint}"),
    )
}

fn train_skip(plan: &Path, first: Version) -> Finding {
    let hops: Vec<String> = plan.hops.iter().map(Version::to_string).collect();
    Finding::new(
        Code::TrainSkip,
        format!(
            "{} to {} would skip {}: trains are upgraded one at a time. Upgrade to {} ({first}) first; the whole path is {}",
            plan.current,
            plan.target,
            skipped_trains(plan),
            first.train(),
            hops.join(" → ")
        ),
    )
}

fn skipped_trains(plan: &Path) -> String {
    let inner = &plan.hops[..plan.hops.len() - 1];
    let trains: Vec<String> = inner.iter().map(|hop| hop.train().to_string()).collect();
    format!(
        "train{} {}",
        if trains.len() == 1 { "" } else { "s" },
        trains.join(", ")
    )
}

/// Blocks a platform upgrade while any gateway runs a version other than the controller's.
pub(super) fn gateways_behind_controller(snapshot: &Snapshot) -> Option<Finding> {
    let current = snapshot.controller.current_version;
    let all: Vec<usize> = (0..snapshot.gateways().len()).collect();
    let lagging = filter(snapshot, &all, |gateway| {
        gateway.software_version != current
    });
    about(snapshot, Code::GatewaysBehindController, &lagging, |who| {
        format!(
            "{} {} not on {current}: every gateway must run the controller's version before the platform can be upgraded; upgrade {} to {current} first (Selective Gateway Upgrade)",
            who.list,
            who.verb("is", "are"),
            who.verb("it", "them")
        )
    })
}

/// The guide's corner case: after a rollback every gateway runs the controller's previous
/// version, so the controller cannot be upgraded and only support can help.
pub(super) fn stuck_mixed_versions(snapshot: &Snapshot) -> Option<Finding> {
    let controller = &snapshot.controller;
    let previous = controller.previous_version?;
    let gateways = snapshot.gateways();
    let all_on_previous = !gateways.is_empty()
        && gateways
            .iter()
            .all(|gateway| gateway.software_version == previous);
    let rolled_back = gateways
        .iter()
        .any(|gateway| gateway.previous_software_version == Some(controller.current_version));
    if previous == controller.current_version || !all_on_previous || !rolled_back {
        return None;
    }
    Some(Finding::new(
        Code::StuckMixedVersions,
        format!(
            "every gateway runs {previous}, the controller's previous version, after a rollback from {current}; the controller ({current}) cannot be upgraded until they run {current}, and if {current} is the release they were rolled back from, they cannot: contact Aviatrix Support, who will provide the API operation that upgrades the controller",
            current = controller.current_version
        ),
    ))
}

/// Blocks gateway operations on controllers older than 6.5, which have no selective upgrade.
pub(super) fn selective_upgrade_available(snapshot: &Snapshot) -> Option<Finding> {
    let current = snapshot.controller.current_version;
    current.train().before_selective_upgrade().then(|| {
        Finding::new(
            Code::SelectiveUpgradeUnavailable,
            format!(
                "the controller runs {current}: selective gateway operations exist from 6.5 on; upgrade the platform to 6.5, which upgrades every gateway with it"
            ),
        )
    })
}

/// Software upgrade: the target must be the controller's current version, and each gateway
/// must be behind it.
pub(super) fn software_upgrade_target(
    snapshot: &Snapshot,
    selected: &[usize],
    requested: Option<Version>,
) -> Vec<Finding> {
    let current = snapshot.controller.current_version;
    let mut findings = Vec::new();
    if let Some(target) = requested.filter(|&target| target != current) {
        findings.push(Finding::about(
            Code::GatewayTargetMismatch,
            format!(
                "gateways can be upgraded only to the controller's current version {current}, not {target}; to reach {target}, upgrade the platform first"
            ),
            names_of(snapshot, selected),
        ));
    }
    let ahead = filter(snapshot, selected, |gateway| {
        gateway.software_version > current
    });
    findings.extend(about(snapshot, Code::TargetBelowCurrent, &ahead, |who| {
        format!(
            "{} already {} a version newer than the controller's {current}: a software upgrade cannot go backwards",
            who.list,
            who.verb("runs", "run")
        )
    }));
    let destination = Destination::Upgrade(current);
    findings.extend(nothing_to_do(
        snapshot,
        selected,
        |gateway| destination.reached(gateway),
        &current.to_string(),
    ));
    findings
}

/// An `already-current` finding for the selected gateways for which `done` holds.
fn nothing_to_do(
    snapshot: &Snapshot,
    selected: &[usize],
    done: impl Fn(&Gateway) -> bool,
    what: &str,
) -> Option<Finding> {
    let current = filter(snapshot, selected, done);
    let all = current.len() == selected.len();
    about(snapshot, Code::AlreadyCurrent, &current, |who| {
        let suffix = if all {
            ": nothing to do"
        } else {
            who.verb(" and is skipped", " and are skipped")
        };
        format!(
            "{} already {} {what}{suffix}",
            who.list,
            who.verb("runs", "run")
        )
    })
}

/// Rollback: only to the controller's previous version, and only for gateways running a newer one.
pub(super) fn rollback_target(
    snapshot: &Snapshot,
    selected: &[usize],
    requested: Option<Version>,
) -> Vec<Finding> {
    let controller = &snapshot.controller;
    let Some(previous) = controller.previous_version else {
        let names = names_of(snapshot, selected);
        return vec![Finding::about(
            Code::NoRollbackTarget,
            format!(
                "the controller has no previous version (it was never upgraded), so gateways have nothing to roll back to; {} not rolled back",
                count_and_names(&names)
            ),
            names,
        )];
    };
    let mut findings = Vec::new();
    if let Some(target) = requested.filter(|&target| target != previous) {
        findings.push(Finding::about(
            Code::GatewayTargetMismatch,
            format!("gateways roll back only to the controller's previous version {previous}, not {target}"),
            names_of(snapshot, selected),
        ));
    }
    let destination = Destination::Rollback(Some(previous));
    let stale = filter(snapshot, selected, |gateway| !destination.changes(gateway));
    findings.extend(about(snapshot, Code::NoRollbackTarget, &stale, |who| {
        format!(
            "{} already {} {previous} (the rollback version) or older: there is nothing to roll back",
            who.list,
            who.verb("runs", "run")
        )
    }));
    findings
}

/// Image upgrade: an image must exist for the gateway's cloud and the controller's train, and
/// the gateway must run ActiveMesh.
pub(super) fn image_upgrade_target(
    snapshot: &Snapshot,
    catalog: &Catalog,
    selected: &[usize],
) -> Vec<Finding> {
    let train = snapshot.controller.current_version.train();
    let destination = Destination::images(catalog, train);
    let mut findings = Vec::new();
    let missing = filter(snapshot, selected, |gateway| {
        destination.image_for(gateway).is_none()
    });
    findings.extend(about(snapshot, Code::NoCompatibleImage, &missing, |who| {
        format!(
            "{} {} no image in the compatibility matrix for {} cloud and software {train}: an image upgrade is not available",
            who.list,
            who.verb("has", "have"),
            who.verb("its", "their")
        )
    }));
    let legacy = filter(snapshot, selected, |gateway| !gateway.active_mesh);
    findings.extend(about(snapshot, Code::ActiveMeshRequired, &legacy, |who| {
        format!(
            "{} {} not run ActiveMesh 2.0: open an Aviatrix Support ticket before an image upgrade",
            who.list,
            who.verb("does", "do")
        )
    }));
    findings.extend(nothing_to_do(
        snapshot,
        selected,
        |gateway| destination.reached(gateway),
        &format!("the image for software {train}"),
    ));
    findings
}

/// Where a gateway operation takes the gateways it changes.
pub(super) enum Destination<'c> {
    /// A software upgrade: the controller's current version.
    Upgrade(Version),
    /// A software rollback: the controller's previous version; `None` on a controller that
    /// was never upgraded, where nothing is reached.
    Rollback(Option<Version>),
    /// An image upgrade: each cloud's image for the controller's train, `None` where the
    /// compatibility matrix has none.
    Images(Vec<(Cloud, Option<&'c str>)>),
}

impl<'c> Destination<'c> {
    /// Where `action` takes gateways of `snapshot`; `None` for a platform upgrade, which
    /// selects no gateway.
    pub(super) fn of(snapshot: &Snapshot, catalog: &'c Catalog, action: Action) -> Option<Self> {
        let controller = &snapshot.controller;
        match action {
            Action::PlatformUpgrade => None,
            Action::SoftwareUpgrade => Some(Self::Upgrade(controller.current_version)),
            Action::SoftwareRollback => Some(Self::Rollback(controller.previous_version)),
            Action::ImageUpgrade => Some(Self::images(catalog, controller.current_version.train())),
        }
    }

    /// An image upgrade's destination on software `train`: the matrix is read once per cloud,
    /// not once per gateway.
    fn images(catalog: &'c Catalog, train: Train) -> Self {
        let images = Cloud::iter()
            .map(|cloud| {
                let image = catalog.image_for(cloud, train);
                (cloud, image.map(|entry| entry.image.as_str()))
            })
            .collect();
        Self::Images(images)
    }

    /// The image an image upgrade installs on `gateway`; `None` when there is none, or for a
    /// software operation.
    fn image_for(&self, gateway: &Gateway) -> Option<&'c str> {
        match self {
            Self::Upgrade(_) | Self::Rollback(_) => None,
            Self::Images(images) => images
                .iter()
                .find(|(cloud, _)| *cloud == gateway.cloud)
                .and_then(|(_, image)| *image),
        }
    }

    /// Whether `gateway` already is where the operation takes it.
    pub(super) fn reached(&self, gateway: &Gateway) -> bool {
        match self {
            Self::Upgrade(target) => *target == gateway.software_version,
            Self::Rollback(target) => *target == Some(gateway.software_version),
            Self::Images(_) => self
                .image_for(gateway)
                .is_some_and(|image| gateway.image_version.as_deref() == Some(image)),
        }
    }

    /// Whether the operation takes `gateway` somewhere it is not yet: an upgrade only forward,
    /// a rollback only back, an image upgrade only where the matrix has an image.
    pub(super) fn changes(&self, gateway: &Gateway) -> bool {
        match self {
            Self::Upgrade(target) => gateway.software_version < *target,
            Self::Rollback(target) => {
                target.is_some_and(|target| gateway.software_version > target)
            }
            Self::Images(_) => self.image_for(gateway).is_some() && !self.reached(gateway),
        }
    }
}

/// Blocks an operation that concerns a gateway which is not up or has tunnels down.
pub(super) fn unhealthy(snapshot: &Snapshot, concerned: &[usize]) -> Option<Finding> {
    let sick = filter(snapshot, concerned, |gateway| !gateway.is_healthy());
    about(snapshot, Code::GatewayUnhealthy, &sick, |who| {
        format!(
            "{} {} not up or {} tunnels down: bring every gateway up, with all tunnels up, before upgrading",
            who.list,
            who.verb("is", "are"),
            who.verb("has", "have")
        )
    })
}

/// Warnings from the target release's notes: not hitless, and OpenVPN restarts for the
/// OpenVPN gateways among `concerned`.
pub(super) fn release_attributes(
    snapshot: &Snapshot,
    catalog: &Catalog,
    target: Version,
    concerned: &[usize],
) -> Vec<Finding> {
    let Some(release) = catalog.release(target) else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    if !release.hitless {
        findings.push(Finding::new(
            Code::NotHitless,
            format!("the release notes mark {target} as not hitless: expect a brief traffic disruption; plan a maintenance window"),
        ));
    }
    if release.openvpn_restart {
        let vpn = filter(snapshot, concerned, |gateway| gateway.openvpn);
        let users: u64 = vpn
            .iter()
            .map(|&index| u64::from(snapshot.gateways()[index].openvpn_users))
            .sum();
        findings.extend(about(snapshot, Code::OpenvpnRestart, &vpn, |who| {
            format!(
                "{target} restarts the OpenVPN service: the {users} users connected to {} are disconnected and must reconnect",
                who.list
            )
        }));
    }
    findings
}

/// The gateways a platform upgrade upgrades with the controller: every one on a controller
/// older than 6.5, which has no selective upgrade; none from 6.5 on.
pub(super) fn upgraded_with_platform(snapshot: &Snapshot) -> Vec<usize> {
    let before_selective = snapshot
        .controller
        .current_version
        .train()
        .before_selective_upgrade();
    if before_selective {
        (0..snapshot.gateways().len()).collect()
    } else {
        Vec::new()
    }
}

/// Information: a controller older than 6.5 upgrades every gateway with the platform.
pub(super) fn pre_selective_platform(snapshot: &Snapshot) -> Option<Finding> {
    let current = snapshot.controller.current_version;
    current.train().before_selective_upgrade().then(|| {
        Finding::about(
            Code::Pre65AllGateways,
            format!(
                "the controller runs {current}, older than 6.5, which has no selective upgrade: this platform upgrade also upgrades all {} gateways",
                upgraded_with_platform(snapshot).len()
            ),
            Vec::new(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_lists_are_counted_and_shortened() {
        let names: Vec<String> = (1..=7).map(|n| format!("gw-{n}")).collect();
        assert_eq!(count_and_names(&names[..1]), "1 gateway (gw-1)");
        assert_eq!(count_and_names(&names[..2]), "2 gateways (gw-1, gw-2)");
        assert_eq!(
            count_and_names(&names),
            "7 gateways (gw-1, gw-2, gw-3, gw-4, gw-5 and 2 more)"
        );
    }
}
