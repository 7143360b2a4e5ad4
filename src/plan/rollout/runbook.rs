//! The whole runbook as one rollout: a software upgrade to a version beyond the controller's
//! expands into the gateways up to the controller's version (in waves), platform hop 1, the
//! gateways to it (in waves), platform hop 2, and so on to the target. Every step is numbered
//! in one sequence (waves and hops alike), so the journal's gates name each step once.
//!
//! Planning is pure: the fleet after each step is simulated (the waves' gateways on the
//! step's version, the controller on the hop's), and each hop is checked by the planner
//! against that fleet, so a hop that cannot happen (a gateway outside the selection lags, for
//! instance) refuses the runbook at plan time. The executor checks every step again, against
//! the controller's state when the step comes.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::plan::checks::check;
use crate::plan::finding::{Finding, Severity};
use crate::plan::path::plan_path;
use crate::plan::request::{Request, Selection};
use crate::plan::rollout::{Policy, Rollout, RolloutError, Wave, plan};
use crate::snapshot::Snapshot;
use crate::version::{Target, Version};

/// One platform upgrade between gateway stages, and the waves that bring the gateways to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hop {
    /// The hop's place in the sequence of steps (waves and hops numbered together).
    pub number: usize,
    pub from: Version,
    pub to: Version,
    /// The gateways' waves to `to`, numbered after the hop. Empty when `from` is older than
    /// 6.5: that platform upgrade upgrades every gateway itself.
    pub waves: Vec<Wave>,
}

/// A software upgrade of `selection` to `target` (beyond the controller's version): the first
/// stage (the gateways to the controller's version) and the hops after it. Without a hop (the
/// target is the controller's version) it is [`plan`] of the software upgrade.
pub fn runbook(
    snapshot: &Snapshot,
    catalog: &Catalog,
    selection: Selection,
    target: Target,
    policy: &Policy,
    now: Timestamp,
) -> Result<(Rollout, Vec<Hop>), RolloutError> {
    let current = snapshot.controller.current_version;
    let path = plan_path(current, Some(target), catalog).map_err(RolloutError::Blocked)?;
    let upgrade = Request::SoftwareUpgrade {
        gateways: selection,
        target: None,
    };
    let first = plan(snapshot, catalog, &upgrade, policy, now)?;
    if first.is_blocked() {
        return Ok((first, Vec::new()));
    }
    let mut fleet = reached(snapshot, &first.waves, current)?;
    let mut next = last_number(&first.waves) + 1;
    let mut hops = Vec::new();
    for &to in &path.hops {
        let from = fleet.controller.current_version;
        hop_allowed(&fleet, catalog, from, to, now)?;
        fleet = hopped(&fleet, to)?;
        let mut waves = match from.train().before_selective_upgrade() {
            true => Vec::new(),
            false => plan(&fleet, catalog, &upgrade, policy, now)?.waves,
        };
        renumber(&mut waves, next + 1);
        fleet = reached(&fleet, &waves, to)?;
        hops.push(Hop {
            number: next,
            from,
            to,
            waves,
        });
        next = hops
            .last()
            .map_or(next, |hop| last_number(&hop.waves).max(hop.number))
            + 1;
    }
    Ok((first, hops))
}

/// The planner's blockers of the platform upgrade `from` → `to` on `fleet` refuse the runbook.
fn hop_allowed(
    fleet: &Snapshot,
    catalog: &Catalog,
    from: Version,
    to: Version,
    now: Timestamp,
) -> Result<(), RolloutError> {
    let request = Request::PlatformUpgrade {
        target: Some(Target::Version(to)),
    };
    let report = check(fleet, catalog, &request, now)?;
    match report.with_severity(Severity::Blocker).next() {
        None => Ok(()),
        Some(blocker) => Err(RolloutError::Blocked(Finding {
            message: format!(
                "the platform upgrade from {from} to {to} cannot follow the waves before it: {}",
                blocker.message
            ),
            ..blocker.clone()
        })),
    }
}

/// `fleet` after the gateways of `waves` reached `version`.
fn reached(fleet: &Snapshot, waves: &[Wave], version: Version) -> Result<Snapshot, RolloutError> {
    let mut gateways = fleet.gateways().to_vec();
    for name in waves.iter().flat_map(|wave| &wave.gateways) {
        if let Some(index) = fleet.index_of(name) {
            gateways[index].previous_software_version = Some(gateways[index].software_version);
            gateways[index].software_version = version;
        }
    }
    rebuilt(fleet.controller.clone(), gateways)
}

/// `fleet` after the platform upgrade to `to`; from before 6.5 that upgrades every gateway.
fn hopped(fleet: &Snapshot, to: Version) -> Result<Snapshot, RolloutError> {
    let mut controller = fleet.controller.clone();
    let from = controller.current_version;
    controller.previous_version = Some(from);
    controller.current_version = to;
    let mut gateways = fleet.gateways().to_vec();
    if from.train().before_selective_upgrade() {
        for gateway in &mut gateways {
            gateway.software_version = to;
        }
    }
    rebuilt(controller, gateways)
}

fn rebuilt(
    controller: crate::snapshot::Controller,
    gateways: Vec<crate::snapshot::Gateway>,
) -> Result<Snapshot, RolloutError> {
    // The names and peers are those of a snapshot already built: this cannot fail, but an
    // error is said rather than hidden.
    Snapshot::new(controller, gateways).map_err(|error| {
        RolloutError::Blocked(Finding::new(
            crate::plan::finding::Code::Other("fleet".into()),
            error.to_string(),
        ))
    })
}

fn last_number(waves: &[Wave]) -> usize {
    waves.last().map_or(0, |wave| wave.number)
}

/// Numbers `waves` from `first` on.
fn renumber(waves: &mut [Wave], first: usize) {
    for (wave, number) in waves.iter_mut().zip(first..) {
        wave.number = number;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::cloud::Cloud;
    use crate::plan::rollout::Size;
    use crate::snapshot::{Controller, Gateway, GatewayType, Role};

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    fn gateway(name: &str, role: Role, peer: &str, software: &str) -> Gateway {
        let mut gateway = Gateway::new(
            name,
            Cloud::Aws,
            "us-east-1",
            GatewayType::Spoke,
            role,
            v(software),
        );
        gateway.peer = Some(peer.into());
        gateway
    }

    fn fleet(pairs: usize, software: &str) -> Snapshot {
        let mut gateways = Vec::new();
        for number in 0..pairs {
            let primary = format!("spoke-{number}");
            let secondary = format!("spoke-{number}-hagw");
            gateways.push(gateway(&primary, Role::Primary, &secondary, software));
            gateways.push(gateway(&secondary, Role::Secondary, &primary, software));
        }
        let mut controller = Controller::new(v("7.0.2239"));
        controller.previous_version = Some(v("6.9.349"));
        Snapshot::new(controller, gateways).unwrap()
    }

    fn policy() -> Policy {
        Policy {
            wave_size: Size::Count(4),
            ..Policy::default()
        }
    }

    #[test]
    fn two_trains_ahead_expand_into_catch_up_hop_waves_hop_waves_numbered_as_one_sequence() {
        let snapshot = fleet(4, "6.9.349");
        let catalog = Catalog::builtin().unwrap();
        let (first, hops) = runbook(
            &snapshot,
            &catalog,
            Selection::All,
            Target::Version(v("7.2.5090")),
            &policy(),
            Timestamp::UNIX_EPOCH,
        )
        .unwrap();
        assert_eq!(first.changing(), 8, "every gateway catches up first");
        let hop_targets: Vec<(Version, Version)> =
            hops.iter().map(|hop| (hop.from, hop.to)).collect();
        assert_eq!(
            hop_targets,
            vec![
                (v("7.0.2239"), v("7.1.4183")),
                (v("7.1.4183"), v("7.2.5090"))
            ]
        );
        let mut numbers: Vec<usize> = first.waves.iter().map(|wave| wave.number).collect();
        for hop in &hops {
            numbers.push(hop.number);
            numbers.extend(hop.waves.iter().map(|wave| wave.number));
            let upgraded: usize = hop.waves.iter().map(|wave| wave.gateways.len()).sum();
            assert_eq!(upgraded, 8, "every gateway follows each hop");
        }
        let expected: Vec<usize> = (1..=numbers.len()).collect();
        assert_eq!(numbers, expected, "one sequence, no gap, no repeat");
    }

    #[test]
    fn a_second_hop_that_unselected_gateways_would_block_refuses_the_runbook() {
        let snapshot = fleet(2, "7.0.2239");
        let catalog = Catalog::builtin().unwrap();
        let error = runbook(
            &snapshot,
            &catalog,
            Selection::Named(vec!["spoke-0".into(), "spoke-0-hagw".into()]),
            Target::Version(v("7.2.5090")),
            &policy(),
            Timestamp::UNIX_EPOCH,
        );
        let Err(RolloutError::Blocked(finding)) = error else {
            panic!("expected a blocker, got {error:?}");
        };
        assert!(
            finding.message.contains("7.1.4183 to 7.2.5090") && finding.message.contains("spoke-1"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn a_target_that_is_not_a_valid_path_is_the_path_planners_blocker() {
        let snapshot = fleet(1, "7.0.2239");
        let catalog = Catalog::builtin().unwrap();
        let error = runbook(
            &snapshot,
            &catalog,
            Selection::All,
            Target::Version(v("7.1.1794")),
            &policy(),
            Timestamp::UNIX_EPOCH,
        );
        assert!(
            matches!(&error, Err(RolloutError::Blocked(finding)) if finding.message.contains("newest build")),
            "{error:?}"
        );
    }
}
