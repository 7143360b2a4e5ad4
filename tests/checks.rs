//! The dry-run checks beyond the version rules: disruption of rollbacks and image upgrades
//! (HA pairs, BGP, spoke routes, OpenVPN), images, health, release notes and the operations
//! checklist. The last test proves every public finding code has a scenario that raises it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

use std::collections::BTreeSet;

use avx_upgrade::catalog::{Catalog, ImageEntry, Release};
use avx_upgrade::cloud::Cloud;
use avx_upgrade::plan::{Code, Report, Request, Selection, Severity, check, scope};
use avx_upgrade::snapshot::{
    Account, Controller, ControllerHa, Gateway, GatewayState, GatewayType, Role, Snapshot,
};
use avx_upgrade::version::{Target, Version};
use jiff::Timestamp;

fn v(text: &str) -> Version {
    text.parse().expect(text)
}

fn now() -> Timestamp {
    "2026-11-23T12:00:00Z".parse().expect("timestamp")
}

/// 6.5.250, 6.5.750 (restarts OpenVPN) and 6.6.100 (not hitless), with AWS and Azure images
/// for 6.5 and 6.6 (no GCP image for 6.6).
fn catalog() -> Catalog {
    let mut vpn = Release::build(v("6.5.750"));
    vpn.openvpn_restart = true;
    let mut disruptive = Release::build(v("6.6.100"));
    disruptive.hitless = false;
    let image = |cloud, software: &str, name: &str| ImageEntry {
        cloud,
        software: software.parse().expect("train"),
        image: name.into(),
        kernel: None,
    };
    let images = vec![
        image(Cloud::Aws, "6.5", "hvm-cloudx-aws-022021"),
        image(Cloud::Aws, "6.6", "hvm-cloudx-aws-031722"),
        image(Cloud::Azure, "6.6", "aviatrix-companion-gateway-v13"),
        image(Cloud::Gcp, "6.5", "gw-base-03182021"),
    ];
    Catalog::new(vec![Release::build(v("6.5.250")), vpn, disruptive], images).expect("valid")
}

fn healthy_controller(version: &str) -> Controller {
    let mut controller = Controller::new(v(version));
    controller.previous_version = Some(v("6.5.250"));
    controller.checklist.backup.enabled = true;
    controller.checklist.backup.last_backup =
        Some("2026-11-23T06:00:00Z".parse().expect("timestamp"));
    controller.checklist.accounts = vec![Account {
        name: "prod-aws".into(),
        cloud: Some(Cloud::Aws),
        primary: true,
        valid: true,
        audit_ok: true,
    }];
    controller
}

fn gateway(name: &str, cloud: Cloud, gw_type: GatewayType, version: &str) -> Gateway {
    let mut gateway = Gateway::new(name, cloud, "us-east-1", gw_type, Role::Primary, v(version));
    gateway.account = Some("prod-aws".into());
    gateway
}

/// Makes `a` and `b` an HA pair (`b` the secondary).
fn pair(mut a: Gateway, mut b: Gateway) -> [Gateway; 2] {
    a.peer = Some(b.name.clone());
    b.peer = Some(a.name.clone());
    b.role = Role::Secondary;
    [a, b]
}

/// A fleet on 6.5.750: a transit pair with BGP, a spoke pair, a lone spoke on GCP, and two
/// OpenVPN gateways.
fn fleet() -> Snapshot {
    let mut transit = gateway("transit-1", Cloud::Aws, GatewayType::Transit, "6.5.750");
    transit.bgp_peers = 3;
    let mut transit_ha = gateway(
        "transit-1-hagw",
        Cloud::Aws,
        GatewayType::Transit,
        "6.5.750",
    );
    transit_ha.bgp_peers = 3;
    let spoke = gateway("spoke-1", Cloud::Aws, GatewayType::Spoke, "6.5.750");
    let spoke_ha = gateway("spoke-1-hagw", Cloud::Aws, GatewayType::Spoke, "6.5.750");
    let lone = gateway("spoke-gcp", Cloud::Gcp, GatewayType::Spoke, "6.5.750");
    let mut vpn_a = gateway("vpn-a", Cloud::Aws, GatewayType::Standalone, "6.5.750");
    vpn_a.openvpn = true;
    vpn_a.openvpn_users = 40;
    let mut vpn_b = gateway("vpn-b", Cloud::Aws, GatewayType::Standalone, "6.5.750");
    vpn_b.openvpn = true;
    vpn_b.openvpn_users = 2;
    let mut gateways = Vec::new();
    gateways.extend(pair(transit, transit_ha));
    gateways.extend(pair(spoke, spoke_ha));
    gateways.extend([lone, vpn_a, vpn_b]);
    Snapshot::new(healthy_controller("6.5.750"), gateways).expect("valid")
}

fn with_gateways(snapshot: &Snapshot, change: impl Fn(&mut Gateway)) -> Snapshot {
    let gateways = snapshot
        .gateways()
        .iter()
        .cloned()
        .map(|mut gateway| {
            change(&mut gateway);
            gateway
        })
        .collect();
    Snapshot::new(snapshot.controller.clone(), gateways).expect("valid")
}

fn with_controller(snapshot: &Snapshot, change: impl Fn(&mut Controller)) -> Snapshot {
    let mut controller = snapshot.controller.clone();
    change(&mut controller);
    Snapshot::new(controller, snapshot.gateways().to_vec()).expect("valid")
}

fn named(names: &[&str]) -> Selection {
    Selection::Named(names.iter().map(|name| name.to_string()).collect())
}

fn rollback(snapshot: &Snapshot, names: &[&str]) -> Report {
    let request = Request::SoftwareRollback {
        gateways: named(names),
        target: None,
    };
    check(snapshot, &catalog(), &request, now()).expect("checkable")
}

fn image_upgrade(snapshot: &Snapshot, names: &[&str]) -> Report {
    let request = Request::ImageUpgrade {
        gateways: named(names),
    };
    check(snapshot, &catalog(), &request, now()).expect("checkable")
}

fn software_upgrade(snapshot: &Snapshot, names: &[&str]) -> Report {
    let request = Request::SoftwareUpgrade {
        gateways: named(names),
        target: None,
    };
    check(snapshot, &catalog(), &request, now()).expect("checkable")
}

fn platform(snapshot: &Snapshot, target: &str) -> Report {
    let request = Request::PlatformUpgrade {
        target: Some(target.parse::<Target>().expect("target")),
    };
    check(snapshot, &catalog(), &request, now()).expect("checkable")
}

fn gateways_of(report: &Report, code: Code) -> Vec<String> {
    report
        .get(code)
        .map(|finding| finding.gateways.clone())
        .unwrap_or_default()
}

#[test]
fn a_healthy_fleet_passes_a_platform_dry_run_with_only_the_release_warning() {
    let report = platform(&fleet(), "6.6");
    let codes: Vec<Code> = report
        .findings
        .iter()
        .map(|finding| finding.code.clone())
        .collect();
    assert_eq!(codes, [Code::NotHitless], "6.6.100 is marked not hitless");
    assert!(!report.has_blocker());
}

#[test]
fn both_members_of_an_ha_pair_are_replaced_together_without_safeguards() {
    let report = rollback(&fleet(), &["spoke-1", "spoke-1-hagw"]);
    assert_eq!(
        gateways_of(&report, Code::HaPairBothSelected),
        ["spoke-1", "spoke-1-hagw"]
    );
    assert!(!report.contains(Code::HaPeerDrain));
    assert_eq!(
        report.get(Code::HaPairBothSelected).map(|f| f.severity),
        Some(Severity::Warning)
    );
}

#[test]
fn one_member_selected_drains_traffic_to_its_peer() {
    let report = image_upgrade(&fleet(), &["spoke-1-hagw"]);
    assert_eq!(gateways_of(&report, Code::HaPeerDrain), ["spoke-1-hagw"]);
    assert!(!report.contains(Code::HaPairBothSelected));
    assert_eq!(
        gateways_of(&report, Code::ImageUpgradeDisruptive),
        ["spoke-1-hagw"]
    );
}

/// `fleet()` with `change` applied to the gateway called `name`.
fn with_gateway(name: &str, change: impl Fn(&mut Gateway)) -> Snapshot {
    with_gateways(&fleet(), |gateway| {
        if &*gateway.name == name {
            change(gateway);
        }
    })
}

#[test]
fn replacing_a_member_whose_peer_is_out_of_service_is_blocked() {
    let peer_down = with_gateway("spoke-1-hagw", |g| g.state = GatewayState::Down);
    for report in [
        rollback(&peer_down, &["spoke-1", "transit-1"]),
        image_upgrade(&peer_down, &["spoke-1", "transit-1"]),
    ] {
        let blocker = report
            .get(Code::HaPeerUnhealthy)
            .expect("ha-peer-unhealthy");
        assert_eq!(blocker.severity, Severity::Blocker);
        assert_eq!(blocker.gateways, ["spoke-1"]);
        assert!(
            blocker
                .message
                .contains("spoke-1 (its HA peer spoke-1-hagw is down)"),
            "names the gateway and its peer's state: {}",
            blocker.message
        );
        assert_eq!(
            gateways_of(&report, Code::HaPeerDrain),
            ["transit-1"],
            "only a peer in service takes the traffic"
        );
        assert!(
            !report.contains(Code::SpokeNextHop),
            "no route moves to a peer that is down: {report:?}"
        );
        assert!(!report.contains(Code::HaPeerUnhealthyHitless));
    }
    let tunnels_down = with_gateway("transit-1", |g| g.tunnels_up = false);
    let report = rollback(&tunnels_down, &["transit-1-hagw"]);
    let blocker = report
        .get(Code::HaPeerUnhealthy)
        .expect("ha-peer-unhealthy");
    assert!(
        blocker
            .message
            .contains("transit-1-hagw (its HA peer transit-1 is up with tunnels down)"),
        "{}",
        blocker.message
    );
    for (report, drained) in [
        (rollback(&fleet(), &["spoke-1"]), "spoke-1"),
        (image_upgrade(&tunnels_down, &["spoke-1"]), "spoke-1"),
    ] {
        assert!(!report.contains(Code::HaPeerUnhealthy), "{report:?}");
        assert_eq!(gateways_of(&report, Code::HaPeerDrain), [drained]);
    }
}

#[test]
fn a_rollback_of_a_member_whose_peer_is_down_never_says_its_traffic_drains() {
    let peer_down = with_gateway("spoke-1", |g| g.state = GatewayState::ConfigFail);
    let report = rollback(&peer_down, &["spoke-1-hagw"]);
    assert!(report.has_blocker(), "{report:?}");
    for finding in &report.findings {
        assert!(
            !finding.message.contains("drained"),
            "{}: {}",
            finding.code,
            finding.message
        );
    }
    let blocker = report
        .get(Code::HaPeerUnhealthy)
        .expect("ha-peer-unhealthy");
    assert!(
        blocker.message.contains("spoke-1 is config_fail"),
        "{}",
        blocker.message
    );
}

#[test]
fn both_members_selected_with_one_down_is_the_pair_warning_and_the_health_blocker() {
    let peer_down = with_gateway("spoke-1-hagw", |g| g.state = GatewayState::Down);
    let report = rollback(&peer_down, &["spoke-1", "spoke-1-hagw"]);
    assert_eq!(
        gateways_of(&report, Code::HaPairBothSelected),
        ["spoke-1", "spoke-1-hagw"]
    );
    assert_eq!(
        gateways_of(&report, Code::GatewayUnhealthy),
        ["spoke-1-hagw"]
    );
    assert!(
        !report.contains(Code::HaPeerUnhealthy),
        "the pair is replaced together: {report:?}"
    );
}

#[test]
fn a_software_upgrade_with_the_peer_out_of_service_only_warns() {
    let lagging = with_gateways(&fleet(), |gateway| gateway.software_version = v("6.5.250"));
    let peer_down = with_gateways(&lagging, |gateway| {
        if &*gateway.name == "spoke-1-hagw" {
            gateway.state = GatewayState::Waiting;
        }
    });
    let report = software_upgrade(&peer_down, &["spoke-1", "transit-1"]);
    let warning = report
        .get(Code::HaPeerUnhealthyHitless)
        .expect("ha-peer-unhealthy-hitless");
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(warning.gateways, ["spoke-1"]);
    assert!(
        warning
            .message
            .contains("spoke-1 (its HA peer spoke-1-hagw is waiting)"),
        "{}",
        warning.message
    );
    assert!(!report.contains(Code::HaPeerUnhealthy));
    assert!(!report.has_blocker(), "{report:?}");
    let healthy = software_upgrade(&lagging, &["spoke-1"]);
    assert!(
        !healthy.contains(Code::HaPeerUnhealthyHitless),
        "{healthy:?}"
    );
}

#[test]
fn bgp_gateways_reconverge_and_spokes_move_their_next_hop() {
    let report = rollback(&fleet(), &["transit-1", "spoke-1", "spoke-gcp"]);
    assert_eq!(gateways_of(&report, Code::BgpReconverge), ["transit-1"]);
    assert_eq!(
        gateways_of(&report, Code::SpokeNextHop),
        ["spoke-1"],
        "a spoke without a peer has no HA next hop"
    );
    let disruption = report.get(Code::RollbackDisruptive).expect("disruptive");
    assert!(
        disruption.message.contains("no HA peer"),
        "{}",
        disruption.message
    );
}

#[test]
fn software_upgrades_are_hitless_and_raise_no_disruption_findings() {
    let lagging = with_gateways(&fleet(), |gateway| gateway.software_version = v("6.5.250"));
    let report = software_upgrade(&lagging, &["transit-1", "spoke-1"]);
    for code in [
        Code::BgpReconverge,
        Code::HaPeerDrain,
        Code::SpokeNextHop,
        Code::RollbackDisruptive,
    ] {
        assert!(!report.contains(code.clone()), "{code}: {report:?}");
    }
    assert!(!report.has_blocker(), "{report:?}");
}

#[test]
fn a_release_that_restarts_openvpn_warns_about_connected_users() {
    let lagging = with_gateways(&fleet(), |gateway| gateway.software_version = v("6.5.250"));
    let report = software_upgrade(&lagging, &["vpn-a", "spoke-1"]);
    let finding = report.get(Code::OpenvpnRestart).expect("openvpn-restart");
    assert_eq!(finding.gateways, ["vpn-a"]);
    assert!(finding.message.contains("40 users"), "{}", finding.message);
    let no_vpn = software_upgrade(&lagging, &["spoke-1"]);
    assert!(!no_vpn.contains(Code::OpenvpnRestart));
}

#[test]
fn replacing_the_only_openvpn_gateway_in_service_warns() {
    let both = rollback(&fleet(), &["vpn-a", "vpn-b"]);
    assert_eq!(
        gateways_of(&both, Code::OpenvpnOnlyGateway),
        ["vpn-a", "vpn-b"]
    );
    let one = rollback(&fleet(), &["vpn-a"]);
    assert!(
        !one.contains(Code::OpenvpnOnlyGateway),
        "vpn-b stays in service"
    );
    let other_down = with_gateways(&fleet(), |gateway| {
        if &*gateway.name == "vpn-b" {
            gateway.state = GatewayState::Down;
        }
    });
    let report = rollback(&other_down, &["vpn-a"]);
    assert_eq!(gateways_of(&report, Code::OpenvpnOnlyGateway), ["vpn-a"]);
}

#[test]
fn image_upgrades_need_a_compatible_image_and_activemesh() {
    let legacy = with_gateways(&fleet(), |gateway| {
        if &*gateway.name == "spoke-1" {
            gateway.active_mesh = false;
        }
    });
    let on_66 = with_controller(&legacy, |controller| {
        controller.current_version = v("6.6.100")
    });
    let on_66 = with_gateways(&on_66, |gateway| gateway.software_version = v("6.6.100"));
    let report = image_upgrade(&on_66, &["spoke-1", "spoke-gcp", "transit-1"]);
    assert_eq!(gateways_of(&report, Code::NoCompatibleImage), ["spoke-gcp"]);
    assert_eq!(gateways_of(&report, Code::ActiveMeshRequired), ["spoke-1"]);
    assert!(report.has_blocker());
}

#[test]
fn gateways_already_on_the_target_image_have_nothing_to_do() {
    let current = with_gateways(&fleet(), |gateway| {
        gateway.image_version = Some("hvm-cloudx-aws-022021".into())
    });
    let report = image_upgrade(&current, &["transit-1", "transit-1-hagw"]);
    let finding = report.get(Code::AlreadyCurrent).expect("already-current");
    assert!(
        finding.message.ends_with("nothing to do"),
        "{}",
        finding.message
    );
}

/// The codes that say what replacing a gateway does to its traffic.
const DISRUPTION: [Code; 7] = [
    Code::RollbackDisruptive,
    Code::ImageUpgradeDisruptive,
    Code::HaPairBothSelected,
    Code::HaPeerDrain,
    Code::BgpReconverge,
    Code::SpokeNextHop,
    Code::OpenvpnOnlyGateway,
];

#[test]
fn gateways_already_on_the_target_image_are_not_replaced() {
    let current = with_gateways(&fleet(), |gateway| {
        if gateway.name.starts_with("transit-1") {
            gateway.image_version = Some("hvm-cloudx-aws-022021".into());
        }
    });
    let report = image_upgrade(&current, &["transit-1", "transit-1-hagw", "spoke-1"]);
    assert_eq!(
        gateways_of(&report, Code::AlreadyCurrent),
        ["transit-1", "transit-1-hagw"]
    );
    assert_eq!(
        gateways_of(&report, Code::ImageUpgradeDisruptive),
        ["spoke-1"],
        "only the gateway that changes is replaced"
    );
    assert!(!report.contains(Code::BgpReconverge), "{report:?}");
    assert!(!report.contains(Code::HaPairBothSelected), "{report:?}");
    let nothing = image_upgrade(&current, &["transit-1", "transit-1-hagw"]);
    for code in DISRUPTION {
        assert!(!nothing.contains(code.clone()), "{code}: {nothing:?}");
    }
    let request = Request::ImageUpgrade {
        gateways: named(&["transit-1", "spoke-1", "transit-1-hagw"]),
    };
    let scope = scope(&current, &catalog(), &request).expect("scope");
    assert_eq!(scope.request.named(), ["spoke-1"], "only it is sent");
    assert_eq!(scope.skipped, ["transit-1", "transit-1-hagw"]);
}

#[test]
fn a_blocked_rollback_does_not_also_warn_that_it_replaces_gateways() {
    let never_upgraded = with_controller(&fleet(), |c| c.previous_version = None);
    let lagging = with_gateways(&fleet(), |g| g.software_version = v("6.5.250"));
    for report in [
        rollback(&never_upgraded, &["spoke-gcp"]),
        rollback(&lagging, &["spoke-gcp"]),
    ] {
        assert_eq!(gateways_of(&report, Code::NoRollbackTarget), ["spoke-gcp"]);
        for code in DISRUPTION {
            assert!(!report.contains(code.clone()), "{code}: {report:?}");
        }
    }
}

#[test]
fn unhealthy_gateways_block_their_operation_and_any_platform_upgrade() {
    let sick = with_gateways(&fleet(), |gateway| match gateway.name.as_ref() {
        "spoke-gcp" => gateway.state = GatewayState::ConfigFail,
        "vpn-b" => gateway.tunnels_up = false,
        _ => {}
    });
    assert_eq!(
        gateways_of(&platform(&sick, "6.6"), Code::GatewayUnhealthy),
        ["spoke-gcp", "vpn-b"]
    );
    assert_eq!(
        gateways_of(
            &rollback(&sick, &["vpn-b", "vpn-a"]),
            Code::GatewayUnhealthy
        ),
        ["vpn-b"]
    );
    assert!(!rollback(&sick, &["vpn-a"]).contains(Code::GatewayUnhealthy));
}

#[test]
fn checklist_dns_internet_and_accounts_block() {
    let broken = with_controller(&fleet(), |controller| {
        controller.checklist.dns_ok = false;
        controller.checklist.internet_ok = false;
        controller.checklist.accounts[0].valid = false;
    });
    let report = platform(&broken, "6.6");
    for code in [Code::DnsUnresolved, Code::NoInternet, Code::AccountInvalid] {
        assert_eq!(
            report.get(code.clone()).map(|f| f.severity),
            Some(Severity::Blocker),
            "{code}"
        );
    }
    assert_eq!(
        gateways_of(&report, Code::AccountInvalid).len(),
        7,
        "every gateway uses prod-aws"
    );
}

#[test]
fn an_invalid_account_blocks_gateway_operations_only_when_it_matters() {
    let mut spare = Account {
        name: "lab-azure".into(),
        cloud: Some(Cloud::Azure),
        primary: false,
        valid: false,
        audit_ok: true,
    };
    let unrelated = with_controller(&fleet(), |controller| {
        controller.checklist.accounts.push(spare.clone())
    });
    assert!(!rollback(&unrelated, &["spoke-1"]).contains(Code::AccountInvalid));
    assert!(platform(&unrelated, "6.6").contains(Code::AccountInvalid));
    spare.primary = true;
    let primary = with_controller(&fleet(), |controller| {
        controller.checklist.accounts.push(spare.clone())
    });
    assert!(rollback(&primary, &["spoke-1"]).contains(Code::AccountInvalid));
}

#[test]
fn checklist_warnings_audit_backup_controller_ha_and_t2_t3() {
    let neglected = with_controller(&fleet(), |controller| {
        controller.checklist.accounts[0].audit_ok = false;
        controller.checklist.backup.last_backup =
            Some("2026-11-21T12:00:00Z".parse().expect("timestamp"));
        controller.checklist.controller_ha = Some(ControllerHa {
            enabled: true,
            version: Some("1.6".into()),
            latest_version: Some("1.7".into()),
        });
        controller.checklist.cloud = Some(Cloud::Aws);
        controller.checklist.instance_type = Some("t3.large".into());
    });
    let report = platform(&neglected, "6.6");
    for code in [
        Code::AccountAudit,
        Code::BackupMissing,
        Code::ControllerHaOutdated,
        Code::T2T3Unlimited,
    ] {
        assert_eq!(
            report.get(code.clone()).map(|f| f.severity),
            Some(Severity::Warning),
            "{code}"
        );
    }
    assert!(
        report
            .get(Code::BackupMissing)
            .is_some_and(|f| f.message.contains("48 hours ago"))
    );
    let gateway_op = rollback(&neglected, &["spoke-1"]);
    assert!(
        !gateway_op.contains(Code::ControllerHaOutdated)
            && !gateway_op.contains(Code::T2T3Unlimited)
    );
    assert!(gateway_op.contains(Code::BackupMissing));
}

#[test]
fn backups_that_are_off_or_never_taken_are_missing() {
    let off = with_controller(&fleet(), |controller| {
        controller.checklist.backup.enabled = false
    });
    assert!(
        platform(&off, "6.6")
            .get(Code::BackupMissing)
            .is_some_and(|f| f.message.contains("off"))
    );
    let never = with_controller(&fleet(), |controller| {
        controller.checklist.backup.last_backup = None
    });
    assert!(
        platform(&never, "6.6")
            .get(Code::BackupMissing)
            .is_some_and(|f| f.message.contains("none"))
    );
    let unlimited = with_controller(&fleet(), |controller| {
        controller.checklist.instance_type = Some("t3.large".into());
        controller.checklist.t2_t3_unlimited = true;
    });
    assert!(!platform(&unlimited, "6.6").contains(Code::T2T3Unlimited));
}

#[test]
fn unknown_gateways_and_empty_selections_are_request_errors() {
    let request = Request::ImageUpgrade {
        gateways: named(&["spoke-1", "nope"]),
    };
    let error = check(&fleet(), &catalog(), &request, now()).expect_err("unknown gateway");
    assert!(error.to_string().contains("\"nope\""), "{error}");
    let empty = Request::ImageUpgrade {
        gateways: named(&[]),
    };
    assert!(check(&fleet(), &catalog(), &empty, now()).is_err());
}

#[test]
fn refusal_reasons_start_with_the_code() {
    let lagging = with_gateways(&fleet(), |gateway| {
        if gateway.name.starts_with("spoke") {
            gateway.software_version = v("6.5.250");
        }
    });
    let report = platform(&lagging, "6.6");
    let reason = report
        .first_blocker()
        .map(|finding| finding.reason())
        .expect("blocked");
    assert!(reason.starts_with("gateways-behind-controller: 3 gateways (spoke-1, spoke-1-hagw, spoke-gcp) are not on 6.5.750"), "{reason}");
}

/// Every public code is raised by at least one scenario of this file or the guide examples.
#[test]
fn every_finding_code_has_a_scenario() {
    let base = fleet();
    let lagging = with_gateways(&base, |gateway| gateway.software_version = v("6.5.250"));
    let mut never_upgraded = healthy_controller("6.4.100");
    never_upgraded.previous_version = None;
    let old = Snapshot::new(
        never_upgraded,
        vec![gateway("gw", Cloud::Aws, GatewayType::Spoke, "6.4.100")],
    )
    .expect("valid");
    let peer_down = with_gateways(&base, |g| {
        if &*g.name == "spoke-1-hagw" {
            g.state = GatewayState::Down;
        }
    });
    let mut reports = vec![
        platform(&base, "6.6"),
        platform(&base, "6.5"),
        platform(&lagging, "6.6.100"),
        platform(&old, "6.5"),
        image_upgrade(
            &with_gateways(&base, |g| g.active_mesh = false),
            &["spoke-1", "vpn-a", "vpn-b"],
        ),
        rollback(
            &base,
            &["transit-1", "transit-1-hagw", "spoke-1", "vpn-a", "vpn-b"],
        ),
        rollback(&lagging, &["spoke-gcp"]),
        software_upgrade(&lagging, &["vpn-a"]),
        software_upgrade(&old, &["gw"]),
        rollback(&peer_down, &["spoke-1"]),
        software_upgrade(
            &with_gateways(&peer_down, |g| g.software_version = v("6.5.250")),
            &["spoke-1"],
        ),
        platform(&old, "6.5.250"),
        image_upgrade(
            &with_gateways(&base, |g| g.cloud = Cloud::Azure),
            &["spoke-1"],
        ),
    ];
    let refused_targets = ["6.4", "6.5.250", "6.6.7", "7.0"];
    let stuck = with_controller(
        &with_gateways(&lagging, |g| {
            g.previous_software_version = Some(v("6.5.750"))
        }),
        |_| {},
    );
    reports.push(platform(&stuck, "6.6"));
    let broken = with_controller(
        &with_gateways(&base, |g| g.tunnels_up = false),
        |controller| {
            controller.checklist.dns_ok = false;
            controller.checklist.internet_ok = false;
            controller.checklist.accounts[0].valid = false;
            controller.checklist.accounts[0].audit_ok = false;
            controller.checklist.backup.enabled = false;
            controller.checklist.instance_type = Some("t2.medium".into());
            controller.checklist.controller_ha = Some(ControllerHa {
                enabled: true,
                version: Some("1.5".into()),
                latest_version: Some("1.7".into()),
            });
        },
    );
    reports.push(platform(&broken, "6.6"));
    let mismatch = Request::SoftwareUpgrade {
        gateways: named(&["spoke-1"]),
        target: Some(v("6.6.100")),
    };
    reports.push(check(&lagging, &catalog(), &mismatch, now()).expect("checkable"));
    let ahead = with_controller(&base, |controller| {
        controller.current_version = v("6.5.250")
    });
    reports.push(software_upgrade(&ahead, &["spoke-1"]));
    let skipping = Catalog::from_versions([v("6.5.750"), v("6.6.1"), v("6.7.1")]).expect("valid");
    let skip = Request::PlatformUpgrade {
        target: Some("6.7".parse().expect("target")),
    };
    reports.push(check(&base, &skipping, &skip, now()).expect("checkable"));
    for target in refused_targets {
        reports.push(platform(&base, target));
    }
    let raised: BTreeSet<Code> = reports
        .iter()
        .flat_map(|report| report.findings.iter().map(|f| f.code.clone()))
        .collect();
    let missing: Vec<Code> = Code::known()
        .filter(|code| !raised.contains(code))
        .collect();
    assert!(missing.is_empty(), "no scenario raises {missing:?}");
}

#[test]
fn a_passing_dry_run_lists_every_checklist_item_it_checked() {
    let report = platform(&fleet(), "6.6");
    assert!(!report.has_blocker());
    let items: Vec<(&str, bool, &str)> = report
        .checklist
        .iter()
        .map(|item| (item.item.as_str(), item.passed, item.detail.as_str()))
        .collect();
    assert_eq!(
        items,
        [
            ("gateway and tunnel health", true, "gateways and tunnels up"),
            ("DNS", true, "DNS resolves"),
            ("internet", true, "release server reachable"),
            ("accounts", true, "credentials valid"),
            ("account audit", true, "no audit issues"),
            ("backup age", true, "backup taken 6h ago"),
            ("Controller HA", true, "Controller HA disabled: not checked"),
            ("T2/T3 Unlimited", true, "not needed or enabled"),
        ]
    );
    let dns_down = with_controller(&fleet(), |controller| controller.checklist.dns_ok = false);
    let failed = platform(&dns_down, "6.6");
    assert!(failed.contains(Code::DnsUnresolved));
    assert!(
        failed
            .checklist
            .iter()
            .any(|item| item.item == "DNS" && !item.passed)
    );
}
