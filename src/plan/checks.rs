//! The dry run: every rule and checklist item that applies to a request, as one report.
//!
//! `check` is what the controller's Dry Run button does, and what every mutating action must
//! pass first. It is pure: the clock reading for the backup-age check is an argument.
//!
//! Beside the findings, the report lists every checklist item checked, passed or not: each
//! item and its finding come from one check, so the two never disagree.

use jiff::{SignedDuration, Timestamp};

use crate::catalog::Catalog;
use crate::plan::finding::{ChecklistItem, Code, Finding, Report};
use crate::plan::impact;
use crate::plan::request::{Action, Request, RequestError, changing, resolve_selection};
use crate::plan::rules::{self, count_and_names, names_of};
use crate::snapshot::Snapshot;

/// The newest backup that still counts as recent.
const BACKUP_MAX_AGE: SignedDuration = SignedDuration::from_hours(24);

/// Checks `request` against `snapshot` and `catalog` as of `now`.
pub fn check(
    snapshot: &Snapshot,
    catalog: &Catalog,
    request: &Request,
    now: Timestamp,
) -> Result<Report, RequestError> {
    let (mut findings, concerned) = match request {
        Request::PlatformUpgrade { target } => {
            let all: Vec<usize> = (0..snapshot.gateways().len()).collect();
            (platform_upgrade(snapshot, catalog, *target, &all), all)
        }
        Request::SoftwareUpgrade { gateways, target } => {
            let selected = resolve_selection(snapshot, gateways)?;
            (
                software_upgrade(snapshot, catalog, &selected, *target),
                selected,
            )
        }
        Request::SoftwareRollback { gateways, target } => {
            let selected = resolve_selection(snapshot, gateways)?;
            (
                software_rollback(snapshot, catalog, &selected, *target),
                selected,
            )
        }
        Request::ImageUpgrade { gateways } => {
            let selected = resolve_selection(snapshot, gateways)?;
            (image_upgrade(snapshot, catalog, &selected), selected)
        }
    };
    let mut items = vec![health_item(&findings)];
    for (item, finding) in checklist(snapshot, request.action(), &concerned, now) {
        items.push(item);
        findings.extend(finding);
    }
    Ok(Report::new(findings).with_checklist(items))
}

/// A checklist item from the finding its check produced: passed when there is none.
fn item(name: &str, code: Code, finding: Option<Finding>, passed: &str, failed: &str) -> Checked {
    let detail = if finding.is_some() { failed } else { passed };
    (
        ChecklistItem::new(name, code, finding.is_none(), detail),
        finding,
    )
}

/// One checklist item and the finding it produced, if it failed.
type Checked = (ChecklistItem, Option<Finding>);

/// Gateway and tunnel health, read from the health findings the rules produced.
fn health_item(findings: &[Finding]) -> ChecklistItem {
    let unhealthy = findings
        .iter()
        .any(|finding| finding.code == Code::GatewayUnhealthy);
    let detail = if unhealthy {
        "a gateway or tunnel is down"
    } else {
        "gateways and tunnels up"
    };
    ChecklistItem::new(
        "gateway and tunnel health",
        Code::GatewayUnhealthy,
        !unhealthy,
        detail,
    )
}

fn platform_upgrade(
    snapshot: &Snapshot,
    catalog: &Catalog,
    target: Option<crate::version::Target>,
    all: &[usize],
) -> Vec<Finding> {
    let current = snapshot.controller.current_version;
    let mut findings = Vec::new();
    match rules::platform_target(current, target, catalog) {
        Ok(resolved) => {
            findings.extend(rules::release_attributes(snapshot, catalog, resolved, all))
        }
        Err(finding) => findings.push(finding),
    }
    findings.extend(rules::gateways_behind_controller(snapshot));
    findings.extend(rules::stuck_mixed_versions(snapshot));
    findings.extend(rules::unhealthy(snapshot, all));
    findings.extend(rules::pre_selective_platform(snapshot));
    findings
}

fn software_upgrade(
    snapshot: &Snapshot,
    catalog: &Catalog,
    selected: &[usize],
    target: Option<crate::version::Version>,
) -> Vec<Finding> {
    let current = snapshot.controller.current_version;
    let mut findings: Vec<Finding> = rules::selective_upgrade_available(snapshot)
        .into_iter()
        .collect();
    findings.extend(rules::software_upgrade_target(snapshot, selected, target));
    findings.extend(rules::unhealthy(snapshot, selected));
    let upgraded = changing(
        snapshot,
        catalog,
        Action::SoftwareUpgrade,
        selected.to_vec(),
    );
    findings.extend(impact::peer_out_of_service(
        snapshot,
        Action::SoftwareUpgrade,
        &upgraded,
    ));
    findings.extend(rules::release_attributes(
        snapshot, catalog, current, &upgraded,
    ));
    findings
}

fn software_rollback(
    snapshot: &Snapshot,
    catalog: &Catalog,
    selected: &[usize],
    target: Option<crate::version::Version>,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules::selective_upgrade_available(snapshot)
        .into_iter()
        .collect();
    findings.extend(rules::rollback_target(snapshot, selected, target));
    findings.extend(rules::unhealthy(snapshot, selected));
    let replaced = changing(
        snapshot,
        catalog,
        Action::SoftwareRollback,
        selected.to_vec(),
    );
    findings.extend(replacement_impact(
        snapshot,
        Action::SoftwareRollback,
        &replaced,
    ));
    findings
}

/// What replacing the `replaced` gateways does to traffic: only gateways the operation
/// changes are replaced, so a gateway already at the target (or with nowhere to go) is named
/// by no disruption finding.
fn replacement_impact(snapshot: &Snapshot, action: Action, replaced: &[usize]) -> Vec<Finding> {
    if replaced.is_empty() {
        return Vec::new();
    }
    let mut findings: Vec<Finding> = impact::peer_out_of_service(snapshot, action, replaced)
        .into_iter()
        .collect();
    findings.extend(impact::disruption(snapshot, action, replaced));
    findings
}

fn image_upgrade(snapshot: &Snapshot, catalog: &Catalog, selected: &[usize]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules::selective_upgrade_available(snapshot)
        .into_iter()
        .collect();
    findings.extend(rules::image_upgrade_target(snapshot, catalog, selected));
    findings.extend(rules::unhealthy(snapshot, selected));
    let replaced = changing(snapshot, catalog, Action::ImageUpgrade, selected.to_vec());
    findings.extend(replacement_impact(
        snapshot,
        Action::ImageUpgrade,
        &replaced,
    ));
    findings
}

/// The Upgrade Operations Checklist, each item with the finding it produced. DNS, internet,
/// accounts and backups apply to every operation; Controller HA and T2/T3 Unlimited to
/// platform upgrades.
fn checklist(
    snapshot: &Snapshot,
    action: Action,
    concerned: &[usize],
    now: Timestamp,
) -> Vec<Checked> {
    let checklist = &snapshot.controller.checklist;
    let dns = (!checklist.dns_ok).then(|| Finding::new(
        Code::DnsUnresolved,
        "the controller cannot resolve public names: give it a reliable DNS server (8.8.8.8 is recommended; on AWS or Azure, disable the VPC/VNet DNS server in the controller's settings)",
    ));
    let internet = (!checklist.internet_ok).then(|| Finding::new(
        Code::NoInternet,
        "the controller cannot reach the release server: allow inbound 443 and outbound 443 and 22, then verify with the Network Connectivity Utility (www.security.aviatrix.com:443, www.github.com:443 and :22)",
    ));
    let mut checked = vec![
        item(
            "DNS",
            Code::DnsUnresolved,
            dns,
            "DNS resolves",
            "DNS does not resolve",
        ),
        item(
            "internet",
            Code::NoInternet,
            internet,
            "release server reachable",
            "release server unreachable",
        ),
        item(
            "accounts",
            Code::AccountInvalid,
            invalid_accounts(snapshot, action, concerned),
            "credentials valid",
            "an account fails its credentials check",
        ),
        item(
            "account audit",
            Code::AccountAudit,
            account_audit(snapshot),
            "no audit issues",
            "audit reports issues",
        ),
        backup_item(snapshot, now),
    ];
    if action == Action::PlatformUpgrade {
        checked.push(ha_item(snapshot));
        checked.push(item(
            "T2/T3 Unlimited",
            Code::T2T3Unlimited,
            burstable_instance(snapshot),
            "not needed or enabled",
            "burstable instance without T2/T3 Unlimited",
        ));
    }
    checked
}

fn backup_item(snapshot: &Snapshot, now: Timestamp) -> Checked {
    let finding = backup_age(snapshot, now);
    let passed = match snapshot.controller.checklist.backup.last_backup {
        Some(last) => format!(
            "backup taken {}h ago",
            now.duration_since(last).as_hours().max(0)
        ),
        None => "backup taken".to_owned(),
    };
    item(
        "backup age",
        Code::BackupMissing,
        finding,
        &passed,
        "no recent backup",
    )
}

fn ha_item(snapshot: &Snapshot) -> Checked {
    let enabled = snapshot
        .controller
        .checklist
        .controller_ha
        .as_ref()
        .is_some_and(|ha| ha.enabled);
    if !enabled {
        let note = "Controller HA disabled: not checked";
        let code = Code::ControllerHaOutdated;
        return (ChecklistItem::new("Controller HA", code, true, note), None);
    }
    item(
        "Controller HA",
        Code::ControllerHaOutdated,
        controller_ha(snapshot),
        "Controller HA up to date",
        "Controller HA outdated",
    )
}

/// Accounts failing their credentials check. A platform upgrade needs them all; a gateway
/// operation needs the primary account and the accounts of its gateways.
fn invalid_accounts(snapshot: &Snapshot, action: Action, concerned: &[usize]) -> Option<Finding> {
    let gateways = snapshot.gateways();
    let used_by_selection = |name: &str| {
        concerned
            .iter()
            .any(|&index| gateways[index].account.as_deref() == Some(name))
    };
    let invalid: Vec<&str> = snapshot
        .controller
        .checklist
        .accounts
        .iter()
        .filter(|account| !account.valid)
        .filter(|account| {
            action == Action::PlatformUpgrade || account.primary || used_by_selection(&account.name)
        })
        .map(|account| account.name.as_str())
        .collect();
    if invalid.is_empty() {
        return None;
    }
    let affected: Vec<usize> = concerned
        .iter()
        .copied()
        .filter(|&index| {
            gateways[index]
                .account
                .as_deref()
                .is_some_and(|name| invalid.contains(&name))
        })
        .collect();
    let names = names_of(snapshot, &affected);
    let gateways_note = if names.is_empty() {
        String::new()
    } else {
        format!("; they hold {}", count_and_names(&names))
    };
    Some(Finding::about(
        Code::AccountInvalid,
        format!(
            "access account{} {} {} the credentials check: fix {} on the Accounts page{gateways_note}",
            plural_s(invalid.len()),
            invalid.join(", "),
            if invalid.len() == 1 { "fails" } else { "fail" },
            if invalid.len() == 1 { "it" } else { "them" }
        ),
        names,
    ))
}

fn account_audit(snapshot: &Snapshot) -> Option<Finding> {
    let flagged: Vec<&str> = snapshot
        .controller
        .checklist
        .accounts
        .iter()
        .filter(|account| !account.audit_ok)
        .map(|account| account.name.as_str())
        .collect();
    (!flagged.is_empty()).then(|| {
        Finding::new(
            Code::AccountAudit,
            format!(
                "the account audit reports issues for {}: correct them (Accounts › Account Audit) before upgrading",
                flagged.join(", ")
            ),
        )
    })
}

fn backup_age(snapshot: &Snapshot, now: Timestamp) -> Option<Finding> {
    let backup = &snapshot.controller.checklist.backup;
    let problem = match backup.last_backup {
        _ if !backup.enabled => {
            "backups are off: enable the controller backup and take one (Backup Now)".to_owned()
        }
        None => "backups are on but none has been taken: take one now (Backup Now)".to_owned(),
        Some(last) if now.duration_since(last) > BACKUP_MAX_AGE => format!(
            "the last backup is from {last}, {} hours ago: take a fresh one (Backup Now)",
            now.duration_since(last).as_hours()
        ),
        Some(_) => return None,
    };
    Some(Finding::new(
        Code::BackupMissing,
        format!("{problem} before upgrading, so the configuration can be restored"),
    ))
}

fn controller_ha(snapshot: &Snapshot) -> Option<Finding> {
    let ha = snapshot.controller.checklist.controller_ha.as_ref()?;
    let (version, latest) = (ha.version.as_deref()?, ha.latest_version.as_deref()?);
    (ha.enabled && dotted_older(version, latest)).then(|| {
        Finding::new(
            Code::ControllerHaOutdated,
            format!(
                "Controller HA runs {version}, the newest is {latest}: upgrade it by disabling and re-enabling Controller HA before upgrading (keep it enabled during the upgrade)"
            ),
        )
    })
}

/// True when dotted version `a` is older than `b`, comparing numbers part by part; text that is
/// not numeric compares as text.
fn dotted_older(a: &str, b: &str) -> bool {
    let numbers = |text: &str| -> Option<Vec<u64>> {
        text.split('.')
            .map(|part| part.trim().parse().ok())
            .collect()
    };
    match (numbers(a), numbers(b)) {
        (Some(left), Some(right)) => left < right,
        _ => a != b && a < b,
    }
}

fn burstable_instance(snapshot: &Snapshot) -> Option<Finding> {
    let checklist = &snapshot.controller.checklist;
    let instance = checklist.instance_type.as_deref()?;
    let on_aws = checklist.cloud.is_none_or(|cloud| cloud.is_aws());
    let burstable = ["t2.", "t3.", "t3a."]
        .iter()
        .any(|family| instance.starts_with(family));
    (on_aws && burstable && !checklist.t2_t3_unlimited).then(|| {
        Finding::new(
            Code::T2T3Unlimited,
            format!(
                "the controller runs on a {instance} instance without T2/T3 Unlimited: enable T2/T3 Unlimited on the instance before a platform image upgrade"
            ),
        )
    })
}

fn plural_s(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_versions_compare_by_number() {
        assert!(dotted_older("1.6", "1.7"));
        assert!(dotted_older("1.9", "1.10"));
        assert!(!dotted_older("1.7", "1.7"));
        assert!(!dotted_older("2.0", "1.10"));
        assert!(dotted_older("beta", "gamma"));
    }
}
