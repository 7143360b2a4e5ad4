//! Every example and rule of the upgrade guide (`spec/upgrading-the-platform.rst`) as a test,
//! named after the example it reproduces.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

use avx_upgrade::catalog::Catalog;
use avx_upgrade::cloud::Cloud;
use avx_upgrade::plan::path::{default_target, plan_path, release_versions};
use avx_upgrade::plan::runbook::{self, StepAction};
use avx_upgrade::plan::{Code, Report, Request, Selection, check};
use avx_upgrade::snapshot::{Controller, Gateway, GatewayType, Role, Snapshot};
use avx_upgrade::version::{Target, Train, Version};
use jiff::Timestamp;

fn v(text: &str) -> Version {
    text.parse().expect(text)
}

fn train(text: &str) -> Option<Target> {
    Some(Target::Train(text.parse().expect(text)))
}

fn exact(text: &str) -> Option<Target> {
    Some(Target::Version(v(text)))
}

fn catalog(versions: &[&str]) -> Catalog {
    Catalog::from_versions(versions.iter().map(|text| v(text))).expect("valid catalog")
}

fn now() -> Timestamp {
    "2026-11-23T12:00:00Z".parse().expect("timestamp")
}

/// A controller with a fresh backup, and spoke gateways on the given versions.
fn fleet(controller: &str, previous: Option<&str>, gateways: &[(&str, &str)]) -> Snapshot {
    let mut state = Controller::new(v(controller));
    state.previous_version = previous.map(v);
    state.checklist.backup.enabled = true;
    state.checklist.backup.last_backup = Some("2026-11-23T00:00:00Z".parse().expect("timestamp"));
    let gateways = gateways
        .iter()
        .map(|(name, version)| {
            Gateway::new(
                *name,
                Cloud::Aws,
                "us-east-1",
                GatewayType::Spoke,
                Role::Primary,
                v(version),
            )
        })
        .collect();
    Snapshot::new(state, gateways).expect("valid snapshot")
}

fn platform(snapshot: &Snapshot, catalog: &Catalog, target: Option<Target>) -> Report {
    check(
        snapshot,
        catalog,
        &Request::PlatformUpgrade { target },
        now(),
    )
    .expect("checkable")
}

fn software_upgrade(snapshot: &Snapshot, catalog: &Catalog, names: &[&str]) -> Report {
    let gateways = Selection::Named(names.iter().map(|name| name.to_string()).collect());
    let request = Request::SoftwareUpgrade {
        gateways,
        target: None,
    };
    check(snapshot, catalog, &request, now()).expect("checkable")
}

fn codes(report: &Report) -> Vec<Code> {
    report
        .findings
        .iter()
        .map(|finding| finding.code.clone())
        .collect()
}

fn hops(versions: &[&str]) -> Vec<Version> {
    versions.iter().map(|text| v(text)).collect()
}

// ---- Valid Upgrade Paths ----------------------------------------------------------------

#[test]
fn build_path_6_6_100_to_6_6_900_skips_intermediate_builds() {
    let catalog = catalog(&["6.6.100", "6.6.200", "6.6.500", "6.6.900"]);
    let path = plan_path(v("6.6.100"), None, &catalog).expect("valid");
    assert_eq!(path.hops, hops(&["6.6.900"]));
    let path = plan_path(v("6.6.100"), exact("6.6.900"), &catalog).expect("valid");
    assert_eq!(path.hops, hops(&["6.6.900"]));
}

#[test]
fn builds_cannot_be_selected_only_the_newest_of_a_train() {
    let catalog = catalog(&["6.6.100", "6.6.200", "6.6.500", "6.6.900"]);
    let refused = plan_path(v("6.6.100"), exact("6.6.500"), &catalog).expect_err("not selectable");
    assert_eq!(refused.code, Code::BuildNotSelectable);
    assert!(refused.message.contains("6.6.900"), "{}", refused.message);
}

#[test]
fn upgrading_6_5_to_6_6_receives_the_latest_build_of_6_6() {
    let catalog = catalog(&["6.5.100", "6.6.100", "6.6.300", "6.6.700"]);
    let path = plan_path(v("6.5.100"), train("6.6"), &catalog).expect("valid");
    assert_eq!(path.target, v("6.6.700"));
    assert_eq!(
        path.hops,
        hops(&["6.6.700"]),
        "6.5.current -> 6.6.latest is one hop"
    );
}

#[test]
fn minor_path_6_5_to_6_8_goes_through_6_6_and_6_7() {
    let catalog = catalog(&[
        "6.5.100", "6.5.900", "6.6.100", "6.6.400", "6.7.200", "6.8.100", "6.8.300",
    ]);
    let path = plan_path(v("6.5.100"), train("6.8"), &catalog).expect("valid");
    assert_eq!(path.hops, hops(&["6.6.400", "6.7.200", "6.8.300"]));
    assert!(
        !path.hops.contains(&v("6.5.900")),
        "no need to reach 6.5.latest first"
    );
}

#[test]
fn major_path_6_x_to_8_x_goes_through_7() {
    let catalog = catalog(&[
        "6.9.100", "7.0.50", "7.0.90", "7.1.10", "7.2.20", "8.0.5", "8.1.1",
    ]);
    let path = plan_path(v("6.9.100"), train("8.1"), &catalog).expect("valid");
    assert_eq!(
        path.hops,
        hops(&["7.0.90", "7.1.10", "7.2.20", "8.0.5", "8.1.1"])
    );
}

#[test]
fn a_platform_upgrade_that_skips_a_train_is_a_blocker_with_the_path() {
    let catalog = catalog(&["6.5.100", "6.6.400", "6.7.200", "6.8.300"]);
    let snapshot = fleet("6.5.100", None, &[("gw-1", "6.5.100")]);
    let report = platform(&snapshot, &catalog, train("6.8"));
    let skip = report.get(Code::TrainSkip).expect("train-skip");
    assert!(skip.message.contains("6.6, 6.7"), "{}", skip.message);
    assert!(
        skip.message.contains("6.6.400 → 6.7.200 → 6.8.300"),
        "{}",
        skip.message
    );
    let next = platform(&snapshot, &catalog, train("6.6"));
    assert!(!next.has_blocker(), "{next:?}");
}

#[test]
fn target_release_version_defaults_to_the_latest_build_of_the_running_train() {
    let catalog = catalog(&["6.5.100", "6.5.750", "6.6.100"]);
    assert_eq!(default_target(v("6.5.100"), &catalog), v("6.5.750"));
    let path = plan_path(v("6.5.100"), None, &catalog).expect("valid");
    assert_eq!(path.hops, hops(&["6.5.750"]), "not the next train");
}

#[test]
fn target_release_version_cannot_be_earlier_than_the_running_release() {
    let catalog = catalog(&["6.4.100", "6.5.100", "6.5.750"]);
    for target in [train("6.4"), exact("6.5.100"), exact("6.4.100")] {
        let refused = plan_path(v("6.5.750"), target, &catalog).expect_err("below current");
        assert_eq!(refused.code, Code::TargetBelowCurrent, "{target:?}");
    }
}

#[test]
fn targets_missing_from_the_catalog_are_unknown() {
    let catalog = catalog(&["6.5.100", "6.6.100"]);
    for target in [train("6.9"), exact("6.6.555"), exact("6.7.1")] {
        let refused = plan_path(v("6.5.100"), target, &catalog).expect_err("unknown");
        assert_eq!(refused.code, Code::UnknownTarget, "{target:?}");
    }
}

#[test]
fn already_on_the_newest_build_there_is_nothing_to_do() {
    let catalog = catalog(&["6.5.100", "6.5.750", "6.6.100"]);
    let snapshot = fleet("6.5.750", None, &[("gw-1", "6.5.750")]);
    let report = platform(&snapshot, &catalog, None);
    assert_eq!(codes(&report), [Code::AlreadyCurrent]);
    assert!(
        report.findings[0].message.contains("enter 6.6"),
        "{:?}",
        report.findings[0]
    );
}

// ---- Release Versions ---------------------------------------------------------------------

#[test]
fn release_versions_6_4_321_with_latest_6_6_123_reads_6_5_6_6() {
    let catalog = catalog(&["6.4.321", "6.5.200", "6.5.700", "6.6.100", "6.6.123"]);
    assert_eq!(
        release_versions(v("6.4.321"), &catalog),
        "UserConnect-6.6.123 (6.5,6.6)"
    );
}

#[test]
fn release_versions_with_only_a_newer_build_lists_the_running_train() {
    let catalog = catalog(&["6.6.100", "6.6.900"]);
    assert_eq!(
        release_versions(v("6.6.100"), &catalog),
        "UserConnect-6.6.900 (6.6)"
    );
}

#[test]
fn release_versions_on_the_newest_is_just_the_version() {
    let catalog = catalog(&["6.6.100", "6.6.900"]);
    assert_eq!(
        release_versions(v("6.6.900"), &catalog),
        "UserConnect-6.6.900"
    );
}

// ---- Rules: the selective upgrade examples ------------------------------------------------

#[test]
fn mixed_versions_selective_upgrade_from_6_5_250_to_6_5_750() {
    let catalog = catalog(&["6.5.250", "6.5.750", "6.6.100"]);
    // 1. The controller and all gateways run 6.5.250: the platform may go to 6.5.750.
    let start = fleet(
        "6.5.250",
        None,
        &[
            ("gw-a", "6.5.250"),
            ("gw-b", "6.5.250"),
            ("gw-c", "6.5.250"),
        ],
    );
    let report = platform(&start, &catalog, None);
    assert!(!report.has_blocker(), "{report:?}");
    assert_eq!(
        runbook::for_fleet(&start, None, &catalog)
            .expect("plan")
            .path
            .target,
        v("6.5.750")
    );
    // 2-3. The controller runs 6.5.750; some gateways are upgraded, some still run 6.5.250.
    let mixed = fleet(
        "6.5.750",
        Some("6.5.250"),
        &[
            ("gw-a", "6.5.750"),
            ("gw-b", "6.5.250"),
            ("gw-c", "6.5.250"),
        ],
    );
    // 4. Operations are normal: upgrading the remaining gateways is allowed.
    let catch_up = software_upgrade(&mixed, &catalog, &["gw-b", "gw-c"]);
    assert!(!catch_up.has_blocker(), "{catch_up:?}");
    // 5. Once they run 6.5.750, everything runs the same version.
    let done = fleet(
        "6.5.750",
        Some("6.5.250"),
        &[
            ("gw-a", "6.5.750"),
            ("gw-b", "6.5.750"),
            ("gw-c", "6.5.750"),
        ],
    );
    let again = software_upgrade(&done, &catalog, &["gw-b"]);
    assert_eq!(codes(&again), [Code::AlreadyCurrent]);
    assert!(!platform(&done, &catalog, train("6.6")).has_blocker());
}

#[test]
fn failed_attempt_6_5_750_to_6_6_100_while_gateways_run_6_5_250() {
    let catalog = catalog(&["6.5.250", "6.5.750", "6.6.100"]);
    let mixed = fleet(
        "6.5.750",
        Some("6.5.250"),
        &[
            ("gw-a", "6.5.750"),
            ("gw-b", "6.5.250"),
            ("gw-c", "6.5.250"),
        ],
    );
    let report = platform(&mixed, &catalog, train("6.6"));
    let blocker = report.first_blocker().expect("blocked");
    assert_eq!(blocker.code, Code::GatewaysBehindController);
    assert_eq!(blocker.gateways, ["gw-b", "gw-c"]);
    assert!(
        blocker
            .reason()
            .starts_with("gateways-behind-controller: 2 gateways"),
        "{}",
        blocker.reason()
    );
}

#[test]
fn runbook_brings_lagging_gateways_up_before_each_platform_hop() {
    let catalog = catalog(&["6.5.250", "6.5.750", "6.6.100", "6.7.300"]);
    let mixed = fleet(
        "6.5.750",
        Some("6.5.250"),
        &[
            ("gw-a", "6.5.750"),
            ("gw-b", "6.5.250"),
            ("gw-c", "6.5.250"),
        ],
    );
    let plan = runbook::for_fleet(&mixed, train("6.7"), &catalog).expect("plan");
    let summary: Vec<(StepAction, Version, Option<usize>)> = plan
        .steps
        .iter()
        .map(|step| (step.action, step.version, step.gateways))
        .collect();
    assert_eq!(
        summary,
        [
            (StepAction::GatewayUpgrade, v("6.5.750"), Some(2)),
            (StepAction::PlatformUpgrade, v("6.6.100"), None),
            (StepAction::GatewayUpgrade, v("6.6.100"), Some(3)),
            (StepAction::PlatformUpgrade, v("6.7.300"), None),
            (StepAction::GatewayUpgrade, v("6.7.300"), Some(3)),
        ]
    );
    let numbers: Vec<usize> = plan.steps.iter().map(|step| step.step).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
}

#[test]
fn gateways_are_upgraded_only_to_the_controllers_current_version() {
    let catalog = catalog(&["6.5.250", "6.5.750", "6.6.100"]);
    let mixed = fleet("6.5.750", Some("6.5.250"), &[("gw-a", "6.5.250")]);
    let gateways = Selection::Named(vec!["gw-a".into()]);
    for target in ["6.6.100", "6.5.250"] {
        let request = Request::SoftwareUpgrade {
            gateways: gateways.clone(),
            target: Some(v(target)),
        };
        let report = check(&mixed, &catalog, &request, now()).expect("checkable");
        assert!(
            report.contains(Code::GatewayTargetMismatch),
            "{target}: {report:?}"
        );
        assert!(report.has_blocker());
    }
    let right = Request::SoftwareUpgrade {
        gateways,
        target: Some(v("6.5.750")),
    };
    assert!(
        !check(&mixed, &catalog, &right, now())
            .expect("checkable")
            .has_blocker()
    );
}

#[test]
fn controller_versions_cannot_be_behind_gateway_versions() {
    let catalog = catalog(&["6.5.250", "6.5.750"]);
    let odd = fleet("6.5.250", None, &[("gw-a", "6.5.750")]);
    let report = software_upgrade(&odd, &catalog, &["gw-a"]);
    assert!(report.contains(Code::TargetBelowCurrent), "{report:?}");
}

// ---- Releases before 6.5 -----------------------------------------------------------------

#[test]
fn before_6_5_the_platform_upgrade_upgrades_all_gateways() {
    let catalog = catalog(&["6.4.321", "6.4.500", "6.5.750", "6.6.123"]);
    let old = fleet("6.4.321", None, &[("gw-a", "6.4.321"), ("gw-b", "6.4.321")]);
    let report = platform(&old, &catalog, train("6.5"));
    assert!(report.contains(Code::Pre65AllGateways), "{report:?}");
    assert!(!report.has_blocker(), "{report:?}");
    let plan = runbook::for_fleet(&old, train("6.6"), &catalog).expect("plan");
    let actions: Vec<StepAction> = plan.steps.iter().map(|step| step.action).collect();
    assert_eq!(
        actions,
        [
            StepAction::PlatformUpgrade,
            StepAction::PlatformUpgrade,
            StepAction::GatewayUpgrade
        ],
        "the first hop from 6.4 has no separate gateway step"
    );
    assert_eq!(plan.steps[0].gateways, Some(2));
    assert!(
        plan.steps[0].text.contains("older than 6.5"),
        "{}",
        plan.steps[0].text
    );
}

#[test]
fn before_6_5_there_is_no_selective_gateway_upgrade() {
    let catalog = catalog(&["6.4.321", "6.5.750"]);
    let old = fleet("6.4.321", None, &[("gw-a", "6.4.100")]);
    let report = software_upgrade(&old, &catalog, &["gw-a"]);
    assert!(
        report.contains(Code::SelectiveUpgradeUnavailable),
        "{report:?}"
    );
    assert!(report.has_blocker());
}

// ---- Rolling back ------------------------------------------------------------------------

#[test]
fn gateways_roll_back_only_to_the_controllers_previous_version() {
    let catalog = catalog(&["6.5.250", "6.5.750"]);
    let snapshot = fleet(
        "6.5.750",
        Some("6.5.250"),
        &[("gw-a", "6.5.750"), ("gw-b", "6.5.250")],
    );
    let rollback = |names: &[&str], target: Option<&str>| {
        let request = Request::SoftwareRollback {
            gateways: Selection::Named(names.iter().map(|name| name.to_string()).collect()),
            target: target.map(v),
        };
        check(&snapshot, &catalog, &request, now()).expect("checkable")
    };
    let ok = rollback(&["gw-a"], None);
    assert!(!ok.has_blocker(), "{ok:?}");
    assert!(
        ok.contains(Code::RollbackDisruptive),
        "rollbacks replace the gateway"
    );
    assert!(rollback(&["gw-a"], Some("6.5.100")).contains(Code::GatewayTargetMismatch));
    let already = rollback(&["gw-b"], None);
    assert_eq!(
        already.first_blocker().map(|finding| finding.code.clone()),
        Some(Code::NoRollbackTarget)
    );
}

#[test]
fn a_controller_that_was_never_upgraded_gives_no_rollback_target() {
    let catalog = catalog(&["6.5.750"]);
    let fresh = fleet("6.5.750", None, &[("gw-a", "6.5.750")]);
    let request = Request::SoftwareRollback {
        gateways: Selection::All,
        target: None,
    };
    let report = check(&fresh, &catalog, &request, now()).expect("checkable");
    assert_eq!(
        report.first_blocker().map(|finding| finding.code.clone()),
        Some(Code::NoRollbackTarget)
    );
}

// ---- Troubleshooting: the corner case -----------------------------------------------------

#[test]
fn corner_case_6_5_200_6_5_300_6_5_400_needs_support() {
    let catalog = catalog(&["6.5.200", "6.5.300", "6.5.400"]);
    // Controller and gateways ran 6.5.200; controller and a subset went to 6.5.300; the subset
    // was rolled back to 6.5.200. Now the controller runs 6.5.300 and every gateway 6.5.200.
    let mut stuck = fleet(
        "6.5.300",
        Some("6.5.200"),
        &[
            ("gw-a", "6.5.200"),
            ("gw-b", "6.5.200"),
            ("gw-c", "6.5.200"),
        ],
    );
    stuck = rolled_back(stuck, &["gw-a"], "6.5.300");
    let report = platform(&stuck, &catalog, exact("6.5.400"));
    assert!(report.has_blocker());
    let finding = report
        .get(Code::StuckMixedVersions)
        .expect("stuck-mixed-versions");
    assert!(
        finding.message.contains("Aviatrix Support"),
        "{}",
        finding.message
    );
    assert!(report.contains(Code::GatewaysBehindController));
    let plan = runbook::for_fleet(&stuck, None, &catalog).expect("plan");
    assert!(
        plan.findings
            .iter()
            .any(|finding| finding.code == Code::StuckMixedVersions)
    );
}

/// Marks `names` as rolled back from `from` (their previous software version).
fn rolled_back(snapshot: Snapshot, names: &[&str], from: &str) -> Snapshot {
    let controller = snapshot.controller.clone();
    let gateways = snapshot
        .gateways()
        .iter()
        .cloned()
        .map(|mut gateway| {
            if names.contains(&gateway.name.as_ref()) {
                gateway.previous_software_version = Some(v(from));
            }
            gateway
        })
        .collect();
    Snapshot::new(controller, gateways).expect("valid")
}

#[test]
fn gateways_merely_lagging_are_not_the_corner_case() {
    let catalog = catalog(&["6.5.200", "6.5.300", "6.5.400"]);
    let lagging = fleet("6.5.300", Some("6.5.200"), &[("gw-a", "6.5.200")]);
    let report = platform(&lagging, &catalog, None);
    assert!(report.contains(Code::GatewaysBehindController));
    assert!(
        !report.contains(Code::StuckMixedVersions),
        "no gateway was rolled back"
    );
}

// ---- Trains ------------------------------------------------------------------------------

#[test]
fn trains_are_ordered_by_major_then_minor() {
    assert!(Train::new(6, 10) > Train::new(6, 9));
    assert!(Train::new(7, 0) > Train::new(6, 10));
    let catalog = catalog(&["6.9.1", "6.10.1", "7.0.1"]);
    let path = plan_path(v("6.9.1"), train("7.0"), &catalog).expect("valid");
    assert_eq!(path.hops, hops(&["6.10.1", "7.0.1"]));
}
