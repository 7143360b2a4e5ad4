//! What a gateway operation does to traffic. A disruptive one (rollback, image upgrade)
//! replaces the gateways: HA pairs drain or go down together, BGP reconverges, spoke routes
//! move to the HA peer, and OpenVPN users may have nowhere to go. A gateway whose HA peer is
//! out of service has no standby: replacing it is blocked, upgrading its software warned about.
//! Guide: "Upgrading HA Gateways in an Active Mesh Topology" and "Upgrading OpenVPN Users".

use crate::plan::finding::{Code, Finding};
use crate::plan::request::Action;
use crate::plan::rules::{NAMES_IN_MESSAGE, count_and_names, names_of};
use crate::snapshot::{Gateway, GatewayState, GatewayType, Snapshot};

/// Every finding about the disruption of replacing the `selected` gateways.
pub(super) fn disruption(snapshot: &Snapshot, action: Action, selected: &[usize]) -> Vec<Finding> {
    let selected_mask = mask(snapshot, selected);
    let mut findings = vec![replacement(snapshot, action, selected)];
    findings.extend(ha_pairs(snapshot, selected, &selected_mask));
    findings.extend(bgp(snapshot, selected));
    findings.extend(spoke_routes(snapshot, selected, &selected_mask));
    findings.extend(only_openvpn_gateway(snapshot, selected, &selected_mask));
    findings
}

fn mask(snapshot: &Snapshot, selected: &[usize]) -> Vec<bool> {
    let mut selected_mask = vec![false; snapshot.gateways().len()];
    for &index in selected {
        selected_mask[index] = true;
    }
    selected_mask
}

/// Who carries a selected gateway's traffic while it is worked on.
enum Standby {
    /// No HA peer: the traffic stops.
    Unpaired,
    /// Its peer is selected too: the pair goes together, without safeguards.
    PeerSelected,
    /// Its peer is in service (up, with every tunnel up) and takes the traffic.
    Peer,
    /// Its peer (at this position) is out of service: nothing takes the traffic.
    PeerOutOfService(usize),
}

fn standby(snapshot: &Snapshot, index: usize, selected_mask: &[bool]) -> Standby {
    match snapshot.peer_of(index) {
        None => Standby::Unpaired,
        Some(peer) if selected_mask[peer] => Standby::PeerSelected,
        Some(peer) if snapshot.gateways()[peer].is_healthy() => Standby::Peer,
        Some(peer) => Standby::PeerOutOfService(peer),
    }
}

/// The selected gateways whose HA peer is not selected and out of service (not up, or tunnels
/// down). A rollback or image upgrade would drain their traffic to a peer that cannot take it:
/// `ha-peer-unhealthy`, a blocker. A software upgrade keeps the gateway in place, but nothing
/// stands by if it fails: `ha-peer-unhealthy-hitless`, a warning. When both members are
/// selected this does not apply: `gateway-unhealthy` checks each member itself, and the pair is
/// `ha-pair-both-selected`.
pub(super) fn peer_out_of_service(
    snapshot: &Snapshot,
    action: Action,
    selected: &[usize],
) -> Option<Finding> {
    let (code, consequence) = match action {
        Action::SoftwareRollback | Action::ImageUpgrade => (
            Code::HaPeerUnhealthy,
            format!(
                "{} drains a gateway's traffic to its HA peer before replacing it, and this peer cannot take it; bring the peer up, with all its tunnels up, first",
                article(action)
            ),
        ),
        Action::SoftwareUpgrade => (
            Code::HaPeerUnhealthyHitless,
            "a software upgrade keeps the gateway in place, but no standby carries its traffic should the upgrade fail; bring the peer up first, or upgrade in a maintenance window".to_owned(),
        ),
        // Every gateway is concerned, and `gateway-unhealthy` already blocks on each.
        Action::PlatformUpgrade => return None,
    };
    let selected_mask = mask(snapshot, selected);
    let stranded: Vec<(usize, usize)> = selected
        .iter()
        .filter_map(|&index| match standby(snapshot, index, &selected_mask) {
            Standby::PeerOutOfService(peer) => Some((index, peer)),
            _ => None,
        })
        .collect();
    if stranded.is_empty() {
        return None;
    }
    let gateways = snapshot.gateways();
    let mut list = stranded
        .iter()
        .take(NAMES_IN_MESSAGE)
        .map(|&(index, peer)| {
            format!(
                "{} (its HA peer {} is {})",
                gateways[index].name,
                gateways[peer].name,
                condition(&gateways[peer])
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    if stranded.len() > NAMES_IN_MESSAGE {
        list.push_str(&format!(" and {} more", stranded.len() - NAMES_IN_MESSAGE));
    }
    let names: Vec<String> = stranded
        .iter()
        .map(|&(index, _)| gateways[index].name.to_string())
        .collect();
    let noun = if names.len() == 1 {
        "gateway"
    } else {
        "gateways"
    };
    Some(Finding::about(
        code,
        format!(
            "{} {noun} whose HA peer is out of service, {list}: {consequence}",
            names.len()
        ),
        names,
    ))
}

/// A peer's state in words: `down`, `waiting`, `config_fail`, or `up with tunnels down`.
fn condition(gateway: &Gateway) -> &'static str {
    if gateway.state == GatewayState::Up {
        "up with tunnels down"
    } else {
        gateway.state.name()
    }
}

fn article(action: Action) -> &'static str {
    match action {
        Action::ImageUpgrade => "an image upgrade",
        _ => "a software rollback",
    }
}

fn replacement(snapshot: &Snapshot, action: Action, selected: &[usize]) -> Finding {
    let names = names_of(snapshot, selected);
    let code = match action {
        Action::ImageUpgrade => Code::ImageUpgradeDisruptive,
        _ => Code::RollbackDisruptive,
    };
    let what = article(action);
    let unpaired = selected
        .iter()
        .filter(|&&index| snapshot.peer_of(index).is_none())
        .count();
    let unpaired_note = match unpaired {
        0 => String::new(),
        n => format!(
            "; {n} of them have no HA peer, so their traffic stops until the new gateway is up"
        ),
    };
    let them = if names.len() == 1 { "it" } else { "them" };
    Finding::about(
        code,
        format!(
            "{what} replaces {}: traffic through {them} is briefly disrupted{unpaired_note}",
            count_and_names(&names)
        ),
        names,
    )
}

fn ha_pairs(snapshot: &Snapshot, selected: &[usize], selected_mask: &[bool]) -> Vec<Finding> {
    let mut both = Vec::new();
    let mut one = Vec::new();
    for &index in selected {
        match standby(snapshot, index, selected_mask) {
            Standby::PeerSelected => both.push(index),
            Standby::Peer => one.push(index),
            Standby::Unpaired | Standby::PeerOutOfService(_) => {}
        }
    }
    let mut findings = Vec::new();
    if !both.is_empty() {
        let pairs = both.len() / 2;
        let names = names_of(snapshot, &both);
        findings.push(Finding::about(
            Code::HaPairBothSelected,
            format!(
                "both members of {pairs} HA pair{} are selected, {}: each pair is replaced simultaneously, without the safeguard of draining traffic to its peer; select one member of each pair at a time",
                if pairs == 1 { "" } else { "s" },
                count_and_names(&names)
            ),
            names,
        ));
    }
    if !one.is_empty() {
        let names = names_of(snapshot, &one);
        findings.push(Finding::about(
            Code::HaPeerDrain,
            format!(
                "traffic of {} is drained to each one's HA peer before it is replaced",
                count_and_names(&names)
            ),
            names,
        ));
    }
    findings
}

fn bgp(snapshot: &Snapshot, selected: &[usize]) -> Option<Finding> {
    let gateways = snapshot.gateways();
    let speakers: Vec<usize> = selected
        .iter()
        .copied()
        .filter(|&index| gateways[index].bgp_peers > 0)
        .collect();
    if speakers.is_empty() {
        return None;
    }
    let peers: u64 = speakers
        .iter()
        .map(|&index| u64::from(gateways[index].bgp_peers))
        .sum();
    let names = names_of(snapshot, &speakers);
    Some(Finding::about(
        Code::BgpReconverge,
        format!(
            "{} with {peers} BGP peers in all: BGP shuts down on each during replacement and the routes reconverge to alternatives; tunnels shut down and the controller redistributes routes",
            count_and_names(&names)
        ),
        names,
    ))
}

fn spoke_routes(
    snapshot: &Snapshot,
    selected: &[usize],
    selected_mask: &[bool],
) -> Option<Finding> {
    let gateways = snapshot.gateways();
    let spokes: Vec<usize> = selected
        .iter()
        .copied()
        .filter(|&index| {
            gateways[index].gw_type == GatewayType::Spoke
                && matches!(
                    standby(snapshot, index, selected_mask),
                    Standby::Peer | Standby::PeerSelected
                )
        })
        .collect();
    if spokes.is_empty() {
        return None;
    }
    let names = names_of(snapshot, &spokes);
    Some(Finding::about(
        Code::SpokeNextHop,
        format!(
            "{}: the cloud route tables that use them as next hop for the default or RFC 1918 routes move to their HA peers during replacement",
            count_and_names(&names)
        ),
        names,
    ))
}

fn only_openvpn_gateway(
    snapshot: &Snapshot,
    selected: &[usize],
    selected_mask: &[bool],
) -> Option<Finding> {
    let gateways = snapshot.gateways();
    let selected_vpn: Vec<usize> = selected
        .iter()
        .copied()
        .filter(|&index| gateways[index].openvpn)
        .collect();
    if selected_vpn.is_empty() {
        return None;
    }
    let others_in_service = gateways
        .iter()
        .enumerate()
        .any(|(index, gateway)| gateway.openvpn && !selected_mask[index] && gateway.is_healthy());
    if others_in_service {
        return None;
    }
    let users: u64 = selected_vpn
        .iter()
        .map(|&index| u64::from(gateways[index].openvpn_users))
        .sum();
    let names = names_of(snapshot, &selected_vpn);
    Some(Finding::about(
        Code::OpenvpnOnlyGateway,
        format!(
            "{} {} the only OpenVPN {} in service: {users} connected users lose their sessions and cannot reconnect until the replacement is up",
            count_and_names(&names),
            if names.len() == 1 { "is" } else { "are" },
            if names.len() == 1 {
                "gateway"
            } else {
                "gateways"
            }
        ),
        names,
    ))
}
