//! Splitting one gateway operation into requests a controller accepts: a selection of 100,000
//! names does not fit in one request body. The planner checks the whole selection first; the
//! split only decides which names travel together. Both members of an HA pair always share a
//! request, so no boundary between requests separates a pair (the planner's pair rules were
//! checked on the whole selection, and a pair sent in two requests would run at once anyway).
//! Pure: the size of a name on the wire is the caller's to say.

use std::collections::HashSet;

use crate::snapshot::Snapshot;

/// A set of names that must travel in one request: one gateway, or both members of an HA pair
/// when both are in the selection.
pub type Group = Vec<String>;

/// A group too large for any one request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{names} alone need {needed} bytes in a request, more than the limit of {budget}: raise max_request_kb under [client] in the config file"
)]
pub struct TooLarge {
    pub names: String,
    pub needed: usize,
    pub budget: usize,
}

/// The names of `selection` in groups, in the selection's order: each gateway alone, or with
/// its HA peer when the peer is selected too (the group sits where the first of the two does).
/// Names the snapshot does not know travel alone (the controller refuses them).
pub fn ha_groups(snapshot: &Snapshot, selection: &[String]) -> Vec<Group> {
    let selected: HashSet<&str> = selection.iter().map(String::as_str).collect();
    let mut placed: HashSet<&str> = HashSet::with_capacity(selection.len());
    let mut groups = Vec::with_capacity(selection.len());
    for name in selection {
        if !placed.insert(name) {
            continue;
        }
        let mut group = vec![name.clone()];
        if let Some(peer) = selected_peer(snapshot, name, &selected)
            && placed.insert(peer)
        {
            group.push(peer.to_owned());
        }
        groups.push(group);
    }
    groups
}

/// The HA peer of `name`, when it is in `selected`.
fn selected_peer<'a>(
    snapshot: &Snapshot,
    name: &str,
    selected: &HashSet<&'a str>,
) -> Option<&'a str> {
    let index = snapshot.index_of(name)?;
    let peer = &snapshot.gateways()[snapshot.peer_of(index)?].name;
    selected.get(peer.as_ref()).copied()
}

/// Packs `groups`, in order, into as few requests as fit: each request's names cost at most
/// `budget` bytes, where `cost` gives one name's bytes on the wire (separator included).
/// Fails when one group alone is over the budget.
pub fn pack(
    groups: Vec<Group>,
    budget: usize,
    cost: impl Fn(&str) -> usize,
) -> Result<Vec<Vec<String>>, TooLarge> {
    let mut requests: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut used = 0;
    for group in groups {
        let needed: usize = group.iter().map(|name| cost(name)).sum();
        if needed > budget {
            return Err(TooLarge {
                names: group.join(" and "),
                needed,
                budget,
            });
        }
        if used + needed > budget {
            requests.push(std::mem::take(&mut current));
            used = 0;
        }
        used += needed;
        current.extend(group);
    }
    if !current.is_empty() {
        requests.push(current);
    }
    Ok(requests)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn packing_fills_each_request_up_to_the_budget() {
        let groups = vec![names(&["aa"]), names(&["bb", "cc"]), names(&["dd"])];
        let requests = pack(groups, 6, |name| name.len()).unwrap();
        assert_eq!(requests, vec![names(&["aa", "bb", "cc"]), names(&["dd"])]);
    }

    #[test]
    fn a_pair_is_never_split_across_requests() {
        let groups = vec![names(&["aaa"]), names(&["bb", "cc"])];
        let requests = pack(groups, 5, |name| name.len()).unwrap();
        assert_eq!(requests, vec![names(&["aaa"]), names(&["bb", "cc"])]);
    }

    #[test]
    fn a_group_over_the_budget_is_refused_with_its_names() {
        let error = pack(vec![names(&["long-a", "long-b"])], 8, str::len).unwrap_err();
        assert_eq!(error.needed, 12);
        assert!(error.to_string().contains("long-a and long-b"), "{error}");
        assert!(error.to_string().contains("max_request_kb"), "{error}");
    }

    #[test]
    fn nothing_packs_into_no_request() {
        assert!(pack(Vec::new(), 8, str::len).unwrap().is_empty());
    }
}
