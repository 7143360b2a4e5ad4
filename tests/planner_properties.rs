//! Property tests of the planner against the guide's "Valid Upgrade Paths" and "Rules for
//! Upgrading the Platform and Gateways", over random catalogs, fleets and requests.
//!
//! Every property compares the planner with an oracle written here from the guide over the
//! test's own model of the catalog (`Releases`); no oracle calls the planner's helpers:
//!
//! 1. a path never skips a train: its hops are the consecutive catalog trains after the running
//!    one up to the target's (or the single in-train hop);
//! 2. every hop lands on the newest build of its train;
//! 3. versions only go up along a path, which ends on the resolved target;
//! 4. a runbook never upgrades the platform while a gateway lags, and leaves the controller and
//!    every gateway on the target;
//! 5. a dry run (`check`) reports a blocker for every request that breaks a rule, and (the
//!    converse) no blocker for a request that breaks none. Asking for the running version
//!    itself is taken as nothing to do, not as choosing a build. Replacing a gateway (rollback,
//!    image upgrade) whose HA peer is out of service and not replaced with it breaks a rule;
//! 6. the gateways that change whose HA peer is out of service (and not changed with them) are
//!    exactly the ones a rollback or image upgrade blocks on and a software upgrade warns
//!    about, and no finding says their traffic drains to that peer;
//! 7. the gateways a request changes (`will_change`) are the selected ones it takes somewhere
//!    they are not yet, and for an upgrade those already there are exactly the
//!    `already-current` finding;
//! 8. no disruption finding names a gateway that does not change (already at the target, or
//!    with nowhere to go), and the request the console sends names exactly those that change;
//! 9. splitting a selection into requests (`chunks`) sends every selected name exactly once,
//!    never separates an HA pair that is selected whole, keeps each request within its budget,
//!    and fills the requests (at most one more than the names' total cost divided by what
//!    every request but the last is sure to hold: the budget less the largest group, plus one);
//! 10. a rollout puts every selected gateway that changes in exactly one wave, and lists those
//!     already at the target and those a blocker names apart; no wave holds both members of an
//!     HA pair; the policy's role goes first in each pair; a disruptive operation never takes
//!     every selected gateway of a region (two or more) in one wave; the canary and the waves
//!     keep to their sizes and are filled wherever the rules allow, so their number stays
//!     within the stated bound.
//!
//! A failing case is persisted in `tests/planner_properties.proptest-regressions`, which is
//! committed: every later run replays it first.

use std::collections::BTreeSet;

use avx_upgrade::catalog::{Catalog, ImageEntry, Release};
use avx_upgrade::cloud::Cloud;
use avx_upgrade::plan::chunks::{ha_groups, pack};
use avx_upgrade::plan::path::plan_path;
use avx_upgrade::plan::rollout::{self, Order, Policy, Rollout, RolloutError, Size};
use avx_upgrade::plan::runbook::{StepAction, for_fleet};
use avx_upgrade::plan::{
    Code, Report, Request, RequestError, Selection, check, scope, will_change,
};
use avx_upgrade::snapshot::{Controller, Gateway, GatewayState, GatewayType, Role, Snapshot};
use avx_upgrade::version::{Target, Train, Version};
use jiff::Timestamp;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};

/// The clouds gateways run in; the image matrix covers a random part of them.
const CLOUDS: [Cloud; 4] = [Cloud::Aws, Cloud::Azure, Cloud::Gcp, Cloud::Oci];

/// Majors and minors of generated versions: trains 5.0 to 8.6, so 6.5 (the first train with
/// selective upgrades) falls in the middle.
const MAJORS: std::ops::RangeInclusive<u32> = 5..=8;
const MINORS: std::ops::RangeInclusive<u32> = 0..=6;
/// Builds are small numbers so that random versions often hit catalog builds.
const BUILDS: std::ops::RangeInclusive<u32> = 1..=60;

/// Proptest's defaults (256 cases, or `PROPTEST_CASES`), with failures persisted beside this
/// file (`planner_properties.proptest-regressions`).
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// Four times the default cases for the dry-run properties: a rule is tested sharply only
/// when it is the only one a request breaks, and each such case is a small share of the input.
fn check_config() -> ProptestConfig {
    let base = config();
    ProptestConfig {
        cases: base.cases * 4,
        ..base
    }
}

fn now() -> Result<Timestamp, TestCaseError> {
    "2026-11-23T00:00:00Z"
        .parse()
        .map_err(|error| TestCaseError::fail(format!("timestamp: {error}")))
}

// ---------------------------------------------------------------------------------------------
// The test's model of a catalog
// ---------------------------------------------------------------------------------------------

/// A catalog as the test sees it: trains oldest first, each with its builds oldest first, and
/// the (cloud, train) pairs the image matrix covers.
#[derive(Debug, Clone)]
struct Releases {
    trains: Vec<(Train, Vec<u32>)>,
    images: BTreeSet<(Cloud, Train)>,
}

impl Releases {
    fn versions(&self) -> Vec<Version> {
        self.trains
            .iter()
            .flat_map(|&(train, ref builds)| {
                builds
                    .iter()
                    .map(move |&build| Version::new(train.major, train.minor, build))
            })
            .collect()
    }

    fn train_list(&self) -> Vec<Train> {
        self.trains.iter().map(|&(train, _)| train).collect()
    }

    /// The newest build of `train`, by the model.
    fn newest(&self, train: Train) -> Option<Version> {
        self.trains
            .iter()
            .find(|&&(known, _)| known == train)
            .and_then(|(_, builds)| builds.iter().max())
            .map(|&build| Version::new(train.major, train.minor, build))
    }

    /// The first catalog train after `train`, by the model.
    fn next_train_after(&self, train: Train) -> Option<Train> {
        self.train_list().into_iter().filter(|&t| t > train).min()
    }

    fn has_image(&self, cloud: Cloud, train: Train) -> bool {
        self.images.contains(&(cloud, train))
    }

    /// The planner's catalog: every build (some not hitless, some restarting OpenVPN, which are
    /// warnings only) and the image matrix.
    fn catalog(&self) -> Result<Catalog, TestCaseError> {
        let releases = self
            .versions()
            .into_iter()
            .map(|version| {
                let mut release = Release::build(version);
                release.hitless = version.build % 7 != 0;
                release.openvpn_restart = version.build % 5 == 0;
                release
            })
            .collect();
        let images = self
            .images
            .iter()
            .map(|&(cloud, software)| ImageEntry {
                cloud,
                software,
                image: image_name(cloud, software),
                kernel: None,
            })
            .collect();
        Catalog::new(releases, images).map_err(|error| TestCaseError::fail(error.to_string()))
    }
}

fn image_name(cloud: Cloud, train: Train) -> String {
    format!("img-{cloud}-{train}")
}

/// 1 to 8 trains of majors 5 to 8, each with 1 to 5 builds, and an image matrix that covers
/// about nine in ten (cloud, train) pairs.
fn releases() -> impl Strategy<Value = Releases> {
    (
        prop::collection::btree_map(
            (MAJORS, MINORS),
            prop::collection::btree_set(BUILDS, 1..=5),
            1..=8,
        ),
        prop::collection::vec(prop::bool::weighted(0.9), 8 * CLOUDS.len()),
    )
        .prop_map(|(map, image_mask)| {
            let trains: Vec<(Train, Vec<u32>)> = map
                .into_iter()
                .map(|((major, minor), builds)| {
                    (Train::new(major, minor), builds.into_iter().collect())
                })
                .collect();
            let mut images = BTreeSet::new();
            for (train_index, &(train, _)) in trains.iter().enumerate() {
                for (cloud_index, &cloud) in CLOUDS.iter().enumerate() {
                    if image_mask[train_index * CLOUDS.len() + cloud_index] {
                        images.insert((cloud, train));
                    }
                }
            }
            Releases { trains, images }
        })
}

// ---------------------------------------------------------------------------------------------
// Seeds: random choices resolved against the generated catalog
// ---------------------------------------------------------------------------------------------

/// A version: mostly one of the catalog's builds, sometimes any version at all (a train the
/// catalog lacks, a build it does not list, a build newer than its newest).
#[derive(Debug, Clone)]
enum VersionSeed {
    InCatalog(Index),
    Anywhere(u32, u32, u32),
}

impl VersionSeed {
    fn resolve(&self, releases: &Releases) -> Version {
        match self {
            VersionSeed::InCatalog(index) => *index.get(&releases.versions()),
            &VersionSeed::Anywhere(major, minor, build) => Version::new(major, minor, build),
        }
    }
}

fn version_seed() -> impl Strategy<Value = VersionSeed> {
    prop_oneof![
        3 => any::<Index>().prop_map(VersionSeed::InCatalog),
        1 => (MAJORS, MINORS, BUILDS).prop_map(|(major, minor, build)| {
            VersionSeed::Anywhere(major, minor, build)
        }),
    ]
}

/// A platform target as a user could type it.
#[derive(Debug, Clone)]
enum TargetSeed {
    /// No target: the newest build of the running train.
    Default,
    /// One of the catalog's trains.
    CatalogTrain(Index),
    /// The newest build of one of the catalog's trains.
    NewestBuild(Index),
    /// Any build of the catalog, newest or not.
    AnyBuild(Index),
    /// The running train.
    RunningTrain,
    /// The catalog's newest train.
    LatestTrain,
    /// The running version.
    Running,
    /// Any train, in the catalog or not.
    AnyTrain(u32, u32),
    /// Any version, in the catalog or not.
    AnyVersion(u32, u32, u32),
}

impl TargetSeed {
    fn resolve(&self, releases: &Releases, current: Version) -> Option<Target> {
        let trains = releases.train_list();
        match self {
            TargetSeed::Default => None,
            TargetSeed::CatalogTrain(index) => Some(Target::Train(*index.get(&trains))),
            TargetSeed::NewestBuild(index) => {
                releases.newest(*index.get(&trains)).map(Target::Version)
            }
            TargetSeed::AnyBuild(index) => Some(Target::Version(*index.get(&releases.versions()))),
            TargetSeed::RunningTrain => Some(Target::Train(current.train())),
            TargetSeed::LatestTrain => trains.last().copied().map(Target::Train),
            TargetSeed::Running => Some(Target::Version(current)),
            &TargetSeed::AnyTrain(major, minor) => Some(Target::Train(Train::new(major, minor))),
            &TargetSeed::AnyVersion(major, minor, build) => {
                Some(Target::Version(Version::new(major, minor, build)))
            }
        }
    }
}

fn target_seed() -> impl Strategy<Value = TargetSeed> {
    prop_oneof![
        2 => Just(TargetSeed::Default),
        4 => any::<Index>().prop_map(TargetSeed::CatalogTrain),
        3 => any::<Index>().prop_map(TargetSeed::NewestBuild),
        2 => any::<Index>().prop_map(TargetSeed::AnyBuild),
        1 => Just(TargetSeed::RunningTrain),
        2 => Just(TargetSeed::LatestTrain),
        1 => Just(TargetSeed::Running),
        1 => (MAJORS, MINORS).prop_map(|(major, minor)| TargetSeed::AnyTrain(major, minor)),
        1 => (MAJORS, MINORS, BUILDS)
            .prop_map(|(major, minor, build)| TargetSeed::AnyVersion(major, minor, build)),
    ]
}

/// The controller's version: mostly a catalog build of 6.5 or later (so that gateway
/// operations are often allowed), otherwise any version.
#[derive(Debug, Clone)]
enum ControllerVersionSeed {
    Selective(Index),
    Any(VersionSeed),
}

impl ControllerVersionSeed {
    fn resolve(&self, releases: &Releases) -> Version {
        match self {
            ControllerVersionSeed::Selective(index) => {
                let selective: Vec<Version> = releases
                    .versions()
                    .into_iter()
                    .filter(|version| !version.train().before_selective_upgrade())
                    .collect();
                if selective.is_empty() {
                    *index.get(&releases.versions())
                } else {
                    *index.get(&selective)
                }
            }
            ControllerVersionSeed::Any(seed) => seed.resolve(releases),
        }
    }
}

/// The controller's previous version: none (never upgraded), mostly a catalog build older than
/// the running one, otherwise any version up to the running one (a newer one does not load).
#[derive(Debug, Clone)]
enum PreviousSeed {
    Never,
    Older(Index),
    Any(VersionSeed),
}

impl PreviousSeed {
    fn resolve(&self, releases: &Releases, current: Version) -> Option<Version> {
        match self {
            PreviousSeed::Never => None,
            PreviousSeed::Older(index) => {
                let older: Vec<Version> = releases
                    .versions()
                    .into_iter()
                    .filter(|&version| version < current)
                    .collect();
                (!older.is_empty()).then(|| *index.get(&older))
            }
            PreviousSeed::Any(seed) => {
                Some(seed.resolve(releases)).filter(|&previous| previous <= current)
            }
        }
    }
}

/// The controller: its version, the version before its last upgrade, and the two checklist
/// items that are blockers.
#[derive(Debug, Clone)]
struct ControllerSeed {
    version: ControllerVersionSeed,
    previous: PreviousSeed,
    dns_ok: bool,
    internet_ok: bool,
}

fn controller_seed() -> impl Strategy<Value = ControllerSeed> {
    (
        prop_oneof![
            3 => any::<Index>().prop_map(ControllerVersionSeed::Selective),
            1 => version_seed().prop_map(ControllerVersionSeed::Any),
        ],
        prop_oneof![
            1 => Just(PreviousSeed::Never),
            4 => any::<Index>().prop_map(PreviousSeed::Older),
            1 => version_seed().prop_map(PreviousSeed::Any),
        ],
        prop::bool::weighted(0.95),
        prop::bool::weighted(0.95),
    )
        .prop_map(|(version, previous, dns_ok, internet_ok)| ControllerSeed {
            version,
            previous,
            dns_ok,
            internet_ok,
        })
}

/// One gateway; `version: None` means the controller's version.
#[derive(Debug, Clone)]
struct GatewaySeed {
    version: Option<VersionSeed>,
    previous: Option<VersionSeed>,
    cloud: Cloud,
    gw_type: GatewayType,
    state: GatewayState,
    tunnels_up: bool,
    active_mesh: bool,
    on_target_image: bool,
    openvpn: bool,
    bgp_peers: u32,
    /// Which of three regions it is in.
    region: u8,
}

fn gateway_seed() -> impl Strategy<Value = GatewaySeed> {
    (
        prop::option::weighted(0.3, version_seed()),
        prop::option::weighted(0.5, version_seed()),
        prop::sample::select(CLOUDS.to_vec()),
        prop::sample::select(vec![
            GatewayType::Transit,
            GatewayType::Spoke,
            GatewayType::Standalone,
        ]),
        prop_oneof![
            12 => Just(GatewayState::Up),
            1 => Just(GatewayState::Down),
            1 => Just(GatewayState::Waiting),
            1 => Just(GatewayState::ConfigFail),
        ],
        prop::bool::weighted(0.93),
        prop::bool::weighted(0.93),
        any::<bool>(),
        prop::bool::weighted(0.2),
        0u32..3,
        0u8..3,
    )
        .prop_map(
            |(
                version,
                previous,
                cloud,
                gw_type,
                state,
                tunnels_up,
                active_mesh,
                on_target_image,
                openvpn,
                bgp_peers,
                region,
            )| GatewaySeed {
                version,
                previous,
                cloud,
                gw_type,
                state,
                tunnels_up,
                active_mesh,
                on_target_image,
                openvpn,
                bgp_peers,
                region,
            },
        )
}

/// 0 to 19 gateways. Most fleets run the controller's version everywhere and most are healthy
/// everywhere, so that clean fleets (and fleets with a single fault) are common even when
/// large; `paired` makes gateways 2k and 2k+1 HA peers.
#[derive(Debug, Clone)]
struct FleetSeed {
    gateways: Vec<GatewaySeed>,
    in_sync: bool,
    healthy: bool,
    paired: bool,
}

fn fleet_seed() -> impl Strategy<Value = FleetSeed> {
    (
        prop::collection::vec(gateway_seed(), 0..20),
        prop::bool::weighted(0.6),
        prop::bool::weighted(0.6),
        any::<bool>(),
    )
        .prop_map(|(gateways, in_sync, healthy, paired)| FleetSeed {
            gateways,
            in_sync,
            healthy,
            paired,
        })
}

fn snapshot(
    releases: &Releases,
    controller_seed: &ControllerSeed,
    fleet: &FleetSeed,
) -> Result<Snapshot, TestCaseError> {
    let current = controller_seed.version.resolve(releases);
    let mut controller = Controller::new(current);
    controller.previous_version = controller_seed.previous.resolve(releases, current);
    controller.checklist.dns_ok = controller_seed.dns_ok;
    controller.checklist.internet_ok = controller_seed.internet_ok;
    let count = fleet.gateways.len();
    let gateways = fleet
        .gateways
        .iter()
        .enumerate()
        .map(|(index, seed)| {
            let version = match (&seed.version, fleet.in_sync) {
                (Some(version), false) => version.resolve(releases),
                _ => current,
            };
            let role = if index % 2 == 0 {
                Role::Primary
            } else {
                Role::Secondary
            };
            let mut gateway = Gateway::new(
                format!("gw-{index}"),
                seed.cloud,
                format!("region-{}", seed.region),
                seed.gw_type,
                role,
                version,
            );
            let peer = index ^ 1;
            if fleet.paired && peer < count {
                gateway.peer = Some(format!("gw-{peer}").into());
            }
            gateway.previous_software_version =
                seed.previous.as_ref().map(|seed| seed.resolve(releases));
            if !fleet.healthy {
                gateway.state = seed.state;
                gateway.tunnels_up = seed.tunnels_up;
                gateway.active_mesh = seed.active_mesh;
            }
            if seed.on_target_image {
                gateway.image_version = Some(image_name(seed.cloud, current.train()).into());
            }
            gateway.openvpn = seed.openvpn;
            gateway.openvpn_users = if seed.openvpn { 3 } else { 0 };
            gateway.bgp_peers = seed.bgp_peers;
            gateway
        })
        .collect();
    Snapshot::new(controller, gateways).map_err(|error| TestCaseError::fail(error.to_string()))
}

/// Which gateways a gateway operation names: all, or some (possibly listed twice).
#[derive(Debug, Clone)]
enum SelectionSeed {
    All,
    Named(Vec<Index>),
}

impl SelectionSeed {
    /// The selection, and the positions it covers (none in an empty fleet).
    fn resolve(&self, snapshot: &Snapshot) -> (Selection, Vec<usize>) {
        let count = snapshot.gateways().len();
        match self {
            SelectionSeed::All => (Selection::All, (0..count).collect()),
            SelectionSeed::Named(_) if count == 0 => (Selection::Named(Vec::new()), Vec::new()),
            SelectionSeed::Named(indices) => {
                let positions: Vec<usize> =
                    indices.iter().map(|index| index.index(count)).collect();
                let names = positions.iter().map(|p| format!("gw-{p}")).collect();
                let unique: BTreeSet<usize> = positions.into_iter().collect();
                (Selection::Named(names), unique.into_iter().collect())
            }
        }
    }
}

fn selection_seed() -> impl Strategy<Value = SelectionSeed> {
    prop_oneof![
        1 => Just(SelectionSeed::All),
        2 => prop::collection::vec(any::<Index>(), 1..5).prop_map(SelectionSeed::Named),
    ]
}

/// An explicit gateway software target.
#[derive(Debug, Clone)]
enum GatewayTargetSeed {
    Unset,
    ControllerCurrent,
    ControllerPrevious,
    Other(VersionSeed),
}

impl GatewayTargetSeed {
    fn resolve(&self, releases: &Releases, controller: &Controller) -> Option<Version> {
        match self {
            GatewayTargetSeed::Unset => None,
            GatewayTargetSeed::ControllerCurrent => Some(controller.current_version),
            GatewayTargetSeed::ControllerPrevious => controller.previous_version,
            GatewayTargetSeed::Other(seed) => Some(seed.resolve(releases)),
        }
    }
}

fn gateway_target_seed() -> impl Strategy<Value = GatewayTargetSeed> {
    prop_oneof![
        4 => Just(GatewayTargetSeed::Unset),
        2 => Just(GatewayTargetSeed::ControllerCurrent),
        2 => Just(GatewayTargetSeed::ControllerPrevious),
        1 => version_seed().prop_map(GatewayTargetSeed::Other),
    ]
}

#[derive(Debug, Clone)]
enum RequestSeed {
    Platform(TargetSeed),
    Software(SelectionSeed, GatewayTargetSeed),
    Rollback(SelectionSeed, GatewayTargetSeed),
    Image(SelectionSeed),
}

fn request_seed() -> impl Strategy<Value = RequestSeed> {
    prop_oneof![
        target_seed().prop_map(RequestSeed::Platform),
        (selection_seed(), gateway_target_seed())
            .prop_map(|(selection, target)| RequestSeed::Software(selection, target)),
        (selection_seed(), gateway_target_seed())
            .prop_map(|(selection, target)| RequestSeed::Rollback(selection, target)),
        selection_seed().prop_map(RequestSeed::Image),
    ]
}

/// The request, and the positions of the gateways it concerns (every gateway for a platform
/// upgrade).
fn request(seed: &RequestSeed, releases: &Releases, snapshot: &Snapshot) -> (Request, Vec<usize>) {
    let controller = &snapshot.controller;
    match seed {
        RequestSeed::Platform(target) => (
            Request::PlatformUpgrade {
                target: target.resolve(releases, controller.current_version),
            },
            (0..snapshot.gateways().len()).collect(),
        ),
        RequestSeed::Software(selection, target) => {
            let (gateways, selected) = selection.resolve(snapshot);
            let target = target.resolve(releases, controller);
            (Request::SoftwareUpgrade { gateways, target }, selected)
        }
        RequestSeed::Rollback(selection, target) => {
            let (gateways, selected) = selection.resolve(snapshot);
            let target = target.resolve(releases, controller);
            (Request::SoftwareRollback { gateways, target }, selected)
        }
        RequestSeed::Image(selection) => {
            let (gateways, selected) = selection.resolve(snapshot);
            (Request::ImageUpgrade { gateways }, selected)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Oracles, from the guide
// ---------------------------------------------------------------------------------------------

/// What the guide makes of a platform target from `current`: the version it lands on, or why
/// it is refused.
///
/// - No target, or the running train: the newest build of the running train (the running
///   version when the catalog has nothing newer in it).
/// - A train: its newest build; it may not be older than the running train and must exist.
/// - A version: builds cannot be chosen, so it must be the newest build of a catalog train,
///   and it may not be older than the running version. Asking for the running version itself
///   is nothing to do rather than a choice of build.
fn resolve_target(
    releases: &Releases,
    current: Version,
    requested: Option<Target>,
) -> Result<Version, &'static str> {
    let in_train = releases
        .newest(current.train())
        .filter(|&newest| newest > current)
        .unwrap_or(current);
    match requested {
        None => Ok(in_train),
        Some(Target::Train(train)) if train < current.train() => {
            Err("the target train is older than the running one")
        }
        Some(Target::Train(train)) if train == current.train() => Ok(in_train),
        Some(Target::Train(train)) => releases
            .newest(train)
            .ok_or("the target train is not in the catalog"),
        Some(Target::Version(version)) if version < current => {
            Err("the target version is older than the running one")
        }
        Some(Target::Version(version)) if version == current => Ok(current),
        Some(Target::Version(version)) if releases.newest(version.train()) == Some(version) => {
            Ok(version)
        }
        Some(Target::Version(_)) => {
            Err("the target version is not the newest build of a catalog train")
        }
    }
}

/// The trains a path from `current` to the resolved `target` passes through, by the guide:
/// none when there is nothing to do, the running train for an in-train upgrade, otherwise
/// every catalog train after the running one up to the target's, in order.
fn expected_trains(releases: &Releases, current: Version, target: Version) -> Vec<Train> {
    if target <= current {
        Vec::new()
    } else if target.train() == current.train() {
        vec![current.train()]
    } else {
        releases
            .train_list()
            .into_iter()
            .filter(|&train| train > current.train() && train <= target.train())
            .collect()
    }
}

fn is_healthy(gateway: &Gateway) -> bool {
    gateway.state == GatewayState::Up && gateway.tunnels_up
}

/// The concerned gateways whose HA peer is not concerned and not up with all tunnels up: the
/// guide drains a replaced gateway's traffic to its peer, which this peer cannot take.
fn peers_out_of_service(snapshot: &Snapshot, concerned: &[usize]) -> BTreeSet<String> {
    let gateways = snapshot.gateways();
    concerned
        .iter()
        .filter(|&&index| {
            gateways[index]
                .peer
                .as_deref()
                .and_then(|peer| snapshot.index_of(peer))
                .is_some_and(|peer| !concerned.contains(&peer) && !is_healthy(&gateways[peer]))
        })
        .map(|&index| gateways[index].name.to_string())
        .collect()
}

/// Every rule of the guide that `request` breaks, in words; empty when it breaks none.
fn broken_rules(
    releases: &Releases,
    snapshot: &Snapshot,
    request: &Request,
    concerned: &[usize],
) -> Vec<String> {
    let controller = &snapshot.controller;
    let current = controller.current_version;
    let gateways = snapshot.gateways();
    let mut broken = Vec::new();
    if !controller.checklist.dns_ok {
        broken.push("the controller's DNS does not resolve".to_owned());
    }
    if !controller.checklist.internet_ok {
        broken.push("the controller has no internet access".to_owned());
    }
    for &index in concerned {
        if !is_healthy(&gateways[index]) {
            broken.push(format!("gw-{index} is not up with all tunnels up"));
        }
    }
    if !matches!(request, Request::PlatformUpgrade { .. })
        && current.train().before_selective_upgrade()
    {
        broken.push(format!(
            "selective gateway operations need 6.5 or later, the controller runs {current}"
        ));
    }
    match request {
        Request::PlatformUpgrade { target } => {
            for (index, gateway) in gateways.iter().enumerate() {
                if gateway.software_version != current {
                    broken.push(format!(
                        "gw-{index} runs {}, not the controller's {current}",
                        gateway.software_version
                    ));
                }
            }
            match resolve_target(releases, current, *target) {
                Err(why) => broken.push(why.to_owned()),
                Ok(resolved) if resolved.train() > current.train() => {
                    let next = releases.next_train_after(current.train());
                    if next.is_none_or(|next| resolved.train() > next) {
                        broken.push(format!(
                            "{current} to {resolved} skips the next train {next:?}"
                        ));
                    }
                }
                Ok(_) => {}
            }
        }
        Request::SoftwareUpgrade { target, .. } => {
            if let Some(target) = target.filter(|&target| target != current) {
                broken.push(format!(
                    "gateways upgrade only to the controller's {current}, not {target}"
                ));
            }
            for &index in concerned {
                let running = gateways[index].software_version;
                if running > current {
                    broken.push(format!(
                        "gw-{index} runs {running}, newer than the controller's {current}"
                    ));
                }
            }
        }
        Request::SoftwareRollback { target, .. } => match controller.previous_version {
            None => broken.push("the controller has no previous version".to_owned()),
            Some(previous) => {
                if let Some(target) = target.filter(|&target| target != previous) {
                    broken.push(format!(
                        "gateways roll back only to the controller's previous {previous}, not {target}"
                    ));
                }
                for &index in concerned {
                    let running = gateways[index].software_version;
                    if running <= previous {
                        broken.push(format!(
                            "gw-{index} runs {running}, not newer than the rollback version {previous}"
                        ));
                    }
                }
            }
        },
        Request::ImageUpgrade { .. } => {
            for &index in concerned {
                let gateway = &gateways[index];
                if !gateway.active_mesh {
                    broken.push(format!("gw-{index} does not run ActiveMesh"));
                }
                if !releases.has_image(gateway.cloud, current.train()) {
                    broken.push(format!(
                        "no image for gw-{index}'s cloud {} and software {}",
                        gateway.cloud,
                        current.train()
                    ));
                }
            }
        }
    }
    if matches!(
        request,
        Request::SoftwareRollback { .. } | Request::ImageUpgrade { .. }
    ) {
        let replaced: Vec<usize> = expected_changes(releases, snapshot, request, concerned)
            .into_iter()
            .collect();
        for name in peers_out_of_service(snapshot, &replaced) {
            broken.push(format!(
                "{name} is replaced while its HA peer, which would carry its traffic, is out of service"
            ));
        }
    }
    broken
}

/// Where `request` takes a gateway, by the guide, as (already there, taken somewhere new): the
/// controller's version (software upgrade, only forward), its previous version (rollback, only
/// back), their cloud's image for the controller's train (image upgrade, where the matrix has
/// one). A platform upgrade takes every gateway with it before 6.5, none after.
fn destination(
    releases: &Releases,
    snapshot: &Snapshot,
    request: &Request,
    gateway: &Gateway,
) -> (bool, bool) {
    let controller = &snapshot.controller;
    let current = controller.current_version;
    let running = gateway.software_version;
    match request {
        Request::PlatformUpgrade { .. } => (false, current.train() < Train::new(6, 5)),
        Request::SoftwareUpgrade { .. } => (running == current, running < current),
        Request::SoftwareRollback { .. } => (
            Some(running) == controller.previous_version,
            controller
                .previous_version
                .is_some_and(|previous| running > previous),
        ),
        Request::ImageUpgrade { .. } => {
            let has_image = releases.has_image(gateway.cloud, current.train());
            let image = image_name(gateway.cloud, current.train());
            let there = has_image && gateway.image_version.as_deref() == Some(image.as_str());
            (there, has_image && !there)
        }
    }
}

/// The gateways among `concerned` that `request` changes, by [`destination`].
fn expected_changes(
    releases: &Releases,
    snapshot: &Snapshot,
    request: &Request,
    concerned: &[usize],
) -> BTreeSet<usize> {
    let gateways = snapshot.gateways();
    concerned
        .iter()
        .copied()
        .filter(|&index| destination(releases, snapshot, request, &gateways[index]).1)
        .collect()
}

/// The names of the gateways among `concerned` already where `request` takes them.
fn expected_at_target(
    releases: &Releases,
    snapshot: &Snapshot,
    request: &Request,
    concerned: &[usize],
) -> BTreeSet<String> {
    let gateways = snapshot.gateways();
    concerned
        .iter()
        .filter(|&&index| destination(releases, snapshot, request, &gateways[index]).0)
        .map(|&index| gateways[index].name.to_string())
        .collect()
}

/// The gateways the finding with `code` names, or none.
fn named_by(report: &Report, code: Code) -> BTreeSet<String> {
    report
        .findings
        .iter()
        .filter(|finding| finding.code == code)
        .flat_map(|finding| finding.gateways.iter().cloned())
        .collect()
}

/// Runs `check` on a generated case: the report, and what the oracle says the request breaks.
/// `None` for a gateway operation on an empty fleet, after asserting that `check` refuses it
/// as selecting nothing.
fn checked_case(
    releases: &Releases,
    controller: &ControllerSeed,
    fleet: &FleetSeed,
    request_seed: &RequestSeed,
) -> Result<Option<(Report, Vec<String>, Request)>, TestCaseError> {
    let catalog = releases.catalog()?;
    let snapshot = snapshot(releases, controller, fleet)?;
    let (request, concerned) = request(request_seed, releases, &snapshot);
    if request.selection().is_some() && concerned.is_empty() {
        let refused = check(&snapshot, &catalog, &request, now()?);
        prop_assert_eq!(refused, Err(RequestError::NothingSelected), "{:?}", request);
        return Ok(None);
    }
    let report = check(&snapshot, &catalog, &request, now()?)
        .map_err(|error| TestCaseError::fail(format!("{request:?} refused: {error}")))?;
    let broken = broken_rules(releases, &snapshot, &request, &concerned);
    Ok(Some((report, broken, request)))
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Property 1: a path takes every catalog train after the running one up to the target's,
    /// one at a time and in order (or one in-train hop), and the planner accepts exactly the
    /// targets the guide accepts.
    #[test]
    fn a_plan_never_skips_a_train(
        releases in releases(),
        current in version_seed(),
        target in target_seed(),
    ) {
        let catalog = releases.catalog()?;
        let current = current.resolve(&releases);
        let requested = target.resolve(&releases, current);
        let expected = resolve_target(&releases, current, requested);
        let plan = plan_path(current, requested, &catalog);
        prop_assert_eq!(
            plan.is_ok(),
            expected.is_ok(),
            "from {} to {:?}: planner {:?}, guide {:?}",
            current, requested, plan, expected
        );
        let (Ok(plan), Ok(target)) = (plan, expected) else {
            return Ok(());
        };
        prop_assert_eq!(plan.target, target);
        let trains: Vec<Train> = plan.hops.iter().map(|hop| hop.train()).collect();
        prop_assert_eq!(
            &trains,
            &expected_trains(&releases, current, target),
            "from {} to {}: hops {:?}", current, target, plan.hops
        );
        let mut from = current.train();
        for &train in &trains {
            let skipped: Vec<Train> = releases
                .train_list()
                .into_iter()
                .filter(|&between| between > from && between < train)
                .collect();
            prop_assert!(
                skipped.is_empty(),
                "from {} to {}: the hop to {} skips {:?}", current, target, train, skipped
            );
            from = train;
        }
    }

    /// Property 2: every hop is the newest build of its train.
    #[test]
    fn every_hop_lands_on_the_newest_build_of_its_train(
        releases in releases(),
        current in version_seed(),
        target in target_seed(),
    ) {
        let catalog = releases.catalog()?;
        let current = current.resolve(&releases);
        let requested = target.resolve(&releases, current);
        let Ok(plan) = plan_path(current, requested, &catalog) else {
            return Ok(());
        };
        for &hop in &plan.hops {
            prop_assert_eq!(catalog.newest_in(hop.train()), Some(hop), "hops {:?}", plan.hops);
            prop_assert_eq!(releases.newest(hop.train()), Some(hop), "hops {:?}", plan.hops);
        }
    }

    /// Property 3: versions only go up along a path, and the last hop is the resolved target
    /// (no hop at all when the target is the running version).
    #[test]
    fn versions_only_go_up_and_end_on_the_target(
        releases in releases(),
        current in version_seed(),
        target in target_seed(),
    ) {
        let catalog = releases.catalog()?;
        let current = current.resolve(&releases);
        let requested = target.resolve(&releases, current);
        let Ok(plan) = plan_path(current, requested, &catalog) else {
            return Ok(());
        };
        prop_assert_eq!(plan.current, current);
        let mut previous = current;
        for &hop in &plan.hops {
            prop_assert!(hop > previous, "{} then {} in {:?}", previous, hop, plan);
            previous = hop;
        }
        match plan.hops.last() {
            Some(&last) => prop_assert_eq!(last, plan.target),
            None => prop_assert_eq!(plan.target, current),
        }
    }

    /// Property 4: played on a model of the fleet, a runbook upgrades gateways only to the
    /// controller's version, upgrades the platform only when every gateway runs the
    /// controller's version, and ends with the controller and every gateway on the target.
    #[test]
    fn a_runbook_never_upgrades_the_platform_while_a_gateway_lags(
        releases in releases(),
        controller in controller_seed(),
        fleet in fleet_seed(),
        target in target_seed(),
    ) {
        let catalog = releases.catalog()?;
        let snapshot = snapshot(&releases, &controller, &fleet)?;
        let start = snapshot.controller.current_version;
        let requested = target.resolve(&releases, start);
        let expected = resolve_target(&releases, start, requested);
        let runbook = for_fleet(&snapshot, requested, &catalog);
        prop_assert_eq!(runbook.is_ok(), expected.is_ok(), "{:?} vs {:?}", runbook, expected);
        let (Ok(runbook), Ok(target)) = (runbook, expected) else {
            return Ok(());
        };
        let mut controller = start;
        let mut gateways: Vec<Version> = snapshot
            .gateways()
            .iter()
            .map(|gateway| gateway.software_version)
            .collect();
        for step in &runbook.steps {
            match step.action {
                StepAction::GatewayUpgrade => {
                    prop_assert_eq!(
                        step.version, controller,
                        "step {}: gateways would run ahead of the controller", step.step
                    );
                    gateways.iter_mut().for_each(|gateway| *gateway = step.version);
                }
                StepAction::PlatformUpgrade => {
                    let lagging: Vec<Version> = gateways
                        .iter()
                        .copied()
                        .filter(|&gateway| gateway != controller)
                        .collect();
                    prop_assert!(
                        lagging.is_empty(),
                        "step {} upgrades the platform from {} while gateways run {:?}: {:?}",
                        step.step, controller, lagging, runbook.steps
                    );
                    prop_assert_eq!(step.from, Some(controller));
                    prop_assert!(step.version > controller, "step {}", step.step);
                    let all_gateways = controller.train().before_selective_upgrade();
                    controller = step.version;
                    if all_gateways {
                        gateways.iter_mut().for_each(|gateway| *gateway = controller);
                    }
                }
            }
        }
        prop_assert_eq!(controller, target, "{:?}", runbook.steps);
        prop_assert_eq!(runbook.path.target, target);
        prop_assert!(
            gateways.iter().all(|&gateway| gateway == target),
            "gateways end on {:?}, the target is {}: {:?}", gateways, target, runbook.steps
        );
    }

}

proptest! {
    #![proptest_config(check_config())]

    /// Property 5: a request that breaks a rule of the guide always gets a blocker.
    #[test]
    fn check_blocks_every_request_that_breaks_a_rule(
        releases in releases(),
        controller in controller_seed(),
        fleet in fleet_seed(),
        request in request_seed(),
    ) {
        let Some((report, broken, request)) =
            checked_case(&releases, &controller, &fleet, &request)?
        else {
            return Ok(());
        };
        if !broken.is_empty() {
            prop_assert!(
                report.has_blocker(),
                "{:?} breaks {:?} but the report has no blocker: {:?}",
                request, broken, report.findings
            );
        }
    }

    /// Property 5, converse: a request that breaks no rule gets no blocker (the generated
    /// controllers have no accounts, so account checks cannot block; backups, release notes
    /// and disruption only warn).
    #[test]
    fn check_does_not_block_a_request_that_breaks_no_rule(
        releases in releases(),
        controller in controller_seed(),
        fleet in fleet_seed(),
        request in request_seed(),
    ) {
        let Some((report, broken, request)) =
            checked_case(&releases, &controller, &fleet, &request)?
        else {
            return Ok(());
        };
        if broken.is_empty() {
            prop_assert!(
                !report.has_blocker(),
                "{:?} breaks no rule but is blocked: {:?}",
                request, report.findings
            );
        }
    }

    /// Property 6: a gateway that changes, whose HA peer is out of service and not changed with
    /// it, is blocked on for a rollback or an image upgrade and warned about for a software
    /// upgrade; no finding drains its traffic to that peer. A platform upgrade leaves it to the
    /// health check of every gateway.
    #[test]
    fn a_peer_out_of_service_blocks_replacement_and_warns_an_upgrade(
        releases in releases(),
        controller in controller_seed(),
        fleet in fleet_seed(),
        request_seed in request_seed(),
    ) {
        let catalog = releases.catalog()?;
        let snapshot = snapshot(&releases, &controller, &fleet)?;
        let (request, concerned) = request(&request_seed, &releases, &snapshot);
        let Ok(report) = check(&snapshot, &catalog, &request, now()?) else {
            return Ok(());
        };
        let changing: Vec<usize> = expected_changes(&releases, &snapshot, &request, &concerned)
            .into_iter()
            .collect();
        let stranded = peers_out_of_service(&snapshot, &changing);
        let (blocked, warned) = match request {
            Request::SoftwareRollback { .. } | Request::ImageUpgrade { .. } => {
                (stranded.clone(), BTreeSet::new())
            }
            Request::SoftwareUpgrade { .. } => (BTreeSet::new(), stranded.clone()),
            Request::PlatformUpgrade { .. } => (BTreeSet::new(), BTreeSet::new()),
        };
        prop_assert_eq!(named_by(&report, Code::HaPeerUnhealthy), blocked, "{:?}", report.findings);
        prop_assert_eq!(
            named_by(&report, Code::HaPeerUnhealthyHitless),
            warned,
            "{:?}", report.findings
        );
        let drained = named_by(&report, Code::HaPeerDrain);
        prop_assert!(
            drained.is_disjoint(&stranded),
            "drains {:?} to peers out of service: {:?}", drained, report.findings
        );
    }

    /// Property 7: a request changes the selected gateways that are not already where it
    /// takes them; for a software or image upgrade, the others are the `already-current`
    /// finding, blocked or not.
    #[test]
    fn the_gateways_that_change_are_those_not_at_the_target(
        releases in releases(),
        controller in controller_seed(),
        fleet in fleet_seed(),
        request_seed in request_seed(),
    ) {
        let catalog = releases.catalog()?;
        let snapshot = snapshot(&releases, &controller, &fleet)?;
        let (request, concerned) = request(&request_seed, &releases, &snapshot);
        let Ok(report) = check(&snapshot, &catalog, &request, now()?) else {
            prop_assert!(will_change(&snapshot, &catalog, &request).is_err(), "{:?}", request);
            return Ok(());
        };
        let changing = will_change(&snapshot, &catalog, &request)
            .map_err(|error| TestCaseError::fail(format!("{request:?} refused: {error}")))?;
        let changing: BTreeSet<usize> = changing.into_iter().collect();
        prop_assert_eq!(
            &changing,
            &expected_changes(&releases, &snapshot, &request, &concerned),
            "{:?}", request
        );
        if matches!(request, Request::SoftwareUpgrade { .. } | Request::ImageUpgrade { .. }) {
            prop_assert_eq!(
                named_by(&report, Code::AlreadyCurrent),
                expected_at_target(&releases, &snapshot, &request, &concerned),
                "{:?}", report.findings
            );
        }
    }

    /// Property 8: only the gateways a request changes are replaced, so no disruption finding
    /// names a gateway already at the target (or one it cannot take anywhere), and the request
    /// the console sends names exactly the gateways that change.
    #[test]
    fn no_disruption_finding_names_a_gateway_that_does_not_change(
        releases in releases(),
        controller in controller_seed(),
        fleet in fleet_seed(),
        request_seed in request_seed(),
    ) {
        let catalog = releases.catalog()?;
        let snapshot = snapshot(&releases, &controller, &fleet)?;
        let (request, concerned) = request(&request_seed, &releases, &snapshot);
        let Ok(report) = check(&snapshot, &catalog, &request, now()?) else {
            return Ok(());
        };
        let changing: BTreeSet<String> =
            expected_changes(&releases, &snapshot, &request, &concerned)
                .into_iter()
                .map(|index| snapshot.gateways()[index].name.to_string())
                .collect();
        // A platform upgrade's release notes name the OpenVPN gateways it will restart later.
        let openvpn = request.selection().map(|_| Code::OpenvpnRestart);
        for code in DISRUPTION.into_iter().chain(openvpn) {
            let named = named_by(&report, code.clone());
            prop_assert!(
                named.is_subset(&changing),
                "{} names {:?}, which do not change: {:?}",
                code,
                named.difference(&changing).collect::<Vec<_>>(),
                report.findings
            );
        }
        let scope = scope(&snapshot, &catalog, &request)
            .map_err(|error| TestCaseError::fail(format!("{request:?}: {error}")))?;
        if request.selection().is_some() {
            let sent: BTreeSet<String> = scope.request.named().iter().cloned().collect();
            prop_assert_eq!(&sent, &changing, "{:?}", request);
            prop_assert_eq!(scope.skipped.len() + sent.len(), concerned.len());
        }
        prop_assert_eq!(scope.changes, changing.len());
    }
}

/// The codes that say what replacing (or upgrading) a gateway does to its traffic.
const DISRUPTION: [Code; 9] = [
    Code::RollbackDisruptive,
    Code::ImageUpgradeDisruptive,
    Code::HaPairBothSelected,
    Code::HaPeerDrain,
    Code::HaPeerUnhealthy,
    Code::HaPeerUnhealthyHitless,
    Code::BgpReconverge,
    Code::SpokeNextHop,
    Code::OpenvpnOnlyGateway,
];

proptest! {
    #![proptest_config(check_config())]

    /// Property 9: chunks.
    #[test]
    fn chunks_send_each_name_once_keep_pairs_and_fill_the_budget(
        releases in releases(),
        controller in controller_seed(),
        fleet in fleet_seed(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
        extra_budget in 0usize..40,
    ) {
        let snapshot = snapshot(&releases, &controller, &fleet)?;
        let names: Vec<String> = snapshot.gateways().iter().map(|gateway| gateway.name.to_string()).collect();
        if names.is_empty() {
            return Ok(());
        }
        let selection: Vec<String> = picks.iter().map(|pick| pick.get(&names).clone()).collect();
        let cost = |name: &str| name.len() + 1;
        let groups = ha_groups(&snapshot, &selection);
        let largest = groups.iter().map(|group| group.iter().map(|name| cost(name)).sum::<usize>()).max().unwrap_or(0);
        let budget = largest + extra_budget;
        let requests = pack(groups, budget, cost).map_err(|error| TestCaseError::fail(error.to_string()))?;

        let distinct: BTreeSet<&String> = selection.iter().collect();
        let sent: Vec<&String> = requests.iter().flatten().collect();
        prop_assert_eq!(sent.len(), distinct.len(), "each name once: {:?}", requests);
        prop_assert_eq!(sent.iter().copied().collect::<BTreeSet<_>>(), distinct.clone());
        for request in &requests {
            let used: usize = request.iter().map(|name| cost(name)).sum();
            prop_assert!(used <= budget, "{} over {}: {:?}", used, budget, request);
        }
        for gateway in snapshot.gateways() {
            let Some(peer) = gateway.peer.as_deref().map(str::to_owned) else { continue };
            let name = gateway.name.to_string();
            if !(distinct.contains(&name) && distinct.contains(&peer)) {
                continue;
            }
            let together = requests.iter().any(|request| request.contains(&name) && request.contains(&peer));
            prop_assert!(together, "{} and {} are split: {:?}", gateway.name, peer, requests);
        }
        let total: usize = distinct.iter().map(|name| cost(name)).sum();
        let sure = budget - largest + 1;
        prop_assert!(
            requests.len() <= 1 + total / sure,
            "{} requests for {} bytes with {} sure per request: {:?}", requests.len(), total, sure, requests
        );
    }
}

fn policy_seed() -> impl Strategy<Value = Policy> {
    (
        0usize..4,
        prop_oneof![
            (1usize..7).prop_map(Size::Count),
            (1u8..=100).prop_map(Size::Percent)
        ],
        any::<bool>(),
    )
        .prop_map(|(canary, wave_size, secondaries_first)| Policy {
            canary,
            wave_size,
            order: if secondaries_first {
                Order::SecondariesFirst
            } else {
                Order::PrimariesFirst
            },
            ..Policy::default()
        })
}

/// The test's own view of a planned rollout: where each gateway went.
struct Placed<'a> {
    snapshot: &'a Snapshot,
    rollout: &'a Rollout,
    wave_of: std::collections::HashMap<&'a str, usize>,
    disruptive: bool,
}

impl<'a> Placed<'a> {
    fn new(snapshot: &'a Snapshot, rollout: &'a Rollout) -> Self {
        let wave_of = rollout
            .waves
            .iter()
            .flat_map(|wave| {
                wave.gateways
                    .iter()
                    .map(move |name| (name.as_str(), wave.number))
            })
            .collect();
        let disruptive = matches!(
            rollout.action,
            avx_upgrade::plan::Action::SoftwareRollback | avx_upgrade::plan::Action::ImageUpgrade
        );
        Self {
            snapshot,
            rollout,
            wave_of,
            disruptive,
        }
    }

    fn first_role(&self, gateway: &Gateway) -> bool {
        (gateway.role == Role::Primary) == (self.rollout.policy.order == Order::PrimariesFirst)
    }

    /// The placed peer of `name`, if it has one in the waves.
    fn peer(&self, name: &str) -> Option<&'a Gateway> {
        let gateway = self.snapshot.gateway(name)?;
        let peer = self.snapshot.gateway(gateway.peer.as_deref()?)?;
        self.wave_of
            .contains_key(peer.name.as_ref())
            .then_some(peer)
    }

    /// The placed gateways of `region`.
    fn region_total(&self, region: &str) -> usize {
        self.wave_of
            .keys()
            .filter(|name| {
                self.snapshot
                    .gateway(name)
                    .is_some_and(|g| &*g.region == region)
            })
            .count()
    }

    /// Whether `name` could have joined wave `number` as it is: its peer not in it, its peer
    /// placed before it when `name` goes second, and not the last of its region in it.
    fn could_join(&self, name: &str, number: usize) -> bool {
        let Some(gateway) = self.snapshot.gateway(name) else {
            return false;
        };
        if let Some(peer) = self.peer(name) {
            let peer_wave = self.wave_of[peer.name.as_ref()];
            if peer_wave == number || (!self.first_role(gateway) && peer_wave > number) {
                return false;
            }
        }
        if !self.disruptive {
            return true;
        }
        let wave = &self.rollout.waves[number - 1];
        let in_wave = wave
            .gateways
            .iter()
            .filter(|other| {
                self.snapshot
                    .gateway(other)
                    .is_some_and(|g| g.region == gateway.region)
            })
            .count();
        let total = self.region_total(&gateway.region);
        total < 2 || in_wave + 1 < total
    }
}

proptest! {
    #![proptest_config(check_config())]

    /// Property 10: rollouts.
    #[test]
    fn rollout_waves_keep_every_rule_and_fill_up(
        releases in releases(),
        controller in controller_seed(),
        fleet in fleet_seed(),
        request_seed in request_seed(),
        policy in policy_seed(),
    ) {
        let catalog = releases.catalog()?;
        let snapshot = snapshot(&releases, &controller, &fleet)?;
        let (request, concerned) = request(&request_seed, &releases, &snapshot);
        let planned = rollout::plan(&snapshot, &catalog, &request, &policy, now()?);
        if request.selection().is_none() {
            prop_assert!(matches!(planned, Err(RolloutError::PlatformUpgrade)));
            return Ok(());
        }
        let Ok(whole) = check(&snapshot, &catalog, &request, now()?) else {
            prop_assert!(matches!(planned, Err(RolloutError::Request(_))), "{:?}", planned);
            return Ok(());
        };
        let gateways = snapshot.gateways();
        let changes: BTreeSet<String> = expected_changes(&releases, &snapshot, &request, &concerned)
            .into_iter()
            .map(|index| gateways[index].name.to_string())
            .collect();
        // As the console does: the gateways that change are checked as the request sent.
        let report = match changes.is_empty() {
            true => whole,
            false => {
                let sent = scope(&snapshot, &catalog, &request)
                    .map_err(|error| TestCaseError::fail(error.to_string()))?
                    .request;
                check(&snapshot, &catalog, &sent, now()?)
                    .map_err(|error| TestCaseError::fail(error.to_string()))?
            }
        };
        let blockers: Vec<_> = report
            .with_severity(avx_upgrade::plan::Severity::Blocker)
            .filter(|finding| finding.code != Code::HaPairBothSelected)
            .collect();
        if blockers.iter().any(|finding| finding.gateways.is_empty()) {
            prop_assert!(matches!(planned, Err(RolloutError::Blocked(_))), "{:?}", planned);
            return Ok(());
        }
        let rollout = planned.map_err(|error| TestCaseError::fail(error.to_string()))?;

        // Every selected gateway once: in a wave if it changes and no blocker names it.
        let named: BTreeSet<String> = match changes.is_empty() {
            true => BTreeSet::new(),
            false => blockers.iter().flat_map(|finding| finding.gateways.iter().cloned()).collect(),
        };
        let in_waves: Vec<&String> = rollout.waves.iter().flat_map(|wave| &wave.gateways).collect();
        let waved: BTreeSet<String> = in_waves.iter().map(|name| (*name).clone()).collect();
        prop_assert_eq!(in_waves.len(), waved.len(), "a gateway in two waves: {:?}", rollout.waves);
        prop_assert_eq!(&waved, &changes.difference(&named).cloned().collect::<BTreeSet<_>>());
        let blocked: BTreeSet<String> = rollout.blocked.iter().map(|left| left.name.clone()).collect();
        prop_assert_eq!(&blocked, &changes.intersection(&named).cloned().collect::<BTreeSet<_>>());
        let selected: BTreeSet<String> = concerned.iter().map(|&index| gateways[index].name.to_string()).collect();
        let skipped: BTreeSet<String> = rollout.skipped.iter().map(|left| left.name.clone()).collect();
        prop_assert_eq!(&skipped, &selected.difference(&changes).cloned().collect::<BTreeSet<_>>());
        prop_assert!(rollout.waves.iter().all(|wave| !wave.gateways.is_empty()), "an empty wave: {:?}", rollout.waves);

        let placed = Placed::new(&snapshot, &rollout);
        for name in &waved {
            let gateway = snapshot.gateway(name).expect("in the fleet");
            let Some(peer) = placed.peer(name) else { continue };
            let (mine, theirs) = (placed.wave_of[name.as_str()], placed.wave_of[peer.name.as_ref()]);
            prop_assert_ne!(mine, theirs, "{} and its peer share a wave", name);
            if placed.first_role(gateway) {
                prop_assert!(mine < theirs, "{} goes first but is in wave {} after its peer's {}", name, mine, theirs);
            }
        }
        if placed.disruptive {
            for wave in &rollout.waves {
                for name in &wave.gateways {
                    let region = &snapshot.gateway(name).expect("in the fleet").region;
                    let total = placed.region_total(region);
                    let here = wave.gateways.iter().filter(|other| &snapshot.gateway(other).expect("in the fleet").region == region).count();
                    prop_assert!(total < 2 || here < total, "wave {} takes all {} of {}", wave.number, total, region);
                }
            }
        }

        // Sizes, filling and the bound.
        let total = waved.len();
        let limit = policy.wave_limit(total);
        for wave in &rollout.waves {
            let size = if wave.canary { policy.canary } else { limit };
            prop_assert!(wave.gateways.len() <= size, "wave {} over {}", wave.number, size);
            prop_assert_eq!(wave.canary, wave.number == 1 && policy.canary > 0);
            if wave.gateways.len() == size {
                continue;
            }
            for later in rollout.waves.iter().filter(|later| later.number > wave.number) {
                for name in &later.gateways {
                    prop_assert!(
                        !placed.could_join(name, wave.number),
                        "wave {} has room ({} of {}) but {} waits for wave {}: {:?}",
                        wave.number, wave.gateways.len(), size, name, later.number, rollout.waves
                    );
                }
            }
        }
        // The bound: a canary wave, then the rest in waves of the limit, plus at most two:
        // the members that go second in their pairs cannot share a wave with their peers (one
        // more), and the region rule holds back the last gateway of a region (one more).
        let canary_waves = usize::from(policy.canary > 0 && total > 0);
        let in_canary = rollout.waves.first().filter(|wave| wave.canary).map_or(0, |wave| wave.gateways.len());
        let rest = total - in_canary;
        prop_assert!(
            rollout.waves.len() <= canary_waves + rest.div_ceil(limit) + 2,
            "{} waves for {} gateways (limit {}): {:?}", rollout.waves.len(), total, limit, rollout.waves
        );
    }
}
