//! Valid upgrade paths: where a target resolves to, which hops lead there, and the "Release
//! Versions" text of the Platform Upgrade window.
//!
//! The rules of the guide ("Valid Upgrade Paths"):
//! - within a train an upgrade goes straight to the newest build; builds cannot be chosen, so a
//!   full version is a valid target only when it is the newest build of its train;
//! - trains are taken one at a time in catalog order, whatever the major number does;
//! - each hop lands on the newest build of the next train, from whatever build runs now;
//! - no target may be older than what runs now; without a target, the newest build of the
//!   running train is the target.
//!
//! Two targets name no version, and they differ ([`Unnamed`]): the guide's empty Release
//! Version field, and the Terraform provider's `latest`.

use crate::catalog::Catalog;
use crate::plan::finding::{Code, Finding};
use crate::version::{Target, Train, Version};

/// How to get from `current` to `target`: each hop is one platform upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub current: Version,
    pub target: Version,
    pub hops: Vec<Version>,
}

impl Path {
    /// True when there is nothing to upgrade.
    pub fn is_empty(&self) -> bool {
        self.hops.is_empty()
    }
}

/// The target when none is given: the newest build of the running train, or the running
/// version itself when the catalog has nothing newer in that train.
pub fn default_target(current: Version, catalog: &Catalog) -> Version {
    catalog
        .newest_in(current.train())
        .filter(|&newest| newest > current)
        .unwrap_or(current)
}

/// A platform target that names no version. The two mean different things once the newest
/// build of the running train runs, so they are never confused: the console and the CLI
/// resolve either to a version and send that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unnamed {
    /// The guide's empty Release Version field: the newest build of the running train (or the
    /// running version, when there is none newer: nothing to do).
    NewestOfRunningTrain,
    /// `latest` as the Terraform provider sends it (`upgrade` without a version, or
    /// `upgrade_platform` with `latest`), documented as "the latest release": one step toward
    /// it, the newest build of the running train if there is a newer one, otherwise the newest
    /// build of the next train (Inferred: docs/controller-api.md, "latest").
    LatestRelease,
}

impl Unnamed {
    /// The version this target means on a controller running `current`; `current` itself when
    /// there is nothing to upgrade to.
    pub fn resolve(self, current: Version, catalog: &Catalog) -> Version {
        match self {
            Unnamed::NewestOfRunningTrain => default_target(current, catalog),
            Unnamed::LatestRelease => next_hop(current, catalog).unwrap_or(current),
        }
    }
}

/// Resolves what the user asked for into one version, or the blocker that forbids it.
/// Resolving to `current` means there is nothing to do.
pub fn resolve_target(
    current: Version,
    requested: Option<Target>,
    catalog: &Catalog,
) -> Result<Version, Finding> {
    match requested {
        None => Ok(Unnamed::NewestOfRunningTrain.resolve(current, catalog)),
        Some(Target::Train(train)) => resolve_train(current, train, catalog),
        Some(Target::Version(version)) => resolve_version(current, version, catalog),
    }
}

fn resolve_train(current: Version, train: Train, catalog: &Catalog) -> Result<Version, Finding> {
    if train < current.train() {
        return Err(below_current(current, &train.to_string()));
    }
    if train == current.train() {
        return Ok(default_target(current, catalog));
    }
    catalog
        .newest_in(train)
        .ok_or_else(|| unknown_train(train, catalog))
}

fn resolve_version(
    current: Version,
    version: Version,
    catalog: &Catalog,
) -> Result<Version, Finding> {
    if version < current {
        return Err(below_current(current, &version.to_string()));
    }
    if version == current {
        return Ok(current);
    }
    let Some(newest) = catalog.newest_in(version.train()) else {
        return Err(unknown_train(version.train(), catalog));
    };
    if catalog.release(version).is_none() {
        return Err(Finding::new(
            Code::UnknownTarget,
            format!(
                "version {version} is not in the release catalog; train {} has {}",
                version.train(),
                builds_of(version.train(), catalog)
            ),
        ));
    }
    if version != newest {
        return Err(Finding::new(
            Code::BuildNotSelectable,
            format!(
                "{version} is not the newest build of train {}: builds cannot be chosen, an upgrade always lands on the newest build of a train ({newest}); enter {} or {newest}",
                version.train(),
                version.train()
            ),
        ));
    }
    Ok(version)
}

fn below_current(current: Version, requested: &str) -> Finding {
    Finding::new(
        Code::TargetBelowCurrent,
        format!(
            "target {requested} is older than the running version {current}: the platform cannot be downgraded"
        ),
    )
}

fn unknown_train(train: Train, catalog: &Catalog) -> Finding {
    let trains: Vec<String> = catalog.trains().map(|known| known.to_string()).collect();
    Finding::new(
        Code::UnknownTarget,
        format!(
            "train {train} is not in the release catalog (it has {})",
            trains.join(", ")
        ),
    )
}

fn builds_of(train: Train, catalog: &Catalog) -> String {
    let builds: Vec<String> = catalog
        .releases()
        .iter()
        .filter(|release| release.version.train() == train)
        .map(|release| release.version.to_string())
        .collect();
    builds.join(", ")
}

/// The platform upgrades from `current` to `target` (a resolved target: the newest build of
/// its train), oldest first. Within the running train that is one hop; beyond it, one hop per
/// catalog train up to and including the target's.
pub fn hops_to(current: Version, target: Version, catalog: &Catalog) -> Vec<Version> {
    if target <= current {
        return Vec::new();
    }
    if target.train() == current.train() {
        return vec![target];
    }
    catalog
        .trains_after(current.train(), target.train())
        .map(|(_, newest)| newest)
        .collect()
}

/// Resolves `requested` and lists the hops that reach it.
pub fn plan_path(
    current: Version,
    requested: Option<Target>,
    catalog: &Catalog,
) -> Result<Path, Finding> {
    let target = resolve_target(current, requested, catalog)?;
    Ok(Path {
        current,
        target,
        hops: hops_to(current, target, catalog),
    })
}

/// The next single platform upgrade from `current`: the newest build of the running train if
/// there is a newer one, otherwise the newest build of the next train.
pub fn next_hop(current: Version, catalog: &Catalog) -> Option<Version> {
    let in_train = default_target(current, catalog);
    if in_train > current {
        return Some(in_train);
    }
    catalog
        .next_train(current.train())
        .and_then(|train| catalog.newest_in(train))
}

/// The "Release Versions" field: `UserConnect-<newest> (<trains passed through>)`, e.g.
/// `UserConnect-6.6.123 (6.5,6.6)` from 6.4.321. When only a newer build of the running train
/// exists the list is that train; when already on the newest it is just `UserConnect-<newest>`.
pub fn release_versions(current: Version, catalog: &Catalog) -> String {
    let latest = catalog.latest();
    if latest <= current {
        return current.user_connect();
    }
    let mut trains: Vec<String> = catalog
        .trains_after(current.train(), latest.train())
        .map(|(train, _)| train.to_string())
        .collect();
    if trains.is_empty() {
        trains.push(current.train().to_string());
    }
    format!("{} ({})", latest.user_connect(), trains.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().expect(text)
    }

    fn catalog(versions: &[&str]) -> Catalog {
        Catalog::from_versions(versions.iter().map(|text| v(text))).expect("valid catalog")
    }

    #[test]
    fn default_target_stays_on_the_running_version_when_nothing_is_newer() {
        let catalog = catalog(&["6.5.250", "6.6.100"]);
        assert_eq!(default_target(v("6.5.100"), &catalog), v("6.5.250"));
        assert_eq!(default_target(v("6.5.250"), &catalog), v("6.5.250"));
        assert_eq!(
            default_target(v("6.5.999"), &catalog),
            v("6.5.999"),
            "newer than the catalog"
        );
    }

    #[test]
    fn next_hop_prefers_the_running_train() {
        let catalog = catalog(&["6.5.250", "6.5.750", "6.6.100"]);
        assert_eq!(next_hop(v("6.5.250"), &catalog), Some(v("6.5.750")));
        assert_eq!(next_hop(v("6.5.750"), &catalog), Some(v("6.6.100")));
        assert_eq!(next_hop(v("6.6.100"), &catalog), None);
    }

    /// The two unnamed targets agree while the running train has a newer build, and part once
    /// it has none: the guide's empty field then means "nothing to do", the provider's
    /// `latest` the next train; both stop at the latest release.
    #[test]
    fn the_empty_field_and_latest_part_on_the_newest_build_of_a_train() {
        let catalog = catalog(&["7.0.2239", "7.1.3006", "7.1.4183", "7.2.5090"]);
        let empty = Unnamed::NewestOfRunningTrain;
        let latest = Unnamed::LatestRelease;
        for (current, empty_means, latest_means) in [
            ("7.1.3006", "7.1.4183", "7.1.4183"),
            ("7.1.4183", "7.1.4183", "7.2.5090"),
            ("7.0.2239", "7.0.2239", "7.1.4183"),
            ("7.2.5090", "7.2.5090", "7.2.5090"),
        ] {
            let current = v(current);
            assert_eq!(
                empty.resolve(current, &catalog),
                v(empty_means),
                "{current}"
            );
            assert_eq!(
                latest.resolve(current, &catalog),
                v(latest_means),
                "{current}"
            );
        }
        assert_eq!(
            resolve_target(v("7.1.4183"), None, &catalog),
            Ok(v("7.1.4183")),
            "no target is the guide's empty field"
        );
    }

    #[test]
    fn a_train_below_the_running_one_is_refused_before_the_catalog_is_asked() {
        let catalog = catalog(&["6.5.250"]);
        let finding = resolve_target(
            v("6.5.250"),
            Some(Target::Train(Train::new(6, 3))),
            &catalog,
        )
        .expect_err("below");
        assert_eq!(finding.code, Code::TargetBelowCurrent);
    }

    #[test]
    fn unknown_versions_name_the_builds_of_their_train() {
        let catalog = catalog(&["6.6.100", "6.6.900"]);
        let finding = resolve_target(v("6.5.1"), Some(Target::Version(v("6.6.555"))), &catalog)
            .expect_err("unknown");
        assert_eq!(finding.code, Code::UnknownTarget);
        assert!(
            finding.message.contains("6.6.100, 6.6.900"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn release_versions_beyond_the_catalog_shows_the_running_version() {
        let catalog = catalog(&["6.5.250"]);
        assert_eq!(release_versions(v("6.6.1"), &catalog), "UserConnect-6.6.1");
    }
}
