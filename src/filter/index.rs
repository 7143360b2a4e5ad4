//! What a filter runs over, built once per fleet: the distinct regions, accounts and versions as
//! text (a few dozen each, even for 100,000 gateways) with each gateway's entry in them, so a
//! free word is matched against each distinct value once per filter, not once per gateway;
//! and whether each name is lower-case ASCII (the fast path for free words).

use std::collections::HashMap;
use std::hash::Hash;

use crate::filter::query::{Dictionaries, Query, Shown, Subject};
use crate::snapshot::Gateway;

/// The filter's view of one fleet.
#[derive(Debug, Default)]
pub struct FilterIndex {
    regions: Dictionary,
    accounts: Dictionary,
    versions: Dictionary,
    lower_case: Vec<bool>,
}

impl FilterIndex {
    /// The index of `gateways`.
    pub fn of(gateways: &[Gateway]) -> FilterIndex {
        FilterIndex {
            regions: Dictionary::of(gateways.iter().map(|g| &*g.region), |r| (*r).to_owned()),
            accounts: Dictionary::of(
                gateways.iter().map(|g| g.account.as_deref().unwrap_or("")),
                |a| (*a).to_owned(),
            ),
            versions: Dictionary::of(
                gateways.iter().map(|g| g.software_version),
                ToString::to_string,
            ),
            lower_case: gateways
                .iter()
                .map(|g| {
                    g.name
                        .bytes()
                        .all(|byte| byte.is_ascii() && !byte.is_ascii_uppercase())
                })
                .collect(),
        }
    }

    /// Appends to `shown` the `candidates` (gateway positions, in order) that `query` keeps;
    /// `live` gives what the table shows of each gateway beyond its record. `shown` is reused,
    /// so a keystroke allocates nothing at 100,000 gateways.
    pub fn select<'a>(
        &self,
        query: &Query,
        gateways: &[Gateway],
        live: impl Fn(usize) -> Shown<'a>,
        candidates: impl Iterator<Item = u32>,
        shown: &mut Vec<u32>,
    ) {
        let prepared = query.prepare(Dictionaries {
            regions: &self.regions.texts,
            accounts: &self.accounts.texts,
            versions: &self.versions.texts,
        });
        shown.extend(candidates.filter(|&position| {
            let index = position as usize;
            gateways.get(index).is_some_and(|gateway| {
                prepared.matches(&Subject {
                    gateway,
                    shown: live(index),
                    region: self.regions.id(index),
                    account: self.accounts.id(index),
                    version: self.versions.id(index),
                    lower_case: self.lower_case.get(index).copied().unwrap_or(false),
                })
            })
        }));
    }
}

/// The distinct values of one field as text, and each gateway's entry among them.
#[derive(Debug, Default)]
struct Dictionary {
    texts: Vec<String>,
    ids: Vec<u32>,
}

impl Dictionary {
    fn of<K: Hash + Eq>(keys: impl Iterator<Item = K>, text: impl Fn(&K) -> String) -> Self {
        let mut dictionary = Dictionary::default();
        let mut known: HashMap<K, u32> = HashMap::new();
        for key in keys {
            let next = u32::try_from(dictionary.texts.len()).unwrap_or(u32::MAX);
            let id = *known.entry(key).or_insert_with_key(|key| {
                dictionary.texts.push(text(key));
                next
            });
            dictionary.ids.push(id);
        }
        dictionary
    }

    /// Gateway `index`'s entry.
    fn id(&self, index: usize) -> usize {
        self.ids.get(index).map_or(usize::MAX, |&id| id as usize)
    }
}
