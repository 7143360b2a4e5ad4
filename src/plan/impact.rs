//! What a disruptive gateway operation (rollback, image upgrade) does to traffic: the gateways
//! are replaced, HA pairs drain or go down together, BGP reconverges, spoke routes move to the
//! HA peer, and OpenVPN users may have nowhere to go. Guide: "Upgrading HA Gateways in an
//! Active Mesh Topology" and "Upgrading OpenVPN Users".

use crate::plan::finding::{Code, Finding};
use crate::plan::request::Action;
use crate::plan::rules::{count_and_names, names_of};
use crate::snapshot::{GatewayType, Snapshot};

/// Every finding about the disruption of replacing the `selected` gateways.
pub(super) fn disruption(snapshot: &Snapshot, action: Action, selected: &[usize]) -> Vec<Finding> {
    let mut selected_mask = vec![false; snapshot.gateways().len()];
    for &index in selected {
        selected_mask[index] = true;
    }
    let mut findings = vec![replacement(snapshot, action, selected)];
    findings.extend(ha_pairs(snapshot, selected, &selected_mask));
    findings.extend(bgp(snapshot, selected));
    findings.extend(spoke_routes(snapshot, selected));
    findings.extend(only_openvpn_gateway(snapshot, selected, &selected_mask));
    findings
}

fn replacement(snapshot: &Snapshot, action: Action, selected: &[usize]) -> Finding {
    let names = names_of(snapshot, selected);
    let (code, what) = match action {
        Action::ImageUpgrade => (Code::ImageUpgradeDisruptive, "an image upgrade"),
        _ => (Code::RollbackDisruptive, "a software rollback"),
    };
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
    Finding::about(
        code,
        format!(
            "{what} replaces {}: traffic through them is briefly disrupted{unpaired_note}",
            count_and_names(&names)
        ),
        names,
    )
}

fn ha_pairs(snapshot: &Snapshot, selected: &[usize], selected_mask: &[bool]) -> Vec<Finding> {
    let mut both = Vec::new();
    let mut one = Vec::new();
    for &index in selected {
        match snapshot.peer_of(index) {
            Some(peer) if selected_mask[peer] => both.push(index),
            Some(_) => one.push(index),
            None => {}
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

fn spoke_routes(snapshot: &Snapshot, selected: &[usize]) -> Option<Finding> {
    let gateways = snapshot.gateways();
    let spokes: Vec<usize> = selected
        .iter()
        .copied()
        .filter(|&index| {
            gateways[index].gw_type == GatewayType::Spoke && snapshot.peer_of(index).is_some()
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
