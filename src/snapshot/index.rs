//! The snapshot's name index (gateway positions by name, hashed), its name order (sorted when
//! first asked for) and its HA pairs (one primary and one secondary naming each other), built
//! and checked once when a snapshot is made.

use std::hash::BuildHasher;

use hashbrown::DefaultHashBuilder;
use hashbrown::hash_table::{Entry, HashTable};

use crate::snapshot::{Gateway, SnapshotError};

/// Gateway positions by name: a hash table of positions, four bytes a gateway, with the
/// names themselves left in the gateways. Built in one pass, where sorting 100,000 names
/// and bisecting them for each HA peer took 60 ms. The names come from the controller, so
/// the hasher is seeded at random: hashbrown's default, foldhash, which took 13 ms less than
/// std's SipHash to index and check the links of 100,000 gateways.
#[derive(Debug, Clone)]
pub struct NameIndex {
    positions: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl NameIndex {
    /// Indexes `gateways` by name; names must be present and unique.
    pub fn of(gateways: &[Gateway]) -> Result<NameIndex, SnapshotError> {
        if u32::try_from(gateways.len()).is_err() {
            return Err(SnapshotError {
                path: "gateways".into(),
                message: format!("{} gateways: expected at most {}", gateways.len(), u32::MAX),
            });
        }
        let hasher = DefaultHashBuilder::default();
        let mut positions = HashTable::with_capacity(gateways.len());
        let rehash = |&at: &u32| hasher.hash_one(&*gateways[at as usize].name);
        for (at, gateway) in (0u32..).zip(gateways) {
            let name = &*gateway.name;
            if name.trim().is_empty() {
                return Err(SnapshotError {
                    path: format!("gateways[{at}].name"),
                    message: "expected a gateway name, found an empty string".into(),
                });
            }
            let hash = hasher.hash_one(name);
            let same_name = |&seen: &u32| *gateways[seen as usize].name == *name;
            match positions.entry(hash, same_name, rehash) {
                Entry::Occupied(first) => {
                    return Err(SnapshotError {
                        path: format!("gateways[{at}].name"),
                        message: format!(
                            "gateway \"{name}\" is listed twice (also at gateways[{}]): expected unique names",
                            first.get()
                        ),
                    });
                }
                Entry::Vacant(place) => {
                    place.insert(at);
                }
            }
        }
        Ok(NameIndex { positions, hasher })
    }

    /// The position of the gateway called `name`.
    pub fn find(&self, gateways: &[Gateway], name: &str) -> Option<usize> {
        self.positions
            .find(self.hasher.hash_one(name), |&at| {
                *gateways[at as usize].name == *name
            })
            .map(|&at| at as usize)
    }
}

/// Gateway positions in name order.
pub(super) fn name_order(gateways: &[Gateway]) -> Vec<u32> {
    // Positions fit a u32: `NameIndex::of` refuses more gateways.
    let mut in_order: Vec<u32> = (0..gateways.len() as u32).collect();
    in_order.sort_unstable_by(|&a, &b| gateways[a as usize].name.cmp(&gateways[b as usize].name));
    in_order
}

/// In the peers' list, a gateway without a peer. No position reaches it: [`NameIndex::of`]
/// refuses more than `u32::MAX` gateways.
pub(super) const NO_PEER: u32 = u32::MAX;

/// The position of each gateway's peer, or [`NO_PEER`], four bytes each; every peer must
/// exist, name its gateway back and have the other role (one primary, one secondary).
pub(super) fn resolve_peers(
    gateways: &[Gateway],
    by_name: &NameIndex,
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
        let Some(peer_index) = by_name.find(gateways, peer_name) else {
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
        // Below NO_PEER: positions are checked to fit a u32 by NameIndex::of.
        peers.push(u32::try_from(peer_index).unwrap_or(NO_PEER));
    }
    Ok(peers)
}
