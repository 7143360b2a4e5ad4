//! The snapshot's name index (gateway positions in name order, searched by bisection) and its
//! HA pairs (one primary and one secondary naming each other), built and checked once when a
//! snapshot is made.

use crate::snapshot::{Gateway, SnapshotError};

/// The position of the gateway called `name`, by bisection of `by_name`.
pub(super) fn find(gateways: &[Gateway], by_name: &[u32], name: &str) -> Option<usize> {
    by_name
        .binary_search_by(|&index| gateways[index as usize].name.as_ref().cmp(name))
        .ok()
        .map(|found| by_name[found] as usize)
}

pub(super) fn index_names(gateways: &[Gateway]) -> Result<Vec<u32>, SnapshotError> {
    if let Some(index) = gateways
        .iter()
        .position(|gateway| gateway.name.trim().is_empty())
    {
        return Err(SnapshotError {
            path: format!("gateways[{index}].name"),
            message: "expected a gateway name, found an empty string".into(),
        });
    }
    let count = u32::try_from(gateways.len()).map_err(|_| SnapshotError {
        path: "gateways".into(),
        message: format!("{} gateways: expected at most {}", gateways.len(), u32::MAX),
    })?;
    let mut by_name: Vec<u32> = (0..count).collect();
    by_name.sort_unstable_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        gateways[a].name.cmp(&gateways[b].name).then(a.cmp(&b))
    });
    // Equal names sit side by side, the earlier position first; report the repeat that comes
    // first in the document.
    let repeat = by_name
        .windows(2)
        .filter(|pair| gateways[pair[0] as usize].name == gateways[pair[1] as usize].name)
        .min_by_key(|pair| pair[1]);
    if let Some(pair) = repeat {
        let (first, index) = (pair[0], pair[1]);
        return Err(SnapshotError {
            path: format!("gateways[{index}].name"),
            message: format!(
                "gateway \"{}\" is listed twice (also at gateways[{first}]): expected unique names",
                gateways[index as usize].name
            ),
        });
    }
    Ok(by_name)
}

/// In the peers' list, a gateway without a peer. No position reaches it: [`index_names`]
/// refuses more than `u32::MAX` gateways.
pub(super) const NO_PEER: u32 = u32::MAX;

/// The position of each gateway's peer, or [`NO_PEER`], four bytes each; every peer must
/// exist, name its gateway back and have the other role (one primary, one secondary).
pub(super) fn resolve_peers(
    gateways: &[Gateway],
    by_name: &[u32],
) -> Result<Vec<u32>, SnapshotError> {
    let mut peers = Vec::with_capacity(gateways.len());
    for (index, gateway) in gateways.iter().enumerate() {
        let Some(peer_name) = gateway.peer.as_deref() else {
            peers.push(NO_PEER);
            continue;
        };
        let error = |message: String| SnapshotError {
            path: format!("gateways[{index}].peer"),
            message,
        };
        if peer_name == &*gateway.name {
            return Err(error(format!(
                "gateway \"{peer_name}\" names itself as its peer: expected the other member of its HA pair"
            )));
        }
        let Some(peer_index) = find(gateways, by_name, peer_name) else {
            return Err(error(format!(
                "peer \"{peer_name}\" of gateway \"{}\" does not exist: expected the name of a gateway in this snapshot",
                gateway.name
            )));
        };
        let named_back = gateways[peer_index].peer.as_deref() == Some(gateway.name.as_ref());
        if !named_back {
            return Err(error(format!(
                "peer \"{peer_name}\" of gateway \"{}\" does not name it back: expected both members of an HA pair to name each other",
                gateway.name
            )));
        }
        // Reported at the member listed second, once its partner has been seen.
        if peer_index < index && gateways[peer_index].role == gateway.role {
            return Err(SnapshotError {
                path: format!("gateways[{index}].role"),
                message: format!(
                    "gateway \"{}\" and its HA peer \"{peer_name}\" (gateways[{peer_index}]) are both {}: expected one primary and one secondary",
                    gateway.name, gateway.role
                ),
            });
        }
        // Below NO_PEER: positions are checked to fit a u32 by index_names.
        peers.push(u32::try_from(peer_index).unwrap_or(NO_PEER));
    }
    Ok(peers)
}
